package execution

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// callerWAT makes a call whose callbacks sit in the table: 0 replies with
// the reply data, 1 replies with the reject code and message, 2 traps
// after setting a global, 3 (cleanup) records its env in stable memory.
const callerWAT = `(module
  (import "ic0" "call_new" (func $call_new (param PTR PTR PTR PTR PTR PTR PTR PTR)))
  (import "ic0" "call_on_cleanup" (func $call_cleanup (param PTR PTR)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result PTR)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param PTR PTR PTR)))
  (import "ic0" "msg_reject_code" (func $reject_code (result i32)))
  (import "ic0" "msg_reject_msg_size" (func $reject_size (result PTR)))
  (import "ic0" "msg_reject_msg_copy" (func $reject_copy (param PTR PTR PTR)))
  (import "ic0" "msg_cycles_refunded128" (func $refunded (param PTR)))
  (import "ic0" "msg_reply_data_append" (func $append (param PTR PTR)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "stable64_grow" (func $sgrow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $swrite (param i64 i64 i64)))
  MEMORY
  (table 4 funcref)
  (elem (i32.const 0) $on_reply $on_reject $on_reply_trap $cleanup)
  (global $touched (mut i32) (i32.const 0))
  (data (PTR.const 1000) "target")
  (func $ask (param $reply PTR)
    (call $call_new (PTR.const 1000) (PTR.const 6) (PTR.const 1000) (PTR.const 6)
      (local.get $reply) (PTR.const 10) (PTR.const 1) (PTR.const 11))
    (call $call_cleanup (PTR.const 3) (PTR.const 12))
    (drop (call $call_perform)))
  (func (export "canister_update ask") (call $ask (PTR.const 0)))
  (func (export "canister_update ask_trap") (call $ask (PTR.const 2)))
  (func (export "canister_query touched") (i32.store (PTR.const 0) (global.get $touched)) (call $append (PTR.const 0) (PTR.const 4)) (call $reply))
  (func $on_reply (param $env PTR)
    (call $arg_copy (PTR.const 100) (PTR.const 0) (call $arg_size))
    (call $append (PTR.const 100) (call $arg_size))
    (call $reply))
  (func $on_reject (param $env PTR)
    (i32.store (PTR.const 100) (call $reject_code))
    (call $refunded (PTR.const 104))
    (call $reject_copy (PTR.const 120) (PTR.const 0) (call $reject_size))
    (call $append (PTR.const 100) (PTR.add (call $reject_size) (PTR.const 20)))
    (call $reply))
  (func $on_reply_trap (param $env PTR) (global.set $touched (i32.const 1)) unreachable)
  (func $cleanup (param $env PTR)
    (drop (call $sgrow (i64.const 1)))
    (PTR.store (PTR.const 0) (local.get $env))
    (call $swrite (i64.const 0) (i64.const 0) (i64.const 1)))
)`

func TestCallbacks(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			src := replacePtrAdd(callerWAT, wasm64)
			c := newCanister(t, Config{})
			install(t, c, wat(t, src, wasm64))
			orig := Message{Method: "ask", Caller: alice}
			r := c.Update(orig)
			if len(r.Calls) != 1 || r.RejectCode != 0 || r.Replied {
				t.Fatalf("ask: %+v", r)
			}
			call := r.Calls[0]
			if call.Method != "target" || call.ReplyEnv != 10 || call.RejectEnv != 11 || !call.Cleanup || call.CleanupEnv != 12 {
				t.Fatalf("call: %+v", call)
			}
			r = c.Callback(call, Response{Reply: []byte("pong")}, orig, false)
			if !r.Replied || string(r.Reply) != "pong" {
				t.Fatalf("reply callback: %+v", r)
			}
			before := c.State().Cycles
			r = c.Callback(call, Response{RejectCode: RejectCanisterReject, RejectMessage: "nope", Refund: 7}, orig, false)
			if !r.Replied || len(r.Reply) != 24 || binary.LittleEndian.Uint32(r.Reply) != RejectCanisterReject ||
				binary.LittleEndian.Uint64(r.Reply[4:]) != 7 || string(r.Reply[20:]) != "nope" {
				t.Fatalf("reject callback: %+v", r)
			}
			if c.State().Cycles != before+7 {
				t.Fatalf("refund not credited: %d, want %d", c.State().Cycles, before+7)
			}
			// A callback may not answer a call that was answered already.
			if r := c.Callback(call, Response{Reply: []byte("x")}, orig, true); r.Trap == nil || r.Trap.Kind != TrapSystemAPI {
				t.Fatalf("reply after response: %+v", r)
			}
			// A trapping callback is undone and the cleanup runs.
			orig.Method = "ask_trap"
			r = c.Update(orig)
			r = c.Callback(r.Calls[0], Response{Reply: []byte("pong")}, orig, false)
			if r.Trap == nil {
				t.Fatalf("trapping callback: %+v", r)
			}
			if q := c.Query(Message{Method: "touched"}); binary.LittleEndian.Uint32(q.Reply) != 0 {
				t.Fatal("trapping callback's change kept")
			}
			// The cleanup ran twice: after the callback that replied too
			// late and after this one; each grows stable memory by a page.
			if s := c.State().Stable; len(s) != 2*wasmPage || s[0] != 12 {
				t.Fatalf("cleanup did not run: %d bytes", len(s))
			}
		})
	}
}

func replacePtrAdd(src string, wasm64 bool) string {
	add, store := "i32.add", "i32.store"
	if wasm64 {
		add, store = "i64.add", "i64.store"
	}
	src = strings.ReplaceAll(src, "PTR.add", add)
	return strings.ReplaceAll(src, "PTR.store", store)
}
