package candid

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"reflect"
	"strings"

	"github.com/chainkey/chainkey/principal"
)

// IsVariant marks a Go struct as a Candid variant when embedded in it. Each
// other field of the struct is a tag and must be a pointer; exactly one is
// non-nil. The tag's type is that of the pointed-to Go type, except that a
// *big.Int tag is a nat. A tag of type *Null has type null (`variant { a; b : nat }` is
// struct { IsVariant; A *Null; B *big.Int }).
type IsVariant struct{}

var (
	typBigInt    = reflect.TypeFor[*big.Int]()
	typPrincipal = reflect.TypeFor[principal.Principal]()
	typNull      = reflect.TypeFor[Null]()
	typReserved  = reflect.TypeFor[Reserved]()
	typIsVariant = reflect.TypeFor[IsVariant]()
	typFuncRef   = reflect.TypeFor[FuncRef]()
	typService   = reflect.TypeFor[ServiceRef]()
)

// goField describes how one struct field maps to a record field or tag.
type goField struct {
	index int
	id    uint32
	name  string
}

// goTypes derives Candid types from Go types. It remembers the structs it
// has met so that recursive Go types give recursive Candid types.
type goTypes struct {
	structs map[reflect.Type]*Type
	fields  map[reflect.Type]structInfo
	cache   *TableCache // if set, derivations live there instead
}

type structInfo struct {
	fields  []goField
	opts    []string
	variant bool
}

// info returns the mapped fields of a struct type, computed once per call.
func (g *goTypes) info(rt reflect.Type) (structInfo, error) {
	if si, ok := g.fields[rt]; ok {
		return si, nil
	}
	if g.fields == nil {
		g.fields = make(map[reflect.Type]structInfo)
	}
	fs, opts, variant, err := structFields(rt)
	if err != nil {
		return structInfo{}, err
	}
	si := structInfo{fs, opts, variant}
	g.fields[rt] = si
	return si, nil
}

// TypeOf returns the Candid type of Go values of v's type, following the
// mapping documented at Encode.
func TypeOf(v any) (*Type, error) {
	if v == nil {
		return nil, errors.New("candid: TypeOf(nil)")
	}
	var g goTypes
	t, err := g.of(reflect.TypeOf(v), "")
	if err != nil {
		return nil, fmt.Errorf("candid: %w", err)
	}
	return t, nil
}

// of returns the Candid type of Go type rt; opts are struct tag options.
func (g *goTypes) of(rt reflect.Type, opts string) (*Type, error) {
	switch rt {
	case typBigInt:
		t := Prim(KindNat)
		if hasOpt(opts, "int") {
			t = Prim(KindInt)
		}
		if hasOpt(opts, "opt") {
			t = OptType(t)
		}
		return t, nil
	case typPrincipal:
		return Prim(KindPrincipal), nil
	case typNull:
		return Prim(KindNull), nil
	case typReserved:
		return Prim(KindReserved), nil
	case typFuncRef:
		return FuncType(nil, nil), nil
	case typService:
		return &Type{Kind: KindService}, nil
	}
	switch rt.Kind() {
	case reflect.Bool:
		return Prim(KindBool), nil
	case reflect.String:
		return Prim(KindText), nil
	case reflect.Int8:
		return Prim(KindInt8), nil
	case reflect.Int16:
		return Prim(KindInt16), nil
	case reflect.Int32:
		return Prim(KindInt32), nil
	case reflect.Int64, reflect.Int:
		return Prim(KindInt64), nil
	case reflect.Uint8:
		return Prim(KindNat8), nil
	case reflect.Uint16:
		return Prim(KindNat16), nil
	case reflect.Uint32:
		return Prim(KindNat32), nil
	case reflect.Uint64, reflect.Uint:
		return Prim(KindNat64), nil
	case reflect.Float32:
		return Prim(KindFloat32), nil
	case reflect.Float64:
		return Prim(KindFloat64), nil
	case reflect.Pointer:
		e, err := g.of(rt.Elem(), opts)
		if err != nil {
			return nil, err
		}
		return OptType(e), nil
	case reflect.Slice, reflect.Array:
		if rt.Elem().Kind() == reflect.Uint8 {
			return BlobType(), nil
		}
		e, err := g.of(rt.Elem(), opts)
		if err != nil {
			return nil, err
		}
		return VecType(e), nil
	case reflect.Struct:
		return g.structType(rt)
	}
	return nil, fmt.Errorf("Go type %s has no Candid type", rt)
}

func hasOpt(opts, o string) bool {
	for _, x := range strings.Split(opts, ",") {
		if x == o {
			return true
		}
	}
	return false
}

// structFields lists the fields of a struct that take part in the mapping.
func structFields(rt reflect.Type) (fields []goField, opts []string, variant bool, err error) {
	for i := 0; i < rt.NumField(); i++ {
		sf := rt.Field(i)
		if sf.Type == typIsVariant && sf.Anonymous {
			variant = true
			continue
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("candid")
		if tag == "-" {
			continue
		}
		name, o, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		f := goField{index: i, id: Hash(name), name: name}
		// A name that is a number is a field id (tuples: "0", "1", ...).
		if name[0] >= '0' && name[0] <= '9' {
			n, err := parseNat32(name)
			if err != nil {
				return nil, nil, false, fmt.Errorf("%s.%s: %w", rt, sf.Name, err)
			}
			f.id, f.name = n, ""
		}
		fields = append(fields, f)
		opts = append(opts, o)
	}
	return fields, opts, variant, nil
}

func (g *goTypes) structType(rt reflect.Type) (*Type, error) {
	if t, ok := g.structs[rt]; ok {
		return t, nil
	}
	if g.structs == nil {
		g.structs = make(map[reflect.Type]*Type)
	}
	node := &Type{}
	g.structs[rt] = node
	si, err := g.info(rt)
	if err != nil {
		return nil, err
	}
	gfs, opts, variant := si.fields, si.opts, si.variant
	fs := make([]Field, len(gfs))
	for i, gf := range gfs {
		ft := rt.Field(gf.index).Type
		if variant {
			if ft.Kind() != reflect.Pointer {
				return nil, fmt.Errorf("variant %s: field %s is not a pointer", rt, rt.Field(gf.index).Name)
			}
			if ft != typBigInt { // a *big.Int tag is a nat (or int) itself
				ft = ft.Elem()
			}
		}
		t, err := g.of(ft, opts[i])
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", rt, rt.Field(gf.index).Name, err)
		}
		fs[i] = Field{ID: gf.id, Name: gf.name, Type: t}
	}
	var t *Type
	if variant {
		t, err = NewVariantType(fs)
	} else {
		t, err = NewRecordType(fs)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rt, err)
	}
	*node = *t
	return node, nil
}

// Encode encodes Go values as one Candid message, one argument per value.
// Types are derived from the Go types:
//
//	bool, string                     bool, text
//	int8…int64, int                  int8…int64 (int as int64)
//	uint8…uint64, uint               nat8…nat64 (uint as nat64)
//	float32, float64                 float32, float64
//	*big.Int                         nat, or int with tag option ",int";
//	                                 opt nat (opt int) with option ",opt"
//	principal.Principal              principal
//	[]byte, [N]byte                  blob
//	[]T                              vec T
//	*T                               opt T (nil is null)
//	struct                           record; field names from the tag
//	                                 `candid:"name"` or the Go name;
//	                                 `candid:"-"` skips; numeric names
//	                                 ("0", "1") are field ids
//	struct embedding IsVariant       variant (see IsVariant)
//	Null, Reserved                   null, reserved
//	FuncRef, ServiceRef              func () -> (), service {}
func Encode(values ...any) ([]byte, error) {
	return Encoder{}.Encode(values...)
}

// Decode decodes a Candid message into the Go values the pointers point
// to, with Candid's subtyping against the types derived from the Go types
// (see Encode). A message with fewer arguments than pointers is an error
// unless the missing ones are pointers (opt), Null or Reserved.
func Decode(data []byte, ptrs ...any) error {
	return Decoder{}.Decode(data, ptrs...)
}

// Decode is Decode with the decoder's budget; with a Cache, the Candid
// types of the Go types are derived once.
func (d Decoder) Decode(data []byte, ptrs ...any) error {
	g := &goTypes{cache: d.Cache}
	types := make([]*Type, len(ptrs))
	for i, p := range ptrs {
		rv := reflect.ValueOf(p)
		if rv.Kind() != reflect.Pointer || rv.IsNil() {
			return fmt.Errorf("candid: decode: argument %d: not a non-nil pointer", i)
		}
		t, err := g.typeOf(rv.Type().Elem())
		if err != nil {
			return fmt.Errorf("candid: decode: argument %d: %w", i, err)
		}
		types[i] = t
	}
	vals, err := d.Unmarshal(data, types)
	if err != nil {
		return err
	}
	for i, p := range ptrs {
		if err := g.fromValue(reflect.ValueOf(p).Elem(), types[i], vals[i]); err != nil {
			return fmt.Errorf("candid: decode: argument %d: %w", i, err)
		}
	}
	return nil
}

// Encoder encodes Go values; with a Cache, the Candid types of the Go types
// are derived once. The zero Encoder works like Encode.
type Encoder struct {
	Cache *TableCache
}

// Encode encodes Go values as one Candid message (see the package-level
// Encode for the mapping).
func (e Encoder) Encode(values ...any) ([]byte, error) {
	g := &goTypes{cache: e.Cache}
	types := make([]*Type, len(values))
	vals := make([]Value, len(values))
	for i, v := range values {
		if v == nil {
			return nil, fmt.Errorf("candid: encode: argument %d is nil", i)
		}
		rv := reflect.ValueOf(v)
		t, err := g.typeOf(rv.Type())
		if err != nil {
			return nil, fmt.Errorf("candid: encode: argument %d: %w", i, err)
		}
		types[i] = t
		if vals[i], err = g.toValue(rv, t, 0); err != nil {
			return nil, fmt.Errorf("candid: encode: argument %d: %w", i, err)
		}
	}
	return Marshal(types, vals)
}

// typeOf derives the Candid type of a Go type, through the cache if any.
func (g *goTypes) typeOf(rt reflect.Type) (*Type, error) {
	c := g.cache
	if c == nil {
		return g.of(rt, "")
	}
	c.goMu.RLock()
	t, ok := c.goTop[rt]
	c.goMu.RUnlock()
	if ok {
		return t, nil
	}
	c.goMu.Lock()
	defer c.goMu.Unlock()
	if t, ok := c.goTop[rt]; ok {
		return t, nil
	}
	// Derive in a copy so that a failure leaves the cache as it was.
	work := goTypes{structs: maps.Clone(c.derived.structs), fields: maps.Clone(c.derived.fields)}
	t, err := work.of(rt, "")
	if err != nil {
		return nil, err
	}
	c.derived = work
	if c.goTop == nil {
		c.goTop = make(map[reflect.Type]*Type)
	}
	c.goTop[rt] = t
	return t, nil
}

// fieldsOf returns the mapped fields of a struct type met while converting
// values (its type was derived first).
func (g *goTypes) fieldsOf(rt reflect.Type) structInfo {
	if g.cache == nil {
		return g.fields[rt]
	}
	g.cache.goMu.RLock()
	defer g.cache.goMu.RUnlock()
	return g.cache.derived.fields[rt]
}

// toValue converts a Go value to the Value of Candid type t.
func (g *goTypes) toValue(rv reflect.Value, t *Type, depth int) (Value, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	depth++
	switch rv.Type() {
	case typBigInt:
		if t.Kind == KindOpt {
			if rv.IsNil() {
				return Opt{}, nil
			}
			return Opt{Value: rv.Interface()}, nil
		}
		if rv.IsNil() {
			return nil, errors.New("nil *big.Int")
		}
		return rv.Interface(), nil
	case typPrincipal, typNull, typReserved, typFuncRef, typService:
		return rv.Interface(), nil
	}
	switch t.Kind {
	case KindBool:
		return rv.Bool(), nil
	case KindText:
		return rv.String(), nil
	case KindInt8:
		return int8(rv.Int()), nil
	case KindInt16:
		return int16(rv.Int()), nil
	case KindInt32:
		return int32(rv.Int()), nil
	case KindInt64:
		return rv.Int(), nil
	case KindNat8:
		return uint8(rv.Uint()), nil
	case KindNat16:
		return uint16(rv.Uint()), nil
	case KindNat32:
		return uint32(rv.Uint()), nil
	case KindNat64:
		return rv.Uint(), nil
	case KindFloat32:
		return float32(rv.Float()), nil
	case KindFloat64:
		return rv.Float(), nil
	case KindOpt:
		if rv.IsNil() {
			return Opt{}, nil
		}
		v, err := g.toValue(rv.Elem(), t.Elem, depth)
		if err != nil {
			return nil, err
		}
		return Opt{Value: v}, nil
	case KindVec:
		if t.Elem.Kind == KindNat8 {
			if rv.Kind() == reflect.Slice {
				return rv.Bytes(), nil
			}
			b := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(b), rv)
			return b, nil
		}
		vs := make([]Value, rv.Len())
		for i := range vs {
			v, err := g.toValue(rv.Index(i), t.Elem, depth)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			vs[i] = v
		}
		return vs, nil
	case KindRecord, KindVariant:
		si := g.fieldsOf(rv.Type())
		gfs := si.fields
		if si.variant {
			var out *Variant
			for _, gf := range gfs {
				fv := rv.Field(gf.index)
				if fv.IsNil() {
					continue
				}
				if out != nil {
					return nil, fmt.Errorf("variant %s has more than one tag set", rv.Type())
				}
				f, _ := t.Field(gf.id)
				if fv.Type() != typBigInt {
					fv = fv.Elem()
				}
				v, err := g.toValue(fv, f.Type, depth)
				if err != nil {
					return nil, fmt.Errorf("tag %s: %w", gf.name, err)
				}
				out = &Variant{ID: gf.id, Name: gf.name, Value: v}
			}
			if out == nil {
				return nil, fmt.Errorf("variant %s has no tag set", rv.Type())
			}
			return *out, nil
		}
		fs := make([]FieldValue, 0, len(gfs))
		for _, gf := range gfs {
			f, _ := t.Field(gf.id)
			v, err := g.toValue(rv.Field(gf.index), f.Type, depth)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", gf.name, err)
			}
			fs = append(fs, FieldValue{ID: gf.id, Name: gf.name, Value: v})
		}
		sortFieldValues(fs)
		return Record{Fields: fs}, nil
	}
	return nil, fmt.Errorf("cannot convert Go %s to %s", rv.Type(), t.Kind)
}

// fromValue stores a decoded Value of Candid type t into the Go value rv.
func (g *goTypes) fromValue(rv reflect.Value, t *Type, v Value) error {
	switch x := v.(type) {
	case *big.Int:
		rv.Set(reflect.ValueOf(x))
	case principal.Principal, Null, Reserved, FuncRef, ServiceRef:
		rv.Set(reflect.ValueOf(x))
	case bool:
		rv.SetBool(x)
	case string:
		rv.SetString(x)
	case int8:
		rv.SetInt(int64(x))
	case int16:
		rv.SetInt(int64(x))
	case int32:
		rv.SetInt(int64(x))
	case int64:
		rv.SetInt(x)
	case uint8:
		rv.SetUint(uint64(x))
	case uint16:
		rv.SetUint(uint64(x))
	case uint32:
		rv.SetUint(uint64(x))
	case uint64:
		rv.SetUint(x)
	case float32:
		rv.SetFloat(float64(x))
	case float64:
		rv.SetFloat(x)
	case Opt:
		if x.Value == nil {
			rv.SetZero()
			return nil
		}
		if rv.Type() == typBigInt {
			rv.Set(reflect.ValueOf(x.Value))
			return nil
		}
		p := reflect.New(rv.Type().Elem())
		if err := g.fromValue(p.Elem(), t.Elem, x.Value); err != nil {
			return err
		}
		rv.Set(p)
	case []byte:
		if rv.Kind() == reflect.Array {
			if rv.Len() != len(x) {
				return fmt.Errorf("blob of %d bytes for a %s", len(x), rv.Type())
			}
			reflect.Copy(rv, reflect.ValueOf(x))
			return nil
		}
		rv.SetBytes(x)
	case []Value:
		if rv.Kind() == reflect.Array {
			if rv.Len() != len(x) {
				return fmt.Errorf("vector of %d elements for a %s", len(x), rv.Type())
			}
		} else {
			rv.Set(reflect.MakeSlice(rv.Type(), len(x), len(x)))
		}
		for i, e := range x {
			if err := g.fromValue(rv.Index(i), t.Elem, e); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	case Record:
		gfs := g.fieldsOf(rv.Type()).fields
		for _, gf := range gfs {
			fv, ok := x.GetID(gf.id)
			if !ok {
				return fmt.Errorf("field %s missing", gf.name)
			}
			f, _ := t.Field(gf.id)
			if err := g.fromValue(rv.Field(gf.index), f.Type, fv); err != nil {
				return fmt.Errorf("field %s: %w", gf.name, err)
			}
		}
	case Variant:
		gfs := g.fieldsOf(rv.Type()).fields
		rv.SetZero()
		for _, gf := range gfs {
			if gf.id != x.ID {
				continue
			}
			fv := rv.Field(gf.index)
			f, _ := t.Field(gf.id)
			if fv.Type() == typBigInt {
				return g.fromValue(fv, f.Type, x.Value)
			}
			p := reflect.New(fv.Type().Elem())
			if err := g.fromValue(p.Elem(), f.Type, x.Value); err != nil {
				return fmt.Errorf("tag %s: %w", gf.name, err)
			}
			fv.Set(p)
			return nil
		}
		return fmt.Errorf("variant tag %d has no Go field", x.ID)
	default:
		return fmt.Errorf("cannot store a %T", v)
	}
	return nil
}
