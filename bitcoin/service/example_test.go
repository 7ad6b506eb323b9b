package service_test

import (
	"context"
	"fmt"
	"time"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/bitcoin/service"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
)

// A node hosts the Bitcoin service over its canister state; blocks arrive
// through Canister.Apply (from a Driver or a consensus payload).
func Example() {
	st, _ := canister.New(canister.Config{Network: chain.Regtest, StabilityThreshold: 6})
	c := service.NewCanister(st, nil)
	key := regtest.NewKey(1)
	b := regtest.NewChain(time.Unix(1_700_000_000, 0)).Next(key.Script, 50e8)
	if err := c.Apply([][]byte{regtest.BlockBytes(b)}, nil); err != nil {
		panic(err)
	}
	srv := service.NewServer(c)
	res, err := srv.GetBalance(context.Background(), &bpb.GetBalanceRequest{
		Network: bpb.Network_NETWORK_REGTEST, Address: key.Addr.EncodeAddress()})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Balance)
	// Output: 5000000000
}
