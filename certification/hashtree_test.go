package certification

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

type specExample struct {
	Full struct {
		CBOR     string `json:"cbor"`
		RootHash string `json:"root_hash"`
	} `json:"spec_example_full"`
	Pruned struct {
		CBOR     string `json:"cbor"`
		RootHash string `json:"root_hash"`
		Lookups  []struct {
			Path   []string `json:"path"`
			Result string   `json:"result"`
			Value  string   `json:"value_utf8"`
		} `json:"lookups"`
	} `json:"spec_example_pruned"`
	Simple struct {
		RootHash string `json:"root_hash"`
	} `json:"simple_tree"`
}

func loadSpecExample(t testing.TB) specExample {
	t.Helper()
	b, err := os.ReadFile("testdata/hashtree-spec-example.json")
	if err != nil {
		t.Fatal(err)
	}
	var v specExample
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSpecExampleDigests(t *testing.T) {
	v := loadSpecExample(t)
	for name, c := range map[string][2]string{
		"full":   {v.Full.CBOR, v.Full.RootHash},
		"pruned": {v.Pruned.CBOR, v.Pruned.RootHash},
	} {
		enc := unhex(t, c[0])
		tree, err := DecodeHashTree(enc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		d := tree.Digest()
		if got := hex.EncodeToString(d[:]); got != c[1] {
			t.Errorf("%s: digest %s, want %s", name, got, c[1])
		}
		re, err := EncodeHashTree(tree)
		if err != nil || !bytes.Equal(re, enc) {
			t.Errorf("%s: re-encoding differs: %x, %v", name, re, err)
		}
	}
	// fork(label("label 1", empty), fork(pruned(0x01*32), leaf(1..6)))
	var p Pruned
	for i := range p {
		p[i] = 1
	}
	simple := Fork{
		Left:  Labeled{Label: []byte("label 1"), Tree: Empty{}},
		Right: Fork{Left: p, Right: Leaf{1, 2, 3, 4, 5, 6}},
	}
	d := simple.Digest()
	if got := hex.EncodeToString(d[:]); got != v.Simple.RootHash {
		t.Errorf("simple tree digest %s, want %s", got, v.Simple.RootHash)
	}
	e := Empty{}.Digest()
	if got := hex.EncodeToString(e[:]); got != "4e3ed35c4e2d1ee89996483fb6260a64cffb6c47dbab216e7930e82f8190d120" {
		t.Errorf("empty digest %s", got)
	}
}

func TestSpecExampleLookups(t *testing.T) {
	v := loadSpecExample(t)
	tree, err := DecodeHashTree(unhex(t, v.Pruned.CBOR))
	if err != nil {
		t.Fatal(err)
	}
	full, err := DecodeHashTree(unhex(t, v.Full.CBOR))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range v.Pruned.Lookups {
		status, val := Lookup(tree, Path(l.Path...))
		if !strings.EqualFold(status.String(), l.Result) || string(val) != l.Value {
			t.Errorf("lookup %v = %v %q, want %s %q", l.Path, status, val, l.Result, l.Value)
		}
	}
	for _, c := range []struct {
		path   []string
		status LookupStatus
		value  string
	}{
		{[]string{"a", "x"}, Found, "hello"},
		{[]string{"a", "y"}, Found, "world"},
		{[]string{"a", "z"}, Absent, ""},
		{[]string{"b"}, Found, "good"},
		{[]string{"c"}, Absent, ""}, // labeled Empty
		{[]string{"c", "x"}, Absent, ""},
		{[]string{"a"}, Error, ""}, // inner node
		{[]string{}, Error, ""},
		{[]string{"b", "x"}, Absent, ""}, // below a leaf: [Leaf] forest
		{[]string{"0"}, Absent, ""},
		{[]string{"z"}, Absent, ""},
	} {
		status, val := Lookup(full, Path(c.path...))
		if status != c.status || string(val) != c.value {
			t.Errorf("full lookup %v = %v %q, want %v %q", c.path, status, val, c.status, c.value)
		}
	}
	if got := Labels(full); len(got) != 4 || string(got[0]) != "a" || string(got[3]) != "d" {
		t.Errorf("Labels = %q", got)
	}
	if got := Labels(tree); len(got) != 3 {
		t.Errorf("Labels(pruned) = %q", got)
	}
	leaves := Leaves(full)
	if len(leaves) != 4 || string(leaves[0].Value) != "hello" || string(leaves[0].Path[1]) != "x" {
		t.Errorf("Leaves = %+v", leaves)
	}
	status, sub := LookupSubtree(full, Path("a"))
	if status != Found || len(Labels(sub)) != 2 {
		t.Errorf("LookupSubtree(a) = %v %v", status, sub)
	}
	if status, _ := LookupSubtree(tree, Path("b")); status != Unknown {
		t.Errorf("LookupSubtree(pruned b) = %v", status)
	}
}

func TestWitnessMatchesSpecExample(t *testing.T) {
	v := loadSpecExample(t)
	full, err := DecodeHashTree(unhex(t, v.Full.CBOR))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Witness(full, [][][]byte{Path("a", "y"), Path("ax"), Path("d")})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncodeHashTree(w)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(enc); got != v.Pruned.CBOR {
		t.Errorf("witness\n got %s\nwant %s", got, v.Pruned.CBOR)
	}
}

func TestLookupMalformed(t *testing.T) {
	unsorted := Fork{Left: Labeled{Label: []byte("b"), Tree: Leaf("1")}, Right: Labeled{Label: []byte("a"), Tree: Leaf("2")}}
	if s, _ := Lookup(unsorted, Path("a")); s != Error {
		t.Errorf("unsorted labels: %v", s)
	}
	dup := Fork{Left: Labeled{Label: []byte("a"), Tree: Leaf("1")}, Right: Labeled{Label: []byte("a"), Tree: Leaf("2")}}
	if s, _ := Lookup(dup, Path("a")); s != Error {
		t.Errorf("duplicate labels: %v", s)
	}
	mixed := Fork{Left: Labeled{Label: []byte("a"), Tree: Leaf("1")}, Right: Leaf("x")}
	if s, _ := Lookup(mixed, Path("a")); s != Error {
		t.Errorf("leaf mixed with labels: %v", s)
	}
	// Pruned between two labels: a label in the gap is unknown; before the
	// first and after the last revealed ones with a pruned node outside,
	// too.
	var p Pruned
	gap := Fork{Left: Labeled{Label: []byte("a"), Tree: Leaf("1")}, Right: Fork{Left: p, Right: Labeled{Label: []byte("c"), Tree: Leaf("3")}}}
	for label, want := range map[string]LookupStatus{"b": Unknown, "a": Found, "c": Found, "0": Absent, "d": Absent} {
		if s, _ := Lookup(gap, Path(label)); s != want {
			t.Errorf("gap lookup %q = %v, want %v", label, s, want)
		}
	}
	edge := Fork{Left: p, Right: Fork{Left: Labeled{Label: []byte("b"), Tree: Leaf("1")}, Right: p}}
	for label, want := range map[string]LookupStatus{"a": Unknown, "c": Unknown, "b": Found} {
		if s, _ := Lookup(edge, Path(label)); s != want {
			t.Errorf("edge lookup %q = %v, want %v", label, s, want)
		}
	}
	if s, _ := Lookup(p, nil); s != Unknown {
		t.Errorf("lookup [] in pruned = %v", s)
	}
	if s, _ := Lookup(Empty{}, nil); s != Absent {
		t.Errorf("lookup [] in empty = %v", s)
	}
}

func TestDecodeHashTreeRejects(t *testing.T) {
	deep := bytes.Repeat([]byte{0x83, 0x02, 0x41, 'a'}, MaxDepth) // MaxDepth labeled nodes, then a leaf at MaxDepth+1
	deep = append(deep, 0x82, 0x03, 0x40)
	okDeep := append(bytes.Repeat([]byte{0x83, 0x02, 0x41, 'a'}, MaxDepth-1), 0x82, 0x03, 0x40)
	if _, err := DecodeHashTree(okDeep); err != nil {
		t.Fatalf("depth %d refused: %v", MaxDepth, err)
	}
	cases := map[string]string{
		"empty input":             "",
		"not an array":            "00",
		"empty array":             "80",
		"empty with extra":        "820000",
		"fork arity 2":            "82018100",
		"fork arity 4":            "840181008100 8100",
		"labeled label is text":   "830261618100",
		"labeled label is int":    "8302018100",
		"leaf arity 3":            "83034040",
		"leaf value is text":      "820360",
		"leaf value is array":     "820380",
		"pruned 31 bytes":         "8204581f" + strings.Repeat("00", 31),
		"pruned 33 bytes":         "82045821" + strings.Repeat("00", 33),
		"unknown tag 5":           "820540",
		"tag as bytes":            "824100",
		"tag as negative":         "8220",
		"tag non-shortest":        "81180 0",
		"indefinite array":        "9f00ff",
		"indefinite bytes":        "82035f40ff",
		"non-shortest length":     "8203580100",
		"trailing bytes":          "810000",
		"truncated fork":          "83018100",
		"truncated leaf":          "82034568656c6c",
		"huge length":             "82035b7fffffffffffffff",
		"huge array":              "9b7fffffffffffffff",
		"tagged node":             "d9d9f7810 0",
		"reserved ai":             "1c",
		"too deep":                hex.EncodeToString(deep),
		"float as tag":            "81f93c00",
		"pruned digest as text":   "820478 20" + strings.Repeat("61", 32),
		"labeled missing subtree": "83024161",
	}
	for name, h := range cases {
		b := unhex(t, strings.ReplaceAll(h, " ", ""))
		if tr, err := DecodeHashTree(b); err == nil {
			t.Errorf("%s: DecodeHashTree(%x) = %#v, want error", name, b, tr)
		}
	}
}

func TestBuildTreeAndWitness(t *testing.T) {
	entries := []PathValue{
		{Path("time"), AppendLEB128(nil, 1_700_000_000_000_000_000)},
		{Path("canister", "\x00\x01", "certified_data"), []byte("data-1")},
		{Path("canister", "\x00\x02", "certified_data"), []byte("data-2")},
		{Path("canister", "\x00\x02", "module_hash"), []byte("hash-2")},
		{Path("canister", "\x00\x03", "certified_data"), []byte("data-3")},
		{Path("subnet", "sid", "public_key"), []byte("key")},
		{Path("a"), []byte("first")},
		{Path("zz"), nil},
	}
	tree, err := BuildTree(entries)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if s, v := Lookup(tree, e.Path); s != Found || !bytes.Equal(v, e.Value) {
			t.Errorf("lookup %q = %v %q", e.Path, s, v)
		}
	}
	if s, _ := Lookup(tree, Path("canister", "\x00\x04", "certified_data")); s != Absent {
		t.Errorf("absent canister: %v", s)
	}
	// The labels at every level are strictly increasing.
	var check func(HashTree)
	check = func(t2 HashTree) {
		labels := Labels(t2)
		for i := 1; i < len(labels); i++ {
			if bytes.Compare(labels[i-1], labels[i]) >= 0 {
				t.Fatalf("labels out of order: %q", labels)
			}
		}
		for _, n := range flattenForks(t2, nil) {
			if l, ok := n.(Labeled); ok {
				check(l.Tree)
			}
		}
	}
	check(tree)

	queries := [][][]byte{
		Path("canister", "\x00\x02", "certified_data"),
		Path("canister", "\x00\x04", "certified_data"), // absent
		Path("time"),
		Path("b"), // absent between a and canister
	}
	w, err := Witness(tree, queries)
	if err != nil {
		t.Fatal(err)
	}
	if w.Digest() != tree.Digest() {
		t.Fatal("witness digest differs")
	}
	for _, q := range queries {
		s1, v1 := Lookup(tree, q)
		s2, v2 := Lookup(w, q)
		if s1 != s2 || !bytes.Equal(v1, v2) {
			t.Errorf("witness lookup %q = %v %q, tree gives %v %q", q, s2, v2, s1, v1)
		}
	}
	// What was not asked for is pruned.
	if s, _ := Lookup(w, Path("canister", "\x00\x01", "certified_data")); s != Unknown {
		t.Errorf("unrequested path in witness: %v", s)
	}
	if s, _ := Lookup(w, Path("subnet", "sid", "public_key")); s != Unknown {
		t.Errorf("unrequested path in witness: %v", s)
	}
	if got := len(Leaves(w)); got != 2 { // time and the one certified_data
		t.Errorf("witness reveals %d leaves, want 2", got)
	}
	// A subtree path keeps the whole subtree.
	w2, err := Witness(tree, [][][]byte{Path("canister", "\x00\x02")})
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := Lookup(w2, Path("canister", "\x00\x02", "module_hash")); s != Found {
		t.Errorf("subtree witness lost module_hash: %v", s)
	}
	// No paths: everything pruned.
	w3, _ := Witness(tree, nil)
	if _, ok := w3.(Pruned); !ok || w3.Digest() != tree.Digest() {
		t.Errorf("empty witness = %#v", w3)
	}

	for name, bad := range map[string][]PathValue{
		"empty path":   {{Path(), nil}},
		"duplicate":    {{Path("a"), nil}, {Path("a"), nil}},
		"prefix":       {{Path("a", "b"), nil}, {Path("a"), nil}},
		"extends leaf": {{Path("a"), nil}, {Path("a", "b"), nil}},
	} {
		if _, err := BuildTree(bad); err == nil {
			t.Errorf("BuildTree(%s) succeeded", name)
		}
	}
	if tr, err := BuildTree(nil); err != nil || tr != (Empty{}) {
		t.Errorf("BuildTree(nil) = %v, %v", tr, err)
	}
}

func TestLEB128(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 1 << 56, 1<<64 - 1, 1_690_125_856_072_000_000} {
		enc := AppendLEB128(nil, v)
		got, err := DecodeLEB128(enc)
		if err != nil || got != v {
			t.Errorf("LEB128 %d: %x -> %d, %v", v, enc, got, err)
		}
	}
	for name, h := range map[string]string{
		"empty":        "",
		"unterminated": "80",
		"trailing":     "0100",
		"non-shortest": "8000",
		"overflow":     "ffffffffffffffffff02",
		"11 bytes":     "8080808080808080808000",
	} {
		if v, err := DecodeLEB128(unhex(t, h)); err == nil {
			t.Errorf("%s: DecodeLEB128 = %d", name, v)
		}
	}
}

func FuzzDecodeHashTree(f *testing.F) {
	v := loadSpecExample(f)
	f.Add(unhex(f, v.Full.CBOR))
	f.Add(unhex(f, v.Pruned.CBOR))
	for _, c := range loadVectors(f) {
		f.Add(c.treeCBOR)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tree, err := DecodeHashTree(b)
		if err != nil {
			return
		}
		enc, err := EncodeHashTree(tree)
		if err != nil {
			t.Fatalf("encode of a decoded tree: %v", err)
		}
		// The decoder only accepts the canonical form, so re-encoding is
		// byte-exact.
		if !bytes.Equal(enc, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, enc)
		}
		tree2, err := DecodeHashTree(enc)
		if err != nil || tree2.Digest() != tree.Digest() {
			t.Fatalf("decode of re-encoding: %v", err)
		}
		_, _ = Lookup(tree, Path("time"))
		_, _ = Witness(tree, [][][]byte{Path("time"), Path("canister", "x")})
	})
}

func BenchmarkDigest(b *testing.B) {
	c := loadVectors(b)[1] // mainnet-delegated-3
	for b.Loop() {
		_ = c.cert.Tree.Digest()
	}
}

func BenchmarkLookup(b *testing.B) {
	entries := make([]PathValue, 0, 1000)
	for i := range 1000 {
		entries = append(entries, PathValue{Path: [][]byte{[]byte("canister"), {byte(i >> 8), byte(i)}, []byte("certified_data")}, Value: []byte{byte(i)}})
	}
	tree, err := BuildTree(entries)
	if err != nil {
		b.Fatal(err)
	}
	path := [][]byte{[]byte("canister"), {1, 0xf4}, []byte("certified_data")}
	for b.Loop() {
		if s, _ := Lookup(tree, path); s != Found {
			b.Fatal(s)
		}
	}
}
