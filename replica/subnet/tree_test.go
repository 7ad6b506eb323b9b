package subnet

import (
	"testing"
)

// TestTreeCache checks that a tree built from the cache of earlier heights
// is the tree built afresh, as requests arrive, change status and expire.
func TestTreeCache(t *testing.T) {
	sid, root := make([]byte, 29), make([]byte, 133)
	recs := map[string]*RequestRecord{
		"a": {Status: StatusReceived, Height: 1},
		"b": {Status: StatusReplied, Height: 1, Signature: []byte{1}, PublicKey: []byte{2}},
		"c": {Status: StatusRejected, Height: 1, Reject: "no"},
	}
	var c TreeCache
	for step, change := range []func(){
		func() {},
		func() {
			recs["a"] = &RequestRecord{Status: StatusReplied, Height: 2, Signature: []byte{3}, PublicKey: []byte{4}}
		},
		func() { delete(recs, "b"); recs["d"] = &RequestRecord{Status: StatusReceived, Height: 3} },
		func() {
			recs["a"] = &RequestRecord{Status: StatusReplied, Height: 2, Signature: []byte{5}, PublicKey: []byte{4}}
		},
		func() { clear(recs) },
	} {
		change()
		got, err := c.Build(int64(step), sid, root, recs)
		if err != nil {
			t.Fatal(err)
		}
		want, err := CertifiedTree(int64(step), sid, root, recs)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != want.Digest() {
			t.Fatalf("step %d: cached tree differs", step)
		}
	}
}
