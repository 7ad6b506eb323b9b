package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"

	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/ckbtc"
	"github.com/chainkey/chainkey/ingress"
	apb "github.com/chainkey/chainkey/proto/btcservicepb"
	"github.com/chainkey/chainkey/replica"
)

// TestUpCkBTCEndToEnd walks the README's ckBTC flow with the CLI:
// `chainkey up` with a real btcd regtest node and an adapter, then
// `chainkey ckbtc address`, a deposit mined by btcd, `update-balance`,
// `balance`, `transfer`, `withdraw` and `status`, all through the nodes'
// IC HTTP interface; btcd receives the withdrawal.
func TestUpCkBTCEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs btcd and a 4-node subnet")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	miner := btcdtest.NewKey(4)
	btcd := btcdtest.Start(t, miner)
	ad, err := adapter.New(adapter.Config{Network: chain.Regtest, Peers: []string{btcd.P2PAddr}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BlockTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	actx, acancel := context.WithCancel(context.Background())
	adDone := make(chan struct{})
	go func() { _ = ad.Run(actx); close(adDone) }()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	apb.RegisterBtcServiceServer(srv, adapter.NewServer(ad))
	go func() { _ = srv.Serve(l) }()
	defer func() { srv.Stop(); acancel(); <-adDone; ad.Close() }()
	btcd.Generate(t, 450) // past btcd's SegWit activation on regtest

	home := t.TempDir()
	_, stop := startUpArgs(t, "--nodes", "4", "--home", home,
		"--bitcoin-adapter", l.Addr().String(), "--bitcoin-network", "regtest", "--bitcoin-stability-threshold", "3")
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	up, ok := runningLocalSubnet(home)
	if !ok || len(up.HTTP) != 4 {
		t.Fatalf("local subnet %+v", up)
	}
	ids := replica.SubnetCkBTCIDs()
	if up.Canisters["ckbtc_ledger"] != ids.Ledger.String() || up.Canisters["ckbtc_minter"] != ids.Minter.String() ||
		up.Canisters["bitcoin"] != ids.Bitcoin.String() {
		t.Fatalf("up lists canisters %v", up.Canisters)
	}

	newID := func(name string) (string, ingress.Signer) {
		k, err := ingress.GenerateEd25519()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), name+".pem")
		if err := os.WriteFile(p, ingress.MarshalEd25519PEM(k), 0o600); err != nil {
			t.Fatal(err)
		}
		return p, k
	}
	alicePEM, _ := newID("alice")
	bobPEM, bobKey := newID("bob")
	ck := func(v any, pem string, node int, args ...string) {
		t.Helper()
		cliJSON(t, v, append(append([]string{"ckbtc"}, args...), "--identity", pem, "--endpoint", up.HTTP[node])...)
	}
	deadline := time.Now().Add(3 * time.Minute)
	wait := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	var addrOut map[string]string
	wait("the minter", func() bool {
		out, err := runCLI(t, "ckbtc", "address", "--identity", alicePEM, "--endpoint", up.HTTP[0])
		return err == nil && len(out) > 0
	})
	ck(&addrOut, alicePEM, 0, "address")
	dest, err := btcutil.DecodeAddress(addrOut["address"], regtest.Params)
	if err != nil {
		t.Fatalf("address %v: %v", addrOut, err)
	}
	depScript, _ := txscript.PayToAddrScript(dest)
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
	btcd.Generate(t, 3) // the minimum confirmations: the stability threshold
	var ub struct {
		Minted []utxoJSON `json:"minted"`
	}
	wait("update-balance to mint", func() bool {
		ck(&ub, alicePEM, 1, "update-balance")
		return len(ub.Minted) > 0
	})
	if m := ub.Minted[0]; m.Status != "Minted" || m.MintedAmount == nil || *m.MintedAmount != 1e8-ckbtc.DefaultCheckFee ||
		m.Txid != pay.TxHash().String() || m.Value != 1e8 {
		t.Fatalf("update-balance %+v", ub)
	}
	var bal struct {
		Balance uint64 `json:"balance"`
	}
	ck(&bal, alicePEM, 2, "balance")
	if bal.Balance != 1e8-ckbtc.DefaultCheckFee {
		t.Fatalf("balance %d", bal.Balance)
	}
	bob := ingress.Sender(bobKey)
	var tr map[string]any
	ck(&tr, alicePEM, 3, "transfer", bob.String(), "40000000")
	ck(&bal, alicePEM, 0, "balance", "--owner", bob.String())
	if bal.Balance != 40_000_000 {
		t.Fatalf("bob's balance %d", bal.Balance)
	}

	payee := regtest.NewKey(78)
	var w struct {
		BlockIndex uint64 `json:"block_index"`
	}
	ck(&w, bobPEM, 1, "withdraw", payee.Addr.EncodeAddress(), "30000000")
	var st map[string]any
	wait("the withdrawal submitted", func() bool {
		ck(&st, bobPEM, 2, "status", itoa(w.BlockIndex))
		return st["status"] == "Submitted"
	})
	h, err := chainhash.NewHashFromStr(st["txid"].(string))
	if err != nil {
		t.Fatal(err)
	}
	var tx *btcutil.Tx
	wait("btcd's mempool to have the withdrawal", func() bool {
		tx, err = btcd.RPC.GetRawTransaction(h)
		return err == nil
	})
	out := tx.MsgTx().TxOut[0]
	if !bytes.Equal(out.PkScript, payee.Script) || out.Value >= 30_000_000 || out.Value < 30_000_000-20_000 {
		t.Fatalf("destination output %d to %x", out.Value, out.PkScript)
	}
	btcd.Generate(t, 3) // the minimum confirmations: the stability threshold
	wait("the withdrawal confirmed", func() bool {
		ck(&st, bobPEM, 3, "status", itoa(w.BlockIndex))
		return st["status"] == "Confirmed"
	})
	ck(&bal, bobPEM, 0, "balance")
	if bal.Balance != 40_000_000-30_000_000-10 {
		t.Fatalf("bob's balance %d after the withdrawal", bal.Balance)
	}
}

func itoa(v uint64) string { return new(big.Int).SetUint64(v).String() }
