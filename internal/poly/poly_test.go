package poly_test

import (
	"math/rand/v2"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/ed25519"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
)

// seeded is a deterministic randomness source for reproducible tests.
type seeded struct{ r *rand.ChaCha8 }

func (s seeded) Read(p []byte) (int, error) { return s.r.Read(p) }

func newRand(seed byte) seeded { return seeded{rand.NewChaCha8([32]byte{seed})} }

var groups = []group.Group{ed25519.Group(), secp256k1.Group()}

func TestInterpolationRecoversSecret(t *testing.T) {
	for _, g := range groups {
		t.Run(g.Name(), func(t *testing.T) {
			rnd := newRand(1)
			secret, _ := g.RandomScalar(rnd)
			p, err := poly.Random(g, 4, secret, rnd)
			if err != nil {
				t.Fatal(err)
			}
			c := p.Commit()
			if !c.Constant().Equal(g.NewPoint().ScalarBaseMult(secret)) {
				t.Fatal("commitment constant term is not secret*G")
			}
			// Any 5 of 9 shares recover the secret; 4 do not.
			indices := []int{8, 0, 3, 5, 7}
			ys := make([]group.Scalar, len(indices))
			pts := make([]group.Point, len(indices))
			for j, i := range indices {
				ys[j] = p.EvalAt(i)
				if !c.VerifyShare(i, ys[j]) {
					t.Fatalf("share %d does not verify against the commitment", i)
				}
				pts[j] = g.NewPoint().ScalarBaseMult(ys[j])
				if !pts[j].Equal(c.EvalAt(i)) {
					t.Fatalf("public share %d mismatch", i)
				}
			}
			got, err := poly.InterpolateScalar(g, indices, ys)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(secret) {
				t.Fatal("interpolation did not recover the secret")
			}
			gotPt, err := poly.InterpolatePoint(g, indices, pts)
			if err != nil {
				t.Fatal(err)
			}
			if !gotPt.Equal(c.Constant()) {
				t.Fatal("point interpolation did not recover the public key")
			}
			short, err := poly.InterpolateScalar(g, indices[:4], ys[:4])
			if err != nil {
				t.Fatal(err)
			}
			if short.Equal(secret) {
				t.Fatal("fewer than t shares recovered the secret")
			}
			// A wrong share fails the commitment check.
			bad := g.NewScalar().Add(ys[0], g.NewScalar().SetUint64(1))
			if c.VerifyShare(indices[0], bad) {
				t.Fatal("tampered share verified")
			}
		})
	}
}

func TestLagrangeRejectsBadIndices(t *testing.T) {
	g := ed25519.Group()
	for name, idx := range map[string][]int{
		"empty":     {},
		"duplicate": {1, 2, 1},
		"negative":  {0, -1},
		"too large": {0, poly.MaxIndex},
	} {
		if _, err := poly.LagrangeAtZero(g, idx); err == nil {
			t.Errorf("%s indices accepted", name)
		}
	}
	if _, err := poly.Index(g, -1); err == nil {
		t.Error("index -1 accepted")
	}
}

func TestCommitmentAddIsCommitmentToSum(t *testing.T) {
	g := secp256k1.Group()
	rnd := newRand(2)
	a, _ := poly.Random(g, 2, nil, rnd)
	b, _ := poly.Random(g, 3, nil, rnd)
	sum := a.Commit().Add(b.Commit())
	if sum.Len() != 4 {
		t.Fatalf("sum has %d coefficients, want 4", sum.Len())
	}
	for i := 0; i < 5; i++ {
		s := g.NewScalar().Add(a.EvalAt(i), b.EvalAt(i))
		if !sum.VerifyShare(i, s) {
			t.Fatalf("summed share %d does not verify", i)
		}
	}
	if sum.Equal(a.Commit()) || !sum.Equal(sum) {
		t.Fatal("Equal is wrong")
	}
}

func TestZeroize(t *testing.T) {
	g := ed25519.Group()
	p, _ := poly.Random(g, 3, nil, newRand(3))
	p.Zeroize()
	for k := 0; k <= p.Degree(); k++ {
		if !p.Coefficient(k).IsZero() {
			t.Fatalf("coefficient %d survived Zeroize", k)
		}
	}
}

func BenchmarkLagrangeAtZero(b *testing.B) {
	g := secp256k1.Group()
	idx := make([]int, 23)
	for i := range idx {
		idx[i] = i * 2
	}
	for b.Loop() {
		if _, err := poly.LagrangeAtZero(g, idx); err != nil {
			b.Fatal(err)
		}
	}
}
