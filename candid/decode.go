package candid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"reflect"
	"sync"
	"unicode/utf8"

	"github.com/chainkey/chainkey/principal"
)

// maxDepth bounds the nesting of values and types the package will follow.
const maxDepth = 512

// MaxTableEntries bounds the type table of a message (real messages have a
// few dozen entries), which bounds the memory the table takes.
const MaxTableEntries = 1 << 15

// zeroSizedCost is the extra cost of each element of a vector of zero-sized
// values (null, reserved, records of those): such elements take no bytes of
// the message but take memory when decoded.
const zeroSizedCost = 4

// DefaultBaseCost is the part of the default decoding budget that does not
// depend on the message length; see Decoder.
const DefaultBaseCost = 1 << 20

// Decoder decodes Candid messages under a budget. The cost of a message is
// one unit per type table entry and per value visited (decoded or skipped),
// and four more for each element of a vector of zero-sized values (null,
// reserved, records of those), which take memory but no bytes. Bytes are paid
// for by the message length, so any message that is not made mostly of
// zero-sized values costs less than four units per byte.
type Decoder struct {
	// MaxCost is the budget of one message. Zero means DefaultBaseCost plus
	// four units per byte of the message.
	MaxCost int64
	// Cache, if set, remembers parsed type tables across messages.
	Cache *TableCache
	// Alias makes decoded blobs share memory with the message instead of
	// being copied; the caller must then not modify the message while the
	// values are in use.
	Alias bool
}

// TableCache remembers the type tables of recently decoded messages, so that
// decoding many messages of the same types parses each table once (a
// message whose bytes start with a remembered table reuses its types), and
// the Candid types derived from Go types by Decoder.Decode and Encoder. It
// is safe for concurrent use; the zero value is ready to use. It holds at
// most 16 tables of at most 4 KiB each.
type TableCache struct {
	mu      sync.Mutex
	entries []cachedTable
	next    int

	// The Candid types of Go types (see Decoder.Decode and Encoder).
	goMu    sync.RWMutex
	derived goTypes
	goTop   map[reflect.Type]*Type
}

type cachedTable struct {
	header  string // the table and argument types, after the magic
	args    []*Type
	entries int // table length, charged to the budget as if parsed
}

const (
	cacheEntries  = 16
	cacheMaxBytes = 4096
)

func (c *TableCache) lookup(data []byte) (cachedTable, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if len(data) >= len(e.header) && string(data[:len(e.header)]) == e.header {
			return e, true
		}
	}
	return cachedTable{}, false
}

func (c *TableCache) add(e cachedTable) {
	if len(e.header) > cacheMaxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) < cacheEntries {
		c.entries = append(c.entries, e)
		return
	}
	c.entries[c.next] = e
	c.next = (c.next + 1) % cacheEntries
}

// ErrBudget is returned (wrapped) when a message costs more to decode than
// the decoder's budget.
var ErrBudget = errors.New("decoding budget exceeded")

// Unmarshal decodes a message against the expected argument types with the
// default budget. See Decoder.Unmarshal.
func Unmarshal(data []byte, types []*Type) ([]Value, error) {
	return Decoder{}.Unmarshal(data, types)
}

// Unmarshal decodes a message against the expected types, applying Candid's
// subtyping: extra arguments and record fields are skipped, missing opt,
// null and reserved ones read as null, values that do not fit an opt type
// read as null, nat reads as int and a service reference as a principal.
// Anything else that is not exactly a message of the types is an error.
func (d Decoder) Unmarshal(data []byte, types []*Type) ([]Value, error) {
	r := d.newReader(data)
	wire, err := r.header()
	if err != nil {
		return nil, fmt.Errorf("candid: decode: %w", err)
	}
	vals, err := r.args(wire, types)
	if err != nil {
		return nil, fmt.Errorf("candid: decode: %w", err)
	}
	return vals, nil
}

// UnmarshalAny decodes a message against its own types, returning those
// types and the values. Fields are known only by their ids.
func (d Decoder) UnmarshalAny(data []byte) ([]*Type, []Value, error) {
	r := d.newReader(data)
	wire, err := r.header()
	if err != nil {
		return nil, nil, fmt.Errorf("candid: decode: %w", err)
	}
	vals, err := r.args(wire, wire)
	if err != nil {
		return nil, nil, fmt.Errorf("candid: decode: %w", err)
	}
	// The slice may be the cache's: the caller gets its own.
	return append([]*Type(nil), wire...), vals, nil
}

// UnmarshalAny decodes a message against its own types with the default
// budget.
func UnmarshalAny(data []byte) ([]*Type, []Value, error) { return Decoder{}.UnmarshalAny(data) }

type reader struct {
	alias  bool    // blobs share the message's memory
	slab   []Field // unused field entries for the type table
	cache  *TableCache
	data   []byte
	pos    int
	budget int64
	depth  int
	memo   map[[2]*Type]bool
	zero   map[*Type]int8
}

func (d Decoder) newReader(data []byte) reader {
	budget := d.MaxCost
	if budget <= 0 {
		budget = DefaultBaseCost + 4*int64(len(data))
	}
	return reader{data: data, budget: budget, cache: d.Cache, alias: d.Alias}
}

var (
	errShort    = errors.New("unexpected end of message")
	errMismatch = errors.New("type mismatch")
	errDepth    = errors.New("value nested too deeply")
)

func (r *reader) charge(n int64) error {
	if n < 0 || n > r.budget {
		r.budget = 0
		return ErrBudget
	}
	r.budget -= n
	return nil
}

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.data) {
		return 0, errShort
	}
	b := r.data[r.pos]
	r.pos++
	return b, nil
}

func (r *reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.data)-r.pos) {
		return nil, errShort
	}
	b := r.data[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b, nil
}

// leb reads an unsigned LEB128 number that fits 64 bits. Overlong forms are
// accepted, as the specification requires; bits beyond 64 are an error.
func (r *reader) leb() (uint64, error) {
	var x uint64
	var s uint
	for {
		b, err := r.byte()
		if err != nil {
			return 0, err
		}
		if s >= 63 {
			if s == 63 && b&0x7e != 0 || s > 63 && b&0x7f != 0 {
				return 0, errors.New("LEB128 number overflows 64 bits")
			}
		}
		if s < 64 {
			x |= uint64(b&0x7f) << s
		}
		if b&0x80 == 0 {
			return x, nil
		}
		s += 7
	}
}

// sleb reads a signed LEB128 number that fits 64 bits.
func (r *reader) sleb() (int64, error) {
	var x int64
	var s uint
	for {
		b, err := r.byte()
		if err != nil {
			return 0, err
		}
		switch {
		case s < 63:
			x |= int64(b&0x7f) << s
		case s == 63:
			// Only the lowest bit is a value bit; the rest extend its sign.
			if rest := b & 0x7e; !(b&1 == 0 && rest == 0 || b&1 == 1 && rest == 0x7e) {
				return 0, errors.New("SLEB128 number overflows 64 bits")
			}
			x |= int64(b&1) << 63
		default:
			sign := byte(0)
			if x < 0 {
				sign = 0x7f
			}
			if b&0x7f != sign {
				return 0, errors.New("SLEB128 number overflows 64 bits")
			}
		}
		s += 7
		if b&0x80 == 0 {
			if s < 64 && b&0x40 != 0 {
				x |= -1 << s
			}
			return x, nil
		}
	}
}

// count reads a length and checks it against the remaining bytes when each
// item needs at least min bytes.
func (r *reader) count(min int) (int, error) {
	n, err := r.leb()
	if err != nil {
		return 0, err
	}
	if min > 0 && n > uint64(len(r.data)-r.pos)/uint64(min) {
		return 0, errShort
	}
	if n > math.MaxInt32 {
		return 0, fmt.Errorf("length %d too large", n)
	}
	return int(n), nil
}

func (r *reader) header() ([]*Type, error) {
	if len(r.data) < 4 || string(r.data[:4]) != magic {
		return nil, errors.New("no DIDL magic")
	}
	r.pos = 4
	if r.cache != nil {
		if e, ok := r.cache.lookup(r.data[4:]); ok {
			if err := r.charge(int64(e.entries)); err != nil {
				return nil, err
			}
			r.pos += len(e.header)
			return e.args, nil
		}
	}
	args, n, err := r.parseHeader()
	if err != nil {
		return nil, err
	}
	if r.cache != nil {
		r.cache.add(cachedTable{header: string(r.data[4:r.pos]), args: args, entries: n})
	}
	return args, nil
}

func (r *reader) parseHeader() ([]*Type, int, error) {
	n, err := r.count(2) // every entry takes at least two bytes
	if err != nil {
		return nil, 0, fmt.Errorf("type table: %w", err)
	}
	if n > MaxTableEntries {
		return nil, 0, fmt.Errorf("type table of %d entries (at most %d)", n, MaxTableEntries)
	}
	if err := r.charge(int64(n)); err != nil {
		return nil, 0, err
	}
	table := make([]Type, n)
	for i := range table {
		if err := r.entry(table, i); err != nil {
			return nil, 0, fmt.Errorf("type table entry %d: %w", i, err)
		}
	}
	nargs, err := r.count(1)
	if err != nil {
		return nil, 0, fmt.Errorf("argument types: %w", err)
	}
	args := make([]*Type, nargs)
	for i := range args {
		if args[i], err = r.typeRef(table); err != nil {
			return nil, 0, fmt.Errorf("argument type %d: %w", i, err)
		}
	}
	// Service methods must refer to function types; this can only be
	// checked once the whole table is read.
	for i := range table {
		t := &table[i]
		if t.Kind == KindService {
			for _, m := range t.Methods {
				if m.Type.Kind != KindFunc {
					return nil, 0, fmt.Errorf("type table entry %d: method %q is not a function", i, m.Name)
				}
			}
		}
	}
	return args, n, nil
}

// typeRef reads a type reference: a primitive opcode or a table index.
func (r *reader) typeRef(table []Type) (*Type, error) {
	x, err := r.sleb()
	if err != nil {
		return nil, err
	}
	if x >= 0 {
		if x >= int64(len(table)) {
			return nil, fmt.Errorf("type index %d out of range", x)
		}
		return &table[x], nil
	}
	k := Kind(-x)
	if x < -24 || !k.IsPrimitive() {
		return nil, fmt.Errorf("opcode %d is not a primitive type", x)
	}
	return Prim(k), nil
}

// fields returns room for n fields of a table entry, carving small records
// out of one shared allocation.
func (r *reader) fields(n int) []Field {
	if n > len(r.slab) {
		if n >= 8 {
			return make([]Field, n)
		}
		r.slab = make([]Field, 8)
	}
	f := r.slab[:n:n]
	r.slab = r.slab[n:]
	return f
}

func (r *reader) entry(table []Type, i int) error {
	t := &table[i]
	op, err := r.sleb()
	if err != nil {
		return err
	}
	switch {
	case op == -int64(KindOpt) || op == -int64(KindVec):
		t.Kind = Kind(-op)
		if t.Elem, err = r.typeRef(table); err != nil {
			return err
		}
	case op == -int64(KindRecord) || op == -int64(KindVariant):
		t.Kind = Kind(-op)
		n, err := r.count(2)
		if err != nil {
			return err
		}
		t.Fields = r.fields(n)
		for j := range t.Fields {
			id, err := r.leb()
			if err != nil {
				return err
			}
			if id > math.MaxUint32 {
				return fmt.Errorf("field id %d does not fit 32 bits", id)
			}
			if j > 0 && uint32(id) <= t.Fields[j-1].ID {
				return errors.New("field ids not strictly increasing")
			}
			ft, err := r.typeRef(table)
			if err != nil {
				return err
			}
			t.Fields[j] = Field{ID: uint32(id), Type: ft}
		}
	case op == -int64(KindFunc):
		t.Kind = KindFunc
		for _, dst := range []*[]*Type{&t.Args, &t.Results} {
			n, err := r.count(1)
			if err != nil {
				return err
			}
			ts := make([]*Type, n)
			for j := range ts {
				if ts[j], err = r.typeRef(table); err != nil {
					return err
				}
			}
			*dst = ts
		}
		n, err := r.count(1)
		if err != nil {
			return err
		}
		for j := 0; j < n; j++ {
			m, err := r.byte()
			if err != nil {
				return err
			}
			if m < 1 || m > 3 {
				return fmt.Errorf("unknown function annotation %d", m)
			}
			t.Modes = append(t.Modes, FuncMode(m))
		}
		if len(t.Modes) > 1 {
			return errors.New("more than one function annotation")
		}
	case op == -int64(KindService):
		t.Kind = KindService
		n, err := r.count(2)
		if err != nil {
			return err
		}
		t.Methods = make([]Method, n)
		for j := range t.Methods {
			l, err := r.count(1)
			if err != nil {
				return err
			}
			name, err := r.take(uint64(l))
			if err != nil {
				return err
			}
			if !utf8.Valid(name) {
				return errors.New("method name is not valid UTF-8")
			}
			if j > 0 && string(name) <= t.Methods[j-1].Name {
				return errors.New("method names not strictly increasing")
			}
			mt, err := r.typeRef(table)
			if err != nil {
				return err
			}
			t.Methods[j] = Method{Name: string(name), Type: mt}
		}
	case op < -24:
		// A type of a future version: its description is skipped.
		t.Kind = KindFuture
		n, err := r.count(1)
		if err != nil {
			return err
		}
		desc, err := r.take(uint64(n))
		if err != nil {
			return err
		}
		t.future = &futureType{op: op, desc: append([]byte(nil), desc...)}
	default:
		return fmt.Errorf("opcode %d is not a type constructor", op)
	}
	return nil
}

func (r *reader) args(wire, want []*Type) ([]Value, error) {
	vals := make([]Value, len(want))
	for i, t := range want {
		if i >= len(wire) {
			v, ok := nullOf(t)
			if !ok {
				return nil, fmt.Errorf("argument %d (%s) missing", i, t.Kind)
			}
			vals[i] = v
			continue
		}
		v, err := r.value(wire[i], t)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i, err)
		}
		vals[i] = v
	}
	for i := len(want); i < len(wire); i++ {
		if err := r.skip(wire[i]); err != nil {
			return nil, fmt.Errorf("extra argument %d: %w", i, err)
		}
	}
	if r.pos != len(r.data) {
		return nil, fmt.Errorf("%d trailing bytes", len(r.data)-r.pos)
	}
	return vals, nil
}

// nullOf returns the value a missing field or argument of type t takes.
func nullOf(t *Type) (Value, bool) {
	switch t.Kind {
	case KindNull:
		return Null{}, true
	case KindOpt:
		return Opt{}, true
	case KindReserved:
		return Reserved{}, true
	}
	return nil, false
}

// value decodes a value of wire type w at the expected type t.
func (r *reader) value(w, t *Type) (Value, error) {
	if err := r.charge(1); err != nil {
		return nil, err
	}
	if r.depth >= maxDepth {
		return nil, errDepth
	}
	r.depth++
	v, err := r.valueAt(w, t)
	r.depth--
	return v, err
}

func (r *reader) valueAt(w, t *Type) (Value, error) {
	switch t.Kind {
	case KindReserved:
		return Reserved{}, r.skip(w)
	case KindOpt:
		return r.opt(w, t)
	}
	if w.Kind != t.Kind {
		switch {
		case w.Kind == KindNat && t.Kind == KindInt:
			n, err := r.nat()
			if err != nil {
				return nil, err
			}
			return n, nil
		case w.Kind == KindService && t.Kind == KindPrincipal:
			return r.principal()
		}
		return nil, fmt.Errorf("%w: %s on the wire, %s expected", errMismatch, w.Kind, t.Kind)
	}
	switch t.Kind {
	case KindNull:
		return Null{}, nil
	case KindBool:
		b, err := r.byte()
		if err != nil {
			return nil, err
		}
		if b > 1 {
			return nil, fmt.Errorf("bool byte %d", b)
		}
		return b == 1, nil
	case KindNat:
		return r.nat()
	case KindInt:
		return r.int()
	case KindNat8:
		return r.byte()
	case KindNat16:
		b, err := r.take(2)
		if err != nil {
			return nil, err
		}
		return binary.LittleEndian.Uint16(b), nil
	case KindNat32:
		b, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return binary.LittleEndian.Uint32(b), nil
	case KindNat64:
		b, err := r.take(8)
		if err != nil {
			return nil, err
		}
		return binary.LittleEndian.Uint64(b), nil
	case KindInt8:
		b, err := r.byte()
		return int8(b), err
	case KindInt16:
		b, err := r.take(2)
		if err != nil {
			return nil, err
		}
		return int16(binary.LittleEndian.Uint16(b)), nil
	case KindInt32:
		b, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return int32(binary.LittleEndian.Uint32(b)), nil
	case KindInt64:
		b, err := r.take(8)
		if err != nil {
			return nil, err
		}
		return int64(binary.LittleEndian.Uint64(b)), nil
	case KindFloat32:
		b, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
	case KindFloat64:
		b, err := r.take(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
	case KindText:
		return r.text()
	case KindPrincipal:
		return r.principal()
	case KindEmpty:
		return nil, errors.New("no value has type empty")
	case KindVec:
		return r.vec(w, t)
	case KindRecord:
		return r.record(w, t)
	case KindVariant:
		return r.variant(w, t)
	case KindFunc:
		if !r.subtype(w, t) {
			return nil, fmt.Errorf("%w: function type on the wire is not a subtype of the expected one", errMismatch)
		}
		return r.funcRef()
	case KindService:
		if !r.subtype(w, t) {
			return nil, fmt.Errorf("%w: service type on the wire is not a subtype of the expected one", errMismatch)
		}
		p, err := r.principal()
		if err != nil {
			return nil, err
		}
		return ServiceRef{ID: p}, nil
	}
	return nil, fmt.Errorf("cannot decode at type %s", t.Kind)
}

func (r *reader) opt(w, t *Type) (Value, error) {
	switch w.Kind {
	case KindNull, KindReserved:
		return Opt{}, nil
	case KindOpt:
		tag, err := r.byte()
		if err != nil {
			return nil, err
		}
		switch tag {
		case 0:
			return Opt{}, nil
		case 1:
			return r.tryOpt(w.Elem, t.Elem)
		}
		return nil, fmt.Errorf("opt tag %d", tag)
	}
	// A value of a non-optional type at an optional one.
	if t.Elem == t {
		return nil, errors.New("value of a non-optional type at a type opt of itself")
	}
	return r.tryOpt(w, t.Elem)
}

// tryOpt decodes a value of wire type w at type t inside an opt: if it does
// not fit t it reads as null, but it must still be a valid value of type w.
// Only running out of budget or depth is not recovered from.
func (r *reader) tryOpt(w, t *Type) (Value, error) {
	pos := r.pos
	v, err := r.value(w, t)
	if err == nil {
		return Opt{Value: v}, nil
	}
	if errors.Is(err, ErrBudget) || errors.Is(err, errDepth) {
		return nil, err
	}
	r.pos = pos
	if err := r.skip(w); err != nil {
		return nil, err
	}
	return Opt{}, nil
}

func (r *reader) nat() (*big.Int, error) {
	start := r.pos
	for {
		b, err := r.byte()
		if err != nil {
			return nil, err
		}
		if b&0x80 == 0 {
			break
		}
	}
	bs := r.data[start:r.pos]
	if len(bs) <= 9 {
		var x uint64
		for i, b := range bs {
			x |= uint64(b&0x7f) << (7 * i)
		}
		return smallBig(x, false), nil
	}
	return bigFromLEB(bs, false), nil
}

func (r *reader) int() (*big.Int, error) {
	start := r.pos
	for {
		b, err := r.byte()
		if err != nil {
			return nil, err
		}
		if b&0x80 == 0 {
			break
		}
	}
	bs := r.data[start:r.pos]
	if len(bs) <= 9 {
		var x int64
		for i, b := range bs {
			x |= int64(b&0x7f) << (7 * i)
		}
		if bs[len(bs)-1]&0x40 != 0 {
			x |= -1 << (7 * len(bs))
		}
		if x < 0 {
			return smallBig(uint64(-x), true), nil
		}
		return smallBig(uint64(x), false), nil
	}
	return bigFromLEB(bs, true), nil
}

// smallBig returns a number of at most 64 bits in one allocation: the
// big.Int and its one-word magnitude live together.
func smallBig(x uint64, neg bool) *big.Int {
	if x == 0 {
		return new(big.Int)
	}
	if bits.UintSize == 32 {
		n := new(big.Int).SetUint64(x)
		if neg {
			n.Neg(n)
		}
		return n
	}
	b := new(struct {
		n big.Int
		w [1]big.Word
	})
	b.w[0] = big.Word(x)
	b.n.SetBits(b.w[:])
	if neg {
		b.n.Neg(&b.n)
	}
	return &b.n
}

// bigFromLEB converts LEB128 groups (least significant first) to a number.
func bigFromLEB(bs []byte, signed bool) *big.Int {
	// Pack the 7-bit groups into a little-endian byte string, then into
	// big-endian for SetBytes.
	nbits := 7 * len(bs)
	buf := make([]byte, (nbits+7)/8)
	for i, b := range bs {
		v := uint(b & 0x7f)
		bit := 7 * i
		buf[bit/8] |= byte(v << (bit % 8))
		if bit%8 > 1 && bit/8+1 < len(buf) {
			buf[bit/8+1] |= byte(v >> (8 - bit%8))
		}
	}
	for i, j := 0, len(buf)-1; i < j; i, j = i+1, j-1 {
		buf[i], buf[j] = buf[j], buf[i]
	}
	x := new(big.Int).SetBytes(buf)
	if signed && bs[len(bs)-1]&0x40 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(nbits)))
	}
	return x
}

func (r *reader) text() (string, error) {
	n, err := r.leb()
	if err != nil {
		return "", err
	}
	b, err := r.take(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", errors.New("text is not valid UTF-8")
	}
	return string(b), nil
}

func (r *reader) principal() (principal.Principal, error) {
	tag, err := r.byte()
	if err != nil {
		return principal.Principal{}, err
	}
	if tag != 1 {
		return principal.Principal{}, fmt.Errorf("opaque reference (tag %d) not supported", tag)
	}
	n, err := r.leb()
	if err != nil {
		return principal.Principal{}, err
	}
	b, err := r.take(n)
	if err != nil {
		return principal.Principal{}, err
	}
	p, err := principal.FromBytes(b)
	if err != nil {
		return principal.Principal{}, err
	}
	return p, nil
}

func (r *reader) funcRef() (Value, error) {
	tag, err := r.byte()
	if err != nil {
		return nil, err
	}
	if tag != 1 {
		return nil, fmt.Errorf("opaque function reference (tag %d) not supported", tag)
	}
	p, err := r.principal()
	if err != nil {
		return nil, err
	}
	m, err := r.text()
	if err != nil {
		return nil, err
	}
	return FuncRef{Service: p, Method: m}, nil
}

// minSize returns the least number of bytes a value of wire type w takes:
// 0 or 1, or -1 when w has no finite values at all (empty, or a record that
// contains itself).
func (r *reader) minSize(w *Type) int8 {
	switch w.Kind {
	case KindNull, KindReserved:
		return 0
	case KindEmpty:
		return -1
	case KindRecord:
	default:
		return 1
	}
	if r.zero == nil {
		r.zero = make(map[*Type]int8)
	}
	if s, ok := r.zero[w]; ok {
		if s == 2 { // being computed: a cycle through records only
			return -1
		}
		return s
	}
	r.zero[w] = 2
	var s int8
	for _, f := range w.Fields {
		fs := r.minSize(f.Type)
		if fs < 0 {
			s = -1
			break
		}
		if fs > 0 {
			s = 1
		}
	}
	r.zero[w] = s
	return s
}

func (r *reader) vec(w, t *Type) (Value, error) {
	if w.Elem.Kind == KindNat8 && t.Elem.Kind == KindNat8 {
		n, err := r.leb()
		if err != nil {
			return nil, err
		}
		b, err := r.take(n)
		if err != nil {
			return nil, err
		}
		if r.alias {
			return b[:len(b):len(b)], nil
		}
		return append([]byte{}, b...), nil
	}
	n, err := r.vecLen(w.Elem)
	if err != nil {
		return nil, err
	}
	vs := make([]Value, 0, min(n, 1024))
	for i := 0; i < n; i++ {
		v, err := r.value(w.Elem, t.Elem)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// vecLen reads a vector length and checks it against the remaining bytes,
// or against the budget for zero-sized elements.
func (r *reader) vecLen(elem *Type) (int, error) {
	s := r.minSize(elem)
	n, err := r.count(max(int(s), 0))
	if err != nil {
		return 0, err
	}
	if s <= 0 {
		if err := r.charge(zeroSizedCost * int64(n)); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func (r *reader) record(w, t *Type) (Value, error) {
	fs := make([]FieldValue, len(t.Fields))
	j := 0 // next expected field
	for _, wf := range w.Fields {
		for j < len(t.Fields) && t.Fields[j].ID < wf.ID {
			if err := r.missing(t.Fields[j], fs, j); err != nil {
				return nil, err
			}
			j++
		}
		if j < len(t.Fields) && t.Fields[j].ID == wf.ID {
			f := t.Fields[j]
			v, err := r.value(wf.Type, f.Type)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", labelString(f), err)
			}
			fs[j] = FieldValue{ID: f.ID, Name: f.Name, Value: v}
			j++
			continue
		}
		if err := r.skip(wf.Type); err != nil {
			return nil, err
		}
	}
	for ; j < len(t.Fields); j++ {
		if err := r.missing(t.Fields[j], fs, j); err != nil {
			return nil, err
		}
	}
	return Record{Fields: fs}, nil
}

func (r *reader) missing(f Field, fs []FieldValue, j int) error {
	v, ok := nullOf(f.Type)
	if !ok {
		return fmt.Errorf("field %s missing", labelString(f))
	}
	fs[j] = FieldValue{ID: f.ID, Name: f.Name, Value: v}
	return nil
}

func (r *reader) variant(w, t *Type) (Value, error) {
	i, err := r.leb()
	if err != nil {
		return nil, err
	}
	if i >= uint64(len(w.Fields)) {
		return nil, fmt.Errorf("variant index %d out of range", i)
	}
	wf := w.Fields[i]
	f, ok := t.Field(wf.ID)
	if !ok {
		return nil, fmt.Errorf("%w: variant tag %d not expected", errMismatch, wf.ID)
	}
	v, err := r.value(wf.Type, f.Type)
	if err != nil {
		return nil, fmt.Errorf("tag %s: %w", labelString(f), err)
	}
	return Variant{ID: f.ID, Name: f.Name, Value: v}, nil
}

// skip consumes a value of wire type w, checking it as strictly as decoding.
func (r *reader) skip(w *Type) error {
	if err := r.charge(1); err != nil {
		return err
	}
	if r.depth >= maxDepth {
		return errDepth
	}
	r.depth++
	err := r.skipAt(w)
	r.depth--
	return err
}

func (r *reader) skipAt(w *Type) error {
	switch w.Kind {
	case KindNull, KindReserved:
		return nil
	case KindEmpty:
		return errors.New("no value has type empty")
	case KindBool:
		b, err := r.byte()
		if err == nil && b > 1 {
			err = fmt.Errorf("bool byte %d", b)
		}
		return err
	case KindNat, KindInt:
		for {
			b, err := r.byte()
			if err != nil {
				return err
			}
			if b&0x80 == 0 {
				return nil
			}
		}
	case KindNat8, KindInt8:
		_, err := r.take(1)
		return err
	case KindNat16, KindInt16:
		_, err := r.take(2)
		return err
	case KindNat32, KindInt32, KindFloat32:
		_, err := r.take(4)
		return err
	case KindNat64, KindInt64, KindFloat64:
		_, err := r.take(8)
		return err
	case KindText:
		_, err := r.text()
		return err
	case KindPrincipal, KindService:
		_, err := r.principal()
		return err
	case KindFunc:
		_, err := r.funcRef()
		return err
	case KindOpt:
		tag, err := r.byte()
		if err != nil {
			return err
		}
		switch tag {
		case 0:
			return nil
		case 1:
			return r.skip(w.Elem)
		}
		return fmt.Errorf("opt tag %d", tag)
	case KindVec:
		if w.Elem.Kind == KindNat8 {
			n, err := r.leb()
			if err != nil {
				return err
			}
			_, err = r.take(n)
			return err
		}
		n, err := r.vecLen(w.Elem)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := r.skip(w.Elem); err != nil {
				return err
			}
		}
		return nil
	case KindRecord:
		for _, f := range w.Fields {
			if err := r.skip(f.Type); err != nil {
				return err
			}
		}
		return nil
	case KindVariant:
		i, err := r.leb()
		if err != nil {
			return err
		}
		if i >= uint64(len(w.Fields)) {
			return fmt.Errorf("variant index %d out of range", i)
		}
		return r.skip(w.Fields[i].Type)
	case KindFuture:
		n, err := r.leb()
		if err != nil {
			return err
		}
		refs, err := r.leb()
		if err != nil {
			return err
		}
		if refs != 0 {
			return errors.New("references in a future value not supported")
		}
		_, err = r.take(n)
		return err
	}
	return fmt.Errorf("cannot skip a value of type %s", w.Kind)
}
