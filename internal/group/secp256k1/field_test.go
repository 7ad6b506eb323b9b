package secp256k1

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/chainkey/chainkey/internal/group/grouptest"
)

var (
	feP    = mustBig(fieldPrimeHex)
	two256 = new(big.Int).Lsh(big.NewInt(1), 256)
)

func mustBig(h string) *big.Int {
	v, ok := new(big.Int).SetString(h, 16)
	if !ok {
		panic("bad hex")
	}
	return v
}

// feFromBig returns the representation with the raw value v < 2^256.
func feFromBig(v *big.Int) fe {
	var b [32]byte
	v.FillBytes(b[:])
	var r fe
	r.setBytes(&b)
	return r
}

// raw returns the raw value of the limbs of a (not reduced).
func (a *fe) raw() *big.Int {
	var b [32]byte
	for i := 0; i < 4; i++ {
		binary.BigEndian.PutUint64(b[24-8*i:], a[i])
	}
	return new(big.Int).SetBytes(b[:])
}

// decredOf returns a mod p as a normalized decred field element.
func decredOf(a *fe) *secp256k1.FieldVal {
	v := new(big.Int).Mod(a.raw(), feP)
	var b [32]byte
	v.FillBytes(b[:])
	f := new(secp256k1.FieldVal)
	if f.SetBytes(&b) != 0 {
		panic("reduced value overflows")
	}
	return f
}

// feEdgeValues returns raw 256-bit values that stress the carries and
// reductions: 0, 1, p−1, p, p+1, 2^256−1 (every limb at its maximum) and
// their neighbours, values around 2^256 − feK, single-limb extremes.
func feEdgeValues() []fe {
	one := big.NewInt(1)
	k := big.NewInt(feK)
	vals := []*big.Int{
		big.NewInt(0), one, big.NewInt(2), big.NewInt(3),
		new(big.Int).Sub(feP, one), feP, new(big.Int).Add(feP, one), new(big.Int).Add(feP, big.NewInt(2)),
		new(big.Int).Sub(two256, one), new(big.Int).Sub(two256, big.NewInt(2)),
		new(big.Int).Sub(k, one), k, new(big.Int).Add(k, one),
		new(big.Int).Sub(feP, k), new(big.Int).Sub(new(big.Int).Sub(two256, one), k),
		new(big.Int).Lsh(one, 255), new(big.Int).Sub(new(big.Int).Lsh(one, 255), one),
		new(big.Int).Sub(new(big.Int).Lsh(one, 64), one), new(big.Int).Lsh(one, 64),
		new(big.Int).Lsh(one, 128), new(big.Int).Lsh(one, 192),
		new(big.Int).Sub(two256, new(big.Int).Lsh(one, 64)),
		new(big.Int).Sub(two256, new(big.Int).Lsh(one, 192)),
		new(big.Int).Rsh(feP, 1), new(big.Int).Add(new(big.Int).Rsh(feP, 1), one),
		mustBig(lateCarryHex),
	}
	out := make([]fe, len(vals))
	for i, v := range vals {
		out[i] = feFromBig(v)
	}
	// Limbs at 0 or 2^64 − 1 in every pattern.
	for m := 0; m < 16; m++ {
		var f fe
		for i := range f {
			if m>>i&1 == 1 {
				f[i] = ^uint64(0)
			}
		}
		out = append(out, f)
	}
	return out
}

// feRandomValues returns n random raw values, half uniform in [0, 2^256)
// and half with limbs drawn from {0, 1, 2^64−1, 2^64−2, random}.
func feRandomValues(t testing.TB, n int) []fe {
	t.Helper()
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		t.Fatal(err)
	}
	r := mrand.New(mrand.NewChaCha8(seed))
	out := make([]fe, n)
	for i := range out {
		for j := range out[i] {
			if i%2 == 0 {
				out[i][j] = r.Uint64()
				continue
			}
			switch r.IntN(5) {
			case 0:
				out[i][j] = 0
			case 1:
				out[i][j] = 1
			case 2:
				out[i][j] = ^uint64(0)
			case 3:
				out[i][j] = ^uint64(1)
			default:
				out[i][j] = r.Uint64()
			}
		}
	}
	return out
}

// checkFe fails unless got ≡ want (mod p), comparing the normalized
// encodings of the package's value and decred's, and against math/big.
func checkFe(t testing.TB, op string, got *fe, want *secp256k1.FieldVal, wantBig *big.Int, in ...*fe) {
	t.Helper()
	w := *want
	w.Normalize()
	gb, wb := got.bytes(), w.Bytes()
	var ins []fe
	for _, v := range in {
		ins = append(ins, *v)
	}
	if gb != *wb {
		t.Fatalf("%s%x: got %x, decred %x", op, ins, gb, *wb)
	}
	if wantBig != nil {
		m := new(big.Int).Mod(wantBig, feP)
		if new(big.Int).SetBytes(gb[:]).Cmp(m) != 0 {
			t.Fatalf("%s%x: got %x, math/big %x", op, ins, gb, m)
		}
	}
}

// crossCheckFe compares every field operation on a and b with decred's
// FieldVal and with math/big.
func crossCheckFe(t testing.TB, a, b fe) {
	t.Helper()
	da, db := decredOf(&a), decredOf(&b)
	ab, bb := a.raw(), b.raw()
	var r fe
	var d secp256k1.FieldVal

	d.Add2(da, db)
	checkFe(t, "add", r.add(&a, &b), &d, new(big.Int).Add(ab, bb), &a, &b)
	d.Set(da).Add(da)
	checkFe(t, "double", r.double(&a), &d, new(big.Int).Lsh(ab, 1), &a)

	var nb secp256k1.FieldVal
	nb.NegateVal(db, 1)
	d.Add2(da, &nb)
	checkFe(t, "sub", r.sub(&a, &b), &d, new(big.Int).Sub(ab, bb), &a, &b)
	d.NegateVal(da, 1)
	checkFe(t, "neg", r.neg(&a), &d, new(big.Int).Neg(ab), &a)

	d.Mul2(da, db)
	checkFe(t, "mul", r.mul(&a, &b), &d, new(big.Int).Mul(ab, bb), &a, &b)
	d.SquareVal(da)
	checkFe(t, "square", r.square(&a), &d, new(big.Int).Mul(ab, ab), &a)
	for _, m := range []uint64{0, 1, 3, 8, curveB3, 1<<31 - 1} {
		var dm secp256k1.FieldVal
		dm.SetByteSlice(new(big.Int).SetUint64(m).Bytes())
		d.Mul2(da, &dm)
		checkFe(t, "mulInt", r.mulInt(&a, m), &d, new(big.Int).Mul(ab, new(big.Int).SetUint64(m)), &a)
	}

	d.Set(da).Inverse()
	var invBig *big.Int
	if am := new(big.Int).Mod(ab, feP); am.Sign() != 0 {
		invBig = new(big.Int).ModInverse(am, feP)
	} else {
		invBig = new(big.Int)
	}
	checkFe(t, "inverse", r.inverse(&a), &d, invBig, &a)

	// normalize: below p and the same value.
	n := a
	n.normalize()
	if n.raw().Cmp(feP) >= 0 || n.raw().Cmp(new(big.Int).Mod(ab, feP)) != 0 {
		t.Fatalf("normalize(%x) = %x", a, n)
	}
	if nn := n; *nn.normalize() != n {
		t.Fatalf("normalize is not idempotent on %x", a)
	}

	// isZero and equal.
	if a.isZero() != da.IsZero() {
		t.Fatalf("isZero(%x) = %v, decred %v", a, a.isZero(), da.IsZero())
	}
	if a.equal(&b) != da.Equals(db) {
		t.Fatalf("equal(%x, %x) = %v, decred %v", a, b, a.equal(&b), da.Equals(db))
	}
	if !a.equal(&n) || !n.equal(&a) {
		t.Fatalf("%x not equal to its normalized form", a)
	}
	var ap fe
	ap.add(&a, &fe{1})
	if a.equal(&ap) {
		t.Fatalf("%x equal to itself plus one", a)
	}
	if a.isOdd() != da.IsOdd() {
		t.Fatalf("isOdd(%x) disagrees with decred", a)
	}

	// Bytes: setBytes of the raw encoding flags values ≥ p like decred.
	var rb [32]byte
	ab.FillBytes(rb[:])
	var s fe
	var ds secp256k1.FieldVal
	if s.setBytes(&rb) != uint64(ds.SetBytes(&rb)) {
		t.Fatalf("setBytes(%x) overflow flag disagrees with decred", rb)
	}
	if s != a {
		t.Fatalf("setBytes(%x) = %x", rb, s)
	}
	// decred keeps an overflowing value as it is until normalized.
	if got, want := a.bytes(), ds.Normalize().Bytes(); got != *want {
		t.Fatalf("bytes(%x) = %x, decred %x", a, got, *want)
	}

	// Conversions from and to decred.
	var c fe
	c.fromFieldVal(da)
	if c != n {
		t.Fatalf("fromFieldVal(%x) = %x, want %x", da.Bytes(), c, n)
	}
	var back secp256k1.FieldVal
	a.toFieldVal(&back)
	if !back.Equals(da) {
		t.Fatalf("toFieldVal(%x) = %x", a, back.Bytes())
	}
}

func TestFieldAgainstDecred(t *testing.T) {
	edges := feEdgeValues()
	for _, a := range edges {
		for _, b := range edges {
			crossCheckFe(t, a, b)
		}
	}
	rnd := feRandomValues(t, 1000)
	for i := range rnd {
		crossCheckFe(t, rnd[i], rnd[(i+1)%len(rnd)])
		crossCheckFe(t, rnd[i], edges[i%len(edges)])
		crossCheckFe(t, edges[i%len(edges)], rnd[i])
	}
}

// TestFieldChains runs long chains of operations on the outputs of earlier
// ones (never normalized in between) in step with decred.
func TestFieldChains(t *testing.T) {
	rnd := feRandomValues(t, 64)
	a, b := rnd[0], rnd[1]
	da, db := decredOf(&a), decredOf(&b)
	for i := 0; i < 2000; i++ {
		var t0 fe
		var d0 secp256k1.FieldVal
		switch i % 5 {
		case 0:
			t0.mul(&a, &b)
			d0.Mul2(da, db)
		case 1:
			t0.square(&a)
			d0.SquareVal(da)
		case 2:
			t0.add(&a, &b)
			d0.Add2(da, db).Normalize()
		case 3:
			t0.sub(&a, &b)
			var nb secp256k1.FieldVal
			nb.NegateVal(db, 1)
			d0.Add2(da, &nb).Normalize()
		case 4:
			t0.mulInt(&a, curveB3)
			var b3 secp256k1.FieldVal
			b3.SetInt(curveB3)
			d0.Mul2(da, &b3)
		}
		checkFe(t, "chain", &t0, &d0, nil, &a, &b)
		a, b = b, t0
		da, db = db, d0.Normalize()
		if i%97 == 0 {
			b = rnd[i%len(rnd)]
			db = decredOf(&b)
		}
	}
}

// TestFieldFromLazyDecred converts decred values that are not normalized
// (magnitudes up to 8, and normalized values at or above p written by
// SetBytes) to the package's representation.
func TestFieldFromLazyDecred(t *testing.T) {
	for _, a := range append(feEdgeValues(), feRandomValues(t, 50)...) {
		da := decredOf(&a)
		var m secp256k1.FieldVal
		m.Set(da)
		for range 7 {
			m.Add(da) // magnitude 8: 8·a
		}
		var got, want fe
		got.fromFieldVal(&m)
		want.mulInt(&a, 8)
		if !got.equal(&want) || got.raw().Cmp(feP) >= 0 {
			t.Fatalf("fromFieldVal of 8·%x = %x", a, got)
		}
		var n secp256k1.FieldVal
		n.NegateVal(da, 1) // magnitude 2
		got.fromFieldVal(&n)
		want.neg(&a)
		if !got.equal(&want) {
			t.Fatalf("fromFieldVal of −%x = %x", a, got)
		}
	}
}

// lateCarryHex is a b for which (2^256 − 1)·b takes the last carry of
// reduce512: after the second fold the value wraps to w with
// 2^64 − feK ≤ w < 2^64, so adding feK carries into the second limb.
const lateCarryHex = "fffffc30000e88ffc895b0d3454dda87c72eda589d5f8e2803b20771e94399e6"

func TestFieldReductionLateCarry(t *testing.T) {
	a := feFromBig(new(big.Int).Sub(two256, big.NewInt(1)))
	b := feFromBig(mustBig(lateCarryHex))
	var r fe
	r.mul(&a, &b)
	if want := (fe{0x51babce0, 1}); r != want {
		t.Fatalf("(2^256 − 1)·b = %x, want %x", r, want)
	}
	crossCheckFe(t, a, b)
}

func TestFieldConstants(t *testing.T) {
	if new(big.Int).Sub(two256, feP).Cmp(big.NewInt(feK)) != 0 {
		t.Fatal("feK ≠ 2^256 − p")
	}
	var b fe
	b.fromFieldVal(&endoBeta)
	if b != feBeta {
		t.Fatal("feBeta ≠ endoBeta")
	}
	var c fe
	c.mul(&feBeta, &feBeta)
	c.mul(&c, &feBeta)
	if !c.equal(&fe{1}) || feBeta.equal(&fe{1}) {
		t.Fatal("β is not a non-trivial cube root of unity")
	}
}

func TestFeSelect(t *testing.T) {
	a, b := fe{1, 2, 3, 4}, fe{5, 6, 7, 8}
	var r fe
	if feSelect(&r, &a, &b, 1); r != a {
		t.Fatal("select 1")
	}
	if feSelect(&r, &a, &b, 0); r != b {
		t.Fatal("select 0")
	}
}

func TestDigitAbs(t *testing.T) {
	for d := -31; d <= 31; d++ {
		a, n := digitAbs(int8(d))
		wantA, wantN := d, uint64(0)
		if d < 0 {
			wantA, wantN = -d, 1
		}
		if int(a) != wantA || n != wantN {
			t.Fatalf("digitAbs(%d) = %d, %d", d, a, n)
		}
	}
}

// pointOfJac returns the package's Jacobian point as a Point.
func pointOfJac(v *jacPoint) *Point {
	p := new(Point)
	v.toDecred(&p.p)
	return p
}

// TestJacobianFormulas checks the variable-time Jacobian formulas against
// decred on generic inputs and on the exceptional cases (P + P, P + (−P),
// identities), with inputs whose Z is not 1.
func TestJacobianFormulas(t *testing.T) {
	g := Group()
	for range 20 {
		var e [32]byte
		rand.Read(e[:])
		var s secp256k1.ModNScalar
		s.SetBytes(&e)
		p := g.NewPoint().ScalarBaseMult(&Scalar{s: s}).(*Point) // Z ≠ 1
		q := g.NewPoint().Add(p, Generator()).(*Point)
		np := g.NewPoint().Neg(p).(*Point)
		var jp, jq, jn, id, r jacPoint
		jp.fromDecred(&p.p)
		jq.fromDecred(&q.p)
		jn.fromDecred(&np.p)
		id.fromDecred(&new(Point).p)
		if !id.inf {
			t.Fatal("identity not flagged")
		}
		sum := g.NewPoint().Add(p, q)
		twoP := g.NewPoint().Add(p, p)
		cases := []struct {
			name string
			a, b *jacPoint
			want *Point
		}{
			{"P+Q", &jp, &jq, sum.(*Point)},
			{"P+P", &jp, &jp, twoP.(*Point)},
			{"P+(−P)", &jp, &jn, new(Point)},
			{"O+P", &id, &jp, p},
			{"P+O", &jp, &id, p},
			{"O+O", &id, &id, new(Point)},
		}
		for _, c := range cases {
			if r.add(c.a, c.b); !pointOfJac(&r).Equal(c.want) {
				t.Fatalf("add %s", c.name)
			}
		}
		if r.double(&jp); !pointOfJac(&r).Equal(twoP) {
			t.Fatal("double")
		}
		if r.double(&id); !r.inf {
			t.Fatal("2·O")
		}
		// Mixed additions with the affine P.
		px, py, _ := p.Affine()
		var ap affinePoint
		ap.x.fromFieldVal(&px)
		ap.y.fromFieldVal(&py)
		mixed := []struct {
			name string
			a    *jacPoint
			want *Point
		}{
			{"Q+P", &jq, g.NewPoint().Add(q, p).(*Point)},
			{"P+P", &jp, twoP.(*Point)},
			{"(−P)+P", &jn, new(Point)},
			{"O+P", &id, p},
		}
		for _, c := range mixed {
			if r.addAffine(c.a, &ap); !pointOfJac(&r).Equal(c.want) {
				t.Fatalf("addAffine %s", c.name)
			}
		}
		// Aliasing: v = v + q.
		r = jq
		if r.addAffine(&r, &ap); !pointOfJac(&r).Equal(g.NewPoint().Add(q, p)) {
			t.Fatal("aliased addAffine")
		}
		r = jq
		if r.add(&r, &jp); !pointOfJac(&r).Equal(sum) {
			t.Fatal("aliased add")
		}
	}
}

func TestBatchToAffine(t *testing.T) {
	g := Group()
	var pts []*Point
	var jac []jacPoint
	for i := range 9 {
		p := g.NewPoint().ScalarBaseMult(g.NewScalar().SetUint64(uint64(i + 2))).(*Point)
		pts = append(pts, p)
		var j jacPoint
		j.fromDecred(&p.p)
		jac = append(jac, j)
	}
	out := make([]affinePoint, len(pts))
	batchToAffine(jac, func(i int) *affinePoint { return &out[i] })
	for i, p := range pts {
		x, y, _ := p.Affine()
		var wx, wy fe
		wx.fromFieldVal(&x)
		wy.fromFieldVal(&y)
		if out[i].x != wx || out[i].y != wy {
			t.Fatalf("point %d: affine form differs", i)
		}
	}
}

// TestSelectNegates checks that the masked look-ups return the entry for
// |d| with y negated for negative digits.
func TestSelectNegates(t *testing.T) {
	var row [combEntries]affinePoint
	for e := range row {
		row[e].x = fe{uint64(e) + 1}
		row[e].y = fe{uint64(e) + 100}
	}
	for d := -31; d <= 31; d += 2 {
		var q affinePoint
		selectAffine(&q, &row, int8(d))
		a := max(d, -d)
		want := row[(a-1)/2]
		if d < 0 {
			want.y.neg(&want.y)
		}
		if !q.x.equal(&want.x) || !q.y.equal(&want.y) {
			t.Fatalf("selectAffine(%d)", d)
		}
	}
	var tab [ctTableLen]projPoint
	for j := range tab {
		tab[j] = projPoint{x: fe{uint64(j)}, y: fe{uint64(j) + 50}, z: fe{uint64(j) + 90}}
	}
	for d := -8; d <= 8; d++ {
		a, n := digitAbs(int8(d))
		var p projPoint
		selectProj(&p, &tab, a, n)
		want := tab[a]
		if n == 1 {
			want.y.neg(&want.y)
		}
		if p != want {
			t.Fatalf("selectProj(%d)", d)
		}
	}
}

// FuzzFieldAgainstDecred compares every field operation with decred's
// FieldVal on two raw 256-bit values.
func FuzzFieldAgainstDecred(f *testing.F) {
	enc := func(a, b fe) []byte {
		out := make([]byte, 64)
		for i := 0; i < 4; i++ {
			binary.LittleEndian.PutUint64(out[8*i:], a[i])
			binary.LittleEndian.PutUint64(out[32+8*i:], b[i])
		}
		return out
	}
	edges := feEdgeValues()
	for i := range edges {
		f.Add(enc(edges[i], edges[(i*7+3)%len(edges)]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 64 {
			data = append(bytes.Clone(data), make([]byte, 64-len(data))...)
		}
		var a, b fe
		for i := 0; i < 4; i++ {
			a[i] = binary.LittleEndian.Uint64(data[8*i:])
			b[i] = binary.LittleEndian.Uint64(data[32+8*i:])
		}
		crossCheckFe(t, a, b)
	})
}

func BenchmarkFieldMul(b *testing.B) {
	x := feRandomValues(b, 2)
	for b.Loop() {
		x[0].mul(&x[0], &x[1])
	}
}

func BenchmarkFieldSquare(b *testing.B) {
	x := feRandomValues(b, 1)
	for b.Loop() {
		x[0].square(&x[0])
	}
}

func BenchmarkFieldInverse(b *testing.B) {
	x := feRandomValues(b, 1)
	for b.Loop() {
		x[0].inverse(&x[0])
	}
}

func BenchmarkDecredFieldMul(b *testing.B) {
	x := feRandomValues(b, 2)
	f0, f1 := decredOf(&x[0]), decredOf(&x[1])
	for b.Loop() {
		f0.Mul(f1)
	}
}

func BenchmarkDecredFieldSquare(b *testing.B) {
	x := feRandomValues(b, 1)
	f0 := decredOf(&x[0])
	for b.Loop() {
		f0.Square()
	}
}

// BenchmarkFixedBaseMult measures FixedBase.Mult (the comb of a point other
// than G).
func BenchmarkFixedBaseMult(b *testing.B) {
	g := Group()
	var e [32]byte
	rand.Read(e[:])
	var s secp256k1.ModNScalar
	s.SetBytes(&e)
	fb := NewFixedBase(g.NewPoint().ScalarBaseMult(&Scalar{s: s}).(*Point))
	k := g.NewScalar().SetUint64(0x1234567)
	k.Mul(k, &Scalar{s: s})
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		fb.Mult(k)
	}
}
