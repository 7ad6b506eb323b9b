package thresholdsig

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gnark "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "0x"))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestHashToG1RFC9380 checks the hash-to-G1 entry point used by signing
// against RFC 9380 Appendix J.9.1.
func TestHashToG1RFC9380(t *testing.T) {
	var f struct {
		DST     string `json:"dst"`
		Vectors []struct {
			Msg string `json:"msg"`
			P   struct {
				X string `json:"x"`
				Y string `json:"y"`
			} `json:"P"`
		} `json:"vectors"`
	}
	readJSON(t, "rfc9380-BLS12381G1_XMD-SHA-256_SSWU_RO_.json", &f)
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range f.Vectors {
		var want gnark.G1Affine
		if _, err := want.X.SetString(v.P.X); err != nil {
			t.Fatal(err)
		}
		if _, err := want.Y.SetString(v.P.Y); err != nil {
			t.Fatal(err)
		}
		if !want.IsOnCurve() || !want.IsInSubGroup() {
			t.Fatalf("msg %q: expected point is not in G1", v.Msg)
		}
		wb := want.Bytes()
		got, err := hashToG1([]byte(v.Msg), []byte(f.DST))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got.Bytes()) != hex.EncodeToString(wb[:]) {
			t.Errorf("msg %q: hash_to_G1 = %x, want %x", v.Msg, got.Bytes(), wb)
		}
	}
	// The same message under the signature DST maps elsewhere.
	a, _ := hashToG1([]byte("abc"), []byte(f.DST))
	b, _ := hashMessage([]byte("abc"))
	if a.Equal(b) {
		t.Error("hash ignores the DST")
	}
}

type icVectors struct {
	Verify []struct {
		Name     string `json:"name"`
		Expected bool   `json:"expected"`
		Sig      string `json:"sig"`
		Msg      string `json:"msg"`
		Key      string `json:"key"`
	} `json:"verify"`
	Sign []struct {
		Name string `json:"name"`
		SK   string `json:"sk_be"`
		Msg  string `json:"msg"`
		Sig  string `json:"sig"`
	} `json:"sign"`
}

// TestICVerifyVectors runs dfinity/verify-bls-signatures' cases, positive
// and negative.
func TestICVerifyVectors(t *testing.T) {
	var f icVectors
	readJSON(t, "ic-verify-bls-signature.json", &f)
	var pos, neg int
	for _, v := range f.Verify {
		t.Run(v.Name, func(t *testing.T) {
			err := verifyBytes(mustHex(t, v.Key), mustHex(t, v.Msg), mustHex(t, v.Sig))
			if v.Expected && err != nil {
				t.Fatalf("valid signature refused: %v", err)
			}
			if !v.Expected && err == nil {
				t.Fatal("invalid signature accepted")
			}
		})
		if v.Expected {
			pos++
		} else {
			neg++
		}
	}
	if pos < 4 || neg < 4 {
		t.Fatalf("only %d positive and %d negative cases", pos, neg)
	}
}

func verifyBytes(key, msg, sig []byte) error {
	pk, err := ParsePublicKey(key)
	if err != nil {
		return err
	}
	return Verify(pk, msg, sig)
}

// TestICSignVector signs with a known scalar through SignShare (a share is a
// key like any other) and compares with the crate's expected signature.
func TestICSignVector(t *testing.T) {
	var f icVectors
	readJSON(t, "ic-verify-bls-signature.json", &f)
	if len(f.Sign) == 0 {
		t.Fatal("no sign vectors")
	}
	for _, v := range f.Sign {
		s, err := g1().DecodeScalar(mustHex(t, v.SK))
		if err != nil {
			t.Fatal(err)
		}
		sk, err := NewSecretKeyShare(0, s)
		if err != nil {
			t.Fatal(err)
		}
		msg := mustHex(t, v.Msg)
		sig, err := SignShare(sk, msg)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(sig) != v.Sig {
			t.Errorf("%s: signature %x, want %s", v.Name, sig, v.Sig)
		}
		pk, err := NewPublicKey(g2().NewPoint().ScalarBaseMult(s))
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(pk, msg, sig); err != nil {
			t.Errorf("%s: own signature refused: %v", v.Name, err)
		}
		if err := Verify(pk, append(msg, 0), sig); err == nil {
			t.Errorf("%s: signature accepted for another message", v.Name)
		}
	}
}

type drandBeacon struct {
	Scheme    string `json:"scheme"`
	BeaconID  string `json:"beacon_id"`
	Round     uint64 `json:"round"`
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

func drandMessage(round uint64) []byte {
	d := sha256.Sum256(binary.BigEndian.AppendUint64(nil, round))
	return d[:]
}

// TestDrandQuicknet verifies real drand quicknet beacons, a threshold BLS
// network using exactly this scheme: message = SHA-256(uint64_be(round)).
func TestDrandQuicknet(t *testing.T) {
	var f struct {
		Beacons []drandBeacon `json:"beacons"`
	}
	readJSON(t, "drand-beacons.json", &f)
	var n int
	for _, b := range f.Beacons {
		pkb, sig := mustHex(t, b.PublicKey), mustHex(t, b.Signature)
		switch b.Scheme {
		case "bls-unchained-g1-rfc9380":
			n++
			if err := verifyBytes(pkb, drandMessage(b.Round), sig); err != nil {
				t.Errorf("%s round %d: %v", b.BeaconID, b.Round, err)
			}
			if err := verifyBytes(pkb, drandMessage(b.Round+1), sig); err == nil {
				t.Errorf("%s round %d: accepted for the next round", b.BeaconID, b.Round)
			}
		case "bls-unchained-on-g1":
			// drand's deprecated scheme hashes to G1 with the G2 DST: a
			// correct signature, but not one of ours.
			pk, err := ParsePublicKey(pkb)
			if err != nil {
				t.Fatal(err)
			}
			msg := drandMessage(b.Round)
			if err := Verify(pk, msg, sig); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("round %d: signature under another DST: got %v, want ErrInvalidSignature", b.Round, err)
			}
			s, err := decodeSignature(sig)
			if err != nil {
				t.Fatal(err)
			}
			h, err := hashToG1(msg, []byte("BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"))
			if err != nil {
				t.Fatal(err)
			}
			if err := verifyHashed(pk.p, h, s); err != nil {
				t.Errorf("round %d: does not verify under its own DST: %v", b.Round, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no quicknet beacon")
	}
}

// TestICRootKeyDER parses the Internet Computer root keys in DER form and
// reproduces their encodings.
func TestICRootKeyDER(t *testing.T) {
	const mainnetRaw = "814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc534" +
		"1583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae"
	files, err := filepath.Glob("testdata/ic-rootkey-*.der.hex")
	if err != nil || len(files) == 0 {
		t.Fatalf("no root keys: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		der := mustHex(t, string(b))
		pk, err := ParseDERPublicKey(der)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := pk.DER(); hex.EncodeToString(got) != hex.EncodeToString(der) {
			t.Errorf("%s: DER round trip differs", name)
		}
		pk2, err := ParsePublicKeyOrDER(der)
		if err != nil || !pk2.Equal(pk) {
			t.Errorf("%s: ParsePublicKeyOrDER(DER) = %v, %v", name, pk2, err)
		}
		pk3, err := ParsePublicKeyOrDER(pk.Bytes())
		if err != nil || !pk3.Equal(pk) {
			t.Errorf("%s: ParsePublicKeyOrDER(raw) = %v, %v", name, pk3, err)
		}
		if strings.Contains(name, "mainnet") && hex.EncodeToString(pk.Bytes()) != mainnetRaw {
			t.Errorf("%s: not the mainnet root key", name)
		}
		// Strictness: every single-byte change of the header, a missing or an
		// extra byte is refused.
		for i := range len(derPrefix) {
			bad := append([]byte{}, der...)
			bad[i] ^= 0x01
			if _, err := ParseDERPublicKey(bad); err == nil {
				t.Errorf("%s: header byte %d altered: accepted", name, i)
			}
		}
		if _, err := ParseDERPublicKey(der[:len(der)-1]); err == nil {
			t.Errorf("%s: truncated DER accepted", name)
		}
		if _, err := ParseDERPublicKey(append(append([]byte{}, der...), 0)); err == nil {
			t.Errorf("%s: DER with a trailing byte accepted", name)
		}
		if _, err := ParsePublicKeyOrDER(append(append([]byte{}, der...), 0)); err == nil {
			t.Errorf("%s: ParsePublicKeyOrDER accepted 134 bytes", name)
		}
		if _, err := ParseDERPublicKey(pk.Bytes()); err == nil {
			t.Errorf("%s: raw key accepted as DER", name)
		}
	}
}

// nonSubgroupG1 returns the compressed encoding of a point on the G1 curve
// y² = x³ + 4 outside the prime-order subgroup.
func nonSubgroupG1(t testing.TB) []byte {
	t.Helper()
	var four fp.Element
	four.SetUint64(4)
	for x := uint64(1); x < 1000; x++ {
		var p gnark.G1Affine
		p.X.SetUint64(x)
		var rhs fp.Element
		rhs.Square(&p.X).Mul(&rhs, &p.X).Add(&rhs, &four)
		if p.Y.Sqrt(&rhs) == nil {
			continue
		}
		if p.IsOnCurve() && !p.IsInSubGroup() {
			b := p.Bytes()
			return b[:]
		}
	}
	t.Fatal("no non-subgroup G1 point found")
	return nil
}

// nonSubgroupG2 returns the compressed encoding of a point on the twist
// y² = x³ + 4(1+u) outside the prime-order subgroup.
func nonSubgroupG2(t testing.TB) []byte {
	t.Helper()
	var p gnark.G2Affine
	for x := uint64(1); x < 1000; x++ {
		p.X.A0.SetUint64(x)
		p.X.A1.SetUint64(1)
		var rhs, bTwist = p.X, p.X
		rhs.Square(&p.X).Mul(&rhs, &p.X)
		bTwist.A0.SetUint64(4)
		bTwist.A1.SetUint64(4)
		rhs.Add(&rhs, &bTwist)
		if rhs.Legendre() != 1 {
			continue
		}
		p.Y.Sqrt(&rhs)
		if p.IsOnCurve() && !p.IsInSubGroup() {
			enc := p.Bytes()
			return enc[:]
		}
	}
	t.Fatal("no non-subgroup G2 point found")
	return nil
}

// nonCanonicalG1 returns a valid signature-like G1 point and the same point
// encoded with x + p in place of x, which is not canonical.
func nonCanonicalG1(t testing.TB) (valid, nonCanonical []byte) {
	t.Helper()
	for i := range 1000 {
		h, err := hashMessage(binary.BigEndian.AppendUint64(nil, uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		valid = h.Bytes()
		x := new(big.Int).SetBytes(append([]byte{valid[0] & 0x1f}, valid[1:]...))
		x.Add(x, fp.Modulus())
		if x.BitLen() > 381 {
			continue
		}
		nonCanonical = x.FillBytes(make([]byte, 48))
		nonCanonical[0] |= valid[0] & 0xe0
		return valid, nonCanonical
	}
	t.Fatal("no point with a small x found")
	return nil, nil
}
