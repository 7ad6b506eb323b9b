package gethtest

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestDevNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds (once) and runs geth --dev")
	}
	n := Start(t)
	ctx := context.Background()
	id, err := n.Client.ChainID(ctx)
	if err != nil || id.Int64() != 1337 {
		t.Fatalf("chain id %v (%v)", id, err)
	}
	to := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	r := n.Fund(t, to, big.NewInt(777))
	if r.BlockNumber.Sign() <= 0 {
		t.Fatalf("mined in block %v", r.BlockNumber)
	}
	if b, err := n.Client.BalanceAt(ctx, to, nil); err != nil || b.Int64() != 777 {
		t.Fatalf("balance %v (%v)", b, err)
	}
}
