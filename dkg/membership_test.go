package dkg_test

import (
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group/bls12381"
)

// subCommittee returns the members of c at the given indices, in that
// order (a committee after nodes left, or with nodes joined from another).
func subCommittee(parts ...struct {
	c   *committee
	idx []int
}) *committee {
	out := &committee{}
	for _, p := range parts {
		for _, i := range p.idx {
			out.signs = append(out.signs, p.c.signs[i])
			out.encs = append(out.encs, p.c.encs[i])
			out.pubs = append(out.pubs, p.c.pubs[i])
			out.infos = append(out.infos, p.c.infos[i])
		}
	}
	return out
}

type part = struct {
	c   *committee
	idx []int
}

// TestMembershipResharing reshares a key the way a membership change
// does: the old committee deals to a new one that keeps most old nodes
// (under new indices), adds a node or drops one, with the new n−f
// threshold and a lying old holder. The public key stays the same, every
// new share is consistent, and the share a removed node kept does not
// combine with the new committee's shares.
func TestMembershipResharing(t *testing.T) {
	g := bls12381.G2()
	rng := setDeterministic(t, 7)
	genesis := newCommittee(t, 4, rng)
	cfg := sessionConfig(g, "epoch-0", genesis, genesis, dkg.HighThreshold(4), nil)
	res := simulate(t, cfg, genesis, genesis, nil, nil, nil, rng)
	checkShares(t, g, res)

	// Add a fifth node: dealers are the 4 old nodes, receivers old+new.
	joiner := newCommittee(t, 1, rng)
	five := subCommittee(part{genesis, []int{0, 1, 2, 3}}, part{joiner, []int{0}})
	cfg5 := sessionConfig(g, "epoch-1", genesis, five, dkg.HighThreshold(5), res.transcript.PublicPolynomial())
	res5 := simulate(t, cfg5, genesis, five, map[int]behaviour{2: advBadShare}, nil, res.shares, rng)
	checkAdversaries(t, res5, map[int]behaviour{2: advBadShare}, nil)
	checkShares(t, g, res5)
	if !res5.transcript.PublicKey().Equal(res.transcript.PublicKey()) {
		t.Fatal("adding a node changed the public key")
	}
	if _, ok := res5.shares[4]; !ok {
		t.Fatal("the new node has no share")
	}
	if res5.transcript.Threshold() != dkg.HighThreshold(5) {
		t.Fatalf("threshold %d, want %d", res5.transcript.Threshold(), dkg.HighThreshold(5))
	}

	// Remove node 1 of five: the remaining four are re-indexed 0..3.
	keep := []int{0, 2, 3, 4}
	four := subCommittee(part{five, keep})
	cfg4 := sessionConfig(g, "epoch-2", five, four, dkg.HighThreshold(4), res5.transcript.PublicPolynomial())
	liar := map[int]behaviour{3: advWrongOpening}
	res4 := simulate(t, cfg4, five, four, liar, nil, res5.shares, rng)
	checkAdversaries(t, res4, liar, nil)
	checkShares(t, g, res4)
	if !res4.transcript.PublicKey().Equal(res.transcript.PublicKey()) {
		t.Fatal("removing a node changed the public key")
	}
	// The removed node's epoch-1 share, put in place of any new share,
	// no longer interpolates to the key.
	removed := res5.shares[1]
	for slot := range res4.shares {
		mixed := &simResult{transcript: res4.transcript, shares: map[int]*dkg.SecretShare{}}
		for i, s := range res4.shares {
			mixed.shares[i] = s
		}
		mixed.shares[slot] = removed
		if shareError(g, mixed) == nil {
			t.Fatalf("the removed node's old share combined with the new shares at slot %d", slot)
		}
	}
}

// BenchmarkMembershipReshare measures one node's CPU for the resharing a
// membership change makes (n → n+1, G2, new n−f threshold).
func BenchmarkMembershipReshare(b *testing.B) {
	for _, n := range []int{4, 13} {
		b.Run(fmt.Sprintf("%dto%d", n, n+1), func(b *testing.B) {
			g := bls12381.G2()
			rng := testRNG(12)
			old := getSetup(b, benchGroups[0], n)
			sess, _ := dkg.NewSession(old.cfg)
			for _, e := range old.envs {
				_ = sess.AddDealing(1, e)
			}
			tr, err := sess.Transcript(3)
			if err != nil {
				b.Fatal(err)
			}
			shares := map[int]*dkg.SecretShare{}
			for i := range n {
				r, _ := dkg.NewReceiver(old.cfg, i, old.c.signs[i], old.c.encs[i])
				_, _ = r.VerifyDealings(sess)
				if shares[i], err = r.SecretShare(sess, tr); err != nil {
					b.Fatal(err)
				}
			}
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			next := subCommittee(part{old.c, all}, part{newCommittee(b, 1, rng), []int{0}})
			cfg := sessionConfig(g, "bench-membership", old.c, next, dkg.HighThreshold(n+1), tr.PublicPolynomial())
			var envs []*dkg.Envelope
			for j := range n {
				d, _ := dkg.NewDealer(cfg, j, old.c.signs[j])
				env, err := d.Deal(shares[j].Value(), rng)
				if err != nil {
					b.Fatal(err)
				}
				envs = append(envs, env)
			}
			loop(b, func() { perNode(b, cfg, next, old.c.signs, envs, shares[0], 1) })
		})
	}
}
