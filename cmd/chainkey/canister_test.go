package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/internal/nodejstest"
)

// The Motoko canister of the deployment test: a counter whose value lives
// in the main memory (enhanced orthogonal persistence), and methods that
// sign with the subnet's threshold ECDSA key. V2 adds version().
const (
	motokoCommon = `
  var n : Nat = 0;
  transient let ic = actor ("aaaaa-aa") : actor {
    ecdsa_public_key : ({ canister_id : ?Principal; derivation_path : [Blob]; key_id : { curve : { #secp256k1 }; name : Text } }) -> async ({ public_key : Blob; chain_code : Blob });
    sign_with_ecdsa : ({ message_hash : Blob; derivation_path : [Blob]; key_id : { curve : { #secp256k1 }; name : Text } }) -> async ({ signature : Blob });
  };
  public func inc() : async Nat { n += 1; n };
  public query func get() : async Nat { n };
  public func boom() : async () { n += 100; assert false };
  public shared query ({ caller }) func whoami() : async Principal { caller };
  public func pubkey() : async Blob {
    (await ic.ecdsa_public_key({ canister_id = null; derivation_path = []; key_id = { curve = #secp256k1; name = "dfx_test_key" } })).public_key
  };
  public func sign(h : Blob) : async Blob {
    (await ic.sign_with_ecdsa({ message_hash = h; derivation_path = []; key_id = { curve = #secp256k1; name = "dfx_test_key" } })).signature
  };
`
	motokoV1 = "persistent actor {" + motokoCommon + "  public query func version() : async Text { \"v1\" };\n}"
	motokoV2 = "persistent actor {" + motokoCommon + "  public query func version() : async Text { \"v2\" };\n" +
		"  public query func info(k : { #all; #plus : Nat }) : async { name : Text; count : Nat } {\n" +
		"    switch k { case (#all) { { name = \"all\"; count = n } }; case (#plus d) { { name = \"plus\"; count = n + d } } }\n  };\n}"
)

// compileMotoko compiles the two versions (cached in node_modules by
// project and sources) and writes them to dir.
func compileMotoko(t *testing.T, proj *nodejstest.Project, dir string) (v1, v2 string) {
	t.Helper()
	wasm, err := proj.CompileMotoko(nodejstest.MotokoActor{Name: "V1", Source: motokoV1}, nodejstest.MotokoActor{Name: "V2", Source: motokoV2})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"V1", "V2"} {
		b := wasm[name]
		if err := os.WriteFile(filepath.Join(dir, name+".wasm"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "V1.wasm"), filepath.Join(dir, "V2.wasm")
}

// TestCanisterDeploy deploys a Motoko canister to a local 4-node subnet
// (chainkey up) through the IC HTTP interface, with the unmodified
// @dfinity/agent 3.4.3 and @dfinity/ic-management 7.1.3, with
// @icp-sdk/core 5.4 and @icp-sdk/canisters 3.6, and with the chainkey
// canister commands; icp-cli 1.5.0 calls a deployed canister.
func TestCanisterDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node subnet")
	}
	proj := nodejstest.Install(t, "testdata/icmgmt", "@dfinity/agent with @dfinity/ic-management and motoko")
	dir := t.TempDir()
	v1, v2 := compileMotoko(t, proj, dir)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	// The subnet runs in the default home, so that the canister commands
	// find it without --endpoint.
	xdg := t.TempDir()
	t.Setenv("XDG_DATA_HOME", xdg)
	info, stop := startUp(t, filepath.Join(xdg, "chainkey", "local"), 4)
	defer stop()
	if len(info.HTTP) != 4 {
		t.Fatalf("up printed http %v", info.HTTP)
	}

	t.Run("agentjs", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := proj.Command(ctx, "deploy.mjs")
		cmd.Args = append(cmd.Args, info.HTTP[1], v1, v2)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("deploy.mjs: %v\n%s", err, stderr.Bytes())
		}
		var got struct {
			CanisterID, Me, Get, Whoami, AfterUpgrade, Version, IncAfter, NotController string
			Candid                                                                      string
			DelegatedInc, DelegatedWhoami                                               string
			Incs                                                                        []string
			Status                                                                      struct {
				Running     bool
				ModuleHash  string
				Controllers []string
			}
			Pubkey, Hash, Signature string
		}
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("deploy.mjs printed %q: %v", stdout.Bytes(), err)
		}
		wasm, _ := os.ReadFile(v1)
		mh := sha256.Sum256(wasm)
		switch {
		case strings.Join(got.Incs, ",") != "1,2,3" || got.Get != "3":
			t.Fatalf("counter: %+v", got)
		case got.Whoami != got.Me:
			t.Fatalf("whoami %s, caller %s", got.Whoami, got.Me)
		case !got.Status.Running || got.Status.ModuleHash != hex.EncodeToString(mh[:]) || len(got.Status.Controllers) != 1 || got.Status.Controllers[0] != got.Me:
			t.Fatalf("canister_status: %+v", got.Status)
		case got.AfterUpgrade != "3" || got.Version != "v2" || got.IncAfter != "4":
			t.Fatalf("after the upgrade: get %s version %s inc %s", got.AfterUpgrade, got.Version, got.IncAfter)
		case got.DelegatedInc != "5" || got.DelegatedWhoami != got.Me:
			t.Fatalf("through a delegation: inc %s, whoami %s", got.DelegatedInc, got.DelegatedWhoami)
		case !strings.Contains(got.NotController, "IC0512"):
			t.Fatalf("non-controller install: %q", got.NotController)
		case !strings.Contains(got.Candid, "info: (k: variant {") || !strings.Contains(got.Candid, "version: () -> (text) query"):
			t.Fatalf("CanisterStatus candid (the certified candid:service metadata): %q", got.Candid)
		}
		verifyCanisterECDSA(t, got.Pubkey, got.Hash, got.Signature)
	})

	t.Run("icpsdk", func(t *testing.T) {
		sdk := nodejstest.Install(t, "testdata/icpsdk", "@icp-sdk/core with @icp-sdk/canisters")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := sdk.Command(ctx, "deploy.mjs")
		cmd.Args = append(cmd.Args, info.HTTP[2], v1, v2)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("deploy.mjs: %v\n%s", err, stderr.Bytes())
		}
		var got struct {
			Me, Get, AfterUpgrade, Version, Trap string
			Incs, Logs                           []string
			Statuses                             []struct {
				Running     bool
				ModuleHash  string
				Controllers []string
			}
		}
		if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
			t.Fatalf("deploy.mjs printed %q: %v", stdout.Bytes(), err)
		}
		switch {
		case strings.Join(got.Incs, ",") != "1,2" || got.Get != "2" || got.AfterUpgrade != "2" || got.Version != "v2":
			t.Fatalf("counter: %+v", got)
		case len(got.Statuses) != 2:
			t.Fatalf("statuses %+v", got.Statuses)
		case !strings.Contains(got.Trap, "IC0503") || len(got.Logs) == 0 || !strings.HasPrefix(got.Logs[len(got.Logs)-1], "[TRAP]"):
			t.Fatalf("trap %q, logs %q", got.Trap, got.Logs)
		}
		for _, st := range got.Statuses {
			if !st.Running || len(st.ModuleHash) != 64 || len(st.Controllers) != 1 || st.Controllers[0] != got.Me {
				t.Fatalf("canister_status: %+v", st)
			}
		}
	})

	t.Run("icpcli", func(t *testing.T) {
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			t.Skip("icp-cli is installed from npm for linux/amd64 only")
		}
		icpProj := nodejstest.Install(t, "testdata/icpcli", "icp-cli")
		icp, err := filepath.Abs(filepath.Join(icpProj.Dir, "node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"))
		if err != nil {
			t.Fatal(err)
		}
		did := filepath.Join(dir, "counter.did")
		if err := os.WriteFile(did, []byte("service : { inc : () -> (nat); get : () -> (nat) query; version : () -> (text) query }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := runCLI(t, "canister", "create", "--endpoint", info.HTTP[3])
		if err != nil {
			t.Fatalf("create: %v %s", err, out)
		}
		id := strings.TrimSpace(out)
		if out, err := runCLI(t, "canister", "install", id, "--wasm", v2, "--endpoint", info.HTTP[3]); err != nil {
			t.Fatalf("install: %v %s", err, out)
		}
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"inc", "()"}, "(1 : nat)"},
			{[]string{"inc", "()"}, "(2 : nat)"},
			{[]string{"get", "()", "--query"}, "(2 : nat)"},
			{[]string{"version", "()", "--query"}, `("v2")`},
		} {
			out, err := icpCall(t, icp, did, info.HTTP[0], id, tc.args...)
			if err != nil || !strings.Contains(out, tc.want) {
				t.Fatalf("icp canister call %v: %v\n%s\nwant %s", tc.args, err, out, tc.want)
			}
		}
	})

	t.Run("cli", func(t *testing.T) {
		ep := info.HTTP[2]
		pem := func(name string) string {
			k, err := ingress.GenerateEd25519()
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, name+".pem")
			if err := os.WriteFile(p, ingress.MarshalEd25519PEM(k), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		me, other := pem("me"), pem("other")
		cli := func(args ...string) (string, error) {
			return runCLI(t, append(append([]string{"canister"}, args...), "--endpoint", ep, "--identity", me)...)
		}
		must := func(args ...string) string {
			t.Helper()
			out, err := cli(args...)
			if err != nil {
				t.Fatalf("canister %s: %v\n%s", strings.Join(args, " "), err, out)
			}
			return strings.TrimSpace(out)
		}
		var created struct {
			CanisterID string `json:"canister_id"`
		}
		if err := json.Unmarshal([]byte(must("create", "--json")), &created); err != nil || created.CanisterID == "" {
			t.Fatalf("create: %v", err)
		}
		id := created.CanisterID
		must("install", id, "--wasm", v1)
		if out := must("call", id, "inc"); out != "(1 : nat)" {
			t.Fatalf("inc printed %q", out)
		}
		must("call", id, "inc")
		if out := must("call", id, "get", "--query"); out != "(2 : nat)" {
			t.Fatalf("get printed %q", out)
		}
		// Without --endpoint: the running local subnet's first node.
		if out, err := runCLI(t, "canister", "call", id, "get", "--query", "--identity", me); err != nil || strings.TrimSpace(out) != "(2 : nat)" {
			t.Fatalf("get from the local subnet: %v %q", err, out)
		}
		var st struct {
			Status      string   `json:"status"`
			ModuleHash  string   `json:"module_hash"`
			Controllers []string `json:"controllers"`
		}
		if err := json.Unmarshal([]byte(must("status", id, "--json")), &st); err != nil || st.Status != "running" || len(st.ModuleHash) != 64 || len(st.Controllers) != 1 {
			t.Fatalf("status: %+v %v", st, err)
		}
		// Another identity may not install code: the IC's code.
		out, err := runCLI(t, "canister", "install", id, "--wasm", v1, "--mode", "reinstall", "--endpoint", ep, "--identity", other)
		if err == nil || !strings.Contains(err.Error()+out, "IC0512") {
			t.Fatalf("non-controller install: %v %s", err, out)
		}
		must("install", id, "--wasm", v2, "--mode", "upgrade", "--wasm-memory-persistence", "keep")
		if out := must("call", id, "get", "--query"); out != "(2 : nat)" {
			t.Fatalf("get after upgrade printed %q", out)
		}
		did := filepath.Join(dir, "cli.did")
		if err := os.WriteFile(did, []byte("service : { inc : () -> (nat); get : () -> (nat) query }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out := must("call", id, "get", "--candid", did); out != "(2 : nat)" {
			t.Fatalf("get with --candid printed %q", out)
		}
		if out := must("call", id, "version"); out != `("v2")` {
			t.Fatalf("version printed %q", out)
		}
		// The canister's own candid:service (certified metadata) types the
		// argument and names the reply's fields.
		if out := must("metadata", id, "candid:service"); !strings.Contains(out, "info: (k: variant {") {
			t.Fatalf("metadata candid:service printed %q", out)
		}
		if out := must("call", id, "info", "(variant { plus = 5 })"); out != `(record { name = "plus"; count = 7 : nat })` {
			t.Fatalf("info printed %q", out)
		}
		if out, err := cli("metadata", id, "nonesuch"); err == nil || !strings.Contains(err.Error(), "no metadata section") {
			t.Fatalf("absent section: %v %s", err, out)
		}
		// A private section: its controllers read it, others get 403.
		w2, err := os.ReadFile(v2)
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range [][2]string{{"icp:private secret", "\x00\xffsecret"}, {"icp:public note", "hello"}} {
			body := append(append([]byte{byte(len(sec[0]))}, sec[0]...), sec[1]...)
			w2 = append(append(w2, 0, byte(len(body))), body...)
		}
		priv := filepath.Join(dir, "private.wasm")
		if err := os.WriteFile(priv, w2, 0o644); err != nil {
			t.Fatal(err)
		}
		must("install", id, "--wasm", priv, "--mode", "upgrade", "--wasm-memory-persistence", "keep")
		if out := must("metadata", id, "secret"); out != "00ff736563726574" {
			t.Fatalf("private section printed %q", out)
		}
		if out, err := runCLI(t, "canister", "metadata", id, "secret", "--endpoint", ep, "--identity", other); err == nil || !strings.Contains(err.Error()+out, "403") {
			t.Fatalf("non-controller read of a private section: %v %s", err, out)
		}
		if out, err := runCLI(t, "canister", "metadata", id, "note", "--endpoint", ep, "--identity", other); err != nil || strings.TrimSpace(out) != "hello" {
			t.Fatalf("non-controller read of a public section: %v %s", err, out)
		}
		// moc makes candid:service private unless told otherwise (dfx
		// passes --public-metadata candid:service): a non-controller's
		// call goes on without it.
		if out, err := runCLI(t, "canister", "metadata", id, "candid:service", "--endpoint", ep, "--identity", other); err == nil || !strings.Contains(err.Error()+out, "403") {
			t.Fatalf("non-controller read of moc's private candid:service: %v %s", err, out)
		}
		if out, err := runCLI(t, "canister", "call", id, "get", "--query", "--endpoint", ep, "--identity", other); err != nil || strings.TrimSpace(out) != "(2 : nat)" {
			t.Fatalf("non-controller call without the interface: %v %s", err, out)
		}
		if out, err := cli("call", id, "boom"); err == nil || !strings.Contains(err.Error(), "IC0503") {
			t.Fatalf("boom: %v %s", err, out)
		}
		if out := must("logs", id); !strings.Contains(out, "[TRAP]") {
			t.Fatalf("logs printed %q", out)
		}
		must("top-up", id)
		must("stop", id)
		if out := must("status", id, "--json"); !strings.Contains(out, `"stopped"`) {
			t.Fatalf("status after stop: %s", out)
		}
		must("start", id)
		must("stop", id)
		must("delete", id)
		if _, err := cli("status", id); err == nil || !strings.Contains(err.Error(), "IC0301") {
			t.Fatalf("status of a deleted canister: %v", err)
		}
	})
}

// icpCall runs `icp canister call` of the unmodified icp-cli against url.
func icpCall(t *testing.T, icp, did, url, canister string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append(append([]string{"canister", "call", canister}, args...), "-n", url, "-k", "fetch", "--candid", did)
	cmd := exec.CommandContext(ctx, icp, args...)
	cmd.Dir = home
	cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local/share"), "DO_NOT_TRACK=1")
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// verifyCanisterECDSA checks the canister's signature of hash under the key
// its ecdsa_public_key returned, with btcec.
func verifyCanisterECDSA(t *testing.T, pubHex, hashHex, sigHex string) {
	t.Helper()
	pub, _ := hex.DecodeString(pubHex)
	hash, _ := hex.DecodeString(hashHex)
	sig, _ := hex.DecodeString(sigHex)
	pk, err := btcec.ParsePubKey(pub)
	if err != nil || len(sig) != 64 {
		t.Fatalf("public key %x, signature %x: %v", pub, sig, err)
	}
	var r, s btcec.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:])
	if !btcecdsa.NewSignature(&r, &s).Verify(hash, pk) {
		t.Fatal("btcec rejects the canister's signature")
	}
}
