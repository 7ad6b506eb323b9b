package ledger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// ValueKind is the kind of an ICRC-3 Value.
type ValueKind uint8

// The kinds of ICRC-3 values.
const (
	KindBlob ValueKind = iota + 1
	KindText
	KindNat
	KindInt
	KindArray
	KindMap
)

// Value is an ICRC-3 generic value: Blob, Text, Nat, Int, Array or Map.
// Nat values that fit 64 bits are held in U64 (Big is nil); larger Nat and
// all Int values are held in Big. Map entries are kept sorted by key with
// unique keys.
type Value struct {
	Kind  ValueKind
	Blob  []byte
	Text  string
	U64   uint64
	Big   *big.Int
	Array []Value
	Map   []MapEntry
}

// MapEntry is one entry of a Map value.
type MapEntry struct {
	Key   string
	Value Value
}

// BlobValue returns a Blob value.
func BlobValue(b []byte) Value { return Value{Kind: KindBlob, Blob: b} }

// TextValue returns a Text value.
func TextValue(s string) Value { return Value{Kind: KindText, Text: s} }

// NatValue returns a Nat value.
func NatValue(n uint64) Value { return Value{Kind: KindNat, U64: n} }

// BigNatValue returns a Nat value; n must not be negative.
func BigNatValue(n *big.Int) Value {
	if n.IsUint64() {
		return NatValue(n.Uint64())
	}
	return Value{Kind: KindNat, Big: new(big.Int).Set(n)}
}

// IntValue returns an Int value.
func IntValue(n *big.Int) Value { return Value{Kind: KindInt, Big: new(big.Int).Set(n)} }

// ArrayValue returns an Array value.
func ArrayValue(vs ...Value) Value { return Value{Kind: KindArray, Array: vs} }

// MapValue returns a Map value with the entries sorted by key. It fails on
// duplicate keys.
func MapValue(entries ...MapEntry) (Value, error) {
	es := slices.Clone(entries)
	slices.SortFunc(es, func(a, b MapEntry) int { return strings.Compare(a.Key, b.Key) })
	for i := 1; i < len(es); i++ {
		if es[i].Key == es[i-1].Key {
			return Value{}, fmt.Errorf("ledger: duplicate map key %q", es[i].Key)
		}
	}
	return Value{Kind: KindMap, Map: es}, nil
}

// mapOf builds a Map from entries whose keys are known to be distinct.
func mapOf(entries []MapEntry) Value {
	slices.SortFunc(entries, func(a, b MapEntry) int { return strings.Compare(a.Key, b.Key) })
	return Value{Kind: KindMap, Map: entries}
}

// Get returns the value of a Map entry.
func (v Value) Get(key string) (Value, bool) {
	if v.Kind != KindMap {
		return Value{}, false
	}
	i, ok := slices.BinarySearchFunc(v.Map, key, func(e MapEntry, k string) int { return strings.Compare(e.Key, k) })
	if !ok {
		return Value{}, false
	}
	return v.Map[i].Value, true
}

// BigInt returns the number held by a Nat or Int value.
func (v Value) BigInt() *big.Int {
	if v.Big != nil {
		return new(big.Int).Set(v.Big)
	}
	return new(big.Int).SetUint64(v.U64)
}

// Equal reports whether two values are equal.
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case KindBlob:
		return bytes.Equal(v.Blob, w.Blob)
	case KindText:
		return v.Text == w.Text
	case KindNat, KindInt:
		return v.BigInt().Cmp(w.BigInt()) == 0
	case KindArray:
		return slices.EqualFunc(v.Array, w.Array, Value.Equal)
	case KindMap:
		return slices.EqualFunc(v.Map, w.Map, func(a, b MapEntry) bool { return a.Key == b.Key && a.Value.Equal(b.Value) })
	}
	return true
}

// Hash returns the ICRC-3 representation-independent hash of the value:
// SHA-256 of the LEB128 (Nat) or SLEB128 (Int) encoding, of the UTF-8 text,
// of the blob, of the concatenated hashes of an array's elements, or of the
// sorted concatenation of hash(key) || hash(value) pairs of a map.
func (v Value) Hash() [32]byte {
	switch v.Kind {
	case KindBlob:
		return sha256.Sum256(v.Blob)
	case KindText:
		return sha256.Sum256([]byte(v.Text))
	case KindNat:
		var buf [16]byte
		if v.Big == nil {
			return sha256.Sum256(appendLEB(buf[:0], v.U64))
		}
		return sha256.Sum256(appendBigLEB(nil, v.Big))
	case KindInt:
		return sha256.Sum256(appendBigSLEB(nil, v.BigInt()))
	case KindArray:
		h := sha256.New()
		for _, e := range v.Array {
			d := e.Hash()
			h.Write(d[:])
		}
		var out [32]byte
		h.Sum(out[:0])
		return out
	case KindMap:
		pairs := make([][64]byte, len(v.Map))
		for i, e := range v.Map {
			k := sha256.Sum256([]byte(e.Key))
			d := e.Value.Hash()
			copy(pairs[i][:32], k[:])
			copy(pairs[i][32:], d[:])
		}
		slices.SortFunc(pairs, func(a, b [64]byte) int { return bytes.Compare(a[:], b[:]) })
		h := sha256.New()
		for i := range pairs {
			h.Write(pairs[i][:])
		}
		var out [32]byte
		h.Sum(out[:0])
		return out
	}
	return sha256.Sum256(nil)
}

func appendLEB(b []byte, x uint64) []byte {
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}

func appendBigLEB(b []byte, x *big.Int) []byte {
	if x.IsUint64() {
		return appendLEB(b, x.Uint64())
	}
	n := new(big.Int).Set(x)
	low := new(big.Int)
	mask := big.NewInt(0x7f)
	for {
		low.And(n, mask)
		n.Rsh(n, 7)
		c := byte(low.Uint64())
		if n.Sign() == 0 {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendBigSLEB(b []byte, x *big.Int) []byte {
	n := new(big.Int).Set(x)
	low := new(big.Int)
	mask := big.NewInt(0x7f)
	for {
		low.And(n, mask) // two's complement low bits for negative n too
		c := byte(low.Uint64())
		n.Rsh(n, 7) // arithmetic shift (floor division)
		if (n.Sign() == 0 && c&0x40 == 0) || (n.Cmp(big.NewInt(-1)) == 0 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}
