package replica

import (
	"bytes"
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ckbtc/client"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
)

func newLedgerComponent(t *testing.T) (*canisters.Component, *ledgerCanister) {
	t.Helper()
	c, err := canisters.New(canisters.Config{Exec: execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{})},
		LastIndex: wasmLastIndex})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	lc := &ledgerCanister{cfg: ledger.CkBTCConfig(SubnetCkBTCIDs().Minter)}
	if err := lc.Unmarshal(nil); err != nil {
		t.Fatal(err)
	}
	if err := c.HostGo(SubnetCkBTCIDs().Ledger, lc); err != nil {
		t.Fatal(err)
	}
	return c, lc
}

// TestCkBTCLedgerPersistence: the ledger hosted as a Go canister writes
// its configuration once and each block once (not the whole state), and a
// component loaded from the committed writes, or restored from a
// snapshot, has the same state hash, balances and certified data.
func TestCkBTCLedgerPersistence(t *testing.T) {
	store := subnet.NewMemStorage()
	c, lc := newLedgerComponent(t)
	if err := c.Load(store); err != nil {
		t.Fatal(err)
	}
	key, _ := ingress.GenerateEd25519()
	payer := ingress.Sender(key)
	const t0 = 1_700_000_000_000_000_000
	ids := SubnetCkBTCIDs()
	nonce := uint64(0)
	for h := uint64(1); h <= 5; h++ {
		now := t0 + h*1e9
		o := subnet.NewOverlay(store)
		if h == 1 {
			// The minter mints (its Go API, as the minter's adapter does).
			if _, err := lc.l.Mint(ledger.Account{Owner: payer}, 1e8, nil, now); err != nil {
				t.Fatal(err)
			}
		}
		var msgs []*canisters.Message
		for i := range 3 {
			nonce++
			arg, _ := candid.Encode(struct {
				FromSubaccount *[]byte        `candid:"from_subaccount"`
				To             client.Account `candid:"to"`
				Amount         *big.Int       `candid:"amount"`
				Fee            **big.Int      `candid:"fee"`
				Memo           *[]byte        `candid:"memo"`
				CreatedAtTime  *uint64        `candid:"created_at_time"`
			}{To: client.Account{Owner: principal.FromCanisterIndex(uint64(i))}, Amount: big.NewInt(1000)})
			m := &canisters.Message{Kind: canisters.KindCall, Sender: payer.Bytes(), Canister: ids.Ledger.Bytes(),
				Method: "icrc1_transfer", Arg: arg, Nonce: binary.BigEndian.AppendUint64(nil, nonce), Expiry: now + 60e9}
			if err := m.Sign(key); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		tx, _ := canisters.EncodeBatch(msgs)
		if err := c.Check(tx); err != nil {
			t.Fatal(err)
		}
		if err := c.Apply(tx, o); err != nil {
			t.Fatal(err)
		}
		if err := c.Round(canisters.RoundInput{Height: h, TimeNS: now}, o); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			id := m.ID()
			if r := c.Status(id[:]); r == nil || r.Status != canisters.StatusReplied {
				t.Fatalf("height %d: transfer %+v", h, r)
			}
		}
		// Only the height's new blocks (and no whole ledger) are written.
		blockKeys, whole := 0, false
		_ = o.Writes(func(k, v []byte) error {
			switch {
			case bytes.Contains(k, []byte("/l/")):
				blockKeys++
			case bytes.HasSuffix(k, ids.Ledger.Bytes()):
				whole = true
			}
			return nil
		}, func([]byte) error { return nil })
		want := 3
		if h == 1 {
			want = 4 // the mint too
		}
		if blockKeys != want || whole {
			t.Fatalf("height %d wrote %d block keys (want %d), whole state %v", h, blockKeys, want, whole)
		}
		store.Apply(o)
	}
	if lc.l.Len() != 16 || lc.l.BalanceOf(ledger.Account{Owner: payer}) != 1e8-15*(1000+10) {
		t.Fatalf("ledger has %d blocks, balance %d", lc.l.Len(), lc.l.BalanceOf(ledger.Account{Owner: payer}))
	}
	check := func(name string, c2 *canisters.Component, l2 *ledgerCanister) {
		t.Helper()
		if c2.StateHash() != c.StateHash() || l2.StateHash() != lc.StateHash() || !bytes.Equal(l2.CertifiedData(), lc.CertifiedData()) ||
			l2.l.BalanceOf(ledger.Account{Owner: payer}) != lc.l.BalanceOf(ledger.Account{Owner: payer}) {
			t.Fatalf("%s: the ledger differs", name)
		}
	}
	c2, l2 := newLedgerComponent(t)
	if err := c2.Load(store); err != nil {
		t.Fatal(err)
	}
	check("reloaded", c2, l2)
	c3, l3 := newLedgerComponent(t)
	if err := c3.Restore(c.Snapshot()); err != nil {
		t.Fatal(err)
	}
	check("restored", c3, l3)
}
