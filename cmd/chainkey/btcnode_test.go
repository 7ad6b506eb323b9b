package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"

	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	apb "github.com/chainkey/chainkey/proto/btcservicepb"
	"github.com/chainkey/chainkey/replica"
)

func TestInitBitcoinFlags(t *testing.T) {
	out := filepath.Join(t.TempDir(), "subnet")
	if _, err := runCLI(t, "init", "--nodes", "4", "--out", out,
		"--bitcoin-adapter", "unix:///run/chainkey/btc-adapter.sock", "--bitcoin-network", "regtest", "--bitcoin-stability-threshold", "6"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		c, err := replica.LoadConfig(filepath.Join(out, fmt.Sprintf("node%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		want := replica.BitcoinConfig{Network: "regtest", Adapter: "unix:///run/chainkey/btc-adapter.sock", StabilityThreshold: 6}
		if c.Bitcoin == nil || *c.Bitcoin != want {
			t.Fatalf("node %d bitcoin config %+v", i, c.Bitcoin)
		}
	}
	plain := filepath.Join(t.TempDir(), "plain")
	if _, err := runCLI(t, "init", "--nodes", "4", "--out", plain); err != nil {
		t.Fatal(err)
	}
	if c, err := replica.LoadConfig(filepath.Join(plain, "node0")); err != nil || c.Bitcoin != nil {
		t.Fatalf("init without --bitcoin-* flags wrote %+v (%v)", c.Bitcoin, err)
	}
	if _, err := runCLI(t, "node", "--home", filepath.Join(plain, "node0"), "--bitcoin-network", "dogecoin"); err == nil || !strings.Contains(err.Error(), "dogecoin") {
		t.Fatalf("node with an unknown network: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if _, err := runCLI(t, "init", "--nodes", "4", "--out", bad, "--bitcoin-adapter", "127.0.0.1:1", "--bitcoin-network", "dogecoin"); err == nil || !strings.Contains(err.Error(), "dogecoin") {
		t.Fatalf("unknown network: %v", err)
	}
}

// startUpArgs runs `chainkey up --json` with extra flags in-process.
func startUpArgs(t *testing.T, args ...string) (upInfo, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	root := newRootCmd()
	root.SetOut(pw)
	root.SetErr(io.Discard)
	root.SetArgs(append([]string{"up", "--json"}, args...))
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.CloseWithError(fmt.Errorf("up exited: %v", err))
		done <- err
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, pr)
	}()
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second):
			return fmt.Errorf("up did not stop within 60s")
		}
	}
	var info upInfo
	select {
	case line, ok := <-lines:
		if !ok || json.Unmarshal([]byte(line), &info) != nil || len(info.GRPC) == 0 {
			stop()
			t.Fatalf("up printed %q", line)
		}
	case <-time.After(2 * time.Minute):
		stop()
		t.Fatal("up not ready within 2 minutes")
	}
	return info, stop
}

// TestUpBitcoinEndToEnd: `chainkey up --bitcoin-adapter` with a real btcd
// regtest node and an adapter; `chainkey btc` against the nodes' gRPC
// endpoints shows the mined coins and sends a transaction btcd mines.
func TestUpBitcoinEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs btcd and a 4-node subnet")
	}
	miner := btcdtest.NewKey(3)
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

	const mined = 105
	btcd.Generate(t, mined)
	info, stop := startUpArgs(t, "--nodes", "4", "--home", t.TempDir(),
		"--bitcoin-adapter", l.Addr().String(), "--bitcoin-network", "regtest", "--bitcoin-stability-threshold", "3")
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()

	addr := miner.Addr.EncodeAddress()
	var utxos btcUtxosOutput
	deadline := time.Now().Add(60 * time.Second)
	for _, ep := range info.GRPC {
		for {
			cliJSON(t, &utxos, "btc", "utxos", "--endpoint", ep, "--network", "regtest", "--address", addr)
			if utxos.TipHeight == mined {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s at Bitcoin height %d, want %d", ep, utxos.TipHeight, mined)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	best, _ := btcd.RPC.GetBestBlockHash()
	if len(utxos.Utxos) != mined || utxos.TipBlockHash != best.String() {
		t.Fatalf("%d utxos, tip %s (btcd %s)", len(utxos.Utxos), utxos.TipBlockHash, best)
	}
	var bal map[string]uint64
	cliJSON(t, &bal, "btc", "balance", "--endpoint", info.GRPC[1], "--network", "regtest", "--address", addr)
	if bal["balance"] != mined*50e8 {
		t.Fatalf("balance %v", bal)
	}
	if _, err := runCLI(t, "btc", "balance", "--endpoint", info.GRPC[0], "--network", "mainnet", "--address", addr); err == nil {
		t.Fatal("mainnet query accepted by a regtest subnet")
	}

	// Spend the oldest coinbase through a node.
	var spend btcUtxo
	for _, u := range utxos.Utxos {
		if u.Height == 1 {
			spend = u
		}
	}
	txid, err := chainhash.NewHashFromStr(spend.Txid)
	if err != nil {
		t.Fatal(err)
	}
	key := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	key.Script, _ = txscript.PayToAddrScript(miner.Addr)
	payee := regtest.NewKey(5)
	tx, err := regtest.SpendP2PKH(key, []wire.OutPoint{{Hash: *txid, Index: spend.Vout}}, []regtest.Output{{Script: payee.Script, Value: int64(spend.Value) - 20_000}})
	if err != nil {
		t.Fatal(err)
	}
	var sent map[string]string
	cliJSON(t, &sent, "btc", "send", "--endpoint", info.GRPC[2], "--network", "regtest", "--tx", hex.EncodeToString(regtest.TxBytes(tx)))
	if sent["txid"] != tx.TxHash().String() {
		t.Fatalf("send printed %v", sent)
	}
	for !inMempool(btcd, tx.TxHash()) {
		if time.Now().After(deadline) {
			t.Fatal("btcd did not receive the transaction")
		}
		time.Sleep(50 * time.Millisecond)
	}
	btcd.Generate(t, 1)
	for {
		cliJSON(t, &utxos, "btc", "utxos", "--endpoint", info.GRPC[3], "--network", "regtest", "--address", payee.Addr.EncodeAddress())
		if len(utxos.Utxos) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("payee utxos %+v", utxos)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if u := utxos.Utxos[0]; u.Txid != tx.TxHash().String() || u.Height != mined+1 || u.Value != spend.Value-20_000 {
		t.Fatalf("payee utxo %+v", u)
	}
}

func inMempool(n *btcdtest.Node, id chainhash.Hash) bool {
	pool, err := n.RPC.GetRawMempool()
	if err != nil {
		return false
	}
	for _, h := range pool {
		if *h == id {
			return true
		}
	}
	return false
}
