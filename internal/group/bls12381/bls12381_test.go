package bls12381

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"unsafe"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	blst "github.com/supranational/blst/bindings/go"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/grouptest"
)

func TestG1(t *testing.T) { grouptest.Run(t, G1()) }
func TestG2(t *testing.T) { grouptest.Run(t, G2()) }

func TestNames(t *testing.T) {
	if G1().Name() != "bls12381-g1" || G2().Name() != "bls12381-g2" {
		t.Fatal("names")
	}
	if G1().PointLen() != 48 || G2().PointLen() != 96 || G1().ScalarLen() != 32 {
		t.Fatal("lengths")
	}
	if G1().Order().Cmp(fr.Modulus()) != 0 || G2().Order().Cmp(fr.Modulus()) != 0 {
		t.Fatal("order differs from gnark's fr modulus")
	}
	var r [32]byte
	for i := 0; i < 4; i++ {
		for j := 0; j < 8; j++ {
			r[8*i+j] = byte(rLimbs[i] >> (8 * j))
		}
	}
	if new(big.Int).SetBytes(reverse(r[:])).Cmp(fr.Modulus()) != 0 {
		t.Fatal("rLimbs")
	}
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

// p is the base field prime.
var p = fp.Modulus()

type h2cVectors struct {
	DST     string `json:"dst"`
	Vectors []struct {
		P   struct{ X, Y string } `json:"P"`
		Msg string                `json:"msg"`
	} `json:"vectors"`
}

// TestHashToG1Vectors checks the RFC 9380 appendix J.9.1 vectors.
func TestHashToG1Vectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/rfc9380-BLS12381G1_XMD-SHA-256_SSWU_RO_.json")
	if err != nil {
		t.Fatal(err)
	}
	var v h2cVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, tc := range v.Vectors {
		got, err := HashToG1([]byte(tc.Msg), []byte(v.DST))
		if err != nil {
			t.Fatal(err)
		}
		a := got.(*G1Point).Affine()
		x, _ := new(big.Int).SetString(strings.TrimPrefix(tc.P.X, "0x"), 16)
		y, _ := new(big.Int).SetString(strings.TrimPrefix(tc.P.Y, "0x"), 16)
		if a.X.BigInt(new(big.Int)).Cmp(x) != 0 || a.Y.BigInt(new(big.Int)).Cmp(y) != 0 {
			t.Errorf("msg %q: got (%s, %s)", tc.Msg, a.X.String(), a.Y.String())
		}
		// The hash is a valid, decodable G1 point.
		if _, err := G1().DecodePoint(got.Bytes()); err != nil {
			t.Errorf("msg %q: %v", tc.Msg, err)
		}
	}
}

func TestPairingCheck(t *testing.T) {
	a := grouptest.RandomScalar(t, G1())
	b := grouptest.RandomScalar(t, G1())
	g1, g2 := G1().Generator(), G2().Generator()
	aG1 := G1().NewPoint().ScalarBaseMult(a)
	aG2 := G2().NewPoint().ScalarBaseMult(a)
	negG1 := G1().NewPoint().Neg(g1)
	// e(aG1, G2) · e(−G1, aG2) = 1
	ok, err := PairingCheck([]group.Point{aG1, negG1}, []group.Point{g2, aG2})
	if err != nil || !ok {
		t.Fatalf("valid pairing check: %v %v", ok, err)
	}
	bG2 := G2().NewPoint().ScalarBaseMult(b)
	ok, err = PairingCheck([]group.Point{aG1, negG1}, []group.Point{g2, bG2})
	if err != nil || ok {
		t.Fatalf("invalid pairing check: %v %v", ok, err)
	}
	// BLS-style: e(H, pk) = e(sig, G2) with sig = sk·H.
	h, _ := HashToG1([]byte("message"), []byte("DST"))
	sig := G1().NewPoint().ScalarMult(a, h)
	ok, err = PairingCheck([]group.Point{sig, G1().NewPoint().Neg(h)}, []group.Point{g2, aG2})
	if err != nil || !ok {
		t.Fatalf("BLS check: %v %v", ok, err)
	}
	if _, err := PairingCheck([]group.Point{aG1}, []group.Point{g2, aG2}); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := PairingCheck(nil, nil); err == nil {
		t.Error("empty input accepted")
	}
	// A single non-degenerate pairing is not 1.
	if ok, _ := PairingCheck([]group.Point{g1}, []group.Point{g2}); ok {
		t.Error("e(G1, G2) = 1")
	}
}

// notInG1 returns affine points on the curve of G1 but outside the
// subgroup: (0, 2) of order 3, and points from gnark's generator of
// non-subgroup points (SSWU map and isogeny without cofactor clearing).
func notInG1(t testing.TB) []bls.G1Affine {
	var small bls.G1Affine
	small.X.SetZero()
	small.Y.SetUint64(2)
	out := []bls.G1Affine{small}
	for i := 0; i < 3; i++ {
		var f fp.Element
		f.SetRandom()
		j := bls.GeneratePointNotInG1(f)
		var a bls.G1Affine
		a.FromJacobian(&j)
		out = append(out, a)
	}
	for _, a := range out {
		if !a.IsOnCurve() || a.IsInSubGroup() {
			t.Fatal("test point is not on the curve outside the subgroup")
		}
	}
	return out
}

func notInG2(t testing.TB) []bls.G2Affine {
	var out []bls.G2Affine
	for i := 0; i < 3; i++ {
		var f bls.E2
		f.A0.SetRandom()
		f.A1.SetRandom()
		j := bls.GeneratePointNotInG2(f)
		var a bls.G2Affine
		a.FromJacobian(&j)
		if !a.IsOnCurve() || a.IsInSubGroup() {
			t.Fatal("test point is not on the curve outside the subgroup")
		}
		out = append(out, a)
	}
	return out
}

// xOffCurveG1 returns a canonical x for which x³ + 4 is not a square.
func xOffCurveG1() fp.Element {
	for {
		var x, y2, four fp.Element
		x.SetRandom()
		four.SetUint64(4)
		y2.Square(&x).Mul(&y2, &x).Add(&y2, &four)
		if y2.Legendre() == -1 {
			return x
		}
	}
}

func xOffCurveG2() bls.E2 {
	var b bls.E2
	b.A0.SetUint64(4)
	b.A1.SetUint64(4)
	for {
		var x, y2 bls.E2
		x.A0.SetRandom()
		x.A1.SetRandom()
		y2.Square(&x).Mul(&y2, &x).Add(&y2, &b)
		if y2.Legendre() == -1 {
			return x
		}
	}
}

func fpBytes(e *fp.Element) []byte { b := e.Bytes(); return b[:] }

// addP returns the 48-byte big-endian encoding of v + p, and whether it still
// fits below 2^381 (leaving the three flag bits free).
func addP(v []byte) ([]byte, bool) {
	x := new(big.Int).Add(new(big.Int).SetBytes(v), p)
	return x.FillBytes(make([]byte, 48)), x.BitLen() <= 381
}

type negCase struct {
	name string
	enc  []byte
	want string // substring of the error
}

func g1Negatives(t testing.TB) []negCase {
	var cs []negCase
	P := grouptest.RandomPoint(t, G1()).Bytes()
	noFlag := bytes.Clone(P)
	noFlag[0] &^= flagCompressed
	cs = append(cs, negCase{"compression flag cleared", noFlag, "compression flag"})
	a := G1().Generator().(*G1Point).Affine()
	raw := a.RawBytes()
	cs = append(cs, negCase{"uncompressed form (96 bytes)", raw[:], "48 bytes"})
	cs = append(cs, negCase{"uncompressed form truncated to 48", raw[:48], "compression flag"})
	inf := make([]byte, 48)
	inf[0] = 0xc0
	cs = append(cs, negCase{"infinity", inf, "identity"})
	for _, mod := range []struct {
		name string
		i    int
		v    byte
	}{{"sort flag", 0, 0xe0}, {"x byte 0", 0, 0xc1}, {"last byte", 47, 1}, {"middle byte", 20, 0x80}} {
		b := bytes.Clone(inf)
		if mod.i == 0 {
			b[0] = mod.v
		} else {
			b[mod.i] = mod.v
		}
		cs = append(cs, negCase{"infinity with " + mod.name + " set", b, "malformed infinity"})
	}
	uinf := make([]byte, 48)
	uinf[0] = 0x40
	cs = append(cs, negCase{"uncompressed infinity flag", uinf, "compression flag"})
	// x = p, and x = p + x0 for valid x0 (flags kept): non-canonical.
	pb, _ := addP(make([]byte, 48))
	pb[0] |= flagCompressed
	cs = append(cs, negCase{"x = p", pb, "non-canonical"})
	found := false
	for i := 0; i < 64 && !found; i++ {
		q := grouptest.RandomPoint(t, G1())
		enc := q.Bytes()
		flags := enc[0] & 0xe0
		x := bytes.Clone(enc)
		x[0] &^= 0xe0
		if nx, ok := addP(x); ok {
			nx[0] |= flags
			cs = append(cs, negCase{"x + p of a valid point", nx, "non-canonical"})
			found = true
		}
	}
	if !found {
		t.Fatal("no point with x < 2^381 − p found")
	}
	off := xOffCurveG1()
	ob := fpBytes(&off)
	ob[0] |= flagCompressed
	cs = append(cs, negCase{"x not on the curve", ob, "square root"})
	for i, a := range notInG1(t) {
		b := a.Bytes()
		cs = append(cs, negCase{fmt.Sprintf("on the curve, outside the subgroup #%d", i), b[:], "subgroup"})
	}
	cs = append(cs, negCase{"empty", nil, "48 bytes"}, negCase{"47 bytes", P[:47], "48 bytes"},
		negCase{"49 bytes", append(bytes.Clone(P), 0), "48 bytes"})
	return cs
}

func g2Negatives(t testing.TB) []negCase {
	var cs []negCase
	P := grouptest.RandomPoint(t, G2()).Bytes()
	noFlag := bytes.Clone(P)
	noFlag[0] &^= flagCompressed
	cs = append(cs, negCase{"compression flag cleared", noFlag, "compression flag"})
	a := G2().Generator().(*G2Point).Affine()
	raw := a.RawBytes()
	cs = append(cs, negCase{"uncompressed form (192 bytes)", raw[:], "96 bytes"})
	cs = append(cs, negCase{"uncompressed form truncated to 96", raw[:96], "compression flag"})
	inf := make([]byte, 96)
	inf[0] = 0xc0
	cs = append(cs, negCase{"infinity", inf, "identity"})
	for _, i := range []int{1, 47, 48, 95} {
		b := bytes.Clone(inf)
		b[i] = 1
		cs = append(cs, negCase{fmt.Sprintf("infinity with byte %d set", i), b, "malformed infinity"})
	}
	b := bytes.Clone(inf)
	b[0] = 0xe0
	cs = append(cs, negCase{"infinity with sort flag", b, "malformed infinity"})
	// Non-canonical c1 (first 48 bytes, carrying the flags) and c0.
	found := false
	for i := 0; i < 64 && !found; i++ {
		enc := grouptest.RandomPoint(t, G2()).Bytes()
		flags := enc[0] & 0xe0
		c1 := bytes.Clone(enc[:48])
		c1[0] &^= 0xe0
		if n1, ok := addP(c1); ok {
			n1[0] |= flags
			cs = append(cs, negCase{"c1 + p of a valid point", append(n1, enc[48:]...), "non-canonical"})
			found = true
		}
	}
	if !found {
		t.Fatal("no point with x.c1 < 2^381 − p found")
	}
	enc := grouptest.RandomPoint(t, G2()).Bytes()
	c0, _ := addP(enc[48:]) // c0 + p < 2^382 always fits in 48 bytes
	cs = append(cs, negCase{"c0 + p of a valid point", append(bytes.Clone(enc[:48]), c0...), "non-canonical"})
	pb, _ := addP(make([]byte, 48))
	pc1 := append(bytes.Clone(pb), make([]byte, 48)...)
	pc1[0] |= flagCompressed
	cs = append(cs, negCase{"c1 = p", pc1, "non-canonical"})
	off := xOffCurveG2()
	ob := append(fpBytes(&off.A1), fpBytes(&off.A0)...)
	ob[0] |= flagCompressed
	cs = append(cs, negCase{"x not on the curve", ob, "square root"})
	for i, a := range notInG2(t) {
		b := a.Bytes()
		cs = append(cs, negCase{fmt.Sprintf("on the curve, outside the subgroup #%d", i), b[:], "subgroup"})
	}
	cs = append(cs, negCase{"empty", nil, "96 bytes"}, negCase{"48 bytes", P[:48], "96 bytes"},
		negCase{"97 bytes", append(bytes.Clone(P), 0), "96 bytes"})
	return cs
}

func TestDecodeG1Rejects(t *testing.T) {
	for _, c := range g1Negatives(t) {
		_, err := G1().DecodePoint(c.enc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want error containing %q", c.name, err, c.want)
		}
	}
}

func TestDecodeG2Rejects(t *testing.T) {
	for _, c := range g2Negatives(t) {
		_, err := G2().DecodePoint(c.enc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want error containing %q", c.name, err, c.want)
		}
	}
}

// TestSortFlag checks that the sort flag selects y: flipping it on a valid
// encoding gives the negated point, never the same one.
func TestSortFlag(t *testing.T) {
	for _, g := range []group.Group{G1(), G2()} {
		q := grouptest.RandomPoint(t, g)
		b := q.Bytes()
		b[0] ^= flagSort
		d, err := g.DecodePoint(b)
		if err != nil {
			t.Fatalf("%s: %v", g.Name(), err)
		}
		if !d.Equal(g.NewPoint().Neg(q)) || d.Equal(q) {
			t.Errorf("%s: flipped sort flag does not give −P", g.Name())
		}
	}
}

// blstAcceptsG1 is the decoding rule written with blst: a compressed,
// non-infinity encoding that blst uncompresses to a point of G1.
func blstAcceptsG1(b []byte) (*blst.P1Affine, bool) {
	if len(b) != 48 || b[0]&0x80 == 0 || b[0]&0x40 != 0 {
		return nil, false
	}
	a := new(blst.P1Affine).Uncompress(b)
	if a == nil || !a.InG1() {
		return nil, false
	}
	return a, true
}

func blstAcceptsG2(b []byte) (*blst.P2Affine, bool) {
	if len(b) != 96 || b[0]&0x80 == 0 || b[0]&0x40 != 0 {
		return nil, false
	}
	a := new(blst.P2Affine).Uncompress(b)
	if a == nil || !a.InG2() {
		return nil, false
	}
	return a, true
}

func TestDecodeAgainstBlst(t *testing.T) {
	var in1, in2 [][]byte
	for _, c := range g1Negatives(t) {
		in1 = append(in1, c.enc)
	}
	for _, c := range g2Negatives(t) {
		in2 = append(in2, c.enc)
	}
	for i := 0; i < 20; i++ {
		in1 = append(in1, grouptest.RandomPoint(t, G1()).Bytes())
		in2 = append(in2, grouptest.RandomPoint(t, G2()).Bytes())
		r1, r2 := make([]byte, 48), make([]byte, 96)
		rand.Read(r1)
		rand.Read(r2)
		r1[0] = r1[0]&0x1f | 0x80
		r2[0] = r2[0]&0x1f | 0x80
		in1, in2 = append(in1, r1), append(in2, r2)
	}
	for _, b := range in1 {
		p, err := DecodeG1(b)
		a, ok := blstAcceptsG1(b)
		if (err == nil) != ok {
			t.Fatalf("G1 %x: DecodeG1 error %v, blst accepts %v", b, err, ok)
		}
		if ok && !bytes.Equal(a.Compress(), p.Bytes()) {
			t.Fatalf("G1 %x: decoders disagree", b)
		}
	}
	for _, b := range in2 {
		p, err := DecodeG2(b)
		a, ok := blstAcceptsG2(b)
		if (err == nil) != ok {
			t.Fatalf("G2 %x: DecodeG2 error %v, blst accepts %v", b, err, ok)
		}
		if ok && !bytes.Equal(a.Compress(), p.Bytes()) {
			t.Fatalf("G2 %x: decoders disagree", b)
		}
	}
}

// TestBlstAgainstGnark cross-checks the blst multiplications (ScalarMult,
// ScalarBaseMult) with gnark's ScalarMultiplication, and the encodings of
// both libraries.
func TestBlstAgainstGnark(t *testing.T) {
	n := fr.Modulus()
	scalars := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), new(big.Int).Sub(n, big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(1), 254)}
	for i := 0; i < 8; i++ {
		v, _ := rand.Int(rand.Reader, n)
		scalars = append(scalars, v)
	}
	_, _, g1Aff, g2Aff := bls.Generators()
	for i, v := range scalars {
		s := scalarFromBigInt(v)
		q1 := grouptest.RandomPoint(t, G1()).(*G1Point)
		q1a := q1.Affine()
		var w1 bls.G1Affine
		w1.ScalarMultiplication(&q1a, v)
		if got := NewG1Point().ScalarMult(s, q1).(*G1Point).Affine(); !got.Equal(&w1) {
			t.Fatalf("scalar %d: G1 blst ScalarMult != gnark", i)
		}
		w1.ScalarMultiplication(&g1Aff, v)
		if got := NewG1Point().ScalarBaseMult(s).(*G1Point).Affine(); !got.Equal(&w1) {
			t.Fatalf("scalar %d: G1 blst ScalarBaseMult != gnark", i)
		}
		q2 := grouptest.RandomPoint(t, G2()).(*G2Point)
		q2a := q2.Affine()
		var w2 bls.G2Affine
		w2.ScalarMultiplication(&q2a, v)
		if got := NewG2Point().ScalarMult(s, q2).(*G2Point).Affine(); !got.Equal(&w2) {
			t.Fatalf("scalar %d: G2 blst ScalarMult != gnark", i)
		}
		w2.ScalarMultiplication(&g2Aff, v)
		if got := NewG2Point().ScalarBaseMult(s).(*G2Point).Affine(); !got.Equal(&w2) {
			t.Fatalf("scalar %d: G2 blst ScalarBaseMult != gnark", i)
		}
		// Encodings agree (blst's key derivation From uses its own code path).
		bs := new(blst.Scalar).FromBEndian(s.Bytes())
		if bs == nil {
			continue // zero: blst refuses it as a secret key
		}
		pk1 := new(blst.P1Affine).From(bs)
		if e := NewG1Point().ScalarBaseMult(s).Bytes(); !bytes.Equal(pk1.Compress(), e) {
			t.Fatalf("scalar %d: G1 encodings differ", i)
		}
		pk2 := new(blst.P2Affine).From(bs)
		if e := NewG2Point().ScalarBaseMult(s).Bytes(); !bytes.Equal(pk2.Compress(), e) {
			t.Fatalf("scalar %d: G2 encodings differ", i)
		}
	}
	// The identity encodes alike.
	if !bytes.Equal(NewG1Point().Bytes(), blst.P1Generator().Mult(make([]byte, 32)).Compress()) {
		t.Fatal("G1 identity encodings differ")
	}
	if !bytes.Equal(NewG2Point().Bytes(), blst.P2Generator().Mult(make([]byte, 32)).Compress()) {
		t.Fatal("G2 identity encodings differ")
	}
}

// TestBlstConversion checks the exact point conversions between the two
// libraries, including the identity.
func TestBlstConversion(t *testing.T) {
	for i := 0; i < 4; i++ {
		var p1 group.Point = grouptest.RandomPoint(t, G1())
		var p2 group.Point = grouptest.RandomPoint(t, G2())
		if i == 0 {
			p1, p2 = NewG1Point(), NewG2Point()
		}
		var b1 blst.P1
		b1.FromAffine(g1ToBlst(&p1.(*G1Point).p))
		if !bytes.Equal(b1.Compress(), p1.Bytes()) {
			t.Fatal("G1 to blst")
		}
		back1 := NewG1Point()
		g1FromBlst(&back1.p, &b1)
		if !back1.Equal(p1) {
			t.Fatal("G1 from blst")
		}
		var b2 blst.P2
		b2.FromAffine(g2ToBlst(&p2.(*G2Point).p))
		if !bytes.Equal(b2.Compress(), p2.Bytes()) {
			t.Fatal("G2 to blst")
		}
		back2 := NewG2Point()
		g2FromBlst(&back2.p, &b2)
		if !back2.Equal(p2) {
			t.Fatal("G2 from blst")
		}
	}
}

// TestScalarLayout checks that Scalar's bytes are blst's scalar layout and
// that its arithmetic matches gnark's fr.
func TestScalarLayout(t *testing.T) {
	if unsafe.Sizeof(blst.Scalar{}) != 32 {
		t.Fatal("blst.Scalar is not 32 bytes")
	}
	for i := 0; i < 16; i++ {
		a := grouptest.RandomScalar(t, G1()).(*Scalar)
		b := grouptest.RandomScalar(t, G1()).(*Scalar)
		if !bytes.Equal(a.blst().Serialize(), a.Bytes()) {
			t.Fatal("blst sees a different scalar")
		}
		if !bytes.Equal(new(blst.Scalar).FromLEndian(a.le[:]).Serialize(), a.Bytes()) {
			t.Fatal("FromLEndian")
		}
		fa, fb := a.Fr(), b.Fr()
		var want fr.Element
		check := func(name string, got group.Scalar, want *fr.Element) {
			if !got.Equal(NewScalarFromFr(want)) {
				t.Fatalf("%s differs from gnark", name)
			}
		}
		check("Add", new(Scalar).Add(a, b), want.Add(&fa, &fb))
		check("Sub", new(Scalar).Sub(a, b), want.Sub(&fa, &fb))
		check("Mul", new(Scalar).Mul(a, b), want.Mul(&fa, &fb))
		check("Neg", new(Scalar).Neg(a), want.Neg(&fa))
		check("Invert", new(Scalar).Invert(a), want.Inverse(&fa))
	}
}

func TestAffineAccessors(t *testing.T) {
	p1 := grouptest.RandomPoint(t, G1()).(*G1Point)
	a1 := p1.Affine()
	if q, err := NewG1PointFromAffine(&a1); err != nil || !q.Equal(p1) {
		t.Errorf("G1 affine round trip: %v", err)
	}
	p2 := grouptest.RandomPoint(t, G2()).(*G2Point)
	a2 := p2.Affine()
	if q, err := NewG2PointFromAffine(&a2); err != nil || !q.Equal(p2) {
		t.Errorf("G2 affine round trip: %v", err)
	}
	for _, a := range notInG1(t) {
		if _, err := NewG1PointFromAffine(&a); err == nil {
			t.Error("NewG1PointFromAffine accepted a point outside G1")
		}
	}
	for _, a := range notInG2(t) {
		if _, err := NewG2PointFromAffine(&a); err == nil {
			t.Error("NewG2PointFromAffine accepted a point outside G2")
		}
	}
	var off bls.G1Affine
	off.X.SetOne()
	off.Y.SetOne()
	if _, err := NewG1PointFromAffine(&off); err == nil {
		t.Error("NewG1PointFromAffine accepted (1, 1)")
	}
	var inf bls.G1Affine
	if q, err := NewG1PointFromAffine(&inf); err != nil || !q.IsIdentity() {
		t.Errorf("G1 infinity: %v", err)
	}
}

func TestMixingGroupsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	NewG1Point().Add(NewG1Point(), NewG2Point())
}

func TestRedaction(t *testing.T) {
	s := G1().NewScalar().SetUint64(12345)
	out := fmt.Sprintf("%v %+v %#v %x %d %s", s, s, s, s, s, s)
	if strings.Contains(out, "12345") || strings.Contains(out, "3039") || !strings.Contains(out, "REDACTED") {
		t.Errorf("scalar printed as %q", out)
	}
}

func TestPairingCheckPreparedAgrees(t *testing.T) {
	a := grouptest.RandomScalar(t, G1())
	b := grouptest.RandomScalar(t, G1())
	g2 := G2().Generator()
	aG1 := G1().NewPoint().ScalarBaseMult(a)
	aG2 := G2().NewPoint().ScalarBaseMult(a)
	bG2 := G2().NewPoint().ScalarBaseMult(b)
	negG1 := G1().NewPoint().Neg(G1().Generator())
	pg2, paG2, pbG2 := PrepareG2(g2), PrepareG2(aG2), PrepareG2(bG2)
	for _, c := range []struct {
		name string
		qs   []*PreparedG2
		want bool
	}{
		{"valid", []*PreparedG2{pg2, paG2}, true},
		{"wrong key", []*PreparedG2{pg2, pbG2}, false},
	} {
		ok, err := PairingCheckPrepared([]group.Point{aG1, negG1}, c.qs)
		if err != nil || ok != c.want {
			t.Errorf("%s: got %v, %v; want %v", c.name, ok, err, c.want)
		}
	}
	if _, err := PairingCheckPrepared([]group.Point{aG1}, []*PreparedG2{pg2, paG2}); err == nil {
		t.Error("length mismatch accepted")
	}
	if _, err := PairingCheckPrepared(nil, nil); err == nil {
		t.Error("empty input accepted")
	}
}

// TestPairingBytesAgainstGnark checks the constant-time pairing (blst) and
// its reordered serialisation against gnark-crypto's pairing and GT.Bytes.
func TestPairingBytesAgainstGnark(t *testing.T) {
	for range 4 {
		a, err := G1().RandomScalar(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		b, err := G2().RandomScalar(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		p := G1().NewPoint().ScalarBaseMult(a)
		q := G2().NewPoint().ScalarBaseMult(b)
		want, err := bls.Pair([]bls.G1Affine{toG1(p).Affine()}, []bls.G2Affine{toG2(q).Affine()})
		if err != nil {
			t.Fatal(err)
		}
		wb := want.Bytes()
		if got := PairingBytes(p, q); !bytes.Equal(got, wb[:]) {
			t.Fatalf("PairingBytes differs from gnark:\n%x\n%x", got, wb)
		}
	}
}
