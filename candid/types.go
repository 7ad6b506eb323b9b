package candid

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind is the type constructor of a Candid type. Its value is the negated
// opcode of the binary format (KindNull is opcode -1, KindPrincipal -24).
type Kind int8

// The Candid type constructors.
const (
	KindNull Kind = iota + 1
	KindBool
	KindNat
	KindInt
	KindNat8
	KindNat16
	KindNat32
	KindNat64
	KindInt8
	KindInt16
	KindInt32
	KindInt64
	KindFloat32
	KindFloat64
	KindText
	KindReserved
	KindEmpty
	KindOpt
	KindVec
	KindRecord
	KindVariant
	KindFunc
	KindService
	KindPrincipal
	// KindFuture is a type of a later version of Candid met on the wire: it
	// can only be skipped or read as null at an opt type.
	KindFuture
)

var kindNames = [...]string{
	KindNull: "null", KindBool: "bool", KindNat: "nat", KindInt: "int",
	KindNat8: "nat8", KindNat16: "nat16", KindNat32: "nat32", KindNat64: "nat64",
	KindInt8: "int8", KindInt16: "int16", KindInt32: "int32", KindInt64: "int64",
	KindFloat32: "float32", KindFloat64: "float64", KindText: "text",
	KindReserved: "reserved", KindEmpty: "empty", KindOpt: "opt", KindVec: "vec",
	KindRecord: "record", KindVariant: "variant", KindFunc: "func",
	KindService: "service", KindPrincipal: "principal", KindFuture: "future",
}

// String returns the Candid keyword of k.
func (k Kind) String() string {
	if k >= KindNull && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int8(k))
}

// IsPrimitive reports whether k is a primitive type (one without components).
func (k Kind) IsPrimitive() bool {
	return (k >= KindNull && k <= KindEmpty) || k == KindPrincipal
}

// FuncMode is a function annotation.
type FuncMode uint8

// The function annotations, with their binary codes.
const (
	ModeQuery          FuncMode = 1
	ModeOneway         FuncMode = 2
	ModeCompositeQuery FuncMode = 3
)

// String returns the annotation's keyword.
func (m FuncMode) String() string {
	switch m {
	case ModeQuery:
		return "query"
	case ModeOneway:
		return "oneway"
	case ModeCompositeQuery:
		return "composite_query"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Type is a Candid type. Types may be recursive: a component may point back to
// an enclosing Type. Types are not modified after construction; they may be
// shared between goroutines.
type Type struct {
	Kind    Kind
	Elem    *Type      // KindOpt, KindVec
	Fields  []Field    // KindRecord, KindVariant: sorted by ID, IDs unique
	Args    []*Type    // KindFunc
	Results []*Type    // KindFunc
	Modes   []FuncMode // KindFunc: sorted, unique
	Methods []Method   // KindService: sorted by name, names unique
	// Name is the name a service description gave the type, if any. It is
	// used only for printing (and makes recursive types printable).
	Name string

	future *futureType // KindFuture
}

// futureType is a type of a later version of Candid: its opcode and opaque
// description.
type futureType struct {
	op   int64
	desc []byte
}

// Field is a record field or variant tag.
type Field struct {
	ID   uint32 // Hash(Name) when Name is set
	Name string // empty when only the number is known
	Type *Type
}

// Method is a service method; Type has KindFunc.
type Method struct {
	Name string
	Type *Type
}

// Hash returns the 32-bit field id of a field name (the Candid label hash).
func Hash(name string) uint32 {
	var h uint32
	for i := 0; i < len(name); i++ {
		h = h*223 + uint32(name[i])
	}
	return h
}

var prims = [...]Type{
	KindNull: {Kind: KindNull}, KindBool: {Kind: KindBool}, KindNat: {Kind: KindNat},
	KindInt: {Kind: KindInt}, KindNat8: {Kind: KindNat8}, KindNat16: {Kind: KindNat16},
	KindNat32: {Kind: KindNat32}, KindNat64: {Kind: KindNat64}, KindInt8: {Kind: KindInt8},
	KindInt16: {Kind: KindInt16}, KindInt32: {Kind: KindInt32}, KindInt64: {Kind: KindInt64},
	KindFloat32: {Kind: KindFloat32}, KindFloat64: {Kind: KindFloat64},
	KindText: {Kind: KindText}, KindReserved: {Kind: KindReserved},
	KindEmpty: {Kind: KindEmpty}, KindPrincipal: {Kind: KindPrincipal},
}

// Prim returns the primitive type of kind k. It panics if k is not primitive.
// The returned type is shared and must not be modified.
func Prim(k Kind) *Type {
	if !k.IsPrimitive() {
		panic("candid: Prim of non-primitive kind " + k.String())
	}
	return &prims[k]
}

// OptType returns the type opt t.
func OptType(t *Type) *Type { return &Type{Kind: KindOpt, Elem: t} }

// VecType returns the type vec t.
func VecType(t *Type) *Type { return &Type{Kind: KindVec, Elem: t} }

// BlobType returns the type blob (vec nat8).
func BlobType() *Type { return VecType(Prim(KindNat8)) }

// F returns a named field; its ID is Hash(name).
func F(name string, t *Type) Field { return Field{ID: Hash(name), Name: name, Type: t} }

// FID returns a field known only by its number.
func FID(id uint32, t *Type) Field { return Field{ID: id, Type: t} }

// RecordType returns the record type with the given fields. It panics on
// duplicate field ids; use NewRecordType for fields from untrusted input.
func RecordType(fields ...Field) *Type {
	t, err := NewRecordType(fields)
	if err != nil {
		panic(err)
	}
	return t
}

// VariantType returns the variant type with the given tags. It panics on
// duplicate ids; use NewVariantType for tags from untrusted input.
func VariantType(fields ...Field) *Type {
	t, err := NewVariantType(fields)
	if err != nil {
		panic(err)
	}
	return t
}

// TupleType returns the record type with fields 0, 1, ... of the given types.
func TupleType(ts ...*Type) *Type {
	fs := make([]Field, len(ts))
	for i, t := range ts {
		fs[i] = Field{ID: uint32(i), Type: t}
	}
	return &Type{Kind: KindRecord, Fields: fs}
}

// NewRecordType returns the record type with the given fields, sorted by id.
func NewRecordType(fields []Field) (*Type, error) {
	fs, err := sortFields(fields)
	if err != nil {
		return nil, fmt.Errorf("candid: record: %w", err)
	}
	return &Type{Kind: KindRecord, Fields: fs}, nil
}

// NewVariantType returns the variant type with the given tags, sorted by id.
func NewVariantType(fields []Field) (*Type, error) {
	fs, err := sortFields(fields)
	if err != nil {
		return nil, fmt.Errorf("candid: variant: %w", err)
	}
	return &Type{Kind: KindVariant, Fields: fs}, nil
}

func sortFields(fields []Field) ([]Field, error) {
	fs := append([]Field(nil), fields...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].ID < fs[j].ID })
	for i := 1; i < len(fs); i++ {
		if fs[i].ID == fs[i-1].ID {
			return nil, fmt.Errorf("duplicate field id %d (%q, %q)", fs[i].ID, fs[i-1].Name, fs[i].Name)
		}
	}
	for _, f := range fs {
		if f.Type == nil {
			return nil, fmt.Errorf("field %d has no type", f.ID)
		}
	}
	return fs, nil
}

// FuncType returns the function type (args) -> (results) with the given modes.
func FuncType(args, results []*Type, modes ...FuncMode) *Type {
	ms := append([]FuncMode(nil), modes...)
	sort.Slice(ms, func(i, j int) bool { return ms[i] < ms[j] })
	out := ms[:0]
	for i, m := range ms {
		if i == 0 || m != ms[i-1] {
			out = append(out, m)
		}
	}
	return &Type{Kind: KindFunc, Args: args, Results: results, Modes: out}
}

// ServiceType returns the service type with the given methods, sorted by name.
// It returns an error on duplicate names or methods that are not functions.
func ServiceType(methods ...Method) (*Type, error) {
	ms := append([]Method(nil), methods...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	for i, m := range ms {
		if i > 0 && m.Name == ms[i-1].Name {
			return nil, fmt.Errorf("candid: service: duplicate method %q", m.Name)
		}
		if m.Type == nil || m.Type.Kind != KindFunc {
			return nil, fmt.Errorf("candid: service: method %q is not a function", m.Name)
		}
	}
	return &Type{Kind: KindService, Methods: ms}, nil
}

// Field returns the field or tag with the given id, if t has one.
func (t *Type) Field(id uint32) (Field, bool) {
	i := sort.Search(len(t.Fields), func(i int) bool { return t.Fields[i].ID >= id })
	if i < len(t.Fields) && t.Fields[i].ID == id {
		return t.Fields[i], true
	}
	return Field{}, false
}

// Method returns the method with the given name, if t is a service that has it.
func (t *Type) Method(name string) (*Type, bool) {
	i := sort.Search(len(t.Methods), func(i int) bool { return t.Methods[i].Name >= name })
	if i < len(t.Methods) && t.Methods[i].Name == name {
		return t.Methods[i].Type, true
	}
	return nil, false
}

// HasMode reports whether the function type t carries annotation m.
func (t *Type) HasMode(m FuncMode) bool {
	for _, x := range t.Modes {
		if x == m {
			return true
		}
	}
	return false
}

// isTuple reports whether the fields are numbered 0, 1, 2, ...
func isTupleFields(fs []Field) bool {
	for i, f := range fs {
		if f.ID != uint32(i) || f.Name != "" {
			return false
		}
	}
	return len(fs) > 0
}

// nullable reports whether null <: t (t is null, opt or reserved).
func nullable(t *Type) bool {
	return t.Kind == KindNull || t.Kind == KindOpt || t.Kind == KindReserved
}

// String returns t in the Candid type syntax. Named types met again inside
// themselves are printed by name.
func (t *Type) String() string {
	var b strings.Builder
	writeType(&b, t, nil, true)
	return b.String()
}

func writeType(b *strings.Builder, t *Type, seen map[*Type]bool, top bool) {
	if t == nil {
		b.WriteString("<nil>")
		return
	}
	if t.Name != "" && !top {
		b.WriteString(identString(t.Name))
		return
	}
	if t.Kind.IsPrimitive() {
		b.WriteString(t.Kind.String())
		return
	}
	if seen[t] {
		// An unnamed recursive type: print it by a synthetic name.
		fmt.Fprintf(b, "μ%p", t)
		return
	}
	if seen == nil {
		seen = map[*Type]bool{}
	}
	seen[t] = true
	defer delete(seen, t)
	switch t.Kind {
	case KindOpt:
		b.WriteString("opt ")
		writeType(b, t.Elem, seen, false)
	case KindVec:
		if t.Elem.Kind == KindNat8 {
			b.WriteString("blob")
			return
		}
		b.WriteString("vec ")
		writeType(b, t.Elem, seen, false)
	case KindRecord, KindVariant:
		b.WriteString(t.Kind.String())
		b.WriteString(" {")
		tuple := t.Kind == KindRecord && isTupleFields(t.Fields)
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" ")
			if !tuple {
				b.WriteString(labelString(f))
				if t.Kind == KindVariant && f.Type.Kind == KindNull {
					continue
				}
				b.WriteString(" : ")
			}
			writeType(b, f.Type, seen, false)
		}
		if len(t.Fields) > 0 {
			b.WriteString(" ")
		}
		b.WriteString("}")
	case KindFunc:
		b.WriteString("func ")
		writeFuncSig(b, t, seen)
	case KindService:
		b.WriteString("service {")
		for i, m := range t.Methods {
			if i > 0 {
				b.WriteString(";")
			}
			b.WriteString(" ")
			b.WriteString(identString(m.Name))
			b.WriteString(" : ")
			if m.Type.Name != "" {
				b.WriteString(identString(m.Type.Name))
			} else {
				writeFuncSig(b, m.Type, seen)
			}
		}
		if len(t.Methods) > 0 {
			b.WriteString(" ")
		}
		b.WriteString("}")
	case KindFuture:
		fmt.Fprintf(b, "future(%d)", t.future.op)
	}
}

func writeFuncSig(b *strings.Builder, t *Type, seen map[*Type]bool) {
	writeTuple(b, t.Args, seen)
	b.WriteString(" -> ")
	writeTuple(b, t.Results, seen)
	for _, m := range t.Modes {
		b.WriteString(" ")
		b.WriteString(m.String())
	}
}

func writeTuple(b *strings.Builder, ts []*Type, seen map[*Type]bool) {
	b.WriteString("(")
	for i, t := range ts {
		if i > 0 {
			b.WriteString(", ")
		}
		writeType(b, t, seen, false)
	}
	b.WriteString(")")
}

// TupleString prints a sequence of types as an argument list "(t1, t2)".
func TupleString(ts []*Type) string {
	var b strings.Builder
	writeTuple(&b, ts, nil)
	return b.String()
}

func labelString(f Field) string {
	if f.Name != "" {
		return identString(f.Name)
	}
	return ppNum(strconv.FormatUint(uint64(f.ID), 10))
}

// isKeyword reports whether s is a reserved word of the Candid syntax.
func isKeyword(s string) bool {
	switch s {
	case "import", "service", "func", "type", "opt", "vec", "record", "variant", "blob",
		"principal", "nat", "nat8", "nat16", "nat32", "nat64", "int", "int8", "int16",
		"int32", "int64", "float32", "float64", "bool", "text", "null", "reserved", "empty",
		"oneway", "query", "composite_query":
		return true
	}
	return false
}

func validID(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alpha := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !alpha && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// identString prints a name as an identifier, quoted when it is not one.
func identString(s string) string {
	if validID(s) && !isKeyword(s) {
		return s
	}
	return quoteText(s, true)
}
