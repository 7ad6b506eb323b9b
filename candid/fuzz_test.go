package candid

import (
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// fuzzTypes are expected types the fuzzer decodes at besides the message's
// own: they exercise the subtyping paths (opt coercion, missing and extra
// fields, nat at int, recursive types).
func fuzzTypes(t testing.TB) [][]*Type {
	d, err := ParseDescription(`
		type List = opt record { head : int; tail : List };
		type Account = record { owner : principal; subaccount : opt blob };
		type TransferArgs = record {
			from_subaccount : opt blob; to : Account; amount : nat;
			fee : opt nat; memo : opt blob; created_at_time : opt nat64 };
		type V = variant { a; b : nat; c : record { int; opt text } };
		service : {
			transfer : (TransferArgs) -> ();
			list : (List, opt List) -> ();
			mixed : (opt nat, vec reserved, V, opt V, reserved, int, opt opt bool) -> ();
			refs : (opt func (nat) -> (int) query, opt service { m : () -> () }, principal) -> ();
		}`)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]*Type
	for _, m := range d.Service.Methods {
		out = append(out, m.Type.Args)
	}
	return out
}

// valueNodes counts the nodes of a decoded value (each vector element,
// field, and opt content counts).
func valueNodes(v Value) int64 {
	switch x := v.(type) {
	case Opt:
		if x.Value == nil {
			return 1
		}
		return 1 + valueNodes(x.Value)
	case []Value:
		n := int64(1)
		for _, e := range x {
			n += valueNodes(e)
		}
		return n
	case Record:
		n := int64(1)
		for _, f := range x.Fields {
			n += valueNodes(f.Value)
		}
		return n
	case Variant:
		return 1 + valueNodes(x.Value)
	}
	return 1
}

// checkRoundTrip decodes data at types (nil: the message's own types) and,
// if that works, checks the budget bound and that re-encoding decodes to
// the same values.
func checkRoundTrip(t *testing.T, data []byte, types []*Type) {
	d := Decoder{MaxCost: 1 << 16}
	var vals []Value
	var err error
	if types == nil {
		types, vals, err = d.UnmarshalAny(data)
	} else {
		vals, err = d.Unmarshal(data, types)
	}
	if err != nil {
		return
	}
	var nodes int64
	for _, v := range vals {
		nodes += valueNodes(v)
	}
	if nodes > d.MaxCost+int64(len(types)) {
		t.Fatalf("decoded %d value nodes with a budget of %d", nodes, d.MaxCost)
	}
	enc, err := Marshal(types, vals)
	if err != nil {
		t.Fatalf("re-encode %s: %v", FormatArgs(types, vals), err)
	}
	again, err := Unmarshal(enc, types)
	if err != nil {
		t.Fatalf("decode re-encoded %x: %v", enc, err)
	}
	for i := range vals {
		if !Equal(vals[i], again[i]) {
			t.Fatalf("argument %d: %s became %s", i, FormatArgs(types, vals), FormatArgs(types, again))
		}
	}
	// The printed form parses back to the same values.
	text := FormatArgs(types, vals)
	parsed, err := ParseArgs(text, types)
	if err != nil {
		t.Fatalf("parse printed %s: %v", text, err)
	}
	for i := range vals {
		if !Equal(vals[i], parsed[i]) {
			t.Fatalf("printed %s parses to %s", text, FormatArgs(types, parsed))
		}
	}
}

// FuzzDecode decodes arbitrary messages, at their own types and at a set of
// expected types: it must not panic, must stay within the budget, and what
// decodes must re-encode, decode again and print and parse to the same
// values.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/conformance/*.test.did")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		asserts, err := parseTestFile(string(src))
		if err != nil {
			f.Fatal(err)
		}
		for _, a := range asserts {
			for _, in := range []*testInput{a.left, a.right} {
				if in != nil && in.blob {
					f.Add([]byte(in.data))
				}
			}
		}
	}
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 50; i++ {
		ty := randType(rng, 3)
		msg, err := Marshal([]*Type{ty}, []Value{randValue(rng, ty)})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg)
	}
	expected := fuzzTypes(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data, nil)
		for _, ts := range expected {
			checkRoundTrip(t, data, ts)
		}
	})
}

// FuzzParseArgs parses arbitrary text as an argument sequence: it must not
// panic, and what parses must encode, decode and print back to the same
// values.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		`(42, "hi", true)`,
		`(record { to = record { owner = principal "aaaaa-aa" }; amount = 1_000 : nat })`,
		`(vec { opt 1; null }, variant { a = blob "\00\ff" }, -1.5e3, (3 : int8))`,
		`(func "aaaaa-aa".m, service "aaaaa-aa", record { 1; "x"; 0x10 = null })`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		types, vals, err := ParseArgsAny(s)
		if err != nil {
			return
		}
		enc, err := Marshal(types, vals)
		if err != nil {
			return // e.g. a vec of mixed values inferred from its first element
		}
		checkRoundTrip(t, enc, types)
	})
}
