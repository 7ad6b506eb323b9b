package subnet

import (
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
	// RequestStatusTrie returns the /request_status/<id> subtrees,
	// labeled with the id: the entries of Leaves under /request_status, as
	// BuildTree builds each of them.
	RequestStatusTrie() (*certification.LabelTrie, error)
	// CanisterLeaves returns the other entries of Leaves.
	CanisterLeaves() []certification.PathValue
}

// TreeParts returns the certified-tree entries of every component, as
// Leaves does, except that the request statuses of a RequestStatusSource
// come as a set of subtrees.
func (r *Components) TreeParts() ([]certification.PathValue, *certification.LabelTrie, error) {
	ids := make([]ComponentID, 0, len(r.byID))
	for id := range r.byID {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ComponentID) int { return slices.Compare(a[:], b[:]) })
	var leaves []certification.PathValue
	var set *certification.LabelTrie
	for _, id := range ids {
		c := r.byID[id]
		src, ok := c.(RequestStatusSource)
		if !ok {
			leaves = append(leaves, c.Leaves()...)
			continue
		}
		leaves = append(leaves, src.CanisterLeaves()...)
		more, err := src.RequestStatusTrie()
		if err != nil {
			return nil, nil, fmt.Errorf("subnet: request statuses of component %x: %w", id[:], err)
		}
		if set.Len() == 0 {
			set = more
			continue
		}
		for _, n := range more.Nodes() {
			if _, dup := set.Get(n.Label); dup {
				return nil, nil, fmt.Errorf("subnet: request %x given twice", short(n.Label))
			}
			if set, err = set.Set(n); err != nil {
				return nil, nil, fmt.Errorf("subnet: request statuses of component %x: %w", id[:], err)
			}
		}
	}
	return leaves, set, nil
}
