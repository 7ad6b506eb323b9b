package replica

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/big"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"github.com/chainkey/chainkey/agent"
	btccanister "github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/service"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ckbtc"
	"github.com/chainkey/chainkey/ckbtc/client"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// benchWriter counts the bytes a height writes.
type benchWriter struct{ bytes int }

func (w *benchWriter) Set(k, v []byte) { w.bytes += len(k) + len(v) }
func (w *benchWriter) Delete([]byte)   {}

// BenchmarkCkBTCLedgerBlock is a block of 1,000 signed icrc1_transfer
// ingress messages to the ckBTC ledger hosted as a Go canister: the
// block's check (signatures), apply and round, and the persistence of
// the ledger's state. Its transfers/s metric is what one node executes.
// The ledger already holds the blocks of the earlier iterations, so the
// persisted state grows with b.N (the state is written whole).
func BenchmarkCkBTCLedgerBlock(b *testing.B) {
	for _, pre := range []int{0, 100_000} {
		b.Run(fmt.Sprintf("blocks=%d", pre), func(b *testing.B) { benchLedgerBlock(b, pre) })
	}
}

func benchLedgerBlock(b *testing.B, preBlocks int) {
	c, err := canisters.New(canisters.Config{Exec: execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{})},
		LastIndex: wasmLastIndex})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ids := SubnetCkBTCIDs()
	lc := &ledgerCanister{cfg: ledger.CkBTCConfig(ids.Minter)}
	if err := lc.Unmarshal(nil); err != nil {
		b.Fatal(err)
	}
	if err := c.HostGo(ids.Ledger, lc); err != nil {
		b.Fatal(err)
	}
	key, _ := ingress.GenerateEd25519()
	payer := ingress.Sender(key)
	const t0 = 1_700_000_000_000_000_000
	if _, err := lc.l.Mint(ledger.Account{Owner: payer}, 1<<60, nil, t0); err != nil {
		b.Fatal(err)
	}
	for i := range preBlocks {
		if _, err := lc.l.Mint(ledger.Account{Owner: principal.FromCanisterIndex(uint64(i))}, 1000, nil, t0); err != nil {
			b.Fatal(err)
		}
	}
	const perBlock = 1000
	height, nonce := uint64(0), uint64(0)
	w := &benchWriter{}
	if err := c.Round(canisters.RoundInput{Height: 1, TimeNS: t0}, w); err != nil {
		b.Fatal(err)
	}
	w.bytes = 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		height++
		now := uint64(t0 + height*1e9)
		msgs := make([]*canisters.Message, perBlock)
		for i := range msgs {
			nonce++
			arg, err := candid.Encode(struct {
				FromSubaccount *[]byte        `candid:"from_subaccount"`
				To             client.Account `candid:"to"`
				Amount         *big.Int       `candid:"amount"`
				Fee            **big.Int      `candid:"fee"`
				Memo           *[]byte        `candid:"memo"`
				CreatedAtTime  *uint64        `candid:"created_at_time"`
			}{To: client.Account{Owner: principal.FromCanisterIndex(uint64(i))}, Amount: big.NewInt(100)})
			if err != nil {
				b.Fatal(err)
			}
			m := &canisters.Message{Kind: canisters.KindCall, Sender: payer.Bytes(), Canister: ids.Ledger.Bytes(),
				Method: "icrc1_transfer", Arg: arg, Nonce: binary.BigEndian.AppendUint64(nil, nonce), Expiry: now + 60e9}
			if err := m.Sign(key); err != nil {
				b.Fatal(err)
			}
			msgs[i] = m
		}
		tx, err := canisters.EncodeBatch(msgs)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := c.Check(tx); err != nil {
			b.Fatal(err)
		}
		if err := c.Apply(tx, w); err != nil {
			b.Fatal(err)
		}
		if err := c.Round(canisters.RoundInput{Height: height, TimeNS: now}, w); err != nil {
			b.Fatal(err)
		}
		_ = c.StateHash()
		b.StopTimer()
		for _, m := range msgs {
			id := m.ID()
			if r := c.Status(id[:]); r == nil || r.Status != canisters.StatusReplied {
				b.Fatalf("transfer: %+v", r)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "transfers/s")
	b.ReportMetric(float64(w.bytes)/float64(b.N), "written-B/block")
}

// BenchmarkCkBTCHTTP measures ICRC-1 transfers on the ckBTC ledger of a
// 4-node subnet (real threshold BLS, 50 ms commit timeout, Bitcoin on
// without an adapter) through node 0's IC HTTP interface with the Go
// agent: transfers per second that 200 concurrent callers sustain (each
// waits for its certified reply), and the latency of a transfer and of an
// icrc1_balance_of query (p50, p99).
func BenchmarkCkBTCHTTP(b *testing.B) {
	key, _ := ingress.GenerateEd25519()
	payer := ingress.Sender(key)
	ts := newTestSubnetOpts(b, 4, func(c *Config) {
		c.Bitcoin = &BitcoinConfig{Network: "regtest", CkBTC: &CkBTCConfig{
			InitialBalances: []CkBTCBalance{{Owner: payer.String(), Amount: 1 << 60}}}}
	}, subnetOptions{dealer: true})
	ts.waitCertified(2, 60*time.Second)
	srv, err := ts.nodes[0].HTTPInterface()
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	ctx := context.Background()
	a, err := agent.New(ctx, agent.Config{Endpoint: hs.URL, Identity: key})
	if err != nil {
		b.Fatal(err)
	}
	ids := SubnetCkBTCIDs()
	c := &client.Client{T: a, Ledger: ids.Ledger, Minter: ids.Minter}
	to := client.Account{Owner: principal.FromCanisterIndex(7)}
	transfer := func() error { _, err := c.Transfer(ctx, nil, to, 100, nil); return err }
	b.Run("transfer", func(b *testing.B) { benchLatency(b, transfer) })
	b.Run("balance", func(b *testing.B) {
		benchLatency(b, func() error { _, err := c.Balance(ctx, client.Account{Owner: payer}); return err })
	})
	b.Run("throughput", func(b *testing.B) {
		const callers = 200
		var wg sync.WaitGroup
		work := make(chan struct{})
		errs := make(chan error, callers)
		start := time.Now()
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					if err := transfer(); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for range b.N {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "transfers/s")
	})
}

// benchKeys is a Keys with one ECDSA key whose derived public key is a
// fixed valid point (the minter only derives addresses from it).
type benchKeys struct{ pub, cc []byte }

func (k benchKeys) HasKey(string) bool { return true }
func (k benchKeys) PublicKey(string, principal.Principal, [][]byte) ([]byte, []byte, error) {
	return k.pub, k.cc, nil
}

// BenchmarkCkBTCIdleRound is a round of the canister component with the
// ckBTC ledger and minter and no messages: the minter's tick, the state
// hashes and the persistence check every block pays.
func BenchmarkCkBTCIdleRound(b *testing.B) {
	c, err := canisters.New(canisters.Config{Exec: execution.Config{Engine: execution.NewWasmtime(execution.EngineConfig{})},
		LastIndex: wasmLastIndex})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ids := SubnetCkBTCIDs()
	lc := &ledgerCanister{cfg: ledger.CkBTCConfig(ids.Minter)}
	_ = lc.Unmarshal(nil)
	st, err := btccanister.New(btccanister.Config{Network: chain.Regtest})
	if err != nil {
		b.Fatal(err)
	}
	priv, _ := btcec.NewPrivateKey()
	m := &minterCanister{cfg: ckbtc.Config{Network: chain.Regtest, MinterID: ids.Minter, KeyName: "dfx_test_key", MaxTimeInQueue: 1},
		keys: benchKeys{pub: priv.PubKey().SerializeCompressed(), cc: make([]byte, 32)}, ledger: lc, btc: service.NewCanister(st, nil)}
	if err := c.HostGo(ids.Ledger, lc); err != nil {
		b.Fatal(err)
	}
	if err := c.HostGo(ids.Minter, m); err != nil {
		b.Fatal(err)
	}
	w := &benchWriter{}
	const t0 = 1_700_000_000_000_000_000
	h := uint64(0)
	for b.Loop() {
		h++
		if err := c.Round(canisters.RoundInput{Height: h, TimeNS: t0 + h*1e9}, w); err != nil {
			b.Fatal(err)
		}
		_ = c.StateHash()
		_ = c.Leaves()
	}
}
