package execution

import (
	"fmt"
	"math/bits"
)

// Fees is the IC's cycles fee table: the fields of an application
// subnet's CyclesAccountManagerConfig (dfinity/ic
// rs/config/src/subnet_config.rs), which hold for a subnet of
// ReferenceSubnetSize nodes. Every charge is computed from these base
// fees and scaled, as the IC's scale_cost does, by SubnetSize /
// ReferenceSubnetSize (integer division of the product). The zero Fees
// charges nothing: a local subnet with a fee scale of 0.
type Fees struct {
	// SubnetSize is the number of nodes of the subnet (0 counts as
	// ReferenceSubnetSize).
	SubnetSize uint64

	CanisterCreation uint64 // creating a canister
	// UpdateMessageExecution is charged for every update-type execution
	// (updates, callbacks, timers, heartbeats, install code), plus
	// TenUpdateInstructions (TenUpdateInstructions64 for a wasm64
	// module) for every 10 instructions.
	UpdateMessageExecution  uint64
	TenUpdateInstructions   uint64
	TenUpdateInstructions64 uint64
	XnetCall                uint64 // every inter-canister call made
	XnetByte                uint64 // every byte of a call's request and response
	IngressMessage          uint64 // every ingress message inducted
	IngressByte             uint64 // every byte of an ingress message
	GiBStoragePerSecond     uint64 // storing 1 GiB for a second
	ECDSASignature          uint64
	SchnorrSignature        uint64
	VetKD                   uint64
	HTTPRequestLinear       uint64
	HTTPRequestQuadratic    uint64
	HTTPRequestPerByte      uint64
	HTTPResponsePerByte     uint64
}

// ReferenceSubnetSize is the subnet size the IC's fee table is set for.
const ReferenceSubnetSize = 13

// DefaultFreezingThreshold is the IC's default freezing threshold: 30
// days, in seconds.
const DefaultFreezingThreshold = 30 * 24 * 3600

// maxResponseBytes is the largest inter-canister response (the IC's
// MAX_INTER_CANISTER_PAYLOAD_IN_BYTES); a call prepays its transmission.
const maxResponseBytes = 2 << 20

// ApplicationSubnetFees returns the IC's fee table of an application
// subnet, for a subnet of n nodes.
func ApplicationSubnetFees(n uint64) Fees {
	return Fees{
		SubnetSize:              n,
		CanisterCreation:        500_000_000_000,
		UpdateMessageExecution:  5_000_000,
		TenUpdateInstructions:   10,
		TenUpdateInstructions64: 20, // the IC's WASM64_INSTRUCTION_COST_OVERHEAD of 2
		XnetCall:                260_000,
		XnetByte:                1_000,
		IngressMessage:          1_200_000,
		IngressByte:             2_000,
		GiBStoragePerSecond:     127_000,
		ECDSASignature:          10_000_000_000,
		SchnorrSignature:        10_000_000_000,
		VetKD:                   10_000_000_000,
		HTTPRequestLinear:       3_000_000,
		HTTPRequestQuadratic:    60_000,
		HTTPRequestPerByte:      400,
		HTTPResponsePerByte:     800,
	}
}

// Scaled returns the fees multiplied by num/den (num 0: free).
func (f Fees) Scaled(num, den uint64) Fees {
	m := func(x *uint64) { *x = mulDiv(*x, num, den) }
	for _, p := range []*uint64{&f.CanisterCreation, &f.UpdateMessageExecution, &f.TenUpdateInstructions,
		&f.TenUpdateInstructions64, &f.XnetCall, &f.XnetByte, &f.IngressMessage, &f.IngressByte,
		&f.GiBStoragePerSecond, &f.ECDSASignature, &f.SchnorrSignature, &f.VetKD, &f.HTTPRequestLinear,
		&f.HTTPRequestQuadratic, &f.HTTPRequestPerByte, &f.HTTPResponsePerByte} {
		m(p)
	}
	return f
}

// mulDiv is a*b/c, saturating at the largest uint64.
func mulDiv(a, b, c uint64) uint64 {
	if c == 0 {
		return 0
	}
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, c)
	return q
}

func satAdd(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return ^uint64(0)
	}
	return s
}

// scale scales a cost computed from the base fees to the subnet's size.
func (f *Fees) scale(x uint64) uint64 {
	n := f.SubnetSize
	if n == 0 {
		n = ReferenceSubnetSize
	}
	return mulDiv(x, n, ReferenceSubnetSize)
}

// Execution is the cost of an update-type execution of instructions
// (fuel) on a wasm32 or wasm64 module.
func (f *Fees) Execution(instructions uint64, wasm64 bool) uint64 {
	ten := f.TenUpdateInstructions
	if wasm64 {
		ten = f.TenUpdateInstructions64
	}
	return f.scale(satAdd(f.UpdateMessageExecution, mulDiv(ten, instructions, 10)))
}

// Call is the cost of making a call with a method name and argument of
// the given sizes (what ic0.cost_call returns): the call fee and the
// request's bytes.
func (f *Fees) Call(methodSize, argSize uint64) uint64 {
	return f.scale(satAdd(f.XnetCall, mulDiv(f.XnetByte, satAdd(methodSize, argSize), 1)))
}

// responseBytes is the cost of transmitting n bytes of a response.
func (f *Fees) responseBytes(n uint64) uint64 { return f.scale(mulDiv(f.XnetByte, n, 1)) }

// Ingress is the cost of inducting an ingress message of size bytes
// (method name and argument), charged to the receiving canister.
func (f *Fees) Ingress(size uint64) uint64 {
	return f.scale(satAdd(f.IngressMessage, mulDiv(f.IngressByte, size, 1)))
}

// Storage is the cost of storing bytes for seconds.
func (f *Fees) Storage(bytes, seconds uint64) uint64 {
	return f.scale(mulDiv(mulDiv(f.GiBStoragePerSecond, bytes, 1<<30), seconds, 1))
}

// HTTPRequest is the cost of an HTTPS outcall, as the IC computes it for
// a subnet of SubnetSize nodes.
func (f *Fees) HTTPRequest(requestSize, maxResponseSize uint64) uint64 {
	n := f.SubnetSize
	if n == 0 {
		n = ReferenceSubnetSize
	}
	c := mulDiv(satAdd(f.HTTPRequestLinear, mulDiv(f.HTTPRequestQuadratic, n, 1)), n, 1)
	c = satAdd(c, mulDiv(mulDiv(f.HTTPRequestPerByte, n, 1), requestSize, 1))
	return satAdd(c, mulDiv(mulDiv(f.HTTPResponsePerByte, n, 1), maxResponseSize, 1))
}

// memoryUsage is the storage a canister is charged for: its Wasm and
// stable memories and its module.
func (c *Canister) memoryUsage() uint64 {
	n := uint64(len(c.st.Stable) + len(c.st.Module))
	if c.inst != nil {
		n += c.shadow.size()
	}
	return n
}

// FreezingLimit is the balance below which the canister is frozen: the
// cycles its storage costs over its freezing threshold. A canister may
// not spend cycles (on execution, calls or transfers) below it.
func (c *Canister) FreezingLimit() uint64 {
	return c.cfg.Fees.Storage(c.memoryUsage(), c.st.FreezingThreshold)
}

// liquid is the balance the canister may spend.
func (c *Canister) liquid() uint64 {
	return c.st.Cycles - min(c.st.Cycles, c.FreezingLimit())
}

// outOfCycles is the reject of a message the canister cannot pay for.
func (c *Canister) outOfCycles(need uint64) *Result {
	return reject(RejectSysTransient, "canister %s is out of cycles: please top up the canister with at least %d additional cycles",
		c.st.ID, need-min(need, c.liquid()))
}

// prepay takes the cost of an execution of at most limit instructions
// from the balance before it runs; settle gives back the part of it the
// execution did not use. ok is false, and nothing is taken, when the
// canister cannot pay.
func (c *Canister) prepay(limit uint64, wasm64 bool) (paid uint64, ok bool) {
	p := c.cfg.Fees.Execution(limit, wasm64)
	if p > c.liquid() {
		return p, false
	}
	c.st.Cycles -= p
	return p, true
}

func (c *Canister) settle(paid, used uint64, wasm64 bool) {
	cost := c.cfg.Fees.Execution(used, wasm64)
	if cost > paid {
		// A cleanup callback, which was not prepaid: it pays what it
		// can.
		c.st.Cycles -= min(c.st.Cycles, cost-paid)
		return
	}
	c.st.Cycles = satAdd(c.st.Cycles, paid-cost)
}

// ChargeStorage charges the canister for storing its memory for seconds
// (the node calls it as time passes, the IC every 10 s). A canister that
// cannot pay loses its balance and is uninstalled, as on the IC; the
// result says whether that happened.
func (c *Canister) ChargeStorage(seconds uint64) (uninstalled bool) {
	cost := c.cfg.Fees.Storage(c.memoryUsage(), seconds)
	if cost <= c.st.Cycles {
		c.st.Cycles -= cost
		return false
	}
	c.st.Cycles = 0
	if c.st.Module != nil {
		c.Uninstall()
		return true
	}
	return false
}

// ChargeIngress charges the canister for inducting an ingress message of
// size bytes (method name and argument); it fails, charging nothing,
// when the canister cannot pay without going below its freezing limit.
func (c *Canister) ChargeIngress(size uint64) error {
	cost := c.cfg.Fees.Ingress(size)
	if cost > c.liquid() {
		return fmt.Errorf("execution: %s", c.outOfCycles(cost).RejectMessage)
	}
	c.st.Cycles -= cost
	return nil
}

// SetFreezingThreshold sets the canister's freezing threshold in seconds
// (its canister setting; New sets DefaultFreezingThreshold).
func (c *Canister) SetFreezingThreshold(seconds uint64) { c.st.FreezingThreshold = seconds }

// AddCycles deposits cycles (saturating at the largest balance).
func (c *Canister) AddCycles(n uint64) { c.st.Cycles = satAdd(c.st.Cycles, n) }

// DepositCycles adds n cycles to the balance, failing (and changing
// nothing) when the balance would pass 2^64-1: balances are 64-bit here,
// and a deposit must not lose cycles by saturating.
func (c *Canister) DepositCycles(n uint64) error {
	s, carry := bits.Add64(c.st.Cycles, n, 0)
	if carry != 0 {
		return fmt.Errorf("execution: depositing %d cycles would take the balance of %s (%d) beyond 2^64-1", n, c.st.ID, c.st.Cycles)
	}
	c.st.Cycles = s
	return nil
}
