package replica

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/replica/subnet"
)

// Catch-up packages on a node.
//
// Executing height h+1 of a CUP height h, the node cuts the state
// committed at h into snapshot chunks under HOME/snapshots/<h>/ (written
// to a temporary directory, synced, then renamed: a crash leaves either a
// whole snapshot or none, and a replayed block cuts it again from the
// same committed state) and puts the CUP leaf into the core state, so the
// certified tree carries it. Once a height from h+1 on is certified the
// node writes the complete CUP beside the chunks; from then on it offers
// the snapshot to nodes that state-sync. Commit returns the latest CUP
// height minus the retention margin as CometBFT's RetainHeight.

const (
	snapshotsDir = "snapshots"
	// snapshotFormat is the ABCI snapshot format of a CUP snapshot.
	snapshotFormat = 1
	// keepSnapshots is how many snapshots a node keeps on disk.
	keepSnapshots    = 2
	snapManifestFile = "manifest"
	snapCUPFile      = "cup"
)

// keyRestoring marks a state sync in progress: a node that finds it at
// start clears the state store (a half-applied snapshot is no state).
var keyRestoring = []byte("m/restoring")

// cupNode is the node-local part of catch-up packages: the snapshots on
// disk and a state sync in progress.
type cupNode struct {
	dir string
	// syncing is set while the node waits for or applies a snapshot.
	syncing atomic.Bool
	synced  chan struct{}

	mu      sync.Mutex
	latest  uint64 // height of the latest complete CUP on disk
	restore *restoreState

	cupHeight, retain prometheus.Gauge
}

// restoreState is a snapshot being applied.
type restoreState struct {
	cup  *subnet.CUP
	next int
	prev []byte
}

// snapManifest is what the node stores beside a snapshot's chunks.
type snapManifest struct {
	Manifest subnet.Manifest `cbor:"1,keyasint"`
	Core     []byte          `cbor:"2,keyasint"`
	AppHash  []byte          `cbor:"3,keyasint"`
}

func (a *app) cupInterval() uint64 {
	if a.gen.CUPInterval == 0 {
		return subnet.DefaultCUPInterval
	}
	return a.gen.CUPInterval
}

// retainMargin is how many heights below the latest CUP CometBFT keeps
// its blocks: by default one CUP interval, so the blocks after the
// previous CUP stay until the next CUP is agreed and a node that chose
// the previous snapshot can still finish its state sync.
func (a *app) retainMargin() uint64 {
	if a.cfg.RetainMargin == 0 {
		return a.cupInterval()
	}
	return a.cfg.RetainMargin
}

// initCUP sets up the snapshot directory: it drops unfinished snapshots
// and clears a state store a state sync left half applied.
func (a *app) initCUP() error {
	c := &a.cup
	c.dir = filepath.Join(a.cfg.Home, snapshotsDir)
	c.synced = make(chan struct{})
	c.cupHeight = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "chainkey", Name: "cup_height",
		Help: "Height of the latest catch-up package this node holds complete."})
	c.retain = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "chainkey", Name: "retain_height",
		Help: "RetainHeight returned to CometBFT: blocks below it are pruned."})
	a.metrics.reg.MustRegister(c.cupHeight, c.retain)
	for _, d := range []struct{ name, dir string }{
		{"state", a.cfg.stateDir()}, {"blocks", filepath.Join(a.cfg.cometRoot(), "data")}, {"snapshots", c.dir}} {
		dir := d.dir
		a.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "chainkey", Name: "disk_bytes",
			Help: "Bytes on disk under the node's directories.", ConstLabels: prometheus.Labels{"dir": d.name}},
			func() float64 { return float64(dirSize(dir)) }))
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("replica: snapshots: %w", err)
	}
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("replica: snapshots: %w", err)
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			if err := os.RemoveAll(filepath.Join(c.dir, e.Name())); err != nil {
				return fmt.Errorf("replica: snapshots: %w", err)
			}
		}
	}
	if hs := a.snapshotHeights(true); len(hs) > 0 {
		c.latest = hs[len(hs)-1]
	}
	if _, ok, err := a.st.getCommitted(keyRestoring); err != nil {
		return err
	} else if ok {
		a.log.Warn("a state sync was interrupted: clearing the state store")
		if err := a.clearStore(); err != nil {
			return err
		}
	}
	return nil
}

// clearStore deletes every key of the state store in one synced batch.
func (a *app) clearStore() error {
	var keys [][]byte
	if err := a.st.scanCommitted(nil, func(k, _ []byte) bool {
		keys = append(keys, slices.Clone(k))
		return true
	}); err != nil {
		return err
	}
	return a.st.db.apply(func(_ func(k, v []byte) error, del func(k []byte) error) error {
		for _, k := range keys {
			if err := del(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func (a *app) snapDir(h uint64) string {
	return filepath.Join(a.cup.dir, fmt.Sprintf("%020d", h))
}

// snapshotHeights lists the heights of the snapshots on disk (with a CUP
// only, if complete), ascending.
func (a *app) snapshotHeights(complete bool) []uint64 {
	ents, err := os.ReadDir(a.cup.dir)
	if err != nil {
		return nil
	}
	var hs []uint64
	for _, e := range ents {
		h, err := strconv.ParseUint(e.Name(), 10, 64)
		if err != nil || !e.IsDir() {
			continue
		}
		if complete {
			if _, err := os.Stat(filepath.Join(a.cup.dir, e.Name(), snapCUPFile)); err != nil {
				continue
			}
		}
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
	return hs
}

// cutSnapshot returns the CUP leaf of the committed state (height h),
// cutting its snapshot to disk unless a complete one is there already.
func (a *app) cutSnapshot(committed *subnet.State) (*subnet.CUPLeaf, error) {
	h := committed.Height
	dir := a.snapDir(h)
	sm, err := readSnapManifest(dir)
	if err != nil {
		if sm, err = a.writeSnapshot(dir, h); err != nil {
			return nil, err
		}
	}
	ch := sha256.Sum256(sm.Core)
	return &subnet.CUPLeaf{Height: h, AppHash: slices.Clone(sm.AppHash), StateHash: subnet.ManifestHash(&sm.Manifest), CoreHash: ch[:]}, nil
}

func readSnapManifest(dir string) (*snapManifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, snapManifestFile))
	if err != nil {
		return nil, err
	}
	var sm snapManifest
	if err := subnet.Unmarshal(b, &sm); err != nil {
		return nil, fmt.Errorf("replica: snapshot manifest: %w", err)
	}
	return &sm, nil
}

func chunkFile(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("chunk.%06d", i)) }

// writeSnapshot cuts the committed state into chunk files of a temporary
// directory, syncs them and renames the directory into place. If the
// files cannot be written (a full disk), the node still computes the
// manifest, which the agreed CUP leaf needs, and serves no snapshot of
// the height.
func (a *app) writeSnapshot(dir string, h uint64) (*snapManifest, error) {
	began := time.Now()
	tmp := dir + ".tmp"
	sm, err := a.storeSnapshot(dir, tmp, h)
	if err != nil {
		a.log.Error("cannot store the snapshot; computing its hash only", "height", h, "err", err)
		os.RemoveAll(tmp)
		return a.cutState(h, nil)
	}
	a.log.Info("snapshot cut", "height", h, "chunks", len(sm.Manifest.Chunks), "bytes", sm.Manifest.Size,
		"took", time.Since(began).Round(time.Millisecond))
	return sm, nil
}

func (a *app) storeSnapshot(dir, tmp string, h uint64) (*snapManifest, error) {
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	i := 0
	sm, err := a.cutState(h, func(c []byte) error {
		err := writeFileSync(chunkFile(tmp, i), c)
		i++
		return err
	})
	if err != nil {
		return nil, err
	}
	enc, err := subnet.Marshal(sm)
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(tmp, snapManifestFile), enc); err != nil {
		return nil, err
	}
	if err := syncDir(tmp); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	if err := syncDir(a.cup.dir); err != nil {
		return nil, err
	}
	return sm, nil
}

// cutState cuts the committed state of height h into chunks, passing each
// to emit (nil: only hash them), and returns the manifest.
func (a *app) cutState(h uint64, emit func([]byte) error) (*snapManifest, error) {
	if emit == nil {
		emit = func([]byte) error { return nil }
	}
	size := subnet.SnapshotChunkSize
	if a.cfg.snapChunk > 0 {
		size = a.cfg.snapChunk
	}
	w := subnet.NewSnapshotWriter(size, emit)
	var core []byte
	var werr error
	if err := a.st.scanCommitted(nil, func(k, v []byte) bool {
		if bytes.HasPrefix(k, []byte("m/")) {
			return true // node-local: height metadata
		}
		if string(k) == keyCore {
			core = slices.Clone(v)
		}
		werr = w.Add(k, v)
		return werr == nil
	}); err != nil {
		return nil, err
	}
	if werr != nil {
		return nil, werr
	}
	m, err := w.Finish()
	if err != nil {
		return nil, err
	}
	var cs subnet.State
	if err := subnet.Unmarshal(core, &cs); err != nil || cs.Height != h {
		return nil, fmt.Errorf("replica: snapshot of height %d: committed core state is of height %d (%v)", h, cs.Height, err)
	}
	return &snapManifest{Manifest: *m, Core: core, AppHash: cs.AppHash}, nil
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeAtomic writes path through a synced temporary file and a rename.
func writeAtomic(path string, b []byte) error {
	if err := writeFileSync(path+".tmp", b); err != nil {
		return err
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// cupLeaves are the certified-tree entries of the latest CUP of cs.
func cupLeaves(cs *subnet.State) []certification.PathValue {
	if len(cs.CUP) == 0 {
		return nil
	}
	return []certification.PathValue{{Path: subnet.CUPPath(), Value: cs.CUP}}
}

// treeLeaves are the entries the certified tree of cs carries beside the
// request statuses: the components', the latest CUP's and the subnet's
// (node keys, canister ranges; httpnode.go).
func (a *app) treeLeaves(cs *subnet.State) []certification.PathValue {
	return append(append(a.components.Leaves(), cupLeaves(cs)...), a.subnetLeaves(a.keys(cs))...)
}

// treeParts is treeLeaves with the components' many request statuses as
// prebuilt subtrees (subnet.Components.TreeParts): the same tree.
func (a *app) treeParts(cs *subnet.State) ([]certification.PathValue, *certification.LabelTrie, error) {
	leaves, statuses, err := a.components.TreeParts()
	if err != nil {
		return nil, nil, err
	}
	return append(append(leaves, cupLeaves(cs)...), a.subnetLeaves(a.keys(cs))...), statuses, nil
}

// recordCUP puts the leaf of the CUP of the previous height, if that is a
// CUP height, into the state of the height being executed.
func (e *exec) recordCUP() error {
	if e.dry || e.cs.Height == 0 {
		return nil
	}
	committed, _ := e.a.committed()
	if !subnet.IsCUPHeight(committed.Height, e.a.cupInterval()) || committed.Height != e.cs.Height {
		return nil
	}
	leaf, err := e.a.cutSnapshot(committed)
	if err != nil {
		return fmt.Errorf("replica: catch-up package of height %d: %w", committed.Height, err)
	}
	e.cs.CUP = leaf.Encode()
	return nil
}

// completeCUP runs after a commit: once the height that first carried
// the latest CUP leaf (or a later one) is certified, it writes the CUP
// beside its snapshot, and it drops older snapshots.
func (a *app) completeCUP(cs *subnet.State) {
	a.endSync() // a node that commits blocks is not waiting for a snapshot
	if cs.Height%walTrimEvery == 0 {
		trimWAL(a.cfg.walDir(), walKeep)
	}
	if len(cs.CUP) == 0 || cs.LastCertified == 0 {
		return
	}
	leaf, err := subnet.DecodeCUPLeaf(cs.CUP)
	if err != nil || leaf.Height <= a.cup.latestHeight() || cs.LastCertified <= leaf.Height {
		return
	}
	a.mu.Lock()
	tree, sig := a.trees[cs.LastCertified], a.certs[cs.LastCertified]
	a.mu.Unlock()
	if tree == nil || sig == nil {
		return
	}
	dir := a.snapDir(leaf.Height)
	sm, err := readSnapManifest(dir)
	if err != nil {
		return // this node joined after the height: no snapshot of it
	}
	cup, err := subnet.NewCUP(leaf, &sm.Manifest, sm.Core, tree, sig)
	if err != nil {
		return // the certified tree is of an older CUP
	}
	if err := writeAtomic(filepath.Join(dir, snapCUPFile), subnet.EncodeCUP(cup)); err != nil {
		a.log.Error("write catch-up package", "height", leaf.Height, "err", err)
		return
	}
	a.cup.mu.Lock()
	a.cup.latest = leaf.Height
	a.cup.mu.Unlock()
	a.cup.cupHeight.Set(float64(leaf.Height))
	a.log.Info("catch-up package certified", "height", leaf.Height, "certified_at", cs.LastCertified)
	hs := a.snapshotHeights(false)
	for len(hs) > keepSnapshots {
		os.RemoveAll(a.snapDir(hs[0]))
		hs = hs[1:]
	}
}

func (c *cupNode) latestHeight() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest
}

// retainHeight is the RetainHeight Commit returns for cs: the latest
// agreed CUP height minus the margin (0: keep everything).
func (a *app) retainHeight(cs *subnet.State) int64 {
	if len(cs.CUP) == 0 {
		return 0
	}
	leaf, err := subnet.DecodeCUPLeaf(cs.CUP)
	if err != nil || leaf.Height <= a.retainMargin() {
		return 0
	}
	return int64(leaf.Height - a.retainMargin())
}

// readCUP returns the stored CUP of height h.
func (a *app) readCUP(h uint64) (*subnet.CUP, error) {
	b, err := os.ReadFile(filepath.Join(a.snapDir(h), snapCUPFile))
	if err != nil {
		return nil, err
	}
	return subnet.DecodeCUP(b)
}

// LatestCUP returns the node's latest certified catch-up package, encoded
// (nil if it has none).
func (n *Node) LatestCUP() []byte {
	h := n.app.cup.latestHeight()
	if h == 0 {
		return nil
	}
	c, err := n.app.readCUP(h)
	if err != nil {
		return nil
	}
	return subnet.EncodeCUP(c)
}

// dirSize returns the bytes of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// storageStatus fills the catch-up and disk fields of a status.
func (n *Node) storageStatus(s *api.Status, cs *subnet.State) {
	a := n.app
	s.CUPHeight = a.cup.latestHeight()
	s.RetainHeight = uint64(max(a.retainHeight(cs), 0))
	if n.comet != nil {
		s.BlockBase = uint64(max(n.comet.BlockStore().Base(), 0))
	}
	s.DiskBytes = map[string]int64{
		"state":     dirSize(a.cfg.stateDir()),
		"blocks":    dirSize(filepath.Join(a.cfg.cometRoot(), "data")),
		"snapshots": dirSize(a.cup.dir),
	}
}

// StoredHeight returns the height of the state stored in the node home
// (0: none). The node must not be running.
func StoredHeight(home string) (uint64, error) {
	dir := filepath.Join(home, stateDir)
	if ents, err := os.ReadDir(dir); err != nil || len(ents) == 0 {
		return 0, nil
	}
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}, ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("replica: open state store %s: %w", dir, err)
	}
	s := newStore(pebbleKV{db})
	defer s.close()
	if _, ok, err := s.getCommitted(keyRestoring); err != nil {
		return 0, err
	} else if ok {
		return 0, nil // an interrupted state sync: no state
	}
	m, err := s.loadMeta()
	return m.Height, err
}

// WipeData deletes what a node stores about the chain (its state store,
// snapshots and CometBFT's data) so that it joins again from a catch-up
// package. It keeps the node's configuration, secrets, CometBFT keys and
// the validator's last-signed state, which guards against signing twice.
func WipeData(home string) error {
	for _, d := range []string{stateDir, snapshotsDir} {
		if err := os.RemoveAll(filepath.Join(home, d)); err != nil {
			return fmt.Errorf("replica: wipe: %w", err)
		}
	}
	data := filepath.Join(home, cometDir, "data")
	ents, err := os.ReadDir(data)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replica: wipe: %w", err)
	}
	for _, e := range ents {
		if e.Name() == "priv_validator_state.json" {
			continue
		}
		if err := os.RemoveAll(filepath.Join(data, e.Name())); err != nil {
			return fmt.Errorf("replica: wipe: %w", err)
		}
	}
	return nil
}
