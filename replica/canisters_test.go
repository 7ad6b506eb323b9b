package replica

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// TestNodeCanisterMessages runs canister messages through CometBFT: each
// message enters one node's mempool, reaches the proposer by gossip and
// is answered on every node.
func TestNodeCanisterMessages(t *testing.T) {
	ts := newTestSubnet(t, 4, fake)
	ts.waitCertified(2, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nonce := uint64(0)
	send := func(i int, m canisters.Message) *canisters.Record {
		t.Helper()
		nonce++
		m.Nonce = binary.BigEndian.AppendUint64(nil, nonce)
		m.Expiry = uint64(time.Now().Add(2 * time.Minute).UnixNano())
		key := simAliceKey
		if m.Kind != canisters.KindCall {
			key = simCtrlKey
		}
		if err := m.Sign(key); err != nil {
			t.Fatal(err)
		}
		r, err := ts.nodes[i].CanisterMessage(ctx, &m)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := send(0, canisters.Message{Kind: canisters.KindCreate})
	var res struct {
		ID principal.Principal `candid:"canister_id"`
	}
	if r.Status != canisters.StatusReplied || candid.Decode(r.Reply, &res) != nil {
		t.Fatalf("create: %+v", r)
	}
	if r := send(1, canisters.Message{Kind: canisters.KindInstall, Canister: res.ID.Bytes(), Wasm: canisterWasm(t, "counter.wat")}); r.Status != canisters.StatusReplied {
		t.Fatalf("install: %+v", r)
	}
	for i := range 4 {
		r := send(i, canisters.Message{Kind: canisters.KindCall, Canister: res.ID.Bytes(), Method: "inc"})
		if r.Status != canisters.StatusReplied || binary.LittleEndian.Uint64(r.Reply) != uint64(i+1) {
			t.Fatalf("inc through node %d: %+v", i, r)
		}
	}
	if r := send(2, canisters.Message{Kind: canisters.KindCall, Canister: res.ID.Bytes(), Method: "boom"}); r.Status != canisters.StatusRejected || r.RejectCode != 5 {
		t.Fatalf("boom: %+v", r)
	}
	// Every node has the answer; a query reads the state.
	for i, nd := range ts.nodes {
		if err := nd.WaitHeight(ctx, nd.Height()+1); err != nil {
			t.Fatal(err)
		}
		q := nd.CanisterQuery(res.ID, simAlice, "get", nil)
		if !q.Replied || binary.LittleEndian.Uint64(q.Reply) != 4 {
			t.Fatalf("node %d: get: %+v", i, q)
		}
	}
}
