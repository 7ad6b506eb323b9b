package canisters

import (
	"encoding/binary"
	"testing"

	"github.com/chainkey/chainkey/execution"
)

// TestSubnetNodes: the round's node count reaches the canisters
// (ic0.subnet_self_node_count), those created later too.
func TestSubnetNodes(t *testing.T) {
	h := newHarness(t)
	a := h.create(watFile(t, "testdata/nodes.wat"))
	n := func(id interface{ Bytes() []byte }) uint32 {
		t.Helper()
		can, _ := h.c.Canister(CanisterID(binary.BigEndian.Uint64(id.Bytes()[:8])))
		r := can.Query(execution.Message{Method: "n", Caller: alice})
		if !r.Replied {
			t.Fatalf("n: %+v", r)
		}
		return binary.LittleEndian.Uint32(r.Reply)
	}
	if got := n(a); got != 1 {
		t.Fatalf("node count before any round gave one: %d", got)
	}
	h.height++
	if err := h.c.Round(RoundInput{Height: h.height, TimeNS: h.now(), SubnetNodes: 4}, h.st); err != nil {
		t.Fatal(err)
	}
	b := h.create(watFile(t, "testdata/nodes.wat"))
	if n(a) != 4 || n(b) != 4 {
		t.Fatalf("node counts %d %d, want 4", n(a), n(b))
	}
}
