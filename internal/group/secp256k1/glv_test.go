package secp256k1

import (
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/chainkey/chainkey/internal/group"
)

// glvEdgeScalars returns scalars that stress the GLV split: 0, 1, 2, n−1,
// n−2, ⌊n/2⌋, ⌊n/2⌋+1, λ, −λ, λ±1, 2^128, 2^128−1, 2^255 and random ones.
func glvEdgeScalars(t *testing.T) []*secp256k1.ModNScalar {
	t.Helper()
	n := Group().Order()
	lb := endoLambda.Bytes()
	lam := new(big.Int).SetBytes(lb[:])
	half := new(big.Int).Rsh(n, 1)
	one := big.NewInt(1)
	vals := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2),
		new(big.Int).Sub(n, one), new(big.Int).Sub(n, big.NewInt(2)),
		half, new(big.Int).Add(half, one),
		lam, new(big.Int).Sub(n, lam), new(big.Int).Add(lam, one), new(big.Int).Sub(lam, one),
		new(big.Int).Lsh(one, 128), new(big.Int).Sub(new(big.Int).Lsh(one, 128), one),
		new(big.Int).Lsh(one, 255),
	}
	for range 200 {
		v, err := rand.Int(rand.Reader, n)
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, v, new(big.Int).Rsh(v, 192), new(big.Int).Rsh(v, 240))
	}
	out := make([]*secp256k1.ModNScalar, len(vals))
	for i, v := range vals {
		out[i] = &Group().ScalarFromBigInt(v).(*Scalar).s
	}
	return out
}

func TestGLVConstants(t *testing.T) {
	// φ(G) = (β·x, y) must equal λ·G.
	g := Generator()
	var want, got secp256k1.JacobianPoint
	secp256k1.ScalarMultNonConst(&endoLambda, &g.p, &want)
	got.Set(&g.p)
	got.X.Mul(&endoBeta).Normalize()
	wp, _ := NewPointFromJacobian(&want)
	gp, _ := NewPointFromJacobian(&got)
	if !wp.Equal(gp) {
		t.Fatal("φ(G) ≠ λ·G")
	}
	var neg secp256k1.ModNScalar
	neg.NegateVal(&endoLambda)
	if !neg.Equals(&endoNegLambda) {
		t.Fatal("endoNegLambda ≠ −λ")
	}
	h := new(big.Int).Rsh(Group().Order(), 1)
	var hl [4]uint64
	for i := range hl {
		hl[i] = new(big.Int).Rsh(h, uint(64*i)).Uint64()
	}
	if hl != halfOrder {
		t.Fatal("halfOrder ≠ ⌊n/2⌋")
	}
}

func TestGLVSplit(t *testing.T) {
	bound := new(big.Int).Lsh(big.NewInt(1), 129)
	for _, k := range glvEdgeScalars(t) {
		k1, k2 := splitK(k)
		var sum secp256k1.ModNScalar
		sum.Mul2(&k2, &endoLambda).Add(&k1)
		if !sum.Equals(k) {
			t.Fatalf("k1 + k2·λ ≠ k for k = %x", k.Bytes())
		}
		for _, h := range []*secp256k1.ModNScalar{&k1, &k2} {
			l := scalarLimbs(h)
			v := *h
			if overHalfOrder(&l) == 1 {
				if !h.IsOverHalfOrder() {
					t.Fatal("overHalfOrder disagrees with decred")
				}
				v.Negate()
			} else if h.IsOverHalfOrder() {
				t.Fatal("overHalfOrder disagrees with decred")
			}
			b := v.Bytes()
			if new(big.Int).SetBytes(b[:]).Cmp(bound) >= 0 {
				t.Fatalf("half of k = %x has %d bits", k.Bytes(), new(big.Int).SetBytes(b[:]).BitLen())
			}
		}
	}
}

func TestWNAF(t *testing.T) {
	for _, k := range glvEdgeScalars(t) {
		for _, w := range []uint{2, 5} {
			var d [msmDigits]int8
			n := wnaf(k, &d, w)
			v := new(big.Int)
			for i := n - 1; i >= 0; i-- {
				v.Lsh(v, 1)
				v.Add(v, big.NewInt(int64(d[i])))
				if d[i] != 0 && (d[i]%2 == 0 || d[i] >= 1<<(w-1) || d[i] <= -1<<(w-1)) {
					t.Fatalf("bad digit %d", d[i])
				}
			}
			kb := k.Bytes()
			if v.Cmp(new(big.Int).SetBytes(kb[:])) != 0 {
				t.Fatalf("wNAF of %x evaluates to %x", kb, v)
			}
		}
	}
}

// TestMultiScalarMultEdges compares MultiScalarMult with a sum of decred's
// ScalarMultNonConst on the GLV edge scalars, opposite and repeated points.
func TestMultiScalarMultEdges(t *testing.T) {
	g := Group()
	ks := glvEdgeScalars(t)
	for start := 0; start < len(ks); start += 7 {
		end := min(start+7, len(ks))
		var scalars []group.Scalar
		var points []group.Point
		want := new(Point)
		for i, k := range ks[start:end] {
			var p group.Point
			switch i {
			case 1:
				p = g.NewPoint().Neg(points[0])
			case 2:
				p = points[0]
			case 3:
				p = g.NewPoint()
			default:
				var e [32]byte
				rand.Read(e[:])
				var s secp256k1.ModNScalar
				s.SetBytes(&e)
				p = g.NewPoint().ScalarBaseMult(&Scalar{s: s})
			}
			s := NewScalarFromModN(k)
			scalars, points = append(scalars, s), append(points, p)
			var j secp256k1.JacobianPoint
			secp256k1.ScalarMultNonConst(k, &p.(*Point).p, &j)
			jp, err := NewPointFromJacobian(&j)
			if err != nil {
				t.Fatal(err)
			}
			want.Add(want, jp)
		}
		got, err := g.MultiScalarMult(scalars, points)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) {
			t.Fatalf("MultiScalarMult of scalars %d..%d differs from decred", start, end)
		}
		if !bytesEq(got.Bytes(), want.Bytes()) {
			t.Fatal("encodings differ")
		}
	}
	// k·P + (n−k)·P is the identity.
	p := g.NewPoint().ScalarBaseMult(NewScalarFromModN(ks[20]))
	k := NewScalarFromModN(ks[21])
	r, _ := g.MultiScalarMult([]group.Scalar{k, g.NewScalar().Neg(k)}, []group.Point{p, p})
	if !r.IsIdentity() {
		t.Fatal("k·P − k·P is not the identity")
	}
}

func TestNormalizePoints(t *testing.T) {
	g := Group()
	var pts []group.Point
	var enc [][]byte
	for i := range 6 {
		var p group.Point
		switch i {
		case 2:
			p = g.NewPoint() // identity
		case 3:
			p = pts[0] // same pointer twice
		default:
			var e [32]byte
			rand.Read(e[:])
			var s secp256k1.ModNScalar
			s.SetBytes(&e)
			p = g.NewPoint().ScalarBaseMult(&Scalar{s: s})
			p.Add(p, Generator()) // Z ≠ 1
		}
		pts = append(pts, p)
		enc = append(enc, p.Bytes())
	}
	NormalizePoints(pts)
	for i, p := range pts {
		if !bytesEq(p.Bytes(), enc[i]) {
			t.Fatalf("point %d changed", i)
		}
		if !p.IsIdentity() && !p.(*Point).p.Z.IsOne() {
			t.Fatalf("point %d not affine", i)
		}
	}
}

func bytesEq(a, b []byte) bool { return string(a) == string(b) }

func TestFixedBase(t *testing.T) {
	g := Group()
	var e [32]byte
	rand.Read(e[:])
	var s0 secp256k1.ModNScalar
	s0.SetBytes(&e)
	p := g.NewPoint().ScalarBaseMult(&Scalar{s: s0}).(*Point)
	fb := NewFixedBase(p)
	for _, k := range glvEdgeScalars(t)[:40] {
		s := NewScalarFromModN(k)
		want := g.NewPoint().VarTimeScalarMult(s, p)
		if got := fb.Mult(s); !got.Equal(want) || !bytesEq(got.Bytes(), want.Bytes()) {
			t.Fatalf("FixedBase.Mult(%x) differs from VarTimeScalarMult", k.Bytes())
		}
	}
	// The table of the identity gives the identity.
	id := NewFixedBase(new(Point))
	if !id.Mult(g.NewScalar().SetUint64(5)).IsIdentity() {
		t.Fatal("multiple of the identity is not the identity")
	}
}

// TestScalarMultGLVEdges checks the constant-time ScalarMult (GLV split,
// conditional negation, signed digits) against decred's ScalarMultNonConst
// on the GLV edge scalars, for a random point, the generator and the
// identity.
func TestScalarMultGLVEdges(t *testing.T) {
	g := Group()
	var e [32]byte
	rand.Read(e[:])
	var s0 secp256k1.ModNScalar
	s0.SetBytes(&e)
	pts := []*Point{g.NewPoint().ScalarBaseMult(&Scalar{s: s0}).(*Point), Generator(), new(Point)}
	for _, p := range pts {
		for _, k := range glvEdgeScalars(t) {
			var j secp256k1.JacobianPoint
			secp256k1.ScalarMultNonConst(k, &p.p, &j)
			want, err := NewPointFromJacobian(&j)
			if err != nil {
				t.Fatal(err)
			}
			got := new(Point).ScalarMult(NewScalarFromModN(k), p)
			if !got.Equal(want) || !bytesEq(got.Bytes(), want.Bytes()) {
				t.Fatalf("ScalarMult(%x) differs from decred", k.Bytes())
			}
		}
	}
}

func TestBoothDigits(t *testing.T) {
	n := Group().Order()
	for _, k := range glvEdgeScalars(t) {
		k1, k2 := splitK(k)
		for _, h := range []secp256k1.ModNScalar{k1, k2} {
			var d [glvWindows]int8
			boothDigits(&h, &d)
			v := new(big.Int)
			for i := glvWindows - 1; i >= 0; i-- {
				if d[i] < -8 || d[i] > 8 {
					t.Fatalf("digit %d out of range", d[i])
				}
				v.Lsh(v, 4).Add(v, big.NewInt(int64(d[i])))
			}
			v.Mod(v, n)
			hb := h.Bytes()
			if v.Cmp(new(big.Int).SetBytes(hb[:])) != 0 {
				t.Fatalf("digits of %x evaluate to %x", hb, v)
			}
		}
	}
}

func TestGeneratorConstant(t *testing.T) {
	var one secp256k1.ModNScalar
	one.SetInt(1)
	var j secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(&one, &j)
	want, _ := NewPointFromJacobian(&j)
	if g := Generator(); !g.Equal(want) || !bytesEq(g.Bytes(), want.Bytes()) || !g.p.Z.IsOne() {
		t.Fatal("Generator() is not decred's G in affine form")
	}
}

func TestCombDigits(t *testing.T) {
	n := Group().Order()
	for _, k := range glvEdgeScalars(t) {
		var d [combWindows]int8
		combDigits(k, &d)
		v := new(big.Int)
		for i := combWindows - 1; i >= 0; i-- {
			if d[i]%2 == 0 || d[i] < -31 || d[i] > 31 {
				t.Fatalf("digit %d is not odd in [−31, 31]", d[i])
			}
			v.Lsh(v, 5).Add(v, big.NewInt(int64(d[i])))
		}
		v.Mod(v, n)
		kb := k.Bytes()
		if v.Cmp(new(big.Int).SetBytes(kb[:])) != 0 {
			t.Fatalf("digits of %x evaluate to %x", kb, v)
		}
	}
}

// TestAddMixed checks the mixed complete addition on the cases where
// incomplete formulas fail: P + P, P + (−P), O + P, and on a generic sum.
func TestAddMixed(t *testing.T) {
	g := Group()
	var e [32]byte
	rand.Read(e[:])
	var s0 secp256k1.ModNScalar
	s0.SetBytes(&e)
	p := g.NewPoint().ScalarBaseMult(&Scalar{s: s0}).(*Point)
	q := g.NewPoint().Add(p, Generator()).(*Point)
	px, py, _ := p.Affine()
	toPoint := func(v *projPoint) *Point {
		r := new(Point)
		v.toJacobian(&r.p)
		return r
	}
	var pp, qq, np, id, r projPoint
	pp.fromJacobian(&p.p)
	qq.fromJacobian(&q.p)
	np.fromJacobian(&new(Point).Neg(p).(*Point).p)
	id.setIdentity()
	if r.addMixed(&pp, &px, &py); !toPoint(&r).Equal(g.NewPoint().Add(p, p)) {
		t.Error("P+P")
	}
	if r.addMixed(&np, &px, &py); !toPoint(&r).IsIdentity() {
		t.Error("(−P)+P")
	}
	if r.addMixed(&id, &px, &py); !toPoint(&r).Equal(p) {
		t.Error("O+P")
	}
	if r.addMixed(&qq, &px, &py); !toPoint(&r).Equal(g.NewPoint().Add(q, p)) {
		t.Error("Q+P")
	}
	// Outputs of add (magnitudes up to 3) as the projective input.
	r.add(&qq, &pp)
	if r.addMixed(&r, &px, &py); !toPoint(&r).Equal(g.NewPoint().Add(g.NewPoint().Add(q, p), p)) {
		t.Error("(Q+P)+P")
	}
}
