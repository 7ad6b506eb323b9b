package execution

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// bestEffortWAT calls "deadline" on the canister in the argument with a
// best-effort timeout of 10 s ("be") or a guaranteed response ("gr"),
// attaching 50 cycles; "deadline" replies with ic0.msg_deadline; the
// callbacks reply with the reject code (0 for a reply) and the
// deadline they see. "unperformed" attaches 30 cycles to a call it
// never performs.
const bestEffortWAT = `(module
  (import "ic0" "call_new" (func $call_new (param PTR PTR PTR PTR PTR PTR PTR PTR)))
  (import "ic0" "call_with_best_effort_response" (func $best_effort (param i32)))
  (import "ic0" "call_cycles_add128" (func $cycles_add (param i64 i64)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result PTR)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param PTR PTR PTR)))
  (import "ic0" "msg_reject_code" (func $reject_code (result i32)))
  (import "ic0" "msg_deadline" (func $deadline (result i64)))
  (import "ic0" "msg_reply_data_append" (func $append (param PTR PTR)))
  (import "ic0" "msg_reply" (func $reply))
  MEMORY
  (table 2 funcref)
  (elem (i32.const 0) $on_reply $on_reject)
  (data (PTR.const 1000) "deadline")
  (func $call (param $best i32)
    (call $arg_copy (PTR.const 2000) (PTR.const 0) (call $arg_size))
    (call $call_new (PTR.const 2000) (call $arg_size) (PTR.const 1000) (PTR.const 8)
      (PTR.const 0) (PTR.const 0) (PTR.const 1) (PTR.const 0))
    (call $cycles_add (i64.const 0) (i64.const 50))
    (if (local.get $best) (then (call $best_effort (i32.const 10))))
    (drop (call $call_perform)))
  (func (export "canister_update be") (call $call (i32.const 1)))
  (func (export "canister_update gr") (call $call (i32.const 0)))
  (func (export "canister_update unperformed")
    (call $call_new (PTR.const 1000) (PTR.const 1) (PTR.const 1000) (PTR.const 8)
      (PTR.const 0) (PTR.const 0) (PTR.const 1) (PTR.const 0))
    (call $cycles_add (i64.const 0) (i64.const 30))
    (call $reply))
  (func $answer (param $code i32)
    (i32.store (PTR.const 0) (local.get $code))
    (i64.store (PTR.const 4) (call $deadline))
    (call $append (PTR.const 0) (PTR.const 12))
    (call $reply))
  (func (export "canister_update deadline")
    (i64.store (PTR.const 0) (call $deadline))
    (call $append (PTR.const 0) (PTR.const 8))
    (call $reply))
  (func $on_reply (param $env PTR) (call $answer (i32.const 0)))
  (func $on_reject (param $env PTR) (call $answer (call $reject_code)))
)`

func TestBestEffortResponses(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			module := wat(t, bestEffortWAT, wasm64)
			caller, callee := newCanisterAt(t, Config{}, 30), newCanisterAt(t, Config{}, 31)
			install(t, caller, module)
			install(t, callee, module)
			const now = 5_000_000_000
			orig := Message{Method: "be", Arg: callee.ID().Bytes(), Caller: alice, Time: now}
			before := caller.State().Cycles
			r := caller.Update(orig)
			if len(r.Calls) != 1 {
				t.Fatalf("be: %+v", r)
			}
			call := r.Calls[0]
			deadline := uint64(now + 10_000_000_000)
			if call.Timeout != 10 || call.Deadline != deadline {
				t.Fatalf("call: timeout %d, deadline %d", call.Timeout, call.Deadline)
			}
			// The callee sees the deadline.
			in := call.Incoming(caller.ID(), now+1)
			if in.Deadline != deadline || in.Caller != caller.ID() || in.Cycles != 50 {
				t.Fatalf("incoming message: %+v", in)
			}
			if got := callee.Update(in); binary.LittleEndian.Uint64(got.Reply) != deadline {
				t.Fatalf("callee's msg_deadline: %+v", got)
			}
			if call.Expired(deadline) || !call.Expired(deadline+1) {
				t.Fatal("Expired is wrong at the deadline")
			}
			// The deadline passes: the caller's reject callback gets
			// SYS_UNKNOWN, sees the call's deadline, and no refund.
			cb := caller.Callback(call, DeadlineExpired(), orig, false)
			if !cb.Replied || binary.LittleEndian.Uint32(cb.Reply) != RejectSysUnknown || binary.LittleEndian.Uint64(cb.Reply[4:]) != deadline {
				t.Fatalf("expired callback: %+v", cb)
			}
			if got := caller.State().Cycles; got != before-50 {
				t.Fatalf("balance %d, want %d", got, before-50)
			}
			// A guaranteed response call has no deadline and never
			// expires.
			orig.Method = "gr"
			call = caller.Update(orig).Calls[0]
			if call.Deadline != 0 || call.Expired(1<<63) {
				t.Fatalf("guaranteed call: %+v", call)
			}
			cb = caller.Callback(call, Response{Reply: []byte{}}, orig, false)
			if binary.LittleEndian.Uint32(cb.Reply) != 0 || binary.LittleEndian.Uint64(cb.Reply[4:]) != 0 {
				t.Fatalf("guaranteed callback: %+v", cb)
			}
			// Cycles attached to a call that is never performed return.
			before = caller.State().Cycles
			if r := caller.Update(Message{Method: "unperformed"}); !r.Replied || caller.State().Cycles != before {
				t.Fatalf("unperformed call: %+v, balance %d, want %d", r, caller.State().Cycles, before)
			}
		})
	}
}
