package canisters

import (
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

func balance(h *harness, id principal.Principal) uint64 {
	h.t.Helper()
	can, ok := h.c.Canister(id)
	if !ok {
		h.t.Fatalf("no canister %s", id)
	}
	return can.State().Cycles
}

// TestCycles runs a subnet with the IC's fees for 4 nodes: creation takes
// its fee from the cycles given, messages pay for ingress and execution,
// time costs storage, a canister out of cycles rejects messages
// (SYS_TRANSIENT), and one that cannot pay for its storage is
// uninstalled. Two components given the same blocks agree.
func TestCycles(t *testing.T) {
	fees := execution.ApplicationSubnetFees(4)
	hs := []*harness{newHarness(t), newHarness(t)}
	for _, h := range hs {
		h.c.cfg.Exec.Fees = fees
	}
	h := hs[0]
	block := func(msgs ...*Message) [][32]byte {
		hs[1].height, hs[1].nonce = hs[0].height, hs[0].nonce
		ids := hs[0].block(msgs...)
		hs[1].block(msgs...)
		if hs[0].c.StateHash() != hs[1].c.StateHash() {
			t.Fatal("the components differ")
		}
		return ids
	}
	create := func(cycles uint64) ([32]byte, principal.Principal) {
		ids := block(h.msg(Message{Kind: KindCreate, Sender: ctrl.Bytes(), Cycles: cycles}))
		r := h.record(ids[0])
		if r.Status != StatusReplied {
			return ids[0], principal.Principal{}
		}
		var res createResult
		if err := candid.Decode(r.Reply, &res); err != nil {
			t.Fatal(err)
		}
		return ids[0], res.CanisterID
	}
	fee := 500_000_000_000 * 4 / 13
	if got := h.c.creationFee(); got != uint64(fee) {
		t.Fatalf("creation fee %d, want %d", got, fee)
	}
	id, _ := create(uint64(fee) - 1)
	if msg := h.rejected(id, execution.RejectSysTransient); !strings.Contains(msg, "costs") {
		t.Fatalf("creation with too few cycles: %q", msg)
	}
	const rich = 10_000_000_000_000
	_, counter := create(uint64(fee) + rich)
	if got := balance(h, counter); got != rich {
		t.Fatalf("balance after creation %d, want %d", got, rich)
	}
	ids := block(h.msg(Message{Kind: KindInstall, Sender: ctrl.Bytes(), Canister: counter.Bytes(), Wasm: counterWasm(t)}))
	h.replied(ids[0])
	before := balance(h, counter)
	if before >= rich {
		t.Fatal("install was free")
	}
	ids = block(h.call(counter, "inc", nil))
	h.replied(ids[0])
	after := balance(h, counter)
	// At least the ingress fee and the execution's base fee, scaled to
	// 4 nodes.
	if least := (fees.IngressMessage + fees.UpdateMessageExecution) * 4 / 13; before-after < least {
		t.Fatalf("an update cost %d cycles, want at least %d", before-after, least)
	}
	// Ten seconds of block time cost storage, charged once per 10 s.
	before = balance(h, counter)
	for range 10 {
		block()
	}
	if after := balance(h, counter); after >= before {
		t.Fatal("no storage charge after 10 s")
	}

	// A canister with little more than its install costs runs out.
	_, poor := create(uint64(fee) + 20_000_000)
	ids = block(h.msg(Message{Kind: KindInstall, Sender: ctrl.Bytes(), Canister: poor.Bytes(), Wasm: counterWasm(t)}))
	h.replied(ids[0])
	out := false
	for range 20 {
		ids = block(h.call(poor, "inc", nil))
		if r := h.record(ids[0]); r.Status == StatusRejected {
			if r.RejectCode != execution.RejectSysTransient || !strings.Contains(r.RejectMessage, "out of cycles") {
				t.Fatalf("reject of a poor canister: %d %q", r.RejectCode, r.RejectMessage)
			}
			out = true
			break
		}
	}
	if !out {
		t.Fatalf("a canister with %d cycles never ran out", balance(h, poor))
	}
	// A year later it cannot pay for its storage and loses its module;
	// the rich canister pays and keeps it.
	hs[0].height += 365 * 24 * 3600
	block()
	if can, _ := h.c.Canister(poor); can.Prepared() != nil || balance(h, poor) != 0 {
		t.Fatalf("canister unable to pay for its storage kept its module (balance %d)", balance(h, poor))
	}
	if can, _ := h.c.Canister(counter); can.Prepared() == nil {
		t.Fatal("the rich canister lost its module")
	}
	for _, l := range h.c.Leaves() {
		if string(l.Path[0]) == "canister" && string(l.Path[1]) == string(poor.Bytes()) && string(l.Path[2]) == "module_hash" {
			t.Fatal("module hash leaf of the uninstalled canister")
		}
	}
	// The state reloads to the same hash.
	c2, err := New(h.c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("reloaded state has another hash")
	}
}
