package subnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/thresholdsig"
)

// Catch-up packages.
//
// Every CUPInterval heights the state committed at a height h (a CUP
// height) is cut into snapshot chunks: every key and value of the
// replicated state in key order, as SnapshotWriter encodes them. The
// manifest lists the chunks' SHA-256 digests; its hash is the state hash.
// Executing height h+1 every node puts a CUPLeaf (h, the app hash of h,
// the state hash, the hash of the core state of h) into the core state,
// and from then on the certified tree carries it at /catch_up_package
// until the next CUP replaces it. The certification of any height from
// h+1 on therefore signs it with the subnet's certification key: a CUP is
// the leaf, the manifest, the core state and an IC certificate revealing
// the leaf, checked with nothing but the subnet's root public key
// (VerifyCUP).

const (
	// DefaultCUPInterval is the default number of heights between CUPs.
	DefaultCUPInterval = 500
	// SnapshotChunkSize is the size at which a snapshot chunk is cut: a
	// chunk ends with the first entry that takes it to this size or
	// beyond. It is part of the protocol (every node computes the same
	// manifest).
	SnapshotChunkSize = 1 << 20
	// MaxSnapshotKey and MaxSnapshotValue bound an entry of a chunk.
	MaxSnapshotKey   = 1 << 10
	MaxSnapshotValue = 64 << 20
	// MaxSnapshotChunks bounds the chunks of one snapshot.
	MaxSnapshotChunks = 1 << 16
	// MaxCUPBytes bounds an encoded CUP.
	MaxCUPBytes = 64 << 20

	manifestDomain = "chainkey-snapshot-manifest"
)

// CUPPath is where the certified tree carries the latest CUP's leaf.
func CUPPath() [][]byte { return [][]byte{[]byte("catch_up_package")} }

// IsCUPHeight reports whether the state of height h is cut into a CUP.
func IsCUPHeight(h, interval uint64) bool {
	if interval == 0 {
		interval = DefaultCUPInterval
	}
	return h > 0 && h%interval == 0
}

// CUPLeaf is what the certified tree says about a CUP.
type CUPLeaf struct {
	Height uint64 `cbor:"1,keyasint"`
	// AppHash is the app hash of Height (the one CometBFT agreed on).
	AppHash []byte `cbor:"2,keyasint"`
	// StateHash is ManifestHash of the snapshot of Height.
	StateHash []byte `cbor:"3,keyasint"`
	// CoreHash is the SHA-256 of the encoded core state of Height.
	CoreHash []byte `cbor:"4,keyasint"`
}

// Encode returns the leaf's canonical CBOR, the value at CUPPath.
func (l *CUPLeaf) Encode() []byte {
	b, err := Marshal(l)
	if err != nil {
		panic(err) // a struct of integers and byte strings always encodes
	}
	return b
}

// PathValue is the leaf's entry of the certified tree.
func (l *CUPLeaf) PathValue() certification.PathValue {
	return certification.PathValue{Path: CUPPath(), Value: l.Encode()}
}

// DecodeCUPLeaf decodes a leaf strictly.
func DecodeCUPLeaf(b []byte) (*CUPLeaf, error) {
	var l CUPLeaf
	if err := Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("subnet: decode CUP leaf: %w", err)
	}
	if len(l.AppHash) != 32 || len(l.StateHash) != 32 || len(l.CoreHash) != 32 || l.Height == 0 {
		return nil, errf("CUP leaf of height %d: bad hash sizes", l.Height)
	}
	if !bytes.Equal(l.Encode(), b) {
		return nil, errf("CUP leaf: not canonical")
	}
	return &l, nil
}

// Manifest lists a snapshot's chunks.
type Manifest struct {
	// Chunks are the SHA-256 digests of the chunks, in order.
	Chunks [][]byte `cbor:"1,keyasint"`
	// Size is the chunks' total size in bytes.
	Size uint64 `cbor:"2,keyasint"`
}

// ManifestHash is the state hash of a snapshot with manifest m.
func ManifestHash(m *Manifest) []byte {
	enc, err := Marshal(m)
	if err != nil {
		panic(err)
	}
	h := sha256.New()
	h.Write([]byte(manifestDomain))
	h.Write(enc)
	return h.Sum(nil)
}

// CUP is a catch-up package: what a node needs to continue from Height
// without the blocks before it, and the proof that the subnet agreed.
type CUP struct {
	Leaf     CUPLeaf  `cbor:"1,keyasint"`
	Manifest Manifest `cbor:"2,keyasint"`
	// Core is the encoded core state (State) of Leaf.Height: the key
	// transcripts, jobs and presignatures in flight, the random beacon,
	// the pending requests and the BLS public coefficients. The bulk
	// data (dealings, transcripts, request records, roots) is in the
	// snapshot's chunks.
	Core []byte `cbor:"3,keyasint"`
	// Certificate is an IC certificate of a height from Leaf.Height+1 on,
	// revealing /time and CUPPath.
	Certificate []byte `cbor:"4,keyasint"`
}

// EncodeCUP returns c's canonical CBOR.
func EncodeCUP(c *CUP) []byte {
	b, err := Marshal(c)
	if err != nil {
		panic(err)
	}
	return b
}

// DecodeCUP decodes a CUP strictly: canonical CBOR, no unknown fields,
// hashes of 32 bytes, a manifest whose size and chunk count are in
// bounds. It does not verify the certificate (VerifyCUP does).
func DecodeCUP(b []byte) (*CUP, error) {
	if len(b) > MaxCUPBytes {
		return nil, errf("CUP of %d bytes", len(b))
	}
	var c CUP
	if err := Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("subnet: decode CUP: %w", err)
	}
	if c.Leaf.Height == 0 || len(c.Leaf.AppHash) != 32 || len(c.Leaf.StateHash) != 32 || len(c.Leaf.CoreHash) != 32 {
		return nil, errf("CUP of height %d: bad leaf", c.Leaf.Height)
	}
	if len(c.Manifest.Chunks) == 0 || len(c.Manifest.Chunks) > MaxSnapshotChunks {
		return nil, errf("CUP of height %d: %d chunks", c.Leaf.Height, len(c.Manifest.Chunks))
	}
	for _, h := range c.Manifest.Chunks {
		if len(h) != sha256.Size {
			return nil, errf("CUP of height %d: chunk digest of %d bytes", c.Leaf.Height, len(h))
		}
	}
	if c.Manifest.Size > uint64(len(c.Manifest.Chunks))*(SnapshotChunkSize+MaxSnapshotKey+MaxSnapshotValue+20) {
		return nil, errf("CUP of height %d: snapshot size %d", c.Leaf.Height, c.Manifest.Size)
	}
	if !bytes.Equal(EncodeCUP(&c), b) {
		return nil, errf("CUP: not canonical")
	}
	return &c, nil
}

// VerifyCUP checks c with the subnet's root public key alone: the
// certificate verifies under rootKey and reveals exactly c's leaf at
// CUPPath, the manifest hashes to the leaf's state hash, and the core
// state hashes to the leaf's core hash and is the state of the leaf's
// height with its app hash. It returns the decoded core state.
func VerifyCUP(c *CUP, rootKey *thresholdsig.PublicKey) (*State, error) {
	cert, err := certification.ParseCertificate(c.Certificate)
	if err != nil {
		return nil, fmt.Errorf("subnet: CUP of height %d: %w", c.Leaf.Height, err)
	}
	if cert.Delegation != nil {
		return nil, errf("CUP of height %d: certificate with a delegation", c.Leaf.Height)
	}
	if _, err := certification.Verify(cert, rootKey, certification.VerifyOptions{}); err != nil {
		return nil, fmt.Errorf("subnet: CUP of height %d: %w", c.Leaf.Height, err)
	}
	st, v := cert.Lookup(CUPPath()...)
	if st != certification.Found || !bytes.Equal(v, c.Leaf.Encode()) {
		return nil, errf("CUP of height %d: the certificate does not reveal its leaf", c.Leaf.Height)
	}
	if !bytes.Equal(ManifestHash(&c.Manifest), c.Leaf.StateHash) {
		return nil, errf("CUP of height %d: manifest does not match the state hash", c.Leaf.Height)
	}
	core := sha256.Sum256(c.Core)
	if !bytes.Equal(core[:], c.Leaf.CoreHash) {
		return nil, errf("CUP of height %d: core state does not match its hash", c.Leaf.Height)
	}
	var s State
	if err := Unmarshal(c.Core, &s); err != nil {
		return nil, fmt.Errorf("subnet: CUP of height %d: core state: %w", c.Leaf.Height, err)
	}
	if s.Height != c.Leaf.Height || !bytes.Equal(s.AppHash, c.Leaf.AppHash) {
		return nil, errf("CUP of height %d: core state is of height %d", c.Leaf.Height, s.Height)
	}
	return &s, nil
}

// SnapshotWriter cuts the entries of a state, given in strictly
// increasing key order, into chunks. An entry is uvarint(len key) ‖ key ‖
// uvarint(len value) ‖ value; a chunk ends with the first entry that
// takes it to the chunk size or beyond, so the chunks depend only on the
// entries.
type SnapshotWriter struct {
	size  int
	emit  func(chunk []byte) error
	cur   []byte
	last  []byte
	any   bool
	m     Manifest
	count int
}

// NewSnapshotWriter returns a writer that cuts chunks at size bytes
// (SnapshotChunkSize for a CUP) and passes each to emit. The chunk is
// valid only during the call: emit must copy what it keeps.
func NewSnapshotWriter(size int, emit func(chunk []byte) error) *SnapshotWriter {
	return &SnapshotWriter{size: size, emit: emit}
}

// Add appends an entry; keys must come in strictly increasing order.
func (w *SnapshotWriter) Add(key, value []byte) error {
	if len(key) == 0 || len(key) > MaxSnapshotKey || len(value) > MaxSnapshotValue {
		return errf("snapshot entry of key %d and value %d bytes", len(key), len(value))
	}
	if w.any && bytes.Compare(key, w.last) <= 0 {
		return errf("snapshot keys out of order")
	}
	w.any, w.last = true, append(w.last[:0], key...)
	w.cur = binary.AppendUvarint(w.cur, uint64(len(key)))
	w.cur = append(w.cur, key...)
	w.cur = binary.AppendUvarint(w.cur, uint64(len(value)))
	w.cur = append(w.cur, value...)
	w.count++
	if len(w.cur) >= w.size {
		return w.flush()
	}
	return nil
}

func (w *SnapshotWriter) flush() error {
	if len(w.m.Chunks) == MaxSnapshotChunks {
		return errf("snapshot of more than %d chunks", MaxSnapshotChunks)
	}
	d := sha256.Sum256(w.cur)
	w.m.Chunks = append(w.m.Chunks, d[:])
	w.m.Size += uint64(len(w.cur))
	if err := w.emit(w.cur); err != nil {
		return err
	}
	w.cur = w.cur[:0]
	return nil
}

// Finish emits the last chunk (an empty state is one empty chunk) and
// returns the manifest.
func (w *SnapshotWriter) Finish() (*Manifest, error) {
	if len(w.cur) > 0 || len(w.m.Chunks) == 0 {
		if err := w.flush(); err != nil {
			return nil, err
		}
	}
	m := w.m
	return &m, nil
}

// Entries is the number of entries added.
func (w *SnapshotWriter) Entries() int { return w.count }

// SnapshotEntry is one key and value of a snapshot chunk.
type SnapshotEntry struct{ Key, Value []byte }

// DecodeChunk decodes chunk index i of a snapshot with manifest m: its
// SHA-256 must be the manifest's i-th digest and its entries well formed
// with keys strictly increasing after prev (the last key of the chunk
// before; nil for the first). The entries alias chunk.
func DecodeChunk(m *Manifest, i int, chunk, prev []byte) ([]SnapshotEntry, error) {
	if i < 0 || i >= len(m.Chunks) {
		return nil, errf("snapshot chunk %d of %d", i, len(m.Chunks))
	}
	d := sha256.Sum256(chunk)
	if !bytes.Equal(d[:], m.Chunks[i]) {
		return nil, errf("snapshot chunk %d does not match the manifest", i)
	}
	return decodeEntries(chunk, prev)
}

func decodeEntries(b, prev []byte) ([]SnapshotEntry, error) {
	var out []SnapshotEntry
	for len(b) > 0 {
		k, rest, err := readSized(b, MaxSnapshotKey)
		if err != nil {
			return nil, err
		}
		if len(k) == 0 || (prev != nil && bytes.Compare(k, prev) <= 0) {
			return nil, errf("snapshot chunk: keys out of order")
		}
		v, rest, err := readSized(rest, MaxSnapshotValue)
		if err != nil {
			return nil, err
		}
		out = append(out, SnapshotEntry{Key: k, Value: v})
		prev, b = k, rest
	}
	return out, nil
}

func readSized(b []byte, max int) ([]byte, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(max) || n > uint64(len(b)-k) {
		return nil, nil, errf("snapshot chunk: bad entry length")
	}
	if k != len(binary.AppendUvarint(nil, n)) {
		return nil, nil, errf("snapshot chunk: non-minimal length")
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// NewCUP assembles the CUP of leaf from the certified tree of a later
// height and that height's certification signature sig: the certificate
// reveals /time and CUPPath only.
func NewCUP(leaf *CUPLeaf, m *Manifest, core []byte, tree certification.HashTree, sig []byte) (*CUP, error) {
	st, v := certification.Lookup(tree, CUPPath())
	if st != certification.Found || !bytes.Equal(v, leaf.Encode()) {
		return nil, errf("CUP of height %d: the tree does not carry its leaf", leaf.Height)
	}
	w, err := certification.Witness(tree, [][][]byte{{[]byte("time")}, CUPPath()})
	if err != nil {
		return nil, fmt.Errorf("subnet: CUP of height %d: %w", leaf.Height, err)
	}
	cert, err := (&certification.Certificate{Tree: w, Signature: sig}).Marshal()
	if err != nil {
		return nil, fmt.Errorf("subnet: CUP of height %d: %w", leaf.Height, err)
	}
	return &CUP{Leaf: *leaf, Manifest: *m, Core: core, Certificate: cert}, nil
}
