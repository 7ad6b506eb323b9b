package ckbtc

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/candid"
)

const dest = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"

// withdrawalAccountFunds mints ckBTC to the caller's withdrawal account.
func (e *env) fundWithdrawal(caller Account, amount uint64) {
	sub := WithdrawalSubaccount(caller.Owner)
	e.l.balances[Account{Owner: minterID, Subaccount: &sub}.key()] += amount
}

func TestRetrieveBtcErrors(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Policy = Blocklist{Addresses: []string{"bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202"}}
	})
	var re *RetrieveBtcError
	check := func(name string, err error, ok func() bool) {
		t.Helper()
		if !errors.As(err, &re) || !ok() {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 9_999}, startTime)
	check("too low", err, func() bool { return re.AmountTooLow != nil && *re.AmountTooLow == 10_000 })
	_, err = e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Amount: 20_000}, startTime)
	check("wrong network", err, func() bool { return re.MalformedAddress != nil })
	_, err = e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: "nonsense", Amount: 20_000}, startTime)
	check("malformed", err, func() bool { return re.MalformedAddress != nil })
	_, err = e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 20_000}, startTime)
	check("no funds", err, func() bool { return re.InsufficientFunds != nil && re.InsufficientFunds.Balance == 0 })
	e.fundWithdrawal(Account{Owner: alice}, 50_000)
	_, err = e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqdku202", Amount: 20_000}, startTime)
	check("blocked", err, func() bool { return re.GenericError != nil && re.GenericError.ErrorCode == ErrorCodeTaintedAddress })
	e.l.failBurn = &TemporarilyUnavailableError{Reason: "upgrading"}
	_, err = e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 20_000}, startTime)
	check("ledger down", err, func() bool { return re.TemporarilyUnavailable != nil })
	e.l.failBurn = nil
	if _, err := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: e.m.MainAddress(), Amount: 20_000}, startTime); err == nil || errors.As(err, &re) {
		t.Errorf("main address as target: %v", err)
	}
	// Approval: the allowance is checked by the ledger.
	_, err = e.m.RetrieveBtcWithApproval(bob, RetrieveBtcWithApprovalArgs{Address: dest, Amount: 20_000}, startTime)
	check("no allowance", err, func() bool { return re.InsufficientAllowance != nil })
	short := []byte{1, 2}
	_, err = e.m.RetrieveBtcWithApproval(bob, RetrieveBtcWithApprovalArgs{Address: dest, Amount: 20_000, FromSubaccount: &short}, startTime)
	check("bad subaccount", err, func() bool { return re.GenericError != nil })
	ro := newEnv(t, func(c *Config) { c.Mode = Mode{Kind: ReadOnly} })
	_, err = ro.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 20_000}, startTime)
	check("read-only", err, func() bool { return re.TemporarilyUnavailable != nil })
	if len(e.m.st.Pending) != 0 || len(e.l.burns) != 0 {
		t.Fatal("a failed request changed state")
	}
	// Too many incomplete withdrawals.
	e.m.st.Pending = make([]withdrawal, MaxConcurrentPendingRequests)
	_, err = e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 20_000}, startTime)
	check("overloaded", err, func() bool { return re.TemporarilyUnavailable != nil })
}

func TestRetrieveBtcQueues(t *testing.T) {
	e := newEnv(t, nil)
	e.fundWithdrawal(Account{Owner: alice}, 50_000)
	block, err := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 20_000}, startTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.l.burns) != 1 || e.l.burns[0].amount != 20_000 || !bytes.Equal(e.l.burns[0].memo, BurnConvertMemo(dest)) {
		t.Fatalf("burns %+v", e.l.burns)
	}
	if s := e.m.RetrieveBtcStatusV2(block); s.Pending == nil {
		t.Fatalf("status %+v", s)
	}
	if s := e.m.RetrieveBtcStatusV2(block + 100); s.Unknown == nil {
		t.Fatalf("unknown status %+v", s)
	}
	// With approval, from a subaccount.
	sub := [32]byte{31: 5}
	e.l.balances[Account{Owner: bob, Subaccount: &sub}.key()] = 30_000
	e.l.allowances[Account{Owner: bob, Subaccount: &sub}.key()] = 30_000
	sb := sub[:]
	b2, err := e.m.RetrieveBtcWithApproval(bob, RetrieveBtcWithApprovalArgs{Address: dest, Amount: 25_000, FromSubaccount: &sb}, startTime)
	if err != nil {
		t.Fatal(err)
	}
	byAcc := e.m.RetrieveBtcStatusV2ByAccount(bob, &Account{Owner: bob, Subaccount: &sub})
	if len(byAcc) != 1 || byAcc[0].BlockIndex != b2 || byAcc[0].StatusV2.Pending == nil {
		t.Fatalf("by account %+v", byAcc)
	}
	if got := e.m.RetrieveBtcStatusV2ByAccount(alice, nil); len(got) != 1 || got[0].BlockIndex != block {
		t.Fatalf("alice's %+v", got)
	}
}

// verifyTx runs every input of tx through btcd's script engine.
func verifyTx(t *testing.T, raw []byte, prev map[wire.OutPoint]*wire.TxOut) *wire.MsgTx {
	t.Helper()
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(prev)
	hashes := txscript.NewTxSigHashes(&tx, fetcher)
	for i, in := range tx.TxIn {
		po := prev[in.PreviousOutPoint]
		if po == nil {
			t.Fatalf("input %d spends an unknown output", i)
		}
		vm, err := txscript.NewEngine(po.PkScript, &tx, i, txscript.StandardVerifyFlags, nil, hashes, po.Value, fetcher)
		if err != nil {
			t.Fatal(err)
		}
		if err := vm.Execute(); err != nil {
			t.Fatalf("input %d does not verify: %v", i, err)
		}
	}
	return &tx
}

// prevOuts returns the outputs the minter's available UTXOs spend.
func (e *env) prevOuts(t *testing.T) map[wire.OutPoint]*wire.TxOut {
	t.Helper()
	m := map[wire.OutPoint]*wire.TxOut{}
	for _, o := range e.m.st.Available {
		addr, _ := DepositAddress(e.m.cfg.Network, e.m.cfg.PublicKey, o.account())
		script, _, err := ParseAddress(e.m.cfg.Network, addr)
		if err != nil {
			t.Fatal(err)
		}
		m[wire.OutPoint{Hash: chainhash.Hash(o.Utxo.Txid), Index: o.Utxo.Vout}] = wire.NewTxOut(int64(o.Utxo.Value), script)
	}
	return m
}

func TestWithdrawalLifecycle(t *testing.T) {
	e := newEnv(t, nil)
	e.deposit(t, Account{Owner: alice}, 1, 30_000)
	e.deposit(t, Account{Owner: bob}, 2, 40_000)
	prev := e.prevOuts(t)
	e.fundWithdrawal(Account{Owner: alice}, 60_000)
	b1, err := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 35_000}, startTime)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", Amount: 20_000}, startTime+sec)
	if err != nil {
		t.Fatal(err)
	}
	// Not due yet: no batch.
	e.m.Tick(startTime + 2*sec)
	if reqs := e.m.TakeRequests(); len(reqs) != 0 {
		t.Fatalf("early batch: %d requests", len(reqs))
	}
	now := startTime + DefaultMaxTimeInQueue
	e.m.Tick(now)
	if s := e.m.RetrieveBtcStatusV2(b1); s.Signing == nil {
		t.Fatalf("status %+v", s)
	}
	reqs := e.m.TakeRequests()
	if len(reqs) != 2 {
		t.Fatalf("%d sign requests, want one per input", len(reqs))
	}
	for _, r := range reqs {
		if r.Sign == nil || r.Sign.KeyName != "dfx_test_key" || len(r.Sign.DerivationPath) != 3 || r.Sign.DerivationPath[0][0] != 1 {
			t.Fatalf("request %+v", r)
		}
	}
	// A wrong signature is refused.
	bad := e.key.sign(t, reqs[0].Sign)
	bad[5] ^= 1
	if err := e.m.DeliverSignature(reqs[0].Sign.ID, bad, nil); err == nil {
		t.Fatal("bad signature accepted")
	}
	for _, r := range reqs {
		if err := e.m.DeliverSignature(r.Sign.ID, e.key.sign(t, r.Sign), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.m.DeliverSignature(reqs[0].Sign.ID, e.key.sign(t, reqs[0].Sign), nil); err == nil {
		t.Fatal("second answer accepted")
	}
	sends := e.m.TakeRequests()
	if len(sends) != 1 || sends[0].Send == nil {
		t.Fatalf("sends %+v", sends)
	}
	s := sends[0].Send
	if st := e.m.RetrieveBtcStatusV2(b2); st.Sending == nil || !bytes.Equal(st.Sending.Txid, s.Txid[:]) {
		t.Fatalf("status %+v", st)
	}
	tx := verifyTx(t, s.Transaction, prev)
	if tx.TxHash() != chainhash.Hash(s.Txid) {
		t.Fatal("txid mismatch")
	}
	// Outputs: the two requests (smaller amount first) less their fee
	// shares, then the change at the main address.
	mainScript, _, _ := ParseAddress(e.m.cfg.Network, e.m.MainAddress())
	if len(tx.TxOut) != 3 || !bytes.Equal(tx.TxOut[2].PkScript, mainScript) {
		t.Fatalf("outputs %+v", tx.TxOut)
	}
	rec := e.m.st.Txs[0]
	var in, out int64
	for _, o := range tx.TxOut {
		out += o.Value
	}
	in = 70_000
	if uint64(in-out) != rec.Fee {
		t.Fatalf("fee %d, recorded %d", in-out, rec.Fee)
	}
	if got := uint64(tx.TxOut[0].Value + tx.TxOut[1].Value); got != 55_000-rec.Fee-rec.MinterFee {
		t.Fatalf("recipients get %d", got)
	}
	if tx.TxOut[2].Value != int64(70_000-55_000+rec.MinterFee) {
		t.Fatalf("change %d", tx.TxOut[2].Value)
	}
	for _, ti := range tx.TxIn {
		if ti.Sequence != SequenceRBF {
			t.Fatal("input does not signal RBF")
		}
	}
	if tx.Version != 2 || tx.LockTime != 0 {
		t.Fatal("version or lock time")
	}
	// The fee is the median rate times the vsize with real signatures, up
	// to the fake signature's slack.
	if real := (tx.SerializeSizeStripped()*3 + tx.SerializeSize() + 3) / 4; uint64(real)*DefaultRegtestFeeRate/1000 > rec.Fee {
		t.Fatalf("fee %d below %d", rec.Fee, real*5)
	}
	if err := e.m.DeliverSendResult(s.Txid, nil, now); err != nil {
		t.Fatal(err)
	}
	if st := e.m.RetrieveBtcStatusV2(b1); st.Submitted == nil {
		t.Fatalf("status %+v", st)
	}
	// Mined, not yet deep enough.
	change := Utxo{Txid: s.Txid, Vout: 2, Value: uint64(tx.TxOut[2].Value), Height: 101}
	e.b.add(e.m.MainAddress(), change)
	e.b.tip = 103
	e.m.Tick(now + sec)
	if st := e.m.RetrieveBtcStatusV2(b1); st.Submitted == nil {
		t.Fatalf("confirmed early: %+v", st)
	}
	e.b.tip = 106
	e.m.Tick(now + 2*sec)
	for _, b := range []uint64{b1, b2} {
		if st := e.m.RetrieveBtcStatusV2(b); st.Confirmed == nil || !bytes.Equal(st.Confirmed.Txid, s.Txid[:]) {
			t.Fatalf("status of %d: %+v", b, st)
		}
	}
	if len(e.m.st.Txs) != 0 || len(e.m.st.Available) != 1 || e.m.st.Available[0].Utxo != change {
		t.Fatalf("after confirmation: txs %d, available %+v", len(e.m.st.Txs), e.m.st.Available)
	}
	var kinds []string
	for _, ev := range e.m.GetEvents(0, 100) {
		switch {
		case ev.Payload.SentTransaction != nil:
			kinds = append(kinds, "sent")
		case ev.Payload.ConfirmedTransaction != nil:
			kinds = append(kinds, "confirmed")
		}
	}
	if len(kinds) != 2 || kinds[0] != "sent" || kinds[1] != "confirmed" {
		t.Fatalf("events %v", kinds)
	}
	// The change pays the next withdrawal.
	e.fundWithdrawal(Account{Owner: alice}, 15_000)
	b3, err := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 5_000 + 10_000}, now+3*sec)
	if err == nil {
		// 15_000 < change: the next batch spends the change.
		e.m.Tick(now + 3*sec + DefaultMaxTimeInQueue)
		sends := e.signAll(t)
		if len(sends) != 1 {
			t.Fatalf("second batch: %d sends", len(sends))
		}
		pm := map[wire.OutPoint]*wire.TxOut{{Hash: chainhash.Hash(change.Txid), Index: 2}: wire.NewTxOut(int64(change.Value), mainScript)}
		verifyTx(t, sends[0].Transaction, pm)
		_ = b3
	} else {
		t.Fatal(err)
	}
}

func TestBatchWaitsForFundsAndForms(t *testing.T) {
	e := newEnv(t, nil)
	e.deposit(t, Account{Owner: bob}, 1, 100_000)
	e.fundWithdrawal(Account{Owner: alice}, 10_000_000)
	// 20 requests form a batch at once; the ones the UTXOs cannot cover wait.
	var blocks []uint64
	for i := 0; i < MinPendingRequests; i++ {
		b, err := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 10_000 + uint64(i)}, startTime)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, b)
	}
	e.m.Tick(startTime)
	if n := len(e.m.TakeRequests()); n != 1 {
		t.Fatalf("%d sign requests", n)
	}
	in := 0
	for _, b := range blocks {
		if s := e.m.RetrieveBtcStatusV2(b); s.Signing != nil {
			in++
		} else if s.Pending == nil {
			t.Fatalf("status %+v", s)
		}
	}
	if in != 9 { // 10_000+…+10_008 ≤ 100_000 < + 10_009
		t.Fatalf("%d requests in the batch", in)
	}
}

func TestBatchAmountTooLowAndDust(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RetrieveMinAmount = 600 })
	e.deposit(t, Account{Owner: bob}, 1, 1_000_000)
	e.fundWithdrawal(Account{Owner: alice}, 1_000_000)
	b1, _ := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 700}, startTime)
	e.m.Tick(startTime + DefaultMaxTimeInQueue)
	if s := e.m.RetrieveBtcStatusV2(b1); s.AmountTooLow == nil {
		t.Fatalf("status %+v", s)
	}
	if len(e.m.st.Available) != 1 || len(e.m.TakeRequests()) != 0 {
		t.Fatal("UTXOs not given back")
	}
	// A batch where one output ends as dust: that request is dropped, the
	// others go back to the queue and form the next batch.
	t1 := startTime + 2*DefaultMaxTimeInQueue
	b2, _ := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 50_000}, t1)
	b3, _ := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 950}, t1)
	e.m.Tick(t1 + DefaultMaxTimeInQueue)
	if s := e.m.RetrieveBtcStatusV2(b3); s.AmountTooLow == nil {
		t.Fatalf("dust request: %+v", s)
	}
	if s := e.m.RetrieveBtcStatusV2(b2); s.Pending == nil {
		t.Fatalf("other request: %+v", s)
	}
	e.m.Tick(t1 + DefaultMaxTimeInQueue + sec)
	if s := e.m.RetrieveBtcStatusV2(b2); s.Signing == nil {
		t.Fatalf("other request after: %+v", s)
	}
}

func TestSignAndSendFailuresRequeue(t *testing.T) {
	e := newEnv(t, nil)
	e.deposit(t, Account{Owner: bob}, 1, 100_000)
	e.fundWithdrawal(Account{Owner: alice}, 100_000)
	b1, _ := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 20_000}, startTime)
	now := startTime + DefaultMaxTimeInQueue
	e.m.Tick(now)
	reqs := e.m.TakeRequests()
	if err := e.m.DeliverSignature(reqs[0].Sign.ID, nil, errors.New("signing failed")); err != nil {
		t.Fatal(err)
	}
	if s := e.m.RetrieveBtcStatusV2(b1); s.Pending == nil || len(e.m.st.Available) != 1 {
		t.Fatalf("after sign failure: %+v", s)
	}
	e.m.Tick(now + sec)
	sends := e.signAll(t)
	if err := e.m.DeliverSendResult(sends[0].Txid, errors.New("malformed"), now+sec); err != nil {
		t.Fatal(err)
	}
	if s := e.m.RetrieveBtcStatusV2(b1); s.Pending == nil || len(e.m.st.Available) != 1 {
		t.Fatalf("after send failure: %+v", s)
	}
	if err := e.m.DeliverSendResult(sends[0].Txid, nil, now); err == nil {
		t.Fatal("answer for an abandoned send accepted")
	}
}

func TestResubmitReplacesStuckTransaction(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ResubmitAfter = 3600 * sec })
	e.deposit(t, Account{Owner: bob}, 1, 100_000)
	prev := e.prevOuts(t)
	e.fundWithdrawal(Account{Owner: alice}, 100_000)
	b1, _ := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 20_000}, startTime)
	now := startTime + DefaultMaxTimeInQueue
	e.m.Tick(now)
	first := e.signAll(t)[0]
	_ = e.m.DeliverSendResult(first.Txid, nil, now)
	oldFee := e.m.st.Txs[0].Fee
	e.m.Tick(now + 3599*sec)
	if len(e.m.TakeRequests()) != 0 {
		t.Fatal("replaced too early")
	}
	later := now + 3600*sec
	e.m.Tick(later)
	sends := e.signAll(t)
	if len(sends) != 1 || sends[0].Txid == first.Txid {
		t.Fatalf("replacement sends %+v", sends)
	}
	repl := verifyTx(t, sends[0].Transaction, prev)
	orig := verifyTx(t, first.Transaction, prev)
	if repl.TxIn[0].PreviousOutPoint != orig.TxIn[0].PreviousOutPoint {
		t.Fatal("replacement spends other inputs")
	}
	newRec := e.m.st.Txs[1]
	if newRec.FeeRate != DefaultRegtestFeeRate+MinRelayFeeRateIncrease || newRec.Fee <= oldFee {
		t.Fatalf("fee rate %d, fee %d (old %d)", newRec.FeeRate, newRec.Fee, oldFee)
	}
	// While the replacement is being sent, the request shows the old txid.
	if s := e.m.RetrieveBtcStatusV2(b1); s.Submitted == nil || !bytes.Equal(s.Submitted.Txid, first.Txid[:]) {
		t.Fatalf("status %+v", s)
	}
	_ = e.m.DeliverSendResult(sends[0].Txid, nil, later)
	if s := e.m.RetrieveBtcStatusV2(b1); s.Submitted == nil || !bytes.Equal(s.Submitted.Txid, sends[0].Txid[:]) {
		t.Fatalf("status %+v", s)
	}
	// The original confirms after all: the request is final with its txid
	// and the replacement is forgotten.
	e.b.add(e.m.MainAddress(), Utxo{Txid: first.Txid, Vout: 1, Value: uint64(orig.TxOut[1].Value), Height: 95})
	e.m.Tick(later + sec)
	if s := e.m.RetrieveBtcStatusV2(b1); s.Confirmed == nil || !bytes.Equal(s.Confirmed.Txid, first.Txid[:]) {
		t.Fatalf("status %+v", s)
	}
	if len(e.m.st.Txs) != 0 {
		t.Fatal("replacement kept")
	}
	replaced := false
	for _, ev := range e.m.st.Events {
		replaced = replaced || ev.Payload.ReplacedTransaction != nil
	}
	if !replaced {
		t.Fatal("no replaced_transaction event")
	}
}

func TestEstimateWithdrawalFeeAndInfo(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.DepositMinAmount = 1000 })
	f, err := e.m.EstimateWithdrawalFee(nil)
	if err != nil {
		t.Fatal(err)
	}
	// One P2WPKH input, two P2WPKH outputs: 141 vbytes at 5 sat/vB.
	if f.MinterFee != 300 || f.BitcoinFee != 141*5 {
		t.Fatalf("fee %+v", f)
	}
	info := e.m.GetMinterInfo()
	if info.MinConfirmations != 6 || info.KytFee != 100 || info.RetrieveBtcMinAmount != 10_000 || *info.DepositBtcMinAmount != 1000 {
		t.Fatalf("info %+v", info)
	}
	if e.m.GetDepositFee() != 100 {
		t.Fatal("deposit fee")
	}
	wa := e.m.GetWithdrawalAccount(alice)
	if wa.Owner != minterID || *wa.Subaccount != WithdrawalSubaccount(alice) {
		t.Fatal("withdrawal account")
	}
	// Mainnet: median with a floor, and a fee-based minimum amount.
	mn := newEnv(t, func(c *Config) { c.Network = 1 })
	if _, err := mn.m.EstimateWithdrawalFee(nil); err == nil {
		t.Fatal("estimate without percentiles")
	}
	p := make([]uint64, 101)
	for i := range p {
		p[i] = uint64(i) * 100
	}
	mn.b.percentiles = p
	mn.m.Tick(startTime)
	if r, _ := MedianFeeRate(1, p); r != 5000 {
		t.Fatalf("median %d", r)
	}
	if got := mn.m.GetMinterInfo().RetrieveBtcMinAmount; got != 10_000 {
		t.Fatalf("fee-based minimum %d", got)
	}
	p[50] = 100
	if r, _ := MedianFeeRate(1, p); r != 1500 {
		t.Fatalf("floored median %d", r)
	}
}

func TestTooManyInputsReimburses(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxInputs = 2 })
	for i := 0; i < 3; i++ {
		e.deposit(t, Account{Owner: bob, Subaccount: &[32]byte{31: byte(i)}}, byte(i+1), 20_000)
	}
	sub := [32]byte{31: 9}
	from := Account{Owner: alice, Subaccount: &sub}
	e.l.balances[from.key()] = 50_000
	e.l.allowances[from.key()] = 50_000
	sb := sub[:]
	block, err := e.m.RetrieveBtcWithApproval(alice, RetrieveBtcWithApprovalArgs{Address: dest, Amount: 50_000, FromSubaccount: &sb}, startTime)
	if err != nil {
		t.Fatal(err)
	}
	e.l.failMint = errors.New("ledger busy")
	e.m.Tick(startTime + DefaultMaxTimeInQueue)
	if len(e.m.TakeRequests()) != 0 {
		t.Fatal("a transaction with too many inputs was built")
	}
	s := e.m.RetrieveBtcStatusV2(block)
	if s.WillReimburse == nil || s.WillReimburse.Amount != 50_000-ReimbursementFeePerRequest {
		t.Fatalf("status %+v", s)
	}
	e.l.failMint = nil
	e.m.Tick(startTime + DefaultMaxTimeInQueue + sec)
	s = e.m.RetrieveBtcStatusV2(block)
	if s.Reimbursed == nil || s.Reimbursed.Amount != 49_990 || *s.Reimbursed.Account.Subaccount == nil {
		t.Fatalf("status %+v", s)
	}
	if bal, _ := e.l.Balance(from); bal != 49_990 {
		t.Fatalf("balance after reimbursement %d", bal)
	}
	last := e.l.mints[len(e.l.mints)-1]
	if !bytes.Equal(last.memo, MintReimburseWithdrawalMemo(block)) || s.Reimbursed.MintBlockIndex != last.block {
		t.Fatal("reimbursement mint")
	}
	if len(e.m.st.Available) != 3 {
		t.Fatal("UTXOs not given back")
	}
	// The reply matches the did.
	d := loadDid(t)
	v := callDid(t, d, e.m, "retrieve_btc_status_v2", "(record { block_index = "+strconv.FormatUint(block, 10)+" : nat64 })", startTime)[0]
	if v.(candid.Variant).ID != candid.Hash("Reimbursed") {
		t.Fatalf("did reply %v", v)
	}
	callDid(t, d, e.m, "get_events", "(record { start = 0 : nat64; length = 100 : nat64 })", startTime)
}

func TestConsolidation(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.ConsolidationThreshold = 5; c.MaxInputs = 4 })
	for i := 0; i < 6; i++ {
		e.deposit(t, Account{Owner: bob, Subaccount: &[32]byte{31: byte(i)}}, byte(i+1), 10_000+uint64(i)*1_000)
	}
	prev := e.prevOuts(t)
	fc := FeeCollectorSubaccount()
	feeAcc := Account{Owner: minterID, Subaccount: &fc}
	e.m.Tick(startTime)
	if n := len(e.m.TakeRequests()); n != 0 {
		t.Fatalf("consolidated without fees in the collector: %d requests", n)
	}
	e.l.balances[feeAcc.key()] = 100_000
	e.m.Tick(startTime)
	sends := e.signAll(t)
	if len(sends) != 1 {
		t.Fatalf("%d sends", len(sends))
	}
	tx := verifyTx(t, sends[0].Transaction, prev)
	mainScript, _, _ := ParseAddress(e.m.cfg.Network, e.m.MainAddress())
	if len(tx.TxIn) != 4 || len(tx.TxOut) != 2 || !bytes.Equal(tx.TxOut[0].PkScript, mainScript) || !bytes.Equal(tx.TxOut[1].PkScript, mainScript) {
		t.Fatalf("consolidation %d inputs, outputs %+v", len(tx.TxIn), tx.TxOut)
	}
	// The four smallest UTXOs, and the Bitcoin fee burned from the collector.
	var out int64
	for _, o := range tx.TxOut {
		out += o.Value
	}
	fee := uint64(10_000 + 11_000 + 12_000 + 13_000 - out)
	if bal, _ := e.l.Balance(feeAcc); bal != 100_000-fee {
		t.Fatalf("collector %d after a fee of %d", bal, fee)
	}
	if !bytes.Equal(e.l.burns[0].memo, BurnConsolidateMemo(46_000, 4)) {
		t.Fatal("burn memo")
	}
	_ = e.m.DeliverSendResult(sends[0].Txid, nil, startTime)
	// No second consolidation while one is in flight or within a day.
	e.m.Tick(startTime + sec)
	if len(e.m.TakeRequests()) != 0 {
		t.Fatal("second consolidation")
	}
	e.b.add(e.m.MainAddress(), Utxo{Txid: sends[0].Txid, Vout: 1, Value: uint64(tx.TxOut[1].Value), Height: 95})
	e.m.Tick(startTime + 2*sec)
	if len(e.m.st.Txs) != 0 || len(e.m.st.Available) != 4 {
		t.Fatalf("after confirmation: %d txs, %d available", len(e.m.st.Txs), len(e.m.st.Available))
	}
	var got uint64
	for _, o := range e.m.st.Available {
		got += o.Utxo.Value
	}
	if got != 14_000+15_000+uint64(out) {
		t.Fatalf("available value %d", got)
	}
	callDid(t, loadDid(t), e.m, "get_events", "(record { start = 0 : nat64; length = 100 : nat64 })", startTime)
}
