package canister

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"sort"

	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/chain"
)

// stateMagic starts every serialised state (format version 1).
var stateMagic = []byte("CKBTCST\x01")

// Marshal serialises the whole state deterministically: equal states give
// equal bytes. Layout (integers big-endian):
//
//	magic "CKBTCST\x01" ‖ network u8 ‖ δ u64 ‖ next arrival number u64
//	‖ n u32 ‖ n stable headers (80 bytes each, heights 0 … anchor-1)
//	‖ m u64 ‖ m UTXOs sorted by (txid, vout): txid 32 ‖ vout u32 ‖
//	  value u64 ‖ height u32 ‖ script length u32 ‖ script
//	‖ k u32 ‖ k unstable blocks sorted by (height, hash), anchor first:
//	  arrival number u64 ‖ length u32 ‖ consensus block bytes
//	‖ f u32 ‖ f cached fee percentiles u64
//
// The address index, cumulative work and main chain are derived and not
// stored.
func (s *State) Marshal() []byte {
	var b bytes.Buffer
	b.Write(stateMagic)
	b.WriteByte(byte(s.cfg.Network))
	put64(&b, s.cfg.StabilityThreshold)
	put64(&b, s.seq)
	put32(&b, uint32(len(s.stableHeaders)))
	for i := range s.stableHeaders {
		_ = s.stableHeaders[i].Serialize(&b)
	}
	ops := make([]wire.OutPoint, 0, len(s.utxos))
	for op := range s.utxos {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		if c := bytes.Compare(ops[i].Hash[:], ops[j].Hash[:]); c != 0 {
			return c < 0
		}
		return ops[i].Index < ops[j].Index
	})
	put64(&b, uint64(len(ops)))
	for _, op := range ops {
		e := s.utxos[op]
		b.Write(op.Hash[:])
		put32(&b, op.Index)
		put64(&b, e.value)
		put32(&b, e.height)
		put32(&b, uint32(len(e.script)))
		b.Write(e.script)
	}
	blocks := s.sortedBlocks()
	put32(&b, uint32(len(blocks)))
	for _, bl := range blocks {
		put64(&b, bl.seq)
		put32(&b, uint32(len(bl.raw)))
		b.Write(bl.raw)
	}
	put32(&b, uint32(len(s.feeCache)))
	for _, f := range s.feeCache {
		put64(&b, f)
	}
	return b.Bytes()
}

// Hash returns SHA-256 of Marshal's output.
func (s *State) Hash() [32]byte { return sha256.Sum256(s.Marshal()) }

func (s *State) sortedBlocks() []*block {
	out := make([]*block, 0, len(s.blocks))
	for _, b := range s.blocks {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].height != out[j].height {
			return out[i].height < out[j].height
		}
		return bytes.Compare(out[i].hash[:], out[j].hash[:]) < 0
	})
	return out
}

func put32(b *bytes.Buffer, v uint32) { b.Write(binary.BigEndian.AppendUint32(nil, v)) }
func put64(b *bytes.Buffer, v uint64) { b.Write(binary.BigEndian.AppendUint64(nil, v)) }

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u32() uint32 {
	if v := r.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if v := r.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// Unmarshal restores a state written by Marshal. It accepts exactly the
// bytes Marshal writes: it rejects truncated or trailing bytes, unknown
// networks, an unstable tree that is not a single tree above one anchor,
// blocks that do not decode, UTXOs and blocks out of order, arrival numbers
// that repeat or are not below the next one, and a fee cache that is not
// empty or 101 ascending values.
func Unmarshal(data []byte) (*State, error) {
	r := &reader{b: data}
	if m := r.take(uint64(len(stateMagic))); r.err != nil || !bytes.Equal(m, stateMagic) {
		return nil, errors.New("canister: unmarshal: bad magic")
	}
	netb := r.take(1)
	if r.err != nil {
		return nil, fmt.Errorf("canister: unmarshal: %w", r.err)
	}
	net := chain.Network(netb[0])
	delta := r.u64()
	seq := r.u64()
	if r.err == nil && delta == 0 {
		return nil, errors.New("canister: unmarshal: zero stability threshold")
	}
	s, err := newEmpty(Config{Network: net, StabilityThreshold: delta})
	if err != nil {
		return nil, fmt.Errorf("canister: unmarshal: %w", err)
	}
	nh := r.u32()
	if uint64(nh)*80 > uint64(len(r.b)) {
		return nil, fmt.Errorf("canister: unmarshal: %d headers: %w", nh, io.ErrUnexpectedEOF)
	}
	s.stableHeaders = make([]wire.BlockHeader, nh)
	for i := range s.stableHeaders {
		if err := s.stableHeaders[i].Deserialize(bytes.NewReader(r.take(80))); err != nil {
			return nil, fmt.Errorf("canister: unmarshal: header %d: %w", i, err)
		}
		if i > 0 && s.stableHeaders[i].PrevBlock != s.stableHeaders[i-1].BlockHash() ||
			i == 0 && s.stableHeaders[0].BlockHash() != *s.params.GenesisHash {
			return nil, fmt.Errorf("canister: unmarshal: stable header %d does not extend the chain", i)
		}
		s.stableIndex[s.stableHeaders[i].BlockHash()] = int32(i)
	}
	nu := r.u64()
	var prev *wire.OutPoint
	for i := uint64(0); i < nu && r.err == nil; i++ {
		var op wire.OutPoint
		copy(op.Hash[:], r.take(32))
		op.Index = r.u32()
		e := utxoEntry{value: r.u64(), height: r.u32()}
		e.script = append([]byte(nil), r.take(uint64(r.u32()))...)
		if r.err != nil {
			break
		}
		if prev != nil {
			c := bytes.Compare(prev.Hash[:], op.Hash[:])
			if c > 0 || c == 0 && prev.Index >= op.Index {
				return nil, errors.New("canister: unmarshal: UTXOs not sorted")
			}
		}
		prev = &op
		s.addUtxo(op, e)
	}
	nb := r.u32()
	var ordered []*block
	for i := uint32(0); i < nb && r.err == nil; i++ {
		bseq := r.u64()
		raw := r.take(uint64(r.u32()))
		if r.err != nil {
			break
		}
		b, err := s.newBlock(append([]byte(nil), raw...), 0)
		if err != nil {
			return nil, fmt.Errorf("canister: unmarshal: block %d: %w", i, err)
		}
		b.seq = bseq
		ordered = append(ordered, b)
	}
	nf := r.u32()
	if r.err == nil && nf != 0 && nf != feePercentiles {
		return nil, fmt.Errorf("canister: unmarshal: %d cached fee percentiles, want 0 or %d", nf, feePercentiles)
	}
	for i := uint32(0); i < nf && r.err == nil; i++ {
		f := r.u64()
		if i > 0 && f < s.feeCache[i-1] {
			return nil, errors.New("canister: unmarshal: cached fee percentiles not in order")
		}
		s.feeCache = append(s.feeCache, f)
	}
	if r.err != nil {
		return nil, fmt.Errorf("canister: unmarshal: %w", r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("canister: unmarshal: %d trailing bytes", len(r.b))
	}
	if len(ordered) == 0 {
		return nil, errors.New("canister: unmarshal: no anchor block")
	}
	s.seq = seq
	a := ordered[0]
	if nh > 0 && a.msg.Header.PrevBlock != s.stableHeaders[nh-1].BlockHash() ||
		nh == 0 && a.hash != *s.params.GenesisHash {
		return nil, errors.New("canister: unmarshal: anchor does not extend the stable headers")
	}
	a.height, a.work = nh, new(big.Int).Set(chain.Work(a.msg.Header.Bits))
	s.anchor = a
	s.blocks[a.hash] = a
	// Arrival numbers are distinct and below the next one, as in a live
	// state: children are ordered by them.
	seqs := make(map[uint64]bool, len(ordered))
	for _, b := range ordered {
		if b.seq >= seq || seqs[b.seq] {
			return nil, fmt.Errorf("canister: unmarshal: block %s has arrival number %d (next %d, or repeated)", b.hash, b.seq, seq)
		}
		seqs[b.seq] = true
	}
	for i, b := range ordered[1:] {
		parent, ok := s.blocks[b.msg.Header.PrevBlock]
		if !ok {
			return nil, fmt.Errorf("canister: unmarshal: block %s has no parent in the tree", b.hash)
		}
		if _, dup := s.blocks[b.hash]; dup {
			return nil, fmt.Errorf("canister: unmarshal: duplicate block %s", b.hash)
		}
		b.height = parent.height + 1
		// Marshal writes blocks sorted by (height, hash): refuse any other
		// order, so that one state has one encoding.
		if p := ordered[i]; b.height < p.height || b.height == p.height && bytes.Compare(b.hash[:], p.hash[:]) <= 0 {
			return nil, errors.New("canister: unmarshal: unstable blocks not sorted by height and hash")
		}
		s.attach(parent, b)
	}
	// Children in arrival order, as a live state holds them.
	for _, b := range s.blocks {
		sort.Slice(b.children, func(i, j int) bool { return b.children[i].seq < b.children[j].seq })
	}
	s.recomputeMain()
	return s, nil
}

var _ chain.HeaderSource = (*State)(nil)
