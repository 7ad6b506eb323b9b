package canisters

import (
	"fmt"
	"math/big"
	"math/bits"

	"github.com/chainkey/chainkey/execution"
)

// Cycles are 128-bit numbers on the Internet Computer; this subnet keeps
// balances, attached cycles and refunds in 64 bits (execution.State.Cycles),
// which hold 1.8e19 cycles, five orders of magnitude above what a local
// subnet's canisters get (1e14 each by default). Rather than saturate
// (and lose cycles) where a sum would pass 2^64-1, the component keeps the
// invariant that the cycles its canisters hold together never exceed
// MaxSupply: the only ways cycles enter the subnet, creation with
// provisional cycles and provisional top-ups, are checked against
// global.Supply, an upper bound of everything held (minted, never
// decremented), and are rejected with a clear message when they would
// break it. Moving cycles between canisters (attached to calls, accepted,
// refunded) then never overflows, and the System API's 128-bit calls are
// exact: their high half is always 0.

// MaxSupply is the most cycles the subnet's canisters hold together.
const MaxSupply = ^uint64(0)

// heldCycles is what the canisters hold and what is in flight between
// them: a bound for a state persisted before Supply was recorded.
func (c *Component) heldCycles() uint64 {
	var s uint64
	add := func(n uint64) {
		var carry uint64
		if s, carry = bits.Add64(s, n, 0); carry != 0 {
			s = MaxSupply
		}
	}
	for _, e := range c.cans {
		add(e.can.State().Cycles)
	}
	for _, o := range c.g.Calls {
		add(o.Cycles)
	}
	for _, t := range c.g.Queue {
		if t.Resp != nil {
			add(t.Resp.Refund)
		}
	}
	for _, p := range c.g.Stops {
		add(p.Cycles)
	}
	return s
}

// mint records n cycles entering the subnet; it fails, changing nothing,
// when the supply would pass MaxSupply.
func (c *Component) mint(n uint64) error {
	if n == 0 {
		return nil
	}
	if c.g.Supply == 0 {
		c.g.Supply = c.heldCycles()
	}
	s, carry := bits.Add64(c.g.Supply, n, 0)
	if carry != 0 {
		return fmt.Errorf("minting %d cycles would take the cycles on this subnet beyond 2^64-1 (%d are held or were minted); balances are 64-bit here", n, c.g.Supply)
	}
	c.g.Supply = s
	c.gdirty = true
	return nil
}

// cyclesAmount converts a Candid nat amount of cycles; amounts of 2^64
// and more are refused rather than clamped.
func cyclesAmount(n *big.Int) (uint64, error) {
	if n.Sign() < 0 || !n.IsUint64() {
		return 0, fmt.Errorf("amount %s is beyond 2^64-1 cycles, the most a balance holds on this subnet", n)
	}
	return n.Uint64(), nil
}

// rejectMint is the reject of a mint that would break the supply bound.
func rejectMint(err error) ([]byte, int, string) {
	return nil, execution.RejectCanisterReject, "management canister: " + err.Error()
}
