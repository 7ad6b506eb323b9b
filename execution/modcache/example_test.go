package modcache_test

import (
	"fmt"
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/execution/modcache"
)

func Example() {
	wasm, err := wasmtime.Wat2Wasm(`(module (func (export "canister_update nop")))`)
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "modules")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	for node := 1; node <= 2; node++ {
		c, err := modcache.Open(dir, execution.NewWasmtime(execution.EngineConfig{}))
		if err != nil {
			panic(err)
		}
		if _, _, err := c.Get(wasm); err != nil {
			panic(err)
		}
		fmt.Printf("node %d: compiled %d, loaded %d\n", node, c.Compiled, c.Loaded)
	}
	// Output:
	// node 1: compiled 1, loaded 0
	// node 2: compiled 0, loaded 1
}
