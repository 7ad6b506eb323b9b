package canisters_test

import (
	"fmt"
	"time"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
)

// A subnet that charges the IC's fees for 13 nodes: a canister is created
// only with at least the creation fee, which is taken from its cycles.
// Config.Modules would give a compile cache (the node gives one on disk,
// execution/modcache); without it the component compiles in memory.
func ExampleConfig_fees() {
	c, err := canisters.New(canisters.Config{Exec: execution.Config{
		Engine: execution.NewWasmtime(execution.EngineConfig{}),
		Fees:   execution.ApplicationSubnetFees(13),
	}})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	store := subnet.NewOverlay(subnet.NewMemStorage())
	user, _ := ingress.GenerateEd25519()
	now := uint64(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	create := func(height, cycles uint64) *canisters.Record {
		m := &canisters.Message{Kind: canisters.KindCreate, Cycles: cycles, Nonce: []byte{byte(height)}, Expiry: now + 60e9}
		if err := m.Sign(user); err != nil {
			panic(err)
		}
		tx, _ := canisters.EncodeBatch([]*canisters.Message{m})
		if err := c.Apply(tx, store); err != nil {
			panic(err)
		}
		if err := c.Round(canisters.RoundInput{Height: height, TimeNS: now}, store); err != nil {
			panic(err)
		}
		id := m.ID()
		return c.Status(id[:])
	}
	r := create(1, 1_000_000)
	fmt.Println(r.Status, r.RejectCode)
	r = create(2, 600_000_000_000)
	can, _ := c.Canister(canisters.CanisterID(0))
	fmt.Println(r.Status, can.State().Cycles)
	// Output:
	// rejected 2
	// replied 100000000000
}
