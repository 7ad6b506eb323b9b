package agent_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/agent"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/httpapi/httpapitest"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

type node struct {
	subnet   *httpapitest.Subnet
	server   *httpapi.Server
	url      string
	canister principal.Principal
}

func newNode(t *testing.T, cfg httpapi.Config, wrap func(http.Handler) http.Handler) *node {
	t.Helper()
	_, nodeKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := httpapitest.New(nil, nil, principal.FromCanisterIndex(0), principal.FromCanisterIndex(1000), nodeKey.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	canister := principal.FromCanisterIndex(3)
	if err := sub.Install(canister, &httpapitest.Counter{}); err != nil {
		t.Fatal(err)
	}
	if cfg.NodeKey == nil {
		cfg.NodeKey = nodeKey
	}
	cfg.Backend = sub
	srv, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &node{subnet: sub, server: srv, url: ts.URL, canister: canister}
}

var nat = []*candid.Type{candid.Prim(candid.KindNat)}

func TestCallAndQuery(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, httpapi.Config{}, nil)
	for name, id := range map[string]ingress.Signer{"anonymous": nil, "ed25519": mustKey(ingress.GenerateEd25519()), "secp256k1": mustKey(ingress.GenerateSecp256k1()), "p256": mustKey(ingress.GenerateP256())} {
		t.Run(name, func(t *testing.T) {
			a, err := agent.New(ctx, agent.Config{Endpoint: n.url, Identity: id})
			if err != nil {
				t.Fatal(err)
			}
			before, err := a.QueryCandid(ctx, n.canister, "read", nil, nil, nat)
			if err != nil {
				t.Fatal(err)
			}
			got, err := a.CallCandid(ctx, n.canister, "inc", nil, nil, nat)
			if err != nil {
				t.Fatal(err)
			}
			if got[0].(*big.Int).Int64() != before[0].(*big.Int).Int64()+1 {
				t.Fatalf("inc = %v after %v", got[0], before[0])
			}
			who, err := a.QueryCandid(ctx, n.canister, "whoami", nil, nil, []*candid.Type{candid.Prim(candid.KindPrincipal)})
			if err != nil {
				t.Fatal(err)
			}
			if who[0].(principal.Principal) != a.Sender() {
				t.Fatalf("whoami %v, want %v", who[0], a.Sender())
			}
		})
	}
}

func mustKey[T ingress.Signer](k T, err error) ingress.Signer {
	if err != nil {
		panic(err)
	}
	return k
}

func TestRejects(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, httpapi.Config{}, nil)
	a, err := agent.New(ctx, agent.Config{Endpoint: n.url})
	if err != nil {
		t.Fatal(err)
	}
	var rej *agent.RejectError
	_, err = a.Call(ctx, n.canister, "fail", []byte("DIDL\x00\x00"))
	if !errors.As(err, &rej) || rej.Code != 4 || !rej.Certified || rej.ErrorCode != "IC0406" {
		t.Fatalf("certified reject: %v", err)
	}
	_, err = a.Query(ctx, n.canister, "inc", []byte("DIDL\x00\x00"))
	if !errors.As(err, &rej) || rej.Code != 3 || rej.Certified {
		t.Fatalf("query reject: %v", err)
	}
	_, err = a.Call(ctx, principal.Management(), "provisional_create_canister_with_cycles", []byte("DIDL\x00\x00"))
	if !errors.As(err, &rej) || rej.ErrorCode != "IC0302" {
		t.Fatalf("non-replicated rejection: %v", err)
	}
	var he *agent.HTTPError
	_, err = a.Call(ctx, principal.FromCanisterIndex(1<<30), "inc", nil)
	if !errors.As(err, &he) || he.Status != 400 {
		t.Fatalf("outside the ranges: %v", err)
	}
}

// TestPolling: the node answers the synchronous call with 202 and the agent
// polls read_state until the subnet has executed the call.
func TestPolling(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, httpapi.Config{SyncCallTimeout: 10 * time.Millisecond}, nil)
	n.subnet.SetManual(true)
	a, err := agent.New(ctx, agent.Config{Endpoint: n.url, PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
				n.subnet.Step()
			}
		}
	}()
	reply, err := a.Call(ctx, n.canister, "inc", nil)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := candid.Unmarshal(reply, nat)
	if v[0].(*big.Int).Int64() != 1 {
		t.Fatalf("reply %v", v)
	}
}

// TestV2Fallback: a node without the v3 endpoints.
func TestV2Fallback(t *testing.T) {
	ctx := context.Background()
	var v2 int
	n := newNode(t, httpapi.Config{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/v3/") {
				http.NotFound(w, r)
				return
			}
			if strings.HasPrefix(r.URL.Path, "/api/v2/canister/") && !strings.HasSuffix(r.URL.Path, "read_state") {
				v2++
			}
			h.ServeHTTP(w, r)
		})
	})
	a, err := agent.New(ctx, agent.Config{Endpoint: n.url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Call(ctx, n.canister, "inc", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Query(ctx, n.canister, "read", nil); err != nil {
		t.Fatal(err)
	}
	if v2 != 2 {
		t.Fatalf("%d v2 requests, want 2", v2)
	}
}

// TestDistrust: a wrong root key, a node signing queries with a key its
// subnet does not certify, and a tampered certificate are all refused.
func TestDistrust(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, httpapi.Config{}, nil)
	other := newNode(t, httpapi.Config{}, nil)
	a, err := agent.New(ctx, agent.Config{Endpoint: n.url, RootKey: other.subnet.RootKey()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Call(ctx, n.canister, "inc", nil); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("call under the wrong root key: %v", err)
	}

	_, rogueKey, _ := ed25519.GenerateKey(rand.Reader)
	rogue := newNode(t, httpapi.Config{NodeKey: rogueKey}, nil)
	a, err = agent.New(ctx, agent.Config{Endpoint: rogue.url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Query(ctx, rogue.canister, "read", nil); err == nil || !strings.Contains(err.Error(), "is not a node of subnet") {
		t.Fatalf("query from an uncertified node key: %v", err)
	}
	a, err = agent.New(ctx, agent.Config{Endpoint: rogue.url, SkipQuerySignatures: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Query(ctx, rogue.canister, "read", nil); err != nil {
		t.Fatalf("unchecked query: %v", err)
	}

	// A node whose certificate trees are changed on the way.
	tamper := newNode(t, httpapi.Config{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			if strings.HasSuffix(r.URL.Path, "/read_state") {
				if rs, err := httpapi.ParseReadStateResponse(body); err == nil {
					i := len(rs.Certificate) - 60 // inside the tree, before the signature
					rs.Certificate[i] ^= 1
					body = append([]byte{0xd9, 0xd9, 0xf7, 0xa1, 0x6b}, "certificate"...)
					body = append(body, 0x59, byte(len(rs.Certificate)>>8), byte(len(rs.Certificate)))
					body = append(body, rs.Certificate...)
				}
			}
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	})
	a, err = agent.New(ctx, agent.Config{Endpoint: tamper.url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ReadState(ctx, tamper.canister, [][][]byte{{[]byte("time")}}); err == nil {
		t.Fatal("tampered certificate accepted")
	}
}

func TestIdentityPEM(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, httpapi.Config{}, nil)
	k, _ := ingress.GenerateEd25519()
	id, err := ingress.ParseIdentityPEM(ingress.MarshalEd25519PEM(k))
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(ctx, agent.Config{Endpoint: n.url, Identity: id})
	if err != nil {
		t.Fatal(err)
	}
	if a.Sender() != ingress.Sender(k) {
		t.Fatal("PEM identity has another principal")
	}
	if _, err := a.Call(ctx, n.canister, "inc", nil); err != nil {
		t.Fatal(err)
	}
}

func TestReadSubnetState(t *testing.T) {
	ctx := context.Background()
	n := newNode(t, httpapi.Config{}, nil)
	a, err := agent.New(ctx, agent.Config{Endpoint: n.url})
	if err != nil {
		t.Fatal(err)
	}
	sid := n.subnet.SubnetID()
	cert, err := a.ReadSubnetState(ctx, sid, [][][]byte{{[]byte("subnet"), sid.Bytes(), []byte("public_key")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, v := cert.Lookup([]byte("subnet"), sid.Bytes(), []byte("public_key")); string(v) != string(a.RootKey()) {
		t.Fatal("subnet public key is not the root key")
	}
	var he *agent.HTTPError
	if _, err := a.ReadSubnetState(ctx, sid, [][][]byte{{[]byte("canister"), n.canister.Bytes(), []byte("module_hash")}}); !errors.As(err, &he) || he.Status != 404 {
		t.Fatalf("canister path at the subnet endpoint: %v", err)
	}
}
