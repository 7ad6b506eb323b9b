package httpapi_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/httpapi/httpapitest"
	"github.com/chainkey/chainkey/principal"
)

// testNode is a server over an in-memory subnet with a counter canister.
type testNode struct {
	subnet   *httpapitest.Subnet
	server   *httpapi.Server
	nodeKey  ed25519.PrivateKey
	canister principal.Principal
	clock    *clock
}

// clock is a settable clock; zero offset is the wall clock, as the Node
// clients check certificate times against theirs.
type clock struct{ offset time.Duration }

func (c *clock) now() time.Time { return time.Now().Add(c.offset) }

func newTestNode(t testing.TB, cfg httpapi.Config) *testNode {
	t.Helper()
	_, nodeKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	sub, err := httpapitest.New(nil, clk.now, principal.FromCanisterIndex(0), principal.FromCanisterIndex(1<<20-1), nodeKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	canister := principal.FromCanisterIndex(1)
	if err := sub.Install(canister, &httpapitest.Counter{}); err != nil {
		t.Fatal(err)
	}
	cfg.Backend, cfg.NodeKey, cfg.Now = sub, nodeKey, clk.now
	srv, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{subnet: sub, server: srv, nodeKey: nodeKey, canister: canister, clock: clk}
}

// start serves n on a loopback port until the test ends.
func (n *testNode) start(t testing.TB) string {
	t.Helper()
	ts := httptest.NewServer(n.server)
	t.Cleanup(ts.Close)
	return ts.URL
}
