package ckbtc

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/chainkey/chainkey/candid"
)

func loadDid(t *testing.T) *candid.Description {
	t.Helper()
	src, err := os.ReadFile("testdata/ckbtc_minter.did")
	if err != nil {
		t.Fatal(err)
	}
	d, err := candid.ParseDescription(string(src))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// callDid encodes args (Candid text) with the did's argument types, calls
// the method and decodes the reply with the did's result types.
func callDid(t *testing.T, d *candid.Description, m *Minter, method, args string, now uint64) []candid.Value {
	t.Helper()
	ft, err := d.Method(method)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := candid.ParseArgs(args, ft.Args)
	if err != nil {
		t.Fatalf("%s: parse %s: %v", method, args, err)
	}
	arg, err := candid.Marshal(ft.Args, vals)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := m.Call(method, arg, alice, now)
	if err != nil {
		t.Fatalf("%s%s: %v", method, args, err)
	}
	out, err := candid.Unmarshal(reply, ft.Results)
	if err != nil {
		t.Fatalf("%s: reply does not match the did: %v", method, err)
	}
	return out
}

// Every method answers with the types ckbtc_minter.did declares, through
// the states that make each variant appear.
func TestCallMatchesDid(t *testing.T) {
	d := loadDid(t)
	for _, meth := range Methods() {
		ft, err := d.Method(meth.Name)
		if err != nil {
			t.Fatalf("%s not in the did: %v", meth.Name, err)
		}
		if q := slices.Contains(ft.Modes, candid.ModeQuery); q != meth.Query {
			t.Errorf("%s: query %v, did says %v", meth.Name, meth.Query, q)
		}
	}
	e := newEnv(t, nil)
	m := e.m
	addr := callDid(t, d, m, "get_btc_address", "(record { owner = null; subaccount = null })", startTime)[0].(string)
	callDid(t, d, m, "update_balance", "(record { owner = null; subaccount = null })", startTime) // NoNewUtxos
	e.b.add(addr, Utxo{Txid: txidOf(1), Value: 90_000, Height: 10})
	e.b.add(addr, Utxo{Txid: txidOf(2), Value: 50, Height: 10})
	e.b.add(addr, Utxo{Txid: txidOf(3), Value: 5_000, Height: 99})
	callDid(t, d, m, "update_balance", "(record { owner = null; subaccount = null })", startTime) // Minted, ValueTooSmall
	callDid(t, d, m, "update_balance", "(record { owner = null; subaccount = null })", startTime) // NoNewUtxos with pending and suspended
	if got := callDid(t, d, m, "get_known_utxos", "(record { owner = null; subaccount = null })", startTime)[0]; len(got.([]candid.Value)) != 2 {
		t.Fatalf("known utxos %v", got)
	}
	callDid(t, d, m, "get_withdrawal_account", "()", startTime)
	callDid(t, d, m, "get_deposit_fee", "()", startTime)
	callDid(t, d, m, "get_minter_info", "()", startTime)
	callDid(t, d, m, "estimate_withdrawal_fee", "(record { amount = opt 50000 : opt nat64 })", startTime)
	callDid(t, d, m, "estimate_withdrawal_fee", "(record { amount = null })", startTime)
	callDid(t, d, m, "retrieve_btc", `(record { address = "x"; amount = 20000 : nat64 })`, startTime)
	e.fundWithdrawal(Account{Owner: alice}, 30_000)
	callDid(t, d, m, "retrieve_btc", `(record { address = "`+dest+`"; amount = 20000 : nat64 })`, startTime)
	callDid(t, d, m, "retrieve_btc_with_approval", `(record { address = "`+dest+`"; amount = 20000 : nat64; from_subaccount = null })`, startTime)
	callDid(t, d, m, "retrieve_btc_status", "(record { block_index = 1 : nat64 })", startTime)
	callDid(t, d, m, "retrieve_btc_status_v2", "(record { block_index = 1 : nat64 })", startTime)
	callDid(t, d, m, "retrieve_btc_status_v2_by_account", "(null)", startTime)
	m.Tick(startTime + DefaultMaxTimeInQueue)
	sends := e.signAll(t)
	callDid(t, d, m, "retrieve_btc_status_v2", "(record { block_index = 1 : nat64 })", startTime) // Sending
	_ = m.DeliverSendResult(sends[0].Txid, nil, startTime)
	callDid(t, d, m, "retrieve_btc_status_v2", "(record { block_index = 1 : nat64 })", startTime) // Submitted
	callDid(t, d, m, "retrieve_btc_status_v2_by_account", `(opt record { owner = principal "`+alice.String()+`"; subaccount = null })`, startTime)
	evs := callDid(t, d, m, "get_events", "(record { start = 0 : nat64; length = 100 : nat64 })", startTime)[0].([]candid.Value)
	if len(evs) != len(m.st.Events) {
		t.Fatalf("%d events, state has %d", len(evs), len(m.st.Events))
	}

	// Rejects: unknown method, bad argument, anonymous owner.
	var r *Reject
	if _, err := m.Call("nope", nil, alice, startTime); !errors.As(err, &r) || r.Code != RejectDestinationInvalid {
		t.Fatalf("unknown method: %v", err)
	}
	if _, err := m.Call("get_btc_address", []byte("DIDL"), alice, startTime); !errors.As(err, &r) || r.Code != RejectCanisterError {
		t.Fatalf("bad argument: %v", err)
	}
	bad, _ := candid.Encode(AccountArg{Subaccount: &[]byte{1}})
	if _, err := m.Call("get_btc_address", bad, alice, startTime); !errors.As(err, &r) {
		t.Fatalf("short subaccount: %v", err)
	}
	arg, _ := candid.Encode(AccountArg{})
	if _, err := m.Call("get_btc_address", arg, anonymous(), startTime); !errors.As(err, &r) {
		t.Fatalf("anonymous: %v", err)
	}
	// Queries leave the state alone.
	h := m.Hash()
	for _, meth := range Methods() {
		if meth.Query && meth.Name != "retrieve_btc_status_v2_by_account" {
			m.Call(meth.Name, arg, alice, startTime)
		}
	}
	if m.Hash() != h {
		t.Fatal("a query changed the state")
	}
}

// Any message to any method answers or rejects without panicking, and a
// query never changes the state.
func FuzzCall(f *testing.F) {
	arg, _ := candid.Encode(AccountArg{})
	f.Add(uint8(0), arg)
	r, _ := candid.Encode(RetrieveBtcArgs{Address: dest, Amount: 20_000})
	f.Add(uint8(6), r)
	f.Add(uint8(13), []byte("DIDL\x00\x00"))
	methods := Methods()
	f.Fuzz(func(t *testing.T, mi uint8, arg []byte) {
		e := newEnv(t, nil)
		e.deposit(t, Account{Owner: alice}, 1, 60_000)
		e.fundWithdrawal(Account{Owner: alice}, 60_000)
		meth := methods[int(mi)%len(methods)]
		h := e.m.Hash()
		_, _ = e.m.Call(meth.Name, arg, alice, startTime)
		if meth.Query && e.m.Hash() != h {
			t.Fatalf("query %s changed the state", meth.Name)
		}
		e.m.Tick(startTime + DefaultMaxTimeInQueue)
		if err := e.m.Restore(e.m.Marshal()); err != nil {
			t.Fatalf("after %s: %v", meth.Name, err)
		}
	})
}
