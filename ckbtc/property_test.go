package ckbtc

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/wire"
)

// A random history of deposits, withdrawals, ticks, signatures (some
// failing), sends (some failing), confirmations and restarts keeps the
// minter's invariants: the BTC it controls covers the ckBTC supply, no UTXO
// is both available and spent, every transaction verifies, and a restored
// copy fed the same history stays byte-identical.
func TestRandomHistory(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		cfg := func(c *Config) { c.ResubmitAfter = 3000 * sec; c.ConsolidationThreshold = 6; c.MaxInputs = 5 }
		e := newEnv(t, cfg)
		twin := newEnv(t, cfg)
		// The fee collector holds (unbacked) ckBTC to pay consolidations.
		fc := FeeCollectorSubaccount()
		for _, l := range []*fakeLedger{e.l, twin.l} {
			l.balances[Account{Owner: minterID, Subaccount: &fc}.key()] = collectorFunds
		}
		twin.b = e.b
		twin.m.btc = e.b
		prev := map[wire.OutPoint]*wire.TxOut{}
		now := startTime
		var sent []*SendRequest
		for step := 0; step < 300; step++ {
			now += uint64(rng.IntN(400)) * sec
			users := []Account{{Owner: alice}, {Owner: bob}}
			u := users[rng.IntN(2)]
			switch op := rng.IntN(6); op {
			case 0: // deposit
				addr, _ := e.m.GetBtcAddress(u.Owner, nil, nil)
				var txid [32]byte
				txid[0], txid[1], txid[2] = byte(seed), byte(step), byte(step>>8)
				e.b.add(addr, Utxo{Txid: txid, Value: 1_000 + rng.Uint64N(200_000), Height: e.b.tip - 10})
				for _, m := range []*Minter{e.m, twin.m} {
					_, _ = m.UpdateBalance(u.Owner, nil, nil, now)
				}
			case 1: // withdraw what the user holds, or part of it
				bal, _ := e.l.Balance(u)
				if bal < 10_000 {
					continue
				}
				amt := 10_000 + rng.Uint64N(bal-10_000+1)
				sub := WithdrawalSubaccount(u.Owner)
				for _, l := range []*fakeLedger{e.l, twin.l} {
					l.balances[u.key()] -= amt
					l.balances[Account{Owner: minterID, Subaccount: &sub}.key()] += amt
				}
				_, err1 := e.m.RetrieveBtc(u.Owner, RetrieveBtcArgs{Address: dest, Amount: amt}, now)
				_, err2 := twin.m.RetrieveBtc(u.Owner, RetrieveBtcArgs{Address: dest, Amount: amt}, now)
				if (err1 == nil) != (err2 == nil) {
					t.Fatalf("replicas disagree: %v / %v", err1, err2)
				}
			case 2, 3: // tick and answer requests
				for _, m := range []*Minter{e.m, twin.m} {
					m.Tick(now)
				}
				reqs := e.m.TakeRequests()
				twinReqs := twin.m.TakeRequests()
				if len(reqs) != len(twinReqs) {
					t.Fatal("replicas hand out different requests")
				}
				for _, r := range reqs {
					switch {
					case r.Sign != nil:
						var sig []byte
						var err error
						if rng.IntN(10) == 0 {
							err = errors.New("signing failed")
						} else {
							sig = e.key.sign(t, r.Sign)
						}
						for _, m := range []*Minter{e.m, twin.m} {
							_ = m.DeliverSignature(r.Sign.ID, sig, err)
						}
					case r.Send != nil:
						sent = append(sent, r.Send)
					}
				}
				for _, r := range append(e.m.TakeRequests(), twin.m.TakeRequests()...) {
					if r.Send != nil {
						sent = append(sent, r.Send)
					}
				}
			case 4: // send results
				if len(sent) == 0 {
					continue
				}
				s := sent[0]
				sent = sent[1:]
				var err error
				if rng.IntN(8) == 0 {
					err = errors.New("refused")
				}
				for _, m := range []*Minter{e.m, twin.m} {
					_ = m.DeliverSendResult(s.Txid, err, now)
				}
				if err == nil {
					for _, o := range e.m.st.Available {
						addr, _ := P2WPKHAddress(e.m.cfg.Network, o.Pubkey)
						sc, _, _ := ParseAddress(e.m.cfg.Network, addr)
						prev[wireOutpoint(o.Utxo.outpoint())] = wire.NewTxOut(int64(o.Utxo.Value), sc)
					}
					for _, tx := range e.m.st.Txs {
						for _, in := range tx.Inputs {
							addr, _ := P2WPKHAddress(e.m.cfg.Network, in.Pubkey)
							sc, _, _ := ParseAddress(e.m.cfg.Network, addr)
							prev[wireOutpoint(in.Utxo.outpoint())] = wire.NewTxOut(int64(in.Utxo.Value), sc)
						}
					}
					verifyTx(t, s.Transaction, prev)
				}
			case 5: // a submitted transaction is mined (sometimes not)
				e.b.tip++
				for _, tx := range e.m.st.Txs {
					if tx.Phase == phaseSubmitted && !tx.Replaced && rng.IntN(3) == 0 {
						v := len(tx.Outputs) - 1
						e.b.add(e.m.MainAddress(), Utxo{Txid: tx.Txid, Vout: uint32(v), Value: tx.Outputs[v].Value, Height: e.b.tip})
						break
					}
				}
				e.b.tip += uint32(rng.IntN(8))
			}
			checkInvariants(t, e)
			if e.m.Hash() != twin.m.Hash() || e.l.total() != twin.l.total() {
				t.Fatalf("seed %d step %d: replicas diverged", seed, step)
			}
			if step%50 == 49 { // restart the twin from a checkpoint
				fresh := newEnv(t, cfg)
				fresh.m.ledger, fresh.m.btc = twin.l, e.b
				if err := fresh.m.Restore(twin.m.Marshal()); err != nil {
					t.Fatal(err)
				}
				twin.m = fresh.m
			}
		}
		var sentN, replaced, confirmed, consolidated int
		for _, ev := range e.m.st.Events {
			switch {
			case ev.Payload.SentTransaction != nil:
				sentN++
			case ev.Payload.ReplacedTransaction != nil:
				replaced++
			case ev.Payload.ConfirmedTransaction != nil:
				confirmed++
			case ev.Payload.CreatedConsolidateUtxosRequest != nil:
				consolidated++
			}
		}
		t.Logf("seed %d: %d sent, %d replaced, %d confirmed, %d consolidations, %d events", seed, sentN, replaced, confirmed, consolidated, len(e.m.st.Events))
		if sentN == 0 || confirmed == 0 {
			t.Fatalf("seed %d: the history sent or confirmed nothing", seed)
		}
	}
}

const collectorFunds = 10_000_000

func checkInvariants(t *testing.T, e *env) {
	t.Helper()
	var held uint64
	seen := map[outpoint]bool{}
	for _, o := range e.m.st.Available {
		held += o.Utxo.Value
		if seen[o.Utxo.outpoint()] {
			t.Fatal("UTXO available twice")
		}
		seen[o.Utxo.outpoint()] = true
	}
	fam := map[uint64]bool{}
	for _, tx := range e.m.st.Txs {
		if fam[tx.Family] {
			continue
		}
		fam[tx.Family] = true
		for _, in := range tx.Inputs {
			if seen[in.Utxo.outpoint()] {
				t.Fatal("UTXO both available and spent")
			}
			seen[in.Utxo.outpoint()] = true
			held += in.Utxo.Value
		}
	}
	// ckBTC outstanding (all accounts) is covered by the BTC the minter
	// controls (the value of unconfirmed transactions counts until their
	// change arrives).
	if supply := e.l.total(); supply > held+collectorFunds {
		t.Fatalf("ckBTC supply %d (with %d unbacked in the fee collector) exceeds BTC held %d", supply, collectorFunds, held)
	}
	if err := checkState(&e.m.st); err != nil {
		t.Fatal(err)
	}
}
