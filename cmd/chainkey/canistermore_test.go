package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/internal/nodejstest"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// padModule appends a custom section to a module so that it is at least
// n bytes long.
func padModule(wasm []byte, n int) []byte {
	name := "chainkey:padding"
	body := append([]byte{byte(len(name))}, name...)
	x := uint32(1)
	for len(wasm)+len(body)+8 < n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		body = append(body, byte(x))
	}
	out := append([]byte{}, wasm...)
	out = append(out, 0)
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
}

// TestCanisterChunkedCLI: the canister commands create a canister at a
// specified id, install a module larger than a subnet message may be
// (through the chunk store), show the canister's history with info, and
// change its settings with update-settings.
func TestCanisterChunkedCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subnet")
	}
	proj := nodejstest.Install(t, "testdata/icmgmt", "@dfinity/agent with @dfinity/ic-management and motoko")
	dir := t.TempDir()
	v1, _ := compileMotoko(t, proj, dir)
	small, err := os.ReadFile(v1)
	if err != nil {
		t.Fatal(err)
	}
	big := padModule(small, canisters.MaxMessageBytes+canisters.MaxChunkBytes/3)
	bigPath := filepath.Join(dir, "big.wasm")
	if err := os.WriteFile(bigPath, big, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	info, stop := startUp(t, t.TempDir(), 1)
	defer stop()
	key, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	me := filepath.Join(dir, "me.pem")
	if err := os.WriteFile(me, ingress.MarshalEd25519PEM(key), 0o600); err != nil {
		t.Fatal(err)
	}
	cli := func(args ...string) (string, error) {
		return runCLI(t, append(append([]string{"canister"}, args...), "--endpoint", info.HTTP[0], "--identity", me)...)
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := cli(args...)
		if err != nil {
			t.Fatalf("canister %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(out)
	}
	want := canisters.CanisterID(7).String()
	var created struct {
		CanisterID string `json:"canister_id"`
	}
	if err := json.Unmarshal([]byte(must("create", "--specified-id", want, "--json")), &created); err != nil || created.CanisterID != want {
		t.Fatalf("create --specified-id: %q %v", created.CanisterID, err)
	}
	if out, err := cli("create", "--specified-id", want); err == nil || !strings.Contains(err.Error()+out, "already exists") {
		t.Fatalf("second create at %s: %v %s", want, err, out)
	}
	id := created.CanisterID
	start := time.Now()
	if out := must("install", id, "--wasm", bigPath); !strings.Contains(out, "chunk store") {
		t.Fatalf("install of a %d-byte module printed %q", len(big), out)
	}
	t.Logf("chunked install of a %d-byte module (%d chunks) on a 1-node subnet: %v", len(big), (len(big)+canisters.MaxChunkBytes-1)/canisters.MaxChunkBytes, time.Since(start))
	if out := must("call", id, "inc"); out != "(1 : nat)" {
		t.Fatalf("inc printed %q", out)
	}
	type change struct {
		Change string `json:"change"`
		Origin string `json:"origin"`
	}
	var inf struct {
		ModuleHash  string   `json:"module_hash"`
		Controllers []string `json:"controllers"`
		Total       uint64   `json:"total_num_changes"`
		Recent      []change `json:"recent_changes"`
	}
	if err := json.Unmarshal([]byte(must("info", id, "--json")), &inf); err != nil {
		t.Fatal(err)
	}
	mh := sha256.Sum256(big)
	if inf.ModuleHash != hex.EncodeToString(mh[:]) || inf.Total != 2 || len(inf.Recent) != 2 ||
		!strings.HasPrefix(inf.Recent[0].Change, "created") || !strings.Contains(inf.Recent[1].Change, "install of module "+inf.ModuleHash) {
		t.Fatalf("info %+v", inf)
	}
	other := principal.SelfAuthenticating([]byte("other")).String()
	must("update-settings", id, "--add-controller", other, "--freezing-threshold", "1234", "--log-visibility", "public")
	if err := json.Unmarshal([]byte(must("info", id, "--json")), &inf); err != nil {
		t.Fatal(err)
	}
	if len(inf.Controllers) != 2 || inf.Total != 3 || !strings.Contains(inf.Recent[2].Change, other) {
		t.Fatalf("info after update-settings %+v", inf)
	}
	if out, err := cli("update-settings", id, "--compute-allocation", "101"); err == nil {
		t.Fatalf("compute allocation 101 accepted: %s", out)
	}
	var st struct {
		Freezing string `json:"freezing_threshold"`
		Logs     string `json:"log_visibility"`
	}
	if err := json.Unmarshal([]byte(must("status", id, "--json")), &st); err != nil || st.Freezing != "1234" || st.Logs != "public" {
		t.Fatalf("status after update-settings: %+v %v", st, err)
	}

	// The unmodified @dfinity/ic-management installs the same module
	// through the chunk store and reads the settings it set.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := proj.Command(ctx, "chunked.mjs")
	cmd.Args = append(cmd.Args, info.HTTP[0], bigPath)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chunked.mjs: %v\n%s", err, stderr.Bytes())
	}
	var js struct {
		Chunks, Stored                                        int
		Inc, ModuleHash, FreezingThreshold, ComputeAllocation string
		WasmMemoryLimit                                       string
	}
	if err := json.Unmarshal(stdout.Bytes(), &js); err != nil {
		t.Fatalf("chunked.mjs printed %q: %v", stdout.Bytes(), err)
	}
	if js.Chunks != 5 || js.Stored != 5 || js.Inc != "1" || js.ModuleHash != hex.EncodeToString(mh[:]) ||
		js.FreezingThreshold != "1234" || js.ComputeAllocation != "3" || js.WasmMemoryLimit != "2147483648" {
		t.Fatalf("chunked.mjs: %+v", js)
	}
}
