package ledger

import (
	"fmt"

	"github.com/chainkey/chainkey/certification"
)

type opKind uint8

const (
	opMint opKind = iota + 1
	opBurn
	opXfer
	opApprove
)

var opNames = [...]string{opMint: "mint", opBurn: "burn", opXfer: "xfer", opApprove: "approve"}

// txn is a transaction as the ledger records it.
type txn struct {
	op        opKind
	from, to  Account
	spender   *Account
	amount    uint64
	fee       *uint64 // only when the caller gave one
	expected  *uint64
	expiresAt *uint64
	memo      []byte
	createdAt *uint64
}

// value returns the transaction as the tx map of its block, in the IC
// ledger's legacy (op-tagged) format; its hash is the transaction's
// deduplication identity.
func (t *txn) value() Value {
	es := make([]MapEntry, 0, 8)
	es = append(es, MapEntry{"op", TextValue(opNames[t.op])}, MapEntry{"amt", NatValue(t.amount)})
	if t.op != opMint {
		es = append(es, MapEntry{"from", t.from.value()})
	}
	if t.op == opMint || t.op == opXfer {
		es = append(es, MapEntry{"to", t.to.value()})
	}
	if t.spender != nil {
		es = append(es, MapEntry{"spender", t.spender.value()})
	}
	if t.fee != nil {
		es = append(es, MapEntry{"fee", NatValue(*t.fee)})
	}
	if t.expected != nil {
		es = append(es, MapEntry{"expected_allowance", NatValue(*t.expected)})
	}
	if t.expiresAt != nil {
		es = append(es, MapEntry{"expires_at", NatValue(*t.expiresAt)})
	}
	if t.memo != nil {
		es = append(es, MapEntry{"memo", BlobValue(t.memo)})
	}
	if t.createdAt != nil {
		es = append(es, MapEntry{"ts", NatValue(*t.createdAt)})
	}
	return mapOf(es)
}

// appendBlock adds the block of an applied transaction and returns its
// index.
func (l *Ledger) appendBlock(t *txn, tx Value, now, effFee uint64) uint64 {
	height := uint64(len(l.blocks))
	es := make([]MapEntry, 0, 6)
	es = append(es, MapEntry{"tx", tx}, MapEntry{"ts", NatValue(now)})
	if height > 0 {
		h := l.hashes[height-1]
		es = append(es, MapEntry{"phash", BlobValue(h[:])})
	}
	if (t.op == opXfer || t.op == opApprove) && t.fee == nil {
		es = append(es, MapEntry{"fee", NatValue(effFee)})
	}
	if l.feeCollector != nil {
		if l.feeColBlock == nil {
			es = append(es, MapEntry{"fee_col", l.feeCollector.value()})
			h := height
			l.feeColBlock = &h
		} else {
			es = append(es, MapEntry{"fee_col_block", NatValue(*l.feeColBlock)})
		}
	}
	b := mapOf(es)
	l.blocks = append(l.blocks, appendValue(nil, b))
	l.hashes = append(l.hashes, b.Hash())
	l.lastTS = now
	return height
}

// Len returns the number of blocks.
func (l *Ledger) Len() uint64 { return uint64(len(l.blocks)) }

// Block returns block i as an ICRC-3 value.
func (l *Ledger) Block(i uint64) (Value, bool) {
	if i >= uint64(len(l.blocks)) {
		return Value{}, false
	}
	return l.block(i), true
}

// block decodes a stored block; the ledger encoded it, so it decodes.
func (l *Ledger) block(i uint64) Value {
	r := stateReader{b: l.blocks[i]}
	v := r.value(0)
	if r.err != nil || len(r.b) != 0 {
		panic(fmt.Sprintf("ledger: stored block %d does not decode: %v", i, r.err))
	}
	return v
}

// BlockHash returns the ICRC-3 hash of block i.
func (l *Ledger) BlockHash(i uint64) ([32]byte, bool) {
	if i >= uint64(len(l.hashes)) {
		return [32]byte{}, false
	}
	return l.hashes[i], true
}

// Tip returns the index and hash of the last block; ok is false when there
// are no blocks.
func (l *Ledger) Tip() (index uint64, hash [32]byte, ok bool) {
	n := len(l.hashes)
	if n == 0 {
		return 0, [32]byte{}, false
	}
	return uint64(n - 1), l.hashes[n-1], true
}

// HashTree returns the tree the ledger certifies, as the IC ICRC-1 ledger
// builds it: the empty tree before the first block, then
// fork(label "last_block_hash" → leaf(tip hash), label "last_block_index" →
// leaf(LEB128 of the tip index)).
func (l *Ledger) HashTree() certification.HashTree {
	i, h, ok := l.Tip()
	if !ok {
		return certification.Empty{}
	}
	return certification.Fork{
		Left:  certification.Labeled{Label: []byte("last_block_hash"), Tree: certification.Leaf(h[:])},
		Right: certification.Labeled{Label: []byte("last_block_index"), Tree: certification.Leaf(appendLEB(nil, i))},
	}
}

// CertifiedData returns the digest of HashTree: the 32 bytes the host sets
// as the ledger's certified data after every update call.
func (l *Ledger) CertifiedData() [32]byte { return l.HashTree().Digest() }
