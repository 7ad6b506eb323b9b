package canisters

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/execution"
)

// TestTablePersisted: a canister that grows and sets its table in one
// message and traps in another has, after a restart from the persisted
// state, the same table (calls through it give the same functions) and
// the same state hash.
func TestTablePersisted(t *testing.T) {
	h := newHarness(t)
	can := h.create(watFile(t, "testdata/table.wat"))
	ids := h.block(h.call(can, "set", nil), h.call(can, "grow", nil))
	h.replied(ids[0])
	h.replied(ids[1])
	ids = h.block(h.call(can, "grow_trap", nil), h.call(can, "set_trap", nil))
	h.rejected(ids[0], execution.RejectCanisterError)
	h.rejected(ids[1], execution.RejectCanisterError)
	view := func(c *Component) []byte {
		r := c.Query(can, execution.Message{Method: "call", Caller: alice})
		if !r.Replied {
			t.Fatalf("call: %+v", r)
		}
		return r.Reply
	}
	want := []byte{2, 2, 3, 0, 0, 0, 0, 0}
	if got := view(h.c); !bytes.Equal(got, want) {
		t.Fatalf("table %v, want %v", got, want)
	}
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if got := view(c2); !bytes.Equal(got, want) {
		t.Fatalf("after a restart the table is %v, want %v", got, want)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("the restarted component has another state hash")
	}
	// Both continue alike.
	h2 := &harness{t: t, c: c2, st: &memStore{kv: cloneKV(h.st.kv)}, height: h.height, nonce: h.nonce, beacon: h.beacon}
	m1, m2 := h.call(can, "grow_null", nil), h.call(can, "grow_trap", nil)
	h.block(m1, m2)
	h2.block(m1, m2)
	if c2.StateHash() != h.c.StateHash() || !bytes.Equal(view(h.c), view(c2)) {
		t.Fatal("the restarted component diverged")
	}
}
