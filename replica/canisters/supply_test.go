package canisters

import (
	"math/big"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
)

// TestCyclesSupplyBound: amounts of 2^64 cycles and more are refused, not
// clamped, and no mint takes the cycles on the subnet past 2^64-1, so that
// no balance can overflow when cycles move between canisters: a top-up
// past it is rejected with a clear message and changes nothing.
func TestCyclesSupplyBound(t *testing.T) {
	h := newHarness(t)
	two64 := new(big.Int).Lsh(big.NewInt(1), 64)
	max := new(big.Int).Sub(two64, big.NewInt(1))
	ids := h.block(h.mgmt(ctrl, "provisional_create_canister_with_cycles", createArgs{Amount: two64}))
	if msg := h.rejected(ids[0], execution.RejectCanisterReject); !strings.Contains(msg, "beyond 2^64-1") {
		t.Fatalf("creation with 2^64 cycles: %q", msg)
	}
	half := new(big.Int).Rsh(two64, 1) // 2^63
	ids = h.block(h.mgmt(ctrl, "provisional_create_canister_with_cycles", createArgs{Amount: half}))
	var res createResult
	if err := candid.Decode(h.replied(ids[0]), &res); err != nil {
		t.Fatal(err)
	}
	a := res.CanisterID
	ids = h.block(h.mgmt(ctrl, "provisional_create_canister_with_cycles", createArgs{Amount: big.NewInt(1000)}))
	if err := candid.Decode(h.replied(ids[0]), &res); err != nil {
		t.Fatal(err)
	}
	b := res.CanisterID
	// a holds 2^63, b 1000: b may get 2^63-1001 more, not 2^63.
	supply := h.c.g.Supply
	ids = h.block(h.mgmt(alice, "provisional_top_up_canister", topUpArgs{CanisterID: b, Amount: half}),
		h.mgmt(alice, "provisional_top_up_canister", topUpArgs{CanisterID: a, Amount: max}))
	for _, id := range ids {
		if msg := h.rejected(id, execution.RejectCanisterReject); !strings.Contains(msg, "beyond 2^64-1") {
			t.Fatalf("top-up past the supply bound: %q", msg)
		}
	}
	if balance(h, b) != 1000 || balance(h, a) != 1<<63 || h.c.g.Supply != supply {
		t.Fatal("a refused top-up changed the state")
	}
	rest := new(big.Int).Sub(half, big.NewInt(1001))
	h.replied(h.block(h.mgmt(alice, "provisional_top_up_canister", topUpArgs{CanisterID: b, Amount: rest}))[0])
	if balance(h, b) != 1<<63-1 {
		t.Fatalf("balance %d after a top-up to the bound", balance(h, b))
	}
	if h.c.g.Supply != 1<<64-1 {
		t.Fatalf("supply %d", h.c.g.Supply)
	}
	h.rejected(h.block(h.mgmt(alice, "provisional_top_up_canister", topUpArgs{CanisterID: b, Amount: big.NewInt(1)}))[0], execution.RejectCanisterReject)
	// The bound survives a restart.
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if c2.g.Supply != h.c.g.Supply {
		t.Fatalf("supply after a restart %d", c2.g.Supply)
	}
}
