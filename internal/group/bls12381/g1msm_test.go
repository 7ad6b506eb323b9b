package bls12381

import (
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	blst "github.com/supranational/blst/bindings/go"

	"github.com/chainkey/chainkey/internal/group"
)

func TestG1GLVConstants(t *testing.T) {
	// φ(G) = (ω·x, y) must equal λ·G, and λ² + λ + 1 = r.
	g, _, _, _ := bls.Generators()
	var want bls.G1Jac
	want.ScalarMultiplication(&g, g1Lambda)
	var phi bls.G1Affine
	a := G1Point{p: g}
	ga := a.Affine()
	phi.X.Mul(&ga.X, &g1Omega)
	phi.Y = ga.Y
	var pj bls.G1Jac
	pj.FromAffine(&phi)
	if !pj.Equal(&want) {
		t.Fatal("φ(G) ≠ λ·G")
	}
	l2 := new(big.Int).Mul(g1Lambda, g1Lambda)
	l2.Add(l2, g1Lambda).Add(l2, big.NewInt(1))
	if l2.Cmp(order()) != 0 {
		t.Fatal("λ² + λ + 1 ≠ r")
	}
}

// TestG1MultiScalarMultEdges compares the GLV–Straus MultiScalarMult with
// gnark's MultiExp on edge scalars (0, 1, λ−1, λ, λ+1, r−1, 2^128, …),
// opposite, repeated and identity points.
func TestG1MultiScalarMultEdges(t *testing.T) {
	g := G1()
	r := order()
	one := big.NewInt(1)
	vals := []*big.Int{
		big.NewInt(0), one, big.NewInt(2), new(big.Int).Sub(g1Lambda, one), g1Lambda,
		new(big.Int).Add(g1Lambda, one), new(big.Int).Sub(r, one), new(big.Int).Lsh(one, 128),
		new(big.Int).Mul(g1Lambda, g1Lambda), new(big.Int).Sub(r, g1Lambda), new(big.Int).Rsh(r, 1),
	}
	for range 40 {
		v, _ := rand.Int(rand.Reader, r)
		vals = append(vals, v)
	}
	for start := 0; start < len(vals); start += 9 {
		end := min(start+9, len(vals))
		var scalars []group.Scalar
		var points []group.Point
		for i, v := range vals[start:end] {
			var p group.Point
			switch i {
			case 1:
				p = g.NewPoint().Neg(points[0])
			case 2:
				p = points[0]
			case 3:
				p = g.NewPoint()
			default:
				s, _ := randomScalar(rand.Reader)
				p = g.NewPoint().ScalarBaseMult(s)
			}
			scalars, points = append(scalars, g.ScalarFromBigInt(v)), append(points, p)
		}
		got, err := g.MultiScalarMult(scalars, points)
		if err != nil {
			t.Fatal(err)
		}
		aff := make([]bls.G1Affine, len(points))
		ss := make([]fr.Element, len(points))
		for i := range points {
			aff[i] = toG1(points[i]).Affine()
			ss[i] = toScalar(scalars[i]).Fr()
		}
		var want bls.G1Jac
		if _, err := want.MultiExp(aff, ss, ecc.MultiExpConfig{NbTasks: 1}); err != nil {
			t.Fatal(err)
		}
		if !toG1(got).p.Equal(&want) {
			t.Fatalf("MultiScalarMult of values %d..%d differs from gnark's MultiExp", start, end)
		}
	}
	// k·P + (r−k)·P is the identity.
	s, _ := randomScalar(rand.Reader)
	p := g.NewPoint().ScalarBaseMult(s)
	got, _ := g.MultiScalarMult([]group.Scalar{s, g.NewScalar().Neg(s)}, []group.Point{p, p})
	if !got.IsIdentity() {
		t.Fatal("k·P − k·P is not the identity")
	}
}

// gnarkDecodeG1 is the strict decoder on gnark's own decompression, which
// DecodeG1 must agree with.
func gnarkDecodeG1(b []byte) (*bls.G1Affine, bool) {
	if len(b) != G1PointLen || checkFlags(b) != nil || !canonicalFp(b[:48], true) {
		return nil, false
	}
	var a bls.G1Affine
	if _, err := a.SetBytes(b); err != nil || a.IsInfinity() {
		return nil, false
	}
	if enc := a.Bytes(); string(enc[:]) != string(b) {
		return nil, false
	}
	return &a, true
}

// TestDecodeG1AgainstGnark compares DecodeG1 (blst decompression, gnark
// subgroup check) with gnark's SetBytes on valid points, flipped sort
// flags, random x (on and off the curve, mostly outside the subgroup) and
// the negative cases.
func TestDecodeG1AgainstGnark(t *testing.T) {
	var inputs [][]byte
	for _, c := range g1Negatives(t) {
		inputs = append(inputs, c.enc)
	}
	for range 100 {
		s, _ := randomScalar(rand.Reader)
		b := new(G1Point).ScalarBaseMult(s).Bytes()
		flipped := append([]byte{}, b...)
		flipped[0] ^= flagSort
		x := make([]byte, 48)
		rand.Read(x)
		x[0] = x[0]&0x1f | flagCompressed
		inputs = append(inputs, b, flipped, x)
	}
	accepted, onCurve := 0, 0
	for _, in := range inputs {
		p, err := DecodeG1(in)
		a, ok := gnarkDecodeG1(in)
		if (err == nil) != ok {
			t.Fatalf("%x: DecodeG1 error %v, gnark accepts %v", in, err, ok)
		}
		if ok {
			accepted++
			if pa := p.Affine(); !pa.Equal(a) {
				t.Fatalf("%x: decoders disagree", in)
			}
		}
		if new(blst.P1Affine).Uncompress(in) != nil {
			onCurve++
		}
	}
	if accepted < 200 || onCurve <= accepted {
		t.Fatalf("weak test: %d accepted, %d on the curve", accepted, onCurve)
	}
}
