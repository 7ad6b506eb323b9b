package grouptest

import (
	"bytes"
	"crypto/rand"
	"math/big"
	mrand "math/rand/v2"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
)

// Run runs the generic checks on g as subtests of t.
func Run(t *testing.T, g group.Group) {
	t.Run("Basics", func(t *testing.T) { testBasics(t, g) })
	t.Run("ScalarLaws", func(t *testing.T) { testScalarLaws(t, g) })
	t.Run("ScalarEncoding", func(t *testing.T) { testScalarEncoding(t, g) })
	t.Run("PointLaws", func(t *testing.T) { testPointLaws(t, g) })
	t.Run("PointEncoding", func(t *testing.T) { testPointEncoding(t, g) })
	t.Run("ScalarMult", func(t *testing.T) { testScalarMult(t, g) })
	t.Run("MultiScalarMult", func(t *testing.T) { testMultiScalarMult(t, g) })
	t.Run("Aliasing", func(t *testing.T) { testAliasing(t, g) })
}

// RandomScalar returns a random non-zero scalar of g or fails t.
func RandomScalar(t testing.TB, g group.Group) group.Scalar {
	t.Helper()
	s, err := g.RandomScalar(rand.Reader)
	if err != nil {
		t.Fatalf("RandomScalar: %v", err)
	}
	return s
}

// RandomPoint returns s·G for a random non-zero scalar s.
func RandomPoint(t testing.TB, g group.Group) group.Point {
	t.Helper()
	return g.NewPoint().ScalarBaseMult(RandomScalar(t, g))
}

func scalarOf(g group.Group, v int64) group.Scalar {
	return g.ScalarFromBigInt(big.NewInt(v))
}

func testBasics(t *testing.T, g group.Group) {
	if g.Name() == "" {
		t.Error("empty Name")
	}
	o := g.Order()
	if !o.ProbablyPrime(20) {
		t.Errorf("Order %v is not prime", o)
	}
	o.SetInt64(0) // must be a fresh copy
	if g.Order().Sign() == 0 {
		t.Error("Order returns shared state")
	}
	if !g.NewScalar().IsZero() {
		t.Error("NewScalar is not zero")
	}
	if !g.NewPoint().IsIdentity() {
		t.Error("NewPoint is not the identity")
	}
	if g.Generator().IsIdentity() {
		t.Error("Generator is the identity")
	}
	if got := g.NewPoint().ScalarBaseMult(scalarOf(g, 1)); !got.Equal(g.Generator()) {
		t.Error("1·G != Generator")
	}
	// order·G = identity, through (order−1)·G + G.
	nm1 := g.ScalarFromBigInt(new(big.Int).Sub(g.Order(), big.NewInt(1)))
	p := g.NewPoint().ScalarBaseMult(nm1)
	if !p.Equal(g.NewPoint().Neg(g.Generator())) {
		t.Error("(n−1)·G != −G")
	}
	if !p.Add(p, g.Generator()).IsIdentity() {
		t.Error("n·G != identity")
	}
	if len(g.NewScalar().Bytes()) != g.ScalarLen() {
		t.Errorf("scalar Bytes length %d, want %d", len(g.NewScalar().Bytes()), g.ScalarLen())
	}
	if len(g.Generator().Bytes()) != g.PointLen() {
		t.Errorf("point Bytes length %d, want %d", len(g.Generator().Bytes()), g.PointLen())
	}
	if len(g.NewPoint().Bytes()) != g.PointLen() {
		t.Errorf("identity Bytes length %d, want %d", len(g.NewPoint().Bytes()), g.PointLen())
	}
	s := RandomScalar(t, g)
	if s.IsZero() {
		t.Error("RandomScalar returned zero")
	}
	if s.Equal(RandomScalar(t, g)) {
		t.Error("two RandomScalar calls agree")
	}
	if _, err := g.RandomScalar(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("RandomScalar succeeded on a short reader")
	}
}

func testScalarLaws(t *testing.T, g group.Group) {
	n := g.Order()
	for i := 0; i < 16; i++ {
		a, b, c := RandomScalar(t, g), RandomScalar(t, g), RandomScalar(t, g)
		if i == 0 {
			c = g.NewScalar()
		}
		ab := g.NewScalar().Add(a, b)
		if !ab.Equal(g.NewScalar().Add(b, a)) {
			t.Fatal("a+b != b+a")
		}
		if !g.NewScalar().Add(ab, c).Equal(g.NewScalar().Add(a, g.NewScalar().Add(b, c))) {
			t.Fatal("(a+b)+c != a+(b+c)")
		}
		if !g.NewScalar().Sub(ab, b).Equal(a) {
			t.Fatal("(a+b)−b != a")
		}
		if !g.NewScalar().Add(a, g.NewScalar().Neg(a)).IsZero() {
			t.Fatal("a + (−a) != 0")
		}
		if !g.NewScalar().Mul(a, b).Equal(g.NewScalar().Mul(b, a)) {
			t.Fatal("ab != ba")
		}
		// a(b+c) = ab + ac
		l := g.NewScalar().Mul(a, g.NewScalar().Add(b, c))
		r := g.NewScalar().Add(g.NewScalar().Mul(a, b), g.NewScalar().Mul(a, c))
		if !l.Equal(r) {
			t.Fatal("a(b+c) != ab+ac")
		}
		inv := g.NewScalar().Invert(a)
		if !g.NewScalar().Mul(a, inv).Equal(scalarOf(g, 1)) {
			t.Fatal("a·a⁻¹ != 1")
		}
		// Compare with big.Int arithmetic through the encodings.
		ai, bi := toBig(g, a), toBig(g, b)
		want := new(big.Int).Mul(ai, bi)
		want.Mod(want, n)
		if got := toBig(g, g.NewScalar().Mul(a, b)); got.Cmp(want) != 0 {
			t.Fatalf("Mul disagrees with big.Int: %v != %v", got, want)
		}
		want.Sub(ai, bi).Mod(want, n)
		if got := toBig(g, g.NewScalar().Sub(a, b)); got.Cmp(want) != 0 {
			t.Fatal("Sub disagrees with big.Int")
		}
		want.ModInverse(ai, n)
		if got := toBig(g, inv); got.Cmp(want) != 0 {
			t.Fatal("Invert disagrees with big.Int")
		}
	}
	if !g.NewScalar().Invert(g.NewScalar()).IsZero() {
		t.Error("1/0 != 0")
	}
	one := scalarOf(g, 1)
	minusOne := g.NewScalar().Neg(one)
	if !g.NewScalar().Invert(one).Equal(one) || !g.NewScalar().Invert(minusOne).Equal(minusOne) {
		t.Error("1/1 != 1 or 1/(−1) != −1")
	}
	u := mrand.Uint64()
	if toBig(g, g.NewScalar().SetUint64(u)).Cmp(new(big.Int).SetUint64(u)) != 0 {
		t.Error("SetUint64 wrong")
	}
	if !g.NewScalar().SetUint64(7).Equal(scalarOf(g, 7)) {
		t.Error("SetUint64(7) != ScalarFromBigInt(7)")
	}
	// ScalarFromBigInt reduces modulo the order, including negative values.
	if !g.ScalarFromBigInt(new(big.Int).Add(n, big.NewInt(5))).Equal(scalarOf(g, 5)) {
		t.Error("ScalarFromBigInt(n+5) != 5")
	}
	if !g.ScalarFromBigInt(big.NewInt(-1)).Equal(g.NewScalar().Neg(scalarOf(g, 1))) {
		t.Error("ScalarFromBigInt(−1) != −1")
	}
	if !g.ScalarFromBigInt(n).IsZero() {
		t.Error("ScalarFromBigInt(n) != 0")
	}
	s := RandomScalar(t, g)
	c := g.NewScalar().Set(s)
	if !c.Equal(s) {
		t.Error("Set")
	}
	c.Zeroize()
	if !c.IsZero() || s.IsZero() {
		t.Error("Zeroize")
	}
}

// toBig interprets a scalar encoding, which is big-endian except for
// ed25519.
func toBig(g group.Group, s group.Scalar) *big.Int {
	b := s.Bytes()
	if g.Name() == "ed25519" {
		b = reversed(b)
	}
	return new(big.Int).SetBytes(b)
}

func reversed(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

// encodeBig encodes v as a scalar of g would be, without reduction.
func encodeBig(g group.Group, v *big.Int) []byte {
	b := v.FillBytes(make([]byte, g.ScalarLen()))
	if g.Name() == "ed25519" {
		b = reversed(b)
	}
	return b
}

func testScalarEncoding(t *testing.T, g group.Group) {
	for i := 0; i < 8; i++ {
		s := RandomScalar(t, g)
		b := s.Bytes()
		if len(b) != g.ScalarLen() {
			t.Fatalf("len(Bytes) = %d", len(b))
		}
		d, err := g.DecodeScalar(b)
		if err != nil {
			t.Fatalf("DecodeScalar(Bytes): %v", err)
		}
		if !d.Equal(s) || !bytes.Equal(d.Bytes(), b) {
			t.Fatal("scalar round trip")
		}
	}
	n := g.Order()
	for _, v := range []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Sub(n, big.NewInt(1))} {
		s, err := g.DecodeScalar(encodeBig(g, v))
		if err != nil {
			t.Errorf("DecodeScalar(%v): %v", v, err)
			continue
		}
		if toBig(g, s).Cmp(v) != 0 {
			t.Errorf("DecodeScalar(%v) wrong value", v)
		}
	}
	max := new(big.Int).Lsh(big.NewInt(1), uint(8*g.ScalarLen()))
	max.Sub(max, big.NewInt(1))
	for _, v := range []*big.Int{n, new(big.Int).Add(n, big.NewInt(1)), max} {
		if _, err := g.DecodeScalar(encodeBig(g, v)); err == nil {
			t.Errorf("DecodeScalar accepted %v ≥ order", v)
		}
	}
	good := scalarOf(g, 3).Bytes()
	for _, b := range [][]byte{nil, {}, good[:len(good)-1], append(good[:len(good):len(good)], 0), make([]byte, 2*g.ScalarLen())} {
		if _, err := g.DecodeScalar(b); err == nil {
			t.Errorf("DecodeScalar accepted %d bytes", len(b))
		}
	}
}

func testPointLaws(t *testing.T, g group.Group) {
	id := g.NewPoint()
	for i := 0; i < 6; i++ {
		p, q, r := RandomPoint(t, g), RandomPoint(t, g), RandomPoint(t, g)
		pq := g.NewPoint().Add(p, q)
		if !pq.Equal(g.NewPoint().Add(q, p)) {
			t.Fatal("P+Q != Q+P")
		}
		if !g.NewPoint().Add(pq, r).Equal(g.NewPoint().Add(p, g.NewPoint().Add(q, r))) {
			t.Fatal("(P+Q)+R != P+(Q+R)")
		}
		if !g.NewPoint().Add(p, id).Equal(p) || !g.NewPoint().Add(id, p).Equal(p) {
			t.Fatal("P+O != P")
		}
		if !g.NewPoint().Add(p, g.NewPoint().Neg(p)).IsIdentity() {
			t.Fatal("P+(−P) != O")
		}
		if !g.NewPoint().Sub(pq, q).Equal(p) {
			t.Fatal("(P+Q)−Q != P")
		}
		if !g.NewPoint().Sub(p, p).IsIdentity() {
			t.Fatal("P−P != O")
		}
		if !g.NewPoint().Add(p, p).Equal(g.NewPoint().VarTimeScalarMult(scalarOf(g, 2), p)) {
			t.Fatal("P+P != 2P")
		}
		if p.Equal(q) || p.Equal(id) || id.Equal(p) {
			t.Fatal("distinct points compare equal")
		}
		if !g.NewPoint().Set(p).Equal(p) {
			t.Fatal("Set")
		}
		// (a+b)G = aG + bG; (ab)G = a(bG)
		a, b := RandomScalar(t, g), RandomScalar(t, g)
		l := g.NewPoint().ScalarBaseMult(g.NewScalar().Add(a, b))
		rr := g.NewPoint().Add(g.NewPoint().ScalarBaseMult(a), g.NewPoint().ScalarBaseMult(b))
		if !l.Equal(rr) {
			t.Fatal("(a+b)G != aG+bG")
		}
		l = g.NewPoint().ScalarBaseMult(g.NewScalar().Mul(a, b))
		rr = g.NewPoint().ScalarMult(a, g.NewPoint().ScalarBaseMult(b))
		if !l.Equal(rr) {
			t.Fatal("(ab)G != a(bG)")
		}
	}
	if !g.NewPoint().Add(id, id).IsIdentity() || !g.NewPoint().Neg(id).IsIdentity() {
		t.Fatal("O+O or −O")
	}
	if !id.Equal(g.NewPoint()) {
		t.Fatal("O != O")
	}
}

func testPointEncoding(t *testing.T, g group.Group) {
	for i := 0; i < 8; i++ {
		p := RandomPoint(t, g)
		if i == 0 {
			p = g.Generator()
		}
		b := p.Bytes()
		if len(b) != g.PointLen() {
			t.Fatalf("len(Bytes) = %d", len(b))
		}
		d, err := g.DecodePoint(b)
		if err != nil {
			t.Fatalf("DecodePoint(Bytes): %v", err)
		}
		if !d.Equal(p) || !bytes.Equal(d.Bytes(), b) {
			t.Fatal("point round trip")
		}
		// −P has a different encoding that also round-trips.
		nb := g.NewPoint().Neg(p).Bytes()
		if bytes.Equal(nb, b) {
			t.Fatal("P and −P encode alike")
		}
		if d, err := g.DecodePoint(nb); err != nil || !d.Equal(g.NewPoint().Neg(p)) {
			t.Fatalf("DecodePoint(−P): %v", err)
		}
	}
	idb := g.NewPoint().Bytes()
	if len(idb) != g.PointLen() {
		t.Fatalf("identity encoding has %d bytes", len(idb))
	}
	if _, err := g.DecodePoint(idb); err == nil {
		t.Error("DecodePoint accepted the identity")
	}
	good := g.Generator().Bytes()
	for _, b := range [][]byte{nil, {}, good[:len(good)-1], append(good[:len(good):len(good)], 0), make([]byte, g.PointLen()+1), good[:1]} {
		if _, err := g.DecodePoint(b); err == nil {
			t.Errorf("DecodePoint accepted %d bytes", len(b))
		}
	}
}

func testScalarMult(t *testing.T, g group.Group) {
	n := g.Order()
	var scalars []group.Scalar
	for _, v := range []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(3), big.NewInt(15), big.NewInt(16), big.NewInt(17),
		new(big.Int).Sub(n, big.NewInt(1)), new(big.Int).Sub(n, big.NewInt(2)),
		new(big.Int).Rsh(n, 1), new(big.Int).Lsh(big.NewInt(1), 128),
	} {
		scalars = append(scalars, g.ScalarFromBigInt(v))
	}
	for i := 0; i < 8; i++ {
		scalars = append(scalars, RandomScalar(t, g))
	}
	q := RandomPoint(t, g)
	for i, s := range scalars {
		want := g.NewPoint().VarTimeScalarMult(s, q)
		if got := g.NewPoint().ScalarMult(s, q); !got.Equal(want) {
			t.Fatalf("scalar %d: ScalarMult != VarTimeScalarMult", i)
		}
		wantG := g.NewPoint().VarTimeScalarMult(s, g.Generator())
		if got := g.NewPoint().ScalarBaseMult(s); !got.Equal(wantG) {
			t.Fatalf("scalar %d: ScalarBaseMult != VarTimeScalarMult(G)", i)
		}
		if got := g.NewPoint().ScalarMult(s, g.Generator()); !got.Equal(wantG) {
			t.Fatalf("scalar %d: ScalarMult(G) != ScalarBaseMult", i)
		}
		// Multiplying the identity gives the identity.
		if !g.NewPoint().ScalarMult(s, g.NewPoint()).IsIdentity() ||
			!g.NewPoint().VarTimeScalarMult(s, g.NewPoint()).IsIdentity() {
			t.Fatalf("scalar %d: s·O != O", i)
		}
	}
	if !g.NewPoint().ScalarBaseMult(g.NewScalar()).IsIdentity() {
		t.Fatal("0·G != O")
	}
	// Repeated addition.
	acc := g.NewPoint()
	for i := 1; i <= 20; i++ {
		acc.Add(acc, q)
		if !g.NewPoint().ScalarMult(scalarOf(g, int64(i)), q).Equal(acc) {
			t.Fatalf("%d·Q != Q+…+Q", i)
		}
	}
}

func testMultiScalarMult(t *testing.T, g group.Group) {
	for _, n := range []int{0, 1, 2, 5, 9, 34} {
		scalars := make([]group.Scalar, n)
		points := make([]group.Point, n)
		want := g.NewPoint()
		for i := range scalars {
			scalars[i] = RandomScalar(t, g)
			points[i] = RandomPoint(t, g)
			switch i {
			case 1:
				scalars[i] = g.NewScalar() // zero scalar
			case 2:
				points[i] = g.NewPoint() // identity point
			case 3:
				points[i] = g.NewPoint().Set(points[0]) // repeated point
			}
			want.Add(want, g.NewPoint().VarTimeScalarMult(scalars[i], points[i]))
		}
		got, err := g.MultiScalarMult(scalars, points)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if !got.Equal(want) {
			t.Fatalf("n=%d: MultiScalarMult != Σ sᵢPᵢ", n)
		}
	}
	// Terms that cancel: a·P + a·(−P) + 0·Q = O.
	a, pt := RandomScalar(t, g), RandomPoint(t, g)
	got, err := g.MultiScalarMult([]group.Scalar{a, a, g.NewScalar()},
		[]group.Point{pt, g.NewPoint().Neg(pt), RandomPoint(t, g)})
	if err != nil || !got.IsIdentity() {
		t.Fatalf("a·P + a·(−P) + 0·Q != O (%v)", err)
	}
	if !bytes.Equal(got.Bytes(), g.NewPoint().Bytes()) {
		t.Fatal("identity from MultiScalarMult encodes differently")
	}
	// n−1 times P plus P.
	nm1 := g.ScalarFromBigInt(new(big.Int).Sub(g.Order(), big.NewInt(1)))
	got, err = g.MultiScalarMult([]group.Scalar{nm1, scalarOf(g, 1)}, []group.Point{pt, pt})
	if err != nil || !got.IsIdentity() {
		t.Fatalf("(n−1)·P + P != O (%v)", err)
	}
	if _, err := g.MultiScalarMult(make([]group.Scalar, 2), make([]group.Point, 3)); err == nil {
		t.Error("MultiScalarMult accepted slices of different lengths")
	}
}

func testAliasing(t *testing.T, g group.Group) {
	a, b := RandomScalar(t, g), RandomScalar(t, g)
	want := g.NewScalar().Add(a, b)
	if !g.NewScalar().Set(a).Add(a, b).Equal(want) {
		t.Error("Add aliasing")
	}
	x := g.NewScalar().Set(a)
	if !x.Mul(x, x).Equal(g.NewScalar().Mul(a, a)) {
		t.Error("Mul aliasing")
	}
	x.Set(a)
	if !x.Invert(x).Equal(g.NewScalar().Invert(a)) {
		t.Error("Invert aliasing")
	}
	p, q := RandomPoint(t, g), RandomPoint(t, g)
	sum := g.NewPoint().Add(p, q)
	y := g.NewPoint().Set(p)
	if !y.Add(y, q).Equal(sum) {
		t.Error("point Add aliasing")
	}
	y.Set(q)
	if !y.Add(p, y).Equal(sum) {
		t.Error("point Add aliasing of the second operand")
	}
	y.Set(q)
	if !y.Sub(p, y).Equal(g.NewPoint().Sub(p, q)) {
		t.Error("point Sub aliasing of the second operand")
	}
	y.Set(p)
	if !y.Add(y, y).Equal(g.NewPoint().Add(p, p)) {
		t.Error("point doubling aliasing")
	}
	y.Set(p)
	if !y.ScalarMult(a, y).Equal(g.NewPoint().VarTimeScalarMult(a, p)) {
		t.Error("ScalarMult aliasing")
	}
	y.Set(p)
	if !y.VarTimeScalarMult(a, y).Equal(g.NewPoint().ScalarMult(a, p)) {
		t.Error("VarTimeScalarMult aliasing")
	}
	y.Set(p)
	if !y.Sub(y, y).IsIdentity() {
		t.Error("Sub aliasing")
	}
}
