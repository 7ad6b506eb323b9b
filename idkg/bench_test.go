package idkg

import (
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// Raw curve references, measured in the same run as the protocol figures.
func BenchmarkSecp256k1ScalarBaseMult(b *testing.B) {
	g := secp256k1.Group()
	s := mustRandom(b, g, testRand(1))
	p := g.NewPoint()
	for b.Loop() {
		p.ScalarBaseMult(s)
	}
}

func BenchmarkSecp256k1ScalarMult(b *testing.B) {
	g := secp256k1.Group()
	s := mustRandom(b, g, testRand(1))
	h := PedersenGenerator(g)
	p := g.NewPoint()
	for b.Loop() {
		p.ScalarMult(s, h)
	}
}

func BenchmarkSecp256k1VarTimeScalarMult(b *testing.B) {
	g := secp256k1.Group()
	s := mustRandom(b, g, testRand(1))
	h := PedersenGenerator(g)
	p := g.NewPoint()
	for b.Loop() {
		p.VarTimeScalarMult(s, h)
	}
}

func BenchmarkSecp256k1MSM5(b *testing.B) {
	g := secp256k1.Group()
	r := testRand(2)
	var ss []group.Scalar
	var ps []group.Point
	for range 5 {
		ss = append(ss, mustRandom(b, g, r))
		ps = append(ps, g.NewPoint().ScalarBaseMult(mustRandom(b, g, r)))
	}
	for b.Loop() {
		if _, err := g.MultiScalarMult(ss, ps); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHPKESealOpen(b *testing.B) {
	g := secp256k1.Group()
	r := testRand(3)
	ek, err := dkg.GenerateEncryptionKey(r)
	if err != nil {
		b.Fatal(err)
	}
	ctx := &dkg.ShareContext{SessionID: []byte("s")}
	pl := dkg.SharePayload{Scalars: []group.Scalar{mustRandom(b, g, r), mustRandom(b, g, r)}}
	b.Run("seal", func(b *testing.B) {
		for b.Loop() {
			if _, err := dkg.EncryptShare(ek.PublicKey(), ctx, pl); err != nil {
				b.Fatal(err)
			}
		}
	})
	ct, _ := dkg.EncryptShare(ek.PublicKey(), ctx, pl)
	b.Run("open", func(b *testing.B) {
		for b.Loop() {
			if _, err := dkg.DecryptShare(ek, ctx, g, 2, ct); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkProveVerifyProduct(b *testing.B) {
	g := secp256k1.Group()
	r := testRand(4)
	h := PedersenGenerator(g)
	a, bb, rb, rc := mustRandom(b, g, r), mustRandom(b, g, r), mustRandom(b, g, r), mustRandom(b, g, r)
	A := g.NewPoint().ScalarBaseMult(a)
	B := g.NewPoint().Add(g.NewPoint().ScalarBaseMult(bb), g.NewPoint().ScalarMult(rb, h))
	C := g.NewPoint().Add(g.NewPoint().ScalarBaseMult(g.NewScalar().Mul(a, bb)), g.NewPoint().ScalarMult(rc, h))
	z := g.NewScalar().Sub(rc, g.NewScalar().Mul(a, rb))
	ctx := ProofContext{TranscriptID: []byte("b")}
	b.Run("prove", func(b *testing.B) {
		for b.Loop() {
			if _, err := ProveProduct(g, ctx, h, A, B, C, a, z, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	p, _ := ProveProduct(g, ctx, h, A, B, C, a, z, r)
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if err := VerifyProduct(g, ctx, h, A, B, C, p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSecp256k1VarTimeSmallScalar(b *testing.B) {
	g := secp256k1.Group()
	s := g.NewScalar().SetUint64(13)
	h := PedersenGenerator(g)
	p := g.NewPoint()
	for b.Loop() {
		p.VarTimeScalarMult(s, h)
	}
}
