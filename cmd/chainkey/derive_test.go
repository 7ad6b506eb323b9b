package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

func runDerive(t *testing.T, args ...string) (deriveOutput, error) {
	t.Helper()
	var o deriveOutput
	return o, runDeriveInto(t, &o, args...)
}

// runDeriveInto runs "derive" and decodes its JSON output into v.
func runDeriveInto(t *testing.T, v any, args ...string) error {
	t.Helper()
	cmd := newDeriveCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		return err
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	return nil
}

func TestDeriveVectors(t *testing.T) {
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
		for _, alg := range []string{"ecdsa-secp256k1", "bip340-secp256k1"} {
			args := []string{"--algorithm", alg, "--master-public-key", tv.Master,
				"--chain-code", tv.ChainCode, "--canister-id", tv.Canister}
			for _, p := range tv.Path {
				args = append(args, "--path", p)
			}
			o, err := runDerive(t, args...)
			if err != nil {
				t.Fatalf("vector %d %s: %v", i, alg, err)
			}
			if o.PublicKey != tv.Expected || len(o.ChainCode) != 64 {
				t.Errorf("vector %d %s: got %+v, want public key %s", i, alg, o, tv.Expected)
			}
		}
	}
}

// TestDeriveMainnetExample is the published test_key_1 example (caller
// h5jwf-5iaaa-aaaan-qmvoa-cai, path "Hello", "Threshold", "Signatures").
func TestDeriveMainnetExample(t *testing.T) {
	o, err := runDerive(t, "--algorithm", "ecdsa-secp256k1",
		"--master-public-key", "02f9ac345f6be6db51e1c5612cddb59e72c3d0d493c994d12035cf13257e3b1fa7",
		"--chain-code", strings.Repeat("00", 32), "--canister-id", "h5jwf-5iaaa-aaaan-qmvoa-cai",
		"--path", "48656c6c6f", "--path", "5468726573686f6c64", "--path", "5369676e617475726573")
	if err != nil {
		t.Fatal(err)
	}
	if o.PublicKey != "0315ae8bb8c6e9f78eec2167f5ac773067f37a39da1a1efbc585f9e90658d1c620" {
		t.Fatalf("got %s", o.PublicKey)
	}
}

func TestDeriveEd25519(t *testing.T) {
	o, err := runDerive(t, "--algorithm", "ed25519",
		"--master-public-key", "476374d9df3a8af28d3164dc2422cff894482eadd1295290b6d9ad92b2eeaa5c",
		"--chain-code", strings.Repeat("00", 32), "--canister-id", "h5jwf-5iaaa-aaaan-qmvoa-cai", "--path", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(o.PublicKey) != 64 || len(o.ChainCode) != 64 {
		t.Fatalf("bad lengths: %+v", o)
	}
	// The empty --path element is a real path element: it changes the key.
	o2, err := runDerive(t, "--algorithm", "ed25519",
		"--master-public-key", "476374d9df3a8af28d3164dc2422cff894482eadd1295290b6d9ad92b2eeaa5c",
		"--chain-code", strings.Repeat("00", 32), "--canister-id", "h5jwf-5iaaa-aaaan-qmvoa-cai")
	if err != nil {
		t.Fatal(err)
	}
	if o2.PublicKey == o.PublicKey {
		t.Fatal("empty path element ignored")
	}
}

func TestDeriveRejects(t *testing.T) {
	base := map[string]string{
		"--algorithm":         "ecdsa-secp256k1",
		"--master-public-key": "02f9ac345f6be6db51e1c5612cddb59e72c3d0d493c994d12035cf13257e3b1fa7",
		"--chain-code":        strings.Repeat("00", 32),
		"--canister-id":       "h5jwf-5iaaa-aaaan-qmvoa-cai",
	}
	for name, change := range map[string][2]string{
		"unknown algorithm": {"--algorithm", "ecdsa-secp256r1"},
		"bad hex key":       {"--master-public-key", "zz"},
		"short chain code":  {"--chain-code", "00"},
		"bad principal":     {"--canister-id", "h5jwf-5iaaa-aaaan-qmvoa-caj"},
		"ed25519 with sec1": {"--algorithm", "ed25519"},
	} {
		var args []string
		for k, v := range base {
			if k == change[0] {
				v = change[1]
			}
			args = append(args, k, v)
		}
		if _, err := runDerive(t, args...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := runDerive(t, "--algorithm", "ecdsa-secp256k1", "--path", "00"); err == nil {
		t.Error("missing required flags accepted")
	}
	args := []string{}
	for k, v := range base {
		args = append(args, k, v)
	}
	if _, err := runDerive(t, append(args, "--path", "0g")...); err == nil {
		t.Error("bad hex path accepted")
	}
}

// TestDeriveRawPathSamples derives the Internet Computer's own samples
// (dfinity/ic-pub-key), whose paths carry no canister id, with --path alone.
func TestDeriveRawPathSamples(t *testing.T) {
	raw, err := os.ReadFile("testdata/ic-derivation-samples.json")
	if err != nil {
		t.Fatal(err)
	}
	type sample struct {
		Name      string  `json:"name"`
		PublicKey string  `json:"public_key"`
		ChainCode string  `json:"chain_code"`
		Path      *string `json:"derivation_path"`
		WantKey   string  `json:"expected_public_key"`
		WantChain string  `json:"expected_chain_code"`
	}
	type set struct {
		TestVectors []sample `json:"test_vectors"`
	}
	var all map[string]map[string]set
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	algs := map[string]string{"secp256k1": "ecdsa-secp256k1", "bip340secp256k1": "bip340-secp256k1", "ed25519": "ed25519"}
	count := 0
	for _, byCurve := range all {
		for curve, s := range byCurve {
			for _, v := range s.TestVectors {
				args := []string{"--algorithm", algs[curve], "--master-public-key", v.PublicKey, "--chain-code", v.ChainCode}
				if v.Path != nil {
					for _, el := range strings.Split(*v.Path, "/") {
						args = append(args, "--path", hex.EncodeToString([]byte(el)))
					}
				}
				o, err := runDerive(t, args...)
				if err != nil {
					t.Fatalf("%s: %v", v.Name, err)
				}
				if o.PublicKey != v.WantKey || o.ChainCode != v.WantChain {
					t.Errorf("%s: got %+v, want %s %s", v.Name, o, v.WantKey, v.WantChain)
				}
				count++
			}
		}
	}
	if count != 9 {
		t.Fatalf("ran %d samples, want 9", count)
	}
}

// TestDeriveVetKD derives under the Internet Computer's test_key_1 vetKD
// master key; the expected keys were computed by @dfinity/vetkeys 0.4.0
// (vetkd/testdata/derivation-vectors.json).
func TestDeriveVetKD(t *testing.T) {
	const master = "ad86e8ff845912f022a0838a502d763fdea547c9948f8cb20ea7738dd52c1c38dcb4c6ca9ac29f9ac690fc5ad7681cb4" +
		"1922b8dffbd65d94bff141f5fb5b6624eccc03bf850f222052df888cf9b1e47203556d7522271cbb879b2ef4b8c2bfb1"
	for _, tc := range []struct{ context, want string }{
		{"", "b360a97dd16fd790463a87eb6607006353536201a81e88d96dbe0179e0725d8a0a31195b7251130460d3979a2391f632" +
			"10be6da91b695a47524a532ab0c0303ef121a3d59a0cc743f70fb22c092752f036f1e0350870b4456f5e4edd80f87ca8"},
		{"6e6f746573", "b3386dcfe783d4f7fc976d9da19475fba5537639afa74b8f336e1874f56c6c3c7b0a0d0e977e2dcfc216f5574a0e4bca" +
			"0e9c597b4f71f2058c0f1a1cafec48e0cf9145aed20806c20fd371aeb764b8b41bf5fed71263e639e2646b12bd8a859d"},
	} {
		args := []string{"--algorithm", "vetkd", "--master-public-key", master, "--canister-id", "4vbc3-oaaaa-aaaaj-qah4q-cai"}
		if tc.context != "" {
			args = append(args, "--context", tc.context)
		}
		var o map[string]string
		if err := runDeriveInto(t, &o, args...); err != nil {
			t.Fatal(err)
		}
		if len(o) != 1 || o["public_key"] != tc.want {
			t.Errorf("context %q: got %v, want {\"public_key\":%q}", tc.context, o, tc.want)
		}
	}

	base := []string{"--algorithm", "vetkd", "--master-public-key", master, "--canister-id", "4vbc3-oaaaa-aaaaj-qah4q-cai"}
	for name, extra := range map[string][]string{
		"chain code":       {"--chain-code", strings.Repeat("00", 32)},
		"path":             {"--path", "00"},
		"bad context":      {"--context", "0g"},
		"bad master":       {"--master-public-key", master[:190]},
		"identity master":  {"--master-public-key", "c0" + strings.Repeat("00", 95)},
		"secp256k1 master": {"--master-public-key", "02f9ac345f6be6db51e1c5612cddb59e72c3d0d493c994d12035cf13257e3b1fa7"},
		"bad principal":    {"--canister-id", "4vbc3-oaaaa-aaaaj-qah4q-caj"},
	} {
		if _, err := runDerive(t, append(slices.Clone(base), extra...)...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Without vetkd, a chain code is still needed.
	if _, err := runDerive(t, "--algorithm", "ecdsa-secp256k1", "--master-public-key",
		"02f9ac345f6be6db51e1c5612cddb59e72c3d0d493c994d12035cf13257e3b1fa7", "--canister-id", "4vbc3-oaaaa-aaaaj-qah4q-cai"); err == nil {
		t.Error("ecdsa derivation without a chain code accepted")
	}
}
