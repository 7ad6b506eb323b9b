package candid

import (
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestDecodeBudget(t *testing.T) {
	vecNull := []*Type{VecType(Prim(KindNull))}
	msg := func(n uint64, pad int) []byte {
		b := []byte("DIDL\x01\x6d\x7f\x02\x00\x71")
		b = appendLEB(b, n)
		b = appendLEB(b, uint64(pad))
		return append(b, strings.Repeat("x", pad)...)
	}
	// 100,000 nulls decode under the default budget.
	vals, err := Unmarshal(msg(100_000, 0), append(vecNull, Prim(KindText)))
	if err != nil || len(vals[0].([]Value)) != 100_000 {
		t.Fatalf("100,000 nulls: %v", err)
	}
	// Ten million do not, even with a megabyte of padding to raise the budget.
	_, err = Unmarshal(msg(10_000_000, 1<<20), append(vecNull, Prim(KindText)))
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("ten million nulls: %v", err)
	}
	// Skipped too.
	_, err = Unmarshal(msg(10_000_000, 1<<20), nil)
	if !errors.Is(err, ErrBudget) {
		t.Fatalf("ten million skipped nulls: %v", err)
	}
	// A smaller budget refuses what the default accepts.
	if _, err := (Decoder{MaxCost: 1000}).Unmarshal(msg(100_000, 0), append(vecNull, Prim(KindText))); !errors.Is(err, ErrBudget) {
		t.Fatalf("budget 1000: %v", err)
	}
	// Huge type tables are refused before they are allocated.
	big := []byte("DIDL")
	big = appendLEB(big, MaxTableEntries+1)
	big = append(big, []byte(strings.Repeat("\x6c\x00", MaxTableEntries+1))...)
	big = append(big, 0)
	if _, err := Unmarshal(big, nil); err == nil {
		t.Fatal("oversized table accepted")
	}
}

func TestDecodeDeepNesting(t *testing.T) {
	// opt opt opt ... nat, 10,000 deep: refused, not a stack overflow.
	n := 10_000
	b := []byte("DIDL")
	b = appendLEB(b, uint64(n))
	for i := 0; i < n-1; i++ {
		b = append(b, 0x6e)
		b = appendSLEB(b, int64(i+1))
	}
	b = append(b, 0x6e, 0x7d, 1, 0)
	b = append(b, []byte(strings.Repeat("\x01", n))...)
	b = append(b, 0)
	if _, _, err := UnmarshalAny(b); !errors.Is(err, errDepth) {
		t.Fatalf("deep nesting: %v", err)
	}
	// 100 deep is fine.
	ty := Prim(KindNat)
	var v Value = big.NewInt(5)
	for i := 0; i < 100; i++ {
		ty, v = OptType(ty), Opt{Value: v}
	}
	enc, err := Marshal([]*Type{ty}, []Value{v})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(enc, []*Type{ty})
	if err != nil || !Equal(got[0], v) {
		t.Fatalf("100 deep: %v", err)
	}
}

func TestDecodeStrict(t *testing.T) {
	for name, tc := range map[string]struct {
		msg string
		t   *Type
	}{
		"trailing byte":       {"DIDL\x00\x01\x7e\x01\x00", Prim(KindBool)},
		"bad utf-8":           {"DIDL\x00\x01\x71\x01\xff", Prim(KindText)},
		"nat8 at nat":         {"DIDL\x00\x01\x7b\x01", Prim(KindNat)},
		"int at nat":          {"DIDL\x00\x01\x7c\x01", Prim(KindNat)},
		"principal too long":  {"DIDL\x00\x01\x68\x01\x1e" + strings.Repeat("\x00", 30), Prim(KindPrincipal)},
		"opaque principal":    {"DIDL\x00\x01\x68\x00", Prim(KindPrincipal)},
		"leb beyond 64 bits":  {"DIDL\x00\x01\x71\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", Prim(KindText)},
		"bool 2 in a record":  {"DIDL\x01\x6c\x01\x00\x7e\x01\x00\x02", TupleType(Prim(KindBool))},
		"unknown annotation":  {"DIDL\x01\x6a\x00\x00\x01\x04\x00", nil},
		"table entry is prim": {"DIDL\x01\x7d\x00", nil},
	} {
		var types []*Type
		if tc.t != nil {
			types = []*Type{tc.t}
		}
		if _, err := Unmarshal([]byte(tc.msg), types); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDecodeAlias(t *testing.T) {
	msg, err := Marshal([]*Type{BlobType(), BlobType()}, []Value{[]byte("abc"), []byte("de")})
	if err != nil {
		t.Fatal(err)
	}
	copied, err := Unmarshal(msg, []*Type{BlobType(), BlobType()})
	if err != nil {
		t.Fatal(err)
	}
	aliased, err := Decoder{Alias: true}.Unmarshal(msg, []*Type{BlobType(), BlobType()})
	if err != nil {
		t.Fatal(err)
	}
	// An append to an aliased blob must not overwrite the next one.
	_ = append(aliased[0].([]byte), 'X')
	if string(aliased[1].([]byte)) != "de" {
		t.Fatal("append to an aliased blob overwrote the message")
	}
	msg[len(msg)-1] = 'E'
	if string(copied[1].([]byte)) != "de" || string(aliased[1].([]byte)) != "dE" {
		t.Errorf("copied %q, aliased %q", copied[1], aliased[1])
	}
}
