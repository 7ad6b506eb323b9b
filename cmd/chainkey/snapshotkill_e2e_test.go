package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/rpc"
)

// TestSnapshotSIGKILL runs four `chainkey node` processes with a CUP
// every 10 heights while a client keeps signing through every node. It
// SIGKILLs node 2 while it writes a snapshot (a temporary snapshot
// directory is on disk), restarts it, and checks that nothing
// acknowledged is lost and no node is stuck: node 2 catches up, keeps
// every request it had acknowledged before the kill (a resubmission is a
// duplicate), cuts the following snapshots completely, and serves them:
// node 3, wiped, joins from nodes 2 and 1 by state sync.
func TestSnapshotSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 4-node subnet")
	}
	dir := t.TempDir()
	bin := chainkeyBinary(t)
	ini := initSubnet(t, bin, dir, 4, "--cup-interval", "10")
	var homes []string
	for _, n := range ini.Nodes {
		homes = append(homes, n.Home)
	}
	rpcs := freeAddrs(t, 4)
	var pmu sync.Mutex
	procs := make([]*nodeProc, 4)
	start := func(i int, extra ...string) {
		// Blocks are kept 200 heights below the latest CUP (every 10
		// heights here), so that a node slowed down by a loaded machine
		// still finds the blocks after the CUP it restored from.
		p := startNodeProc(t, bin, homes[i], append([]string{"--rpc-listen", rpcs[i], "--retain-margin", "200"}, extra...)...)
		pmu.Lock()
		procs[i] = p
		pmu.Unlock()
	}
	for i := range homes {
		start(i)
	}
	cleanupNodeProcs(t, &procs)
	key, _ := ingress.GenerateEd25519()
	clients := dialNodes(t, ini, key)
	sign := func(c *rpc.Client) (*ingress.Envelope, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		msg := make([]byte, 32)
		rand.Read(msg)
		env, err := c.NewSignEnvelope(rpc.SignArgs{KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: msg})
		if err != nil {
			return nil, err
		}
		_, err = c.SignEnvelope(ctx, env)
		return env, err
	}
	deadline := time.Now().Add(4 * time.Minute)
	for {
		if _, err := sign(clients[0]); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subnet never signed")
		}
		time.Sleep(500 * time.Millisecond)
	}

	// A client signs through nodes 0, 1 and 3 all along; what node 2
	// acknowledged before its kill is recorded.
	var amu sync.Mutex
	var acked []*ingress.Envelope
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, i := range []int{0, 1, 3} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if env, err := sign(clients[i]); err == nil {
					amu.Lock()
					acked = append(acked, env)
					amu.Unlock()
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()

	// Kill node 2 the moment a temporary snapshot directory appears.
	snaps := filepath.Join(homes[2], "snapshots")
	killedDuring := false
	for attempt := 0; attempt < 6 && !killedDuring; attempt++ {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			ents, _ := os.ReadDir(snaps)
			found := ""
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), ".tmp") {
					found = e.Name()
				}
			}
			if found != "" {
				procs[2].kill()
				if _, err := os.Stat(filepath.Join(snaps, found)); err == nil {
					killedDuring = true
					t.Logf("node 2 killed while writing snapshot %s", found)
				}
				break
			}
			time.Sleep(time.Millisecond)
		}
		if !killedDuring {
			// Missed the window (or killed just after the rename): go on
			// from a restart and try at the next CUP.
			procs[2].kill()
			start(2)
		}
	}
	if !killedDuring {
		t.Fatal("never caught node 2 writing a snapshot")
	}
	amu.Lock()
	before := append([]*ingress.Envelope(nil), acked...)
	amu.Unlock()
	began := time.Now()
	start(2)
	ctx := context.Background()
	target, err := clients[0].Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for {
		s2, err := clients[2].Status(ctx)
		if err == nil && s2.GetHeight() >= target.GetHeight()+12 && s2.GetCupHeight() > 0 {
			t.Logf("node 2 past height %d and a new CUP (%d) %v after its restart", target.GetHeight()+12, s2.GetCupHeight(), time.Since(began))
			break
		}
		if time.Since(began) > 90*time.Second {
			t.Fatalf("node 2 stuck after the kill: %v %v", s2, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every request acknowledged before the kill is known to node 2.
	for _, env := range before {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := clients[2].SignEnvelope(ctx, env)
		cancel()
		if status.Code(err) != codes.AlreadyExists {
			t.Fatalf("acknowledged request resubmitted to node 2: %v, want a duplicate", err)
		}
	}
	t.Logf("%d acknowledged requests kept", len(before))
	ents, _ := os.ReadDir(snaps)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			// The next cut removes a leftover; none may stay once a later
			// snapshot is complete.
			if _, err := os.Stat(filepath.Join(snaps, strings.TrimSuffix(e.Name(), ".tmp"))); err == nil {
				t.Fatalf("temporary %s beside its complete snapshot", e.Name())
			}
		}
	}

	// Node 3 loses its data and joins by state sync from nodes 2 and 1.
	st, err := clients[0].Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rootKey := hex.EncodeToString(st.GetRootKeyDer())
	procs[3].kill()
	for _, d := range []string{"state", "snapshots"} {
		os.RemoveAll(filepath.Join(homes[3], d))
	}
	data := filepath.Join(homes[3], "cometbft", "data")
	des, _ := os.ReadDir(data)
	for _, e := range des {
		if e.Name() != "priv_validator_state.json" {
			os.RemoveAll(filepath.Join(data, e.Name()))
		}
	}
	os.Remove(filepath.Join(homes[3], "node.log"))
	began = time.Now()
	start(3, "--state-sync", rpcs[2]+","+rpcs[1], "--root-key", rootKey)
	waitLog(t, homes[3], "state restored from catch-up package", 60*time.Second)
	restored := time.Since(began)
	target, _ = clients[0].Status(ctx)
	for {
		s3, err := clients[3].Status(ctx)
		if err == nil && s3.GetHeight() >= target.GetHeight() {
			t.Logf("node 3 restored from a CUP in %v, caught up in %v", restored, time.Since(began))
			break
		}
		if time.Since(began) > 90*time.Second {
			t.Fatalf("node 3 did not catch up from node 2: %v %v", s3, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
