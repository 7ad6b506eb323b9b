package replica

import (
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
)

// simHTTPArgsNR is http_request_args with is_replicated.
type simHTTPArgsNR struct {
	URL              string          `candid:"url"`
	MaxResponseBytes *uint64         `candid:"max_response_bytes"`
	Method           simHTTPMethodNR `candid:"method"`
	Headers          []simHTTPHeader `candid:"headers"`
	Body             *[]byte         `candid:"body"`
	IsReplicated     *bool           `candid:"is_replicated"`
}

type simHTTPMethodNR struct {
	candid.IsVariant
	Get *candid.Null `candid:"get"`
	Put *candid.Null `candid:"put"`
}

func simNonReplicated(t testing.TB, url string, put bool) []byte {
	no := false
	a := simHTTPArgsNR{URL: url, Method: simHTTPMethodNR{Get: &candid.Null{}}, Headers: []simHTTPHeader{}, IsReplicated: &no}
	if put {
		body := []byte("payload")
		a.Method, a.Body = simHTTPMethodNR{Put: &candid.Null{}}, &body
	}
	b, err := candid.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// nodeKey is node i's signing key.
func (s *simSubnet) nodeKey(i int) ed25519.PrivateKey {
	s.t.Helper()
	seed, err := readSecretFile(s.nodes[i].cfg.secretPath(nodeSigningKeyFile))
	if err != nil {
		s.t.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// TestSimOutcallNonReplicated: on four nodes, non-replicated outcalls
// (is_replicated = opt false) to a server that answers every request
// differently are each performed by one node only (the server sees one
// request per call) and each delivers that node's response, with no
// consensus reject; PUT is allowed in this mode. A block settling a
// pending non-replicated outcall with a vote under the designated node's
// name signed by another node, or with another node's own signed
// response, is refused by every node; the designated node's timeout is
// delivered.
func TestSimOutcallNonReplicated(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, func(c *Config) {
		c.OutcallsAllowHTTPLoopback = true
		c.OutcallTimeoutMS = 1500
	})
	c := &canClient{s: s}
	proxy := c.create(canisterWasm(t, "proxy.wat"))
	srv := newOutcallServer(t)
	mgmt := principal.Management()
	const calls = 6
	var msgs []*canisters.Message
	for range calls {
		msgs = append(msgs, c.call(proxy, "forward", fwd(mgmt, "http_request", simNonReplicated(t, srv.URL+"/differ", false))))
	}
	msgs = append(msgs, c.call(proxy, "forward", fwd(mgmt, "http_request", simNonReplicated(t, srv.URL+"/ok", true))))
	start := s.height()
	r := c.runOutcalls(0, msgs...)
	t.Logf("%d non-replicated outcalls: %d heights", len(r), s.height()-start)
	seen := map[string]bool{}
	for k := range calls {
		var res simHTTPResult
		if r[k].Status != canisters.StatusReplied || len(r[k].Reply) > 0 && r[k].Reply[0] == 0xee || candid.Decode(r[k].Reply, &res) != nil {
			t.Fatalf("call %d: %+v %q", k, r[k], r[k].Reply)
		}
		if !strings.HasPrefix(string(res.Body), "answer ") || seen[string(res.Body)] {
			t.Fatalf("call %d: body %q", k, res.Body)
		}
		seen[string(res.Body)] = true
	}
	if n := srv.n.Load(); n != calls {
		t.Fatalf("the server saw %d requests for %d non-replicated outcalls", n, calls)
	}
	var res simHTTPResult
	if r[calls].Status != canisters.StatusReplied || candid.Decode(r[calls].Reply, &res) != nil || res.Status.Int64() != 200 {
		t.Fatalf("PUT: %+v %q", r[calls], r[calls].Reply)
	}

	// Forgeries against a pending one.
	hang := c.submit(1, c.call(proxy, "forward", fwd(mgmt, "http_request", simNonReplicated(t, srv.URL+"/hang", false))))
	s.run(10, "outcall accepted", func() bool { return len(s.state(0).Outcalls) == 1 })
	p := s.state(0).Outcalls[0]
	d := subnet.OutcallNode(p.ID, 4)
	other := (d + 1) % 4
	forged := subnet.EncodeOutcallResponse(&subnet.OutcallResponse{Reply: []byte("DIDL\x00\x00")})
	h := subnet.OutcallHash(forged)
	sig := ed25519.Sign(s.nodeKey(int(other)), subnet.OutcallSignBytes(s.chainID, p.ID, h[:]))
	for name, v := range map[string]subnet.OutcallVote{
		"under the designated node's name": {Node: d, Hash: h[:], Sig: sig},
		"of another node":                  {Node: other, Hash: h[:], Sig: sig},
	} {
		tx := &subnet.OutcallTx{ID: p.ID, Response: forged, Votes: []subnet.OutcallVote{v}}
		if s.accepts([][]byte{subnet.EncodeTx(&subnet.Tx{Outcall: tx})}) {
			t.Fatalf("the subnet accepts a response signed by node %d %s", other, name)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for !c.final(hang) && time.Now().Before(deadline) {
		s.step()
		time.Sleep(5 * time.Millisecond)
	}
	hr := s.nodes[1].app.canisterStatus(hang[0][:])
	if code, msg, ok := proxyReject(hr); !ok || code != 2 || msg != "Timeout expired" {
		t.Fatalf("hanging non-replicated outcall: %+v %q", hr, hr.Reply)
	}
	s.sameCanisters()
}

// TestSimOutcallNonReplicatedMotoko: a Motoko canister's non-replicated
// outcall with a transform: one request reaches the server, and the
// canister gets the transformed response (the JSON-RPC result only).
func TestSimOutcallNonReplicatedMotoko(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a Motoko canister")
	}
	wasm := ethRPCWasm(t)
	s := newSimSubnet(t, 4, subnetOptions{}, func(c *Config) { c.OutcallsAllowHTTPLoopback = true })
	c := &canClient{s: s}
	can := c.createArg(wasm, []byte("DIDL\x00\x00"))
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%d,"result":"0x2a"}`, hits.Add(1))
	}))
	defer srv.Close()
	arg, err := candid.Encode(srv.URL, `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`)
	if err != nil {
		t.Fatal(err)
	}
	r := c.runOutcalls(2, c.call(can, "rpcOnce", arg))
	var got string
	if r[0].Status != canisters.StatusReplied || candid.Decode(r[0].Reply, &got) != nil || got != "0x2a" {
		t.Fatalf("rpcOnce: %+v %q", r[0], r[0].Reply)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("the server saw %d requests", n)
	}
	s.sameCanisters()
}
