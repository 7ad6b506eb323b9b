package certification

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
)

// memoTrees builds a tree of many labeled subtrees twice: with BuildTree
// (digests computed once) and as the same tree decoded from its encoding
// (no remembered digests).
func memoTrees(t testing.TB, n int) (built, plain HashTree) {
	t.Helper()
	var entries []PathValue
	for i := range n {
		id := sha256.Sum256([]byte(fmt.Sprint(i)))
		entries = append(entries,
			PathValue{Path: [][]byte{[]byte("request_status"), id[:], []byte("status")}, Value: []byte("replied")},
			PathValue{Path: [][]byte{[]byte("request_status"), id[:], []byte("reply")}, Value: id[:8]})
	}
	entries = append(entries, PathValue{Path: Path("time"), Value: []byte{1}})
	built, err := BuildTree(entries)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncodeHashTree(built)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err = DecodeHashTree(enc); err != nil {
		t.Fatal(err)
	}
	return built, plain
}

// TestBuiltTreeMemo checks that remembered digests change nothing: the
// digest and every witness (found, absent, several paths, a whole subtree)
// are those of the same tree without them.
func TestBuiltTreeMemo(t *testing.T) {
	built, plain := memoTrees(t, 37)
	if built.Digest() != plain.Digest() {
		t.Fatal("digests differ")
	}
	id := func(i int) []byte { h := sha256.Sum256([]byte(fmt.Sprint(i))); return h[:] }
	rs := []byte("request_status")
	for name, paths := range map[string][][][]byte{
		"one reply":   {{rs, id(5), []byte("reply")}},
		"first, last": {{rs, id(0), []byte("status")}, {rs, id(36), []byte("reply")}},
		"absent":      {{rs, bytes.Repeat([]byte{0x80}, 32), []byte("reply")}},
		"subtree":     {{rs, id(9)}},
		"time":        {Path("time")},
		"none":        {},
	} {
		wb, err := Witness(built, paths)
		if err != nil {
			t.Fatal(err)
		}
		wp, err := Witness(plain, paths)
		if err != nil {
			t.Fatal(err)
		}
		eb, _ := EncodeHashTree(wb)
		ep, _ := EncodeHashTree(wp)
		if !bytes.Equal(eb, ep) {
			t.Errorf("%s: witnesses differ", name)
		}
		if wb.Digest() != plain.Digest() {
			t.Errorf("%s: witness digest differs", name)
		}
		for _, p := range paths {
			s1, v1 := Lookup(wb, p)
			s2, v2 := Lookup(plain, p)
			if s1 != s2 || !bytes.Equal(v1, v2) {
				t.Errorf("%s: lookup %q: %v %x, want %v %x", name, p, s1, v1, s2, v2)
			}
		}
	}
}

// TestBuildTreeWith checks that subtrees put at paths give the tree the
// same entries give, and that bad subtrees are refused.
func TestBuildTreeWith(t *testing.T) {
	sub, err := BuildTree([]PathValue{{Path: Path("status"), Value: []byte("replied")}, {Path: Path("reply"), Value: []byte{7}}})
	if err != nil {
		t.Fatal(err)
	}
	with, err := BuildTreeWith([]PathValue{{Path: Path("time"), Value: []byte{1}}},
		[]PathTree{{Path: Path("request_status", "a"), Tree: sub}, {Path: Path("request_status", "b"), Tree: NewLabeled([]byte("x"), Leaf("y"))}})
	if err != nil {
		t.Fatal(err)
	}
	flat, err := BuildTree([]PathValue{
		{Path: Path("time"), Value: []byte{1}},
		{Path: Path("request_status", "a", "status"), Value: []byte("replied")},
		{Path: Path("request_status", "a", "reply"), Value: []byte{7}},
		{Path: Path("request_status", "b", "x"), Value: []byte("y")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if with.Digest() != flat.Digest() {
		t.Fatal("subtrees give another tree")
	}
	if _, err := BuildTreeWith(nil, []PathTree{{Path: Path("a"), Tree: nil}}); err == nil {
		t.Error("nil subtree accepted")
	}
	if _, err := BuildTreeWith([]PathValue{{Path: Path("a"), Value: nil}}, []PathTree{{Path: Path("a"), Tree: sub}}); err == nil {
		t.Error("path given twice accepted")
	}
	if _, err := BuildTreeWith([]PathValue{{Path: Path("a", "b"), Value: nil}}, []PathTree{{Path: Path("a"), Tree: sub}}); err == nil {
		t.Error("subtree at a prefix of another path accepted")
	}
}

func BenchmarkWitnessBuilt(b *testing.B) {
	built, plain := memoTrees(b, 7500)
	id := sha256.Sum256([]byte("17"))
	paths := [][][]byte{{[]byte("request_status"), id[:], []byte("reply")}}
	for name, tr := range map[string]HashTree{"memo": built, "plain": plain} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Witness(tr, paths); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestForest(t *testing.T) {
	a, b := NewLabeled([]byte("a"), Leaf("1")), NewLabeled([]byte("b"), Leaf("2"))
	f, err := Forest([]Labeled{a, b})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := BuildTree([]PathValue{{Path: Path("a"), Value: []byte("1")}, {Path: Path("b"), Value: []byte("2")}})
	if f.Digest() != want.Digest() {
		t.Fatal("forest differs from the built tree")
	}
	for _, bad := range [][]Labeled{{b, a}, {a, a}, {a, {Label: []byte("c")}}} {
		if _, err := Forest(bad); err == nil {
			t.Errorf("bad forest %v accepted", bad)
		}
	}
}

// TestBuiltLevelDescent checks the descent through built levels against
// the scan of the same tree decoded (no memos): every lookup and witness
// of present labels, labels between them, before the first and after the
// last, for forests of 1 to 70 elements.
func TestBuiltLevelDescent(t *testing.T) {
	rs := []byte("request_status")
	for n := 1; n <= 70; n++ {
		built, plain := memoTrees(t, n)
		var probes [][]byte
		for i := range n {
			h := sha256.Sum256([]byte(fmt.Sprint(i)))
			probes = append(probes, h[:])
			below := bytes.Clone(h[:])
			below[31]--
			above := bytes.Clone(h[:])
			above[31]++
			probes = append(probes, below, above)
		}
		probes = append(probes, nil, []byte{0}, bytes.Repeat([]byte{0xff}, 33))
		for _, id := range probes {
			for _, p := range [][][]byte{{rs, id, []byte("reply")}, {rs, id}, {rs, id, []byte("zzz")}} {
				s1, v1 := Lookup(built, p)
				s2, v2 := Lookup(plain, p)
				if s1 != s2 || !bytes.Equal(v1, v2) {
					t.Fatalf("n=%d lookup %x: %v, want %v", n, id, s1, s2)
				}
				wb, err1 := Witness(built, [][][]byte{p, Path("time")})
				wp, err2 := Witness(plain, [][][]byte{p, Path("time")})
				if (err1 == nil) != (err2 == nil) {
					t.Fatalf("n=%d witness %x: %v, want %v", n, id, err1, err2)
				}
				eb, _ := EncodeHashTree(wb)
				ep, _ := EncodeHashTree(wp)
				if !bytes.Equal(eb, ep) {
					t.Fatalf("n=%d witness %x differs", n, id)
				}
			}
		}
	}
}

// BenchmarkLookupBuilt looks one request status up in a tree of 100,000
// (the node's sync-call wait does so at every certified height).
func BenchmarkLookupBuilt(b *testing.B) {
	built, _ := memoTrees(b, 100000)
	id := sha256.Sum256([]byte("17"))
	path := [][]byte{[]byte("request_status"), id[:], []byte("reply")}
	for b.Loop() {
		if s, _ := Lookup(built, path); s != Found {
			b.Fatal(s)
		}
	}
}
