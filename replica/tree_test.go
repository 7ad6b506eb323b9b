package replica

import (
	"testing"
)

// TestTreeCache checks that a tree built from the cache of earlier heights
// is the tree built afresh, as requests arrive, change status and expire.
func TestTreeCache(t *testing.T) {
	subnet, root := make([]byte, 29), make([]byte, 133)
	recs := map[string]*requestRecord{
		"a": {Status: statusReceived, Height: 1},
		"b": {Status: statusReplied, Height: 1, Signature: []byte{1}, PublicKey: []byte{2}},
		"c": {Status: statusRejected, Height: 1, Reject: "no"},
	}
	var c treeCache
	for step, change := range []func(){
		func() {},
		func() {
			recs["a"] = &requestRecord{Status: statusReplied, Height: 2, Signature: []byte{3}, PublicKey: []byte{4}}
		},
		func() { delete(recs, "b"); recs["d"] = &requestRecord{Status: statusReceived, Height: 3} },
		func() {
			recs["a"] = &requestRecord{Status: statusReplied, Height: 2, Signature: []byte{5}, PublicKey: []byte{4}}
		},
		func() { clear(recs) },
	} {
		change()
		got, err := c.build(int64(step), subnet, root, recs)
		if err != nil {
			t.Fatal(err)
		}
		want, err := certifiedTree(int64(step), subnet, root, recs)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != want.Digest() {
			t.Fatalf("step %d: cached tree differs", step)
		}
	}
}
