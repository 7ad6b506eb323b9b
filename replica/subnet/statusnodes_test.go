package subnet

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/certification"
)

// componentStatuses returns n request statuses of a component as leaves
// and as the labeled subtrees BuildNodes takes.
func componentStatuses(t testing.TB, from, n int) ([]certification.PathValue, []certification.Labeled) {
	var leaves []certification.PathValue
	var nodes []certification.Labeled
	ids := make([][32]byte, n)
	for i := range n {
		ids[i] = sha256.Sum256(binary.BigEndian.AppendUint32([]byte("c"), uint32(from+i)))
	}
	sortIDs(ids)
	for _, id := range ids {
		sub := []certification.PathValue{{Path: certification.Path("status"), Value: []byte("replied")}, {Path: certification.Path("reply"), Value: id[:4]}}
		for _, l := range sub {
			leaves = append(leaves, certification.PathValue{Path: append([][]byte{[]byte("request_status"), id[:]}, l.Path...), Value: l.Value})
		}
		tr, err := certification.BuildTree(sub)
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, certification.NewLabeled(id[:], tr))
	}
	return leaves, nodes
}

func sortIDs(ids [][32]byte) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && string(ids[j-1][:]) > string(ids[j][:]); j-- {
			ids[j-1], ids[j] = ids[j], ids[j-1]
		}
	}
}

// TestBuildNodes: request statuses given as subtrees give the tree that
// the same statuses as leaves give, beside signing requests and other
// leaves; duplicates and unsorted subtrees are refused.
func TestBuildNodes(t *testing.T) {
	recs := map[string]*RequestRecord{}
	for i := range 5 {
		id := sha256.Sum256([]byte(fmt.Sprint("sign", i)))
		recs[string(id[:])] = &RequestRecord{Status: StatusReplied, Signature: []byte{1}, PublicKey: []byte{2}}
	}
	other := certification.PathValue{Path: certification.Path("canister", "x", "certified_data"), Value: []byte{7}}
	var c TreeCache
	for _, n := range []int{0, 1, 2, 17, 100} {
		leaves, nodes := componentStatuses(t, n, n)
		want, err := CertifiedTree(5, []byte("subnet"), []byte("key"), recs, append(leaves, other)...)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.BuildNodes(5, []byte("subnet"), []byte("key"), recs, trieOf(t, nodes), other)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != want.Digest() {
			t.Fatalf("n=%d: subtrees give another tree", n)
		}
	}
	for id := range recs {
		dup := []certification.Labeled{certification.NewLabeled([]byte(id), certification.Leaf("x"))}
		if _, err := c.BuildNodes(5, []byte("s"), []byte("k"), recs, trieOf(t, dup)); err == nil {
			t.Error("a status that is also a signing request's accepted")
		}
		break
	}
	leaves, nodes := componentStatuses(t, 0, 2)
	// Ids of another length than the set's: the whole list is joined.
	odd := []certification.PathValue{{Path: certification.Path("request_status", "short", "status"), Value: []byte("replied")}}
	want, err := CertifiedTree(5, []byte("s"), []byte("k"), recs, append(leaves, odd...)...)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.BuildNodes(5, []byte("s"), []byte("k"), recs, trieOf(t, nodes), odd...)
	if err != nil || got.Digest() != want.Digest() {
		t.Errorf("ids of another length: %v", err)
	}
	if _, err := c.BuildNodes(5, []byte("s"), []byte("k"), recs, trieOf(t, nodes[:1]), leaves[len(leaves)-2:]...); err != nil {
		t.Errorf("distinct statuses as leaves and as subtrees: %v", err)
	}
	if _, err := c.BuildNodes(5, []byte("s"), []byte("k"), recs, trieOf(t, nodes), leaves...); err == nil {
		t.Error("a status given as a leaf and as a subtree accepted")
	}
}

// BenchmarkCertifiedTreeStatuses builds a height's tree with 20,000
// canister request statuses (20 seconds at 1,000 calls/s) given as leaves
// (as before) and as the set a component keeps (Components.TreeParts),
// with 1,000 of them changed.
func BenchmarkCertifiedTreeStatuses(b *testing.B) {
	leaves, nodes := componentStatuses(b, 0, 20000)
	sid, root := make([]byte, 29), make([]byte, 133)
	b.Run("leaves", func(b *testing.B) {
		var c TreeCache
		for b.Loop() {
			if _, err := c.Build(1, sid, root, nil, leaves...); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("subtrees", func(b *testing.B) {
		var c TreeCache
		set := trieOf(b, nodes)
		i := 0
		for b.Loop() {
			for range 1000 {
				i++
				n := nodes[i%len(nodes)]
				var err error
				if set, err = set.Set(certification.NewLabeled(n.Label, certification.Leaf("done"))); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := c.BuildNodes(1, sid, root, nil, set); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func trieOf(t testing.TB, nodes []certification.Labeled) *certification.LabelTrie {
	t.Helper()
	s, err := certification.TrieOf(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
