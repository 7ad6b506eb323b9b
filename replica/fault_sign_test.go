package replica

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/subnet"
)

func (ts *testSubnet) waitConvicted(node int, timeout time.Duration) {
	ts.t.Helper()
	deadline := time.Now().Add(timeout)
	for i, nd := range ts.nodes {
		if nd == nil || i == node {
			continue
		}
		for {
			st, _ := nd.Status(context.Background())
			if st.Convicted[node] > 0 {
				for k := range st.Convicted {
					if k != node {
						ts.t.Fatalf("node %d convicted honest node %d", i, k)
					}
				}
				break
			}
			if time.Now().After(deadline) {
				ts.t.Fatalf("node %d has not convicted node %d: %v", i, node, st.Convicted)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func signOne(t *testing.T, nd *Node, keyID string, msg []byte) *SignResult {
	t.Helper()
	caller, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := nd.Sign(ctx, signRequest(t, caller, keyID, msg, nil))
	if err != nil {
		t.Fatalf("%s: %v", keyID, err)
	}
	return res
}

// TestLyingSignerConvicted: a node sending bad signature shares is
// convicted, and the signatures the subnet returns are still valid.
func TestLyingSignerConvicted(t *testing.T) {
	ts := newTestSubnet(t, 4, func(c *Config) {
		if c.Index == 0 {
			c.Faults.BadSignShares = true
		}
	})
	ts.waitStock(120 * time.Second)
	h := sha256.Sum256([]byte("liar"))
	for _, k := range []string{"ecdsa:secp256k1:dfx_test_key", "schnorr:ed25519:dfx_test_key"} {
		res := signOne(t, ts.nodes[1], k, h[:])
		if len(res.Signature) != 64 {
			t.Fatalf("%s: signature of %d bytes", k, len(res.Signature))
		}
	}
	ts.waitConvicted(0, 30*time.Second)
}

// TestLyingDealerConvicted: a node whose dealings are publicly wrong is
// convicted and the keys are made from the other nodes' dealings.
func TestLyingDealerConvicted(t *testing.T) {
	ts := newTestSubnet(t, 4, func(c *Config) {
		if c.Index == 3 {
			c.Faults.BadDealings = true
		}
	})
	ts.waitStock(120 * time.Second)
	ts.waitConvicted(3, 30*time.Second)
	h := sha256.Sum256([]byte("after a bad dealer"))
	signOne(t, ts.nodes[0], "schnorr:bip340secp256k1:dfx_test_key", h[:])
}

// TestNodeKilledDuringSigning: a node is stopped abruptly while a request
// it accepted is pending; the request is still answered, and the node
// comes back with its shares and the reply.
func TestNodeKilledDuringSigning(t *testing.T) {
	ts := newTestSubnet(t, 4, nil)
	ts.waitStock(120 * time.Second)
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("killed"))
	env := signRequest(t, caller, "ecdsa:secp256k1:dfx_test_key", h[:], nil)
	_, id, _ := env.DecodeSignContent()
	done := make(chan error, 1)
	var res *SignResult
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var err error
		res, err = ts.nodes[0].Sign(ctx, env)
		done <- err
	}()
	// Stop node 2 as soon as it has accepted the request.
	deadline := time.Now().Add(30 * time.Second)
	for ts.nodes[2].app.lookupRecord(id[:]) == nil {
		if time.Now().After(deadline) {
			t.Fatal("request never accepted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	ts.stop(2)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ts.start(2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ts.nodes[2].WaitHeight(ctx, res.Height+1); err != nil {
		t.Fatal(err)
	}
	r := ts.nodes[2].app.lookupRecord(id[:])
	if r == nil || r.Status != subnet.StatusReplied || string(r.Signature) != string(res.Signature) {
		t.Fatalf("restarted node's record %+v", r)
	}
	// It still signs with its shares.
	signOne(t, ts.nodes[2], "schnorr:ed25519:dfx_test_key", h[:])
}

// TestNodeKilledDuringKeyGeneration: a node stopped while the keys are
// being dealt restarts and the subnet finishes them; it can then serve.
func TestNodeKilledDuringKeyGeneration(t *testing.T) {
	ts := newTestSubnet(t, 4, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := ts.nodes[1].WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	ts.stop(1)
	ts.start(1)
	ts.waitStock(120 * time.Second)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel2()
	if err := ts.nodes[1].WaitHeight(ctx2, ts.nodes[0].Height()); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte("dkg"))
	signOne(t, ts.nodes[1], "ecdsa:secp256k1:test_key_1", h[:])
}

func TestMetricsEndpoint(t *testing.T) {
	ts := newTestSubnet(t, 1, func(c *Config) {
		if p, err := freePorts(1); err == nil {
			c.MetricsListen = "127.0.0.1:" + itoa(p[0])
		}
	})
	ts.waitCertified(2, 30*time.Second)
	resp, err := http.Get("http://" + ts.cfgs[0].MetricsListen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, m := range []string{"chainkey_height", "chainkey_certified_height", "chainkey_sign_latency_seconds", "chainkey_presignature_stock", "chainkey_dkg_rounds_total", "chainkey_idkg_dealings_total"} {
		if !strings.Contains(string(b), m) {
			t.Errorf("metric %s missing", m)
		}
	}
}

// TestResharingKeepsPublicKeys: the master keys are reshared every few
// heights; the derived public keys stay the same and both presignatures
// made before and after a resharing sign.
func TestResharingKeepsPublicKeys(t *testing.T) {
	ts := newTestSubnetOpts(t, 4, nil, subnetOptions{reshareInterval: 8})
	ts.waitStock(120 * time.Second)
	const k = "ecdsa:secp256k1:dfx_test_key"
	caller, _ := ingress.GenerateEd25519()
	before, _, err := ts.nodes[0].PublicKey(context.Background(), k, ingress.Sender(caller), nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := ts.nodes[0].app.snapshot()
	first := string(cs.KeyTr[k])
	h := sha256.Sum256([]byte("reshare"))
	deadline := time.Now().Add(60 * time.Second)
	for reshares := 0; reshares < 2; {
		cs, _ := ts.nodes[0].app.snapshot()
		if string(cs.KeyTr[k]) != first {
			reshares++
			first = string(cs.KeyTr[k])
			res := signOne(t, ts.nodes[reshares], k, h[:])
			if len(res.Signature) != 64 {
				t.Fatal("bad signature")
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("key never reshared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	after, _, err := ts.nodes[3].PublicKey(context.Background(), k, ingress.Sender(caller), nil)
	if err != nil || string(after) != string(before) {
		t.Fatalf("public key changed by resharing: %x -> %x (%v)", before, after, err)
	}
}
