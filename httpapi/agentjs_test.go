package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/internal/nodejstest"
)

// TestAgentJS drives the server with the unmodified @dfinity/agent 3.4.3
// (testdata/agentjs): certified update calls, node-signed queries verified
// by the agent, a canister reject, read_state through CanisterStatus, and an
// anonymous caller.
func TestAgentJS(t *testing.T) {
	proj := nodejstest.Install(t, "testdata/agentjs", "@dfinity/agent")
	n := newTestNode(t, httpapi.Config{})
	url := n.start(t)
	raw := runDrive(t, proj, "drive.mjs", url, n.canister.String())
	var got struct {
		Me, Inc1, Inc2, Read, Greet, Whoami string
		Fail                                *struct{ Name, Code, Message string }
		Status                              struct {
			Time        bool
			ModuleHash  string
			Controllers []string
			SubnetNodes int
		}
		AnonInc, AnonWhoami string
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	t.Logf("agent output: %s", raw)
	if got.Inc1 != "1" || got.Inc2 != "2" || got.Read != "2" {
		t.Errorf("counter: inc %s, %s, read %s; want 1, 2, 2", got.Inc1, got.Inc2, got.Read)
	}
	if got.Greet != "Hello, chainkey!" {
		t.Errorf("greet = %q", got.Greet)
	}
	if got.Whoami != got.Me {
		t.Errorf("whoami = %s, want the agent's identity %s", got.Whoami, got.Me)
	}
	if got.Fail == nil || !strings.Contains(got.Fail.Message, "no, thank you") {
		t.Errorf("fail: %+v, want the canister's reject", got.Fail)
	}
	if !got.Status.Time || len(got.Status.ModuleHash) == 0 || got.Status.SubnetNodes != 1 {
		t.Errorf("canister status: %+v", got.Status)
	}
	if got.AnonInc != "3" || got.AnonWhoami != "2vxsx-fae" {
		t.Errorf("anonymous: inc %s whoami %s; want 3 and 2vxsx-fae", got.AnonInc, got.AnonWhoami)
	}
}

// runDrive runs a script of the Node project with arguments and returns its
// standard output.
func runDrive(t *testing.T, proj *nodejstest.Project, script string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := proj.Command(ctx, script)
	cmd.Args = append(cmd.Args, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node %s: %v\n%s", script, err, stderr.Bytes())
	}
	return stdout.Bytes()
}
