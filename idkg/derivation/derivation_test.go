package derivation

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/chainkey/chainkey/principal"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// candidPath parses the vectors' path syntax: elements separated by '/',
// each a Candid blob string where "\xx" is a hex byte; "" (null) is empty.
func candidPath(t *testing.T, s *string) [][]byte {
	t.Helper()
	if s == nil {
		return nil
	}
	var out [][]byte
	for _, el := range strings.Split(*s, "/") {
		var b []byte
		for i := 0; i < len(el); i++ {
			if el[i] == '\\' && i+2 < len(el) {
				v, err := strconv.ParseUint(el[i+1:i+3], 16, 8)
				if err != nil {
					t.Fatal(err)
				}
				b = append(b, byte(v))
				i += 2
				continue
			}
			b = append(b, el[i])
		}
		out = append(out, b)
	}
	return out
}

type sample struct {
	Name             string  `json:"name"`
	PublicKey        string  `json:"public_key"`
	ChainCode        string  `json:"chain_code"`
	DerivationPath   *string `json:"derivation_path"`
	ExpectedPubKey   string  `json:"expected_public_key"`
	ExpectedChainCod string  `json:"expected_chain_code"`
}

type sampleSet struct {
	TestVectors []sample `json:"test_vectors"`
}

func TestSamples(t *testing.T) {
	raw, err := os.ReadFile("testdata/ic-derivation-samples.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		ECDSA   map[string]sampleSet `json:"ecdsa"`
		Schnorr map[string]sampleSet `json:"schnorr"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	type fn func(pk, cc []byte, path [][]byte) (*Key, error)
	sets := []struct {
		name string
		set  sampleSet
		f    fn
	}{
		{"ecdsa/secp256k1", v.ECDSA["secp256k1"], Secp256k1},
		{"schnorr/bip340secp256k1", v.Schnorr["bip340secp256k1"], Secp256k1},
		{"schnorr/ed25519", v.Schnorr["ed25519"], Ed25519},
	}
	total := 0
	for _, s := range sets {
		if len(s.set.TestVectors) == 0 {
			t.Fatalf("%s: no vectors", s.name)
		}
		for _, tv := range s.set.TestVectors {
			total++
			k, err := s.f(unhex(t, tv.PublicKey), unhex(t, tv.ChainCode), candidPath(t, tv.DerivationPath))
			if err != nil {
				t.Fatalf("%s %s: %v", s.name, tv.Name, err)
			}
			if got := hex.EncodeToString(k.PublicKey); got != tv.ExpectedPubKey {
				t.Errorf("%s %s: public key %s, want %s", s.name, tv.Name, got, tv.ExpectedPubKey)
			}
			if got := hex.EncodeToString(k.ChainCode); got != tv.ExpectedChainCod {
				t.Errorf("%s %s: chain code %s, want %s", s.name, tv.Name, got, tv.ExpectedChainCod)
			}
		}
	}
	if total != 9 {
		t.Errorf("ran %d samples, want 9", total)
	}
}

func TestPocketICVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/ic-derivation-secp256k1.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Vectors []struct {
			Master    string   `json:"master_public_key"`
			ChainCode string   `json:"master_chain_code"`
			Canister  string   `json:"canister_id"`
			Path      []string `json:"path"`
			Expected  string   `json:"expected_public_key"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for i, tv := range v.Vectors {
		p, err := principal.Parse(tv.Canister)
		if err != nil {
			t.Fatal(err)
		}
		var path [][]byte
		for _, e := range tv.Path {
			path = append(path, unhex(t, e))
		}
		k, err := Secp256k1(unhex(t, tv.Master), unhex(t, tv.ChainCode), CanisterPath(p.Bytes(), path))
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(k.PublicKey); got != tv.Expected {
			t.Errorf("vector %d: %s, want %s", i, got, tv.Expected)
		}
	}
}

// TestMainnetExample is the published test_key_1 derivation.
func TestMainnetExample(t *testing.T) {
	caller := unhex(t, "0000000001b0655c0101")
	path := [][]byte{[]byte("Hello"), []byte("Threshold"), []byte("Signatures")}
	k, err := Secp256k1(unhex(t, "02f9ac345f6be6db51e1c5612cddb59e72c3d0d493c994d12035cf13257e3b1fa7"),
		ZeroChainCode(), CanisterPath(caller, path))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(k.PublicKey), "0315ae8bb8c6e9f78eec2167f5ac773067f37a39da1a1efbc585f9e90658d1c620"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestTweakRelation checks PublicKey = master + Tweak·G for both curves.
func TestTweakRelation(t *testing.T) {
	master := unhex(t, "02121bc3a5c38f38ca76487c72007ebbfd34bc6c4cb80a671655aa94585bbd0a02")
	k, err := Secp256k1(master, ZeroChainCode(), [][]byte{{1, 2}, {}, []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	var tw secp256k1.ModNScalar
	tw.SetByteSlice(k.Tweak)
	mp, _ := secp256k1.ParsePubKey(master)
	var a, b, c secp256k1.JacobianPoint
	mp.AsJacobian(&a)
	secp256k1.ScalarBaseMultNonConst(&tw, &b)
	secp256k1.AddNonConst(&a, &b, &c)
	c.ToAffine()
	if !bytes.Equal(secp256k1.NewPublicKey(&c.X, &c.Y).SerializeCompressed(), k.PublicKey) {
		t.Fatal("secp256k1 tweak does not relate master and derived key")
	}
	// Empty path: the key itself and a zero tweak.
	k0, err := Secp256k1(master, ZeroChainCode(), nil)
	if err != nil || !bytes.Equal(k0.PublicKey, master) || !bytes.Equal(k0.Tweak, make([]byte, 32)) {
		t.Fatal("empty path must return the master key")
	}
}

func TestRejects(t *testing.T) {
	good := unhex(t, "02121bc3a5c38f38ca76487c72007ebbfd34bc6c4cb80a671655aa94585bbd0a02")
	uncompressed := secp256k1.PrivKeyFromBytes([]byte{7}).PubKey().SerializeUncompressed()
	notOnCurve := bytes.Clone(good)
	notOnCurve[32] ^= 1
	for name, c := range map[string]struct{ pk, cc []byte }{
		"short chain code": {good, make([]byte, 31)},
		"long chain code":  {good, make([]byte, 33)},
		"uncompressed":     {uncompressed, ZeroChainCode()},
		"truncated key":    {good[:32], ZeroChainCode()},
		"bad prefix":       {append([]byte{5}, good[1:]...), ZeroChainCode()},
		"empty key":        {nil, ZeroChainCode()},
	} {
		if _, err := Secp256k1(c.pk, c.cc, [][]byte{{1}}); err == nil {
			t.Errorf("secp256k1 %s: accepted", name)
		}
	}
	_ = notOnCurve
	if _, err := Secp256k1(good, ZeroChainCode(), make([][]byte, MaxPathLen+1)); err == nil {
		t.Error("oversized path accepted")
	}
	edGood := unhex(t, "476374d9df3a8af28d3164dc2422cff894482eadd1295290b6d9ad92b2eeaa5c")
	identity := make([]byte, 32)
	identity[0] = 1
	// A point of order 8 (RFC 8032 small-order point) and a non-canonical y.
	small := unhex(t, "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	nonCanonical := unhex(t, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	for name, pk := range map[string][]byte{
		"identity": identity, "small order": small, "non-canonical": nonCanonical,
		"truncated": edGood[:31], "oversized": append(bytes.Clone(edGood), 0),
	} {
		if _, err := Ed25519(pk, ZeroChainCode(), [][]byte{{1}}); err == nil {
			t.Errorf("ed25519 %s: accepted", name)
		}
	}
	if _, err := Ed25519(edGood, ZeroChainCode(), [][]byte{{1}}); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkSecp256k1(b *testing.B) {
	master, _ := hex.DecodeString("02121bc3a5c38f38ca76487c72007ebbfd34bc6c4cb80a671655aa94585bbd0a02")
	path := [][]byte{make([]byte, 10), []byte("path")}
	for b.Loop() {
		if _, err := Secp256k1(master, ZeroChainCode(), path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEd25519(b *testing.B) {
	master, _ := hex.DecodeString("476374d9df3a8af28d3164dc2422cff894482eadd1295290b6d9ad92b2eeaa5c")
	path := [][]byte{make([]byte, 10), []byte("path")}
	for b.Loop() {
		if _, err := Ed25519(master, ZeroChainCode(), path); err != nil {
			b.Fatal(err)
		}
	}
}
