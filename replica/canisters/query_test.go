package canisters

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// TestCompositeQuery: a composite query through Component.Query reads
// another canister's query method at the current state, an update method
// or a missing canister is rejected to its callback, and nothing changes.
func TestCompositeQuery(t *testing.T) {
	h := newHarness(t)
	counter := h.create(counterWasm(t))
	cq := h.create(watFile(t, "testdata/cquery.wat"))
	h.block(h.call(counter, "inc", nil), h.call(counter, "inc", nil))
	q := func(arg []byte) *execution.Result {
		return h.c.Query(cq, execution.Message{Method: "forward", Caller: alice, Arg: arg})
	}
	if r := q(forwardArg(counter, "get", nil)); !r.Replied || !bytes.Equal(r.Reply, le64(2)) {
		t.Fatalf("composite query of get: %+v", r)
	}
	// An update method cannot be called from a query.
	if r := q(forwardArg(counter, "inc", nil)); !r.Replied || r.Reply[0] != 0xee {
		t.Fatalf("composite query of an update method: %+v", r)
	}
	if r := q(forwardArg(CanisterID(999), "get", nil)); !r.Replied || r.Reply[0] != 0xee ||
		r.Reply[1] != execution.RejectDestinationInvalid {
		t.Fatalf("composite query of a missing canister: %+v", r)
	}
	// A canister calling itself is a loop, which the IC refuses.
	if r := q(forwardArg(cq, "forward", forwardArg(counter, "get", nil))); r.Replied || r.RejectCode != execution.RejectCanisterError {
		t.Fatalf("composite query calling itself: %+v", r)
	}
	// A composite query calls another composite query.
	cq2 := h.create(watFile(t, "testdata/cquery.wat"))
	states := func() []byte {
		var b []byte
		for _, id := range []principal.Principal{counter, cq, cq2} {
			can, _ := h.c.Canister(id)
			st := can.State()
			b = append(b, st.Encode()...)
		}
		return b
	}
	was := states()
	if r := q(forwardArg(cq2, "forward", forwardArg(counter, "get", nil))); !r.Replied || !bytes.Equal(r.Reply, le64(2)) {
		t.Fatalf("composite query through a second composite query: %+v", r)
	}
	if !bytes.Equal(states(), was) {
		t.Fatal("a composite query changed a canister")
	}
	h.block(h.call(counter, "inc", nil))
	if r := q(forwardArg(cq2, "forward", forwardArg(counter, "get", nil))); !r.Replied || !bytes.Equal(r.Reply, le64(3)) {
		t.Fatalf("composite query after an update: %+v", r)
	}
}
