package execution

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

// cqWAT is a canister with composite queries. The argument of each is a
// list of 10-byte canister ids.
//   - chain: calls "chain" on the first id with the rest of the list
//     and replies with the answer's first byte plus one (0 when the list
//     is empty); the callback checks that the state the method left
//     (global and memory) is still there.
//   - get_first: calls the query "get" of the first id and replies with
//     its answer; a reject is answered with 0xee and the reject code.
//   - bad_callback: calls "get" of the first id; the reply callback
//     calls certified_data_set, which a composite query callback may
//     not; the cleanup reads the argument, which a cleanup may not
//     either.
//   - nocall: replies 42 after changing its state.
const cqWAT = `(module
  (import "ic0" "call_new" (func $call_new (param PTR PTR PTR PTR PTR PTR PTR PTR)))
  (import "ic0" "call_data_append" (func $call_data (param PTR PTR)))
  (import "ic0" "call_on_cleanup" (func $call_cleanup (param PTR PTR)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result PTR)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param PTR PTR PTR)))
  (import "ic0" "msg_reject_code" (func $reject_code (result i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param PTR PTR)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "certified_data_set" (func $cert (param PTR PTR)))
  MEMORY
  (table 5 funcref)
  (elem (i32.const 0) $chain_reply $passthrough $on_reject $bad_reply $log_reply)
  (global $count (mut i32) (i32.const 0))
  (global $mark (mut i32) (i32.const 0))
  (data (PTR.const 1000) "chainget")
  (func $load_arg (call $arg_copy (PTR.const 2000) (PTR.const 0) (call $arg_size)))
  ;; call method (name at 1000+name_off, name_len) on the first id of the
  ;; argument, passing the rest of the list.
  (func $call_first (param $name_off PTR) (param $name_len PTR) (param $reply_fun PTR)
    (call $call_new (PTR.const 2000) (PTR.const 10) (PTR.add (PTR.const 1000) (local.get $name_off)) (local.get $name_len)
      (local.get $reply_fun) (PTR.const 0) (PTR.const 2) (PTR.const 0))
    (call $call_data (PTR.const 2010) (PTR.sub (call $arg_size) (PTR.const 10)))
    (drop (call $call_perform)))
  (func (export "canister_composite_query chain")
    (global.set $mark (i32.const 7))
    (i32.store8 (PTR.const 500) (i32.const 7))
    (if (PTR.eqz (call $arg_size)) (then
      (i32.store8 (PTR.const 0) (i32.const 0))
      (call $append (PTR.const 0) (PTR.const 1))
      (call $reply)
      (return)))
    (call $load_arg)
    (call $call_first (PTR.const 0) (PTR.const 5) (PTR.const 0)))
  (func $chain_reply (param $env PTR)
    (if (i32.ne (global.get $mark) (i32.const 7)) (then unreachable))
    (if (i32.ne (i32.load8_u (PTR.const 500)) (i32.const 7)) (then unreachable))
    (call $arg_copy (PTR.const 0) (PTR.const 0) (PTR.const 1))
    (i32.store8 (PTR.const 0) (i32.add (i32.load8_u (PTR.const 0)) (i32.const 1)))
    (call $append (PTR.const 0) (PTR.const 1))
    (call $reply))
  (func (export "canister_composite_query get_first")
    (call $load_arg)
    (call $call_first (PTR.const 5) (PTR.const 3) (PTR.const 1)))
  (func $passthrough (param $env PTR)
    (call $arg_copy (PTR.const 0) (PTR.const 0) (call $arg_size))
    (call $append (PTR.const 0) (call $arg_size))
    (call $reply))
  (func $on_reject (param $env PTR)
    (i32.store8 (PTR.const 0) (i32.const 0xee))
    (i32.store8 (PTR.const 1) (call $reject_code))
    (call $append (PTR.const 0) (PTR.const 2))
    (call $reply))
  (func (export "canister_composite_query bad_callback")
    (call $load_arg)
    (call $call_new (PTR.const 2000) (PTR.const 10) (PTR.const 1005) (PTR.const 3)
      (PTR.const 3) (PTR.const 0) (PTR.const 2) (PTR.const 0))
    (call $call_cleanup (PTR.const 1) (PTR.const 0))
    (drop (call $call_perform)))
  (func $bad_reply (param $env PTR)
    (global.set $mark (i32.const 9))
    (call $cert (PTR.const 0) (PTR.const 1)))
  (func (export "canister_composite_query two")
    (call $load_arg)
    (call $call_new (PTR.const 2000) (PTR.const 10) (PTR.const 1005) (PTR.const 3)
      (PTR.const 4) (PTR.const 1) (PTR.const 2) (PTR.const 0))
    (drop (call $call_perform))
    (call $call_new (PTR.const 2010) (PTR.const 10) (PTR.const 1005) (PTR.const 3)
      (PTR.const 4) (PTR.const 2) (PTR.const 2) (PTR.const 0))
    (drop (call $call_perform)))
  (func $log_reply (param $env PTR)
    (i32.store8 (PTR.add (PTR.const 600) (EXTEND (global.get $count))) (WRAP (local.get $env)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (if (i32.eq (global.get $count) (i32.const 2)) (then
      (call $append (PTR.const 600) (PTR.const 2))
      (call $reply))))
  (func (export "canister_composite_query nocall")
    (global.set $mark (i32.const 1))
    (i32.store8 (PTR.const 0) (i32.const 42))
    (call $append (PTR.const 0) (PTR.const 1))
    (call $reply))
)`

// peers is a subnet's canisters for composite queries.
type peers []*Canister

func (ps peers) QueryCanister(id principal.Principal) *Canister {
	for _, c := range ps {
		if c.ID() == id {
			return c
		}
	}
	return nil
}

func ids(cs ...*Canister) []byte {
	var b []byte
	for _, c := range cs {
		b = append(b, c.ID().Bytes()...)
	}
	return b
}

func TestCompositeQuery(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			src := replacePtrAdd(cqWAT, wasm64)
			ptr := "i32"
			if wasm64 {
				ptr = "i64"
			}
			src = strings.ReplaceAll(src, "PTR.sub", ptr+".sub")
			src = strings.ReplaceAll(src, "PTR.eqz", ptr+".eqz")
			src = strings.ReplaceAll(src, "EXTEND", map[bool]string{false: "i32.add (i32.const 0)", true: "i64.extend_i32_u"}[wasm64])
			src = strings.ReplaceAll(src, "WRAP", map[bool]string{false: "i32.add (i32.const 0)", true: "i32.wrap_i64"}[wasm64])
			module := wat(t, src, wasm64)
			var set peers
			for i := uint64(0); i < 8; i++ {
				c := newCanisterAt(t, Config{}, 20+i)
				install(t, c, module)
				set = append(set, c)
			}
			counter := newCanisterAt(t, Config{}, 40)
			install(t, counter, wat(t, counterWAT, wasm64))
			counter.Update(Message{Method: "inc"})
			counter.Update(Message{Method: "inc"})
			set = append(set, counter)
			hashes := map[*Canister][32]byte{}
			for _, c := range set {
				hashes[c] = c.StateHash()
			}
			a := set[0]
			a.Checkpoint()

			// A composite query without calls.
			if r := a.CompositeQuery(Message{Method: "nocall"}, set); !r.Replied || !bytes.Equal(r.Reply, []byte{42}) {
				t.Fatalf("nocall: %+v", r)
			}
			// A query of another canister.
			if r := a.CompositeQuery(Message{Method: "get_first", Arg: ids(counter)}, set); !r.Replied || u64(r.Reply) != 2 {
				t.Fatalf("get_first: %+v", r)
			}
			// Two calls run the last made first.
			if r := a.CompositeQuery(Message{Method: "two", Arg: ids(counter, counter)}, set); !r.Replied || !bytes.Equal(r.Reply, []byte{2, 1}) {
				t.Fatalf("two: %+v", r)
			}
			// A chain of composite queries over five canisters (depth 5).
			r := a.CompositeQuery(Message{Method: "chain", Arg: ids(set[1], set[2], set[3], set[4])}, set)
			if !r.Replied || !bytes.Equal(r.Reply, []byte{4}) {
				t.Fatalf("chain of 5: %+v", r)
			}
			// Six canisters is the limit; seven is too deep.
			r = a.CompositeQuery(Message{Method: "chain", Arg: ids(set[1], set[2], set[3], set[4], set[5])}, set)
			if !r.Replied || !bytes.Equal(r.Reply, []byte{5}) {
				t.Fatalf("chain of 6: %+v", r)
			}
			r = a.CompositeQuery(Message{Method: "chain", Arg: ids(set[1], set[2], set[3], set[4], set[5], set[6])}, set)
			if r.Replied || r.RejectCode != RejectCanisterError || !strings.Contains(r.RejectMessage, "deeper") {
				t.Fatalf("chain of 7: %+v", r)
			}
			// A loop ends the query.
			r = a.CompositeQuery(Message{Method: "chain", Arg: ids(set[1], a)}, set)
			if r.Replied || !strings.Contains(r.RejectMessage, "loop") {
				t.Fatalf("loop: %+v", r)
			}
			// Calling a missing canister or method is a reject the
			// callback sees.
			r = a.CompositeQuery(Message{Method: "get_first", Arg: principal.FromCanisterIndex(99).Bytes()}, set)
			if !r.Replied || !bytes.Equal(r.Reply, []byte{0xee, RejectDestinationInvalid}) {
				t.Fatalf("missing canister: %+v", r)
			}
			r = a.CompositeQuery(Message{Method: "chain", Arg: ids(counter)}, set)
			if !r.Replied || !bytes.Equal(r.Reply, []byte{0xee, RejectDestinationInvalid}) {
				t.Fatalf("missing method: %+v", r)
			}
			// A callback that breaks the context rules traps; its cleanup
			// runs; the query did not reply.
			r = a.CompositeQuery(Message{Method: "bad_callback", Arg: ids(counter)}, set)
			if r.Replied || r.RejectCode != RejectCanisterError || !strings.Contains(r.RejectMessage, "certified_data_set") {
				t.Fatalf("bad_callback: %+v", r)
			}
			// Too little fuel for the graph.
			small := newCanisterAt(t, Config{CompositeQueryLimit: CompositeQueryCallCost + 1000}, 50)
			install(t, small, module)
			r = small.CompositeQuery(Message{Method: "chain", Arg: ids(set[1], set[2])}, set)
			if r.Replied || !strings.Contains(r.RejectMessage, "instructions") {
				t.Fatalf("out of instructions: %+v", r)
			}
			// Nothing changed anywhere.
			for _, c := range set {
				if c.StateHash() != hashes[c] {
					t.Fatalf("canister %s changed", c.ID())
				}
			}
			if cp := a.Checkpoint(); len(cp.MemoryPages) != 0 {
				t.Fatalf("composite queries left %d dirty pages", len(cp.MemoryPages))
			}
		})
	}
}

// TestCompositeQueryGrowsMemory grows the memory within a composite
// query and its callback (one that replies and one that traps after
// growing it again): the growth is seen by the callback and undone at
// the end.
func TestCompositeQueryGrowsMemory(t *testing.T) {
	src := `(module
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $ok $bad)
  (data (i32.const 1000) "get")
  (func $ask (param $fun i32)
    (drop (memory.grow (i32.const 1)))
    (i32.store8 (i32.const 70000) (i32.const 9))
    (call $arg_copy (i32.const 2000) (i32.const 0) (i32.const 10))
    (call $call_new (i32.const 2000) (i32.const 10) (i32.const 1000) (i32.const 3)
      (local.get $fun) (i32.const 0) (local.get $fun) (i32.const 0))
    (drop (call $call_perform)))
  (func (export "canister_composite_query ok") (call $ask (i32.const 0)))
  (func (export "canister_composite_query bad") (call $ask (i32.const 1)))
  (func $ok (param i32)
    (if (i32.ne (i32.load8_u (i32.const 70000)) (i32.const 9)) (then unreachable))
    (i32.store (i32.const 0) (memory.size))
    (call $append (i32.const 0) (i32.const 4))
    (call $reply))
  (func $bad (param i32)
    (drop (memory.grow (i32.const 1)))
    (i32.store8 (i32.const 140000) (i32.const 1))
    unreachable))`
	a := newCanisterAt(t, Config{}, 70)
	install(t, a, wat(t, src, false))
	counter := newCanisterAt(t, Config{}, 71)
	install(t, counter, wat(t, counterWAT, false))
	a.Checkpoint()
	h := a.StateHash()
	set := peers{a, counter}
	if r := a.CompositeQuery(Message{Method: "ok", Arg: counter.ID().Bytes()}, set); !r.Replied || binary.LittleEndian.Uint32(r.Reply) != 2 {
		t.Fatalf("ok: %+v", r)
	}
	if a.StateHash() != h {
		t.Fatal("ok changed the state")
	}
	if r := a.CompositeQuery(Message{Method: "bad", Arg: counter.ID().Bytes()}, set); r.Trap == nil {
		t.Fatalf("bad: %+v", r)
	}
	if a.StateHash() != h || len(a.State().Memory) != wasmPage {
		t.Fatal("bad changed the state")
	}
	if r := a.CompositeQuery(Message{Method: "ok", Arg: counter.ID().Bytes()}, set); !r.Replied || binary.LittleEndian.Uint32(r.Reply) != 2 {
		t.Fatalf("ok after bad: %+v", r)
	}
	if cp := a.Checkpoint(); len(cp.MemoryPages) != 0 || cp.MemorySize != wasmPage {
		t.Fatalf("checkpoint after the queries: %d pages, size %d", len(cp.MemoryPages), cp.MemorySize)
	}
}
