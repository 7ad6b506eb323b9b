package execution

import (
	"encoding/binary"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

// cycles128WAT exercises the 128-bit cycles calls at the 2^64 boundary.
const cycles128WAT = `(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "canister_cycle_balance128" (func $balance (param i32)))
  (import "ic0" "msg_cycles_available128" (func $available (param i32)))
  (import "ic0" "msg_cycles_accept128" (func $accept (param i64 i64 i32)))
  (import "ic0" "cycles_burn128" (func $burn (param i64 i64 i32)))
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_cycles_add128" (func $add (param i64 i64)))
  (import "ic0" "call_perform" (func $perform (result i32)))
  (memory 1)
  (data (i32.const 1000) "\00\00\00\00\00\00\00\07\01\01")
  (func $new (call $call_new (i32.const 1000) (i32.const 10) (i32.const 1000) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
  (func (export "canister_update balance") (call $balance (i32.const 0)) (call $append (i32.const 0) (i32.const 16)) (call $reply))
  ;; accept with a maximum of 2^64 (high half 1): everything available
  (func (export "canister_update accept_all")
    (call $accept (i64.const 1) (i64.const 0) (i32.const 0))
    (call $available (i32.const 16))
    (call $balance (i32.const 32))
    (call $append (i32.const 0) (i32.const 48)) (call $reply))
  ;; attach 2^64 cycles: more than any balance
  (func (export "canister_update add_2_64") (call $new) (call $add (i64.const 1) (i64.const 0)) (drop (call $perform)))
  ;; attach 2^64-1 cycles
  (func (export "canister_update add_max") (call $new) (call $add (i64.const 0) (i64.const -1)) (drop (call $perform)) (call $reply))
  ;; burn at most 2^64: everything
  (func (export "canister_update burn_all") (call $burn (i64.const 1) (i64.const 0) (i32.const 0)) (call $append (i32.const 0) (i32.const 16)) (call $reply)))`

func u128(b []byte) (hi, lo uint64) {
	return binary.LittleEndian.Uint64(b[8:16]), binary.LittleEndian.Uint64(b[:8])
}

// TestCycles128Boundary: the 128-bit System API calls at 2^64, with
// 64-bit balances: a balance of 2^64-1 reads back exactly; accepting with
// a maximum of 2^64 accepts what fits and leaves the rest to be refunded
// (nothing is lost); attaching 2^64 cycles traps; attaching 2^64-1 takes
// the whole balance; burning at most 2^64 burns everything; a deposit
// past 2^64-1 is refused by DepositCycles.
func TestCycles128Boundary(t *testing.T) {
	const max = ^uint64(0)
	cfg := Config{Engine: testEngine, UpdateLimit: 50_000_000}
	c, err := New(cfg, principal.FromCanisterIndex(7), []principal.Principal{ctrl}, max-10)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetFreezingThreshold(0)
	install(t, c, wat(t, cycles128WAT, false))
	up := func(method string, cycles uint64) *Result {
		return c.Update(Message{Method: method, Caller: alice, Cycles: cycles})
	}
	r := up("accept_all", max)
	if hi, lo := u128(r.Reply[0:16]); hi != 0 || lo != 10 {
		t.Fatalf("accepted %d:%d, want 10", hi, lo)
	}
	if hi, lo := u128(r.Reply[16:32]); hi != 0 || lo != max-10 {
		t.Fatalf("available after accepting %d:%d", hi, lo)
	}
	if hi, lo := u128(r.Reply[32:48]); hi != 0 || lo != max {
		t.Fatalf("balance %d:%d, want 2^64-1", hi, lo)
	}
	if r.Refund != max-10 {
		t.Fatalf("refund %d, want %d", r.Refund, max-10)
	}
	if hi, lo := u128(up("balance", 0).Reply); hi != 0 || lo != max {
		t.Fatalf("balance %d:%d", hi, lo)
	}
	if err := c.DepositCycles(1); err == nil || c.State().Cycles != max {
		t.Fatalf("a deposit past 2^64-1: %v, balance %d", err, c.State().Cycles)
	}
	if r := up("add_2_64", 0); r.Trap == nil || r.Trap.Kind != TrapSystemAPI {
		t.Fatalf("attaching 2^64 cycles: %+v", r)
	}
	if c.State().Cycles != max {
		t.Fatal("a trapped call changed the balance")
	}
	r = up("add_max", 0)
	if r.Trap != nil || len(r.Calls) != 1 || r.Calls[0].Cycles != max || c.State().Cycles != 0 {
		t.Fatalf("attaching 2^64-1 cycles: %+v, balance %d", r, c.State().Cycles)
	}
	if err := c.DepositCycles(max - 3); err != nil {
		t.Fatal(err)
	}
	r = up("burn_all", 0)
	if hi, lo := u128(r.Reply); hi != 0 || lo != max-3 || c.State().Cycles != 0 {
		t.Fatalf("burned %d:%d, balance %d", hi, lo, c.State().Cycles)
	}
}
