package canisters

import (
	"bytes"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// signArg is a sign_with_ecdsa argument with the test key.
func signArg(t *testing.T) []byte {
	t.Helper()
	arg, err := candid.Encode(signWithECDSAArgs{MessageHash: make([]byte, 32),
		KeyID: ecdsaKeyID{Name: "dfx_test_key", Curve: ecdsaCurve{Secp256k1: &candid.Null{}}}})
	if err != nil {
		t.Fatal(err)
	}
	return arg
}

// outstanding makes proxy call sign_with_ecdsa, a call that stays open
// until the test delivers the signature; it returns the ingress message
// id and the signing request id.
func outstanding(h *harness, proxy principal.Principal) ([32]byte, []byte) {
	h.t.Helper()
	ids := h.block(h.call(proxy, "forward", forwardArg(principal.Management(), "sign_with_ecdsa", signArg(h.t.(*testing.T)))))
	reqs := h.c.TakeSignRequests()
	if len(reqs) != 1 {
		h.t.Fatalf("%d signing requests", len(reqs))
	}
	if r := h.record(ids[0]); r.Status != StatusProcessing {
		h.t.Fatalf("the signing call is %s", r.Status)
	}
	return ids[0], reqs[0].ID
}

func (h *harness) status(can principal.Principal) string {
	h.t.Helper()
	r := h.c.QueryManagement(ctrl, "canister_status", mustEncode(h.t.(*testing.T), canisterIDArgs{CanisterID: can}))
	if !r.Replied {
		h.t.Fatalf("canister_status: %d %s", r.RejectCode, r.RejectMessage)
	}
	var s canisterStatusResult
	if err := candid.Decode(r.Reply, &s); err != nil {
		h.t.Fatal(err)
	}
	switch {
	case s.Status.Running != nil:
		return "running"
	case s.Status.Stopping != nil:
		return "stopping"
	case s.Status.Stopped != nil:
		return "stopped"
	}
	return "?"
}

func (h *harness) pending(id [32]byte) {
	h.t.Helper()
	if r := h.record(id); r.Status != StatusProcessing {
		h.t.Fatalf("message %x is %s, want processing", id[:4], r.Status)
	}
}

// TestStopping: stop_canister on a canister with an outstanding call
// makes it stopping; it takes no new calls, its outstanding response
// still runs its callback, and the stop call is answered when the last
// call context closes. The pending state survives a restart.
func TestStopping(t *testing.T) {
	h := newHarness(t)
	counter := h.create(counterWasm(t))
	proxy := h.create(proxyWasm(t))
	callID, req := outstanding(h, proxy)

	// Both forms of the stop call wait.
	ids := h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: proxy}),
		h.call(proxy, "forward", forwardArg(counter, "inc", nil)),
		h.msg(Message{Kind: KindStop, Sender: ctrl.Bytes(), Canister: proxy.Bytes()}))
	stop1, stop2 := ids[0], ids[2]
	h.pending(stop1)
	h.pending(stop2)
	msg := h.rejected(ids[1], execution.RejectCanisterError)
	if want := "Canister " + proxy.String() + " is stopping"; msg != want {
		t.Fatalf("call to a stopping canister: %q, want %q", msg, want)
	}
	if got := h.status(proxy); got != "stopping" {
		t.Fatalf("canister_status says %s", got)
	}
	if h.query(counter, "get") != 0 {
		t.Fatal("a call to a stopping canister ran")
	}
	// Deleting a stopping canister is refused.
	ids = h.block(h.mgmt(ctrl, "delete_canister", canisterIDArgs{CanisterID: proxy}))
	h.rejected(ids[0], execution.RejectCanisterError)
	h.block()
	h.pending(stop1)

	// A restarted node continues from the persisted state alike.
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("the loaded state has another hash")
	}
	h2 := &harness{t: t, c: c2, st: &memStore{kv: cloneKV(h.st.kv)}, height: h.height, nonce: h.nonce, beacon: h.beacon}
	if got := h2.status(proxy); got != "stopping" {
		t.Fatalf("after a restart canister_status says %s", got)
	}

	for _, x := range []*harness{h, h2} {
		if !x.c.DeliverSignature(req, []byte("signature")) {
			t.Fatal("the signing request is unknown")
		}
		x.block()
		// The callback ran on the stopping canister and answered the
		// original call; the context closed, the stop calls are answered.
		if got := x.replied(callID); len(got) == 0 {
			t.Fatal("empty signature reply")
		}
		x.replied(stop1)
		x.replied(stop2)
		if got := x.status(proxy); got != "stopped" {
			t.Fatalf("canister_status says %s after the last context closed", got)
		}
		if len(x.c.g.Stops) != 0 {
			t.Fatalf("%d stop calls left", len(x.c.g.Stops))
		}
	}
	if h.c.StateHash() != c2.StateHash() {
		t.Fatal("the restarted node diverged")
	}
	// A stopped canister: stop answers at once, calls get "is stopped",
	// start makes it run.
	ids = h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: proxy}),
		h.call(proxy, "forward", forwardArg(counter, "inc", nil)),
		h.mgmt(ctrl, "start_canister", canisterIDArgs{CanisterID: proxy}),
		h.call(proxy, "forward", forwardArg(counter, "inc", nil)))
	h.replied(ids[0])
	if msg := h.rejected(ids[1], execution.RejectCanisterError); !strings.HasSuffix(msg, " is stopped") {
		t.Fatalf("call to a stopped canister: %q", msg)
	}
	h.replied(ids[2])
	if got := h.replied(ids[3]); !bytes.Equal(got, le64(1)) {
		t.Fatalf("call after start: %x", got)
	}
}

// TestStartWhileStopping: start_canister on a stopping canister makes it
// running and rejects the pending stop calls with the IC's reject; the
// outstanding call still completes.
func TestStartWhileStopping(t *testing.T) {
	h := newHarness(t)
	counter := h.create(counterWasm(t))
	proxy := h.create(proxyWasm(t))
	callID, req := outstanding(h, proxy)
	ids := h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: proxy}))
	stop := ids[0]
	h.pending(stop)
	// Only a controller may start it.
	ids = h.block(h.mgmt(alice, "start_canister", canisterIDArgs{CanisterID: proxy}))
	h.rejected(ids[0], execution.RejectCanisterError)
	h.pending(stop)
	ids = h.block(h.mgmt(ctrl, "start_canister", canisterIDArgs{CanisterID: proxy}),
		h.call(proxy, "forward", forwardArg(counter, "inc", nil)))
	h.replied(ids[0])
	if msg := h.rejected(stop, execution.RejectCanisterReject); msg != msgRestarted {
		t.Fatalf("pending stop rejected with %q", msg)
	}
	if got := h.replied(ids[1]); !bytes.Equal(got, le64(1)) {
		t.Fatalf("call after start: %x", got)
	}
	if got := h.status(proxy); got != "running" {
		t.Fatalf("canister_status says %s", got)
	}
	h.c.DeliverSignature(req, []byte("signature"))
	h.block()
	h.replied(callID)
	if got := h.status(proxy); got != "running" {
		t.Fatalf("canister_status says %s after the call closed", got)
	}
}

// TestStopTimeout: a stop call whose canister does not stop within
// StopTimeout is rejected; the canister stays stopping.
func TestStopTimeout(t *testing.T) {
	h := newHarness(t)
	proxy := h.create(proxyWasm(t))
	outstanding(h, proxy)
	ids := h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: proxy}))
	h.height += StopTimeout/1_000_000_000 - 2
	h.block()
	h.pending(ids[0])
	h.block()
	if msg := h.rejected(ids[0], execution.RejectSysTransient); msg != msgStopTimeout {
		t.Fatalf("timed out stop: %q", msg)
	}
	if got := h.status(proxy); got != "stopping" {
		t.Fatalf("canister_status says %s", got)
	}
}

// TestCanisterStopsCanister: a canister that controls another stops it
// through the management canister; the reply comes when the target has
// stopped, not before. A canister that is no controller is rejected.
func TestCanisterStopsCanister(t *testing.T) {
	h := newHarness(t)
	proxy := h.create(proxyWasm(t))
	boss := h.create(proxyWasm(t))
	_, req := outstanding(h, proxy)
	stopArg := mustEncode(t, canisterIDArgs{CanisterID: proxy})
	ids := h.block(h.call(boss, "forward", forwardArg(principal.Management(), "stop_canister", stopArg)))
	if got := h.replied(ids[0]); got[0] != 0xee || got[1] != execution.RejectCanisterError {
		t.Fatalf("stop by a canister that is no controller: %x", got)
	}
	h.c.setControllers(h.c.cans[string(proxy.Bytes())], []principal.Principal{ctrl, boss})
	ids = h.block(h.call(boss, "forward", forwardArg(principal.Management(), "stop_canister", stopArg)))
	h.pending(ids[0])
	if got := h.status(proxy); got != "stopping" {
		t.Fatalf("canister_status says %s", got)
	}
	h.block()
	h.pending(ids[0])
	h.c.DeliverSignature(req, []byte("signature"))
	h.block()
	h.block()
	if got := h.replied(ids[0]); !bytes.Equal(got, emptyCandid) {
		t.Fatalf("stop reply forwarded: %x", got)
	}
	if got := h.status(proxy); got != "stopped" {
		t.Fatalf("canister_status says %s", got)
	}
}

// TestStoppingDeterministic: two nodes that execute the same blocks with
// stop and start calls have the same state, key by key.
func TestStoppingDeterministic(t *testing.T) {
	run := func() *harness {
		h := newHarness(t)
		counter := h.create(counterWasm(t))
		proxy := h.create(proxyWasm(t))
		_, req := outstanding(h, proxy)
		h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: proxy}),
			h.call(proxy, "forward", forwardArg(counter, "inc", nil)))
		h.block(h.mgmt(ctrl, "start_canister", canisterIDArgs{CanisterID: proxy}))
		h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: proxy}))
		h.c.DeliverSignature(req, []byte("signature"))
		h.block()
		return h
	}
	a, b := run(), run()
	if a.c.StateHash() != b.c.StateHash() || len(a.st.kv) != len(b.st.kv) {
		t.Fatal("two runs differ")
	}
	for k, v := range a.st.kv {
		if !bytes.Equal(b.st.kv[k], v) {
			t.Fatalf("key %q differs", k)
		}
	}
}

func cloneKV(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = bytes.Clone(v)
	}
	return out
}

// TestQueryNotRunning: queries, as calls, run only on a running canister.
func TestQueryNotRunning(t *testing.T) {
	h := newHarness(t)
	counter := h.create(counterWasm(t))
	h.replied(h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: counter}))[0])
	r := h.c.Query(counter, execution.Message{Method: "get", Caller: alice})
	if want := "Canister " + counter.String() + " is stopped"; r.Replied || r.RejectCode != execution.RejectCanisterError || r.RejectMessage != want {
		t.Fatalf("query of a stopped canister: %+v", r)
	}
	can, _ := h.c.Canister(counter)
	can.SetStatus(execution.Stopping)
	if r := h.c.Query(counter, execution.Message{Method: "get", Caller: alice}); !strings.HasSuffix(r.RejectMessage, " is stopping") {
		t.Fatalf("query of a stopping canister: %+v", r)
	}
	can.SetStatus(execution.Stopped)
	h.replied(h.block(h.mgmt(ctrl, "start_canister", canisterIDArgs{CanisterID: counter}))[0])
	if h.query(counter, "get") != 0 {
		t.Fatal("query after start")
	}
}

// TestMotokoStopping: a Motoko actor awaiting sign_with_ecdsa is stopped:
// stopping while the call is out (new calls and queries rejected), its
// await resumes when the signature comes, and only then is it stopped
// and the stop call replied.
func TestMotokoStopping(t *testing.T) {
	wasm := motoko(t)
	h := newHarness(t)
	h.c.cfg.Exec.UpdateLimit = 200_000_000
	can := h.createArg(wasm["Signer"], emptyCandid)
	call := h.block(h.call(can, "sign", emptyCandid))[0]
	reqs := h.c.TakeSignRequests()
	if len(reqs) != 1 {
		t.Fatalf("%d signing requests", len(reqs))
	}
	h.pending(call)
	ids := h.block(h.mgmt(ctrl, "stop_canister", canisterIDArgs{CanisterID: can}), h.call(can, "sign", emptyCandid))
	stop := ids[0]
	h.pending(stop)
	if msg := h.rejected(ids[1], execution.RejectCanisterError); !strings.HasSuffix(msg, " is stopping") {
		t.Fatalf("call to a stopping canister: %q", msg)
	}
	if r := h.c.Query(can, execution.Message{Method: "get", Arg: emptyCandid, Caller: alice}); r.Replied {
		t.Fatal("a stopping canister answered a query")
	}
	if got := h.status(can); got != "stopping" {
		t.Fatalf("canister_status says %s", got)
	}
	h.block()
	h.pending(stop)
	h.c.DeliverSignature(reqs[0].ID, []byte("signature"))
	h.block()
	if got := h.replied(call); !bytes.Equal(got, candidNat(9)) {
		t.Fatalf("sign replied %x", got)
	}
	h.replied(stop)
	if got := h.status(can); got != "stopped" {
		t.Fatalf("canister_status says %s", got)
	}
	h.replied(h.block(h.mgmt(ctrl, "start_canister", canisterIDArgs{CanisterID: can}))[0])
	if r := h.c.Query(can, execution.Message{Method: "get", Arg: emptyCandid, Caller: alice}); !r.Replied || !bytes.Equal(r.Reply, candidNat(1)) {
		t.Fatalf("get after start: %+v", r)
	}
}
