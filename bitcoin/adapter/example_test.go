package adapter_test

import (
	"fmt"

	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/chain"
)

// An adapter that has not synced anything answers GetSuccessors for the
// genesis anchor with no blocks. In production, Run connects it to peers and
// NewServer exposes it as btc_service.v1.BtcService.
func ExampleAdapter_GetSuccessors() {
	a, err := adapter.New(adapter.Config{Network: chain.Regtest})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	res, err := a.GetSuccessors(*chain.Regtest.Params().GenesisHash, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(res.Blocks), len(res.Next))
	// Output: 0 0
}
