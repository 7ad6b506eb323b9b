package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/internal/nodejstest"
	"github.com/chainkey/chainkey/principal"
)

// TestAgentJS drives the server with the unmodified @dfinity/agent 3.4.3
// (testdata/agentjs): certified update calls, node-signed queries verified
// by the agent, a canister reject, read_state through CanisterStatus, and an
// anonymous caller; and refuses a rogue node's query signatures.
func TestAgentJS(t *testing.T) {
	proj := nodejstest.Install(t, "testdata/agentjs", "@dfinity/agent")
	testJSClient(t, proj, []string{"POST /api/v3/canister/*/call", "POST /api/v2/canister/*/query", "POST /api/v2/canister/*/read_state"})
}

// TestICPSDKCore does the same with the unmodified @icp-sdk/core 5.4.0
// (testdata/icpsdk), which uses the v4 call and v3 query and read_state
// endpoints, and adds a P-256 (WebCrypto) identity delegating to an
// Ed25519 session key restricted to the canister.
func TestICPSDKCore(t *testing.T) {
	proj := nodejstest.Install(t, "testdata/icpsdk", "@icp-sdk/core")
	testJSClient(t, proj, []string{"POST /api/v4/canister/*/call", "POST /api/v3/canister/*/query", "POST /api/v3/canister/*/read_state"})
}

// pathLog records the request paths a handler sees.
type pathLog struct {
	mu    sync.Mutex
	paths map[string]int
}

func (l *pathLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		p := r.URL.Path
		if parts := strings.Split(p, "/"); len(parts) == 6 { // "", "api", ver, kind, id, endpoint
			p = strings.Join([]string{"", parts[1], parts[2], parts[3], "*", parts[5]}, "/")
		}
		l.paths[r.Method+" "+p]++
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// testJSClient runs drive.mjs of proj against a test node and checks its
// output and that the client used the endpoints wantPaths.
func testJSClient(t *testing.T, proj *nodejstest.Project, wantPaths []string) {
	n := newTestNode(t, httpapi.Config{})
	controller := principal.SelfAuthenticating([]byte("controller"))
	if err := n.subnet.SetControllers(controller); err != nil {
		t.Fatal(err)
	}
	log := &pathLog{paths: map[string]int{}}
	ts0 := httptest.NewServer(log.wrap(n.server))
	defer ts0.Close()
	raw := runDrive(t, proj, "drive.mjs", ts0.URL, n.canister.String())
	t.Logf("requests: %v", log.paths)
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
		QueryReject         *struct {
			Status, ErrorCode, Message, Name string
			Code                             any
		}
		Delegator       string
		DelegatedInc    string
		DelegatedWhoami string
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
	if !got.Status.Time || len(got.Status.ModuleHash) == 0 || got.Status.SubnetNodes != 1 ||
		len(got.Status.Controllers) != 1 || got.Status.Controllers[0] != controller.String() {
		t.Errorf("canister status: %+v", got.Status)
	}
	if got.AnonInc != "3" || got.AnonWhoami != "2vxsx-fae" {
		t.Errorf("anonymous: inc %s whoami %s; want 3 and 2vxsx-fae", got.AnonInc, got.AnonWhoami)
	}
	if q := got.QueryReject; q == nil || q.Status != "rejected" || fmt.Sprint(q.Code) != "3" || q.ErrorCode != "IC0536" {
		t.Errorf("query reject: %+v", got.QueryReject)
	}
	if got.Delegator != "" && (got.DelegatedInc != "4" || got.DelegatedWhoami != got.Delegator) {
		t.Errorf("delegated: inc %s whoami %s; want 4 and %s", got.DelegatedInc, got.DelegatedWhoami, got.Delegator)
	}
	for _, p := range wantPaths {
		if log.paths[p] == 0 {
			t.Errorf("the client never sent %s", p)
		}
	}

	// A node that signs queries with a key its subnet does not certify:
	// the agent refuses the reply.
	_, wrongKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := httpapi.New(httpapi.Config{Backend: n.subnet, NodeKey: wrongKey})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rogue)
	defer ts.Close()
	raw = runDrive(t, proj, "drive.mjs", ts.URL, n.canister.String(), "query-only")
	var bad struct {
		Greet *string
		Error *struct{ Name, Code, Message string }
	}
	if err := json.Unmarshal(raw, &bad); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	t.Logf("rogue node: %s", raw)
	if bad.Greet != nil || bad.Error == nil {
		t.Fatalf("the agent accepted a query reply signed by an unknown node key: %s", raw)
	}

	// The right node, with one bit of its query signatures flipped on the
	// way out: the agent refuses the reply.
	flip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		n.server.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if strings.HasSuffix(r.URL.Path, "/query") && rec.Code == 200 {
			q, err := httpapi.ParseQueryResponse(body)
			if err == nil {
				q.Signatures[0].Signature[7] ^= 1
				body, _ = q.Marshal()
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	defer flip.Close()
	raw = runDrive(t, proj, "drive.mjs", flip.URL, n.canister.String(), "query-only")
	bad.Greet, bad.Error = nil, nil
	if err := json.Unmarshal(raw, &bad); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	t.Logf("flipped signature: %s", raw)
	if bad.Greet != nil || bad.Error == nil || bad.Error.Code != "QuerySignatureVerificationFailedErrorCode" {
		t.Fatalf("the agent accepted a query reply with a broken node signature: %s", raw)
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

// TestJSClientsPolling: the node answers every synchronous call 202 before
// the subnet executes it, and the Node clients poll read_state until the
// certified reply is there.
func TestJSClientsPolling(t *testing.T) {
	for _, c := range []struct{ dir, what string }{
		{"testdata/agentjs", "@dfinity/agent"},
		{"testdata/icpsdk", "@icp-sdk/core"},
	} {
		t.Run(c.what, func(t *testing.T) {
			proj := nodejstest.Install(t, c.dir, c.what)
			n := newTestNode(t, httpapi.Config{SyncCallTimeout: time.Millisecond})
			n.subnet.SetManual(true)
			log := &pathLog{paths: map[string]int{}}
			ts := httptest.NewServer(log.wrap(n.server))
			defer ts.Close()
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(200 * time.Millisecond):
						n.subnet.Step()
					}
				}
			}()
			raw := runDrive(t, proj, "drive.mjs", ts.URL, n.canister.String(), "counter")
			var got struct{ Inc1, Inc2, Read string }
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("%v: %s", err, raw)
			}
			t.Logf("%s; requests: %v", raw, log.paths)
			if got.Inc1 != "1" || got.Inc2 != "2" || got.Read != "2" {
				t.Fatalf("output %s", raw)
			}
			polls := 0
			for k, v := range log.paths {
				if strings.HasSuffix(k, "/read_state") {
					polls += v
				}
			}
			if polls < 2 {
				t.Fatalf("the client did not poll: %v", log.paths)
			}
		})
	}
}
