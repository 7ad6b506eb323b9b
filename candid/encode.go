package candid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"unicode/utf8"

	"github.com/chainkey/chainkey/principal"
)

// magic starts every Candid message.
const magic = "DIDL"

func appendLEB(b []byte, x uint64) []byte {
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}

func appendSLEB(b []byte, x int64) []byte {
	for {
		c := byte(x & 0x7f)
		x >>= 7
		if (x == 0 && c&0x40 == 0) || (x == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendBigLEB(b []byte, x *big.Int) []byte {
	if x.IsUint64() {
		return appendLEB(b, x.Uint64())
	}
	// Emit 7 bits at a time from the little-endian word array.
	bitLen := x.BitLen()
	for i := 0; i < bitLen; i += 7 {
		var c uint
		for j := 0; j < 7; j++ {
			if x.Bit(i+j) == 1 {
				c |= 1 << j
			}
		}
		if i+7 < bitLen {
			c |= 0x80
		}
		b = append(b, byte(c))
	}
	return b
}

func appendBigSLEB(b []byte, x *big.Int) []byte {
	if x.IsInt64() {
		return appendSLEB(b, x.Int64())
	}
	// Two's complement, 7 bits at a time, until the rest is all sign.
	neg := x.Sign() < 0
	v := new(big.Int).Set(x)
	mask := big.NewInt(0x7f)
	c := new(big.Int)
	for {
		c.And(v, mask) // And on negatives works in two's complement
		by := byte(c.Uint64())
		v.Rsh(v, 7) // arithmetic shift (rounds toward -inf)
		if (!neg && v.Sign() == 0 && by&0x40 == 0) || (neg && v.Cmp(big.NewInt(-1)) == 0 && by&0x40 != 0) {
			return append(b, by)
		}
		b = append(b, by|0x80)
	}
}

// encoder collects the type table and the value bytes of one message.
type encoder struct {
	entries [][]byte
	nTypes  int
	active  map[*Type]bool   // types whose entries are being built
	byEntry map[string]int64 // entries already in the table
	index   map[*Type]int64
	vals    []byte
}

// Marshal encodes values of the given types as one Candid message.
func Marshal(types []*Type, values []Value) ([]byte, error) {
	return AppendMarshal(nil, types, values)
}

// AppendMarshal appends the Candid message of the values to b.
func AppendMarshal(b []byte, types []*Type, values []Value) ([]byte, error) {
	if len(types) != len(values) {
		return nil, fmt.Errorf("candid: encode: %d types for %d values", len(types), len(values))
	}
	e := encoder{}
	args := make([]int64, len(types))
	for i, t := range types {
		idx, err := e.typeIndex(t)
		if err != nil {
			return nil, fmt.Errorf("candid: encode: argument %d: %w", i, err)
		}
		args[i] = idx
	}
	b = append(b, magic...)
	b = appendLEB(b, uint64(e.nTypes))
	for _, en := range e.entries {
		b = append(b, en...)
	}
	b = appendLEB(b, uint64(len(args)))
	for _, a := range args {
		b = appendSLEB(b, a)
	}
	e.vals = b
	for i, t := range types {
		if err := e.value(t, values[i], 0); err != nil {
			return nil, fmt.Errorf("candid: encode: argument %d: %w", i, err)
		}
	}
	return e.vals, nil
}

// typeIndex returns the opcode (primitive) or table index of t, adding t and
// its components to the table.
func (e *encoder) typeIndex(t *Type) (int64, error) {
	if t == nil {
		return 0, errors.New("nil type")
	}
	if t.Kind.IsPrimitive() {
		return -int64(t.Kind), nil
	}
	if idx, ok := e.index[t]; ok {
		return idx, nil
	}
	if e.index == nil {
		e.index = make(map[*Type]int64)
		e.active = make(map[*Type]bool)
		e.byEntry = make(map[string]int64)
	}
	if e.active[t] {
		// A cycle: t gets its index now, its entry when it is complete.
		idx := int64(e.nTypes)
		e.index[t] = idx
		e.nTypes++
		e.entries = append(e.entries, nil)
		return idx, nil
	}
	e.active[t] = true
	entry, err := e.entry(t)
	delete(e.active, t)
	if err != nil {
		return 0, err
	}
	if idx, ok := e.index[t]; ok { // reserved by a cycle
		e.entries[idx] = entry
		return idx, nil
	}
	// Structurally equal types share one entry.
	if idx, ok := e.byEntry[string(entry)]; ok {
		e.index[t] = idx
		return idx, nil
	}
	idx := int64(e.nTypes)
	e.index[t] = idx
	e.byEntry[string(entry)] = idx
	e.nTypes++
	e.entries = append(e.entries, entry)
	return idx, nil
}

// entry returns the table entry of t; components get their indices first.
func (e *encoder) entry(t *Type) ([]byte, error) {
	var entry []byte
	switch t.Kind {
	case KindOpt, KindVec:
		c, err := e.typeIndex(t.Elem)
		if err != nil {
			return nil, err
		}
		entry = appendSLEB(entry, -int64(t.Kind))
		entry = appendSLEB(entry, c)
	case KindRecord, KindVariant:
		entry = appendSLEB(entry, -int64(t.Kind))
		entry = appendLEB(entry, uint64(len(t.Fields)))
		for i, f := range t.Fields {
			if i > 0 && f.ID <= t.Fields[i-1].ID {
				return nil, fmt.Errorf("%s fields not sorted by id", t.Kind)
			}
			c, err := e.typeIndex(f.Type)
			if err != nil {
				return nil, err
			}
			entry = appendLEB(entry, uint64(f.ID))
			entry = appendSLEB(entry, c)
		}
	case KindFunc:
		entry = appendSLEB(entry, -int64(KindFunc))
		for _, ts := range [2][]*Type{t.Args, t.Results} {
			entry = appendLEB(entry, uint64(len(ts)))
			for _, a := range ts {
				c, err := e.typeIndex(a)
				if err != nil {
					return nil, err
				}
				entry = appendSLEB(entry, c)
			}
		}
		entry = appendLEB(entry, uint64(len(t.Modes)))
		for _, m := range t.Modes {
			entry = append(entry, byte(m))
		}
	case KindService:
		entry = appendSLEB(entry, -int64(KindService))
		entry = appendLEB(entry, uint64(len(t.Methods)))
		for _, m := range t.Methods {
			c, err := e.typeIndex(m.Type)
			if err != nil {
				return nil, err
			}
			entry = appendLEB(entry, uint64(len(m.Name)))
			entry = append(entry, m.Name...)
			entry = appendSLEB(entry, c)
		}
	case KindFuture:
		entry = appendSLEB(entry, t.future.op)
		entry = appendLEB(entry, uint64(len(t.future.desc)))
		entry = append(entry, t.future.desc...)
	default:
		return nil, fmt.Errorf("unknown type kind %d", t.Kind)
	}
	return entry, nil
}

func (e *encoder) value(t *Type, v Value, depth int) error {
	if depth > maxDepth {
		return errors.New("value nested too deeply")
	}
	bad := func() error { return fmt.Errorf("value of Go type %T does not fit Candid type %s", v, t.Kind) }
	switch t.Kind {
	case KindNull:
		if _, ok := v.(Null); !ok {
			return bad()
		}
	case KindReserved:
		// Any value is fine: reserved carries no data.
	case KindEmpty:
		return errors.New("no value has type empty")
	case KindBool:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		if x {
			e.vals = append(e.vals, 1)
		} else {
			e.vals = append(e.vals, 0)
		}
	case KindNat:
		x, ok := v.(*big.Int)
		if !ok || x == nil {
			return bad()
		}
		if x.Sign() < 0 {
			return errors.New("negative value for nat")
		}
		e.vals = appendBigLEB(e.vals, x)
	case KindInt:
		x, ok := v.(*big.Int)
		if !ok || x == nil {
			return bad()
		}
		e.vals = appendBigSLEB(e.vals, x)
	case KindNat8:
		x, ok := v.(uint8)
		if !ok {
			return bad()
		}
		e.vals = append(e.vals, x)
	case KindNat16:
		x, ok := v.(uint16)
		if !ok {
			return bad()
		}
		e.vals = binary.LittleEndian.AppendUint16(e.vals, x)
	case KindNat32:
		x, ok := v.(uint32)
		if !ok {
			return bad()
		}
		e.vals = binary.LittleEndian.AppendUint32(e.vals, x)
	case KindNat64:
		x, ok := v.(uint64)
		if !ok {
			return bad()
		}
		e.vals = binary.LittleEndian.AppendUint64(e.vals, x)
	case KindInt8:
		x, ok := v.(int8)
		if !ok {
			return bad()
		}
		e.vals = append(e.vals, byte(x))
	case KindInt16:
		x, ok := v.(int16)
		if !ok {
			return bad()
		}
		e.vals = binary.LittleEndian.AppendUint16(e.vals, uint16(x))
	case KindInt32:
		x, ok := v.(int32)
		if !ok {
			return bad()
		}
		e.vals = binary.LittleEndian.AppendUint32(e.vals, uint32(x))
	case KindInt64:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		e.vals = binary.LittleEndian.AppendUint64(e.vals, uint64(x))
	case KindFloat32:
		x, ok := v.(float32)
		if !ok {
			return bad()
		}
		e.vals = binary.LittleEndian.AppendUint32(e.vals, math.Float32bits(x))
	case KindFloat64:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		e.vals = binary.LittleEndian.AppendUint64(e.vals, math.Float64bits(x))
	case KindText:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		if !utf8.ValidString(x) {
			return errors.New("text is not valid UTF-8")
		}
		e.vals = appendLEB(e.vals, uint64(len(x)))
		e.vals = append(e.vals, x...)
	case KindPrincipal:
		x, ok := v.(principal.Principal)
		if !ok {
			return bad()
		}
		e.appendPrincipal(x)
	case KindOpt:
		x, ok := v.(Opt)
		if !ok {
			return bad()
		}
		if x.Value == nil {
			e.vals = append(e.vals, 0)
			return nil
		}
		e.vals = append(e.vals, 1)
		return e.value(t.Elem, x.Value, depth+1)
	case KindVec:
		switch x := v.(type) {
		case []byte:
			if t.Elem.Kind != KindNat8 {
				return bad()
			}
			e.vals = appendLEB(e.vals, uint64(len(x)))
			e.vals = append(e.vals, x...)
		case []Value:
			e.vals = appendLEB(e.vals, uint64(len(x)))
			for i, el := range x {
				if err := e.value(t.Elem, el, depth+1); err != nil {
					return fmt.Errorf("element %d: %w", i, err)
				}
			}
		default:
			return bad()
		}
	case KindRecord:
		x, ok := v.(Record)
		if !ok {
			return bad()
		}
		// Every field of the type must be present; extra value fields are
		// an error too (they would silently vanish).
		if len(x.Fields) != len(t.Fields) {
			return fmt.Errorf("record value has %d fields, type has %d", len(x.Fields), len(t.Fields))
		}
		for i, f := range t.Fields {
			fv := x.Fields[i]
			if fv.ID != f.ID {
				var found bool
				fv.Value, found = x.GetID(f.ID)
				if !found {
					return fmt.Errorf("record value lacks field %s", labelString(f))
				}
			}
			if err := e.value(f.Type, fv.Value, depth+1); err != nil {
				return fmt.Errorf("field %s: %w", labelString(f), err)
			}
		}
	case KindVariant:
		x, ok := v.(Variant)
		if !ok {
			return bad()
		}
		for i, f := range t.Fields {
			if f.ID == x.ID {
				e.vals = appendLEB(e.vals, uint64(i))
				if err := e.value(f.Type, x.Value, depth+1); err != nil {
					return fmt.Errorf("tag %s: %w", labelString(f), err)
				}
				return nil
			}
		}
		return fmt.Errorf("variant type has no tag %d", x.ID)
	case KindFunc:
		x, ok := v.(FuncRef)
		if !ok {
			return bad()
		}
		if !utf8.ValidString(x.Method) {
			return errors.New("method name is not valid UTF-8")
		}
		e.vals = append(e.vals, 1)
		e.appendPrincipal(x.Service)
		e.vals = appendLEB(e.vals, uint64(len(x.Method)))
		e.vals = append(e.vals, x.Method...)
	case KindService:
		x, ok := v.(ServiceRef)
		if !ok {
			return bad()
		}
		e.appendPrincipal(x.ID)
	default:
		return fmt.Errorf("cannot encode a value of type %s", t.Kind)
	}
	return nil
}

func (e *encoder) appendPrincipal(p principal.Principal) {
	e.vals = append(e.vals, 1)
	e.vals = appendLEB(e.vals, uint64(p.Len()))
	e.vals = append(e.vals, p.Bytes()...)
}
