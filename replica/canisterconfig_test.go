package replica

import (
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// TestSimCanisterCycles runs a 4-node subnet whose genesis sets the fee
// scale to 1 (the IC's fees): a canister created without cycles is
// refused, one created with cycles pays for its install and messages,
// and every node has the same balance.
func TestSimCanisterCycles(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{cyclesFeeScale: 1}, nil)
	fees := execution.ApplicationSubnetFees(4)
	if got := s.nodes[0].app.canisterFees(); got != fees {
		t.Fatalf("fees %+v", got)
	}
	c := &canClient{s: s}
	r := c.run(0, c.msg(canisters.Message{Kind: canisters.KindCreate, Sender: simCtrl.Bytes()}))
	if r[0].Status != canisters.StatusRejected || r[0].RejectCode != execution.RejectSysTransient {
		t.Fatalf("create without cycles: %+v", r[0])
	}
	const given = 1_000_000_000_000
	creation := fees.CanisterCreation * 4 / 13
	r = c.run(0, c.msg(canisters.Message{Kind: canisters.KindCreate, Sender: simCtrl.Bytes(), Cycles: creation + given}))
	var res struct {
		ID principal.Principal `candid:"canister_id"`
	}
	if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &res) != nil {
		t.Fatalf("create: %+v", r[0])
	}
	r = c.run(1, c.msg(canisters.Message{Kind: canisters.KindInstall, Sender: simCtrl.Bytes(), Canister: res.ID.Bytes(),
		Wasm: canisterWasm(t, "counter.wat")}))
	if r[0].Status != canisters.StatusReplied {
		t.Fatalf("install: %+v", r[0])
	}
	if r := c.run(2, c.call(res.ID, "inc", nil)); r[0].Status != canisters.StatusReplied {
		t.Fatalf("inc: %+v", r[0])
	}
	s.steps(2)
	s.sameCanisters()
	var bal []uint64
	for _, nd := range s.live() {
		nd.app.cans.mu.Lock()
		can, _ := nd.app.cans.c.Canister(res.ID)
		bal = append(bal, can.State().Cycles)
		nd.app.cans.mu.Unlock()
	}
	if bal[0] >= given || bal[0] == 0 {
		t.Fatalf("balance %d after install and a message (given %d)", bal[0], given)
	}
	for _, b := range bal {
		if b != bal[0] {
			t.Fatalf("balances differ: %v", bal)
		}
	}
}

// TestSimCanisterSubnetKeys: on a subnet whose BLS keys come from its
// genesis DKG, canisters read the subnet id and root key the DKG made
// (ic0.subnet_self, ic0.root_key_*), on every node, also on one restarted
// (from its start, before it runs a round).
func TestSimCanisterSubnetKeys(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	s.run(60, "keys", s.keysReady)
	keys := s.nodes[0].app.keys(s.state(0))
	if len(keys.rootKey) == 0 {
		t.Fatal("no root key")
	}
	want := append(append([]byte{byte(keys.subnetID.Len())}, keys.subnetID.Bytes()...), keys.rootKey...)
	c := &canClient{s: s}
	can := c.create(canisterWasm(t, "subnet.wat"))
	s.crash(3)
	s.restart(3)
	// Restarted, before any round: the canisters were loaded with the
	// committed state's subnet id.
	if q := s.nodes[3].app.canisterQuery(can, simAlice, "subnet", nil); !q.Replied || string(q.Reply) != string(keys.subnetID.Bytes()) {
		t.Fatalf("subnet_self on the restarted node before a round: %+v", q)
	}
	if r := c.run(3, c.call(can, "remember", nil)); r[0].Status != canisters.StatusReplied {
		t.Fatalf("remember: %+v", r[0])
	}
	s.steps(2)
	s.sameCanisters()
	for _, nd := range s.live() {
		q := nd.app.canisterQuery(can, simAlice, "remembered", nil)
		if !q.Replied || string(q.Reply) != string(want) {
			t.Fatalf("node %d: subnet and root key %x, want %x", nd.cfg.Index, q.Reply, want)
		}
	}
}
