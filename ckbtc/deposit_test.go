package ckbtc

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

func TestGetBtcAddress(t *testing.T) {
	e := newEnv(t, nil)
	own, err := e.m.GetBtcAddress(alice, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(own, "bcrt1q") {
		t.Fatalf("address %q", own)
	}
	// owner defaults to the caller; None and zero subaccount agree.
	var zero [32]byte
	for _, got := range []func() (string, error){
		func() (string, error) { return e.m.GetBtcAddress(bob, &alice, nil) },
		func() (string, error) { return e.m.GetBtcAddress(alice, nil, &zero) },
	} {
		if a, err := got(); err != nil || a != own {
			t.Fatalf("got %q, %v; want %q", a, err, own)
		}
	}
	sub := zero
	sub[31] = 1
	other, _ := e.m.GetBtcAddress(alice, nil, &sub)
	bobs, _ := e.m.GetBtcAddress(bob, nil, nil)
	if other == own || bobs == own || other == bobs {
		t.Fatal("distinct accounts share an address")
	}
	if _, err := e.m.GetBtcAddress(principal.Anonymous(), nil, nil); err == nil {
		t.Fatal("anonymous owner accepted")
	}
	// The address is the P2WPKH of the key derived with [1, owner, sub].
	key, _ := DeriveAccountKey(e.key.pk, Account{Owner: alice})
	if a, _ := P2WPKHAddress(e.m.cfg.Network, key); a != own {
		t.Fatal("address is not the derived key's")
	}
	if e.m.MainAddress() == own {
		t.Fatal("main address equals a user's")
	}
}

func TestUpdateBalanceMints(t *testing.T) {
	e := newEnv(t, nil)
	a := Account{Owner: alice}
	addr, _ := e.m.GetBtcAddress(alice, nil, nil)
	u1 := Utxo{Txid: txidOf(1), Vout: 2, Value: 50_000, Height: 90}
	u2 := Utxo{Txid: txidOf(2), Vout: 0, Value: 7_000, Height: 95}
	e.b.add(addr, u1)
	e.b.add(addr, u2)
	st, err := e.m.UpdateBalance(alice, nil, nil, startTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Minted == nil || st[1].Minted == nil {
		t.Fatalf("statuses %+v", st)
	}
	if st[0].Minted.MintedAmount != 50_000-100 || st[1].Minted.MintedAmount != 7_000-100 {
		t.Fatalf("minted %d, %d", st[0].Minted.MintedAmount, st[1].Minted.MintedAmount)
	}
	if bal, _ := e.l.Balance(a); bal != 56_800 {
		t.Fatalf("balance %d", bal)
	}
	if !bytes.Equal(e.l.mints[0].memo, MintConvertMemo(u1.Txid, 2, 100)) {
		t.Fatal("mint memo is not MintMemo::Convert of the UTXO")
	}
	if known := e.m.GetKnownUtxos(bob, &alice, nil); len(known) != 2 {
		t.Fatalf("known %d", len(known))
	}
	if got := len(e.m.st.Available); got != 2 {
		t.Fatalf("available %d", got)
	}
	// A second call finds nothing new.
	_, err = e.m.UpdateBalance(alice, nil, nil, startTime)
	var ue *UpdateBalanceError
	if !errors.As(err, &ue) || ue.NoNewUtxos == nil || ue.NoNewUtxos.RequiredConfirmations != 6 {
		t.Fatalf("err %v", err)
	}
	if bal, _ := e.l.Balance(a); bal != 56_800 {
		t.Fatal("minted twice")
	}
}

func TestUpdateBalanceNoNewUtxosPending(t *testing.T) {
	e := newEnv(t, nil)
	addr, _ := e.m.GetBtcAddress(alice, nil, nil)
	e.b.add(addr, Utxo{Txid: txidOf(3), Value: 20_000, Height: 98}) // 3 confirmations at tip 100
	_, err := e.m.UpdateBalance(alice, nil, nil, startTime)
	var ue *UpdateBalanceError
	if !errors.As(err, &ue) || ue.NoNewUtxos == nil {
		t.Fatalf("err %v", err)
	}
	p := *ue.NoNewUtxos.PendingUtxos
	if len(p) != 1 || p[0].Confirmations != 3 || p[0].Value != 20_000 {
		t.Fatalf("pending %+v", p)
	}
	e.b.tip = 103
	st, err := e.m.UpdateBalance(alice, nil, nil, startTime)
	if err != nil || len(st) != 1 || st[0].Minted == nil {
		t.Fatalf("after confirmations: %+v, %v", st, err)
	}
}

func TestUpdateBalanceValueTooSmallAndTainted(t *testing.T) {
	bad := txidOf(9)
	e := newEnv(t, func(c *Config) {
		c.DepositMinAmount = 500
		c.Policy = Blocklist{Txids: [][32]byte{bad}}
	})
	addr, _ := e.m.GetBtcAddress(alice, nil, nil)
	e.b.add(addr, Utxo{Txid: txidOf(1), Value: 100, Height: 50})   // ≤ check fee
	e.b.add(addr, Utxo{Txid: txidOf(2), Value: 499, Height: 50})   // < deposit minimum
	e.b.add(addr, Utxo{Txid: bad, Value: 1_000_000, Height: 50})   // blocked
	e.b.add(addr, Utxo{Txid: txidOf(4), Value: 1_000, Height: 50}) // fine
	st, err := e.m.UpdateBalance(alice, nil, nil, startTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 4 || st[0].ValueTooSmall == nil || st[1].ValueTooSmall == nil || st[2].Tainted == nil || st[3].Minted == nil {
		t.Fatalf("statuses %+v", st)
	}
	if e.l.total() != 900 {
		t.Fatalf("minted %d", e.l.total())
	}
	// Suspended UTXOs are reported and not retried before their time.
	_, err = e.m.UpdateBalance(alice, nil, nil, startTime+sec)
	var ue *UpdateBalanceError
	if !errors.As(err, &ue) || ue.NoNewUtxos == nil || len(*ue.NoNewUtxos.SuspendedUtxos) != 3 {
		t.Fatalf("err %v", err)
	}
	s := *ue.NoNewUtxos.SuspendedUtxos
	if s[0].EarliestRetry != startTime+SuspendRetryDelay {
		t.Fatalf("earliest retry %d", s[0].EarliestRetry)
	}
	// After the delay they are looked at again (and suspended again).
	st, err = e.m.UpdateBalance(alice, nil, nil, startTime+SuspendRetryDelay)
	if err != nil || len(st) != 3 {
		t.Fatalf("retry: %+v, %v", st, err)
	}
	if e.l.total() != 900 {
		t.Fatal("suspended deposit minted")
	}
}

func TestUpdateBalanceCheckedThenMinted(t *testing.T) {
	e := newEnv(t, nil)
	addr, _ := e.m.GetBtcAddress(alice, nil, nil)
	e.b.add(addr, Utxo{Txid: txidOf(1), Value: 5_000, Height: 10})
	e.l.failMint = &TemporarilyUnavailableError{Reason: "ledger stopped"}
	st, err := e.m.UpdateBalance(alice, nil, nil, startTime)
	if err != nil || len(st) != 1 || st[0].Checked == nil {
		t.Fatalf("%+v, %v", st, err)
	}
	e.l.failMint = nil
	st, err = e.m.UpdateBalance(alice, nil, nil, startTime)
	if err != nil || len(st) != 1 || st[0].Minted == nil || st[0].Minted.MintedAmount != 4_900 {
		t.Fatalf("retry: %+v, %v", st, err)
	}
	// The UTXO was checked once.
	checked := 0
	for _, ev := range e.m.st.Events {
		if ev.Payload.CheckedUtxoV2 != nil {
			checked++
		}
	}
	if checked != 1 {
		t.Fatalf("%d checked events", checked)
	}
}

func TestUpdateBalanceErrors(t *testing.T) {
	e := newEnv(t, nil)
	e.b.err = errors.New("not synced")
	_, err := e.m.UpdateBalance(alice, nil, nil, startTime)
	var ue *UpdateBalanceError
	if !errors.As(err, &ue) || ue.TemporarilyUnavailable == nil {
		t.Fatalf("err %v", err)
	}
	e.b.err = nil
	if _, err := e.m.UpdateBalance(alice, &minterID, nil, startTime); err == nil || errors.As(err, &ue) {
		t.Fatalf("minter's own balance: %v", err)
	}
	if _, err := e.m.UpdateBalance(principal.Anonymous(), nil, nil, startTime); err == nil {
		t.Fatal("anonymous accepted")
	}
	ro := newEnv(t, func(c *Config) { c.Mode = Mode{Kind: ReadOnly} })
	if _, err := ro.m.UpdateBalance(alice, nil, nil, startTime); !errors.As(err, &ue) || ue.TemporarilyUnavailable == nil {
		t.Fatalf("read-only: %v", err)
	}
	dr := newEnv(t, func(c *Config) { c.Mode = Mode{Kind: DepositsRestrictedTo, Principals: []principal.Principal{bob}} })
	if _, err := dr.m.UpdateBalance(alice, nil, nil, startTime); !errors.As(err, &ue) || ue.TemporarilyUnavailable == nil {
		t.Fatalf("restricted: %v", err)
	}
	if _, err := dr.m.UpdateBalance(bob, nil, nil, startTime); !errors.As(err, &ue) || ue.NoNewUtxos == nil {
		t.Fatalf("allowed principal: %v", err)
	}
}
