package replica

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/ckbtc"
	"github.com/chainkey/chainkey/ckbtc/client"
	"github.com/chainkey/chainkey/ingress"
)

// TestCkBTCReorg: a deposit seen with 2 of the 3 required confirmations
// is taken out of the chain by a reorganisation (a longer branch that
// spends the deposit's input elsewhere); update_balance then reports no
// pending deposit, mints nothing, and still nothing after more blocks.
func TestCkBTCReorg(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs btcd and a 4-node subnet")
	}
	miner := btcdtest.NewKey(6)
	btcd := btcdtest.Start(t, miner)
	target := startTestAdapter(t, btcd.P2PAddr)
	btcd.Generate(t, 450)

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	const minConf = 3
	bc := &BitcoinConfig{Network: "regtest", Adapter: target, StabilityThreshold: 3,
		CkBTC: &CkBTCConfig{MinConfirmations: minConf, CheckFee: 100}}
	s, err := StartLocalSubnetWith(ctx, t.TempDir(), 4, nil, LocalOptions{
		TimeoutCommitMS: 50, PresignatureTarget: 2, Logger: testLogger(t), Bitcoin: bc,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	alice, aliceID := ckbtcClient(t, ctx, s.Nodes()[0])
	var addr string
	waitUntil(t, ctx, "the minter's deposit address", func() bool {
		addr, err = alice.Address(ctx, nil, nil)
		return err == nil
	})
	dest, _ := btcutil.DecodeAddress(addr, regtest.Params)
	depScript, _ := txscript.PayToAddrScript(dest)

	// The fork point: btcd's tip before the deposit.
	forkHash, err := btcd.RPC.GetBestBlockHash()
	if err != nil {
		t.Fatal(err)
	}
	forkHdr, err := btcd.RPC.GetBlockHeader(forkHash)
	if err != nil {
		t.Fatal(err)
	}
	forkHeight := int32(btcd.Height(t))

	mk := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	mk.Script, _ = txscript.PayToAddrScript(miner.Addr)
	h1, _ := btcd.RPC.GetBlockHash(1)
	b1, err := btcd.RPC.GetBlock(h1)
	if err != nil {
		t.Fatal(err)
	}
	cb := b1.Transactions[0]
	pay, err := regtest.SpendP2PKH(mk, []wire.OutPoint{{Hash: cb.TxHash()}},
		[]regtest.Output{{Script: depScript, Value: 1e8}, {Script: mk.Script, Value: cb.TxOut[0].Value - 1e8 - 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := btcd.RPC.SendRawTransaction(pay, false); err != nil {
		t.Fatal(err)
	}
	btcd.Generate(t, minConf-1)
	pending := func() (n int, conf uint32) {
		_, err := alice.UpdateBalance(ctx, nil, nil)
		var ub *ckbtc.UpdateBalanceError
		if !errors.As(err, &ub) || ub.NoNewUtxos == nil {
			t.Fatalf("update_balance: %v (minted?)", err)
		}
		if p := ub.NoNewUtxos.PendingUtxos; p != nil && len(*p) > 0 {
			return len(*p), (*p)[0].Confirmations
		}
		return 0, 0
	}
	waitUntil(t, ctx, "the deposit pending with 2 confirmations", func() bool {
		n, c := pending()
		return n == 1 && c == minConf-1
	})

	// A longer branch from the fork point whose first block spends the
	// deposit's input back to the miner.
	conflict, err := regtest.SpendP2PKH(mk, []wire.OutPoint{{Hash: cb.TxHash()}},
		[]regtest.Output{{Script: mk.Script, Value: cb.TxOut[0].Value - 20_000}})
	if err != nil {
		t.Fatal(err)
	}
	branch := &regtest.Chain{Tip: *forkHdr, Height: forkHeight, Time: forkHdr.Timestamp.Add(time.Second)}
	other := regtest.NewKey(55).Script
	for i := range minConf + 1 {
		subsidy := blockchain.CalcBlockSubsidy(branch.Height+1, regtest.Params)
		var txs []*wire.MsgTx
		if i == 0 {
			txs = append(txs, conflict)
			subsidy += 20_000 - 10_000 // the conflict's fee
		}
		blk := branch.Next(other, subsidy, txs...)
		if err := btcd.RPC.SubmitBlock(btcutil.NewBlock(blk), nil); err != nil {
			t.Fatalf("submit branch block %d: %v", i, err)
		}
	}
	best, _ := btcd.RPC.GetBestBlockHash()
	if *best != branch.Tip.BlockHash() {
		t.Fatalf("btcd did not switch to the longer branch")
	}
	waitUntil(t, ctx, "the subnet to follow the reorganisation", func() bool {
		n, _ := pending()
		return n == 0
	})
	btcd.Generate(t, minConf+1)
	want := uint32(forkHeight) + 2*(minConf+1)
	waitUntil(t, ctx, "the subnet to take the new blocks", func() bool {
		_, tip, _ := s.Nodes()[0].BitcoinStateHash()
		return tip == want
	})
	if n, _ := pending(); n != 0 {
		t.Fatalf("%d deposits pending after the reorganisation", n)
	}
	if b, err := alice.Balance(ctx, client.Account{Owner: ingress.Sender(aliceID)}); err != nil || b != 0 {
		t.Fatalf("balance %d after the reorganisation: %v", b, err)
	}
}
