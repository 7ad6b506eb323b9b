package canisters

import (
	"slices"

	"github.com/chainkey/chainkey/certification"
)

// statusIndex keeps the ingress records' /request_status/<id> subtrees
// between heights: the ids in order and each record's subtree, rebuilt
// only when the record changes. A height then costs the new and changed
// records, not every record until its expiry.
type statusIndex struct {
	built   bool
	ids     []string // sorted record ids as of the last call
	added   []string // ids of records added since (setRecord)
	removed bool     // records were deleted since (expire)
	nodes   map[string]statusNode
}

// statusNode is a record's subtree and the record it was built from.
type statusNode struct {
	rec    *Record
	status string
	node   certification.Labeled
}

// RequestStatusNodes returns the ingress records as the labeled subtrees
// of /request_status (label: the request id), sorted by id: the subtrees
// Leaves gives as leaves, built once per change of a record.
func (c *Component) RequestStatusNodes() ([]certification.Labeled, error) {
	s := &c.status
	if !s.built {
		s.ids = make([]string, 0, len(c.records))
		for k := range c.records {
			s.ids = append(s.ids, k)
		}
		slices.Sort(s.ids)
		s.nodes = make(map[string]statusNode, len(c.records))
		s.built, s.added, s.removed = true, nil, false
	}
	// An id added and expired again meanwhile is not added.
	s.added = slices.DeleteFunc(s.added, func(id string) bool { return c.records[id] == nil })
	if len(s.added) > 0 {
		slices.Sort(s.added)
		merged := make([]string, 0, len(s.ids)+len(s.added))
		i, j := 0, 0
		for i < len(s.ids) || j < len(s.added) {
			if j == len(s.added) || i < len(s.ids) && s.ids[i] <= s.added[j] {
				merged = append(merged, s.ids[i])
				i++
			} else {
				merged = append(merged, s.added[j])
				j++
			}
		}
		s.ids, s.added = slices.Compact(merged), s.added[:0]
	}
	if s.removed {
		s.ids = slices.DeleteFunc(s.ids, func(id string) bool { return c.records[id] == nil })
		for id := range s.nodes {
			if c.records[id] == nil {
				delete(s.nodes, id)
			}
		}
		s.removed = false
	}
	out := make([]certification.Labeled, len(s.ids))
	for i, id := range s.ids {
		r := c.records[id]
		n, ok := s.nodes[id]
		if !ok || n.rec != r || n.status != r.Status {
			t, err := certification.BuildTree(recordLeaves(r))
			if err != nil {
				return nil, err
			}
			n = statusNode{rec: r, status: r.Status, node: certification.NewLabeled([]byte(id), t)}
			s.nodes[id] = n
		}
		out[i] = n.node
	}
	return out, nil
}
