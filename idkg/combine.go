package idkg

import (
	"fmt"
	"slices"
)

// ShareCombiner describes one threshold signature scheme's shares to
// CombineShares.
type ShareCombiner[S any, Sig any] struct {
	// Signer returns the share's signer index, and whether the share is
	// well formed enough to be considered at all.
	Signer func(S) (int, bool)
	// Receivers is the number of nodes; Threshold how many shares combine.
	Receivers, Threshold int
	// Combine combines exactly Threshold shares, sorted by signer, and
	// checks the resulting signature.
	Combine func([]S) (Sig, error)
	// Verify checks one share on its own.
	Verify func(S) error
}

// CombineShares combines signature shares the way every chainkey threshold
// scheme does (checklist item 7): malformed shares, out-of-range signers and
// repeated signers are dropped; the Threshold shares of lowest signer index
// are combined and the signature checked; only if that fails is every share
// verified, the invalid ones returned as culprits, and the valid ones
// combined. It fails if fewer than Threshold valid shares remain.
func CombineShares[S any, Sig any](c ShareCombiner[S, Sig], shares []S) (Sig, []int, error) {
	type indexed struct {
		signer int
		share  S
	}
	var valid []indexed
	seen := map[int]bool{}
	for _, s := range shares {
		i, ok := c.Signer(s)
		if !ok || i < 0 || i >= c.Receivers || seen[i] {
			continue
		}
		seen[i] = true
		valid = append(valid, indexed{i, s})
	}
	slices.SortFunc(valid, func(a, b indexed) int { return a.signer - b.signer })
	pick := func(v []indexed) []S {
		out := make([]S, c.Threshold)
		for j := range out {
			out[j] = v[j].share
		}
		return out
	}
	if len(valid) >= c.Threshold {
		if sig, err := c.Combine(pick(valid)); err == nil {
			return sig, nil, nil
		}
	}
	var good []indexed
	var culprits []int
	for _, s := range valid {
		if c.Verify(s.share) != nil {
			culprits = append(culprits, s.signer)
			continue
		}
		good = append(good, s)
	}
	var zero Sig
	if len(good) < c.Threshold {
		return zero, culprits, fmt.Errorf("%d valid signature shares, need %d", len(good), c.Threshold)
	}
	sig, err := c.Combine(pick(good))
	return sig, culprits, err
}
