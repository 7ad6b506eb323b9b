package canisters

import (
	"math/bits"

	"github.com/chainkey/chainkey/execution"
)

// StorageChargeInterval is how often, in block time, the component charges
// the canisters for their storage (the IC charges every 10 s).
const StorageChargeInterval = 10_000_000_000

// feesOn reports whether the subnet charges cycles (the zero fee table,
// a local subnet's fee scale of 0, charges nothing).
func (c *Component) feesOn() bool { return c.cfg.Exec.Fees != (execution.Fees{}) }

// scaledFee is a base fee of the table scaled to the subnet's size, as the
// IC scales it.
func scaledFee(f *execution.Fees, base uint64) uint64 {
	n := f.SubnetSize
	if n == 0 {
		n = execution.ReferenceSubnetSize
	}
	hi, lo := bits.Mul64(base, n)
	if hi >= execution.ReferenceSubnetSize {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, execution.ReferenceSubnetSize)
	return q
}

// creationFee is the cost of creating a canister, taken from the cycles
// it is created with.
func (c *Component) creationFee() uint64 {
	return scaledFee(&c.cfg.Exec.Fees, c.cfg.Exec.Fees.CanisterCreation)
}

// chargeStorage charges every canister, in id order, for its storage
// since the last charge, once StorageChargeInterval of block time has
// passed. A canister that cannot pay is uninstalled by the engine; its
// outstanding calls then come back to no callback, as after an uninstall.
func (c *Component) chargeStorage(now uint64) {
	if !c.feesOn() {
		return
	}
	if c.g.StorageAt == 0 || now < c.g.StorageAt {
		c.g.StorageAt = now
		c.gdirty = true
		return
	}
	if now-c.g.StorageAt < StorageChargeInterval {
		return
	}
	seconds := (now - c.g.StorageAt) / 1_000_000_000
	c.g.StorageAt += seconds * 1_000_000_000
	c.gdirty = true
	for _, k := range c.sortedKeys() {
		e := c.cans[k]
		if e.can.ChargeStorage(seconds) {
			e.epoch++
		}
		c.dirty[k] = true
	}
}
