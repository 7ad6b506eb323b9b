package secp256k1

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/grouptest"
)

func TestGroup(t *testing.T) { grouptest.Run(t, Group()) }

const fieldPrimeHex = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f"

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func scalarFromBig(v *big.Int) *Scalar {
	return Group().ScalarFromBigInt(v).(*Scalar)
}

// edgeScalars are the scalars the constant-time ladder is checked on besides
// random ones: 0, 1, 2, n−1, multiples of 16 (a zero low window), values
// with all-zero or all-one windows.
func edgeScalars() []*Scalar {
	n := Group().Order()
	vals := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16), big.NewInt(256),
		big.NewInt(0x10000), new(big.Int).Lsh(big.NewInt(1), 252), new(big.Int).Lsh(big.NewInt(15), 252),
		new(big.Int).Sub(n, big.NewInt(1)), new(big.Int).Sub(n, big.NewInt(16)),
		new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1)),
		new(big.Int).Lsh(big.NewInt(0x123456789abcdef), 100), // multiple of 16
	}
	var out []*Scalar
	for _, v := range vals {
		out = append(out, scalarFromBig(v))
	}
	return out
}

// TestConstantTimeMultAgainstDecred cross-checks the complete-formula ladder
// against decred's variable-time multiplications.
func TestConstantTimeMultAgainstDecred(t *testing.T) {
	scalars := edgeScalars()
	for i := 0; i < 64; i++ {
		scalars = append(scalars, grouptest.RandomScalar(t, Group()).(*Scalar))
	}
	bases := []*Point{Generator()}
	for i := 0; i < 3; i++ {
		bases = append(bases, grouptest.RandomPoint(t, Group()).(*Point))
	}
	for i, s := range scalars {
		var want secp256k1.JacobianPoint
		secp256k1.ScalarBaseMultNonConst(&s.s, &want)
		got := new(Point).ScalarBaseMult(s).(*Point)
		if !got.Equal(&Point{want}) {
			t.Fatalf("scalar %d: ScalarBaseMult != ScalarBaseMultNonConst", i)
		}
		q := bases[i%len(bases)]
		secp256k1.ScalarMultNonConst(&s.s, &q.p, &want)
		got = new(Point).ScalarMult(s, q).(*Point)
		if !got.Equal(&Point{want}) {
			t.Fatalf("scalar %d: ScalarMult != ScalarMultNonConst", i)
		}
		if !bytes.Equal(got.Bytes(), (&Point{want}).Bytes()) {
			t.Fatalf("scalar %d: encodings differ", i)
		}
	}
}

// TestCompleteFormulas checks the projective formulas on the exceptional
// cases of incomplete ones: P + P, P + (−P), O + P, P + O, O + O, 2·O.
func TestCompleteFormulas(t *testing.T) {
	p := grouptest.RandomPoint(t, Group()).(*Point)
	var pp, np, id, r projPoint
	pp.fromJacobian(&p.p)
	np.fromJacobian(&new(Point).Neg(p).(*Point).p)
	id.setIdentity()
	toPoint := func(v *projPoint) *Point {
		q := new(Point)
		v.toJacobian(&q.p)
		return q
	}
	twoP := new(Point).Add(p, p)
	if r.add(&pp, &pp); !toPoint(&r).Equal(twoP) {
		t.Error("P+P")
	}
	if r.double(&pp); !toPoint(&r).Equal(twoP) {
		t.Error("2P")
	}
	if r.add(&pp, &np); !toPoint(&r).IsIdentity() {
		t.Error("P+(−P)")
	}
	if r.add(&id, &pp); !toPoint(&r).Equal(p) {
		t.Error("O+P")
	}
	if r.add(&pp, &id); !toPoint(&r).Equal(p) {
		t.Error("P+O")
	}
	if r.add(&id, &id); !toPoint(&r).IsIdentity() {
		t.Error("O+O")
	}
	if r.double(&id); !toPoint(&r).IsIdentity() {
		t.Error("2O")
	}
}

// smallValidX returns the smallest x > 0 that is the x coordinate of a curve
// point, and the smallest that is not.
func smallValidX(t *testing.T) (valid, invalid byte) {
	for x := byte(1); x < 100 && (valid == 0 || invalid == 0); x++ {
		var fx, fy secp256k1.FieldVal
		fx.SetInt(uint16(x))
		if secp256k1.DecompressY(&fx, false, &fy) {
			if valid == 0 {
				valid = x
			}
		} else if invalid == 0 {
			invalid = x
		}
	}
	if valid == 0 || invalid == 0 {
		t.Fatal("no small x found")
	}
	return valid, invalid
}

func TestDecodePointRejects(t *testing.T) {
	valid, invalid := smallValidX(t)
	gen := Generator().Bytes()
	uncompressed := Generator()
	pk, _ := uncompressed.PublicKey()

	xEq := func(prefix byte, xHex string) []byte { return append([]byte{prefix}, mustHex(xHex)...) }
	pPlus := func(k byte) string {
		v, _ := new(big.Int).SetString(fieldPrimeHex, 16)
		return hex.EncodeToString(v.Add(v, big.NewInt(int64(k))).FillBytes(make([]byte, 32)))
	}
	smallX := func(prefix, x byte) []byte {
		b := make([]byte, 33)
		b[0], b[32] = prefix, x
		return b
	}
	// Sanity: the small valid x decodes, with both prefixes.
	for _, pre := range []byte{2, 3} {
		if _, err := DecodePoint(smallX(pre, valid)); err != nil {
			t.Fatalf("x = %d, prefix %d: %v", valid, pre, err)
		}
	}
	cases := []struct {
		name string
		enc  []byte
		want string
	}{
		{"identity (33 zero bytes)", make([]byte, 33), "prefix"},
		{"prefix 0x00", append([]byte{0}, gen[1:]...), "prefix"},
		{"prefix 0x01", append([]byte{1}, gen[1:]...), "prefix"},
		{"prefix 0x04 (uncompressed tag)", append([]byte{4}, gen[1:]...), "prefix"},
		{"prefix 0x06 (hybrid tag)", append([]byte{6}, gen[1:]...), "prefix"},
		{"prefix 0x07 (hybrid tag)", append([]byte{7}, gen[1:]...), "prefix"},
		{"prefix 0x12", append([]byte{0x12}, gen[1:]...), "prefix"},
		{"prefix 0xff", append([]byte{0xff}, gen[1:]...), "prefix"},
		{"uncompressed form (65 bytes)", pk.SerializeUncompressed(), "33 bytes"},
		{"x = p", xEq(2, fieldPrimeHex), "field prime"},
		{fmt.Sprintf("x = p + %d (aliases a valid x)", valid), xEq(2, pPlus(valid)), "field prime"},
		{fmt.Sprintf("x = p + %d, prefix 3", valid), xEq(3, pPlus(valid)), "field prime"},
		{"x = 2^256 − 1", xEq(2, strings.Repeat("ff", 32)), "field prime"},
		{fmt.Sprintf("x = %d (no curve point)", invalid), smallX(2, invalid), "not on the curve"},
		{fmt.Sprintf("x = %d (no curve point), prefix 3", invalid), smallX(3, invalid), "not on the curve"},
		{"x = 0", smallX(2, 0), "not on the curve"},
	}
	for _, c := range cases {
		_, err := DecodePoint(c.enc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want error containing %q", c.name, err, c.want)
		}
	}
}

// TestDecodePointAgainstDecred checks that DecodePoint accepts exactly the
// 33-byte encodings that decred's ParsePubKey accepts in compressed form.
func TestDecodePointAgainstDecred(t *testing.T) {
	inputs := [][]byte{make([]byte, 33)}
	for i := 0; i < 200; i++ {
		b := make([]byte, 33)
		rand.Read(b)
		b[0] = 2 + b[0]&1
		inputs = append(inputs, b)
		inputs = append(inputs, grouptest.RandomPoint(t, Group()).Bytes())
	}
	for _, b := range inputs {
		p, err := DecodePoint(b)
		k, kerr := secp256k1.ParsePubKey(b)
		if (err == nil) != (kerr == nil) {
			t.Fatalf("%x: DecodePoint error %v, ParsePubKey error %v", b, err, kerr)
		}
		if err == nil && !bytes.Equal(k.SerializeCompressed(), p.Bytes()) {
			t.Fatalf("%x: decoders disagree on the point", b)
		}
	}
}

func TestConversions(t *testing.T) {
	p := grouptest.RandomPoint(t, Group()).(*Point)
	pk, err := p.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pk.SerializeCompressed(), p.Bytes()) {
		t.Error("PublicKey encoding differs")
	}
	q, err := NewPointFromPublicKey(pk)
	if err != nil || !q.Equal(p) {
		t.Errorf("public key round trip: %v", err)
	}
	j := p.Jacobian()
	q, err = NewPointFromJacobian(&j)
	if err != nil || !q.Equal(p) {
		t.Errorf("Jacobian round trip: %v", err)
	}
	x, err := p.AffineX()
	if err != nil || !bytes.Equal(x, p.Bytes()[1:]) {
		t.Errorf("AffineX: %v", err)
	}
	even, err := p.HasEvenY()
	if err != nil || even != (p.Bytes()[0] == 2) {
		t.Errorf("HasEvenY: %v", err)
	}
	neven, _ := new(Point).Neg(p).(*Point).HasEvenY()
	if neven == even {
		t.Error("P and −P have the same y parity")
	}

	id := new(Point)
	if _, err := id.PublicKey(); err == nil {
		t.Error("PublicKey of the identity")
	}
	if _, err := id.AffineX(); err == nil {
		t.Error("AffineX of the identity")
	}
	if _, err := id.HasEvenY(); err == nil {
		t.Error("HasEvenY of the identity")
	}
	jid := id.Jacobian()
	if q, err := NewPointFromJacobian(&jid); err != nil || !q.IsIdentity() {
		t.Errorf("identity from Jacobian: %v", err)
	}

	// Off-curve inputs are refused.
	var fx, fy secp256k1.FieldVal
	fx.SetInt(1)
	fy.SetInt(1)
	if _, err := NewPointFromPublicKey(secp256k1.NewPublicKey(&fx, &fy)); err == nil {
		t.Error("NewPointFromPublicKey accepted (1, 1)")
	}
	var one secp256k1.FieldVal
	one.SetInt(1)
	bad := secp256k1.MakeJacobianPoint(&fx, &fy, &one)
	if _, err := NewPointFromJacobian(&bad); err == nil {
		t.Error("NewPointFromJacobian accepted (1, 1)")
	}

	s := grouptest.RandomScalar(t, Group()).(*Scalar)
	if !NewScalarFromModN(s.ModN()).Equal(s) {
		t.Error("scalar round trip")
	}
	s.ModN().Zero()
	if s.IsZero() {
		t.Error("ModN shares memory")
	}
}

func TestDecodeScalarRejects(t *testing.T) {
	n := Group().Order()
	for _, v := range []*big.Int{n, new(big.Int).Add(n, big.NewInt(1))} {
		if _, err := DecodeScalar(v.FillBytes(make([]byte, 32))); err == nil {
			t.Errorf("DecodeScalar accepted %x", v)
		}
	}
	if _, err := DecodeScalar(bytes.Repeat([]byte{0xff}, 32)); err == nil {
		t.Error("DecodeScalar accepted 2^256 − 1")
	}
}

func TestRedaction(t *testing.T) {
	s := Group().NewScalar().SetUint64(12345)
	out := fmt.Sprintf("%v %+v %#v %x %d %s", s, s, s, s, s, s)
	if strings.Contains(out, "12345") || strings.Contains(out, "3039") || !strings.Contains(out, "REDACTED") {
		t.Errorf("scalar printed as %q", out)
	}
}

func TestMixingGroupsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	new(Point).Add(new(Point), otherPoint{})
}

type otherPoint struct{ group.Point }

func TestDecodeXOnly(t *testing.T) {
	p := grouptest.RandomPoint(t, Group()).(*Point)
	x, _ := p.AffineX()
	q, err := DecodeXOnly(x)
	if err != nil {
		t.Fatal(err)
	}
	if even, _ := q.HasEvenY(); !even {
		t.Error("lift_x gave an odd y")
	}
	if !q.Equal(p) && !q.Equal(new(Point).Neg(p)) {
		t.Error("lift_x gave another x")
	}
	_, invalid := smallValidX(t)
	bad := make([]byte, 32)
	bad[31] = invalid
	for _, b := range [][]byte{bad, mustHex(fieldPrimeHex), x[:31], append(bytes.Clone(x), 0)} {
		if _, err := DecodeXOnly(b); err == nil {
			t.Errorf("DecodeXOnly accepted %x", b)
		}
	}
}
