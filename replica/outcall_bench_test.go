package replica

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// BenchmarkOutcallHTTP measures canister HTTPS outcalls on a 4-node subnet
// (CometBFT, real threshold BLS, the local subnet's 50 ms commit
// timeout) through node 0's IC HTTP interface with the Go agent: the
// latency (p50, p99) of an update call whose canister makes an
// http_request to a loopback server that every node asks, from the agent
// to its certified reply, beside a plain update call of the same canister
// without an outcall.
func BenchmarkOutcallHTTP(b *testing.B) {
	ts := newTestSubnetOpts(b, 4, func(c *Config) { c.OutcallsAllowHTTPLoopback = true }, subnetOptions{dealer: true})
	ts.waitCertified(2, 60*time.Second)
	srv, err := ts.nodes[0].HTTPInterface()
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		fmt.Fprint(w, `{"jsonrpc":"2.0","id":1,"result":"0x2a"}`)
	}))
	b.Cleanup(target.Close)
	ctx := context.Background()
	a, err := agent.New(ctx, agent.Config{Endpoint: hs.URL, Identity: simCtrlKey})
	if err != nil {
		b.Fatal(err)
	}
	can := agentInstall(b, a, "proxy.wat")
	outcall := fwd(principal.Management(), "http_request", simGet(b, target.URL+"/rpc", 4000))
	b.Run("outcall", func(b *testing.B) {
		benchLatency(b, func() error {
			r, err := a.Call(ctx, can, "forward", outcall)
			if err == nil && len(r) > 0 && r[0] == 0xee {
				err = fmt.Errorf("rejected: %q", r)
			}
			return err
		})
	})
	b.Run("update", func(b *testing.B) {
		// The proxy forwards to the management canister's raw_rand: an
		// update call with a call to the management canister and no
		// outcall.
		rand := fwd(principal.Management(), "raw_rand", []byte("DIDL\x00\x00"))
		benchLatency(b, func() error { _, err := a.Call(ctx, can, "forward", rand); return err })
	})
}

// BenchmarkOutcallTransform is the cost of a transform on one node: the
// Motoko canister's transform (testdata/ethrpc.mo: drop the headers, keep
// the JSON-RPC result) run as a query on a JSON-RPC response, in time and
// in Wasm instructions.
func BenchmarkOutcallTransform(b *testing.B) {
	wasm := ethRPCWasm(b)
	s := newSimSubnet(b, 4, subnetOptions{}, nil)
	c := &canClient{s: s}
	can := c.createArg(wasm, []byte("DIDL\x00\x00"))
	comp := s.nodes[0].app.cans
	resp := &canisters.HTTPResponse{Status: 200, Headers: []canisters.HTTPHeader{{Name: "content-type", Value: "application/json"},
		{Name: "date", Value: "Thu, 03 Dec 2026 10:00:00 GMT"}, {Name: "vary", Value: "Origin"}},
		Body: []byte(`{"jsonrpc":"2.0","id":17,"result":"0x0000000000000000000000000000000000000000000000000000000075bcd15"}`)}
	req := &canisters.HTTPRequest{Caller: can, TransformMethod: "transform"}
	for b.Loop() {
		comp.mu.Lock()
		reply, code, msg := comp.c.TransformHTTP(req, resp)
		comp.mu.Unlock()
		if code != 0 || len(reply) == 0 {
			b.Fatalf("transform: %d %s", code, msg)
		}
	}
	// The instructions of one transform, from a query with the same
	// argument.
	arg, err := canisters.TransformArg(resp, nil)
	if err != nil {
		b.Fatal(err)
	}
	comp.mu.Lock()
	res := comp.c.Query(can, execution.Message{Method: "transform", Arg: arg, Caller: principal.Management()})
	comp.mu.Unlock()
	if !res.Replied {
		b.Fatalf("transform query: %+v", res)
	}
	b.ReportMetric(float64(res.Fuel), "instructions/op")
}
