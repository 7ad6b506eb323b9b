package ckbtc

import (
	"testing"
)

// BenchmarkUpdateBalance100 mints 100 new deposits of one account in one
// update_balance call (derivation of the address, 100 checks and mints,
// events, the available set).
func BenchmarkUpdateBalance100(b *testing.B) {
	e := newEnv(b, nil)
	addr, _ := e.m.GetBtcAddress(alice, nil, nil)
	for i := 0; i < 100; i++ {
		var txid [32]byte
		txid[0], txid[1] = byte(i), 0x55
		e.b.add(addr, Utxo{Txid: txid, Vout: uint32(i), Value: 10_000 + uint64(i), Height: 10})
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		e.m.st = state{}
		e.l.mints = e.l.mints[:0]
		b.StartTimer()
		st, err := e.m.UpdateBalance(alice, nil, nil, startTime)
		if err != nil || len(st) != 100 {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatch10 builds a batch of 10 withdrawals from 10 deposits
// (selection, fee, sighashes), accepts the 10 signatures (verification,
// DER, witnesses) and hands out the signed transaction. The host's signing
// is done once beforehand: the transaction is the same every round.
func BenchmarkBatch10(b *testing.B) {
	e := newEnv(b, nil)
	for i := 0; i < 10; i++ {
		e.deposit(b, Account{Owner: bob, Subaccount: &[32]byte{31: byte(i)}}, byte(i+1), 50_000)
	}
	e.fundWithdrawal(Account{Owner: alice}, 10_000_000)
	for i := 0; i < 10; i++ {
		if _, err := e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 49_000 + uint64(i)}, startTime); err != nil {
			b.Fatal(err)
		}
	}
	saved := e.m.Marshal()
	now := startTime + DefaultMaxTimeInQueue
	e.m.Tick(now)
	sigs := map[[32]byte][]byte{}
	for _, r := range e.m.TakeRequests() {
		sigs[r.Sign.MessageHash] = e.key.sign(b, r.Sign)
	}
	if len(sigs) != 10 {
		b.Fatalf("%d inputs", len(sigs))
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := e.m.Restore(saved); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		e.m.Tick(now)
		for _, r := range e.m.TakeRequests() {
			if err := e.m.DeliverSignature(r.Sign.ID, sigs[r.Sign.MessageHash], nil); err != nil {
				b.Fatal(err)
			}
		}
		if reqs := e.m.TakeRequests(); len(reqs) != 1 || reqs[0].Send == nil {
			b.Fatal("no signed transaction")
		}
	}
}

// BenchmarkMarshal encodes a state with deposits, transactions and events.
func BenchmarkMarshal(b *testing.B) {
	e := newEnv(b, nil)
	for i := 0; i < 100; i++ {
		e.deposit(b, Account{Owner: bob, Subaccount: &[32]byte{31: byte(i)}}, byte(i+1), 50_000)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = e.m.Hash()
	}
}
