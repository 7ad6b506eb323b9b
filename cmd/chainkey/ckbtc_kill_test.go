package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/ckbtc/client"
	"github.com/chainkey/chainkey/ingress"
	apb "github.com/chainkey/chainkey/proto/btcservicepb"
	"github.com/chainkey/chainkey/replica"
)

// TestSIGKILLDuringWithdrawal runs four `chainkey node` processes with
// Bitcoin (btcd regtest, one adapter) and their IC HTTP interfaces,
// mints ckBTC from a deposit, and kills node 3 with SIGKILL right after
// retrieve_btc_with_approval, then restarts it: the withdrawal is paid
// exactly once (one output to the destination in btcd's chain), burned
// exactly once, and the restarted node answers the same balance and
// status as the others. Then two withdrawals in flight survive a kill of
// node 1 while they are signed and of node 2 while they are mined.
func TestSIGKILLDuringWithdrawal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs btcd and a 4-node subnet")
	}
	miner := btcdtest.NewKey(7)
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
	btcd.Generate(t, 450)

	dir := t.TempDir()
	bin := chainkeyBinary(t)
	out, err := exec.Command(bin, "init", "--nodes", "4", "--out", filepath.Join(dir, "subnet"),
		"--bitcoin-adapter", l.Addr().String(), "--bitcoin-network", "regtest", "--bitcoin-stability-threshold", "3").Output()
	if err != nil {
		t.Fatalf("chainkey init: %v", err)
	}
	var ini initOutput
	if err := json.Unmarshal(out, &ini); err != nil || len(ini.Nodes) != 4 {
		t.Fatalf("init printed %q: %v", out, err)
	}
	ports := make([]int, 4)
	procs := make([]*exec.Cmd, 4)
	start := func(i int) {
		logf, err := os.OpenFile(filepath.Join(ini.Nodes[i].Home, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "node", "--home", ini.Nodes[i].Home, "--http", fmt.Sprintf("127.0.0.1:%d", ports[i]))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = cmd
	}
	kill := func(i int) {
		if procs[i] != nil && procs[i].ProcessState == nil {
			_ = procs[i].Process.Kill() // SIGKILL
			_ = procs[i].Wait()
		}
	}
	for i := range ports {
		ports[i] = btcdtest.FreePort(t)
		start(i)
	}
	t.Cleanup(func() {
		for i := range procs {
			kill(i)
		}
		if t.Failed() {
			for _, n := range ini.Nodes {
				b, _ := os.ReadFile(filepath.Join(n.Home, "node.log"))
				t.Logf("%s log tail:\n%s", n.Home, tail(b, 2000))
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	wait := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			if ctx.Err() != nil {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	key, _ := ingress.GenerateEd25519()
	me := client.Account{Owner: ingress.Sender(key)}
	ids := replica.SubnetCkBTCIDs()
	dial := func(i int) *client.Client {
		var a *agent.Agent
		wait(fmt.Sprintf("node %d's HTTP interface", i), func() bool {
			a, err = agent.New(ctx, agent.Config{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", ports[i]), Identity: key})
			return err == nil
		})
		return &client.Client{T: a, Ledger: ids.Ledger, Minter: ids.Minter}
	}
	c0 := dial(0)
	var addr string
	wait("the minter", func() bool {
		addr, err = c0.Address(ctx, nil, nil)
		return err == nil
	})
	dest, _ := btcutil.DecodeAddress(addr, regtest.Params)
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
	btcd.Generate(t, 3)
	wait("the mint", func() bool {
		_, err := c0.UpdateBalance(ctx, nil, nil)
		return err == nil
	})
	before, err := c0.Balance(ctx, me)
	if err != nil {
		t.Fatal(err)
	}
	startHeight := btcd.Height(t)

	// Withdraw through node 0 and kill node 3 at once; restart it.
	payee := regtest.NewKey(80)
	w, err := c0.Withdraw(ctx, nil, payee.Addr.EncodeAddress(), 30_000_000)
	if err != nil {
		t.Fatal(err)
	}
	kill(3)
	time.Sleep(time.Second)
	start(3)
	wait("the withdrawal submitted", func() bool {
		st, err := c0.Status(ctx, w.BlockIndex)
		return err == nil && (st.Submitted != nil || st.Confirmed != nil)
	})
	btcd.Generate(t, 3)
	c3 := dial(3)
	wait("the withdrawal confirmed on node 3", func() bool {
		st, err := c3.Status(ctx, w.BlockIndex)
		return err == nil && st.Confirmed != nil
	})
	// One burn: the balance dropped by the amount and the approval fee.
	for i, c := range []*client.Client{c0, c3} {
		if b, err := c.Balance(ctx, me); err != nil || b != before-30_000_000-10 {
			t.Fatalf("node %d: balance %d, want %d: %v", []int{0, 3}[i], b, before-30_000_000-10, err)
		}
	}
	// One payment: exactly one output to the destination in btcd's chain
	// (and none waiting in its mempool).
	paid := 0
	for h := startHeight + 1; h <= btcd.Height(t); h++ {
		hash, _ := btcd.RPC.GetBlockHash(h)
		blk, err := btcd.RPC.GetBlock(hash)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range blk.Transactions {
			for _, o := range tx.TxOut {
				if bytes.Equal(o.PkScript, payee.Script) {
					paid++
				}
			}
		}
	}
	if pool, _ := btcd.RPC.GetRawMempool(); paid != 1 || len(pool) != 0 {
		t.Fatalf("%d outputs to the destination in the chain, %d transactions in the mempool", paid, len(pool))
	}

	// Two withdrawals in flight at once: kill node 1 while the first is
	// being signed, restart it, then kill node 2 once it is submitted and
	// mine its block while node 2 is down.
	startHeight = btcd.Height(t)
	payees := []*regtest.Key{regtest.NewKey(81), regtest.NewKey(82)}
	amounts := []uint64{10_000_000, 12_000_000}
	var blocks []uint64
	for i, p := range payees {
		w, err := c0.Withdraw(ctx, nil, p.Addr.EncodeAddress(), amounts[i])
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, w.BlockIndex)
	}
	wait("a withdrawal being signed", func() bool {
		st, err := c0.Status(ctx, blocks[0])
		return err == nil && st.Pending == nil
	})
	kill(1)
	time.Sleep(time.Second)
	start(1)
	// The minter spends its change only once it is confirmed, so the
	// second withdrawal waits for the first one's block.
	wait("the first withdrawal submitted", func() bool {
		st, err := c0.Status(ctx, blocks[0])
		return err == nil && (st.Submitted != nil || st.Confirmed != nil)
	})
	kill(2)
	btcd.Generate(t, 3)
	start(2)
	wait("both withdrawals submitted or confirmed", func() bool {
		st, err := c0.Status(ctx, blocks[1])
		if err == nil && st.Submitted != nil {
			btcd.Generate(t, 3)
		}
		return err == nil && st.Confirmed != nil
	})
	for _, i := range []int{1, 2} {
		c := dial(i)
		for _, b := range blocks {
			wait(fmt.Sprintf("withdrawal %d confirmed on node %d", b, i), func() bool {
				st, err := c.Status(ctx, b)
				return err == nil && st.Confirmed != nil
			})
		}
		want := before - 30_000_000 - 10 - amounts[0] - amounts[1] - 2*10
		if b, err := c.Balance(ctx, me); err != nil || b != want {
			t.Fatalf("node %d: balance %d after three withdrawals, want %d: %v", i, b, want, err)
		}
	}
	counts := make([]int, len(payees))
	for h := startHeight + 1; h <= btcd.Height(t); h++ {
		hash, _ := btcd.RPC.GetBlockHash(h)
		blk, err := btcd.RPC.GetBlock(hash)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range blk.Transactions {
			for _, o := range tx.TxOut {
				for i, p := range payees {
					if bytes.Equal(o.PkScript, p.Script) {
						counts[i]++
					}
				}
			}
		}
	}
	if pool, _ := btcd.RPC.GetRawMempool(); counts[0] != 1 || counts[1] != 1 || len(pool) != 0 {
		t.Fatalf("outputs to the two destinations in the chain %v, %d transactions in the mempool", counts, len(pool))
	}
}
