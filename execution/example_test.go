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
