package replica

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/cockroachdb/pebble"
)

// store is the application's replicated state in pebble.
//
// All writes of one height go to an in-memory overlay; commit writes the
// overlay and the height's metadata in one pebble batch with fsync, so a
// height is either entirely on disk or not at all. After a crash CometBFT's
// handshake replays the blocks above the stored height.
type store struct {
	db      *pebble.DB
	pending map[string][]byte // nil value: delete
	deleted map[string]bool
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
	return &store{db: db, pending: map[string][]byte{}, deleted: map[string]bool{}}, nil
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
	err := s.db.Close()
	s.db = nil
	return err
}

// get reads key through the overlay of the current height.
func (s *store) get(key []byte) ([]byte, bool, error) {
	k := string(key)
	if s.deleted[k] {
		return nil, false, nil
	}
	if v, ok := s.pending[k]; ok {
		return slices.Clone(v), true, nil
	}
	return s.getCommitted(key)
}

// getCommitted reads key from the last committed height only.
func (s *store) getCommitted(key []byte) ([]byte, bool, error) {
	v, c, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("replica: read state: %w", err)
	}
	defer c.Close()
	return slices.Clone(v), true, nil
}

func (s *store) set(key, value []byte) {
	k := string(key)
	delete(s.deleted, k)
	s.pending[k] = slices.Clone(value)
}

func (s *store) del(key []byte) {
	k := string(key)
	delete(s.pending, k)
	s.deleted[k] = true
}

// discard drops the overlay (a height that was finalized but never committed).
func (s *store) discard() {
	s.pending = map[string][]byte{}
	s.deleted = map[string]bool{}
}

// scanCommitted calls fn for every committed key with the given prefix, in
// key order, stopping early when fn returns false.
func (s *store) scanCommitted(prefix []byte, fn func(k, v []byte) bool) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return fmt.Errorf("replica: scan state: %w", err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if !fn(it.Key(), it.Value()) {
			break
		}
	}
	return it.Error()
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

// writesDigest hashes the overlay in key order: it is the part of the app
// hash that commits to this height's state changes.
func (s *store) writesDigest() [32]byte {
	keys := make([]string, 0, len(s.pending)+len(s.deleted))
	for k := range s.pending {
		keys = append(keys, k)
	}
	for k := range s.deleted {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	var lenbuf [8]byte
	for _, k := range keys {
		binary.BigEndian.PutUint64(lenbuf[:], uint64(len(k)))
		h.Write(lenbuf[:])
		io.WriteString(h, k)
		if v, ok := s.pending[k]; ok {
			h.Write([]byte{1})
			binary.BigEndian.PutUint64(lenbuf[:], uint64(len(v)))
			h.Write(lenbuf[:])
			h.Write(v)
		} else {
			h.Write([]byte{0})
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// commit writes the overlay and meta in one synced batch.
func (s *store) commit(meta storeMeta) error {
	b := s.db.NewBatch()
	defer b.Close()
	for k, v := range s.pending {
		if err := b.Set([]byte(k), v, nil); err != nil {
			return fmt.Errorf("replica: commit height %d: %w", meta.Height, err)
		}
	}
	for k := range s.deleted {
		if err := b.Delete([]byte(k), nil); err != nil {
			return fmt.Errorf("replica: commit height %d: %w", meta.Height, err)
		}
	}
	enc, err := encMode.Marshal(meta)
	if err != nil {
		return err
	}
	if err := b.Set(keyMeta, enc, nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
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
	if err := decMode.Unmarshal(v, &m); err != nil {
		return m, fmt.Errorf("replica: decode state meta: %w", err)
	}
	return m, nil
}

// heightKey returns prefix || big-endian h, which sorts by height.
func heightKey(prefix string, h uint64) []byte {
	k := make([]byte, len(prefix)+8)
	copy(k, prefix)
	binary.BigEndian.PutUint64(k[len(prefix):], h)
	return k
}

func hasPrefix(k []byte, p string) bool { return bytes.HasPrefix(k, []byte(p)) }
