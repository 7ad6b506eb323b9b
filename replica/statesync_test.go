package replica

import (
	"context"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestStateSyncRejoin runs a CometBFT subnet whose CUPs come every 20
// heights: blocks below the latest CUP minus the margin are pruned; then a
// node loses its disk (secrets and validator key kept), restarts with
// state sync, restores the latest CUP from its peers, catches up and signs
// again: with another node down, certification needs its shares.
func TestStateSyncRejoin(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT subnet")
	}
	ports, err := freePorts(4)
	if err != nil {
		t.Fatal(err)
	}
	rpc := func(i int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i])) }
	var sync *StateSyncConfig
	tweak := func(c *Config) {
		c.RPCListen = rpc(c.Index)
		if c.Index == 3 && sync != nil {
			c.StateSync = sync
		}
	}
	ts := newTestSubnetOpts(t, 4, tweak, subnetOptions{cupInterval: 20, dealer: true})
	deadline := time.Now().Add(90 * time.Second)
	for ts.nodes[0].app.cup.latestHeight() < 60 {
		if time.Now().After(deadline) {
			t.Fatalf("no second CUP: height %d, CUP %d", ts.nodes[0].Height(), ts.nodes[0].app.cup.latestHeight())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Bounded disk: CometBFT prunes below the retain height.
	for ts.nodes[0].comet.BlockStore().Base() <= 1 {
		if time.Now().After(deadline) {
			t.Fatalf("blocks not pruned: base %d at height %d", ts.nodes[0].comet.BlockStore().Base(), ts.nodes[0].Height())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("height %d: block store base %d, CUP %d", ts.nodes[0].Height(), ts.nodes[0].comet.BlockStore().Base(), ts.nodes[0].app.cup.latestHeight())

	st, err := ts.nodes[0].Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.CUPHeight < 60 || st.RetainHeight == 0 || st.BlockBase <= 1 || st.DiskBytes["blocks"] == 0 || st.DiskBytes["snapshots"] == 0 {
		t.Fatalf("status: CUP %d, retain %d, base %d, disk %v", st.CUPHeight, st.RetainHeight, st.BlockBase, st.DiskBytes)
	}
	// Node 3 loses its data directory.
	home := ts.cfgs[3].Home
	ts.stop(3)
	if h, err := StoredHeight(home); err != nil || h < 60 {
		t.Fatalf("stored height %d: %v", h, err)
	}
	if err := WipeData(home); err != nil {
		t.Fatal(err)
	}
	if h, err := StoredHeight(home); err != nil || h != 0 {
		t.Fatalf("stored height after the wipe %d: %v", h, err)
	}
	if _, err := os.Stat(filepath.Join(home, cometDir, "data", "priv_validator_state.json")); err != nil {
		t.Fatal("the wipe lost the validator state")
	}
	bs := ts.nodes[0].comet.BlockStore()
	th := bs.Height() - 2
	meta := bs.LoadBlockMeta(th)
	sync = &StateSyncConfig{RPCServers: []string{rpc(0), rpc(1)}, TrustHeight: th, TrustHash: hex.EncodeToString(meta.BlockID.Hash),
		RootKey: hex.EncodeToString(ts.nodes[0].RootKeyDER())}
	start := time.Now()
	ts.start(3)
	// Caught up with the subnet (within a height), with a block store
	// that begins after a CUP (block sync has stored the blocks after the
	// restored one): not a replay from genesis.
	for ts.nodes[3].Height()+1 < ts.nodes[0].Height() || ts.nodes[3].comet.BlockStore().Base() == 0 {
		if time.Since(start) > 60*time.Second {
			t.Fatalf("node 3 at height %d after state sync, subnet at %d", ts.nodes[3].Height(), ts.nodes[0].Height())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("node 3 follows the subnet at height %d after %v (block base %d)", ts.nodes[3].Height(), time.Since(start),
		ts.nodes[3].comet.BlockStore().Base())
	if b := ts.nodes[3].comet.BlockStore().Base(); b == 1 {
		t.Fatalf("node 3 replayed the chain from genesis (block store base %d)", b)
	}
	// Without node 1 the subnet certifies only with node 3's shares.
	ts.stop(1)
	c := ts.nodes[0].CertifiedHeight()
	ts.waitCertified(c+5, 30*time.Second)
}

// TestPruningKeepsEvidence: with blocks pruned every CUP, a node sending
// bad certification shares is still convicted at heights after pruning
// (evidence needs only the vote extensions of the last height and the
// state roots the state keeps, not old blocks).
func TestPruningKeepsEvidence(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT subnet")
	}
	ts := newTestSubnetOpts(t, 4, lying(2, faults{BadCertShares: true}), subnetOptions{cupInterval: 10, dealer: true})
	deadline := time.Now().Add(90 * time.Second)
	for ts.nodes[0].comet.BlockStore().Base() <= 1 {
		if time.Now().After(deadline) {
			t.Fatalf("blocks not pruned: height %d, CUP %d", ts.nodes[0].Height(), ts.nodes[0].app.cup.latestHeight())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cs, _ := ts.nodes[0].app.committed()
	before := cs.Convicted[2]
	base := ts.nodes[0].comet.BlockStore().Base()
	for {
		cs, _ = ts.nodes[0].app.committed()
		if cs.Convicted[2] > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no conviction after pruning (convicted %d, base %d)", before, base)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("block base %d; node 2 convicted %d -> %d times", base, before, cs.Convicted[2])
}
