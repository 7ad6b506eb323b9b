package replica

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
)

// Candid of the management canister's http_request as a canister sends
// it (ic.did), without a transform (the transform is a func reference
// that a Go value cannot carry).
type simHTTPHeader struct {
	Name  string `candid:"name"`
	Value string `candid:"value"`
}

type simHTTPMethod struct {
	candid.IsVariant
	Get  *candid.Null `candid:"get"`
	Head *candid.Null `candid:"head"`
	Post *candid.Null `candid:"post"`
}

type simHTTPArgs struct {
	URL              string          `candid:"url"`
	MaxResponseBytes *uint64         `candid:"max_response_bytes"`
	Method           simHTTPMethod   `candid:"method"`
	Headers          []simHTTPHeader `candid:"headers"`
	Body             *[]byte         `candid:"body"`
}

type simHTTPResult struct {
	Status  *big.Int        `candid:"status"`
	Headers []simHTTPHeader `candid:"headers"`
	Body    []byte          `candid:"body"`
}

func simGet(t testing.TB, url string, max uint64) []byte {
	a := simHTTPArgs{URL: url, Method: simHTTPMethod{Get: &candid.Null{}}, Headers: []simHTTPHeader{}}
	if max > 0 {
		a.MaxResponseBytes = &max
	}
	b, err := candid.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// outcallLie reports a hash of its own for every outcall.
type outcallLie struct{ faults }

func (outcallLie) outcallHash(h [32]byte) [32]byte {
	return sha256.Sum256(append([]byte("lie"), h[:]...))
}

// outcallServer is the test's HTTP server on a loopback address: /ok
// answers every node alike, /differ each request differently, /hang
// never, /big with 5000 bytes, /large with 1,900,000.
type outcallServer struct {
	*httptest.Server
	n    atomic.Int64
	stop chan struct{}
	once sync.Once
}

func newOutcallServer(t testing.TB) *outcallServer {
	s := &outcallServer{stop: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Date"] = nil
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"jsonrpc":"2.0","result":"0x2a"}`)
		case "/differ":
			fmt.Fprintf(w, "answer %d", s.n.Add(1))
		case "/hang":
			select {
			case <-r.Context().Done():
			case <-s.stop:
			}
		case "/big":
			w.Write([]byte(strings.Repeat("x", 5000)))
		case "/large":
			w.Write([]byte(strings.Repeat("z", 1_900_000)))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() {
		s.once.Do(func() { close(s.stop) })
		s.Close()
	})
	return s
}

// runOutcalls submits msgs through node i and steps, pausing between
// heights so the nodes' requests can finish, until all are final.
func (c *canClient) runOutcalls(i int, msgs ...*canisters.Message) []*canisters.Record {
	c.s.t.Helper()
	ids := c.submit(i, msgs...)
	deadline := time.Now().Add(60 * time.Second)
	for !c.final(ids) {
		if time.Now().After(deadline) {
			c.s.t.Fatalf("outcalls not final after 60 s (height %d)", c.s.height())
		}
		c.s.step()
		time.Sleep(5 * time.Millisecond)
	}
	out := make([]*canisters.Record, len(ids))
	for k, id := range ids {
		out[k] = c.s.nodes[i].app.canisterStatus(id[:])
	}
	return out
}

// proxyReject splits the proxy canister's answer to a rejected call.
func proxyReject(r *canisters.Record) (code int, msg string, ok bool) {
	if r.Status != canisters.StatusReplied || len(r.Reply) < 2 || r.Reply[0] != 0xee {
		return 0, "", false
	}
	return int(r.Reply[1]), string(r.Reply[2:]), true
}

// TestSimOutcalls: on four nodes (one of which reports wrong hashes), a
// canister's http_request reaches a loopback server from every node; the
// response the honest nodes agree on is delivered; a server that answers
// each node differently gives the IC's no-consensus reject; one that
// never answers gives a timeout reject while blocks go on; a response
// above max_response_bytes, an http URL to a non-loopback host and an
// unsupported scheme are rejected.
func TestSimOutcalls(t *testing.T) {
	const liar = 3
	s := newSimSubnet(t, 4, subnetOptions{}, func(c *Config) {
		c.OutcallsAllowHTTPLoopback = true
		c.OutcallTimeoutMS = 1500
		if c.Index == liar {
			c.lie = outcallLie{}
		}
	})
	c := &canClient{s: s}
	proxy := c.create(canisterWasm(t, "proxy.wat"))
	srv := newOutcallServer(t)
	mgmt := principal.Management()
	start := s.height()
	r := c.runOutcalls(0,
		c.call(proxy, "forward", fwd(mgmt, "http_request", simGet(t, srv.URL+"/ok", 0))),
		c.call(proxy, "forward", fwd(mgmt, "http_request", simGet(t, srv.URL+"/differ", 0))),
		c.call(proxy, "forward", fwd(mgmt, "http_request", simGet(t, srv.URL+"/big", 1000))),
		c.call(proxy, "forward", fwd(mgmt, "http_request", simGet(t, "http://192.0.2.1/x", 0))),
		c.call(proxy, "forward", fwd(mgmt, "http_request", simGet(t, strings.Replace(srv.URL, "http:", "ftp:", 1)+"/ok", 0))),
		c.call(proxy, "forward", fwd(mgmt, "http_request", simGet(t, srv.URL+"/ok", 3_000_000))),
	)
	t.Logf("six outcalls: %d heights", s.height()-start)
	var res simHTTPResult
	if r[0].Status != canisters.StatusReplied || len(r[0].Reply) > 0 && r[0].Reply[0] == 0xee || candid.Decode(r[0].Reply, &res) != nil {
		t.Fatalf("/ok: %+v %q", r[0], r[0].Reply)
	}
	if res.Status.Int64() != 200 || string(res.Body) != `{"jsonrpc":"2.0","result":"0x2a"}` {
		t.Fatalf("/ok: status %v body %q", res.Status, res.Body)
	}
	want := []struct {
		code int
		msg  string
	}{
		1: {2, "No consensus could be reached. Replicas had different responses. Details: request_id: "},
		2: {1, "Http body exceeds size limit of 1000 bytes."},
		3: {1, "Url need to specify https scheme"},
		4: {1, "Url need to specify https scheme"},
		5: {4, "max_response_bytes expected to be in the range [0..2000000], got 3000000"},
	}
	for i := 1; i < len(want); i++ {
		code, msg, ok := proxyReject(r[i])
		if !ok || code != want[i].code || !strings.Contains(msg, want[i].msg) {
			t.Fatalf("call %d: want reject %d %q, got %+v %q", i, want[i].code, want[i].msg, r[i], r[i].Reply)
		}
		t.Logf("call %d: reject %d %s", i, code, msg)
	}
	if _, msg, _ := proxyReject(r[1]); !strings.Contains(msg, ", hashes: [") || !strings.Contains(msg, ": 1]") {
		t.Fatalf("no-consensus message without the hashes: %s", msg)
	}

	// A server that never answers: every node times out, the subnet
	// agrees on the timeout, and blocks and other canisters go on.
	counter := c.create(canisterWasm(t, "counter.wat"))
	hang := c.submit(1, c.call(proxy, "forward", fwd(mgmt, "http_request", simGet(t, srv.URL+"/hang", 0))))
	h0 := s.height()
	inc := c.run(2, c.call(counter, "inc", nil))
	if inc[0].Status != canisters.StatusReplied {
		t.Fatalf("counter during a hanging outcall: %+v", inc[0])
	}
	if c.final(hang) {
		t.Fatal("the hanging outcall is final before its timeout")
	}
	// The liar, proposing, cannot settle the pending outcall with a
	// response of its own: its signed vote alone is no quorum, and
	// neither is it a proof that no response can reach one.
	pending := s.state(0).Outcalls
	if len(pending) != 1 {
		t.Fatalf("%d outcalls pending", len(pending))
	}
	seed, err := readSecretFile(s.nodes[liar].cfg.secretPath(nodeSigningKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	forged := subnet.EncodeOutcallResponse(&subnet.OutcallResponse{Reply: []byte("DIDL\x00\x00")})
	h := subnet.OutcallHash(forged)
	vote := subnet.OutcallVote{Node: liar, Hash: h[:], Sig: ed25519.Sign(ed25519.NewKeyFromSeed(seed),
		subnet.OutcallSignBytes(s.chainID, pending[0].ID, h[:]))}
	for _, tx := range []*subnet.OutcallTx{{ID: pending[0].ID, Response: forged, Votes: []subnet.OutcallVote{vote}}, {ID: pending[0].ID, Votes: []subnet.OutcallVote{vote}}} {
		if s.accepts([][]byte{subnet.EncodeTx(&subnet.Tx{Outcall: tx})}) {
			t.Fatalf("the subnet accepts a block settling the outcall on the liar's vote alone (response %t)", tx.Response != nil)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for !c.final(hang) && time.Now().Before(deadline) {
		s.step()
		time.Sleep(5 * time.Millisecond)
	}
	hr := s.nodes[1].app.canisterStatus(hang[0][:])
	if code, msg, ok := proxyReject(hr); !ok || code != 2 || msg != "Timeout expired" {
		t.Fatalf("hanging outcall: %+v %q", hr, hr.Reply)
	}
	t.Logf("hanging outcall rejected after %d heights", s.height()-h0)
	s.sameCanisters()
	for i := range s.nodes {
		if cs := s.state(i); len(cs.Outcalls) != 0 {
			t.Fatalf("node %d: %d outcalls still pending", i, len(cs.Outcalls))
		}
	}
}

// TestSimOutcallRestart: with one node lying and one crashed right after
// the call, the two honest live nodes are no quorum and the outcall
// waits (blocks go on); once the crashed node restarts it performs the
// pending outcall from its state again and the honest response is
// delivered.
func TestSimOutcallRestart(t *testing.T) {
	const liar, down = 3, 2
	s := newSimSubnet(t, 4, subnetOptions{}, func(c *Config) {
		c.OutcallsAllowHTTPLoopback = true
		c.OutcallTimeoutMS = 1500
		if c.Index == liar {
			c.lie = outcallLie{}
		}
	})
	c := &canClient{s: s}
	proxy := c.create(canisterWasm(t, "proxy.wat"))
	srv := newOutcallServer(t)
	ids := c.submit(0, c.call(proxy, "forward", fwd(principal.Management(), "http_request", simGet(t, srv.URL+"/ok", 0))))
	s.run(10, "outcall accepted", func() bool { return len(s.state(0).Outcalls) == 1 })
	s.crash(down)
	h0 := s.height()
	for range 30 {
		s.step()
		time.Sleep(10 * time.Millisecond)
	}
	if c.final(ids) || len(s.state(0).Outcalls) != 1 {
		t.Fatalf("the outcall settled with two honest nodes of four (height %d)", s.height())
	}
	s.restart(down)
	deadline := time.Now().Add(30 * time.Second)
	for !c.final(ids) && time.Now().Before(deadline) {
		s.step()
		time.Sleep(5 * time.Millisecond)
	}
	r := s.nodes[0].app.canisterStatus(ids[0][:])
	var res simHTTPResult
	if r == nil || r.Status != canisters.StatusReplied || len(r.Reply) > 0 && r.Reply[0] == 0xee || candid.Decode(r.Reply, &res) != nil ||
		string(res.Body) != `{"jsonrpc":"2.0","result":"0x2a"}` {
		t.Fatalf("after the restart: %+v", r)
	}
	t.Logf("settled %d heights after the crash", s.height()-h0)
	s.sameCanisters()
}

// TestSimOutcallLarge: a response close to the IC's 2,000,000-byte limit
// travels in a block and reaches the (Motoko) canister whole.
func TestSimOutcallLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a Motoko canister")
	}
	wasm := ethRPCWasm(t)
	s := newSimSubnet(t, 4, subnetOptions{}, func(c *Config) { c.OutcallsAllowHTTPLoopback = true })
	c := &canClient{s: s}
	can := c.createArg(wasm, []byte("DIDL\x00\x00"))
	srv := newOutcallServer(t)
	arg, err := candid.Encode(srv.URL+"/large", uint64(2_000_000))
	if err != nil {
		t.Fatal(err)
	}
	r := c.runOutcalls(1, c.call(can, "fetch", arg))
	var status *big.Int
	var body []byte
	if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &status, &body) != nil {
		t.Fatalf("large response: %+v", r[0])
	}
	if status.Int64() != 200 || len(body) != 1_900_000 || strings.Trim(string(body), "z") != "" {
		t.Fatalf("large response: status %v, %d bytes", status, len(body))
	}
	s.sameCanisters()
}
