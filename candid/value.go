package candid

import (
	"bytes"
	"math"
	"math/big"
	"sort"

	"github.com/chainkey/chainkey/principal"
)

// Value is a Candid value. Its dynamic Go type depends on the Candid type it
// belongs to:
//
//	null                Null
//	reserved            Reserved
//	bool                bool
//	nat, int            *big.Int
//	nat8 … nat64        uint8 … uint64
//	int8 … int64        int8 … int64
//	float32, float64    float32, float64
//	text                string
//	principal           principal.Principal
//	opt t               Opt (Value nil for null)
//	vec nat8 (blob)     []byte
//	vec t               []Value
//	record              Record
//	variant             Variant
//	func                FuncRef
//	service             ServiceRef
//
// A Value carries no type: the functions of this package always take the
// types alongside the values.
type Value = any

// Null is the value of type null.
type Null struct{}

// Reserved is the value of type reserved.
type Reserved struct{}

// Opt is a value of an opt type: Value is nil for null.
type Opt struct{ Value Value }

// Some returns the opt value holding v.
func Some(v Value) Opt { return Opt{Value: v} }

// None returns the null opt value.
func None() Opt { return Opt{} }

// Record is a record value. Fields are sorted by ID in decoded values;
// values built by hand may list them in any order.
type Record struct{ Fields []FieldValue }

// FieldValue is one field of a record value, or the tag of a variant value.
type FieldValue struct {
	ID    uint32
	Name  string // from the type, when known
	Value Value
}

// Get returns the value of the field with the given name.
func (r Record) Get(name string) (Value, bool) { return r.GetID(Hash(name)) }

// GetID returns the value of the field with the given id.
func (r Record) GetID(id uint32) (Value, bool) {
	i := sort.Search(len(r.Fields), func(i int) bool { return r.Fields[i].ID >= id })
	if i < len(r.Fields) && r.Fields[i].ID == id {
		return r.Fields[i].Value, true
	}
	for _, f := range r.Fields { // fields not in order
		if f.ID == id {
			return f.Value, true
		}
	}
	return nil, false
}

// Variant is a variant value: one tag and its value.
type Variant struct {
	ID    uint32
	Name  string // from the type, when known
	Value Value
}

// FuncRef is a function reference: a method of a service.
type FuncRef struct {
	Service principal.Principal
	Method  string
}

// ServiceRef is a service reference.
type ServiceRef struct{ ID principal.Principal }

// Equal reports whether two values are equal. Field names are ignored (ids
// decide) and any two NaNs are equal.
func Equal(a, b Value) bool {
	switch x := a.(type) {
	case Null, Reserved, bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64, string:
		return a == b
	case float32:
		y, ok := b.(float32)
		return ok && (x == y || x != x && y != y)
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case *big.Int:
		y, ok := b.(*big.Int)
		return ok && x.Cmp(y) == 0
	case principal.Principal:
		y, ok := b.(principal.Principal)
		return ok && x.Compare(y) == 0
	case Opt:
		y, ok := b.(Opt)
		if !ok || (x.Value == nil) != (y.Value == nil) {
			return false
		}
		return x.Value == nil || Equal(x.Value, y.Value)
	case []byte:
		switch y := b.(type) {
		case []byte:
			return bytes.Equal(x, y)
		case []Value:
			return equalBlobVec(x, y)
		}
		return false
	case []Value:
		switch y := b.(type) {
		case []Value:
			if len(x) != len(y) {
				return false
			}
			for i := range x {
				if !Equal(x[i], y[i]) {
					return false
				}
			}
			return true
		case []byte:
			return equalBlobVec(y, x)
		}
		return false
	case Record:
		y, ok := b.(Record)
		if !ok || len(x.Fields) != len(y.Fields) {
			return false
		}
		for i, f := range x.Fields {
			yv := y.Fields[i].Value
			if y.Fields[i].ID != f.ID {
				var ok bool
				if yv, ok = y.GetID(f.ID); !ok {
					return false
				}
			}
			if !Equal(f.Value, yv) {
				return false
			}
		}
		return true
	case Variant:
		y, ok := b.(Variant)
		return ok && x.ID == y.ID && Equal(x.Value, y.Value)
	case FuncRef:
		y, ok := b.(FuncRef)
		return ok && x.Method == y.Method && x.Service.Compare(y.Service) == 0
	case ServiceRef:
		y, ok := b.(ServiceRef)
		return ok && x.ID.Compare(y.ID) == 0
	}
	return false
}

func equalBlobVec(x []byte, y []Value) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if v, ok := y[i].(uint8); !ok || v != x[i] {
			return false
		}
	}
	return true
}
