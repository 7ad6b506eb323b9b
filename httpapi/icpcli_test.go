package httpapi_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/internal/nodejstest"
)

// TestICPCLI calls the server with the unmodified icp-cli 1.5.0 (npm
// @icp-sdk/icp-cli-linux-x64, a Rust ic-agent client, Linux x64 only):
// update calls and queries, the root key fetched from /api/v2/status.
func TestICPCLI(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("icp-cli is installed from npm for linux/amd64 only")
	}
	proj := nodejstest.Install(t, "testdata/icpcli", "icp-cli")
	icp, err := filepath.Abs(filepath.Join(proj.Dir, "node_modules/@icp-sdk/icp-cli-linux-x64/bin/icp"))
	if err != nil {
		t.Fatal(err)
	}
	did, err := filepath.Abs(filepath.Join(proj.Dir, "counter.did"))
	if err != nil {
		t.Fatal(err)
	}
	n := newTestNode(t, httpapi.Config{})
	url := n.start(t)
	home := t.TempDir()
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		args = append([]string{"canister", "call", n.canister.String()}, args...)
		args = append(args, "-n", url, "-k", "fetch", "--candid", did)
		cmd := exec.CommandContext(ctx, icp, args...)
		cmd.Dir = home
		cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_DATA_HOME="+filepath.Join(home, ".local/share"), "DO_NOT_TRACK=1")
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"inc", "()"}, "(1 : nat)"},
		{[]string{"inc", "()"}, "(2 : nat)"},
		{[]string{"read", "()", "--query"}, "(2 : nat)"},
		{[]string{"greet", `("icp")`, "--query"}, `("Hello, icp!")`},
	} {
		out, err := run(tc.args...)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Fatalf("icp canister call %v: %v\n%s\nwant %s", tc.args, err, out, tc.want)
		}
		t.Logf("icp canister call %v: %s", tc.args, out)
	}
	out, err := run("fail", "()")
	if err == nil || !strings.Contains(out, "no, thank you") {
		t.Fatalf("fail: %v\n%s", err, out)
	}
}
