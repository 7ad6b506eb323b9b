package replica

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/api"
)

// BenchmarkBlockRate measures the height rate of a live 4-node subnet on
// loopback (real BLS; FAKE=1 for the stand-in scheme): one iteration is
// one certified height. It reports heights per second and the lag of
// certification behind the chain.
func BenchmarkBlockRate(b *testing.B) {
	var tw func(*Config)
	if os.Getenv("FAKE") != "" {
		tw = fake
	}
	ts := newTestSubnet(b, 4, tw)
	ts.waitCertified(3, 30*time.Second)
	nd := ts.nodes[0]
	c0 := nd.CertifiedHeight()
	b.ResetTimer()
	ts.waitCertified(c0+uint64(b.N), time.Duration(b.N)*10*time.Second+30*time.Second)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heights/s")
	b.ReportMetric(float64(nd.Height()-nd.CertifiedHeight()), "lag")
}

// BenchmarkSignThroughput measures sustained signing on a live 4-node
// subnet: b.N requests from CHAINKEY_WORKERS concurrent callers (16) for
// the key CHAINKEY_KEY (ecdsa:secp256k1:dfx_test_key), spread over the
// nodes. It reports signatures per second, the median and 99th
// percentile latency, and fails if any request fails.
func BenchmarkSignThroughput(b *testing.B) {
	key := os.Getenv("CHAINKEY_KEY")
	if key == "" {
		key = "ecdsa:secp256k1:dfx_test_key"
	}
	workers := 16
	if v, err := strconv.Atoi(os.Getenv("CHAINKEY_WORKERS")); err == nil && v > 0 {
		workers = v
	}
	ts := newTestSubnetOpts(b, 4, nil, subnetOptions{presignatureTarget: 40})
	ts.waitStock(120 * time.Second)
	time.Sleep(5 * time.Second)
	caller, _ := ingress.GenerateEd25519()
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs []error
		next atomic.Int64
		wg   sync.WaitGroup
	)
	b.ResetTimer()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
				env, err := ingress.NewSignEnvelope(caller, &ingress.SignContent{IngressExpiry: ingress.Expiry(time.Now(), 2*time.Minute),
					Nonce: binary.BigEndian.AppendUint64(nil, uint64(i)), KeyID: key, MessageHash: h[:]})
				var req *api.SignRequest
				if err == nil {
					req, err = api.VerifySignRequest(env, time.Now(), maxIngressExpiry)
				}
				t0 := time.Now()
				if err == nil {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					_, err = ts.nodes[w%4].Sign(ctx, req)
					cancel()
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					lat = append(lat, time.Since(t0))
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	b.StopTimer()
	if len(errs) > 0 {
		b.Fatalf("%d of %d requests failed; first: %v", len(errs), b.N, errs[0])
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "sigs/s")
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
}
