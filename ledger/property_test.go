package ledger

import (
	"errors"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

func sameAllowances(a, b map[allowanceKey]allowance) bool {
	return maps.EqualFunc(a, b, func(x, y allowance) bool {
		return x.amount == y.amount && (x.expiresAt == nil) == (y.expiresAt == nil) &&
			(x.expiresAt == nil || *x.expiresAt == *y.expiresAt)
	})
}

// TestPropertyConservation runs random transfers, approvals, transfer_froms,
// mints and burns through the Go API and checks after
// each that the total supply is the sum of balances, that it moved exactly
// as the operation says, and that a failed operation changed nothing.
func TestPropertyConservation(t *testing.T) {
	for _, withCollector := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(1, map[bool]uint64{true: 2, false: 3}[withCollector]))
		minter := principal.FromCanisterIndex(1)
		cfg := CkBTCConfig(minter)
		if !withCollector {
			cfg.FeeCollector = nil
		}
		now := uint64(1_700_000_000_000_000_000)
		l, err := New(cfg, now)
		if err != nil {
			t.Fatal(err)
		}
		var accts []Account
		for i := range 6 {
			p := principal.FromCanisterIndex(uint64(10 + i))
			accts = append(accts, Account{Owner: p}, Account{Owner: p, Subaccount: Subaccount([32]byte{byte(i + 1)})})
		}
		accts = append(accts, l.minting)
		pick := func() Account { return accts[rng.IntN(len(accts))] }
		amount := func() uint64 {
			switch rng.IntN(4) {
			case 0:
				return uint64(rng.IntN(20))
			case 1:
				return ^uint64(0) - uint64(rng.IntN(3))
			}
			return uint64(rng.IntN(50_000))
		}
		var model uint64 // supply per the operations that succeeded
		var ok, failed int
		for step := range 3000 {
			now += uint64(rng.IntN(3)) * 1e9
			var ts *uint64
			if rng.IntN(3) == 0 {
				c := now - uint64(rng.IntN(5))*1e9
				ts = &c
			}
			var fee *uint64
			if rng.IntN(4) == 0 {
				f := uint64(rng.IntN(2)) * 10
				fee = &f
			}
			balBefore := maps.Clone(l.balances)
			alBefore := maps.Clone(l.allowances)
			nBefore, supplyBefore := l.Len(), l.supply
			from, to := pick(), pick()
			amt := amount()
			var delta int64
			var err error
			switch op := rng.IntN(6); op {
			case 0:
				_, err = l.Mint(to, amt%100_000, nil, now)
			case 1:
				_, err = l.Transfer(from.Owner, TransferArgs{FromSubaccount: from.Subaccount, To: to, Amount: amt, Fee: fee, CreatedAtTime: ts}, now)
			case 2:
				var exp *uint64
				if rng.IntN(3) == 0 {
					e := now + uint64(rng.IntN(5))*1e9
					exp = &e
				}
				var expected *uint64
				if rng.IntN(4) == 0 {
					x, _ := l.Allowance(from, to, now)
					if rng.IntN(2) == 0 {
						x++
					}
					expected = &x
				}
				_, err = l.Approve(from.Owner, ApproveArgs{FromSubaccount: from.Subaccount, Spender: to, Amount: amt, ExpectedAllowance: expected, ExpiresAt: exp, Fee: fee, CreatedAtTime: ts}, now)
			case 3:
				sp := pick()
				_, err = l.TransferFrom(sp.Owner, TransferFromArgs{SpenderSubaccount: sp.Subaccount, From: from, To: to, Amount: amt, Fee: fee, CreatedAtTime: ts}, now)
			case 4:
				_, err = l.Burn(from, amt%200_000, nil, now)
			case 5:
				_, err = l.BurnFrom(pick(), from, amt%200_000, nil, now)
			}
			if err != nil {
				var le *Error
				if !errors.As(err, &le) && !errors.Is(err, ErrRejected) {
					t.Fatalf("step %d: unexpected error %v", step, err)
				}
				if l.Len() != nBefore || l.supply != supplyBefore || !maps.Equal(l.balances, balBefore) || !sameAllowances(l.allowances, alBefore) {
					t.Fatalf("step %d: failed operation changed the state: %v", step, err)
				}
				failed++
			} else {
				ok++
				if l.Len() != nBefore+1 {
					t.Fatalf("step %d: no block", step)
				}
				// The supply moves as the block says: mints add, burns
				// remove, approvals burn the fee, transfers burn it when
				// there is no fee collector.
				b, _ := l.Block(nBefore)
				tx, _ := b.Get("tx")
				a, _ := tx.Get("amt")
				switch op, _ := tx.Get("op"); op.Text {
				case "mint":
					delta = int64(a.U64)
				case "burn":
					delta = -int64(a.U64)
				case "approve":
					delta = -int64(l.fee)
				case "xfer":
					delta = 0
					if !withCollector {
						delta = -int64(l.fee)
					}
				}
				model = uint64(int64(model) + delta)
			}
			var sum uint64
			for k, v := range l.balances {
				if v == 0 {
					t.Fatalf("step %d: zero balance stored", step)
				}
				if k == l.minting.key() {
					t.Fatalf("step %d: the minting account holds %d", step, v)
				}
				sum += v
			}
			if sum != l.supply || l.supply != model {
				t.Fatalf("step %d: sum of balances %d, supply %d, model %d", step, sum, l.supply, model)
			}
		}
		if ok < 500 || failed < 500 {
			t.Fatalf("unbalanced run: %d ok, %d failed", ok, failed)
		}
		l2, err := Unmarshal(l.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		if l2.StateHash() != l.StateHash() || !maps.Equal(l2.balances, l.balances) || !sameAllowances(l2.allowances, l.allowances) {
			t.Fatal("replayed state differs")
		}
		t.Logf("collector=%v: %d ok, %d failed, %d blocks, supply %d", withCollector, ok, failed, l.Len(), l.supply)
	}
}

func TestThrottle(t *testing.T) {
	minter := principal.FromCanisterIndex(1)
	now := uint64(1_700_000_000_000_000_000)
	l, err := New(CkBTCConfig(minter), now)
	if err != nil {
		t.Fatal(err)
	}
	l.windowCap = 40 // half full at 20; at most one a second then
	a := Account{Owner: principal.FromCanisterIndex(10)}
	if _, err := l.Mint(a, 1_000_000, nil, now); err != nil {
		t.Fatal(err)
	}
	send := func(i int, at uint64) error {
		ts := at
		_, err := l.Transfer(a.Owner, TransferArgs{To: Account{Owner: minter, Subaccount: Subaccount([32]byte{1})}, Amount: uint64(1 + i), CreatedAtTime: &ts}, at)
		return err
	}
	for i := range 20 {
		if err := send(i, now); err != nil {
			t.Fatalf("transfer %d: %v", i, err)
		}
	}
	if err := send(20, now); kindOf(err) != TemporarilyUnavailable {
		t.Fatalf("got %v, want TemporarilyUnavailable", err)
	}
	// Mints are throttled too, as in the IC ledger.
	if _, err := l.Mint(a, 1, nil, now); kindOf(err) != TemporarilyUnavailable {
		t.Fatalf("mint: got %v, want TemporarilyUnavailable", err)
	}
	if err := send(21, now+1e9); err != nil {
		t.Fatalf("a second later: %v", err)
	}
	if err := send(22, now+1e9); kindOf(err) != TemporarilyUnavailable {
		t.Fatalf("got %v, want TemporarilyUnavailable", err)
	}
	// Once the first entries leave the window, everything passes again.
	later := now + TransactionWindow + PermittedDrift + 1
	if err := send(23, later); err != nil {
		t.Fatalf("after the window: %v", err)
	}
	if len(l.window) != 2 {
		t.Fatalf("window holds %d entries, want 2", len(l.window))
	}
}

func kindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
