package subnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"slices"
)

// Storage is the committed replicated state as the state machine reads
// it: a sorted key-value store. The node implements it over its database;
// tests use MemStorage. Values returned are the caller's to keep.
type Storage interface {
	// Get returns the value of key, and whether it exists.
	Get(key []byte) ([]byte, bool, error)
	// Scan calls fn for every key with the given prefix, in key order,
	// stopping early when fn returns false. k and v are valid only during
	// the call.
	Scan(prefix []byte, fn func(k, v []byte) bool) error
}

// Overlay holds the writes of the height in progress over the committed
// Storage. Its digest enters the app hash; the node writes it to disk
// in one batch at commit (Writes), then calls Discard.
type Overlay struct {
	base    Storage
	pending map[string][]byte
	deleted map[string]bool
}

// NewOverlay returns an empty overlay over base.
func NewOverlay(base Storage) *Overlay {
	return &Overlay{base: base, pending: map[string][]byte{}, deleted: map[string]bool{}}
}

// Committed returns the storage under the overlay.
func (o *Overlay) Committed() Storage { return o.base }

// Get reads key through the overlay.
func (o *Overlay) Get(key []byte) ([]byte, bool, error) {
	k := string(key)
	if o.deleted[k] {
		return nil, false, nil
	}
	if v, ok := o.pending[k]; ok {
		return slices.Clone(v), true, nil
	}
	return o.base.Get(key)
}

// Set writes key in the overlay.
func (o *Overlay) Set(key, value []byte) {
	k := string(key)
	delete(o.deleted, k)
	o.pending[k] = slices.Clone(value)
}

// Delete deletes key in the overlay.
func (o *Overlay) Delete(key []byte) {
	k := string(key)
	delete(o.pending, k)
	o.deleted[k] = true
}

// Discard drops every write (a height finalized but never committed, or
// committed and written).
func (o *Overlay) Discard() {
	o.pending = map[string][]byte{}
	o.deleted = map[string]bool{}
}

// Len returns the number of keys written or deleted.
func (o *Overlay) Len() int { return len(o.pending) + len(o.deleted) }

// Writes calls set for every key written and del for every key deleted,
// in no particular order, stopping at the first error.
func (o *Overlay) Writes(set func(k, v []byte) error, del func(k []byte) error) error {
	for k, v := range o.pending {
		if err := set([]byte(k), v); err != nil {
			return err
		}
	}
	for k := range o.deleted {
		if err := del([]byte(k)); err != nil {
			return err
		}
	}
	return nil
}

// WritesDigest hashes the overlay in key order: it is the part of the app
// hash that commits to the height's state changes. Each key is
// len ‖ key ‖ 1 ‖ len ‖ value when written, len ‖ key ‖ 0 when deleted.
func (o *Overlay) WritesDigest() [32]byte {
	keys := make([]string, 0, len(o.pending)+len(o.deleted))
	for k := range o.pending {
		keys = append(keys, k)
	}
	for k := range o.deleted {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	var lenbuf [8]byte
	for _, k := range keys {
		binary.BigEndian.PutUint64(lenbuf[:], uint64(len(k)))
		h.Write(lenbuf[:])
		io.WriteString(h, k)
		if v, ok := o.pending[k]; ok {
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

// MemStorage is a Storage in memory, for tests and tools.
type MemStorage struct {
	kv map[string][]byte
}

// NewMemStorage returns an empty MemStorage.
func NewMemStorage() *MemStorage { return &MemStorage{kv: map[string][]byte{}} }

// Get implements Storage.
func (m *MemStorage) Get(key []byte) ([]byte, bool, error) {
	v, ok := m.kv[string(key)]
	return slices.Clone(v), ok, nil
}

// Scan implements Storage.
func (m *MemStorage) Scan(prefix []byte, fn func(k, v []byte) bool) error {
	keys := make([]string, 0)
	for k := range m.kv {
		if bytes.HasPrefix([]byte(k), prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !fn([]byte(k), m.kv[k]) {
			break
		}
	}
	return nil
}

// Apply writes an overlay's writes and discards them.
func (m *MemStorage) Apply(o *Overlay) {
	o.Writes(func(k, v []byte) error { m.kv[string(k)] = slices.Clone(v); return nil },
		func(k []byte) error { delete(m.kv, string(k)); return nil })
	o.Discard()
}
