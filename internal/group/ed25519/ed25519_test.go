package ed25519

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"filippo.io/edwards25519"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/grouptest"
)

func TestGroup(t *testing.T) { grouptest.Run(t, Group()) }

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Encodings of the eight points of small order (the torsion subgroup E[8]),
// in canonical form.
var smallOrder = map[string]string{
	"identity (order 1)": "0100000000000000000000000000000000000000000000000000000000000000",
	"order 2":            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"order 4, x > 0":     "0000000000000000000000000000000000000000000000000000000000000000",
	"order 4, x < 0":     "0000000000000000000000000000000000000000000000000000000000000080",
	"order 8 (a)":        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"order 8 (b)":        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"order 8 (c)":        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"order 8 (d)":        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
}

func TestDecodePointRejectsSmallOrder(t *testing.T) {
	for name, h := range smallOrder {
		b := mustHex(h)
		// The encodings are valid curve points...
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			t.Fatalf("%s: not a curve point: %v", name, err)
		}
		// ...of order dividing 8.
		if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) != 1 {
			t.Fatalf("%s: not of small order", name)
		}
		if _, err := DecodePoint(b); err == nil {
			t.Errorf("%s: DecodePoint accepted a small-order point", name)
		}
	}
}

func TestDecodePointRejectsMixedOrder(t *testing.T) {
	for name, h := range smallOrder {
		if strings.HasPrefix(name, "identity") {
			continue
		}
		torsion, _ := new(edwards25519.Point).SetBytes(mustHex(h))
		for i := 0; i < 4; i++ {
			p := grouptest.RandomPoint(t, Group()).(*Point)
			mixed := new(edwards25519.Point).Add(&p.p, torsion)
			_, err := DecodePoint(mixed.Bytes())
			if err == nil || !strings.Contains(err.Error(), "subgroup") {
				t.Errorf("P + %s point: got %v, want a subgroup error", name, err)
			}
			if _, err := NewPointFromEdwards(mixed); err == nil {
				t.Errorf("NewPointFromEdwards accepted P + %s point", name)
			}
		}
	}
}

func TestDecodePointRejectsNonCanonical(t *testing.T) {
	// y ≥ p: y = p + k for the small k where y = k is a curve point. The
	// field prime is 2^255 − 19, so y = p + k fits in 255 bits for k < 19.
	p := mustHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	tested := 0
	for k := byte(0); k < 19; k++ {
		for _, sign := range []byte{0, 0x80} {
			b := bytes.Clone(p)
			b[0] += k
			b[31] |= sign
			if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
				continue // y = k has no point
			}
			tested++
			_, err := DecodePoint(b)
			if err == nil || !strings.Contains(err.Error(), "non-canonical") {
				t.Errorf("y = p + %d, sign %d: got %v, want a non-canonical error", k, sign>>7, err)
			}
		}
	}
	if tested == 0 {
		t.Fatal("no non-canonical y tested")
	}
	// x = 0 with the sign bit set: y = 1 (the identity) and y = −1.
	for _, h := range []string{
		"0100000000000000000000000000000000000000000000000000000000000080",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	} {
		b := mustHex(h)
		if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
			t.Fatalf("%s: filippo rejects it (%v); the test expects it lenient", h, err)
		}
		_, err := DecodePoint(b)
		if err == nil || !strings.Contains(err.Error(), "non-canonical") {
			t.Errorf("%s: got %v, want a non-canonical error", h, err)
		}
	}
}

func TestDecodePointRejectsOffCurve(t *testing.T) {
	// Find small y for which no x exists.
	found := 0
	for y := byte(2); y < 50 && found < 3; y++ {
		b := make([]byte, 32)
		b[0] = y
		if _, err := new(edwards25519.Point).SetBytes(b); err == nil {
			continue
		}
		found++
		if _, err := DecodePoint(b); err == nil {
			t.Errorf("y = %d: DecodePoint accepted a non-point", y)
		}
	}
	if found == 0 {
		t.Fatal("no off-curve y found")
	}
}

func TestDecodePointRejectsIdentity(t *testing.T) {
	id := NewPoint().Bytes()
	if !bytes.Equal(id, mustHex(smallOrder["identity (order 1)"])) {
		t.Fatalf("identity encodes as %x", id)
	}
	_, err := DecodePoint(id)
	if err == nil || !strings.Contains(err.Error(), "identity") {
		t.Errorf("got %v, want an identity error", err)
	}
}

func TestDecodeScalarRejects(t *testing.T) {
	for _, h := range []string{
		"edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", // l
		"eed3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010", // l + 1
		"0000000000000000000000000000000000000000000000000000000000000020", // 2^253
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	} {
		if _, err := DecodeScalar(mustHex(h)); err == nil {
			t.Errorf("DecodeScalar accepted %s", h)
		}
	}
	// l − 1 is the largest canonical scalar.
	if _, err := DecodeScalar(mustHex("ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")); err != nil {
		t.Errorf("DecodeScalar(l−1): %v", err)
	}
}

// TestAgainstCryptoEd25519 checks ScalarBaseMult against the public keys of
// crypto/ed25519, whose key derivation is s = clamp(SHA-512(seed)[:32]).
func TestAgainstCryptoEd25519(t *testing.T) {
	for i := 0; i < 4; i++ {
		seed := make([]byte, ed25519.SeedSize)
		rand.Read(seed)
		pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		h := sha512.Sum512(seed)
		es, err := edwards25519.NewScalar().SetBytesWithClamping(h[:32])
		if err != nil {
			t.Fatal(err)
		}
		got := NewPoint().ScalarBaseMult(NewScalarFromEdwards(es))
		if !bytes.Equal(got.Bytes(), pub) {
			t.Fatalf("ScalarBaseMult = %x, crypto/ed25519 = %x", got.Bytes(), []byte(pub))
		}
		if _, err := DecodePoint(pub); err != nil {
			t.Fatalf("DecodePoint(public key): %v", err)
		}
	}
}

func TestConversions(t *testing.T) {
	s := grouptest.RandomScalar(t, Group()).(*Scalar)
	if !NewScalarFromEdwards(s.Edwards()).Equal(s) {
		t.Error("scalar round trip")
	}
	e := s.Edwards()
	e.Set(edwards25519.NewScalar())
	if s.IsZero() {
		t.Error("Edwards() shares memory")
	}
	p := grouptest.RandomPoint(t, Group()).(*Point)
	q, err := NewPointFromEdwards(p.Edwards())
	if err != nil || !q.Equal(p) {
		t.Errorf("point round trip: %v", err)
	}
	if id, err := NewPointFromEdwards(edwards25519.NewIdentityPoint()); err != nil || !id.IsIdentity() {
		t.Errorf("identity: %v", err)
	}
}

func TestRedaction(t *testing.T) {
	s := Group().NewScalar().SetUint64(12345)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %x %d %s", s, s, s, s, s, s)} {
		if strings.Contains(out, "12345") || strings.Contains(out, "3039") || !strings.Contains(out, "REDACTED") {
			t.Errorf("scalar printed as %q", out)
		}
	}
}

func TestMixingGroupsPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	NewPoint().Add(NewPoint(), otherPoint{})
}

type otherPoint struct{ group.Point }
