package canisters

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// TestSubnetKeysAtRoundTime: on a subnet whose keys come later (a DKG
// subnet), ic0.subnet_self and ic0.root_key give nothing until a round
// passes them, and from that round on give them, to canisters loaded
// before and created after, and to a node that restarts and loads the
// state, which stays the same as the others'.
func TestSubnetKeysAtRoundTime(t *testing.T) {
	cfg := testConfig()
	cfg.Exec.Subnet, cfg.Exec.RootKey = principal.Principal{}, nil
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := &harness{t: t, c: c, st: &memStore{kv: map[string][]byte{}}}
	can := h.create(watFile(t, "testdata/subnet.wat"))
	remembered := func(h *harness, id principal.Principal) []byte {
		t.Helper()
		r := h.c.Query(id, execution.Message{Method: "remembered", Caller: alice})
		if !r.Replied {
			t.Fatalf("remembered: %+v", r)
		}
		return r.Reply
	}
	h.block(h.call(can, "remember", nil))
	if got := remembered(h, can); !bytes.Equal(got, []byte{0}) {
		t.Fatalf("before the keys: %x", got)
	}
	subnetID := principal.SelfAuthenticating([]byte("root key"))
	root := []byte("root key DER")
	want := append(append([]byte{byte(subnetID.Len())}, subnetID.Bytes()...), root...)
	round := func(h *harness, msgs ...*Message) {
		t.Helper()
		h.height++
		if len(msgs) > 0 {
			tx, err := EncodeBatch(msgs)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.c.Apply(tx, h.st); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.c.Round(RoundInput{Height: h.height, TimeNS: h.now(), Subnet: subnetID, RootKey: root}, h.st); err != nil {
			t.Fatal(err)
		}
	}
	round(h, h.call(can, "remember", nil))
	if got := remembered(h, can); !bytes.Equal(got, want) {
		t.Fatalf("after the keys: %x, want %x", got, want)
	}
	// A restarted node, configured without the keys, loads the state and
	// gets them from the next round.
	c2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	h2 := &harness{t: t, c: c2, st: &memStore{kv: map[string][]byte{}}, height: h.height, nonce: h.nonce}
	for k, v := range h.st.kv {
		h2.st.kv[k] = v
	}
	m := h.call(can, "remember", nil)
	h2.height = h.height
	round(h, m)
	round(h2, m)
	if !bytes.Equal(remembered(h2, can), want) || h.c.StateHash() != c2.StateHash() {
		t.Fatal("the restarted node differs")
	}
}
