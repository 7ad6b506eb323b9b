package idkg_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/ed25519"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
)

// TestReshareToNewCommittee reshares an unmasked key transcript the way
// a membership change does, from n old holders to a committee of another
// size and threshold, with a lying old holder: 4 → 5 (a node joins) and
// 5 → 4 (a node leaves). The public key never changes, every new share
// matches the transcript, and a share the removed node kept does not
// combine with the new committee's shares.
func TestReshareToNewCommittee(t *testing.T) {
	for _, g := range []group.Group{secp256k1.Group(), ed25519.Group()} {
		t.Run(g.Name(), func(t *testing.T) {
			nw4 := network(t, g, 4, 41)
			masked, err := nw4.Run([]byte("key-masked"), idkg.NewRandom(4), nil)
			if err != nil {
				t.Fatal(err)
			}
			key4, err := nw4.Run([]byte("key"), idkg.NewReshareOfMasked(masked.Transcript), idkgtest.PerDealer(masked.Openings))
			if err != nil {
				t.Fatal(err)
			}
			pk, _ := key4.Transcript.PublicValue()

			// 4 → 5, old holder 3 sends one receiver a bad opening.
			nw5 := network(t, g, 5, 51)
			nw5.Nodes[3].Fault = idkgtest.BadOpening
			key5, err := nw5.Run([]byte("key-5"), idkg.NewReshareOfUnmasked(key4.Transcript), perDealerUpTo(4, key4.Openings))
			if err != nil {
				t.Fatal(err)
			}
			checkReshared(t, g, key5, pk, 5)
			if !slices.Contains(key5.Culprits, 3) {
				t.Fatalf("culprits %v, want 3 among them", key5.Culprits)
			}

			// 5 → 4: node 1 leaves; the old holders deal under their old
			// indices to the new committee (re-indexed 0..3; the harness
			// lets old holders 0..3 deal, as many as the old threshold
			// needs and more).
			nw4b := network(t, g, 4, 42)
			key4b, err := nw4b.Run([]byte("key-4b"), idkg.NewReshareOfUnmasked(key5.Transcript), perDealerUpTo(5, key5.Openings))
			if err != nil {
				t.Fatal(err)
			}
			checkReshared(t, g, key4b, pk, 4)
			// The removed node's share at slot s in place of a new one
			// interpolates to another value.
			x := interpolate(t, g, key4b.Openings[:key4b.Transcript.Threshold])
			old := key5.Openings[1]
			for s := range key4b.Transcript.Threshold {
				mixed := slices.Clone(key4b.Openings[:key4b.Transcript.Threshold])
				mixed[s] = old
				if interpolate(t, g, mixed).Equal(x) {
					t.Fatalf("the removed node's share combined at slot %d", s)
				}
			}
		})
	}
}

// perDealerUpTo gives dealer d its opening of the input for d < n (the old
// committee) and nothing to the others.
func perDealerUpTo(n int, openings []*idkg.Opening) func(int) []*idkg.Opening {
	return func(d int) []*idkg.Opening {
		if d >= n {
			return nil
		}
		return []*idkg.Opening{openings[d]}
	}
}

func interpolate(t *testing.T, g group.Group, os []*idkg.Opening) group.Scalar {
	t.Helper()
	idx := make([]int, len(os))
	ys := make([]group.Scalar, len(os))
	for i, o := range os {
		idx[i], ys[i] = i, o.Value
	}
	v, err := poly.InterpolateScalar(g, idx, ys)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func checkReshared(t *testing.T, g group.Group, r *idkgtest.Result, pk group.Point, n int) {
	t.Helper()
	if r.Transcript.Receivers != n || r.Transcript.Threshold != (n-1)/3+1 {
		t.Fatalf("transcript for %d receivers, threshold %d", r.Transcript.Receivers, r.Transcript.Threshold)
	}
	got, err := r.Transcript.PublicValue()
	if err != nil || !got.Equal(pk) {
		t.Fatal("resharing changed the public key")
	}
	for i, o := range r.Openings {
		if err := r.Transcript.VerifyOpening(i, o); err != nil {
			t.Fatalf("share %d: %v", i, err)
		}
	}
	if !g.NewPoint().ScalarBaseMult(interpolate(t, g, r.Openings[:r.Transcript.Threshold])).Equal(pk) {
		t.Fatal("the new shares do not reconstruct the key")
	}
}

// BenchmarkReshareToNewCommittee measures resharing an unmasked
// secp256k1 key from n holders to n+1 in one process (idkgtest.RunPlain:
// every old holder's dealing, the transcript and every new holder's
// share; no encryption or signatures).
func BenchmarkReshareToNewCommittee(b *testing.B) {
	g := secp256k1.Group()
	for _, n := range []int{4, 13} {
		b.Run(fmt.Sprintf("%dto%d", n, n+1), func(b *testing.B) {
			cfg, _ := idkg.NewConfig(g, n)
			key := idkgtest.MustRunPlain(cfg, []byte("k"), idkg.NewRandomUnmasked(n), nil, idkgtest.Seeded(1))
			next, _ := idkg.NewConfig(g, n+1)
			op := idkg.NewReshareOfUnmasked(key.Transcript)
			rng := idkgtest.Seeded(2)
			b.ResetTimer()
			for b.Loop() {
				if _, err := idkgtest.RunPlain(next, []byte("k2"), op, idkgtest.PerDealer(key.Openings), rng); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
