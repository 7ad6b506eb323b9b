package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/proto/chainkeypb"
	"github.com/chainkey/chainkey/rpc"
)

// TestMembershipProcesses runs `chainkey init --nodes 5 --joiners 1`: four
// genesis `chainkey node` processes and a fifth started with --join,
// which follows the chain as a non-validator. `chainkey subnet add-node
// --endpoint` adds it; node 3 is SIGKILLed while the change is carried
// out and restarted; once the committee switched, node 0 is SIGKILLed
// and a signature is requested through the new node (four of five
// validators, the new one among them, must vote and certify), under the
// unchanged public key. Then `chainkey subnet remove-node --endpoint`
// removes node 1, which is SIGKILLed after the switch, and the subnet
// signs on with the four others.
func TestMembershipProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 5-node subnet")
	}
	dir := t.TempDir()
	bin := chainkeyBinary(t)
	ini := initSubnet(t, bin, dir, 5, "--joiners", "1")
	procs := make([]*nodeProc, 5)
	start := func(i int) {
		if i < 4 {
			procs[i] = startNodeProc(t, bin, ini.Nodes[i].Home)
			return
		}
		procs[i] = startNodeProc(t, bin, ini.Nodes[i].Home, "--join")
	}
	for i := range procs {
		start(i)
	}
	cleanupNodeProcs(t, &procs)
	key, _ := ingress.GenerateEd25519()
	clients := dialNodes(t, ini, key)
	ctx := context.Background()
	const keyID = "ecdsa:secp256k1:dfx_test_key"
	sign := func(i int, what string) []byte {
		t.Helper()
		msg := sha256.Sum256([]byte(what))
		deadline := time.Now().Add(3 * time.Minute)
		for {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			res, err := clients[i].Sign(cctx, rpc.SignArgs{KeyID: keyID, MessageHash: msg[:]})
			cancel()
			if err == nil {
				verifyChainSignature(t, keyID, res.GetPublicKey(), msg[:], res.GetSignature())
				return res.GetPublicKey()
			}
			if time.Now().After(deadline) {
				t.Fatalf("sign through node %d (%s): %v", i, what, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	status := func(i int, done func(*chainkeypb.StatusResponse) bool, what string) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			if st, err := clients[i].Status(ctx); err == nil && done(st) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("node %d: %s: not within 3 minutes", i, what)
	}
	pub := sign(0, "before")

	// 4 -> 5.
	t0 := time.Now()
	var ch registryChangeJSON
	cli := func(args ...string) {
		t.Helper()
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("chainkey %v: %v\n%s", args, err, stderr)
		}
		if err := json.Unmarshal(out, &ch); err != nil || !ch.Submitted {
			t.Fatalf("chainkey %v printed %q: %v", args, out, err)
		}
	}
	cli("subnet", "add-node", "--node-home", ini.Nodes[4].Home, "--operator-key", ini.OperatorKey, "--version", "1",
		"--endpoint", ini.Nodes[0].GRPC)
	// SIGKILL node 3 while the change is carried out, and restart it.
	status(0, func(st *chainkeypb.StatusResponse) bool { return st.GetMembershipChangePending() }, "change agreed")
	procs[3].kill()
	if st, err := clients[0].Status(ctx); err == nil {
		t.Logf("node 3 killed with the change pending: %v", st.GetMembershipChangePending())
	}
	time.Sleep(500 * time.Millisecond)
	start(3)
	status(3, func(st *chainkeypb.StatusResponse) bool {
		return st.GetRegistryVersion() == 1 && !st.GetMembershipChangePending() && len(st.GetMembers()) == 5
	}, "restarted node 3 switched")
	status(4, func(st *chainkeypb.StatusResponse) bool {
		return st.GetRegistryVersion() == 1 && !st.GetMembershipChangePending() && len(st.GetMembers()) == 5
	}, "switch to five members")
	switched := time.Since(t0)
	procs[0].kill()
	if got := sign(4, "after 4 -> 5, node 0 down"); string(got) != string(pub) {
		t.Fatal("public key changed by the membership change")
	}
	t.Logf("add-node to switch %v, to a signature through the new node with node 0 down %v", switched.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
	start(0)

	// 5 -> 4: node 1 leaves.
	var info nodeInfoJSON
	b, err := exec.Command(bin, "subnet", "node-info", "--home", ini.Nodes[1].Home).Output()
	if err != nil || json.Unmarshal(b, &info) != nil {
		t.Fatalf("node-info: %v %q", err, b)
	}
	t1 := time.Now()
	cli("subnet", "remove-node", info.NodeID, "--operator-key", ini.OperatorKey, "--version", "2", "--chain-id", info.ChainID,
		"--endpoint", ini.Nodes[2].GRPC)
	status(2, func(st *chainkeypb.StatusResponse) bool {
		return st.GetRegistryVersion() == 2 && !st.GetMembershipChangePending() && len(st.GetMembers()) == 4
	}, "switch to four members")
	t.Logf("remove-node to switch %v", time.Since(t1).Round(time.Millisecond))
	procs[1].kill()
	if got := sign(3, "after 5 -> 4, node 1 gone"); string(got) != string(pub) {
		t.Fatal("public key changed by the removal")
	}
}

// TestMembershipJoinStateSync adds a node that is not running: the four
// genesis nodes carry the change out (the BLS epoch deals to the absent
// node), switch, and take a catch-up package after the switch. The new
// node then starts with --join --state-sync, restores that package,
// derives its shares from the stored epoch messages and transcripts, and
// with node 0 SIGKILLed the subnet signs through it.
func TestMembershipJoinStateSync(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 5-node subnet")
	}
	dir := t.TempDir()
	bin := chainkeyBinary(t)
	ini := initSubnet(t, bin, dir, 5, "--joiners", "1", "--cup-interval", "20")
	rpcs := freeAddrs(t, 5)
	procs := make([]*nodeProc, 5)
	start := func(i int, extra ...string) {
		procs[i] = startNodeProc(t, bin, ini.Nodes[i].Home, append([]string{"--rpc-listen", rpcs[i]}, extra...)...)
	}
	for i := range 4 {
		start(i)
	}
	cleanupNodeProcs(t, &procs)
	key, _ := ingress.GenerateEd25519()
	clients := dialNodes(t, ini, key)
	ctx := context.Background()
	const keyID = "ecdsa:secp256k1:dfx_test_key"
	sign := func(i int, what string) []byte {
		t.Helper()
		msg := sha256.Sum256([]byte(what))
		deadline := time.Now().Add(3 * time.Minute)
		for {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			res, err := clients[i].Sign(cctx, rpc.SignArgs{KeyID: keyID, MessageHash: msg[:]})
			cancel()
			if err == nil {
				verifyChainSignature(t, keyID, res.GetPublicKey(), msg[:], res.GetSignature())
				return res.GetPublicKey()
			}
			if time.Now().After(deadline) {
				t.Fatalf("sign through node %d (%s): %v", i, what, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	wait := func(i int, done func(*chainkeypb.StatusResponse) bool, what string) *chainkeypb.StatusResponse {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			if st, err := clients[i].Status(ctx); err == nil && done(st) {
				return st
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("node %d: %s: not within 3 minutes", i, what)
		return nil
	}
	pub := sign(0, "before")
	out, err := exec.Command(bin, "subnet", "add-node", "--node-home", ini.Nodes[4].Home, "--operator-key", ini.OperatorKey,
		"--version", "1", "--endpoint", ini.Nodes[0].GRPC).Output()
	if err != nil {
		t.Fatalf("add-node: %v %s", err, out)
	}
	st := wait(0, func(st *chainkeypb.StatusResponse) bool {
		return st.GetRegistryVersion() == 1 && !st.GetMembershipChangePending() && len(st.GetMembers()) == 5
	}, "switch to five members without the new node running")
	switchedAt := st.GetHeight()
	st = wait(0, func(st *chainkeypb.StatusResponse) bool { return st.GetCupHeight() > switchedAt }, "a CUP after the switch")
	began := time.Now()
	start(4, "--join", "--state-sync", rpcs[0]+","+rpcs[1], "--root-key", hex.EncodeToString(st.GetRootKeyDer()))
	target, _ := clients[0].Status(ctx)
	s4 := wait(4, func(s *chainkeypb.StatusResponse) bool { return s.GetHeight() >= target.GetHeight() }, "caught up")
	t.Logf("joined by state sync (CUP at %d, switch at %d) in %v; block base %d", st.GetCupHeight(), switchedAt,
		time.Since(began).Round(time.Millisecond), s4.GetBlockBase())
	if s4.GetBlockBase() <= 1 {
		t.Fatal("the new node replayed from genesis")
	}
	procs[0].kill()
	if got := sign(4, "through the node that joined by state sync"); string(got) != string(pub) {
		t.Fatal("public key changed")
	}
	t.Logf("add-node to a signature through the new node: %v after it started", time.Since(began).Round(time.Millisecond))
}
