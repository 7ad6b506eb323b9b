package certification

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"
)

// certVector is one real certificate from testdata (see the .txt notes).
type certVector struct {
	name      string
	raw       []byte
	rootKey   *thresholdsig.PublicKey
	cert      *Certificate
	treeCBOR  []byte
	time      string // /time to the millisecond, from the notes
	delegTime string // the delegation certificate's /time
	subnet    string // delegation subnet, text form ("" without delegation)
	inRange   []string
	outRange  []string
	values    map[string]string // path (labels joined by '/', 0x-prefixed hex allowed) -> hex value
}

var vectorSpecs = []certVector{
	{
		name: "local-nodelegation-1", time: "2023-07-23T15:24:16.072Z",
		values: map[string]string{"canister/0x80000000001000000101/certified_data": "87be17d7ba688bc4fb13d61f3d8d5642df92536e40da98facba7ba0450ea59e0"},
	},
	{
		name: "mainnet-delegated-3", time: "2022-02-23T07:38:00.652Z", delegTime: "2022-02-17T10:17:49.668Z",
		subnet:   "qxesv-zoxpm-vc64m-zxguk-5sj74-35vrb-tbgwg-pcird-5gr26-62oxl-cae",
		inRange:  []string{"ivg37-qiaaa-aaaab-aaaga-cai", "jyi7r-7aaaa-aaaab-aaabq-cai"},
		outRange: []string{"ryjl3-tyaaa-aaaaa-aaaba-cai", "5v3p4-iyaaa-aaaaa-qaaaa-cai", "aaaaa-aa"},
		values: map[string]string{
			"request_status/0xedad510eaaa08ed2acd4781324e6446269da6753ec17760f206bbe81c465ff52/status":      hex.EncodeToString([]byte("rejected")),
			"request_status/0xedad510eaaa08ed2acd4781324e6446269da6753ec17760f206bbe81c465ff52/reject_code": "03",
		},
	},
	{
		name: "mainnet-nodelegation-2", time: "2022-11-17T10:22:56.728Z",
		values: map[string]string{},
	},
	{
		name: "testnet-delegated-ii", time: "2022-01-26T14:21:14.888Z", delegTime: "2022-01-12T15:29:48.822Z",
		subnet:   "ocb6u-6wptv-kogx3-fh7ip-2t7ql-2oaec-jdw4m-ufhe2-ge435-kxuq4-nqe",
		inRange:  []string{"5v3p4-iyaaa-aaaaa-qaaaa-cai"},
		outRange: []string{"ivg37-qiaaa-aaaab-aaaga-cai", "ryjl3-tyaaa-aaaaa-aaaba-cai"},
		values:   map[string]string{"canister/0x00000000001000000101/certified_data": "619d02453b55ba8ea01da1d26df7083644ebe84a97afc8d4ece7f82453548eaa"},
	},
}

func loadVectors(t testing.TB) []certVector {
	t.Helper()
	out := make([]certVector, len(vectorSpecs))
	for i, v := range vectorSpecs {
		h, err := os.ReadFile("testdata/" + v.name + ".hex")
		if err != nil {
			t.Fatal(err)
		}
		v.raw = unhex(t, string(h))
		k, err := os.ReadFile("testdata/" + v.name + ".rootkey")
		if err != nil {
			t.Fatal(err)
		}
		if v.rootKey, err = thresholdsig.ParseDERPublicKey(unhex(t, string(k))); err != nil {
			t.Fatalf("%s: root key: %v", v.name, err)
		}
		if v.cert, err = ParseCertificate(v.raw); err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if v.treeCBOR, err = EncodeHashTree(v.cert.Tree); err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

func splitPath(t testing.TB, s string) [][]byte {
	var p [][]byte
	for _, seg := range strings.Split(s, "/") {
		if strings.HasPrefix(seg, "0x") {
			p = append(p, unhex(t, seg[2:]))
		} else {
			p = append(p, []byte(seg))
		}
	}
	return p
}

func nsTime(ns uint64) string {
	return time.Unix(0, int64(ns)).UTC().Format("2006-01-02T15:04:05.000Z")
}

func TestRealCertificates(t *testing.T) {
	mainnetKey := loadVectors(t)[1].rootKey
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			info, err := Verify(v.cert, v.rootKey, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := nsTime(info.Time); got != v.time {
				t.Errorf("time %s, want %s", got, v.time)
			}
			if info.RootHash != v.cert.Tree.Digest() {
				t.Error("root hash")
			}
			if v.subnet == "" {
				if info.Delegated || v.cert.Delegation != nil {
					t.Error("unexpected delegation")
				}
			} else {
				if !info.Delegated || info.DelegationSubnet.String() != v.subnet {
					t.Errorf("delegation subnet %v %s, want %s", info.Delegated, info.DelegationSubnet, v.subnet)
				}
				dt, err := certificateTime(v.cert.Delegation.Certificate)
				if err != nil || nsTime(dt) != v.delegTime {
					t.Errorf("delegation time %s, %v; want %s", nsTime(dt), err, v.delegTime)
				}
			}
			for p, want := range v.values {
				status, got := v.cert.Lookup(splitPath(t, p)...)
				if status != Found || hex.EncodeToString(got) != want {
					t.Errorf("lookup %s = %v %x, want %s", p, status, got, want)
				}
			}
			// Canister ranges.
			for _, c := range v.inRange {
				id := principal.MustParse(c)
				if _, err := Verify(v.cert, v.rootKey, VerifyOptions{CanisterID: &id}); err != nil {
					t.Errorf("canister %s refused: %v", c, err)
				}
			}
			for _, c := range v.outRange {
				id := principal.MustParse(c)
				if _, err := Verify(v.cert, v.rootKey, VerifyOptions{CanisterID: &id}); err == nil {
					t.Errorf("canister %s outside the ranges accepted", c)
				}
			}
			// Age: fresh enough relative to its own time.
			now := time.Unix(0, int64(info.Time)).Add(time.Minute)
			if _, err := Verify(v.cert, v.rootKey, VerifyOptions{MaxAge: 5 * time.Minute, DelegationMaxAge: 30 * 24 * time.Hour, Now: now}); err != nil {
				t.Errorf("fresh certificate refused: %v", err)
			}
			if _, err := Verify(v.cert, v.rootKey, VerifyOptions{MaxAge: 30 * time.Second, DelegationMaxAge: 30 * 24 * time.Hour, Now: now}); err == nil {
				t.Error("old certificate accepted")
			}
			early := time.Unix(0, int64(info.Time)).Add(-10 * time.Minute)
			if _, err := Verify(v.cert, v.rootKey, VerifyOptions{MaxAge: 5 * time.Minute, DelegationMaxAge: 30 * 24 * time.Hour, Now: early}); err == nil {
				t.Error("certificate from 10 minutes in the future accepted")
			}
			if v.subnet != "" {
				// The delegation is days older than the certificate: with
				// MaxAge applying to it as well, it is refused.
				if _, err := Verify(v.cert, v.rootKey, VerifyOptions{MaxAge: 5 * time.Minute, Now: now}); err == nil {
					t.Error("old delegation accepted")
				}
			}
			// Round trip: the IC's encoding is the canonical one.
			enc, err := v.cert.Marshal()
			if err != nil || !bytes.Equal(enc, v.raw) {
				t.Errorf("re-encoding differs (%v)", err)
			}
			// Wrong root key.
			wrong := mainnetKey
			if v.rootKey.Equal(mainnetKey) {
				wrong = loadVectors(t)[0].rootKey
			}
			if _, err := Verify(v.cert, wrong, VerifyOptions{}); err == nil {
				t.Error("verified under a wrong root key")
			}
		})
	}
}

// TestTamperedRealCertificates flips bytes of the real certificates: no
// change is ever accepted (refused by ParseCertificate or by Verify). Every
// byte position of the smallest certificate is tried; the larger ones are
// sampled evenly over the whole file (about 150 positions each, so every
// region — tag, keys, tree, signature, delegation — is hit) to keep the test
// to a few seconds. CHAINKEY_FULL_TAMPER=1 tries every position of every
// certificate with two masks (about 30 s).
func TestTamperedRealCertificates(t *testing.T) {
	full := os.Getenv("CHAINKEY_FULL_TAMPER") == "1"
	for n, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			step := 1
			if !full && n != 0 { // vector 0 is the smallest (433 bytes)
				step = len(v.raw)/150 + 1
			}
			if testing.Short() && !full {
				step = len(v.raw)/40 + 1
			}
			masks := []byte{0x01}
			if full {
				masks = append(masks, 0x80)
			}
			tried := 0
			for i := n % step; i < len(v.raw); i += step {
				for _, mask := range masks {
					b := bytes.Clone(v.raw)
					b[i] ^= mask
					tried++
					c, err := ParseCertificate(b)
					if err != nil {
						continue
					}
					if _, err := Verify(c, v.rootKey, VerifyOptions{}); err == nil {
						t.Fatalf("byte %d ^ %#x accepted", i, mask)
					}
				}
			}
			// Every truncation and an appended byte fail to parse.
			for n := range len(v.raw) {
				if _, err := ParseCertificate(v.raw[:n]); err == nil {
					t.Fatalf("truncation to %d bytes parsed", n)
				}
			}
			if _, err := ParseCertificate(append(bytes.Clone(v.raw), 0)); err == nil {
				t.Fatal("trailing byte parsed")
			}
			t.Logf("%d tamperings of %d bytes refused", tried, len(v.raw))
		})
	}
}

func TestParseCertificateRejects(t *testing.T) {
	sig := "5830" + strings.Repeat("aa", 48)
	tree := "8100"
	good := "d9d9f7a2" + "6474726565" + tree + "697369676e6174757265" + sig
	if _, err := ParseCertificate(unhex(t, good)); err != nil {
		t.Fatalf("minimal certificate refused: %v", err)
	}
	accepted := map[string]string{
		"no tag":          "a2" + "6474726565" + tree + "697369676e6174757265" + sig,
		"reordered keys":  "d9d9f7a2" + "697369676e6174757265" + sig + "6474726565" + tree,
		"null delegation": "d9d9f7a3" + "6474726565" + tree + "697369676e6174757265" + sig + "6a64656c65676174696f6e" + "f6",
		"unknown key":     "d9d9f7a3" + "6474726565" + tree + "697369676e6174757265" + sig + "63666f6f" + "a1616101",
	}
	for name, h := range accepted {
		c, err := ParseCertificate(unhex(t, h))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.Delegation != nil {
			t.Errorf("%s: delegation", name)
		}
	}
	deleg := func(inner string) string {
		return "d9d9f7a3" + "6474726565" + tree + "697369676e6174757265" + sig + "6a64656c65676174696f6e" + inner
	}
	innerCert := good
	innerLen := fmt.Sprintf("58%02x", len(innerCert)/2)
	subnet := "4a" + "00000000000000000101"
	rejected := map[string]string{
		"empty":                 "",
		"other tag":             "d9d9f6a2" + "6474726565" + tree + "697369676e6174757265" + sig,
		"double tag":            "d9d9f7" + good,
		"array":                 "d9d9f782" + tree + sig,
		"missing tree":          "d9d9f7a1" + "697369676e6174757265" + sig,
		"missing signature":     "d9d9f7a1" + "6474726565" + tree,
		"duplicate tree":        "d9d9f7a3" + "6474726565" + tree + "6474726565" + tree + "697369676e6174757265" + sig,
		"duplicate signature":   "d9d9f7a3" + "6474726565" + tree + "697369676e6174757265" + sig + "697369676e6174757265" + sig,
		"signature 47 bytes":    "d9d9f7a2" + "6474726565" + tree + "697369676e6174757265" + "582f" + strings.Repeat("aa", 47),
		"signature 49 bytes":    "d9d9f7a2" + "6474726565" + tree + "697369676e6174757265" + "5831" + strings.Repeat("aa", 49),
		"signature as text":     "d9d9f7a2" + "6474726565" + tree + "697369676e6174757265" + "7830" + strings.Repeat("61", 48),
		"key as bytes":          "d9d9f7a2" + "4474726565" + tree + "697369676e6174757265" + sig,
		"key not UTF-8":         "d9d9f7a3" + "6474726565" + tree + "697369676e6174757265" + sig + "61ff" + "00",
		"trailing":              good + "00",
		"indefinite map":        "d9d9f7bf" + "6474726565" + tree + "697369676e6174757265" + sig + "ff",
		"non-shortest map":      "d9d9f7b802" + "6474726565" + tree + "697369676e6174757265" + sig,
		"bad tree":              "d9d9f7a2" + "6474726565" + "8200" + "697369676e6174757265" + sig,
		"unknown key bad value": "d9d9f7a3" + "6474726565" + tree + "697369676e6174757265" + sig + "63666f6f" + "5f40ff",
		"unknown key truncated": "d9d9f7a3" + "6474726565" + tree + "697369676e6174757265" + sig + "63666f6f" + "a2616101",
		"delegation not a map":  deleg("80"),
		"delegation no subnet":  deleg("a1" + "6b6365727469666963617465" + innerLen + innerCert),
		"delegation no cert":    deleg("a1" + "697375626e65745f6964" + subnet),
		"delegation subnet 30B": deleg("a2" + "697375626e65745f6964" + "581e" + strings.Repeat("00", 30) + "6b6365727469666963617465" + innerLen + innerCert),
		"delegation bad cert":   deleg("a2" + "697375626e65745f6964" + subnet + "6b6365727469666963617465" + "43010203"),
		"delegation dup key":    deleg("a3" + "697375626e65745f6964" + subnet + "697375626e65745f6964" + subnet + "6b6365727469666963617465" + innerLen + innerCert),
		"nested delegation": deleg("a2" + "697375626e65745f6964" + subnet + "6b6365727469666963617465" +
			fmt.Sprintf("59%04x", len(deleg("a2"+"697375626e65745f6964"+subnet+"6b6365727469666963617465"+innerLen+innerCert))/2) +
			deleg("a2"+"697375626e65745f6964"+subnet+"6b6365727469666963617465"+innerLen+innerCert)),
	}
	// Sanity: the single-level delegation form parses.
	if _, err := ParseCertificate(unhex(t, deleg("a2"+"697375626e65745f6964"+subnet+"6b6365727469666963617465"+innerLen+innerCert))); err != nil {
		t.Fatalf("delegated certificate refused: %v", err)
	}
	for name, h := range rejected {
		if _, err := ParseCertificate(unhex(t, h)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// testKey is a threshold key made by a trusted dealer, signing through t of
// its n shares.
type testKey struct {
	pc     *thresholdsig.PublicCoefficients
	shares []*thresholdsig.SecretKeyShare
	t      int
}

func newTestKey(t testing.TB) *testKey {
	t.Helper()
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{pc: pc, shares: shares, t: 3}
}

func (k *testKey) public() *thresholdsig.PublicKey { return k.pc.PublicKey() }

// sign combines the shares of nodes 3, 1 and 0.
func (k *testKey) sign(msg []byte) ([]byte, error) {
	indices := []int{3, 1, 0}
	var sigs [][]byte
	for _, i := range indices {
		s, err := thresholdsig.SignShare(k.shares[i], msg)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, s)
	}
	return thresholdsig.Combine(k.t, indices, sigs)
}

const testTime = uint64(1_700_000_000_000_000_000)

type subnetFixture struct {
	root, subnetKey *testKey
	subnet          principal.Principal
	lo, hi          principal.Principal
	inside, outside principal.Principal
}

func newSubnetFixture(t testing.TB) *subnetFixture {
	return &subnetFixture{
		root:      newTestKey(t),
		subnetKey: newTestKey(t),
		subnet:    principal.SelfAuthenticating([]byte("test subnet")),
		lo:        principal.FromCanisterIndex(0x200000),
		hi:        principal.FromCanisterIndex(0x2fffff),
		inside:    principal.FromCanisterIndex(0x200003),
		outside:   principal.FromCanisterIndex(2),
	}
}

// delegationCert builds the root subnet's certificate for the delegation;
// layout selects which canister-range layouts it carries ("old", "new",
// "both" or "none").
func (f *subnetFixture) delegationCert(t testing.TB, layout string, when uint64) *Certificate {
	t.Helper()
	sid := f.subnet.Bytes()
	ranges := EncodeCanisterRanges([]CanisterRange{{Low: f.lo, High: f.hi}})
	entries := []PathValue{
		{Path("time"), AppendLEB128(nil, when)},
		{[][]byte{[]byte("subnet"), sid, []byte("public_key")}, f.subnetKey.public().DER()},
		// Another subnet, to make the tree realistic.
		{[][]byte{[]byte("subnet"), principal.SelfAuthenticating([]byte("other")).Bytes(), []byte("public_key")}, f.root.public().DER()},
	}
	if layout == "old" || layout == "both" {
		entries = append(entries, PathValue{[][]byte{[]byte("subnet"), sid, []byte("canister_ranges")}, ranges})
	}
	if layout == "new" || layout == "both" {
		// Two shards: the second one holds our range.
		other := EncodeCanisterRanges([]CanisterRange{{Low: principal.FromCanisterIndex(0x100), High: principal.FromCanisterIndex(0x1ff)}})
		entries = append(entries,
			PathValue{[][]byte{[]byte("canister_ranges"), sid, principal.FromCanisterIndex(0x100).Bytes()}, other},
			PathValue{[][]byte{[]byte("canister_ranges"), sid, f.lo.Bytes()}, ranges})
	}
	tree, err := BuildTree(entries)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Certify(tree, f.root.sign)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *subnetFixture) certificate(t testing.TB, layout string, when, delegWhen uint64) *Certificate {
	t.Helper()
	tree, err := BuildTree([]PathValue{
		{Path("time"), AppendLEB128(nil, when)},
		{[][]byte{[]byte("canister"), f.inside.Bytes(), []byte("certified_data")}, []byte("hello")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Certify(tree, f.subnetKey.sign)
	if err != nil {
		t.Fatal(err)
	}
	c.Delegation = &Delegation{SubnetID: f.subnet, Certificate: f.delegationCert(t, layout, delegWhen)}
	return c
}

// roundTrip marshals and parses c, as a client receiving it would.
func roundTrip(t testing.TB, c *Certificate) *Certificate {
	t.Helper()
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCertifyRootSigned(t *testing.T) {
	root := newTestKey(t)
	tree, err := BuildTree([]PathValue{
		{Path("time"), AppendLEB128(nil, testTime)},
		{[][]byte{[]byte("canister"), principal.FromCanisterIndex(7).Bytes(), []byte("certified_data")}, []byte("data")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Certify(tree, root.sign)
	if err != nil {
		t.Fatal(err)
	}
	c = roundTrip(t, c)
	cid := principal.FromCanisterIndex(99) // no delegation: any canister
	info, err := Verify(c, root.public(), VerifyOptions{CanisterID: &cid})
	if err != nil {
		t.Fatal(err)
	}
	if info.Time != testTime || info.Delegated || info.RootHash != tree.Digest() {
		t.Errorf("info %+v", info)
	}
	if _, err := Verify(c, newTestKey(t).public(), VerifyOptions{}); err == nil {
		t.Error("wrong key accepted")
	}
	// A witness of the certified tree keeps the signature valid.
	w, err := Witness(c.Tree, [][][]byte{Path("time")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(&Certificate{Tree: w, Signature: c.Signature}, root.public(), VerifyOptions{}); err != nil {
		t.Errorf("witness certificate refused: %v", err)
	}
	// Tampered tree.
	bad, _ := BuildTree([]PathValue{
		{Path("time"), AppendLEB128(nil, testTime)},
		{[][]byte{[]byte("canister"), principal.FromCanisterIndex(7).Bytes(), []byte("certified_data")}, []byte("DATA")},
	})
	if _, err := Verify(&Certificate{Tree: bad, Signature: c.Signature}, root.public(), VerifyOptions{}); err == nil {
		t.Error("tampered tree accepted")
	}
	// No /time.
	noTime, _ := BuildTree([]PathValue{{Path("x"), nil}})
	c2, err := Certify(noTime, root.sign)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(c2, root.public(), VerifyOptions{}); err == nil {
		t.Error("certificate without /time accepted")
	}
	// /time pruned.
	pruned, _ := Witness(c.Tree, [][][]byte{Path("canister")})
	if _, err := Verify(&Certificate{Tree: pruned, Signature: c.Signature}, root.public(), VerifyOptions{}); err == nil {
		t.Error("certificate with pruned /time accepted")
	}
	onlyHash := &Certificate{Tree: Pruned(c.Tree.Digest()), Signature: c.Signature}
	if _, err := Verify(onlyHash, root.public(), VerifyOptions{}); err == nil {
		t.Error("certificate with pruned /time accepted")
	}
	// Signer errors and bad signature sizes surface.
	if _, err := Certify(tree, func([]byte) ([]byte, error) { return make([]byte, 47), nil }); err == nil {
		t.Error("short signature certified")
	}
	if _, err := Certify(tree, func([]byte) ([]byte, error) { return nil, fmt.Errorf("no quorum") }); err == nil {
		t.Error("signer error ignored")
	}
}

func TestCertifyDelegated(t *testing.T) {
	f := newSubnetFixture(t)
	rootKey := f.root.public()
	for _, layout := range []string{"old", "new", "both"} {
		t.Run(layout, func(t *testing.T) {
			c := roundTrip(t, f.certificate(t, layout, testTime, testTime-uint64(time.Hour)))
			info, err := Verify(c, rootKey, VerifyOptions{CanisterID: &f.inside})
			if err != nil {
				t.Fatal(err)
			}
			if !info.Delegated || info.DelegationSubnet != f.subnet || info.Time != testTime {
				t.Errorf("info %+v", info)
			}
			for _, id := range []principal.Principal{f.lo, f.hi} {
				if _, err := Verify(c, rootKey, VerifyOptions{CanisterID: &id}); err != nil {
					t.Errorf("range bound %s refused: %v", id, err)
				}
			}
			for _, id := range []principal.Principal{f.outside, principal.FromCanisterIndex(0x300000), principal.FromCanisterIndex(0x150)} {
				if layout == "new" && id == principal.FromCanisterIndex(0x150) {
					continue // in the other shard of the same subnet
				}
				if _, err := Verify(c, rootKey, VerifyOptions{CanisterID: &id}); err == nil {
					t.Errorf("canister %s outside the ranges accepted", id)
				}
			}
			if _, err := Verify(c, f.subnetKey.public(), VerifyOptions{}); err == nil {
				t.Error("verified with the subnet key as root key")
			}
			if _, err := Verify(c, newTestKey(t).public(), VerifyOptions{}); err == nil {
				t.Error("wrong root key accepted")
			}
		})
	}

	t.Run("no ranges", func(t *testing.T) {
		c := f.certificate(t, "none", testTime, testTime)
		if _, err := Verify(c, rootKey, VerifyOptions{}); err != nil {
			t.Fatalf("subnet-scoped verification: %v", err)
		}
		if _, err := Verify(c, rootKey, VerifyOptions{CanisterID: &f.inside}); err == nil {
			t.Error("delegation without ranges accepted for a canister")
		}
		// Ranges present but pruned away.
		full := f.certificate(t, "both", testTime, testTime)
		sid := f.subnet.Bytes()
		w, err := Witness(full.Delegation.Certificate.Tree, [][][]byte{Path("time"), {[]byte("subnet"), sid, []byte("public_key")}})
		if err != nil {
			t.Fatal(err)
		}
		full.Delegation.Certificate.Tree = w
		if _, err := Verify(full, rootKey, VerifyOptions{}); err != nil {
			t.Fatalf("pruned delegation: %v", err)
		}
		if _, err := Verify(full, rootKey, VerifyOptions{CanisterID: &f.inside}); err == nil {
			t.Error("delegation with pruned ranges accepted for a canister")
		}
	})

	t.Run("tampered", func(t *testing.T) {
		c := f.certificate(t, "both", testTime, testTime)
		c.Tree = Fork{Left: c.Tree, Right: Empty{}}
		if _, err := Verify(c, rootKey, VerifyOptions{}); err == nil {
			t.Error("tampered outer tree accepted")
		}
		c = f.certificate(t, "both", testTime, testTime)
		c.Delegation.Certificate.Tree = Fork{Left: Empty{}, Right: c.Delegation.Certificate.Tree}
		if _, err := Verify(c, rootKey, VerifyOptions{}); err == nil {
			t.Error("tampered delegation tree accepted")
		}
		// Another subnet's id: its public key is the root key, not the
		// key that signed the certificate.
		c = f.certificate(t, "both", testTime, testTime)
		c.Delegation.SubnetID = principal.SelfAuthenticating([]byte("other"))
		if _, err := Verify(c, rootKey, VerifyOptions{}); err == nil {
			t.Error("delegation to another subnet accepted")
		}
		c.Delegation.SubnetID = principal.SelfAuthenticating([]byte("unknown"))
		if _, err := Verify(c, rootKey, VerifyOptions{}); err == nil {
			t.Error("delegation to an unknown subnet accepted")
		}
		// Outer certificate signed by the root key itself but carrying a
		// delegation: the delegation's key must be used.
		c = f.certificate(t, "both", testTime, testTime)
		c.Signature, _ = f.root.sign(StateRootMessage(c.Tree.Digest()))
		if _, err := Verify(c, rootKey, VerifyOptions{}); err == nil {
			t.Error("outer certificate signed by the root key accepted with a delegation")
		}
		// Delegation certificate signed by the subnet key (self-delegation).
		c = f.certificate(t, "both", testTime, testTime)
		c.Delegation.Certificate.Signature, _ = f.subnetKey.sign(StateRootMessage(c.Delegation.Certificate.Tree.Digest()))
		if _, err := Verify(c, rootKey, VerifyOptions{}); err == nil {
			t.Error("self-signed delegation accepted")
		}
	})

	t.Run("two levels", func(t *testing.T) {
		inner := f.certificate(t, "both", testTime, testTime)
		// A valid delegated certificate used as the delegation of another.
		c := f.certificate(t, "both", testTime, testTime)
		c.Delegation.Certificate = inner
		if _, err := Verify(c, rootKey, VerifyOptions{}); err == nil {
			t.Error("two-level delegation accepted")
		}
		if _, err := c.Marshal(); err == nil {
			t.Error("two-level delegation marshalled")
		}
		// And on the wire.
		innerBytes, err := inner.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		outer := f.certificate(t, "both", testTime, testTime)
		outer.Delegation = nil
		b, err := outer.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		b[3] = 0xa3 // three entries
		b = appendText(b, "delegation")
		b = appendHead(b, majorMap, 2)
		b = appendBytes(appendText(b, "subnet_id"), f.subnet.Bytes())
		b = appendBytes(appendText(b, "certificate"), innerBytes)
		if _, err := ParseCertificate(b); err == nil {
			t.Error("two-level delegation parsed")
		}
	})

	t.Run("age", func(t *testing.T) {
		now := time.Unix(0, int64(testTime))
		c := f.certificate(t, "both", testTime-uint64(time.Minute), testTime-uint64(48*time.Hour))
		ok := []VerifyOptions{
			{Now: now},
			{MaxAge: 5 * time.Minute, DelegationMaxAge: 72 * time.Hour, Now: now},
			{MaxAge: 72 * time.Hour, Now: now},
		}
		bad := []VerifyOptions{
			{MaxAge: 30 * time.Second, DelegationMaxAge: 72 * time.Hour, Now: now}, // certificate too old
			{MaxAge: 5 * time.Minute, Now: now},                                    // delegation too old
			{MaxAge: 5 * time.Minute, DelegationMaxAge: 24 * time.Hour, Now: now},  // delegation too old
		}
		for _, o := range ok {
			if _, err := Verify(c, rootKey, o); err != nil {
				t.Errorf("%+v: %v", o, err)
			}
		}
		for _, o := range bad {
			if _, err := Verify(c, rootKey, o); err == nil {
				t.Errorf("%+v: accepted", o)
			}
		}
		// Without Now, the clock is used: a 2023 certificate is too old.
		if _, err := Verify(c, rootKey, VerifyOptions{MaxAge: time.Hour, DelegationMaxAge: time.Hour}); err == nil {
			t.Error("stale certificate accepted against the clock")
		}
	})
}

func TestCanisterRanges(t *testing.T) {
	in := []CanisterRange{{principal.FromCanisterIndex(1), principal.FromCanisterIndex(5)}, {principal.FromCanisterIndex(9), principal.FromCanisterIndex(9)}}
	enc := EncodeCanisterRanges(in)
	out, err := ParseCanisterRanges(enc)
	if err != nil || len(out) != 2 || out[1] != in[1] {
		t.Fatalf("round trip: %v %v", out, err)
	}
	if _, err := ParseCanisterRanges(enc[3:]); err != nil {
		t.Errorf("untagged ranges refused: %v", err)
	}
	for name, h := range map[string]string{
		"empty":          "",
		"not a list":     "d9d9f7a0",
		"range of 3":     "d9d9f78183404040",
		"range of 1":     "d9d9f7818140",
		"text principal": "d9d9f781826040",
		"30-byte end":    "d9d9f7818240581e" + strings.Repeat("00", 30),
		"trailing":       "d9d9f7818240 4000",
		"other tag":      "d9d9f681824040",
	} {
		if _, err := ParseCanisterRanges(unhex(t, strings.ReplaceAll(h, " ", ""))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseCertificate(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(v.raw)
		f.Add(v.raw[3:]) // untagged
	}
	sig := "5830" + strings.Repeat("aa", 48)
	for _, h := range []string{
		"d9d9f7a2" + "6474726565" + "8100" + "697369676e6174757265" + sig,
		"d9d9f7a3" + "6474726565" + "8100" + "697369676e6174757265" + sig + "6a64656c65676174696f6e" + "f6",
		"d9d9f7a3" + "6474726565" + "83024174820340" + "697369676e6174757265" + sig + "63666f6f" + "a1616101",
	} {
		f.Add(unhex(f, h))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCertificate(b)
		if err != nil {
			return
		}
		enc, err := c.Marshal()
		if err != nil {
			t.Fatalf("marshal of a parsed certificate: %v", err)
		}
		c2, err := ParseCertificate(enc)
		if err != nil {
			t.Fatalf("parse of re-encoding: %v", err)
		}
		enc2, err := c2.Marshal()
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable: %v", err)
		}
		_, _ = c.Lookup([]byte("time"))
	})
}

func BenchmarkVerifyCertificate(b *testing.B) {
	vs := loadVectors(b)
	for _, bc := range []struct {
		name string
		v    certVector
	}{{"no-delegation", vs[2]}, {"delegation", vs[1]}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				c, err := ParseCertificate(bc.v.raw)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Verify(c, bc.v.rootKey, VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseCertificate(b *testing.B) {
	v := loadVectors(b)[1]
	for b.Loop() {
		if _, err := ParseCertificate(v.raw); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleVerify() {
	// A subnet's threshold key (made by a trusted dealer here; a subnet
	// runs the DKG) certifies its state tree.
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		panic(err)
	}
	sign := func(msg []byte) ([]byte, error) {
		var sigs [][]byte
		for _, i := range []int{0, 1, 2} {
			s, err := thresholdsig.SignShare(shares[i], msg)
			if err != nil {
				return nil, err
			}
			sigs = append(sigs, s)
		}
		return thresholdsig.Combine(3, []int{0, 1, 2}, sigs)
	}
	canister := principal.MustParse("ryjl3-tyaaa-aaaaa-aaaba-cai")
	tree, err := BuildTree([]PathValue{
		{Path: Path("time"), Value: AppendLEB128(nil, 1_700_000_000_000_000_000)},
		{Path: [][]byte{[]byte("canister"), canister.Bytes(), []byte("certified_data")}, Value: []byte("hello")},
	})
	if err != nil {
		panic(err)
	}
	cert, err := Certify(tree, sign)
	if err != nil {
		panic(err)
	}
	wire, err := cert.Marshal()
	if err != nil {
		panic(err)
	}

	// A client checks it against the subnet's public key.
	received, err := ParseCertificate(wire)
	if err != nil {
		panic(err)
	}
	info, err := Verify(received, pc.PublicKey(), VerifyOptions{})
	if err != nil {
		panic(err)
	}
	status, data := received.Lookup([]byte("canister"), canister.Bytes(), []byte("certified_data"))
	fmt.Println(info.Time, status, string(data))
	// Output: 1700000000000000000 found hello
}
