package candid

import (
	"math"
	"math/big"
	"math/rand"
	"strings"

	"github.com/chainkey/chainkey/principal"
)

// randomPrims are the primitive kinds random types are made of (empty has no
// values; func and service references are covered by the conformance suite).
var randomPrims = []Kind{KindNull, KindBool, KindNat, KindInt, KindNat8, KindNat16, KindNat32,
	KindNat64, KindInt8, KindInt16, KindInt32, KindInt64, KindFloat32, KindFloat64, KindText,
	KindReserved, KindPrincipal}

// randType returns a random type of at most the given depth.
func randType(rng *rand.Rand, depth int) *Type {
	if depth <= 0 || rng.Intn(3) == 0 {
		return Prim(randomPrims[rng.Intn(len(randomPrims))])
	}
	switch rng.Intn(8) {
	case 7:
		// A recursive list: L = opt record { head : T; tail : L }.
		l := &Type{Kind: KindOpt}
		l.Elem = RecordType(F("head", randType(rng, depth-1)), F("tail", l))
		return l
	case 6:
		return randRefType(rng, depth)
	case 0:
		return OptType(randType(rng, depth-1))
	case 1:
		return VecType(randType(rng, depth-1))
	case 2:
		return BlobType()
	case 3, 4:
		n := rng.Intn(5)
		fs := randFields(rng, n, depth)
		return &Type{Kind: KindRecord, Fields: fs}
	default:
		n := 1 + rng.Intn(4)
		return &Type{Kind: KindVariant, Fields: randFields(rng, n, depth)}
	}
}

var methodNames = []string{"get", "put", "icrc1_transfer", "☃", "a b"}

// randRefType returns a random function or service reference type.
func randRefType(rng *rand.Rand, depth int) *Type {
	if rng.Intn(2) == 0 {
		return randFuncType(rng, depth)
	}
	var ms []Method
	seen := map[string]bool{}
	for i := rng.Intn(3); i > 0; i-- {
		name := methodNames[rng.Intn(len(methodNames))]
		if !seen[name] {
			seen[name] = true
			ms = append(ms, Method{Name: name, Type: randFuncType(rng, depth)})
		}
	}
	t, _ := ServiceType(ms...)
	return t
}

func randFuncType(rng *rand.Rand, depth int) *Type {
	tuple := func() []*Type {
		ts := make([]*Type, rng.Intn(3))
		for i := range ts {
			ts[i] = randType(rng, depth-2)
		}
		return ts
	}
	args, results := tuple(), tuple()
	switch rng.Intn(4) {
	case 0:
		return FuncType(args, results, ModeQuery)
	case 1:
		return FuncType(args, results, ModeCompositeQuery)
	case 2:
		return FuncType(args, nil, ModeOneway)
	}
	return FuncType(args, results)
}

var fieldNames = []string{"owner", "amount", "fee", "memo", "to", "from", "created_at_time", "Ok", "Err", "a", "b", "☃"}

func randFields(rng *rand.Rand, n, depth int) []Field {
	seen := map[uint32]bool{}
	var fs []Field
	for len(fs) < n {
		var f Field
		switch rng.Intn(3) {
		case 0:
			f = F(fieldNames[rng.Intn(len(fieldNames))], nil)
		case 1:
			f = FID(uint32(rng.Intn(4)), nil)
		default:
			f = FID(rng.Uint32(), nil)
		}
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		f.Type = randType(rng, depth-1)
		fs = append(fs, f)
	}
	t, _ := NewRecordType(fs)
	return t.Fields
}

func randBig(rng *rand.Rand, signed bool) *big.Int {
	bits := []int{0, 7, 8, 63, 64, 65, 100, 200}[rng.Intn(8)]
	n := new(big.Int).Rand(rng, new(big.Int).Lsh(big.NewInt(1), uint(bits)))
	if signed && rng.Intn(2) == 0 {
		n.Neg(n)
	}
	return n
}

func randText(rng *rand.Rand) string {
	var b strings.Builder
	n := rng.Intn(8)
	for i := 0; i < n; i++ {
		switch rng.Intn(4) {
		case 0:
			b.WriteRune(rune(0x20 + rng.Intn(0x5f)))
		case 1:
			b.WriteRune(rune(rng.Intn(0x80)))
		case 2:
			b.WriteRune(rune(0xa0 + rng.Intn(0xd000)))
		default:
			b.WriteRune(rune(0x10000 + rng.Intn(0x10000)))
		}
	}
	return b.String()
}

func randFloat64(rng *rand.Rand) float64 {
	for {
		f := math.Float64frombits(rng.Uint64())
		if rng.Intn(3) == 0 {
			f = float64(rng.Intn(2000)-1000) / 8
		}
		if !math.IsNaN(f) {
			return f
		}
	}
}

func randFloat32(rng *rand.Rand) float32 {
	for {
		f := math.Float32frombits(rng.Uint32())
		if rng.Intn(3) == 0 {
			f = float32(rng.Intn(2000)-1000) / 8
		}
		if f == f {
			return f
		}
	}
}

// randValue returns a random value of type t.
func randValue(rng *rand.Rand, t *Type) Value {
	switch t.Kind {
	case KindNull:
		return Null{}
	case KindReserved:
		return Reserved{}
	case KindBool:
		return rng.Intn(2) == 1
	case KindNat:
		return randBig(rng, false)
	case KindInt:
		return randBig(rng, true)
	case KindNat8:
		return uint8(rng.Uint32())
	case KindNat16:
		return uint16(rng.Uint32())
	case KindNat32:
		return rng.Uint32()
	case KindNat64:
		return rng.Uint64()
	case KindInt8:
		return int8(rng.Uint32())
	case KindInt16:
		return int16(rng.Uint32())
	case KindInt32:
		return int32(rng.Uint32())
	case KindInt64:
		return int64(rng.Uint64())
	case KindFloat32:
		return randFloat32(rng)
	case KindFloat64:
		return randFloat64(rng)
	case KindText:
		return randText(rng)
	case KindPrincipal:
		b := make([]byte, rng.Intn(principal.MaxLength+1))
		rng.Read(b)
		p, _ := principal.FromBytes(b)
		return p
	case KindFunc:
		p, _ := randValue(rng, Prim(KindPrincipal)).(principal.Principal)
		return FuncRef{Service: p, Method: methodNames[rng.Intn(len(methodNames))] + randText(rng)}
	case KindService:
		p, _ := randValue(rng, Prim(KindPrincipal)).(principal.Principal)
		return ServiceRef{ID: p}
	case KindOpt:
		if rng.Intn(3) == 0 {
			return Opt{}
		}
		return Opt{Value: randValue(rng, t.Elem)}
	case KindVec:
		n := rng.Intn(4)
		if t.Elem.Kind == KindNat8 {
			b := make([]byte, rng.Intn(40))
			rng.Read(b)
			return b
		}
		vs := make([]Value, n)
		for i := range vs {
			vs[i] = randValue(rng, t.Elem)
		}
		return vs
	case KindRecord:
		fs := make([]FieldValue, len(t.Fields))
		for i, f := range t.Fields {
			fs[i] = FieldValue{ID: f.ID, Name: f.Name, Value: randValue(rng, f.Type)}
		}
		return Record{Fields: fs}
	case KindVariant:
		f := t.Fields[rng.Intn(len(t.Fields))]
		return Variant{ID: f.ID, Name: f.Name, Value: randValue(rng, f.Type)}
	}
	panic("randValue: " + t.Kind.String())
}
