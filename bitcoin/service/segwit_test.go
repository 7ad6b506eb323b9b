package service_test

import (
	"context"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
)

// TestBtcdSegwitTaproot mines past btcd v0.24's SegWit and Taproot
// activation (BIP9 on regtest, Taproot not before height 600), then spends
// P2WPKH and P2TR (key path) outputs with witness transactions sent through
// the adapter, and checks that the canister indexes and prices them.
func TestBtcdSegwitTaproot(t *testing.T) {
	skipShort(t)
	miner := btcdtest.NewKey(1)
	node := btcdtest.Start(t, miner)
	node.Generate(t, 650)
	info, err := node.RPC.GetBlockChainInfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range []string{"segwit", "taproot"} {
		if d, ok := info.SoftForks.Bip9SoftForks[dep]; ok && d.Status != "active" {
			t.Fatalf("%s is %s at height 650", dep, d.Status)
		}
	}
	e := newEnv(t, 6, node.P2PAddr)
	ctx := context.Background()

	k := regtest.NewKey(5)
	pk := k.Priv.PubKey()
	wpkh, _ := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pk.SerializeCompressed()), regtest.Params)
	tr, _ := btcutil.NewAddressTaproot(txscript.ComputeTaprootKeyNoScript(pk).SerializeCompressed()[1:], regtest.Params)
	wpkhScript, _ := txscript.PayToAddrScript(wpkh)
	trScript, _ := txscript.PayToAddrScript(tr)

	// Fund both from block 1's coinbase.
	h1, _ := node.RPC.GetBlockHash(1)
	b1, err := node.RPC.GetBlock(h1)
	if err != nil {
		t.Fatal(err)
	}
	minerKey := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	minerKey.Script, _ = txscript.PayToAddrScript(miner.Addr)
	fund, err := regtest.SpendP2PKH(minerKey, []wire.OutPoint{{Hash: b1.Transactions[0].TxHash()}},
		[]regtest.Output{{Script: wpkhScript, Value: 20e8}, {Script: trScript, Value: 29e8}})
	if err != nil {
		t.Fatal(err)
	}
	send := func(tx *wire.MsgTx) {
		t.Helper()
		if _, err := e.bitcoin.SendTransaction(ctx, &bpb.SendTransactionRequest{Network: bpb.Network_NETWORK_REGTEST, Transaction: regtest.TxBytes(tx)}); err != nil {
			t.Fatal(err)
		}
		txid := tx.TxHash()
		waitFor(t, "mempool acceptance", func() bool {
			pool, _ := node.RPC.GetRawMempool()
			for _, h := range pool {
				if *h == txid {
					return true
				}
			}
			return false
		})
	}
	send(fund)
	e.syncTo(t, node.Generate(t, 1)[0])
	balOf := func(a btcutil.Address) uint64 {
		r, err := e.bitcoin.GetBalance(ctx, &bpb.GetBalanceRequest{Network: bpb.Network_NETWORK_REGTEST, Address: a.EncodeAddress()})
		if err != nil {
			t.Fatal(err)
		}
		return r.Balance
	}
	if balOf(wpkh) != 20e8 || balOf(tr) != 29e8 {
		t.Fatalf("funded: %d %d", balOf(wpkh), balOf(tr))
	}

	// Spend both with witnesses: P2WPKH (BIP143) and P2TR key path (BIP341).
	fid := fund.TxHash()
	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: fid, Index: 0}, nil, nil))
	spend.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: fid, Index: 1}, nil, nil))
	const fee = 7_000
	spend.AddTxOut(wire.NewTxOut(49e8-fee, k.Script))
	prev := txscript.NewMultiPrevOutFetcher(map[wire.OutPoint]*wire.TxOut{
		{Hash: fid, Index: 0}: fund.TxOut[0], {Hash: fid, Index: 1}: fund.TxOut[1],
	})
	hashes := txscript.NewTxSigHashes(spend, prev)
	spend.TxIn[0].Witness, err = txscript.WitnessSignature(spend, hashes, 0, 20e8, wpkhScript, txscript.SigHashAll, k.Priv, true)
	if err != nil {
		t.Fatal(err)
	}
	spend.TxIn[1].Witness, err = txscript.TaprootWitnessSignature(spend, hashes, 1, 29e8, trScript, txscript.SigHashDefault, k.Priv)
	if err != nil {
		t.Fatal(err)
	}
	send(spend)
	e.syncTo(t, node.Generate(t, 1)[0])
	if balOf(wpkh) != 0 || balOf(tr) != 0 || balOf(k.Addr) != 49e8-fee {
		t.Fatalf("after spend: %d %d %d", balOf(wpkh), balOf(tr), balOf(k.Addr))
	}
	// The fee rate uses virtual size (witness bytes count a quarter).
	fees, err := e.bitcoin.GetCurrentFeePercentiles(ctx, &bpb.GetCurrentFeePercentilesRequest{Network: bpb.Network_NETWORK_REGTEST})
	if err != nil {
		t.Fatal(err)
	}
	weight := spend.SerializeSizeStripped()*3 + spend.SerializeSize()
	vsize := uint64((weight + 3) / 4)
	// Two transactions on the unstable chain: the spend (cheaper) and the
	// funding one (1 BTC of fee, no change).
	if got := fees.MillisatoshiPerVbyte[0]; got != fee*1000/vsize {
		t.Fatalf("p0 = %d, want %d (vsize %d)", got, fee*1000/vsize, vsize)
	}
	fundVsize := uint64(fund.SerializeSize())
	if got := fees.MillisatoshiPerVbyte[100]; got != 1e8*1000/fundVsize {
		t.Fatalf("p100 = %d, want %d", got, 1e8*1000/fundVsize)
	}
}
