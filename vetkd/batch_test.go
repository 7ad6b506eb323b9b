package vetkd_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"slices"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/vetkd"
)

// TestBatchVerifyShares: the batch check names exactly the shares that
// VerifyShare refuses, whichever and however many are bad: shares for
// another input, another node's share, shares with one point swapped,
// malformed bytes, and two bad shares whose errors cancel in a sum.
func TestBatchVerifyShares(t *testing.T) {
	s := newSubnet(t, 7)
	tsk, _ := vetkd.GenerateTransportSecretKey(rand.Reader)
	req := &vetkd.Request{CanisterID: canister, Context: []byte("c"), Input: []byte("in"), TransportPublicKey: tsk.PublicKey().Bytes()}
	d := newDerivation(t, s.pc, req)
	other := newDerivation(t, s.pc, &vetkd.Request{CanisterID: canister, Context: req.Context, Input: []byte("other"),
		TransportPublicKey: req.TransportPublicKey})
	honest := s.encShares(t, d, all(7))
	for name, c := range map[string]struct {
		spoil func(map[int][]byte)
		bad   []int
	}{
		"all valid":     {func(map[int][]byte) {}, nil},
		"other input":   {func(m map[int][]byte) { m[3], _ = other.CreateShare(rand.Reader, s.shares[3]) }, []int{3}},
		"swapped share": {func(m map[int][]byte) { m[0], m[1] = m[1], m[0] }, []int{0, 1}},
		"C3 replaced":   {func(m map[int][]byte) { m[6] = slices.Clone(m[6]); copy(m[6][144:], m[6][:48]) }, []int{6}},
		"malformed":     {func(m map[int][]byte) { m[2] = m[2][:100] }, []int{2}},
		"out of range":  {func(m map[int][]byte) { m[-1] = m[0] }, []int{-1}},
		// Node 4 adds X to C3 and node 5 subtracts it: the plain sum of
		// the two checks would balance, the weighted one does not.
		"cancelling pair": {func(m map[int][]byte) {
			x, _ := d.CreateShare(rand.Reader, s.shares[0])
			a, b := slices.Clone(m[4]), slices.Clone(m[5])
			m[4], m[5] = addC3(t, a, x[:48]), subC3(t, b, x[:48])
		}, []int{4, 5}},
	} {
		t.Run(name, func(t *testing.T) {
			m := map[int][]byte{}
			for i, sh := range honest {
				m[i] = sh
			}
			c.spoil(m)
			got := d.BatchVerifyShares(m)
			if !slices.Equal(got, c.bad) {
				t.Fatalf("bad %v, want %v", got, c.bad)
			}
			for i, sh := range m {
				if (d.VerifyShare(i, sh) != nil) != slices.Contains(c.bad, i) {
					t.Fatalf("node %d: VerifyShare disagrees", i)
				}
			}
		})
	}
}

// addC3 and subC3 return share with C3 + p and C3 − p.
func addC3(t *testing.T, share, p []byte) []byte { return c3op(t, share, p, false) }
func subC3(t *testing.T, share, p []byte) []byte { return c3op(t, share, p, true) }

func c3op(t *testing.T, share, p []byte, neg bool) []byte {
	t.Helper()
	g := g1Point(t, share[144:])
	q := g1Point(t, p)
	if neg {
		q = q.Neg(q)
	}
	g.Add(g, q)
	out := slices.Clone(share)
	copy(out[144:], g.Bytes())
	if bytes.Equal(out, share) {
		t.Fatal("no change")
	}
	return out
}

func g1Point(t *testing.T, b []byte) group.Point {
	t.Helper()
	p, err := bls12381.G1().DecodePoint(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BenchmarkBatchVerifyShares checks n valid shares in one batch, and for
// comparison one by one with VerifyShare.
func BenchmarkBatchVerifyShares(b *testing.B) {
	for _, n := range []int{4, 13, 34} {
		s := newSubnet(b, n)
		tsk, _ := vetkd.GenerateTransportSecretKey(rand.Reader)
		d := newDerivation(b, s.pc, &vetkd.Request{CanisterID: canister, Input: []byte("in"), TransportPublicKey: tsk.PublicKey().Bytes()})
		m := s.encShares(b, d, all(n))
		b.Run(fmt.Sprintf("batch/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				if bad := d.BatchVerifyShares(m); len(bad) != 0 {
					b.Fatal(bad)
				}
			}
		})
		b.Run(fmt.Sprintf("each/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				for i, sh := range m {
					if d.VerifyShare(i, sh) != nil {
						b.Fatal(i)
					}
				}
			}
		})
	}
}
