package certification

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLabelTrie applies random sets and deletes (short labels, so that
// labels share long prefixes) and checks after each that the trie's tree
// is CritBitForest of the current set, is well formed (lookups of every
// label and of absent labels, and witnesses, agree with the tree decoded
// without memos) and that the old version is unchanged.
func TestLabelTrie(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	set := map[string]Labeled{}
	var trie *LabelTrie
	for step := range 600 {
		label := []byte{byte(r.IntN(4)), byte(r.IntN(256))}
		old, oldDigest := trie, trie.Tree().Digest()
		if r.IntN(3) == 0 {
			trie = trie.Delete(label)
			delete(set, string(label))
		} else {
			l := NewLabeled(label, Leaf(fmt.Sprint(step)))
			var err error
			if trie, err = trie.Set(l); err != nil {
				t.Fatal(err)
			}
			set[string(label)] = l
		}
		if old.Tree().Digest() != oldDigest {
			t.Fatalf("step %d: the old version changed", step)
		}
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		nodes := make([]Labeled, len(keys))
		for i, k := range keys {
			nodes[i] = set[k]
		}
		want, err := CritBitForest(nodes)
		if err != nil {
			t.Fatal(err)
		}
		if trie.Len() != len(nodes) || trie.Tree().Digest() != want.Digest() {
			t.Fatalf("step %d: trie of %d differs from the forest of %d", step, trie.Len(), len(nodes))
		}
		if step%50 != 0 {
			continue
		}
		built, _ := TrieOf(nodes)
		if built.Tree().Digest() != want.Digest() {
			t.Fatalf("step %d: TrieOf differs", step)
		}
		got := trie.Nodes()
		if len(got) != len(nodes) {
			t.Fatalf("step %d: %d nodes, want %d", step, len(got), len(nodes))
		}
		for i := range got {
			if !bytes.Equal(got[i].Label, nodes[i].Label) {
				t.Fatalf("step %d: node %d out of order", step, i)
			}
			if g, ok := trie.Get(nodes[i].Label); !ok || g.Digest() != nodes[i].Digest() {
				t.Fatalf("step %d: Get of node %d", step, i)
			}
		}
		if _, ok := trie.Get([]byte{9, 9}); ok {
			t.Fatalf("step %d: Get of an absent label", step)
		}
		root := Labeled{Label: []byte("request_status"), Tree: trie.Tree()}
		enc, err := EncodeHashTree(root)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := DecodeHashTree(enc)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range append(keys, "\x00\x00", "\x03\xff", "\x01\x80", "\x04\x00") {
			p := [][]byte{[]byte("request_status"), []byte(k)}
			s1, v1 := Lookup(root, p)
			s2, v2 := Lookup(plain, p)
			if s1 != s2 || !bytes.Equal(v1, v2) || (set[k].Tree != nil) != (s1 == Found) {
				t.Fatalf("step %d: lookup %x: %v, decoded %v", step, k, s1, s2)
			}
			w1, _ := Witness(root, [][][]byte{p})
			w2, _ := Witness(plain, [][][]byte{p})
			e1, _ := EncodeHashTree(w1)
			e2, _ := EncodeHashTree(w2)
			if !bytes.Equal(e1, e2) || w1.Digest() != root.Digest() {
				t.Fatalf("step %d: witness of %x differs", step, k)
			}
		}
	}
	if _, err := trie.Set(NewLabeled([]byte{1, 2, 3}, Leaf("x"))); err == nil {
		t.Error("a label of another length accepted")
	}
	if _, err := CritBitForest([]Labeled{NewLabeled([]byte{2}, Leaf("x")), NewLabeled([]byte{1}, Leaf("x"))}); err == nil {
		t.Error("unsorted labels accepted")
	}
}

// BenchmarkLabelTrieSet replaces one of 100,000 request statuses (a
// height's change costs the forks above it).
func BenchmarkLabelTrieSet(b *testing.B) {
	nodes := make([]Labeled, 100000)
	for i := range nodes {
		id := sha256.Sum256([]byte(fmt.Sprint(i)))
		nodes[i] = NewLabeled(id[:], Leaf("replied"))
	}
	slices.SortFunc(nodes, func(a, b Labeled) int { return bytes.Compare(a.Label, b.Label) })
	trie, err := TrieOf(nodes)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		if trie, err = trie.Set(NewLabeled(nodes[i%len(nodes)].Label, Leaf("done"))); err != nil {
			b.Fatal(err)
		}
	}
}
