package service_test

import (
	"testing"
	"time"

	"github.com/chainkey/chainkey/bitcoin/btcdtest"
)

// BenchmarkHeaderSyncBtcd: a fresh adapter syncs 10,000 regtest headers
// from a local btcd (the blocks are mined once, in the setup).
func BenchmarkHeaderSyncBtcd(b *testing.B) {
	if testing.Short() {
		b.Skip("needs btcd")
	}
	const n = 10_000
	node := btcdtest.Start(b, btcdtest.NewKey(1))
	t0 := time.Now()
	node.Generate(b, n)
	b.Logf("mined %d blocks in %v", n, time.Since(t0))
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		ad, _, stop := startAdapterB(b, "", node.P2PAddr)
		deadline := time.Now().Add(2 * time.Minute)
		for {
			if h, _ := ad.TipHeight(); h == n {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal("header sync timed out")
			}
			time.Sleep(5 * time.Millisecond)
		}
		stop()
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "headers/s")
}
