package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"

	"github.com/chainkey/chainkey/ethereum"
	"github.com/chainkey/chainkey/ethereum/gethtest"
)

// startUpForBench runs `chainkey up --json` in-process for a benchmark and
// stops it in b.Cleanup.
func startUpForBench(b *testing.B, nodes int) upInfo {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	root := newRootCmd()
	root.SetOut(pw)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"up", "--json", "--nodes", fmt.Sprint(nodes), "--home", b.TempDir()})
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.CloseWithError(fmt.Errorf("up exited: %v", err))
		done <- err
	}()
	b.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			b.Error("up did not stop within 60s")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	var info upInfo
	if err != nil || json.Unmarshal([]byte(line), &info) != nil || len(info.GRPC) != nodes {
		b.Fatalf("up printed %q (%v)", line, err)
	}
	return info
}

// BenchmarkEthGeth measures Ethereum transactions signed by a local 4-node
// subnet's threshold ECDSA: how many per second (EIP-1559 signing hashes
// from many concurrent clients, each signature turned into a transaction
// that recovers the sender), and the latency of one `eth send` to geth
// --dev (prepare, threshold signature, eth_sendRawTransaction, and until
// the receipt). It runs only without -short.
func BenchmarkEthGeth(b *testing.B) {
	if testing.Short() {
		b.Skip("builds (once) and runs geth --dev and a 4-node subnet")
	}
	b.Setenv("XDG_CONFIG_HOME", b.TempDir())
	node := gethtest.Start(b)
	info := startUpForBench(b, 4)
	ctx := context.Background()
	path := []string{"62656e6368"}
	accountAt := func(b *testing.B, ep string) *ethAccount {
		kf := ethKeyFlags{endpoint: ep, keyID: "ecdsa:secp256k1:dfx_test_key", paths: path, timeout: time.Minute}
		a, err := kf.account(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { a.Close() })
		return a
	}
	a := accountAt(b, info.GRPC[0])
	node.Fund(b, a.address, new(big.Int).Mul(big.NewInt(1000), big.NewInt(params.Ether)))
	chainID := big.NewInt(1337)
	to := common.HexToAddress("0x0000000000000000000000000000000000000b0b")

	// Latency first, while the subnet's presignature stock is full; the
	// throughput run then drains it and measures production.
	b.Run("SignAndSend", func(b *testing.B) {
		var toNode, toReceipt []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			tx, id, err := ethereum.Prepare(ctx, node.Client, ethereum.TxRequest{From: a.address, To: &to, Value: big.NewInt(1)})
			if err != nil {
				b.Fatal(err)
			}
			signed, err := ethereum.SignTx(ctx, a, a.address, id, tx)
			if err != nil {
				b.Fatal(err)
			}
			if err := ethereum.Send(ctx, node.Client, signed); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			r, err := ethWaitMined(ctx, node.Client, signed.Hash(), time.Minute, io.Discard)
			if err != nil || r.Status != types.ReceiptStatusSuccessful {
				b.Fatalf("receipt %v (%v)", r, err)
			}
			toNode = append(toNode, t1.Sub(t0))
			toReceipt = append(toReceipt, time.Since(t0))
		}
		b.StopTimer()
		slices.Sort(toNode)
		slices.Sort(toReceipt)
		b.ReportMetric(percentileMS(toNode, 0.5), "p50-sent-ms")
		b.ReportMetric(percentileMS(toNode, 0.9), "p90-sent-ms")
		b.ReportMetric(percentileMS(toReceipt, 0.5), "p50-mined-ms")
	})
	// The same load of plain signing requests (random 32-byte hashes, no
	// transaction around them), for comparison in the same run.
	b.Run("ThresholdSignRaw", func(b *testing.B) {
		accounts := make([]*ethAccount, len(info.GRPC))
		for i, ep := range info.GRPC {
			accounts[i] = accountAt(b, ep)
		}
		var next atomic.Uint64
		b.SetParallelism(8)
		start := time.Now()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			acct := accounts[next.Add(1)%uint64(len(accounts))]
			hash := make([]byte, 32)
			for pb.Next() {
				rand.Read(hash)
				if _, err := acct.SignHash(ctx, hash); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sigs/s")
	})
	b.Run("ThresholdSignTx", func(b *testing.B) {
		accounts := make([]*ethAccount, len(info.GRPC))
		for i, ep := range info.GRPC {
			accounts[i] = accountAt(b, ep)
		}
		var next, nonce atomic.Uint64
		b.SetParallelism(8) // 16 requests in flight on 2 cores
		start := time.Now()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			acct := accounts[next.Add(1)%uint64(len(accounts))]
			for pb.Next() {
				tx := types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: nonce.Add(1), GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(3e9), Gas: 21000, To: &to, Value: big.NewInt(1)})
				if _, err := ethereum.SignTx(ctx, acct, acct.address, chainID, tx); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx-sigs/s")
	})
}
