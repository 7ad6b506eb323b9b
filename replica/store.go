package replica

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble"

	"github.com/chainkey/chainkey/replica/subnet"
)

// store is the application's replicated state in pebble.
//
// All writes of one height go to an in-memory overlay (subnet.Overlay);
// commit writes the overlay and the height's metadata in one pebble batch
// with fsync, so a height is either entirely on disk or not at all. After
// a crash CometBFT's handshake replays the blocks above the stored height.
type store struct {
	db kvStore
	ov *subnet.Overlay
}

// kvStore is the ordered key-value store under a store: pebble on disk
// for a node, a map in memory for the protocol tests.
type kvStore interface {
	// get returns a copy of the value of key.
	get(key []byte) ([]byte, bool, error)
	// scan calls fn for every key with the given prefix, in key order,
	// stopping early when fn returns false.
	scan(prefix []byte, fn func(k, v []byte) bool) error
	// apply makes the writes that writes reports durable atomically:
	// all of them or none.
	apply(writes func(set func(k, v []byte) error, del func(k []byte) error) error) error
	close() error
}

var keyMeta = []byte("m/meta")

// storeMeta is the committed height and app hash.
type storeMeta struct {
	Height  uint64 `cbor:"1,keyasint"`
	AppHash []byte `cbor:"2,keyasint"`
}

func openStore(dir string) (*store, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return nil, fmt.Errorf("replica: open state store %s: %w", dir, err)
	}
	return newStore(pebbleKV{db}), nil
}

// newStore returns a store over db.
func newStore(db kvStore) *store {
	s := &store{db: db}
	s.ov = subnet.NewOverlay(committedStore{s})
	return s
}

// pebbleKV is a kvStore in a pebble database; apply syncs to disk.
type pebbleKV struct{ db *pebble.DB }

func (p pebbleKV) get(key []byte) ([]byte, bool, error) {
	v, c, err := p.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	return slices.Clone(v), true, nil
}

func (p pebbleKV) scan(prefix []byte, fn func(k, v []byte) bool) error {
	it, err := p.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Key(), it.Value()) {
			break
		}
	}
	return it.Error()
}

func (p pebbleKV) apply(writes func(set func(k, v []byte) error, del func(k []byte) error) error) error {
	b := p.db.NewBatch()
	defer b.Close()
	if err := writes(
		func(k, v []byte) error { return b.Set(k, v, nil) },
		func(k []byte) error { return b.Delete(k, nil) }); err != nil {
		return err
	}
	return b.Commit(pebble.Sync)
}

func (p pebbleKV) close() error { return p.db.Close() }

// committed returns the committed state as subnet.Storage.
func (s *store) committed() subnet.Storage { return committedStore{s} }

// committedStore is the committed state of a store as subnet.Storage.
type committedStore struct{ s *store }

func (c committedStore) Get(key []byte) ([]byte, bool, error) { return c.s.getCommitted(key) }
func (c committedStore) Scan(prefix []byte, fn func(k, v []byte) bool) error {
	return c.s.scanCommitted(prefix, fn)
}

// quietLogger keeps pebble's informational output out of the node's logs.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{})  {}
func (quietLogger) Errorf(string, ...interface{}) {}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}

func (s *store) close() error {
	if s.db == nil {
		return nil
	}
	err := s.db.close()
	s.db = nil
	return err
}

// get reads key through the overlay of the current height.
func (s *store) get(key []byte) ([]byte, bool, error) { return s.ov.Get(key) }

// getCommitted reads key from the last committed height only.
func (s *store) getCommitted(key []byte) ([]byte, bool, error) {
	v, ok, err := s.db.get(key)
	if err != nil {
		return nil, false, fmt.Errorf("replica: read state: %w", err)
	}
	return v, ok, nil
}

func (s *store) set(key, value []byte) { s.ov.Set(key, value) }

func (s *store) del(key []byte) { s.ov.Delete(key) }

// discard drops the overlay (a height that was finalized but never committed).
func (s *store) discard() { s.ov.Discard() }

// scanCommitted calls fn for every committed key with the given prefix, in
// key order, stopping early when fn returns false.
func (s *store) scanCommitted(prefix []byte, fn func(k, v []byte) bool) error {
	if err := s.db.scan(prefix, fn); err != nil {
		return fmt.Errorf("replica: scan state: %w", err)
	}
	return nil
}

func prefixEnd(p []byte) []byte {
	end := slices.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// writesDigest is the digest of the height's writes (see
// subnet.Overlay.WritesDigest): the part of the app hash that commits to
// the height's state changes.
func (s *store) writesDigest() [32]byte { return s.ov.WritesDigest() }

// commit writes the overlay and meta in one synced batch.
func (s *store) commit(meta storeMeta) error {
	enc, err := subnet.Marshal(meta)
	if err != nil {
		return err
	}
	if err := s.db.apply(func(set func(k, v []byte) error, del func(k []byte) error) error {
		if err := s.ov.Writes(set, del); err != nil {
			return err
		}
		return set(keyMeta, enc)
	}); err != nil {
		return fmt.Errorf("replica: commit height %d: %w", meta.Height, err)
	}
	s.discard()
	return nil
}

func (s *store) loadMeta() (storeMeta, error) {
	var m storeMeta
	v, ok, err := s.getCommitted(keyMeta)
	if err != nil || !ok {
		return m, err
	}
	if err := subnet.Unmarshal(v, &m); err != nil {
		return m, fmt.Errorf("replica: decode state meta: %w", err)
	}
	return m, nil
}

func hasPrefix(k []byte, p string) bool { return bytes.HasPrefix(k, []byte(p)) }
