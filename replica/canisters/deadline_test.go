package canisters

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// TestBestEffortDeadline: the callee of a best-effort call reads its
// deadline (the round's time plus the 5 s timeout); a call whose callee
// waits for a signature gets the deadline-expired reject in the first
// round whose time passes the deadline, and the callee's late answer is
// dropped. Two components given the same blocks agree throughout.
func TestBestEffortDeadline(t *testing.T) {
	hs := []*harness{newHarness(t), newHarness(t)}
	var be, be2, proxy principal.Principal
	for _, h := range hs {
		be = h.create(watFile(t, "testdata/besteffort.wat"))
		be2 = h.create(watFile(t, "testdata/besteffort.wat"))
		proxy = h.create(proxyWasm(t))
	}
	same := func(what string) {
		t.Helper()
		if hs[0].c.StateHash() != hs[1].c.StateHash() {
			t.Fatalf("%s: the components differ", what)
		}
	}
	// Both harnesses run the same signed messages.
	block := func(msgs ...*Message) [][32]byte {
		hs[1].nonce = hs[0].nonce
		ids := hs[0].block(msgs...)
		hs[1].block(msgs...)
		same("block")
		return ids
	}
	h := hs[0]
	ids := block(h.call(be, "forward", forwardArg(be2, "deadline", nil)))
	if got := h.replied(ids[0]); !bytes.Equal(got, le64(h.now()+5_000_000_000)) {
		t.Fatalf("callee's msg_deadline %x, want %d", got, h.now()+5_000_000_000)
	}
	key := ecdsaKeyID{Name: "dfx_test_key", Curve: ecdsaCurve{Secp256k1: &candid.Null{}}}
	signArg, err := candid.Encode(signWithECDSAArgs{MessageHash: bytes.Repeat([]byte{7}, 32), KeyID: key})
	if err != nil {
		t.Fatal(err)
	}
	ids = block(h.call(be, "forward", forwardArg(proxy, "forward", forwardArg(principal.Management(), "sign_with_ecdsa", signArg))))
	deadline := h.now() + 5_000_000_000
	var reqs [][]SignRequest
	for _, h := range hs {
		reqs = append(reqs, h.c.TakeSignRequests())
	}
	if len(reqs[0]) != 1 {
		t.Fatalf("sign requests: %+v", reqs[0])
	}
	// The deadline is persisted: a component loaded from the store has
	// the same state.
	c3, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if err := c3.Load(h.st); err != nil || c3.StateHash() != h.c.StateHash() {
		t.Fatalf("reload with a call in flight: %v", err)
	}
	found := false
	for _, o := range c3.g.Calls {
		found = found || o.Deadline == deadline
	}
	if !found {
		t.Fatalf("no call with the deadline after the reload: %+v", c3.g.Calls)
	}
	// Blocks come every second: the round at deadline is still in time,
	// the next one is past it.
	for h.now()+1_000_000_000 <= deadline {
		block()
		if r := h.record(ids[0]); r.Status != StatusProcessing {
			t.Fatalf("answered before the deadline, at %d: %+v", h.now(), r)
		}
	}
	block()
	got := h.replied(ids[0])
	if len(got) < 2 || got[0] != 0xee || got[1] != execution.RejectSysUnknown ||
		string(got[2:]) != execution.DeadlineExpiredMessage {
		t.Fatalf("after the deadline: %x %q", got, got)
	}
	// The signature arrives late: the proxy replies, the answer is
	// dropped, and nothing remains of the call.
	for i, h := range hs {
		if !h.c.DeliverSignature(reqs[i][0].ID, []byte("signature")) {
			t.Fatal("signature not taken")
		}
	}
	block()
	if got2 := h.replied(ids[0]); !bytes.Equal(got2, got) {
		t.Fatalf("the late answer changed the reply: %x", got2)
	}
	if len(h.c.g.Calls) != 0 || len(h.c.g.Contexts) != 0 || len(h.c.g.Queue) != 0 {
		t.Fatalf("left: %d calls, %d contexts, %d queued", len(h.c.g.Calls), len(h.c.g.Contexts), len(h.c.g.Queue))
	}
}
