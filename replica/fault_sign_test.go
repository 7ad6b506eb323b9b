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
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/replica/subnet"
)

func signOne(t *testing.T, nd *Node, keyID string, msg []byte) *api.SignResult {
	t.Helper()
	caller, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := nd.Sign(ctx, mustVerify(t, signRequest(t, caller, keyID, msg, nil)))
	if err != nil {
		t.Fatalf("%s: %v", keyID, err)
	}
	return res
}

// TestNodeKilledDuringSigning: a node is stopped abruptly while a request
// it accepted is pending; the request is still answered, and the node
// comes back with its shares and the reply.
func TestNodeKilledDuringSigning(t *testing.T) {
	if testing.Short() {
		t.Skip("restart through CometBFT; the protocol side is TestSimCrashedNode")
	}
	ts := newTestSubnet(t, 4, nil)
	ts.waitStock(120 * time.Second)
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("killed"))
	env := signRequest(t, caller, "ecdsa:secp256k1:dfx_test_key", h[:], nil)
	_, id, _ := env.DecodeSignContent()
	done := make(chan error, 1)
	var res *api.SignResult
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var err error
		res, err = ts.nodes[0].Sign(ctx, mustVerify(t, env))
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
