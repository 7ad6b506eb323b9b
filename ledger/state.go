package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"unicode/utf8"

	"github.com/chainkey/chainkey/principal"
)

// stateMagic starts every state encoding; its last byte is the version.
const stateMagic = "ICRCLDG\x01"

// maxValueDepth bounds the nesting of decoded values (blocks need 4).
const maxValueDepth = 16

// Marshal returns the deterministic encoding of the ledger state: the
// configuration and every block. Balances, allowances, the total supply and
// the deduplication window are functions of the blocks and are rebuilt by
// Unmarshal.
//
// Layout (integers are unsigned LEB128, strings and byte strings are
// length-prefixed): magic "ICRCLDG\x01", name, symbol, decimals (one byte),
// fee, max memo length, minting account, fee collector (0, or 1 and an
// account), the metadata count and entries (key, value), the block count
// and the blocks. An account is the owner and 0, or 1 and a 32-byte
// subaccount. A value is a tag (1 Blob, 2 Text, 3 Nat, 4 Int, 5 Array,
// 6 Map) and its payload; Nat is LEB128, Int a sign byte (0 or 1) and the
// LEB128 magnitude, Array and Map a count and the elements, Map entries
// sorted by key.
func (l *Ledger) Marshal() []byte {
	b := l.MarshalConfig()
	b = binary.AppendUvarint(b, uint64(len(l.blocks)))
	for _, v := range l.blocks {
		b = append(b, v...)
	}
	return b
}

// MarshalConfig returns the part of Marshal before the blocks. With
// EncodedBlock it lets a host persist the ledger incrementally: Marshal is
// MarshalConfig, the LEB128 block count, then EncodedBlock(0), EncodedBlock(1),
// ... (see UnmarshalParts).
func (l *Ledger) MarshalConfig() []byte {
	b := []byte(stateMagic)
	b = appendString(b, l.name)
	b = appendString(b, l.symbol)
	b = append(b, l.decimals)
	b = binary.AppendUvarint(b, l.fee)
	b = binary.AppendUvarint(b, uint64(l.maxMemo))
	b = appendAccount(b, l.minting)
	if l.feeCollector == nil {
		b = append(b, 0)
	} else {
		b = appendAccount(append(b, 1), *l.feeCollector)
	}
	b = binary.AppendUvarint(b, uint64(len(l.metadata)))
	for _, m := range l.metadata {
		b = appendString(b, m.Key)
		b = appendValue(b, m.Value)
	}
	return b
}

// EncodedBlock returns block i in the state encoding. The bytes belong to
// the ledger and must not be modified.
func (l *Ledger) EncodedBlock(i uint64) ([]byte, bool) {
	if i >= uint64(len(l.blocks)) {
		return nil, false
	}
	return l.blocks[i], true
}

// UnmarshalParts is Unmarshal of MarshalConfig and the encoded blocks, as a
// host that persists them separately keeps them.
func UnmarshalParts(config []byte, blocks [][]byte) (*Ledger, error) {
	size := len(config) + binary.MaxVarintLen64
	for _, b := range blocks {
		size += len(b)
	}
	data := binary.AppendUvarint(append(make([]byte, 0, size), config...), uint64(len(blocks)))
	for _, b := range blocks {
		data = append(data, b...)
	}
	return Unmarshal(data)
}

// StateHash returns SHA-256 of Marshal: equal on two nodes exactly when the
// ledgers are equal.
func (l *Ledger) StateHash() [32]byte { return sha256.Sum256(l.Marshal()) }

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendAccount(b []byte, a Account) []byte {
	b = appendString(b, string(a.Owner.Bytes()))
	if a.Subaccount == nil {
		return append(b, 0)
	}
	return append(append(b, 1), a.Subaccount[:]...)
}

func appendValue(b []byte, v Value) []byte {
	b = append(b, byte(v.Kind))
	switch v.Kind {
	case KindBlob:
		b = appendString(b, string(v.Blob))
	case KindText:
		b = appendString(b, v.Text)
	case KindNat:
		if v.Big == nil {
			b = binary.AppendUvarint(b, v.U64)
		} else {
			b = appendBigLEB(b, v.Big)
		}
	case KindInt:
		x := v.BigInt()
		if x.Sign() < 0 {
			b = appendBigLEB(append(b, 1), new(big.Int).Neg(x))
		} else {
			b = appendBigLEB(append(b, 0), x)
		}
	case KindArray:
		b = binary.AppendUvarint(b, uint64(len(v.Array)))
		for _, e := range v.Array {
			b = appendValue(b, e)
		}
	case KindMap:
		b = binary.AppendUvarint(b, uint64(len(v.Map)))
		for _, e := range v.Map {
			b = appendString(b, e.Key)
			b = appendValue(b, e.Value)
		}
	}
	return b
}

var errState = errors.New("ledger: malformed state")

type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", errState, fmt.Sprintf(format, args...))
	}
}

func (r *stateReader) byte() byte {
	if r.err != nil || len(r.b) == 0 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// uvarint reads a shortest-form LEB128 integer of at most 64 bits.
func (r *stateReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad integer")
		return 0
	}
	if n > 1 && r.b[n-1] == 0 {
		r.fail("integer not in shortest form")
		return 0
	}
	r.b = r.b[n:]
	return x
}

// count reads a length that cannot exceed the remaining bytes.
func (r *stateReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail("count %d exceeds the remaining %d bytes", n, len(r.b))
		return 0
	}
	return int(n)
}

func (r *stateReader) bytes() []byte {
	n := r.count()
	if r.err != nil {
		return nil
	}
	out := bytes.Clone(r.b[:n])
	r.b = r.b[n:]
	return out
}

func (r *stateReader) text() string {
	s := r.bytes()
	if r.err == nil && !utf8.Valid(s) {
		r.fail("text is not UTF-8")
	}
	return string(s)
}

func (r *stateReader) account() Account {
	raw := r.bytes()
	if r.err != nil {
		return Account{}
	}
	p, err := principal.FromBytes(raw)
	if err != nil {
		r.fail("principal: %v", err)
		return Account{}
	}
	a := Account{Owner: p}
	switch r.byte() {
	case 0:
	case 1:
		if len(r.b) < 32 {
			r.fail("truncated subaccount")
			return a
		}
		var s [32]byte
		copy(s[:], r.b)
		r.b = r.b[32:]
		a.Subaccount = &s
	default:
		r.fail("bad subaccount flag")
	}
	return a
}

// maxLEBDigits bounds decoded numbers to 448 bits (metadata numbers are
// at most 256 bits, everything else 64).
const maxLEBDigits = 64

// bigLEB reads a shortest-form LEB128 natural number.
func (r *stateReader) bigLEB() *big.Int {
	var digits []byte
	for {
		c := r.byte()
		if r.err != nil {
			return nil
		}
		if len(digits) == maxLEBDigits {
			r.fail("number too large")
			return nil
		}
		digits = append(digits, c&0x7f)
		if c&0x80 == 0 {
			break
		}
	}
	if len(digits) > 1 && digits[len(digits)-1] == 0 {
		r.fail("integer not in shortest form")
		return nil
	}
	x := new(big.Int)
	for i := len(digits) - 1; i >= 0; i-- {
		x.Lsh(x, 7)
		x.Or(x, big.NewInt(int64(digits[i])))
	}
	return x
}

func (r *stateReader) value(depth int) Value {
	if depth > maxValueDepth {
		r.fail("value nested too deeply")
		return Value{}
	}
	switch k := ValueKind(r.byte()); k {
	case KindBlob:
		return BlobValue(r.bytes())
	case KindText:
		return TextValue(r.text())
	case KindNat:
		x := r.bigLEB()
		if r.err != nil {
			return Value{}
		}
		return BigNatValue(x)
	case KindInt:
		sign := r.byte()
		x := r.bigLEB()
		if r.err != nil {
			return Value{}
		}
		if sign > 1 || (sign == 1 && x.Sign() == 0) {
			r.fail("bad Int sign")
			return Value{}
		}
		if sign == 1 {
			x.Neg(x)
		}
		return IntValue(x)
	case KindArray:
		n := r.count()
		vs := make([]Value, 0, n)
		for i := 0; i < n && r.err == nil; i++ {
			vs = append(vs, r.value(depth+1))
		}
		return Value{Kind: KindArray, Array: vs}
	case KindMap:
		n := r.count()
		es := make([]MapEntry, 0, n)
		for i := 0; i < n && r.err == nil; i++ {
			key := r.text()
			if i > 0 && key <= es[i-1].Key {
				r.fail("map keys not strictly increasing")
			}
			es = append(es, MapEntry{key, r.value(depth + 1)})
		}
		return Value{Kind: KindMap, Map: es}
	default:
		r.fail("bad value tag %d", k)
		return Value{}
	}
}

// Unmarshal decodes a state encoded by Marshal. It is strict: it rebuilds
// the ledger by replaying every block through the ledger's own rules and
// fails unless each block is exactly the one the ledger would have made and
// the input is exactly Marshal of the result.
func Unmarshal(data []byte) (*Ledger, error) {
	if !bytes.HasPrefix(data, []byte(stateMagic)) {
		return nil, fmt.Errorf("%w: bad magic or version", errState)
	}
	r := &stateReader{b: data[len(stateMagic):]}
	var cfg Config
	cfg.Name = r.text()
	cfg.Symbol = r.text()
	cfg.Decimals = r.byte()
	cfg.Fee = r.uvarint()
	maxMemo := r.uvarint()
	if maxMemo == 0 || maxMemo > 0xffff {
		r.fail("bad max memo length %d", maxMemo)
	}
	cfg.MaxMemoLength = uint16(maxMemo)
	cfg.MintingAccount = r.account()
	switch r.byte() {
	case 0:
	case 1:
		fc := r.account()
		cfg.FeeCollector = &fc
	default:
		r.fail("bad fee collector flag")
	}
	nmd := r.count()
	for i := 0; i < nmd && r.err == nil; i++ {
		k := r.text()
		cfg.Metadata = append(cfg.Metadata, MetadataEntry{Key: k, Value: r.value(0)})
	}
	if r.err != nil {
		return nil, r.err
	}
	l, err := New(cfg, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errState, err)
	}
	nblocks := r.count()
	for i := 0; i < nblocks && r.err == nil; i++ {
		rest := r.b
		b := r.value(0)
		if r.err != nil {
			break
		}
		if err := l.replay(b, rest[:len(rest)-len(r.b)]); err != nil {
			return nil, fmt.Errorf("%w: block %d: %w", errState, i, err)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errState, len(r.b))
	}
	if !bytes.Equal(l.Marshal(), data) {
		return nil, fmt.Errorf("%w: not in canonical form", errState)
	}
	return l, nil
}

// replay applies one block of a decoded state; raw is its encoding.
func (l *Ledger) replay(b Value, raw []byte) error {
	txv, _ := b.Get("tx")
	t, err := decodeTxn(txv)
	if err != nil {
		return err
	}
	ts, err := natField(b, "ts")
	if err != nil || ts == nil {
		return fmt.Errorf("%w: no ts", errBlock)
	}
	if len(t.memo) > int(l.maxMemo) {
		return fmt.Errorf("%w: memo over the limit", errBlock)
	}
	var effFee uint64
	if t.op == opXfer || t.op == opApprove {
		effFee = l.fee
		if t.fee != nil && *t.fee != l.fee {
			return fmt.Errorf("%w: fee %d is not the ledger's", errBlock, *t.fee)
		}
	}
	switch {
	case t.op != opMint && t.from.Same(l.minting):
		return fmt.Errorf("%w: the minting account cannot %s", errBlock, opNames[t.op])
	case (t.op == opXfer || t.op == opMint) && t.to.Same(l.minting):
		return fmt.Errorf("%w: %s to the minting account", errBlock, opNames[t.op])
	}
	if _, err := l.apply(t, *ts, effFee); err != nil {
		return err
	}
	if !bytes.Equal(l.blocks[len(l.blocks)-1], raw) {
		return fmt.Errorf("%w: differs from the block the ledger makes", errBlock)
	}
	return nil
}
