package ledger

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"testing"
)

// jsonValue converts the vector file's [Type, payload] form.
func jsonValue(raw json.RawMessage) (Value, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return Value{}, fmt.Errorf("bad value %s", raw)
	}
	var kind string
	if err := json.Unmarshal(pair[0], &kind); err != nil {
		return Value{}, err
	}
	switch kind {
	case "Nat", "Int":
		x, ok := new(big.Int).SetString(string(pair[1]), 10)
		if !ok {
			return Value{}, fmt.Errorf("bad number %s", pair[1])
		}
		if kind == "Nat" {
			return BigNatValue(x), nil
		}
		return IntValue(x), nil
	case "Text":
		var s string
		err := json.Unmarshal(pair[1], &s)
		return TextValue(s), err
	case "Blob":
		var s string
		if err := json.Unmarshal(pair[1], &s); err != nil {
			return Value{}, err
		}
		b, err := hex.DecodeString(s)
		return BlobValue(b), err
	case "Array":
		var elems []json.RawMessage
		if err := json.Unmarshal(pair[1], &elems); err != nil {
			return Value{}, err
		}
		var vs []Value
		for _, e := range elems {
			v, err := jsonValue(e)
			if err != nil {
				return Value{}, err
			}
			vs = append(vs, v)
		}
		return ArrayValue(vs...), nil
	case "Map":
		var entries [][2]json.RawMessage
		if err := json.Unmarshal(pair[1], &entries); err != nil {
			return Value{}, err
		}
		var es []MapEntry
		for _, e := range entries {
			var k string
			if err := json.Unmarshal(e[0], &k); err != nil {
				return Value{}, err
			}
			v, err := jsonValue(e[1])
			if err != nil {
				return Value{}, err
			}
			es = append(es, MapEntry{k, v})
		}
		return MapValue(es...)
	}
	return Value{}, fmt.Errorf("unknown kind %q", kind)
}

func TestICRC3HashVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/icrc3-value-hash.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []struct {
			Value json.RawMessage `json:"value"`
			Hash  string          `json:"hash"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) != 6 {
		t.Fatalf("%d cases, want 6", len(f.Cases))
	}
	for i, c := range f.Cases {
		v, err := jsonValue(c.Value)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		h := v.Hash()
		if got := hex.EncodeToString(h[:]); got != c.Hash {
			t.Errorf("case %d: hash %s, want %s", i, got, c.Hash)
		}
	}
}

func TestLEB128(t *testing.T) {
	for _, c := range []struct {
		x         string
		leb, sleb string
	}{
		{"0", "00", "00"},
		{"127", "7f", "ff00"},
		{"128", "8001", "8001"},
		{"624485", "e58e26", "e58e26"},
		{"-1", "", "7f"},
		{"-128", "", "807f"},
		{"-123456", "", "c0bb78"},
		{"18446744073709551616", "80808080808080808002", "80808080808080808002"},
	} {
		x, _ := new(big.Int).SetString(c.x, 10)
		if c.leb != "" {
			if got := hex.EncodeToString(appendBigLEB(nil, x)); got != c.leb {
				t.Errorf("LEB128(%s) = %s, want %s", c.x, got, c.leb)
			}
		}
		if got := hex.EncodeToString(appendBigSLEB(nil, x)); got != c.sleb {
			t.Errorf("SLEB128(%s) = %s, want %s", c.x, got, c.sleb)
		}
	}
}

func TestMapValueRejectsDuplicates(t *testing.T) {
	if _, err := MapValue(MapEntry{"a", NatValue(1)}, MapEntry{"a", NatValue(2)}); err == nil {
		t.Fatal("duplicate key accepted")
	}
	// Map hashing does not depend on the order entries were given in.
	m1, _ := MapValue(MapEntry{"a", NatValue(1)}, MapEntry{"b", TextValue("x")})
	m2, _ := MapValue(MapEntry{"b", TextValue("x")}, MapEntry{"a", NatValue(1)})
	if m1.Hash() != m2.Hash() || !m1.Equal(m2) {
		t.Fatal("map order matters")
	}
}
