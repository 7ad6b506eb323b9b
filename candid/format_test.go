package candid

import (
	"math/big"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	nat := Prim(KindNat)
	nats := func(n int) []Value {
		vs := make([]Value, n)
		for i := range vs {
			vs[i] = big.NewInt(int64(i))
		}
		return vs
	}
	for _, tc := range []struct {
		t    *Type
		v    Value
		want string
	}{
		{nat, big.NewInt(1234567), "(1_234_567 : nat)"},
		{Prim(KindInt), big.NewInt(-1000), "(-1_000 : int)"},
		{Prim(KindFloat64), 3.0, "(3.0 : float64)"},
		{Prim(KindFloat32), float32(0.5), "(0.5 : float32)"},
		{Prim(KindText), "a\"b'c\n☃\x01", `("a\"b\'c\n☃\u{1}")`},
		{BlobType(), []byte("hi there"), `(blob "hi there")`},
		{BlobType(), []byte{0, 1, 'a'}, `(blob "\00\01\61")`},
		{OptType(nat), Opt{Value: big.NewInt(1)}, "(opt (1 : nat))"},
		{OptType(Prim(KindText)), Opt{Value: "x"}, `(opt "x")`},
		{OptType(nat), Opt{}, "(null)"},
		{Prim(KindNull), Null{}, "(null : null)"},
		{Prim(KindReserved), Reserved{}, "(null : reserved)"},
		{VecType(nat), nats(3), "(vec { 0 : nat; 1 : nat; 2 : nat })"},
		{VecType(nat), nats(11), "(\n  vec { 0 : nat; 1 : nat; 2 : nat; 3 : nat; 4 : nat; 5 : nat; 6 : nat; 7 : nat; 8 : nat; 9 : nat; 10 : nat;},\n)"},
		{TupleType(nat, Prim(KindText)), Record{Fields: []FieldValue{{ID: 0, Value: big.NewInt(1)}, {ID: 1, Value: "a"}}}, `(record { 1 : nat; "a" })`},
		{RecordType(), Record{}, "(record {})"},
		{VariantType(F("ok", Prim(KindNull)), F("err", Prim(KindText))), Variant{ID: Hash("ok"), Value: Null{}}, "(variant { ok })"},
		{VariantType(F("ok", Prim(KindNull)), F("err", Prim(KindText))), Variant{ID: Hash("err"), Value: "no"}, `(variant { err = "no" })`},
		{RecordType(F("type", nat)), Record{Fields: []FieldValue{{ID: Hash("type"), Value: big.NewInt(1)}}}, `(record { "type" = 1 : nat })`},
	} {
		if got := FormatArgs([]*Type{tc.t}, []Value{tc.v}); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
		// The printed form parses back.
		back, err := ParseArgs(FormatArgs([]*Type{tc.t}, []Value{tc.v}), []*Type{tc.t})
		if err != nil || !Equal(back[0], tc.v) {
			t.Errorf("%s does not parse back: %v", tc.want, err)
		}
	}
	// Long argument lists break over lines with trailing separators.
	long := strings.Repeat("x", 70)
	got := FormatArgs([]*Type{Prim(KindText), Prim(KindText)}, []Value{long, long})
	want := "(\n  \"" + long + "\",\n  \"" + long + "\",\n)"
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}

func TestParseArgsAny(t *testing.T) {
	types, vals, err := ParseArgsAny(`(42, -1.5, "s", true, null, opt vec { 1; 2 }, record { a = 1 : nat8; 5 = blob "x" }, variant { b }, principal "aaaaa-aa", (7 : nat64))`)
	if err != nil {
		t.Fatal(err)
	}
	if got := TupleString(types); got != "(int, float64, text, bool, null, opt vec int, record { 5 : blob; a : nat8 }, variant { b }, principal, nat64)" {
		t.Errorf("types %s", got)
	}
	enc, err := Marshal(types, vals)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Unmarshal(enc, types); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`(1`, `(record { a = 1; a = 2 })`, `(variant { a; b })`, `(300 : nat8)`, `(-1 : nat)`, `(1.5 : int)`, `("\xff")`, `(principal "x")`, `(vec { 1; "a" })`} {
		if _, _, err := ParseArgsAny(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func TestParseTypeString(t *testing.T) {
	for _, src := range []string{
		"record { a : nat; b : opt vec text }",
		"variant { ok; err : record { int; blob } }",
		"func (nat, text) -> (principal) query",
		"service { m : (nat) -> () oneway }",
		"record { 4_294_967_295 : null; \"type\" : reserved }",
	} {
		ty, err := ParseType(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		again, err := ParseType(ty.String())
		if err != nil {
			t.Fatalf("%s printed as %s: %v", src, ty, err)
		}
		if !IsSubtype(ty, again) || !IsSubtype(again, ty) || again.String() != ty.String() {
			t.Errorf("%s printed as %s, parsed back as %s", src, ty, again)
		}
	}
	for _, bad := range []string{"record { a : nat; a : int }", "vec", "opt foo", "record { 4294967296 : nat }"} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}
