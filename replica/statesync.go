package replica

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/replica/subnet"
	"github.com/chainkey/chainkey/thresholdsig"
)

// State sync from a catch-up package.
//
// ListSnapshots offers the node's complete CUPs, the encoded CUP as the
// snapshot's metadata and its state hash as the snapshot hash. A node that
// state-syncs accepts an offer only if the CUP verifies under the
// subnet's root key (the configured one or, without one, the key of the
// CUP's own core state, whose app hash CometBFT's light client has then
// checked against the chain) and its app hash is the one the light client
// verified. Every chunk must match the manifest digest the CUP certifies
// and continue the key order; a chunk that does not is fetched again from
// another peer. The entries go straight into the state store, which is
// cleared first and marked (keyRestoring) so that a crash mid-way leaves a
// store the next start clears; the last chunk writes the height metadata
// and removes the mark in one synced batch, and the node then loads the
// state as after a restart: its BLS shares from its files or the stored
// key-generation messages, its IDKG shares recomputed from the stored
// transcripts with its own decryption key.

// ListSnapshots lists the node's complete CUP snapshots.
func (a *app) ListSnapshots(context.Context, *abci.ListSnapshotsRequest) (*abci.ListSnapshotsResponse, error) {
	resp := &abci.ListSnapshotsResponse{}
	cs, _ := a.committed()
	retain := uint64(max(a.retainHeight(cs), 0))
	for _, h := range a.snapshotHeights(true) {
		if h < retain {
			continue // the blocks after it are pruned: a light client could not check it
		}
		c, err := a.readCUP(h)
		if err != nil {
			continue
		}
		resp.Snapshots = append(resp.Snapshots, &abci.Snapshot{Height: h, Format: snapshotFormat,
			Chunks: uint32(len(c.Manifest.Chunks)), Hash: slices.Clone(c.Leaf.StateHash), Metadata: subnet.EncodeCUP(c)})
	}
	return resp, nil
}

// LoadSnapshotChunk returns a chunk of a snapshot the node holds.
func (a *app) LoadSnapshotChunk(_ context.Context, req *abci.LoadSnapshotChunkRequest) (*abci.LoadSnapshotChunkResponse, error) {
	if req.Format != snapshotFormat {
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	b, err := os.ReadFile(chunkFile(a.snapDir(req.Height), int(req.Chunk)))
	if err != nil {
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	return &abci.LoadSnapshotChunkResponse{Chunk: b}, nil
}

// trustedRootKey is the subnet root key a state-syncing node checks CUPs
// with: the configured one, else the one of the CUP's core state.
func (a *app) trustedRootKey(core *subnet.State) (*thresholdsig.PublicKey, error) {
	if ss := a.cfg.StateSync; ss != nil && ss.RootKey != "" {
		der, err := hex.DecodeString(ss.RootKey)
		if err != nil {
			return nil, fmt.Errorf("replica: state sync root key: %w", err)
		}
		return thresholdsig.ParseDERPublicKey(der)
	}
	if a.gen.KeyGen == keyGenDealer {
		return thresholdsig.ParseDERPublicKey(a.rootKey)
	}
	if !core.BLSReady {
		return nil, fmt.Errorf("replica: CUP of height %d before the keys exist", core.Height)
	}
	der, err := a.bls.GroupKeyDER(core.CertPub)
	if err != nil {
		return nil, err
	}
	return thresholdsig.ParseDERPublicKey(der)
}

// OfferSnapshot accepts a snapshot whose CUP verifies.
func (a *app) OfferSnapshot(_ context.Context, req *abci.OfferSnapshotRequest) (*abci.OfferSnapshotResponse, error) {
	reject := &abci.OfferSnapshotResponse{Result: abci.OFFER_SNAPSHOT_RESULT_REJECT}
	s := req.Snapshot
	if s == nil || s.Format != snapshotFormat {
		return &abci.OfferSnapshotResponse{Result: abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT}, nil
	}
	c, err := subnet.DecodeCUP(s.Metadata)
	if err != nil {
		a.log.Warn("snapshot offer refused", "height", s.Height, "err", err)
		return reject, nil
	}
	var core subnet.State
	if err := subnet.Unmarshal(c.Core, &core); err != nil {
		return reject, nil
	}
	key, err := a.trustedRootKey(&core)
	if err != nil {
		a.log.Warn("snapshot offer refused", "height", s.Height, "err", err)
		return reject, nil
	}
	if _, err := subnet.VerifyCUP(c, key); err != nil {
		a.log.Warn("snapshot offer refused", "height", s.Height, "err", err)
		return reject, nil
	}
	if c.Leaf.Height != s.Height || !bytes.Equal(c.Leaf.StateHash, s.Hash) || int(s.Chunks) != len(c.Manifest.Chunks) ||
		!bytes.Equal(c.Leaf.AppHash, req.AppHash) {
		a.log.Warn("snapshot offer refused: it does not match its CUP or the chain's app hash", "height", s.Height)
		return reject, nil
	}
	// Clear the store under the restoring mark.
	if err := a.st.db.apply(func(set func(k, v []byte) error, _ func(k []byte) error) error {
		return set(keyRestoring, []byte{1})
	}); err != nil {
		return nil, err
	}
	if err := a.clearStore(); err != nil {
		return nil, err
	}
	if err := a.st.db.apply(func(set func(k, v []byte) error, _ func(k []byte) error) error {
		return set(keyRestoring, []byte{1})
	}); err != nil {
		return nil, err
	}
	a.cup.mu.Lock()
	a.cup.restore = &restoreState{cup: c}
	a.cup.mu.Unlock()
	a.log.Info("restoring from catch-up package", "height", c.Leaf.Height, "chunks", len(c.Manifest.Chunks))
	return &abci.OfferSnapshotResponse{Result: abci.OFFER_SNAPSHOT_RESULT_ACCEPT}, nil
}

// ApplySnapshotChunk verifies a chunk against the CUP's manifest and
// writes its entries; the last one completes the restore.
func (a *app) ApplySnapshotChunk(_ context.Context, req *abci.ApplySnapshotChunkRequest) (*abci.ApplySnapshotChunkResponse, error) {
	a.cup.mu.Lock()
	r := a.cup.restore
	a.cup.mu.Unlock()
	if r == nil {
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT}, nil
	}
	if int(req.Index) != r.next {
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY,
			RefetchChunks: []uint32{uint32(r.next)}}, nil
	}
	entries, err := subnet.DecodeChunk(&r.cup.Manifest, r.next, req.Chunk, r.prev)
	if err != nil {
		a.log.Warn("snapshot chunk refused", "index", req.Index, "sender", req.Sender, "err", err)
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY,
			RefetchChunks: []uint32{req.Index}, RejectSenders: []string{req.Sender}}, nil
	}
	last := r.next == len(r.cup.Manifest.Chunks)-1
	var meta []byte
	if last {
		if meta, err = subnet.Marshal(storeMeta{Height: r.cup.Leaf.Height, AppHash: r.cup.Leaf.AppHash}); err != nil {
			return nil, err
		}
	}
	if err := a.st.db.apply(func(set func(k, v []byte) error, del func(k []byte) error) error {
		for _, e := range entries {
			if bytes.HasPrefix(e.Key, []byte("m/")) {
				return fmt.Errorf("replica: snapshot carries node-local key %q", e.Key)
			}
			if err := set(e.Key, e.Value); err != nil {
				return err
			}
		}
		if last {
			if err := set(keyMeta, meta); err != nil {
				return err
			}
			return del(keyRestoring)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("replica: apply snapshot chunk %d: %w", req.Index, err)
	}
	if len(entries) > 0 {
		r.prev = slices.Clone(entries[len(entries)-1].Key)
	}
	r.next++
	if l, ok := a.cfg.lie.(interface{ crashInStateSync(int) bool }); ok && l.crashInStateSync(r.next) {
		return nil, fmt.Errorf("replica: test fault: crash during state sync after chunk %d", r.next)
	}
	if !last {
		return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT}, nil
	}
	a.cup.mu.Lock()
	a.cup.restore = nil
	a.cup.mu.Unlock()
	if err := a.reloadCommitted(); err != nil {
		return nil, err
	}
	a.log.Info("state restored from catch-up package", "height", r.cup.Leaf.Height)
	return &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT}, nil
}

// reloadCommitted loads the committed state after a restore, as newApp
// does at a restart, and ends the node's wait for state sync.
func (a *app) reloadCommitted() error {
	meta, err := a.st.loadMeta()
	if err != nil {
		return err
	}
	v, ok, err := a.st.getCommitted([]byte(keyCore))
	if err != nil || !ok {
		return fmt.Errorf("replica: restored state of height %d has no core record: %v", meta.Height, err)
	}
	cs := &subnet.State{}
	if err := subnet.Unmarshal(v, cs); err != nil {
		return fmt.Errorf("replica: decode restored state: %w", err)
	}
	if cs.Convicted == nil {
		cs.Convicted = map[uint32]uint64{}
	}
	records := map[string]*subnet.RequestRecord{}
	if err := a.st.scanCommitted([]byte(subnet.PrefixStatus), func(k, v []byte) bool {
		var r subnet.RequestRecord
		if subnet.Unmarshal(v, &r) == nil {
			records[string(k[len(subnet.PrefixStatus):])] = &r
		}
		return true
	}); err != nil {
		return err
	}
	if a.btc != nil {
		raw, ok, err := a.st.getCommitted([]byte(keyBitcoin))
		if err != nil {
			return err
		}
		if ok {
			if err := a.btc.Restore(raw); err != nil {
				return err
			}
		}
	}
	k := a.keys(cs)
	var tree certification.HashTree
	if tree, err = subnet.CertifiedTree(cs.TimeNS, k.subnetID.Bytes(), k.rootKey, records, a.treeLeaves(cs)...); err != nil {
		return err
	}
	if s := a.idkg; s != nil {
		keep := map[string]bool{}
		for _, p := range cs.Pending {
			if r := p.PresigRec; r != nil {
				keep[string(presigID(r.KeyID, r.ID))] = true
			}
		}
		if err := s.consumed.Compact(func(id []byte) bool { return keep[string(id)] }); err != nil {
			return err
		}
	}
	if err := a.refreshCommittee(cs); err != nil {
		return err
	}
	a.mu.Lock()
	a.cs, a.records = cs, records
	clear(a.trees)
	clear(a.certs)
	a.trees[cs.Height] = tree
	a.mu.Unlock()
	if a.gen.KeyGen == keyGenDKG {
		if err := a.initBLSDKG(); err != nil {
			return err
		}
		if cs.BLSReady {
			if err := a.loadDKGShares(cs); err != nil {
				return err
			}
		}
	}
	a.endSync()
	return nil
}

// startSync makes the node wait for a snapshot before it deals: set when
// state sync is configured and the store is empty.
func (a *app) startSync() { a.cup.syncing.Store(true) }

// endSync ends the wait for a snapshot.
func (a *app) endSync() {
	if a.cup.syncing.CompareAndSwap(true, false) {
		close(a.cup.synced)
	}
}

// waitSynced blocks while the node waits for a snapshot (or until quit).
func (a *app) waitSynced(quit <-chan struct{}) {
	if !a.cup.syncing.Load() {
		return
	}
	select {
	case <-a.cup.synced:
	case <-quit:
	}
}
