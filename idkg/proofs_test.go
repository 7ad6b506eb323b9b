package idkg

import (
	"errors"
	mrand "math/rand/v2"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/ed25519"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

func testRand(seed byte) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return mrand.NewChaCha8(s)
}

func groups() []group.Group { return []group.Group{secp256k1.Group(), ed25519.Group()} }

func mustRandom(t testing.TB, g group.Group, r *mrand.ChaCha8) group.Scalar {
	s, err := g.RandomScalar(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPedersenGenerator(t *testing.T) {
	for _, g := range groups() {
		h := PedersenGenerator(g)
		if h.IsIdentity() || h.Equal(g.Generator()) {
			t.Fatalf("%s: degenerate H", g.Name())
		}
		if !PedersenGenerator(g).Equal(h) {
			t.Fatalf("%s: H not deterministic", g.Name())
		}
		if _, err := g.DecodePoint(h.Bytes()); err != nil {
			t.Fatalf("%s: H does not decode: %v", g.Name(), err)
		}
	}
}

func TestDLogEquality(t *testing.T) {
	for _, g := range groups() {
		r := testRand(1)
		x := mustRandom(t, g, r)
		g1 := g.Generator()
		g2 := PedersenGenerator(g)
		x1 := g.NewPoint().ScalarBaseMult(x)
		x2 := g.NewPoint().ScalarMult(x, g2)
		ctx := ProofContext{TranscriptID: []byte("tid"), Dealer: 3}
		p, err := ProveDLogEquality(g, ctx, g1, x1, g2, x2, x, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyDLogEquality(g, ctx, g1, x1, g2, x2, p); err != nil {
			t.Fatalf("%s: %v", g.Name(), err)
		}
		// Round trip through the strict encoding.
		p2, err := DecodeProof(g, p.Bytes(), 1)
		if err != nil || VerifyDLogEquality(g, ctx, g1, x1, g2, x2, p2) != nil {
			t.Fatalf("%s: decoded proof fails: %v", g.Name(), err)
		}
		// Wrong witness.
		bad, _ := ProveDLogEquality(g, ctx, g1, x1, g2, x2, mustRandom(t, g, r), r)
		mustFail(t, g.Name()+" wrong witness", VerifyDLogEquality(g, ctx, g1, x1, g2, x2, bad))
		// Statement that is not an equality of logs.
		x2b := g.NewPoint().Add(x2, g1)
		mustFail(t, g.Name()+" wrong statement", VerifyDLogEquality(g, ctx, g1, x1, g2, x2b, p))
		// Replays under another session or dealer.
		mustFail(t, g.Name()+" other session", VerifyDLogEquality(g, ProofContext{TranscriptID: []byte("tie"), Dealer: 3}, g1, x1, g2, x2, p))
		mustFail(t, g.Name()+" other dealer", VerifyDLogEquality(g, ProofContext{TranscriptID: []byte("tid"), Dealer: 4}, g1, x1, g2, x2, p))
		// Tampered response and challenge.
		tp := &Proof{Challenge: p.Challenge, Responses: []group.Scalar{g.NewScalar().Add(p.Responses[0], g.NewScalar().SetUint64(1))}}
		mustFail(t, g.Name()+" tampered response", VerifyDLogEquality(g, ctx, g1, x1, g2, x2, tp))
		tc := &Proof{Challenge: g.NewScalar().Add(p.Challenge, g.NewScalar().SetUint64(1)), Responses: p.Responses}
		mustFail(t, g.Name()+" tampered challenge", VerifyDLogEquality(g, ctx, g1, x1, g2, x2, tc))
		mustFail(t, g.Name()+" malformed", VerifyDLogEquality(g, ctx, g1, x1, g2, x2, &Proof{Challenge: p.Challenge}))
	}
}

func mustFail(t *testing.T, name string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: accepted", name)
	} else if !errors.Is(err, ErrInvalidProof) {
		t.Errorf("%s: unexpected error %v", name, err)
	}
}

func TestEqualOpenings(t *testing.T) {
	for _, g := range groups() {
		r := testRand(2)
		h := PedersenGenerator(g)
		v, m := mustRandom(t, g, r), mustRandom(t, g, r)
		ped := g.NewPoint().Add(g.NewPoint().ScalarBaseMult(v), g.NewPoint().ScalarMult(m, h))
		feld := g.NewPoint().ScalarBaseMult(v)
		ctx := ProofContext{TranscriptID: []byte("reshare"), Dealer: 1}
		p, err := ProveEqualOpenings(g, ctx, h, ped, feld, m, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyEqualOpenings(g, ctx, h, ped, feld, p); err != nil {
			t.Fatalf("%s: %v", g.Name(), err)
		}
		// A Feldman commitment to another value: no valid proof exists; the
		// honest mask does not work.
		other := g.NewPoint().ScalarBaseMult(mustRandom(t, g, r))
		p2, _ := ProveEqualOpenings(g, ctx, h, ped, other, m, r)
		mustFail(t, g.Name()+" different values", VerifyEqualOpenings(g, ctx, h, ped, other, p2))
		p3, _ := ProveEqualOpenings(g, ctx, h, ped, feld, mustRandom(t, g, r), r)
		mustFail(t, g.Name()+" wrong witness", VerifyEqualOpenings(g, ctx, h, ped, feld, p3))
		mustFail(t, g.Name()+" other session", VerifyEqualOpenings(g, ProofContext{TranscriptID: []byte("reshare2"), Dealer: 1}, h, ped, feld, p))
		mustFail(t, g.Name()+" other dealer", VerifyEqualOpenings(g, ProofContext{TranscriptID: []byte("reshare"), Dealer: 0}, h, ped, feld, p))
		b := p.Bytes()
		b[len(b)-1] ^= 1
		if tp, err := DecodeProof(g, b, 1); err == nil {
			mustFail(t, g.Name()+" tampered", VerifyEqualOpenings(g, ctx, h, ped, feld, tp))
		}
	}
}

func TestProduct(t *testing.T) {
	for _, g := range groups() {
		r := testRand(3)
		h := PedersenGenerator(g)
		a, b, rb, rc := mustRandom(t, g, r), mustRandom(t, g, r), mustRandom(t, g, r), mustRandom(t, g, r)
		A := g.NewPoint().ScalarBaseMult(a)
		B := g.NewPoint().Add(g.NewPoint().ScalarBaseMult(b), g.NewPoint().ScalarMult(rb, h))
		ab := g.NewScalar().Mul(a, b)
		C := g.NewPoint().Add(g.NewPoint().ScalarBaseMult(ab), g.NewPoint().ScalarMult(rc, h))
		z := g.NewScalar().Sub(rc, g.NewScalar().Mul(a, rb))
		ctx := ProofContext{TranscriptID: []byte("product"), Dealer: 2}
		p, err := ProveProduct(g, ctx, h, A, B, C, a, z, r)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyProduct(g, ctx, h, A, B, C, p); err != nil {
			t.Fatalf("%s: %v", g.Name(), err)
		}
		// C commits to a·b + 1: the proof with the same witness fails.
		C2 := g.NewPoint().Add(C, g.Generator())
		p2, _ := ProveProduct(g, ctx, h, A, B, C2, a, z, r)
		mustFail(t, g.Name()+" wrong product", VerifyProduct(g, ctx, h, A, B, C2, p2))
		p3, _ := ProveProduct(g, ctx, h, A, B, C, mustRandom(t, g, r), z, r)
		mustFail(t, g.Name()+" wrong witness", VerifyProduct(g, ctx, h, A, B, C, p3))
		mustFail(t, g.Name()+" other session", VerifyProduct(g, ProofContext{TranscriptID: []byte("product2"), Dealer: 2}, h, A, B, C, p))
		mustFail(t, g.Name()+" other dealer", VerifyProduct(g, ProofContext{TranscriptID: []byte("product"), Dealer: 1}, h, A, B, C, p))
		tp := &Proof{Challenge: p.Challenge, Responses: []group.Scalar{p.Responses[1], p.Responses[0]}}
		mustFail(t, g.Name()+" swapped responses", VerifyProduct(g, ctx, h, A, B, C, tp))
	}
}

func TestDecodeProofStrict(t *testing.T) {
	g := secp256k1.Group()
	good := make([]byte, 64)
	if _, err := DecodeProof(g, good, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeProof(g, good[:63], 1); err == nil {
		t.Error("truncated proof accepted")
	}
	if _, err := DecodeProof(g, append(good, 0), 1); err == nil {
		t.Error("oversized proof accepted")
	}
	over := make([]byte, 64)
	copy(over[32:], g.Order().Bytes()) // response = n: not canonical
	if _, err := DecodeProof(g, over, 1); err == nil {
		t.Error("out-of-range scalar accepted")
	}
}

func TestConfigRejects(t *testing.T) {
	g := secp256k1.Group()
	for _, c := range []struct{ n, t int }{{0, 1}, {4, 0}, {4, 5}, {-1, 1}} {
		if _, err := NewConfigWithThreshold(g, c.n, c.t); err == nil {
			t.Errorf("n=%d t=%d accepted", c.n, c.t)
		}
	}
	for n, want := range map[int]int{1: 1, 4: 2, 7: 3, 13: 5, 34: 12} {
		cfg, err := NewConfig(g, n)
		if err != nil || cfg.Threshold() != want || cfg.Faults() != want-1 {
			t.Errorf("n=%d: threshold %d, want %d (%v)", n, cfg.Threshold(), want, err)
		}
	}
}

func TestPublicBaseMult(t *testing.T) {
	for _, g := range groups() {
		s := mustRandom(t, g, testRand(9))
		if !PublicBaseMult(g, s).Equal(g.NewPoint().ScalarBaseMult(s)) {
			t.Fatalf("%s: PublicBaseMult differs", g.Name())
		}
	}
}
