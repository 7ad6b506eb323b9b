package execution_test

import (
	"encoding/binary"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

func Example() {
	wasm, err := wasmtime.Wat2Wasm(`(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory (export "memory") 1)
  (global $n (mut i64) (i64.const 0))
  (func (export "canister_update inc")
    (global.set $n (i64.add (global.get $n) (i64.const 1)))
    (i64.store (i32.const 0) (global.get $n))
    (call $append (i32.const 0) (i32.const 8))
    (call $reply)))`)
	if err != nil {
		panic(err)
	}
	cfg := execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{})}
	owner := principal.SelfAuthenticating([]byte("owner"))
	c, err := execution.New(cfg, principal.FromCanisterIndex(1), []principal.Principal{owner}, 0)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if _, err := c.Install(wasm, execution.Message{Caller: owner}); err != nil {
		panic(err)
	}
	for range 2 {
		r := c.Update(execution.Message{Method: "inc", Caller: owner, Time: 1})
		fmt.Println(binary.LittleEndian.Uint64(r.Reply), r.Fuel > 0)
	}
	// Output:
	// 1 true
	// 2 true
}

// The node persists a canister per height as a base state and the pages
// each height changed.
func ExampleCanister_Checkpoint() {
	wasm, err := wasmtime.Wat2Wasm(`(module
  (import "ic0" "msg_reply" (func $reply))
  (memory (export "memory") 16)
  (func (export "canister_update write")
    (i32.store (i32.const 70000) (i32.const 7))
    (call $reply)))`)
	if err != nil {
		panic(err)
	}
	cfg := execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{})}
	c, err := execution.New(cfg, principal.FromCanisterIndex(1), nil, 0)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	if _, err := c.Install(wasm, execution.Message{}); err != nil {
		panic(err)
	}
	base := c.State() // written whole once
	c.Checkpoint()

	c.Update(execution.Message{Method: "write"})
	cp := c.Checkpoint() // the next height: only what changed
	fmt.Println(len(cp.MemoryPages), cp.MemoryPages[0].Index, cp.MemorySize/execution.PageSize)

	// A restarted node: the base state plus the checkpoints.
	if err := base.Apply(cp); err != nil {
		panic(err)
	}
	d, err := execution.Load(cfg, base, nil)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	fmt.Println(d.StateHash() == c.StateHash())
	// Output:
	// 1 17 256
	// true
}

// subnet gives composite queries the canisters of a subnet.
type subnet map[principal.Principal]*execution.Canister

func (s subnet) QueryCanister(id principal.Principal) *execution.Canister { return s[id] }

// A composite query of one canister reads another canister's query.
func ExampleCanister_CompositeQuery() {
	cfg := execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{})}
	install := func(index uint64, wat string) *execution.Canister {
		wasm, err := wasmtime.Wat2Wasm(wat)
		if err != nil {
			panic(err)
		}
		c, err := execution.New(cfg, principal.FromCanisterIndex(index), nil, 0)
		if err != nil {
			panic(err)
		}
		if _, err := c.Install(wasm, execution.Message{}); err != nil {
			panic(err)
		}
		return c
	}
	answer := install(1, `(module
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1) (data (i32.const 0) "42")
  (func (export "canister_query answer") (call $append (i32.const 0) (i32.const 2)) (call $reply)))`)
	defer answer.Close()
	// The asker calls canister 1's "answer" and replies with the reply.
	asker := install(2, `(module
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory 1) (table 1 funcref) (elem (i32.const 0) $on_reply)
  (data (i32.const 100) "answer")
  (data (i32.const 200) `+toWATString(answer.ID().Bytes())+`)
  (func (export "canister_composite_query ask")
    (call $call_new (i32.const 200) (i32.const `+fmt.Sprint(answer.ID().Len())+`) (i32.const 100) (i32.const 6)
      (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (drop (call $call_perform)))
  (func $on_reply (param i32)
    (call $arg_copy (i32.const 0) (i32.const 0) (call $arg_size))
    (call $append (i32.const 0) (call $arg_size))
    (call $reply)))`)
	defer asker.Close()
	peers := subnet{answer.ID(): answer, asker.ID(): asker}
	r := asker.CompositeQuery(execution.Message{Method: "ask"}, peers)
	fmt.Println(string(r.Reply))
	// Output: 42
}

// toWATString encodes bytes as a WAT string literal.
func toWATString(b []byte) string {
	s := `"`
	for _, c := range b {
		s += fmt.Sprintf(`\%02x`, c)
	}
	return s + `"`
}

// The IC's fees for a 4-node subnet: 4/13 of a 13-node subnet's.
func ExampleApplicationSubnetFees() {
	fees := execution.ApplicationSubnetFees(4)
	fmt.Println(fees.Execution(1_000_000, false), fees.Call(5, 100))
	var free execution.Fees // a local subnet's fee scale of 0
	fmt.Println(free.Execution(1_000_000, false))
	// Output:
	// 1846153 112307
	// 0
}
