package replica

import (
	"context"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// BenchmarkHTTPInterface measures a 4-node subnet (real threshold BLS, the
// local subnet's 50 ms commit timeout) through node 0's IC HTTP interface
// with the Go agent and a counter canister: the latency of an update call
// from the agent to its verified certified reply and of a query with the
// node signature checked (p50 and p99 reported), and the update calls per
// second that 200 concurrent callers sustain.
func BenchmarkHTTPInterface(b *testing.B) {
	ts := newTestSubnetOpts(b, 4, nil, subnetOptions{dealer: true})
	ts.waitCertified(2, 60*time.Second)
	srv, err := ts.nodes[0].HTTPInterface()
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	ctx := context.Background()
	a, err := agent.New(ctx, agent.Config{Endpoint: hs.URL, Identity: simCtrlKey})
	if err != nil {
		b.Fatal(err)
	}
	can := agentInstall(b, a, "counter.wat")
	b.Run("update", func(b *testing.B) {
		benchLatency(b, func() error { _, err := a.Call(ctx, can, "inc", nil); return err })
	})
	b.Run("query", func(b *testing.B) {
		benchLatency(b, func() error { _, err := a.Query(ctx, can, "get", nil); return err })
	})
	b.Run("throughput", func(b *testing.B) {
		const callers = 500
		var wg sync.WaitGroup
		work := make(chan struct{})
		errs := make(chan error, callers)
		start := time.Now()
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					if _, err := a.Call(ctx, can, "inc", nil); err != nil {
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
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
	})
}

// agentInstall creates a canister through the agent's management calls
// and installs the test module wasm (testdata) in it.
func agentInstall(b *testing.B, a *agent.Agent, wasm string) principal.Principal {
	b.Helper()
	ctx := context.Background()
	arg, _ := candid.Encode(mgmtCreateArgs{})
	r, err := a.Call(ctx, principal.Management(), "provisional_create_canister_with_cycles", arg)
	if err != nil {
		b.Fatal(err)
	}
	var created struct {
		ID principal.Principal `candid:"canister_id"`
	}
	if err := candid.Decode(r, &created); err != nil {
		b.Fatal(err)
	}
	arg, _ = candid.Encode(mgmtInstall{Mode: mgmtMode{Install: &candid.Null{}}, CanisterID: created.ID, Wasm: canisterWasm(b, wasm), Arg: []byte{}})
	if _, err := a.Call(ctx, principal.Management(), "install_code", arg); err != nil {
		b.Fatal(err)
	}
	return created.ID
}

// benchLatency runs op b.N times and reports its p50 and p99 latency.
func benchLatency(b *testing.B, op func() error) {
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}
