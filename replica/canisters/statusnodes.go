package canisters

import (
	"slices"

	"github.com/chainkey/chainkey/certification"
)

// statusIndex keeps the ingress records' /request_status/<id> subtrees
// between heights as a certification.LabelTrie: a height rebuilds the
// subtrees of the records that changed and the forks above them, not
// every record until its expiry.
type statusIndex struct {
	built   bool
	set     *certification.LabelTrie
	changed []string // records set since the last call (setRecord)
	deleted []string // records dropped since (expire)
}

// RequestStatusTrie returns the ingress records as the labeled subtrees
// of /request_status (label: the request id): the subtrees Leaves gives
// as leaves, each built once per change of its record.
func (c *Component) RequestStatusTrie() (*certification.LabelTrie, error) {
	s := &c.status
	if !s.built {
		ids := make([]string, 0, len(c.records))
		for k := range c.records {
			ids = append(ids, k)
		}
		slices.Sort(ids)
		nodes := make([]certification.Labeled, len(ids))
		for i, id := range ids {
			n, err := statusNode(id, c.records[id])
			if err != nil {
				return nil, err
			}
			nodes[i] = n
		}
		set, err := certification.TrieOf(nodes)
		if err != nil {
			return nil, err
		}
		*s = statusIndex{built: true, set: set}
		return s.set, nil
	}
	for _, id := range s.deleted {
		if c.records[id] == nil {
			s.set = s.set.Delete([]byte(id))
		}
	}
	slices.Sort(s.changed)
	for _, id := range slices.Compact(s.changed) {
		r := c.records[id]
		if r == nil {
			continue
		}
		n, err := statusNode(id, r)
		if err != nil {
			return nil, err
		}
		if s.set, err = s.set.Set(n); err != nil {
			return nil, err
		}
	}
	s.changed, s.deleted = s.changed[:0], s.deleted[:0]
	return s.set, nil
}

func statusNode(id string, r *Record) (certification.Labeled, error) {
	t, err := certification.BuildTree(recordLeaves(r))
	if err != nil {
		return certification.Labeled{}, err
	}
	return certification.NewLabeled([]byte(id), t), nil
}
