package replica

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chainkey/chainkey/replica/subnet"
)

// gateServer answers a request only once released, and records how many
// it held at once.
type gateServer struct {
	*httptest.Server
	mu        sync.Mutex
	now, most int
	total     int
	gate      chan struct{}
}

func newGateServer(t *testing.T) *gateServer {
	g := &gateServer{gate: make(chan struct{})}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.now++
		g.total++
		g.most = max(g.most, g.now)
		g.mu.Unlock()
		select {
		case <-g.gate:
		case <-r.Context().Done():
		}
		g.mu.Lock()
		g.now--
		g.mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *gateServer) counts() (now, most, total int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.now, g.most, g.total
}

// TestOutcallLimits: a node performs at most outcall_max_concurrent
// requests at once and keeps at most outcall_max_kept_bytes of outcomes
// and in-flight reservations (max_response_bytes each); the outcalls
// beyond wait, unreported, and start as earlier ones finish or settle,
// until the node has reported every one.
func TestOutcallLimits(t *testing.T) {
	const pending = 6
	for _, c := range []struct {
		name             string
		concurrent       int
		kept             int64
		maxResponseBytes uint64
		want             int
	}{
		{"fetches", 2, 0, 1000, 2},
		{"memory", 0, 2*(1000+outcallOverhead) + 500, 1000, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSimSubnet(t, 4, subnetOptions{}, func(cfg *Config) {
				cfg.OutcallsAllowHTTPLoopback = true
				cfg.OutcallMaxConcurrent = c.concurrent
				cfg.OutcallMaxKeptBytes = c.kept
			})
			srv := newGateServer(t)
			a := s.nodes[0].app
			cs := &subnet.State{}
			for k := range pending {
				id := []byte(fmt.Sprintf("chainkey-canister-http/%08d", k))
				if err := subnet.AcceptOutcall(cs, id, 0, &subnet.OutcallRequest{URL: fmt.Sprintf("%s/%d", srv.URL, k), Method: "GET",
					MaxResponseBytes: c.maxResponseBytes}); err != nil {
					t.Fatal(err)
				}
			}
			limit := uint64(a.outcallMaxKept())
			check := func() int {
				n := len(a.outcallShares(cs))
				a.out.mu.Lock()
				kept := a.out.kept
				a.out.mu.Unlock()
				if kept > limit {
					t.Fatalf("%d bytes kept, limit %d", kept, limit)
				}
				return n
			}
			if n := check(); n != 0 {
				t.Fatalf("%d shares before any response", n)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				if now, _, _ := srv.counts(); now == c.want || time.Now().After(deadline) {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			for range 5 {
				check()
				time.Sleep(20 * time.Millisecond)
			}
			if now, most, total := srv.counts(); now != c.want || most != c.want || total != c.want {
				t.Fatalf("held %d requests (most %d, total %d), want %d", now, most, total, c.want)
			}
			close(srv.gate)
			shares := 0
			for shares < pending && time.Now().Before(deadline) {
				shares = check()
				time.Sleep(5 * time.Millisecond)
			}
			if _, most, total := srv.counts(); shares != pending || most > c.want || total != pending {
				t.Fatalf("%d of %d reported; server saw %d requests, %d at once (limit %d)", shares, pending, total, most, c.want)
			}
			// Settled outcalls are forgotten with their bytes.
			a.outcallShares(&subnet.State{})
			if a.out.kept != 0 || len(a.out.done) != 0 {
				t.Fatalf("after settling: %d bytes, %d outcomes kept", a.out.kept, len(a.out.done))
			}
		})
	}
}
