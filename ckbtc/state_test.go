package ckbtc

import (
	"bytes"
	"testing"
)

// busyEnv has deposits, suspended UTXOs, queued, signing, submitted and
// final withdrawals, undelivered requests and events.
func busyEnv(t *testing.T) *env {
	e := newEnv(t, nil)
	e.deposit(t, Account{Owner: alice}, 1, 60_000)
	e.deposit(t, Account{Owner: bob}, 2, 70_000)
	addr, _ := e.m.GetBtcAddress(alice, nil, nil)
	e.b.add(addr, Utxo{Txid: txidOf(3), Value: 10, Height: 10})
	e.m.UpdateBalance(alice, nil, nil, startTime)
	e.fundWithdrawal(Account{Owner: alice}, 200_000)
	e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 30_000}, startTime)
	now := startTime + DefaultMaxTimeInQueue
	e.m.Tick(now)
	sends := e.signAll(t)
	e.m.DeliverSendResult(sends[0].Txid, nil, now)
	e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 20_000}, now)
	e.m.Tick(now + DefaultMaxTimeInQueue)
	e.m.RetrieveBtc(alice, RetrieveBtcArgs{Address: dest, Amount: 15_000}, now+DefaultMaxTimeInQueue)
	return e
}

func TestStateRoundTrip(t *testing.T) {
	e := busyEnv(t)
	data := e.m.Marshal()
	f := newEnv(t, nil)
	if err := f.m.Restore(data); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.m.Marshal(), data) || f.m.Hash() != e.m.Hash() {
		t.Fatal("round trip changed the state")
	}
	// The restored minter carries on exactly like the original.
	for _, m := range []*Minter{e.m, f.m} {
		reqs := m.TakeRequests()
		for _, r := range reqs {
			if r.Sign != nil {
				if err := m.DeliverSignature(r.Sign.ID, e.key.sign(t, r.Sign), nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		m.Tick(startTime + 3*DefaultMaxTimeInQueue)
	}
	if e.m.Hash() != f.m.Hash() {
		t.Fatal("restored minter diverged")
	}
}

func TestStateDeterministic(t *testing.T) {
	a, b := busyEnv(t), busyEnv(t)
	if a.m.Hash() != b.m.Hash() {
		t.Fatal("equal histories, different states")
	}
	b.m.TakeRequests()
	if a.m.Hash() == b.m.Hash() {
		t.Fatal("hash ignores a change")
	}
}

func TestRestoreRejects(t *testing.T) {
	e := busyEnv(t)
	good := e.m.Marshal()
	f := newEnv(t, nil)
	before := f.m.Marshal()
	cases := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("CKBTCMT\x02"), good[8:]...),
		"trailing":  append(bytes.Clone(good), 0),
		"truncated": good[:len(good)-1],
	}
	// Inconsistent states that encode canonically.
	bad := func(mod func(*state)) []byte {
		g := newEnv(t, nil)
		if err := g.m.Restore(good); err != nil {
			t.Fatal(err)
		}
		mod(&g.m.st)
		return g.m.Marshal()
	}
	cases["deposits out of order"] = bad(func(s *state) { s.Deposits[0], s.Deposits[1] = s.Deposits[1], s.Deposits[0] })
	cases["spent and available"] = bad(func(s *state) { s.Available = append(s.Available, s.Txs[0].Inputs...) })
	cases["phase"] = bad(func(s *state) { s.Txs[0].Phase = 9 })
	cases["sigs"] = bad(func(s *state) { s.Txs[0].Sigs = s.Txs[0].Sigs[:0] })
	cases["percentiles"] = bad(func(s *state) { s.FeePercentiles = []uint64{1, 2} })
	cases["ids"] = bad(func(s *state) { s.NextID = 0 })
	for name, data := range cases {
		if err := f.m.Restore(data); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if !bytes.Equal(f.m.Marshal(), before) {
			t.Fatalf("%s: a refused state changed the minter", name)
		}
	}
}

func FuzzRestore(f *testing.F) {
	e := newEnv(f, nil)
	e.deposit(f, Account{Owner: alice}, 1, 60_000)
	f.Add(e.m.Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		g := newEnv(t, nil)
		if err := g.m.Restore(data); err != nil {
			return
		}
		if !bytes.Equal(g.m.Marshal(), data) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}
