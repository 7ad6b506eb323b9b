package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica"
	"github.com/chainkey/chainkey/rpc"
)

func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// waitLog waits until the node's log holds a line containing s.
func waitLog(t *testing.T, home, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join(home, "node.log"))
		if bytes.Contains(b, []byte(s)) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	b, _ := os.ReadFile(filepath.Join(home, "node.log"))
	t.Fatalf("%s: no %q in the log within %v:\n%s", home, s, timeout, tail(b, 3000))
}

// TestStateSyncSIGKILL runs four `chainkey node` processes with a CUP every
// 20 heights, wipes node 3's data (secrets and validator state kept),
// restarts it with --state-sync, SIGKILLs it while it restores the CUP,
// restarts it again, and checks that it catches up and that the subnet
// certifies and signs with node 1 down (which needs node 3's shares).
func TestStateSyncSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 4-node subnet")
	}
	dir := t.TempDir()
	bin := chainkeyBinary(t)
	ini := initSubnet(t, bin, dir, 4, "--cup-interval", "20")
	var homes []string
	for _, n := range ini.Nodes {
		homes = append(homes, n.Home)
	}
	rpcs := freeAddrs(t, 4)
	procs := make([]*nodeProc, 4)
	start := func(i int, extra ...string) {
		procs[i] = startNodeProc(t, bin, homes[i], append([]string{"--rpc-listen", rpcs[i]}, extra...)...)
	}
	for i := range homes {
		start(i)
	}
	cleanupNodeProcs(t, &procs)
	key, _ := ingress.GenerateEd25519()
	clients := dialNodes(t, ini, key)
	sign := func(c *rpc.Client) error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		msg := make([]byte, 32)
		rand.Read(msg)
		env, err := c.NewSignEnvelope(rpc.SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: msg})
		if err != nil {
			return err
		}
		_, err = c.SignEnvelope(ctx, env)
		return err
	}
	// Wait for a signature and a second CUP.
	deadline := time.Now().Add(4 * time.Minute)
	for sign(clients[0]) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the subnet never signed")
		}
		time.Sleep(500 * time.Millisecond)
	}
	ctx := context.Background()
	for {
		st, err := clients[0].Status(ctx)
		if err == nil && st.GetCupHeight() >= 40 && st.GetBlockBase() > 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pruning after a second CUP: %v %v", st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	st, err := clients[0].Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rootKey := hex.EncodeToString(st.GetRootKeyDer())

	// Node 3 loses its data directory.
	procs[3].kill()
	for _, d := range []string{"state", "snapshots"} {
		os.RemoveAll(filepath.Join(homes[3], d))
	}
	data := filepath.Join(homes[3], "cometbft", "data")
	ents, _ := os.ReadDir(data)
	for _, e := range ents {
		if e.Name() != "priv_validator_state.json" {
			os.RemoveAll(filepath.Join(data, e.Name()))
		}
	}
	os.Remove(filepath.Join(homes[3], "node.log"))
	syncArgs := []string{"--state-sync", rpcs[0] + "," + rpcs[1], "--root-key", rootKey, "--log-level", "debug"}
	start(3, syncArgs...)
	// SIGKILL as soon as the node accepted the CUP and started writing.
	waitLog(t, homes[3], "restoring from catch-up package", 60*time.Second)
	procs[3].kill()
	b, _ := os.ReadFile(filepath.Join(homes[3], "node.log"))
	killedAt := "after the restore"
	if !bytes.Contains(b, []byte("state restored from catch-up package")) {
		killedAt = "during the restore"
	}
	t.Logf("node 3 killed %s", killedAt)
	began := time.Now()
	start(3, syncArgs...)
	target, _ := clients[0].Status(ctx)
	for {
		s3, err := clients[3].Status(ctx)
		// Caught up, and its block store begins after a CUP (block sync
		// has stored the blocks after it): not replayed from genesis.
		if err == nil && s3.GetHeight() >= target.GetHeight() && s3.GetBlockBase() > 0 {
			t.Logf("node 3 at height %d (subnet at %d when it restarted) after %v; block base %d", s3.GetHeight(), target.GetHeight(),
				time.Since(began), s3.GetBlockBase())
			if s3.GetBlockBase() <= 1 {
				t.Fatal("node 3 replayed from genesis")
			}
			break
		}
		if time.Since(began) > 90*time.Second {
			t.Fatalf("node 3 did not catch up: %v %v", s3, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Without node 1, certification needs node 3: signing through node 3
	// works.
	procs[1].kill()
	deadline = time.Now().Add(60 * time.Second)
	for {
		err := sign(clients[3])
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no signature through the restored node with node 1 down: %v", err)
		}
	}

	// Node 1 comes back (it replays the few blocks it missed). Node 2 is
	// then offline until its peers no longer keep the blocks after its
	// state: restarted with --state-sync it drops its chain data and
	// joins from a CUP.
	start(1)
	procs[2].kill()
	stored, err := replica.StoredHeight(homes[2])
	if err != nil || stored == 0 {
		t.Fatalf("node 2 stored height %d: %v", stored, err)
	}
	deadline = time.Now().Add(3 * time.Minute)
	for {
		st, err := clients[0].Status(ctx)
		if err == nil && st.GetBlockBase() > stored+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocks after node 2's state %d never pruned: %v %v", stored, st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	start(2, "--state-sync", rpcs[0]+","+rpcs[3], "--root-key", rootKey)
	waitLog(t, homes[2], "older than the blocks its peers keep", 30*time.Second)
	waitLog(t, homes[2], "state restored from catch-up package", 60*time.Second)
	target, _ = clients[0].Status(ctx)
	for {
		s2, err := clients[2].Status(ctx)
		if err == nil && s2.GetHeight() >= target.GetHeight() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 2 did not catch up: %v %v", s2, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
