package candid

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"reflect"
	"strconv"
	"testing"

	"github.com/chainkey/chainkey/principal"

	"github.com/chainkey/chainkey/internal/nodejstest"
)

const candidJSDir = "testdata/candidjs"

// A jsTyper describes types for roundtrip.mjs. Types met again below
// themselves are written as {"k": "rec", "id": n, "t": ...} where they
// start and {"k": "ref", "id": n} where they recur.
func newJSTyper() *jsTyper {
	return &jsTyper{onPath: map[*Type]int{}, recs: map[*Type]int{}}
}

type jsTyper struct {
	onPath map[*Type]int // nodes being described, with their position
	recs   map[*Type]int // recursive nodes, with their id
}

func (j *jsTyper) of(t *Type) map[string]any {
	if t.Kind.IsPrimitive() {
		return map[string]any{"k": t.Kind.String()}
	}
	if _, ok := j.onPath[t]; ok {
		id, ok := j.recs[t]
		if !ok {
			id = len(j.recs)
			j.recs[t] = id
		}
		return map[string]any{"k": "ref", "id": id}
	}
	j.onPath[t] = len(j.onPath)
	d := j.body(t)
	delete(j.onPath, t)
	if id, ok := j.recs[t]; ok {
		return map[string]any{"k": "rec", "id": id, "t": d}
	}
	return d
}

func (j *jsTyper) body(t *Type) map[string]any {
	jsType := j.of
	switch t.Kind {
	case KindOpt, KindVec:
		return map[string]any{"k": t.Kind.String(), "e": jsType(t.Elem)}
	case KindRecord, KindVariant:
		fs := make([][2]any, len(t.Fields))
		for i, f := range t.Fields {
			fs[i] = [2]any{f.ID, jsType(f.Type)}
		}
		return map[string]any{"k": t.Kind.String(), "f": fs}
	case KindFunc:
		tuple := func(ts []*Type) []any {
			out := []any{}
			for _, x := range ts {
				out = append(out, jsType(x))
			}
			return out
		}
		modes := []string{}
		for _, m := range t.Modes {
			modes = append(modes, m.String())
		}
		return map[string]any{"k": "func", "a": tuple(t.Args), "r": tuple(t.Results), "m": modes}
	case KindService:
		ms := [][2]any{}
		for _, m := range t.Methods {
			ms = append(ms, [2]any{m.Name, jsType(m.Type)})
		}
		return map[string]any{"k": "service", "m": ms}
	}
	return map[string]any{"k": t.Kind.String()}
}

// jsValue writes a value in the type-directed JSON form of roundtrip.mjs.
func jsValue(t *Type, v Value) any {
	switch t.Kind {
	case KindNull, KindReserved:
		return nil
	case KindBool, KindText:
		return v
	case KindNat, KindInt:
		return v.(*big.Int).String()
	case KindNat8, KindNat16, KindNat32, KindNat64, KindInt8, KindInt16, KindInt32, KindInt64:
		return fmt.Sprint(v)
	case KindFloat32:
		return fmt.Sprintf("%08x", math.Float32bits(v.(float32)))
	case KindFloat64:
		return fmt.Sprintf("%016x", math.Float64bits(v.(float64)))
	case KindPrincipal:
		return v.(principal.Principal).String()
	case KindFunc:
		f := v.(FuncRef)
		return []any{f.Service.String(), f.Method}
	case KindService:
		return v.(ServiceRef).ID.String()
	case KindOpt:
		o := v.(Opt)
		if o.Value == nil {
			return nil
		}
		return []any{jsValue(t.Elem, o.Value)}
	case KindVec:
		if t.Elem.Kind == KindNat8 {
			return hex.EncodeToString(v.([]byte))
		}
		out := []any{}
		for _, e := range v.([]Value) {
			out = append(out, jsValue(t.Elem, e))
		}
		return out
	case KindRecord:
		out := map[string]any{}
		for i, f := range t.Fields {
			out[strconv.FormatUint(uint64(f.ID), 10)] = jsValue(f.Type, v.(Record).Fields[i].Value)
		}
		return out
	case KindVariant:
		x := v.(Variant)
		f, _ := t.Field(x.ID)
		return map[string]any{strconv.FormatUint(uint64(x.ID), 10): jsValue(f.Type, x.Value)}
	}
	panic("jsValue: " + t.Kind.String())
}

// normJSON makes a JSON-able value comparable with what json.Unmarshal gives.
func normJSON(t *testing.T, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

type jsCase struct {
	Types  []map[string]any `json:"types"`
	Hex    string           `json:"hex,omitempty"`
	Values []any            `json:"values,omitempty"`
}

type jsResult struct {
	Values []any  `json:"values"`
	Hex    string `json:"hex"`
	Error  string `json:"error"`
}

// TestCandidJSRoundTrip checks our encoder and decoder against another
// implementation, @dfinity/candid from npm (the JavaScript agent's Candid).
// Seeded random types and values go both ways: we encode and it decodes, it
// encodes and we decode; the values must come back unchanged. One node
// process handles all cases.
//
// The test fails when node or npm is not on PATH; CHAINKEY_SKIP_NODE=1 skips it.
func TestCandidJSRoundTrip(t *testing.T) {
	js := nodejstest.Install(t, candidJSDir, "@dfinity/candid")

	const nTypes, perType = 500, 8 // 4,000 values each way
	rng := rand.New(rand.NewSource(20261203))
	type item struct {
		types []*Type
		vals  []Value
	}
	var items []item
	for i := 0; i < nTypes; i++ {
		ts := make([]*Type, 1+rng.Intn(3))
		for j := range ts {
			ts[j] = randType(rng, 4)
		}
		for k := 0; k < perType; k++ {
			vs := make([]Value, len(ts))
			for j, ty := range ts {
				vs[j] = randValue(rng, ty)
			}
			items = append(items, item{ts, vs})
		}
	}
	// Every kind of type must occur.
	kinds := map[Kind]int{}
	seen := map[*Type]bool{}
	recursive := 0
	var count func(t *Type)
	count = func(t *Type) {
		if seen[t] {
			recursive++
			return
		}
		if !t.Kind.IsPrimitive() {
			seen[t] = true
		}
		kinds[t.Kind]++
		if t.Elem != nil {
			count(t.Elem)
		}
		for _, f := range t.Fields {
			count(f.Type)
		}
		for _, a := range append(append([]*Type{}, t.Args...), t.Results...) {
			count(a)
		}
		for _, m := range t.Methods {
			count(m.Type)
		}
	}
	for i := 0; i < len(items); i += perType {
		for _, ty := range items[i].types {
			count(ty)
		}
	}
	for k := KindNull; k <= KindPrincipal; k++ {
		if k != KindEmpty && kinds[k] == 0 {
			t.Errorf("no %s in the random types", k)
		}
	}
	if recursive == 0 {
		t.Error("no recursive type among the random types")
	}
	var dec, enc []jsCase
	for _, it := range items {
		jt := make([]map[string]any, len(it.types))
		jv := make([]any, len(it.types))
		typer := newJSTyper() // recursion ids are unique within a case
		for j, ty := range it.types {
			jt[j] = typer.of(ty)
			jv[j] = jsValue(ty, it.vals[j])
		}
		msg, err := Marshal(it.types, it.vals)
		if err != nil {
			t.Fatalf("encode %s: %v", FormatArgs(it.types, it.vals), err)
		}
		dec = append(dec, jsCase{Types: jt, Hex: hex.EncodeToString(msg)})
		enc = append(enc, jsCase{Types: jt, Values: jv})
	}
	in, err := json.Marshal(map[string]any{"decode": dec, "encode": enc})
	if err != nil {
		t.Fatal(err)
	}
	out := js.Run(t, "roundtrip.mjs", in)
	var outv struct {
		Candid  string     `json:"candid"`
		Decoded []jsResult `json:"decoded"`
		Encoded []jsResult `json:"encoded"`
	}
	if err := json.Unmarshal(out, &outv); err != nil {
		t.Fatalf("roundtrip.mjs output: %v", err)
	}
	if len(outv.Decoded) != len(items) || len(outv.Encoded) != len(items) {
		t.Fatalf("%d/%d results for %d cases", len(outv.Decoded), len(outv.Encoded), len(items))
	}
	failures := 0
	fail := func(format string, args ...any) {
		failures++
		if failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	for i, it := range items {
		// Ours encoded, theirs decoded.
		r := outv.Decoded[i]
		want := normJSON(t, enc[i].Values)
		if r.Error != "" {
			fail("case %d: @dfinity/candid cannot decode our %s at %s: %s", i, dec[i].Hex, TupleString(it.types), r.Error)
		} else if got := normJSON(t, r.Values); !reflect.DeepEqual(got, want) {
			fail("case %d: @dfinity/candid decoded %s as %v, want %v", i, FormatArgs(it.types, it.vals), got, want)
		}
		// Theirs encoded, ours decoded.
		e := outv.Encoded[i]
		if e.Error != "" {
			fail("case %d: @dfinity/candid cannot encode %s: %s", i, FormatArgs(it.types, it.vals), e.Error)
			continue
		}
		msg, err := hex.DecodeString(e.Hex)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(msg, it.types)
		if err != nil {
			fail("case %d: cannot decode %s from @dfinity/candid at %s: %v", i, e.Hex, TupleString(it.types), err)
			continue
		}
		for j := range got {
			if !Equal(got[j], it.vals[j]) {
				fail("case %d: decoded %s, want %s", i, FormatArgs(it.types, got), FormatArgs(it.types, it.vals))
				break
			}
		}
	}
	t.Logf("@dfinity/candid %s: %d values decoded from our encoding and %d encoded for our decoder (%d types, seed 20261203; %d func, %d service and %d recursive types among them), %d failures",
		outv.Candid, len(items), len(items), nTypes, kinds[KindFunc], kinds[KindService], recursive, failures)
	if failures > 0 {
		t.Fatalf("%d failures", failures)
	}
}
