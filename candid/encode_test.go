package candid

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"math/rand"
	"testing"
)

func TestBigNumbersRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		n := new(big.Int).Rand(rng, new(big.Int).Lsh(big.NewInt(1), uint(rng.Intn(300))))
		for _, k := range []Kind{KindNat, KindInt} {
			v := new(big.Int).Set(n)
			if k == KindInt && rng.Intn(2) == 0 {
				v.Neg(v)
			}
			enc, err := Marshal([]*Type{Prim(k)}, []Value{v})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(enc, []*Type{Prim(k)})
			if err != nil {
				t.Fatalf("%s %s: %v", k, v, err)
			}
			if got[0].(*big.Int).Cmp(v) != 0 {
				t.Fatalf("%s %s decoded as %s (%x)", k, v, got[0], enc)
			}
			// nat reads at int too.
			if k == KindNat {
				got, err := Unmarshal(enc, []*Type{Prim(KindInt)})
				if err != nil || got[0].(*big.Int).Cmp(v) != 0 {
					t.Fatalf("nat %s at int: %v %v", v, got, err)
				}
			}
		}
	}
}

func TestEncodeKnown(t *testing.T) {
	// record { foo = 42 : int; bar = true } as the conformance suite writes it.
	ty := RecordType(F("foo", Prim(KindInt)), F("bar", Prim(KindBool)))
	v := Record{Fields: []FieldValue{{ID: Hash("bar"), Value: true}, {ID: Hash("foo"), Value: big.NewInt(42)}}}
	enc, err := Marshal([]*Type{ty}, []Value{v})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString("4449444c016c02d3e3aa027e868eb7027c0100012a")
	if !bytes.Equal(enc, want) {
		t.Fatalf("got %x want %x", enc, want)
	}
	if _, err := Marshal([]*Type{ty}, []Value{Record{}}); err == nil {
		t.Error("record without fields encoded")
	}
	if _, err := Marshal([]*Type{Prim(KindNat)}, []Value{big.NewInt(-1)}); err == nil {
		t.Error("negative nat encoded")
	}
	if _, err := Marshal([]*Type{Prim(KindText)}, []Value{"\xff"}); err == nil {
		t.Error("invalid UTF-8 encoded")
	}
}

func TestHash(t *testing.T) {
	for name, h := range map[string]uint32{"foo": 5097222, "bar": 4895187, "": 0} {
		if Hash(name) != h {
			t.Errorf("Hash(%q) = %d, want %d", name, Hash(name), h)
		}
	}
}

func TestEncodeUnsortedRecordValue(t *testing.T) {
	ty := RecordType(F("a", Prim(KindBool)), F("b", Prim(KindText)), F("c", Prim(KindNat8)))
	v := Record{Fields: []FieldValue{{ID: Hash("c"), Value: uint8(1)}, {ID: Hash("b"), Value: "x"}, {ID: Hash("a"), Value: true}}}
	enc, err := Marshal([]*Type{ty}, []Value{v})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unmarshal(enc, []*Type{ty})
	if err != nil {
		t.Fatal(err)
	}
	if s := FormatArgs([]*Type{ty}, got); s != `(record { a = true; b = "x"; c = 1 : nat8 })` {
		t.Errorf("got %s", s)
	}
}

func TestEncodeSharesEqualEntries(t *testing.T) {
	// Three separately built `opt blob`s and a recursive list: one entry
	// each for blob, opt blob, the record and the list.
	d, err := ParseDescription(`
		type List = opt record { head : opt blob; tail : List };
		service : { f : (record { a : opt blob; b : opt blob; c : List }) -> () }`)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := d.Method("f")
	vals, err := ParseArgs(`(record { a = opt blob "x"; c = opt record { head = null; tail = null } })`, m.Args)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := Marshal(m.Args, vals)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := UnmarshalAny(enc); err != nil {
		t.Fatal(err)
	}
	if n := enc[4]; n != 5 {
		t.Errorf("%d table entries, want 5 (blob, opt blob, list record, List, argument record): %x", n, enc)
	}
	back, err := Unmarshal(enc, m.Args)
	if err != nil || !Equal(back[0], vals[0]) {
		t.Fatalf("round trip: %v", err)
	}
}
