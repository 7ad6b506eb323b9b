package adapter_test

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/adapter"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
)

// synthHeaders mines n regtest headers on top of genesis.
func synthHeaders(n int) []wire.BlockHeader {
	p := regtest.Params
	prev := p.GenesisBlock.Header
	start := time.Now().Add(-time.Duration(n+3600) * time.Second)
	hs := make([]wire.BlockHeader, n)
	for i := range hs {
		h := wire.BlockHeader{Version: 4, PrevBlock: prev.BlockHash(), Bits: p.PowLimitBits,
			Timestamp: start.Add(time.Duration(i) * time.Second)}
		h.MerkleRoot[0] = byte(i)
		regtest.Solve(&h)
		hs[i] = h
		prev = h
	}
	return hs
}

func benchmarkHeaderSync(b *testing.B, persist bool) {
	const n = 20_000
	f := newFakePeer(b)
	f.addHeaders(synthHeaders(n))
	f.serve()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		cfg := adapter.Config{Network: chain.Regtest, Peers: []string{f.addr()}, Logger: quietLogger(), AllowSelfConnections: true}
		if persist {
			cfg.DataDir = b.TempDir()
		}
		a := runAdapter(b, cfg)
		eventually(b, "header sync", func() bool { return a.HeaderCount() == n+1 })
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "headers/s")
}

func runAdapter(b *testing.B, cfg adapter.Config) *adapter.Adapter {
	return run(b, cfg)
}

// BenchmarkHeaderSync: 20,000 regtest headers from a local peer (10
// getheaders round trips), validated and kept in memory.
func BenchmarkHeaderSync(b *testing.B) { benchmarkHeaderSync(b, false) }

// BenchmarkHeaderSyncPersist: the same with the append-only header file
// (one fsync per 2,000-header batch).
func BenchmarkHeaderSyncPersist(b *testing.B) { benchmarkHeaderSync(b, true) }
