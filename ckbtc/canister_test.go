package ckbtc

import (
	"bytes"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
)

// A deposit and a withdrawal against the Bitcoin canister's real state fed
// with regtest blocks: the minter reads the canister through
// CanisterBitcoin, and its signed transaction passes the canister's
// send_transaction check, is mined and confirms.
func TestAgainstBitcoinCanister(t *testing.T) {
	s, err := canister.New(canister.Config{Network: chain.Regtest})
	if err != nil {
		t.Fatal(err)
	}
	apply := func(blocks ...*wire.MsgBlock) {
		t.Helper()
		raws := make([][]byte, len(blocks))
		for i, b := range blocks {
			raws[i] = regtest.BlockBytes(b)
		}
		if err := s.ApplySuccessors(raws, nil); err != nil {
			t.Fatal(err)
		}
	}
	key := newTestKey()
	l := newFakeLedger(minterID)
	m, err := New(Config{Network: chain.Regtest, MinterID: minterID, KeyName: "key_1", PublicKey: key.pk,
		MinConfirmations: 3, CheckFee: 100, RetrieveMinAmount: 10_000}, l, CanisterBitcoin{s})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{m: m, l: l, key: key}

	miner := regtest.NewKey(1)
	c := regtest.NewChain(time.Unix(1_700_000_000, 0))
	funding := c.Next(miner.Script, 50e8)
	apply(funding)

	addr, _ := m.GetBtcAddress(alice, nil, nil)
	depScript, _, _ := ParseAddress(chain.Regtest, addr)
	pay, err := regtest.SpendP2PKH(miner, []wire.OutPoint{{Hash: funding.Transactions[0].TxHash(), Index: 0}},
		[]regtest.Output{{Script: depScript, Value: 1_000_000}, {Script: miner.Script, Value: 50e8 - 1_000_000 - 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	apply(c.Next(miner.Script, 1, pay))
	st, err := m.UpdateBalance(alice, nil, nil, startTime)
	if err == nil || st != nil {
		t.Fatalf("minted with one confirmation: %+v", st)
	}
	apply(c.Next(miner.Script, 1), c.Next(miner.Script, 1))
	st, err = m.UpdateBalance(alice, nil, nil, startTime)
	if err != nil || len(st) != 1 || st[0].Minted == nil || st[0].Minted.MintedAmount != 999_900 {
		t.Fatalf("%+v, %v", st, err)
	}
	if !bytes.Equal(st[0].Minted.Utxo.Outpoint.Txid, func() []byte { h := pay.TxHash(); return h[:] }()) {
		t.Fatal("minted UTXO is not the deposit")
	}

	// Withdraw 300_000 to the miner's P2PKH address.
	e.fundWithdrawal(Account{Owner: alice}, 300_000)
	block, err := m.RetrieveBtc(alice, RetrieveBtcArgs{Address: miner.Addr.EncodeAddress(), Amount: 300_000}, startTime)
	if err != nil {
		t.Fatal(err)
	}
	now := startTime + DefaultMaxTimeInQueue
	m.Tick(now)
	median, _ := MedianFeeRate(chain.Regtest, s.FeePercentiles())
	sends := e.signAll(t)
	if len(sends) != 1 {
		t.Fatalf("%d sends", len(sends))
	}
	tx, err := canister.CheckTransaction(sends[0].Transaction)
	if err != nil {
		t.Fatal(err)
	}
	verifyTx(t, sends[0].Transaction, map[wire.OutPoint]*wire.TxOut{{Hash: pay.TxHash(), Index: 0}: wire.NewTxOut(1_000_000, depScript)})
	if err := m.DeliverSendResult(sends[0].Txid, nil, now); err != nil {
		t.Fatal(err)
	}
	apply(c.Next(miner.Script, 1, tx))
	m.Tick(now + sec)
	if s := m.RetrieveBtcStatusV2(block); s.Submitted == nil {
		t.Fatalf("status %+v", s)
	}
	apply(c.Next(miner.Script, 1), c.Next(miner.Script, 1))
	m.Tick(now + 2*sec)
	if s := m.RetrieveBtcStatusV2(block); s.Confirmed == nil {
		t.Fatalf("status %+v", s)
	}
	// The miner got the amount less the fees (at the canister's median
	// rate); the change, with the minter's fee, is the minter's.
	change := tx.TxOut[1].Value
	fee := 1_000_000 - tx.TxOut[0].Value - change
	if change != 700_000+300 || tx.TxOut[0].Value != 300_000-fee-300 {
		t.Fatalf("outputs %d, %d", tx.TxOut[0].Value, change)
	}
	if median == DefaultRegtestFeeRate || uint64(fee) != vsize(tx)*median/1000 {
		t.Fatalf("fee %d at median %d", fee, median)
	}
	mainBal, _ := s.GetBalance(m.MainAddress(), 3)
	if mainBal != uint64(tx.TxOut[1].Value) || len(m.st.Available) != 1 {
		t.Fatalf("main address holds %d, available %+v", mainBal, m.st.Available)
	}
}
