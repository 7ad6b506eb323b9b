package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"math/big"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/httpapi/httpapitest"
	"github.com/chainkey/chainkey/internal/nodejstest"
	"github.com/chainkey/chainkey/principal"
)

// counterWAT is a canister in WebAssembly text: a counter whose replies
// are Candid (nat), and a method that rejects.
const counterWAT = `(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_reject" (func $reject (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "DIDL\00\01\7d")
  (data (i32.const 100) "no, thank you")
  (global $n (mut i64) (i64.const 0))
  (func $reply_nat (local $v i64) (local $p i32)
    (local.set $v (global.get $n))
    (local.set $p (i32.const 7))
    (block $done (loop $next
      (if (i64.lt_u (local.get $v) (i64.const 128))
        (then
          (i64.store8 (local.get $p) (local.get $v))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $done)))
      (i64.store8 (local.get $p) (i64.or (i64.and (local.get $v) (i64.const 127)) (i64.const 128)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 7)))
      (br $next)))
    (call $append (i32.const 0) (local.get $p))
    (call $reply))
  (func (export "canister_update inc")
    (global.set $n (i64.add (global.get $n) (i64.const 1)))
    (call $reply_nat))
  (func (export "canister_query read") (call $reply_nat))
  (func (export "canister_update fail") (call $reject (i32.const 100) (i32.const 13))))`

// execCanister runs an execution.Canister behind httpapitest.Canister.
type execCanister struct {
	mu  sync.Mutex
	c   *execution.Canister
	now func() time.Time
}

func (e *execCanister) Call(method string, arg []byte, caller principal.Principal, replicated bool) ([]byte, *httpapi.Reject) {
	e.mu.Lock()
	defer e.mu.Unlock()
	msg := execution.Message{Method: method, Arg: arg, Caller: caller, Time: uint64(e.now().UnixNano())}
	var r *execution.Result
	if replicated {
		r = e.c.Update(msg)
	} else {
		r = e.c.Query(msg)
	}
	switch {
	case r.Trap != nil:
		return nil, &httpapi.Reject{Code: httpapi.RejectCanisterError, Message: "Canister trapped: " + r.Trap.Error(), ErrorCode: "IC0503"}
	case r.RejectCode == httpapi.RejectCanisterReject:
		return nil, &httpapi.Reject{Code: uint64(r.RejectCode), Message: r.RejectMessage, ErrorCode: "IC0406"}
	case r.RejectCode != 0:
		return nil, &httpapi.Reject{Code: uint64(r.RejectCode), Message: r.RejectMessage, ErrorCode: "IC0536"}
	case !r.Replied:
		return nil, &httpapi.Reject{Code: httpapi.RejectCanisterError, Message: "Canister did not reply to the call", ErrorCode: "IC0506"}
	}
	return r.Reply, nil
}

// TestExecutionCanister serves a WebAssembly canister run by the execution
// package and calls it with the Go agent and with @dfinity/agent.
func TestExecutionCanister(t *testing.T) {
	wasm, err := wasmtime.Wat2Wasm(counterWAT)
	if err != nil {
		t.Fatal(err)
	}
	_, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
	sub, err := httpapitest.New(nil, nil, principal.FromCanisterIndex(0), principal.FromCanisterIndex(99), nodeKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	id := principal.FromCanisterIndex(5)
	c, err := execution.New(execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{}), Subnet: sub.SubnetID(), RootKey: sub.RootKey()}, id, nil, 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Install(wasm, execution.Message{}); err != nil {
		t.Fatal(err)
	}
	if err := sub.Install(id, &execCanister{c: c, now: time.Now}); err != nil {
		t.Fatal(err)
	}
	srv, err := httpapi.New(httpapi.Config{Backend: sub, NodeKey: nodeKey})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	ctx := context.Background()
	a, err := agent.New(ctx, agent.Config{Endpoint: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	nat := []*candid.Type{candid.Prim(candid.KindNat)}
	for want := int64(1); want <= 130; want++ { // past 127: a two-byte LEB128
		v, err := a.CallCandid(ctx, id, "inc", nil, nil, nat)
		if err != nil {
			t.Fatal(err)
		}
		if got := v[0].(*big.Int).Int64(); got != want {
			t.Fatalf("inc = %d, want %d", got, want)
		}
	}
	v, err := a.QueryCandid(ctx, id, "read", nil, nil, nat)
	if err != nil || v[0].(*big.Int).Int64() != 130 {
		t.Fatalf("read = %v, %v", v, err)
	}
	var rej *agent.RejectError
	if _, err := a.Call(ctx, id, "fail", nil); !errors.As(err, &rej) || rej.Message != "no, thank you" {
		t.Fatalf("fail: %v", err)
	}
	if _, err := a.Call(ctx, id, "nothing", nil); !errors.As(err, &rej) || rej.Code != 3 {
		t.Fatalf("no such method: %v", err)
	}

	proj := nodejstest.Install(t, "testdata/agentjs", "@dfinity/agent")
	raw := runDrive(t, proj, "drive.mjs", ts.URL, id.String(), "counter")
	var got struct{ Inc1, Inc2, Read string }
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if got.Inc1 != "131" || got.Inc2 != "132" || got.Read != "132" {
		t.Fatalf("@dfinity/agent against the Wasm counter: %s", raw)
	}
}
