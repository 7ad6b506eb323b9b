package replica

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"

	"github.com/chainkey/chainkey/ingress"
	"testing"
	"time"
)

func TestBlockRate(t *testing.T) {
	if os.Getenv("CHAINKEY_MEASURE") == "" {
		t.Skip("measurement: set CHAINKEY_MEASURE=1")
	}
	var tw func(*Config)
	if os.Getenv("FAKE") != "" {
		tw = fake
	}
	ts := newTestSubnet(t, 4, tw)
	ts.waitCertified(3, 30*time.Second)
	h0, c0, t0 := ts.nodes[0].Height(), ts.nodes[0].CertifiedHeight(), time.Now()
	time.Sleep(4 * time.Second)
	h1, c1 := ts.nodes[0].Height(), ts.nodes[0].CertifiedHeight()
	d := time.Since(t0)
	t.Logf("blocks/s %.2f, certified heights/s %.2f, lag %d", float64(h1-h0)/d.Seconds(), float64(c1-c0)/d.Seconds(), h1-c1)
}

// TestSignThroughput measures sustained signing on a 4-node subnet.
func TestSignThroughput(t *testing.T) {
	if os.Getenv("CHAINKEY_MEASURE") == "" {
		t.Skip("measurement: set CHAINKEY_MEASURE=1")
	}
	key := os.Getenv("CHAINKEY_KEY")
	if key == "" {
		key = "ecdsa:secp256k1:dfx_test_key"
	}
	ts := newTestSubnetOpts(t, 4, nil, subnetOptions{presignatureTarget: 40})
	ts.waitStock(120 * time.Second)
	time.Sleep(5 * time.Second)
	caller, _ := ingress.GenerateEd25519()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	stop := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	workers := 16
	if v, err := strconv.Atoi(os.Getenv("CHAINKEY_WORKERS")); err == nil && v > 0 {
		workers = v
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				h := sha256.Sum256([]byte(fmt.Sprintf("%d/%d", w, i)))
				env := signRequest(t, caller, key, h[:], nil)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				t0 := time.Now()
				_, err := ts.nodes[w%4].Sign(ctx, env)
				cancel()
				mu.Lock()
				if err != nil {
					errs++
				} else {
					lat = append(lat, time.Since(t0))
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	slices.Sort(lat)
	if len(lat) == 0 {
		t.Fatalf("no signatures, %d errors", errs)
	}
	t.Logf("%s: %d signatures in 20s (%.2f/s), %d errors, p50 %v p99 %v, height %d", key, len(lat), float64(len(lat))/20, errs,
		lat[len(lat)/2], lat[len(lat)*99/100], ts.nodes[0].Height())
}
