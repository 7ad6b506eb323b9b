package replica

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testSubnet starts n nodes in one process on loopback.
type testSubnet struct {
	t     testing.TB
	dir   string
	nodes []*Node
	cfgs  []*Config
	tweak func(*Config)
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("CHAINKEY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

func newTestSubnet(t testing.TB, n int, tweak func(*Config)) *testSubnet {
	t.Helper()
	return newTestSubnetOpts(t, n, tweak, subnetOptions{})
}

func newTestSubnetOpts(t testing.TB, n int, tweak func(*Config), opt subnetOptions) *testSubnet {
	t.Helper()
	ts := &testSubnet{t: t, dir: t.TempDir(), tweak: tweak}
	var c Config
	if tweak != nil {
		tweak(&c)
	}
	opt.timeoutCommitMS, opt.bls = 50, c.bls
	if _, isFake := c.bls.(fakeBLS); isFake {
		opt.dealer = true
	}
	if opt.presignatureTarget == 0 {
		opt.presignatureTarget = 2
	}
	if err := writeSubnetConfig(ts.dir, n, nil, opt); err != nil {
		t.Fatal(err)
	}
	ts.nodes = make([]*Node, n)
	ts.cfgs = make([]*Config, n)
	for i := 0; i < n; i++ {
		ts.start(i)
	}
	t.Cleanup(func() {
		for _, nd := range ts.nodes {
			if nd != nil {
				nd.Stop()
			}
		}
	})
	return ts
}

func (ts *testSubnet) start(i int) {
	ts.t.Helper()
	cfg, err := LoadConfig(filepath.Join(ts.dir, fmt.Sprintf("node%d", i)))
	if err != nil {
		ts.t.Fatal(err)
	}
	cfg.Logger = testLogger(ts.t)
	cfg.MetricsListen = ""
	if ts.cfgs[i] != nil {
		cfg.MetricsListen = ts.cfgs[i].MetricsListen
	}
	if ts.tweak != nil {
		ts.tweak(cfg)
	}
	nd, err := New(*cfg)
	if err != nil {
		ts.t.Fatal(err)
	}
	if err := nd.Start(); err != nil {
		ts.t.Fatal(err)
	}
	ts.nodes[i], ts.cfgs[i] = nd, cfg
}

func (ts *testSubnet) stop(i int) {
	ts.t.Helper()
	if err := ts.nodes[i].Stop(); err != nil {
		ts.t.Logf("stop node %d: %v", i, err)
	}
	ts.nodes[i] = nil
}

// waitCertified waits until every running node has certified height h.
func (ts *testSubnet) waitCertified(h uint64, timeout time.Duration) {
	ts.t.Helper()
	deadline := time.Now().Add(timeout)
	for _, nd := range ts.nodes {
		if nd == nil {
			continue
		}
		for nd.CertifiedHeight() < h {
			if time.Now().After(deadline) {
				ts.t.Fatalf("node %d: certified %d (height %d), want %d within %v", nd.cfg.Index, nd.CertifiedHeight(), nd.Height(), h, timeout)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func fake(c *Config) { c.bls = fakeBLS{} }

func TestSubnetCertifiesEveryHeight(t *testing.T) {
	ts := newTestSubnet(t, 4, fake)
	ts.waitCertified(8, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, nd := range ts.nodes {
		if err := nd.WaitHeight(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSubnetCertifiesRealBLS(t *testing.T) {
	ts := newTestSubnet(t, 4, nil)
	start := time.Now()
	ts.waitCertified(10, 60*time.Second)
	t.Logf("10 certified heights in %v; height %d", time.Since(start), ts.nodes[0].Height())
}
