package replica

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/subnet"
	"github.com/chainkey/chainkey/thresholdsig"
)

func smallChunks(c *Config) { c.snapChunk = 4 << 10 }

// syncFrom state-syncs node to the latest snapshot of node from, as
// CometBFT's state sync does; stopAfter > 0 stops after that many chunks.
func (s *simSubnet) syncFrom(to, from int, stopAfter int) uint64 {
	s.t.Helper()
	ctx := context.Background()
	src, dst := s.nodes[from].app, s.nodes[to].app
	list, err := src.ListSnapshots(ctx, &abci.ListSnapshotsRequest{})
	if err != nil || len(list.Snapshots) == 0 {
		s.t.Fatalf("node %d lists no snapshot: %v", from, err)
	}
	snap := list.Snapshots[len(list.Snapshots)-1]
	// An offer whose app hash is not the chain's is refused.
	if res, _ := dst.OfferSnapshot(ctx, &abci.OfferSnapshotRequest{Snapshot: snap, AppHash: make([]byte, 32)}); res.Result != abci.OFFER_SNAPSHOT_RESULT_REJECT {
		s.t.Fatalf("offer with a wrong app hash: %v", res.Result)
	}
	res, err := dst.OfferSnapshot(ctx, &abci.OfferSnapshotRequest{Snapshot: snap, AppHash: s.blocks[snap.Height-1].hash})
	if err != nil || res.Result != abci.OFFER_SNAPSHOT_RESULT_ACCEPT {
		s.t.Fatalf("node %d refuses the snapshot of height %d: %v %v", to, snap.Height, res, err)
	}
	for i := uint32(0); i < snap.Chunks; i++ {
		if stopAfter > 0 && int(i) == stopAfter {
			return snap.Height
		}
		c, err := src.LoadSnapshotChunk(ctx, &abci.LoadSnapshotChunkRequest{Height: snap.Height, Format: snap.Format, Chunk: i})
		if err != nil {
			s.t.Fatal(err)
		}
		if i == 0 && snap.Chunks > 1 {
			// A chunk that does not match the manifest is fetched again.
			bad := bytes.Clone(c.Chunk)
			bad[0] ^= 1
			r, err := dst.ApplySnapshotChunk(ctx, &abci.ApplySnapshotChunkRequest{Index: i, Chunk: bad, Sender: "liar"})
			if err != nil || r.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY || len(r.RejectSenders) != 1 {
				s.t.Fatalf("a bad chunk: %v %v", r, err)
			}
		}
		r, err := dst.ApplySnapshotChunk(ctx, &abci.ApplySnapshotChunkRequest{Index: i, Chunk: c.Chunk, Sender: "peer"})
		if err != nil || r.Result != abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT {
			s.t.Fatalf("chunk %d: %v %v", i, r, err)
		}
	}
	return snap.Height
}

// replayFrom executes the blocks after height on node i, checking the app
// hashes, as CometBFT's block sync does after a state sync.
func (s *simSubnet) replayFrom(i int) {
	s.t.Helper()
	nd := s.nodes[i]
	info, err := nd.app.Info(context.Background(), &abci.InfoRequest{})
	if err != nil {
		s.t.Fatal(err)
	}
	for h := info.LastBlockHeight + 1; h <= int64(len(s.blocks)); h++ {
		b := s.blocks[h-1]
		res, err := nd.app.FinalizeBlock(context.Background(), &abci.FinalizeBlockRequest{Height: h, Time: b.time, Txs: b.txs,
			DecidedLastCommit: abci.CommitInfo{Votes: b.decided}})
		if err != nil {
			s.t.Fatalf("node %d replays height %d: %v", i, h, err)
		}
		if !bytes.Equal(res.AppHash, b.hash) {
			s.t.Fatalf("node %d replays height %d to another app hash", i, h)
		}
		if _, err := nd.app.Commit(context.Background(), &abci.CommitRequest{}); err != nil {
			s.t.Fatal(err)
		}
	}
}

// wipe kills node i and deletes its state and snapshots; its secrets stay.
func (s *simSubnet) wipe(i int) {
	s.t.Helper()
	s.crash(i)
	s.kv[i] = newMemKV()
	if err := os.RemoveAll(filepath.Join(s.nodes[i].cfg.Home, snapshotsDir)); err != nil {
		s.t.Fatal(err)
	}
}

func TestCUPStateSync(t *testing.T) {
	const interval = 10
	s := newSimSubnet(t, 4, subnetOptions{cupInterval: interval}, smallChunks)
	s.run(200, "keys", s.keysReady)
	// Run until a CUP after the keys is certified on every node.
	start := s.height()
	s.run(4*interval, "a certified CUP", func() bool {
		for _, nd := range s.live() {
			if h := nd.app.cup.latestHeight(); h <= uint64(start) {
				return false
			}
		}
		return true
	})
	// Every node agrees on the CUP leaf, and the CUP verifies with the
	// root key alone.
	cs := s.state(0)
	for i := 1; i < 4; i++ {
		if !bytes.Equal(s.state(i).CUP, cs.CUP) {
			t.Fatalf("node %d has another CUP leaf", i)
		}
	}
	leaf, err := subnet.DecodeCUPLeaf(cs.CUP)
	if err != nil {
		t.Fatal(err)
	}
	cup, err := s.nodes[0].app.readCUP(leaf.Height)
	if err != nil {
		t.Fatal(err)
	}
	root, err := thresholdsig.ParseDERPublicKey(s.nodes[0].app.keys(cs).rootKey)
	if err != nil {
		t.Fatal(err)
	}
	core, err := subnet.VerifyCUP(cup, root)
	if err != nil {
		t.Fatal(err)
	}
	if len(core.KeyTr) != len(s.nodes[0].app.gen.KeyIDs) || !core.BLSReady {
		t.Fatalf("CUP core state without the keys: %d key transcripts", len(core.KeyTr))
	}
	if len(cup.Manifest.Chunks) < 2 {
		t.Fatalf("snapshot of %d chunks; the test wants several", len(cup.Manifest.Chunks))
	}
	if got, want := s.nodes[0].app.retainHeight(cs), int64(leaf.Height)-interval; got != max(want, 0) {
		t.Fatalf("retain height %d, want %d", got, want)
	}

	mfs, err := s.nodes[0].app.metrics.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]float64{}
	for _, mf := range mfs {
		if len(mf.GetMetric()) > 0 && mf.GetMetric()[0].GetGauge() != nil {
			seen[mf.GetName()] = mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	if seen["chainkey_cup_height"] != float64(leaf.Height) || seen["chainkey_disk_bytes"] == 0 {
		t.Fatalf("metrics: %v", seen)
	}
	// Node 3 loses its disk (secrets kept). A state sync killed after
	// the offer leaves a store the next start clears.
	s.wipe(3)
	s.open(3)
	s.syncFrom(3, 0, 1)
	s.crash(3)
	s.open(3)
	if h := s.state(3).Height; h != 0 {
		t.Fatalf("after a crash during state sync the node starts at height %d", h)
	}
	n := 0
	s.kv[3].scan(nil, func([]byte, []byte) bool { n++; return true })
	if n != 0 {
		t.Fatalf("after a crash during state sync %d keys are left", n)
	}
	h := s.syncFrom(3, 0, 0)
	if got := s.state(3); got.Height != h || !bytes.Equal(got.AppHash, s.blocks[h-1].hash) {
		t.Fatalf("restored height %d", got.Height)
	}
	t.Logf("CUP of height %d (%d chunks, %d bytes); node 3 restored at %d, replays to %d", leaf.Height, len(cup.Manifest.Chunks), cup.Manifest.Size, h, s.height())
	s.replayFrom(3)
	s.nodes[3].dealer = newDealer(s.nodes[3].app)
	// With node 1 down the certification (threshold 3 of 4) needs node
	// 3's shares: the restored node signs.
	s.crash(1)
	before := s.state(0).LastCertified
	s.steps(6)
	t.Logf("certified %d -> %d with node 1 down", before, s.state(0).LastCertified)
	if after := s.state(0).LastCertified; after <= before+3 {
		t.Fatalf("certified %d -> %d without node 1: the restored node does not sign", before, after)
	}
	for _, k := range s.nodes[0].app.gen.KeyIDs {
		if rec := s.signWith(3, k); rec.Status != subnet.StatusReplied {
			t.Fatalf("%s: %s", k, rec.Status)
		}
	}
}

func (s *simSubnet) signWith(i int, keyID string) *subnet.RequestRecord {
	s.t.Helper()
	caller, err := ingress.GenerateEd25519()
	if err != nil {
		s.t.Fatal(err)
	}
	_, rec := s.sign(i, caller, keyID, bytes.Repeat([]byte{7}, 32))
	return rec
}

func TestCUPSnapshotCrash(t *testing.T) {
	const interval = 6
	s := newSimSubnet(t, 4, subnetOptions{cupInterval: interval, dealer: true, bls: fakeBLS{}}, func(c *Config) { fake(c); smallChunks(c) })
	s.steps(interval)
	// Node 2 dies while cutting the snapshot of height 6: a temporary
	// directory with part of the chunks is left.
	s.crash(2)
	tmp := s.nodes[2].app.snapDir(interval) + ".tmp"
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "chunk.000000"), []byte("partial"), 0o600)
	s.restart(2)
	if _, err := os.Stat(tmp); err == nil {
		t.Fatal("the unfinished snapshot is still there")
	}
	s.steps(3) // height 7 cuts the snapshot again; the app hashes agree
	a, err0 := readSnapManifest(s.nodes[0].app.snapDir(interval))
	b, err2 := readSnapManifest(s.nodes[2].app.snapDir(interval))
	if err0 != nil || err2 != nil {
		t.Fatal(err0, err2)
	}
	if !bytes.Equal(subnet.ManifestHash(&a.Manifest), subnet.ManifestHash(&b.Manifest)) {
		t.Fatal("the snapshot cut again differs")
	}
}

func TestTrimWAL(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"wal", "wal.000", "wal.001", "wal.002", "wal.010", "wal.011", "other"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600)
	}
	if got := trimWAL(dir, 2); got != 3 {
		t.Fatalf("removed %d files, want 3", got)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{"other", "wal", "wal.010", "wal.011"}; !slices.Equal(names, want) {
		t.Fatalf("left %v, want %v", names, want)
	}
}

// TestCUPWithoutDisk: a node that cannot store its snapshot (its snapshot
// directory is a file) still computes the agreed CUP leaf and keeps up.
func TestCUPWithoutDisk(t *testing.T) {
	const interval = 6
	s := newSimSubnet(t, 4, subnetOptions{cupInterval: interval, dealer: true, bls: fakeBLS{}}, func(c *Config) { fake(c); smallChunks(c) })
	dir := s.nodes[1].app.cup.dir
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.steps(interval + 3) // the app hashes of all nodes agree at every height
	if len(s.state(1).CUP) == 0 || !bytes.Equal(s.state(1).CUP, s.state(0).CUP) {
		t.Fatal("node 1 has no or another CUP leaf")
	}
}
