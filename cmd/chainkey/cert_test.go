package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"
)

// certResult is the union of the two JSON forms "cert verify" prints.
type certResult struct {
	Valid            bool    `json:"valid"`
	TimeNs           *uint64 `json:"time_ns"`
	RootHash         *string `json:"root_hash"`
	DelegationSubnet *string `json:"delegation_subnet"`
	Error            string  `json:"error"`
}

func runCert(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"cert"}, args...))
	err := root.Execute()
	return out.String(), err
}

func runCertVerify(t *testing.T, args ...string) (certResult, error) {
	t.Helper()
	out, err := runCert(t, append([]string{"verify"}, args...)...)
	var r certResult
	if jerr := json.Unmarshal([]byte(out), &r); jerr != nil {
		t.Fatalf("output %q is not JSON: %v", out, jerr)
	}
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("output %q is not one line", out)
	}
	if r.Valid != (err == nil) {
		t.Fatalf("valid=%v but err=%v", r.Valid, err)
	}
	if err != nil {
		var s errSilent
		if !errors.As(err, &s) || s.code != 1 || r.Error == "" {
			t.Fatalf("failure: err %v, output %q", err, out)
		}
		if r.TimeNs != nil || r.RootHash != nil {
			t.Fatalf("failure output carries results: %q", out)
		}
	} else if r.TimeNs == nil || r.RootHash == nil || r.DelegationSubnet == nil {
		t.Fatalf("success output lacks fields: %q", out)
	}
	return r, err
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ic-certificates", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestCertVerifyRealCertificates(t *testing.T) {
	for _, c := range []struct {
		name, subnet, canister, outside string
		timeNs                          uint64
	}{
		{"local-nodelegation-1", "", "", "", 1690125856072379666},
		{"mainnet-delegated-3", "qxesv-zoxpm-vc64m-zxguk-5sj74-35vrb-tbgwg-pcird-5gr26-62oxl-cae",
			"ivg37-qiaaa-aaaab-aaaga-cai", "ryjl3-tyaaa-aaaaa-aaaba-cai", 1645601880652705378},
		{"testnet-delegated-ii", "ocb6u-6wptv-kogx3-fh7ip-2t7ql-2oaec-jdw4m-ufhe2-ge435-kxuq4-nqe",
			"5v3p4-iyaaa-aaaaa-qaaaa-cai", "ivg37-qiaaa-aaaab-aaaga-cai", 1643206874888337280},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			hexFile := filepath.Join(dir, "cert.hex")
			certHex := readTestdata(t, c.name+".hex")
			if err := os.WriteFile(hexFile, []byte("\n  "+certHex+"\n\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			raw, _ := hex.DecodeString(certHex)
			rawFile := filepath.Join(dir, "cert.cbor")
			if err := os.WriteFile(rawFile, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			der := readTestdata(t, c.name+".rootkey")
			keys := []string{der, der[len(der)-192:]} // DER and raw 96-byte forms
			for _, file := range []string{hexFile, rawFile} {
				for _, key := range keys {
					args := []string{"--root-key", key, file}
					if c.canister != "" {
						args = append([]string{"--canister-id", c.canister}, args...)
					}
					r, err := runCertVerify(t, args...)
					if err != nil {
						t.Fatalf("%v: %s", args, r.Error)
					}
					if *r.TimeNs != c.timeNs || *r.DelegationSubnet != c.subnet || len(*r.RootHash) != 64 {
						t.Errorf("result %+v", r)
					}
				}
			}
			// A far too old certificate with an age bound.
			if r, err := runCertVerify(t, "--root-key", der, "--max-age", "1h", hexFile); err == nil {
				t.Errorf("old certificate accepted: %+v", r)
			}
			if c.outside != "" {
				if _, err := runCertVerify(t, "--root-key", der, "--canister-id", c.outside, hexFile); err == nil {
					t.Error("canister outside the ranges accepted")
				}
			}
			// Wrong key: the other vectors' keys.
			other := readTestdata(t, "local-nodelegation-1.rootkey")
			if c.name == "local-nodelegation-1" {
				other = readTestdata(t, "mainnet-delegated-3.rootkey")
			}
			if _, err := runCertVerify(t, "--root-key", other, hexFile); err == nil {
				t.Error("wrong root key accepted")
			}
			// Tampered: flip a byte of the tree.
			bad := bytes.Clone(raw)
			bad[40] ^= 1
			badFile := filepath.Join(dir, "bad.cbor")
			os.WriteFile(badFile, bad, 0o600)
			if _, err := runCertVerify(t, "--root-key", der, badFile); err == nil {
				t.Error("tampered certificate accepted")
			}
		})
	}
}

func TestCertVerifyUsageFailures(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cert.hex")
	os.WriteFile(file, []byte(readTestdata(t, "local-nodelegation-1.hex")), 0o600)
	key := readTestdata(t, "local-nodelegation-1.rootkey")
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	for name, args := range map[string][]string{
		"no key":          {file},
		"bad key hex":     {"--root-key", "zz", file},
		"short key":       {"--root-key", key[:100], file},
		"no file":         {"--root-key", key},
		"two files":       {"--root-key", key, file, file},
		"missing file":    {"--root-key", key, filepath.Join(dir, "nope")},
		"empty file":      {"--root-key", key, empty},
		"bad canister":    {"--root-key", key, "--canister-id", "ryjl3-tyaaa-aaaaa-aaaba-caj", file},
		"negative maxage": {"--root-key", key, "--max-age", "-1s", file},
	} {
		if r, err := runCertVerify(t, args...); err == nil {
			t.Errorf("%s: accepted: %+v", name, r)
		}
	}
}

// ownKey is a threshold key from a trusted dealer; sign combines 3 of its
// 4 shares.
type ownKey struct {
	pc     *thresholdsig.PublicCoefficients
	shares []*thresholdsig.SecretKeyShare
}

func newOwnKey(t *testing.T) ownKey {
	t.Helper()
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return ownKey{pc, shares}
}

func (k ownKey) sign(msg []byte) ([]byte, error) {
	idx := []int{0, 2, 3}
	var sigs [][]byte
	for _, i := range idx {
		s, err := thresholdsig.SignShare(k.shares[i], msg)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, s)
	}
	return thresholdsig.Combine(3, idx, sigs)
}

// ownCertTree is the tree our test subnet certifies.
func ownCertTree(t *testing.T, canister principal.Principal, now uint64, data string) certification.HashTree {
	t.Helper()
	tree, err := certification.BuildTree([]certification.PathValue{
		{Path: certification.Path("time"), Value: certification.AppendLEB128(nil, now)},
		{Path: [][]byte{[]byte("canister"), canister.Bytes(), []byte("certified_data")}, Value: []byte(data)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// writeOwnCert certifies tree with the subnet key, adds a delegation from
// the root key (subnet ranges 0x200000..0x2fffff in the sharded layout,
// delegation time delegNow) and writes the certificate to dir/name in hex.
func writeOwnCert(t *testing.T, dir, name string, root, sub ownKey, subnet principal.Principal,
	tree certification.HashTree, delegNow uint64) string {
	t.Helper()
	lo, hi := principal.FromCanisterIndex(0x200000), principal.FromCanisterIndex(0x2fffff)
	delegTree, err := certification.BuildTree([]certification.PathValue{
		{Path: certification.Path("time"), Value: certification.AppendLEB128(nil, delegNow)},
		{Path: [][]byte{[]byte("subnet"), subnet.Bytes(), []byte("public_key")}, Value: sub.pc.PublicKey().DER()},
		{Path: [][]byte{[]byte("canister_ranges"), subnet.Bytes(), lo.Bytes()},
			Value: certification.EncodeCanisterRanges([]certification.CanisterRange{{Low: lo, High: hi}})},
	})
	if err != nil {
		t.Fatal(err)
	}
	deleg, err := certification.Certify(delegTree, root.sign)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := certification.Certify(tree, sub.sign)
	if err != nil {
		t.Fatal(err)
	}
	cert.Delegation = &certification.Delegation{SubnetID: subnet, Certificate: deleg}
	wire, err := cert.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(hex.EncodeToString(wire)), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestCertVerifyOwnCertificates checks certificates produced by the
// certification package with threshold keys from a trusted dealer.
func TestCertVerifyOwnCertificates(t *testing.T) {
	root, sub := newOwnKey(t), newOwnKey(t)
	subnet := principal.SelfAuthenticating([]byte("subnet"))
	canister := principal.FromCanisterIndex(0x200005)
	const now = 1_700_000_000_000_000_000
	dir := t.TempDir()
	tree := ownCertTree(t, canister, now, "certified!")
	file := writeOwnCert(t, dir, "own.hex", root, sub, subnet, tree, now)
	rootHex := hex.EncodeToString(root.pc.PublicKey().Bytes())

	r, err := runCertVerify(t, "--root-key", rootHex, "--canister-id", canister.String(), file)
	if err != nil {
		t.Fatalf("own certificate refused: %s", r.Error)
	}
	d := tree.Digest()
	if *r.TimeNs != now || *r.RootHash != hex.EncodeToString(d[:]) || *r.DelegationSubnet != subnet.String() {
		t.Errorf("result %+v", r)
	}
	if _, err := runCertVerify(t, "--root-key", hex.EncodeToString(root.pc.PublicKey().DER()), file); err != nil {
		t.Error("DER root key refused")
	}
	if _, err := runCertVerify(t, "--root-key", hex.EncodeToString(newOwnKey(t).pc.PublicKey().Bytes()), file); err == nil {
		t.Error("wrong root key accepted")
	}
	if _, err := runCertVerify(t, "--root-key", hex.EncodeToString(sub.pc.PublicKey().Bytes()), file); err == nil {
		t.Error("subnet key accepted as root key")
	}
	if _, err := runCertVerify(t, "--root-key", rootHex, "--canister-id", principal.FromCanisterIndex(7).String(), file); err == nil {
		t.Error("canister outside the ranges accepted")
	}

	// Tampered tree: the signature of the original tree over forged data.
	cert, err := certification.ParseCertificate(mustReadHexFile(t, file))
	if err != nil {
		t.Fatal(err)
	}
	cert.Tree = ownCertTree(t, canister, now, "forged!!!!")
	badWire, err := cert.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	badFile := filepath.Join(dir, "bad.cbor")
	if err := os.WriteFile(badFile, badWire, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCertVerify(t, "--root-key", rootHex, badFile); err == nil {
		t.Error("tampered tree accepted")
	}

	// Age checks against the clock: a minute-old certificate with a
	// two-day-old delegation.
	fresh := uint64(time.Now().UnixNano())
	freshFile := writeOwnCert(t, dir, "fresh.hex", root, sub, subnet,
		ownCertTree(t, canister, fresh-uint64(time.Minute), "x"), fresh-uint64(48*time.Hour))
	if r, err := runCertVerify(t, "--root-key", rootHex, "--max-age", "5m", freshFile); err != nil {
		t.Errorf("fresh certificate refused: %s", r.Error)
	}
	if _, err := runCertVerify(t, "--root-key", rootHex, "--max-age", "30s", freshFile); err == nil {
		t.Error("minute-old certificate accepted with --max-age 30s")
	}
	if _, err := runCertVerify(t, "--root-key", rootHex, "--max-age", "5m", "--delegation-max-age", "24h", freshFile); err == nil {
		t.Error("two-day-old delegation accepted with --delegation-max-age 24h")
	}
	if _, err := runCertVerify(t, "--root-key", rootHex, "--max-age", "5m", file); err == nil {
		t.Error("2023 certificate accepted with --max-age 5m")
	}

	// Lookups on our certificate.
	for path, want := range map[string]string{
		"canister/" + canister.String() + "/certified_data":                       hex.EncodeToString([]byte("certified!")),
		"/canister/0x" + hex.EncodeToString(canister.Bytes()) + "/certified_data": hex.EncodeToString([]byte("certified!")),
		"time":                "8080a8b1e39fe7cb17",
		"canister/aaaaa-aa/x": "absent",
		"text:zzz":            "absent",
	} {
		out, err := runCert(t, "lookup", "--path", path, file)
		if err != nil || strings.TrimSpace(out) != want {
			t.Errorf("lookup %s = %q, %v; want %s", path, out, err, want)
		}
	}
}

func mustReadHexFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestCertLookupReal(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cert.hex")
	os.WriteFile(file, []byte(readTestdata(t, "testnet-delegated-ii.hex")), 0o600)
	file3 := filepath.Join(dir, "cert3.hex")
	os.WriteFile(file3, []byte(readTestdata(t, "mainnet-delegated-3.hex")), 0o600)
	for _, c := range []struct{ file, path, want string }{
		{file, "canister/5v3p4-iyaaa-aaaaa-qaaaa-cai/certified_data", "619d02453b55ba8ea01da1d26df7083644ebe84a97afc8d4ece7f82453548eaa"},
		{file, "canister/0x00000000001000000101/certified_data", "619d02453b55ba8ea01da1d26df7083644ebe84a97afc8d4ece7f82453548eaa"},
		{file, "time", "80efcbb1a5fef5e616"},
		{file, "canister/ryjl3-tyaaa-aaaaa-aaaba-cai/certified_data", "absent"}, // sorts before the only canister
		{file, "canister/0x00000000001000000101/module_hash", "unknown"},
		{file, "subnet", "unknown"},
		{file, "zzz", "absent"},
		{file3, "request_status/0xedad510eaaa08ed2acd4781324e6446269da6753ec17760f206bbe81c465ff52/status", hex.EncodeToString([]byte("rejected"))},
		{file3, "request_status/0xedad510eaaa08ed2acd4781324e6446269da6753ec17760f206bbe81c465ff52/reply", "absent"},
		{file3, "subnet", "unknown"},
	} {
		out, err := runCert(t, "lookup", "--path", c.path, c.file)
		if err != nil || strings.TrimSpace(out) != c.want {
			t.Errorf("lookup %s = %q, %v; want %s", c.path, out, err, c.want)
		}
	}
	for name, args := range map[string][]string{
		"inner node": {"lookup", "--path", "canister", file},
		"no path":    {"lookup", file},
		"bad hex":    {"lookup", "--path", "0xzz", file},
		"no file":    {"lookup", "--path", "time"},
	} {
		if out, err := runCert(t, args...); err == nil {
			t.Errorf("%s: succeeded with %q", name, out)
		}
	}
}

func TestParseLabelPath(t *testing.T) {
	p, err := parseLabelPath("/canister/ryjl3-tyaaa-aaaaa-aaaba-cai/0x0102/text:0xab/ic-label/time")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"canister", "\x00\x00\x00\x00\x00\x00\x00\x02\x01\x01", "\x01\x02", "0xab", "ic-label", "time"}
	if len(p) != len(want) {
		t.Fatalf("%q", p)
	}
	for i := range want {
		if string(p[i]) != want[i] {
			t.Errorf("label %d = %q, want %q", i, p[i], want[i])
		}
	}
}
