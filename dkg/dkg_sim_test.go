package dkg_test

import (
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/internal/group/ed25519"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

type scenario struct {
	name      string
	n         int
	dealerB   map[int]behaviour
	receiverB map[int]behaviour
}

// scenarios put up to f Byzantine nodes at once, covering every adversary.
func scenarios() []scenario {
	return []scenario{
		{"n=4/honest", 4, nil, nil},
		{"n=4/bad-share", 4, map[int]behaviour{1: advBadShare}, nil},
		{"n=4/commit-mismatch", 4, map[int]behaviour{0: advCommitMismatch}, nil},
		{"n=4/equivocate", 4, map[int]behaviour{3: advEquivocate}, nil},
		{"n=4/silent", 4, map[int]behaviour{2: advSilent}, nil},
		{"n=4/ignore-complaint", 4, map[int]behaviour{1: advIgnoreComplaint}, nil},
		{"n=4/wrong-opening", 4, map[int]behaviour{2: advWrongOpening}, nil},
		{"n=4/bad-pok", 4, map[int]behaviour{0: advBadPoK}, nil},
		{"n=4/false-complaint", 4, nil, map[int]behaviour{3: advFalseComplaint}},
		{"n=7/bad-share+equivocate", 7, map[int]behaviour{1: advBadShare, 5: advEquivocate}, nil},
		{"n=7/commit-mismatch+silent", 7, map[int]behaviour{0: advCommitMismatch, 6: advSilent}, nil},
		{"n=7/ignore+wrong-opening", 7, map[int]behaviour{2: advIgnoreComplaint, 4: advWrongOpening}, nil},
		{"n=7/bad-pok+false-complaint", 7, map[int]behaviour{3: advBadPoK}, map[int]behaviour{6: advFalseComplaint}},
	}
}

// TestSimulationDKG runs the Byzantine scenarios with both thresholds.
func TestSimulationDKG(t *testing.T) {
	for _, sc := range scenarios() {
		for _, high := range []bool{true, false} {
			name := sc.name + "/low"
			th := dkg.LowThreshold(sc.n)
			if high {
				name, th = sc.name+"/high", dkg.HighThreshold(sc.n)
			}
			t.Run(name, func(t *testing.T) {
				g := bls12381.G2()
				rng := setDeterministic(t, 1)
				c := newCommittee(t, sc.n, rng)
				cfg := sessionConfig(g, "sim/"+name, c, c, th, nil)
				res := simulate(t, cfg, c, c, sc.dealerB, sc.receiverB, nil, rng)
				checkAdversaries(t, res, sc.dealerB, sc.receiverB)
				checkShares(t, g, res)
				if got, want := len(res.transcript.Dealers()), cfg.RequiredDealings(); got != want {
					t.Fatalf("transcript has %d dealings, want %d", got, want)
				}
			})
		}
	}
}

// TestSimulationGroups runs a DKG with adversaries on every group.
func TestSimulationGroups(t *testing.T) {
	for _, g := range []group.Group{ed25519.Group(), secp256k1.Group(), bls12381.G1(), bls12381.G2()} {
		t.Run(g.Name(), func(t *testing.T) {
			rng := setDeterministic(t, 2)
			c := newCommittee(t, 7, rng)
			db := map[int]behaviour{0: advBadShare}
			rb := map[int]behaviour{3: advFalseComplaint}
			cfg := sessionConfig(g, "groups", c, c, dkg.LowThreshold(7), nil)
			res := simulate(t, cfg, c, c, db, rb, nil, rng)
			checkAdversaries(t, res, db, rb)
			checkShares(t, g, res)
		})
	}
}

// TestSimulationDeterministic checks that the same seed gives the same
// transcript bytes.
func TestSimulationDeterministic(t *testing.T) {
	run := func() []byte {
		var out []byte
		t.Run("run", func(t *testing.T) {
			rng := setDeterministic(t, 3)
			c := newCommittee(t, 4, rng)
			cfg := sessionConfig(secp256k1.Group(), "det", c, c, 2, nil)
			res := simulate(t, cfg, c, c, map[int]behaviour{2: advWrongOpening}, nil, nil, rng)
			out, _ = res.transcript.MarshalBinary()
		})
		return out
	}
	a, b := run(), run()
	if a == nil || string(a) != string(b) {
		t.Fatal("same seed, different transcripts")
	}
}

// TestSimulationResharing reshares 4→4, 4→7 and 7→4 with new thresholds
// and Byzantine old holders; the public key must stay bit-for-bit the same.
func TestSimulationResharing(t *testing.T) {
	cases := []struct {
		from, to, tFrom, tTo int
		dealerB              map[int]behaviour
	}{
		{4, 4, 3, 3, map[int]behaviour{1: advBadShare}},
		{4, 7, 3, 5, map[int]behaviour{0: advEquivocate}},
		{7, 4, 5, 2, map[int]behaviour{2: advBadPoK, 6: advIgnoreComplaint}},
		{7, 7, 3, 5, map[int]behaviour{4: advCommitMismatch, 5: advSilent}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%dto%d", tc.from, tc.to), func(t *testing.T) {
			g := bls12381.G2()
			rng := setDeterministic(t, 4)
			old := newCommittee(t, tc.from, rng)
			cfg := sessionConfig(g, "epoch-1", old, old, tc.tFrom, nil)
			res := simulate(t, cfg, old, old, nil, nil, nil, rng)
			checkShares(t, g, res)

			// Every old holder (Byzantine ones included) holds its share.
			next := newCommittee(t, tc.to, rng)
			if tc.from == tc.to {
				next = old // refresh within the same committee
			}
			cfg2 := sessionConfig(g, "epoch-2", old, next, tc.tTo, res.transcript.PublicPolynomial())
			res2 := simulate(t, cfg2, old, next, tc.dealerB, nil, res.shares, rng)
			checkAdversaries(t, res2, tc.dealerB, nil)
			checkShares(t, g, res2)
			if string(res2.transcript.PublicKey().Bytes()) != string(res.transcript.PublicKey().Bytes()) {
				t.Fatal("resharing changed the public key")
			}
			// Old shares are useless with the new ones: swapping one new share
			// for the old share of the same index interpolates to another key.
			if tc.from == tc.to {
				mixed := &simResult{transcript: res2.transcript, shares: map[int]*dkg.SecretShare{}}
				for i, s := range res2.shares {
					mixed.shares[i] = s
				}
				for i := range mixed.shares {
					mixed.shares[i] = res.shares[i]
					break
				}
				if shareError(g, mixed) == nil {
					t.Fatal("an old share combined with new shares")
				}
			}
			if res2.transcript.Threshold() != tc.tTo {
				t.Fatalf("threshold %d, want %d", res2.transcript.Threshold(), tc.tTo)
			}
		})
	}
}
