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
