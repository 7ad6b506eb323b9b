package idkg

import (
	"errors"
	"slices"
	"testing"
)

// A toy scheme: a share is its signer index, negative values are bad
// shares, and a combination succeeds when every share in it is good.
type toyShare struct{ signer, value int }

func toyCombiner(threshold int, combined *[][]int) ShareCombiner[*toyShare, []int] {
	return ShareCombiner[*toyShare, []int]{
		Signer: func(s *toyShare) (int, bool) {
			if s == nil {
				return 0, false
			}
			return s.signer, true
		},
		Receivers: 7,
		Threshold: threshold,
		Combine: func(v []*toyShare) ([]int, error) {
			var ids []int
			for _, s := range v {
				if s.value < 0 {
					return nil, errors.New("bad signature")
				}
				ids = append(ids, s.signer)
			}
			*combined = append(*combined, ids)
			return ids, nil
		},
		Verify: func(s *toyShare) error {
			if s.value < 0 {
				return errors.New("bad share")
			}
			return nil
		},
	}
}

func TestCombineSharesDropsAndNamesBadShares(t *testing.T) {
	var combined [][]int
	shares := []*toyShare{
		nil,
		{signer: 5, value: 1},
		{signer: 1, value: -1}, // bad: named as culprit
		{signer: 9, value: 1},  // out of range: dropped
		{signer: 3, value: 1},
		{signer: 3, value: 1}, // repeated signer: dropped
		{signer: 0, value: 1},
	}
	sig, culprits, err := CombineShares(toyCombiner(3, &combined), shares)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sig, []int{0, 3, 5}) || !slices.Equal(culprits, []int{1}) {
		t.Fatalf("got signers %v, culprits %v", sig, culprits)
	}
	// The optimistic attempt failed, then the good shares were combined.
	if len(combined) != 1 {
		t.Fatalf("%d successful combinations, want 1", len(combined))
	}
}

func TestCombineSharesOptimisticPath(t *testing.T) {
	var combined [][]int
	shares := []*toyShare{{signer: 4, value: 1}, {signer: 2, value: 1}, {signer: 6, value: -1}}
	sig, culprits, err := CombineShares(toyCombiner(2, &combined), shares)
	if err != nil || len(culprits) != 0 || !slices.Equal(sig, []int{2, 4}) {
		t.Fatalf("got %v %v %v", sig, culprits, err)
	}
}

func TestCombineSharesTooFewValid(t *testing.T) {
	var combined [][]int
	shares := []*toyShare{{signer: 0, value: 1}, {signer: 1, value: -1}, {signer: 2, value: -2}}
	_, culprits, err := CombineShares(toyCombiner(2, &combined), shares)
	if err == nil || !slices.Equal(culprits, []int{1, 2}) {
		t.Fatalf("got culprits %v, err %v", culprits, err)
	}
}
