package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica"
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/rpc"
)

// cliFakeBackend stands in for a node to test the client commands' plumbing
// (flags, identity, JSON output, error lines). The end-to-end tests use a
// real subnet.
type cliFakeBackend struct {
	mu    sync.Mutex
	seen  map[[32]byte]bool
	signs int // Sign calls received
}

func cliFakeKey(keyID string, caller principal.Principal, path [][]byte) *secp256k1.PrivateKey {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%x|%q", keyID, caller.Bytes(), path)
	return secp256k1.PrivKeyFromBytes(h.Sum(nil))
}

func (f *cliFakeBackend) Sign(_ context.Context, req *api.SignRequest) (*api.SignResult, error) {
	c, id := req.Content(), req.ID()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signs++
	if f.seen[id] {
		return nil, api.ErrDuplicateRequest
	}
	f.seen[id] = true
	if c.KeyID != "ecdsa:secp256k1:dfx_test_key" {
		return nil, api.ErrUnknownKey
	}
	k := cliFakeKey(c.KeyID, c.Sender, c.DerivationPath)
	sig := secpecdsa.Sign(k, c.MessageHash)
	r, s := sig.R(), sig.S()
	out := make([]byte, 64)
	r.PutBytesUnchecked(out[:32])
	s.PutBytesUnchecked(out[32:])
	return &api.SignResult{Signature: out, PublicKey: k.PubKey().SerializeCompressed(), Height: 1}, nil
}

func (f *cliFakeBackend) PublicKey(_ context.Context, keyID string, caller principal.Principal, path [][]byte) ([]byte, []byte, error) {
	if keyID != "ecdsa:secp256k1:dfx_test_key" {
		return nil, nil, api.ErrUnknownKey
	}
	return cliFakeKey(keyID, caller, path).PubKey().SerializeCompressed(), make([]byte, 32), nil
}

func (f *cliFakeBackend) Status(context.Context) (*api.Status, error) {
	return &api.Status{SubnetID: principal.SelfAuthenticating([]byte("s")), Height: 3, RootKeyDER: []byte{0x30, 0}, KeyIDs: []string{"ecdsa:secp256k1:dfx_test_key"}}, nil
}

func startCLIFake(t *testing.T) string {
	_, ep := startCLIFakeBackend(t)
	return ep
}

func startCLIFakeBackend(t *testing.T) (*cliFakeBackend, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &cliFakeBackend{seen: map[[32]byte]bool{}}
	g := rpc.NewGRPCServer(f, rpc.ServerOptions{})
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	return f, lis.Addr().String()
}

// runCLI runs the root command with args and returns stdout.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestClientCommandsAgainstFake(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ep := startCLIFake(t)
	hash := sha256.Sum256([]byte("hello"))

	out, err := runCLI(t, "pubkey", "--endpoint", ep, "--key-id", "ecdsa:secp256k1:dfx_test_key", "--path", "00ff", "--path", "")
	if err != nil {
		t.Fatal(err)
	}
	var pk struct{ PublicKey, ChainCode string }
	if err := json.Unmarshal([]byte(out), &struct {
		P *string `json:"public_key"`
		C *string `json:"chain_code"`
	}{&pk.PublicKey, &pk.ChainCode}); err != nil || pk.PublicKey == "" || len(pk.ChainCode) != 64 {
		t.Fatalf("pubkey output %q: %v", out, err)
	}
	// The default identity was created with mode 0600 and is reused.
	idPath, _ := defaultIdentityPath()
	fi, err := os.Stat(idPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("default identity %s: %v %v", idPath, fi, err)
	}

	out, err = runCLI(t, "sign", "--endpoint", ep, "--key-id", "ecdsa:secp256k1:dfx_test_key", "--hash", hex.EncodeToString(hash[:]), "--path", "00ff", "--path", "")
	if err != nil {
		t.Fatal(err)
	}
	var sg struct {
		Signature  string `json:"signature"`
		PublicKey  string `json:"public_key"`
		Certified  *bool  `json:"certified"`
		RecoveryID *int   `json:"recovery_id"`
	}
	if err := json.Unmarshal([]byte(out), &sg); err != nil {
		t.Fatalf("sign output %q: %v", out, err)
	}
	// No root key was given or found: the output says nothing was checked.
	if sg.Certified == nil || *sg.Certified || sg.RecoveryID == nil {
		t.Fatalf("sign output %q: want certified false and an ECDSA recovery id", out)
	}
	if sg.PublicKey != pk.PublicKey {
		t.Fatalf("sign used key %s, pubkey returned %s (identity not reused?)", sg.PublicKey, pk.PublicKey)
	}
	pkb, _ := hex.DecodeString(sg.PublicKey)
	sigb, _ := hex.DecodeString(sg.Signature)
	pub, err := secp256k1.ParsePubKey(pkb)
	if err != nil || len(sigb) != 64 {
		t.Fatalf("bad output: %v", err)
	}
	var r, s secp256k1.ModNScalar
	r.SetByteSlice(sigb[:32])
	s.SetByteSlice(sigb[32:])
	if !secpecdsa.NewSignature(&r, &s).Verify(hash[:], pub) {
		t.Fatal("signature does not verify")
	}

	// Another identity (a secp256k1 PEM as dfx writes it) gets another key.
	other := filepath.Join(t.TempDir(), "id.pem")
	k1, _ := ingress.GenerateSecp256k1()
	der := k1.PrivateKey().Serialize()
	sec1 := append([]byte{0x30, 0x2e, 0x02, 0x01, 0x01, 0x04, 0x20}, der...)
	sec1 = append(sec1, 0xa0, 0x07, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a)
	pemData := "-----BEGIN EC PRIVATE KEY-----\n" + wrap64(sec1) + "-----END EC PRIVATE KEY-----\n"
	if err := os.WriteFile(other, []byte(pemData), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, "sign", "--endpoint", ep, "--hash", hex.EncodeToString(hash[:]), "--identity", other, "--path", "00ff", "--path", "")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, pk.PublicKey) {
		t.Fatal("another identity obtained a signature under the first caller's key")
	}

	out, err = runCLI(t, "status", "--endpoint", ep)
	if err != nil || !strings.Contains(out, `"height":3`) {
		t.Fatalf("status %q: %v", out, err)
	}

	out, err = runCLI(t, "bench", "sign", "--endpoint", ep, "--duration", "300ms", "--concurrency", "2")
	if err != nil {
		t.Fatal(err)
	}
	var br benchResult
	if err := json.Unmarshal([]byte(out), &br); err != nil || br.Requests == 0 || br.Errors != 0 || br.PerSecond <= 0 {
		t.Fatalf("bench output %q: %v", out, err)
	}
}

func wrap64(b []byte) string {
	s := base64Std(b)
	var out strings.Builder
	for len(s) > 64 {
		out.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	out.WriteString(s + "\n")
	return out.String()
}

func TestClientCommandErrors(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ep := startCLIFake(t)
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"bad key id":     {[]string{"sign", "--endpoint", ep, "--key-id", "rsa:x:y", "--hash", "00"}, "--key-id"},
		"bad hash hex":   {[]string{"sign", "--endpoint", ep, "--hash", "zz"}, "--hash"},
		"short hash":     {[]string{"sign", "--endpoint", ep, "--hash", "00"}, "ECDSA needs exactly 32"},
		"unknown key":    {[]string{"sign", "--endpoint", ep, "--key-id", "ecdsa:secp256k1:nope", "--hash", strings.Repeat("00", 32)}, "NotFound"},
		"bad path":       {[]string{"pubkey", "--endpoint", ep, "--path", "xyz"}, "--path"},
		"no identity":    {[]string{"sign", "--endpoint", ep, "--hash", strings.Repeat("00", 32), "--identity", "/nonexistent/id.pem"}, "identity"},
		"unreachable":    {[]string{"status", "--endpoint", "127.0.0.1:1", "--timeout", "2s"}, "status: Unavailable"},
		"bench bad key":  {[]string{"bench", "sign", "--endpoint", ep, "--key-id", "x"}, "--key-id"},
		"bench all fail": {[]string{"bench", "sign", "--endpoint", ep, "--key-id", "schnorr:ed25519:nope", "--duration", "200ms", "--concurrency", "1"}, "exit status 1"},
	} {
		_, err := runCLI(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", name, err, c.want)
		}
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestInitCmd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "subnet")
	s, err := runCLI(t, "init", "--nodes", "4", "--out", out, "--hosts", "10.0.0.1,10.0.0.2,10.0.0.3:7000,10.0.0.3")
	if err != nil {
		t.Fatal(err)
	}
	var res initOutput
	if err := json.Unmarshal([]byte(s), &res); err != nil || len(res.Nodes) != 4 {
		t.Fatalf("init printed %q: %v", s, err)
	}
	if res.Nodes[0].P2P != "0.0.0.0:26656" || res.Nodes[2].P2P != "0.0.0.0:7000" {
		t.Fatalf("unexpected endpoints %+v", res.Nodes)
	}
	for _, n := range res.Nodes {
		fi, err := os.Stat(filepath.Join(n.Home, "secrets"))
		if err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("%s secrets: %v %v", n.Home, fi, err)
		}
	}
	if fi, err := os.Stat(res.OperatorKey); err != nil || fi.Mode().Perm() != 0o600 || res.OperatorKey != filepath.Join(out, "operator_key.pem") {
		t.Fatalf("operator key %q: %v %v", res.OperatorKey, fi, err)
	}
	if _, err := replica.LoadOperatorKey(res.OperatorKey); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "init", "--nodes", "4", "--out", out); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("second init over the same directory: %v", err)
	}
	if _, err := runCLI(t, "init", "--nodes", "3", "--out", t.TempDir(), "--hosts", "a,b"); err == nil {
		t.Fatal("init accepted 2 hosts for 3 nodes")
	}
	if _, err := runCLI(t, "node", "--home", t.TempDir()); err == nil {
		t.Fatal("node started without a configuration")
	}
}

// TestSignRefusesBadRootKeyBeforeSending checks that a malformed --root-key
// is refused before any request is signed and sent.
func TestSignRefusesBadRootKeyBeforeSending(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	f, ep := startCLIFakeBackend(t)
	hash := strings.Repeat("11", 32)
	for name, key := range map[string]string{
		"not hex":    "zz",
		"not a key":  "3000",
		"raw G2 key": blsTestKey, // 96 bytes: the DER form is required
	} {
		_, err := runCLI(t, "sign", "--endpoint", ep, "--hash", hash, "--root-key", key)
		if err == nil || !strings.Contains(err.Error(), "--root-key") {
			t.Errorf("%s: error %v, want a --root-key error", name, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.signs != 0 {
		t.Fatalf("%d requests reached the node despite a bad --root-key", f.signs)
	}
}

// TestBenchCountsErrorKinds checks that bench reports its errors by kind.
func TestBenchCountsErrorKinds(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	ep := startCLIFake(t)
	out, err := runCLI(t, "bench", "sign", "--endpoint", ep, "--key-id", "schnorr:ed25519:nope", "--duration", "200ms", "--concurrency", "1")
	if err == nil {
		t.Fatal("bench with an unknown key succeeded")
	}
	line, _, _ := strings.Cut(out, "\n")
	var br benchResult
	if err := json.Unmarshal([]byte(line), &br); err != nil {
		t.Fatalf("bench output %q: %v", out, err)
	}
	k, ok := br.ErrorKinds["NotFound"]
	if br.Errors == 0 || !ok || k.Count != br.Errors || k.Example == "" {
		t.Fatalf("bench output %q: want every error counted under NotFound with an example", out)
	}
}
