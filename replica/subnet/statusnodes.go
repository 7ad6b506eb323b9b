package subnet

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/certification"
)

// RequestStatusSource is a Component with many request statuses (the
// canisters' ingress messages). It gives them as prebuilt subtrees rather
// than as leaves, so that a height costs the statuses that changed, not
// all of them.
type RequestStatusSource interface {
	Component
	// RequestStatusNodes returns the /request_status/<id> subtrees,
	// labeled with the id and sorted by it: the entries of Leaves under
	// /request_status, as BuildTree builds them.
	RequestStatusNodes() ([]certification.Labeled, error)
	// CanisterLeaves returns the other entries of Leaves.
	CanisterLeaves() []certification.PathValue
}

// TreeParts returns the certified-tree entries of every component, as
// Leaves does, except that the request statuses of a RequestStatusSource
// come as subtrees (sorted by id).
func (r *Components) TreeParts() ([]certification.PathValue, []certification.Labeled, error) {
	ids := make([]ComponentID, 0, len(r.byID))
	for id := range r.byID {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ComponentID) int { return slices.Compare(a[:], b[:]) })
	var leaves []certification.PathValue
	var nodes []certification.Labeled
	for _, id := range ids {
		c := r.byID[id]
		src, ok := c.(RequestStatusSource)
		if !ok {
			leaves = append(leaves, c.Leaves()...)
			continue
		}
		leaves = append(leaves, src.CanisterLeaves()...)
		ns, err := src.RequestStatusNodes()
		if err != nil {
			return nil, nil, fmt.Errorf("subnet: request statuses of component %x: %w", id[:], err)
		}
		if len(nodes) == 0 {
			nodes = ns
			continue
		}
		nodes = append(nodes, ns...)
		slices.SortFunc(nodes, func(a, b certification.Labeled) int { return bytes.Compare(a.Label, b.Label) })
	}
	return leaves, nodes, nil
}
