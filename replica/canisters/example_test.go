package canisters_test

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
)

// A subnet's canisters, block by block: create a canister, install a
// module and call it. The shell puts each block's messages into one
// transaction and runs a round per block.
func Example() {
	c, err := canisters.New(canisters.Config{Exec: execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{})}})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	store := subnet.NewOverlay(subnet.NewMemStorage())
	user, _ := ingress.GenerateEd25519()
	now := uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	height := uint64(0)
	block := func(msgs ...*canisters.Message) {
		height++
		for _, m := range msgs {
			m.Expiry = now + 60e9
			if err := m.Sign(user); err != nil {
				panic(err)
			}
		}
		if len(msgs) > 0 {
			tx, _ := canisters.EncodeBatch(msgs)
			if err := c.Apply(tx, store); err != nil {
				panic(err)
			}
		}
		if err := c.Round(canisters.RoundInput{Height: height, TimeNS: now}, store); err != nil {
			panic(err)
		}
	}
	wasm, _ := wasmtime.Wat2Wasm(`(module
	  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
	  (import "ic0" "msg_reply" (func $reply))
	  (memory 1)
	  (global $n (mut i64) (i64.const 0))
	  (func (export "canister_update inc")
	    (global.set $n (i64.add (global.get $n) (i64.const 1)))
	    (i64.store (i32.const 0) (global.get $n))
	    (call $append (i32.const 0) (i32.const 8))
	    (call $reply)))`)

	block(&canisters.Message{Kind: canisters.KindCreate})
	id := canisters.CanisterID(0)
	block(&canisters.Message{Kind: canisters.KindInstall, Canister: id.Bytes(), Wasm: wasm})
	inc := &canisters.Message{Kind: canisters.KindCall, Canister: id.Bytes(), Method: "inc", Nonce: []byte{1}}
	block(inc, &canisters.Message{Kind: canisters.KindCall, Canister: id.Bytes(), Method: "inc", Nonce: []byte{2}})
	msgID := inc.ID()
	r := c.Status(msgID[:])
	fmt.Println(id, r.Status, binary.LittleEndian.Uint64(r.Reply))
	// Output: rwlgt-iiaaa-aaaaa-aaaaa-cai replied 1
}
