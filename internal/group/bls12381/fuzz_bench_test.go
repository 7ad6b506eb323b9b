package bls12381

import (
	"bytes"
	"testing"

	blst "github.com/supranational/blst/bindings/go"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/grouptest"
)

// FuzzDecodePoint feeds every input to both DecodeG1 and DecodeG2. Besides
// the generic properties (no panic; a decoded point is not the identity and
// re-encodes to the input), the result must agree with blst's decoder.
func FuzzDecodePoint(f *testing.F) {
	var seeds [][]byte
	for _, c := range g1Negatives(f) {
		seeds = append(seeds, c.enc)
	}
	for _, c := range g2Negatives(f) {
		seeds = append(seeds, c.enc)
	}
	for i := 0; i < 4; i++ {
		seeds = append(seeds, grouptest.RandomPoint(f, G2()).Bytes())
	}
	seeds = append(seeds, G2().Generator().Bytes(), NewG2Point().Bytes())
	check := func(t *testing.T, data []byte, p group.Point, err error) {
		a, ok := blstAcceptsG1(data)
		if (err == nil) != ok {
			t.Fatalf("G1 %x: DecodeG1 error %v, blst accepts %v", data, err, ok)
		}
		if ok && !bytes.Equal(a.Compress(), p.Bytes()) {
			t.Fatalf("G1 %x: decoders disagree", data)
		}
		p2, err := DecodeG2(data)
		a2, ok := blstAcceptsG2(data)
		if (err == nil) != ok {
			t.Fatalf("G2 %x: DecodeG2 error %v, blst accepts %v", data, err, ok)
		}
		if err == nil {
			if p2.IsIdentity() || !bytes.Equal(p2.Bytes(), data) || !bytes.Equal(a2.Compress(), data) {
				t.Fatalf("G2 %x: bad decode", data)
			}
		}
	}
	grouptest.FuzzDecodePoint(f, G1(), seeds, check)
}

func BenchmarkScalarBaseMult(b *testing.B) {
	b.Run("g1", func(b *testing.B) { grouptest.BenchScalarBaseMult(b, G1()) })
	b.Run("g2", func(b *testing.B) { grouptest.BenchScalarBaseMult(b, G2()) })
}

func BenchmarkScalarMult(b *testing.B) {
	b.Run("g1", func(b *testing.B) { grouptest.BenchScalarMult(b, G1()) })
	b.Run("g2", func(b *testing.B) { grouptest.BenchScalarMult(b, G2()) })
}

func BenchmarkVarTimeScalarMult(b *testing.B) {
	b.Run("g1", func(b *testing.B) { grouptest.BenchVarTimeScalarMult(b, G1()) })
	b.Run("g2", func(b *testing.B) { grouptest.BenchVarTimeScalarMult(b, G2()) })
}

func BenchmarkMultiScalarMult(b *testing.B) {
	b.Run("g1", func(b *testing.B) { grouptest.BenchMultiScalarMult(b, G1()) })
	b.Run("g2", func(b *testing.B) { grouptest.BenchMultiScalarMult(b, G2()) })
}

func BenchmarkDecodePoint(b *testing.B) {
	b.Run("g1", func(b *testing.B) { grouptest.BenchDecodePoint(b, G1()) })
	b.Run("g2", func(b *testing.B) { grouptest.BenchDecodePoint(b, G2()) })
}

func BenchmarkHashToG1(b *testing.B) {
	msg := make([]byte, 32)
	dst := []byte("BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_")
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if _, err := HashToG1(msg, dst); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPairingCheck2 measures a two-pair check, the cost of verifying
// one BLS signature: e(sig, G2) · e(−H(m), pk) = 1.
func BenchmarkPairingCheck2(b *testing.B) {
	sk := grouptest.RandomScalar(b, G1())
	pk := NewG2Point().ScalarBaseMult(sk)
	h, _ := HashToG1([]byte("message"), []byte("DST"))
	sig := NewG1Point().ScalarMult(sk, h)
	g1s := []group.Point{sig, NewG1Point().Neg(h)}
	g2s := []group.Point{G2().Generator(), pk}
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		ok, err := PairingCheck(g1s, g2s)
		if err != nil || !ok {
			b.Fatal("pairing check failed")
		}
	}
}

// BenchmarkScalarMul measures one scalar multiplication through blst (cgo).
func BenchmarkScalarMul(b *testing.B) {
	x, y := grouptest.RandomScalar(b, G1()), grouptest.RandomScalar(b, G1())
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		x.Mul(x, y)
	}
}

// BenchmarkBlstMult measures blst's own multiplication of an affine point,
// without the conversions to and from gnark that ScalarMult adds.
func BenchmarkBlstMult(b *testing.B) {
	s := grouptest.RandomScalar(b, G1()).(*Scalar)
	b.Run("g1", func(b *testing.B) {
		q := g1ToBlst(&grouptest.RandomPoint(b, G1()).(*G1Point).p)
		var r blst.P1
		defer grouptest.ReportCPU(b)()
		for b.Loop() {
			r.FromAffine(q)
			r.MultAssign(s.le[:], 255)
		}
	})
	b.Run("g2", func(b *testing.B) {
		q := g2ToBlst(&grouptest.RandomPoint(b, G2()).(*G2Point).p)
		var r blst.P2
		defer grouptest.ReportCPU(b)()
		for b.Loop() {
			r.FromAffine(q)
			r.MultAssign(s.le[:], 255)
		}
	})
}

// BenchmarkAdd measures one point addition in Jacobian coordinates (gnark),
// the step of every sum of public points.
func BenchmarkAdd(b *testing.B) {
	for _, g := range []group.Group{G1(), G2()} {
		b.Run(g.Name()[len("bls12381-"):], func(b *testing.B) {
			p, q := grouptest.RandomPoint(b, g), grouptest.RandomPoint(b, g)
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				p.Add(p, q)
			}
		})
	}
}
