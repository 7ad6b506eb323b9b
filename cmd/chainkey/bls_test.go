package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// A real certificate signature under the Internet Computer mainnet root key,
// from dfinity/verify-bls-signatures tests/tests.rs (commit c182f37d), as
// saved in thresholdsig/testdata/ic-verify-bls-signature.json.
const (
	blsTestKey = "814c0e6ec71fab583b08bd81373c255c3c371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc534" +
		"1583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a4d14505ffd7484b01291091c5f87b98883463f98091a0baaae"
	blsTestDERPrefix = "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100"
	blsTestMsg       = "0d69632d73746174652d726f6f74e6c01e909b4923345ce5970962bcfe3004bfd8474a21dae28f50692502f46d90"
	blsTestSig       = "ace9fcdd9bc977e05d6328f889dc4e7c99114c737a494653cb27a1f55c06f4555e0f160980af5ead098acc195010b2f7"
	// A valid signature on another message (the vector invalid_swapped_sig_1).
	blsTestOtherSig = "89a2be21b5fa8ac9fab1527e041327ce899d7da971436a1f2165393947b4d942365bfe5488710e61a619ba48388a21b1"
)

func runBLSVerify(t *testing.T, args ...string) (blsVerdict, string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"bls", "verify"}, args...))
	err := root.Execute()
	var v blsVerdict
	if jerr := json.Unmarshal(out.Bytes(), &v); jerr != nil {
		t.Fatalf("output %q is not JSON: %v", out.String(), jerr)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("output %q is not one line", out.String())
	}
	return v, out.String(), err
}

func TestBLSVerifyCmd(t *testing.T) {
	valid := [][]string{
		{"--public-key", blsTestKey, "--message", blsTestMsg, "--signature", blsTestSig},
		{"--public-key", blsTestDERPrefix + blsTestKey, "--message", blsTestMsg, "--signature", blsTestSig},
		{"--public-key", "0x" + strings.ToUpper(blsTestKey), "--message", blsTestMsg, "--signature", blsTestSig},
	}
	for _, args := range valid {
		v, out, err := runBLSVerify(t, args...)
		if err != nil || !v.Valid || v.Error != "" {
			t.Fatalf("%v: %q, %v", args, out, err)
		}
		if out != "{\"valid\":true}\n" {
			t.Fatalf("output %q", out)
		}
	}

	tamperedSig := blsTestSig[:len(blsTestSig)-1] + "8"
	invalid := map[string][]string{
		"other signature":   {"--public-key", blsTestKey, "--message", blsTestMsg, "--signature", blsTestOtherSig},
		"tampered sig":      {"--public-key", blsTestKey, "--message", blsTestMsg, "--signature", tamperedSig},
		"wrong message":     {"--public-key", blsTestKey, "--message", blsTestMsg + "00", "--signature", blsTestSig},
		"truncated key":     {"--public-key", blsTestKey[:190], "--message", blsTestMsg, "--signature", blsTestSig},
		"DER with trailer":  {"--public-key", blsTestDERPrefix + blsTestKey + "00", "--message", blsTestMsg, "--signature", blsTestSig},
		"identity key":      {"--public-key", "c0" + strings.Repeat("00", 95), "--message", blsTestMsg, "--signature", blsTestSig},
		"identity sig":      {"--public-key", blsTestKey, "--message", blsTestMsg, "--signature", "c0" + strings.Repeat("00", 47)},
		"bad hex":           {"--public-key", blsTestKey, "--message", "zz", "--signature", blsTestSig},
		"missing signature": {"--public-key", blsTestKey, "--message", blsTestMsg},
	}
	for name, args := range invalid {
		v, out, err := runBLSVerify(t, args...)
		var es errSilent
		if !errors.As(err, &es) || es.code != 1 {
			t.Errorf("%s: error %v, want exit status 1", name, err)
		}
		if v.Valid || v.Error == "" {
			t.Errorf("%s: output %q", name, out)
		}
	}
}

// TestBLSVerifyUsageErrorsAreJSON checks that a stray argument or an unknown
// flag is reported as a JSON verdict too.
func TestBLSVerifyUsageErrorsAreJSON(t *testing.T) {
	for name, args := range map[string][]string{
		"stray argument": {"--public-key", blsTestKey, "--message", blsTestMsg, "--signature", blsTestSig, "extra"},
		"unknown flag":   {"--public-key", blsTestKey, "--bogus", "1"},
	} {
		v, _, err := runBLSVerify(t, args...)
		if v.Valid || v.Error == "" {
			t.Errorf("%s: verdict %+v, want invalid with an error", name, v)
		}
		var s errSilent
		if !errors.As(err, &s) || s.code != 1 {
			t.Errorf("%s: error %v, want exit status 1", name, err)
		}
	}
}
