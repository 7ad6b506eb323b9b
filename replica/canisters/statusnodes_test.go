package canisters

import (
	"testing"

	"github.com/chainkey/chainkey/replica/subnet"
)

// sameTreeFromParts checks that CanisterLeaves plus RequestStatusTrie
// give the certified tree of Leaves.
func sameTreeFromParts(t *testing.T, c *Component, when string) int {
	t.Helper()
	want, err := subnet.CertifiedTree(1, []byte("subnet"), []byte("key"), nil, c.Leaves()...)
	if err != nil {
		t.Fatal(err)
	}
	set, err := c.RequestStatusTrie()
	if err != nil {
		t.Fatal(err)
	}
	var tc subnet.TreeCache
	got, err := tc.BuildNodes(1, []byte("subnet"), []byte("key"), nil, set, c.CanisterLeaves()...)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest() != want.Digest() {
		t.Fatalf("%s: the parts give another tree", when)
	}
	return set.Len()
}

// TestRequestStatusTrie follows the request statuses through calls,
// replies, rejects and expiry, with the subtrees asked for at every height
// or only now and then, and after a load.
func TestRequestStatusTrie(t *testing.T) {
	h := newHarness(t)
	if n := sameTreeFromParts(t, h.c, "empty"); n != 0 {
		t.Fatalf("%d statuses in an empty component", n)
	}
	counter, _ := workload(h)
	if n := sameTreeFromParts(t, h.c, "after the workload"); n == 0 {
		t.Fatal("no request statuses")
	}
	most, last := 0, 0
	for i := range 70 {
		var msgs []*Message
		if i%3 == 0 {
			msgs = append(msgs, h.call(counter, "inc", nil), h.call(counter, "boom", nil))
		}
		h.block(msgs...)
		if i%7 == 0 || i > 55 {
			last = sameTreeFromParts(t, h.c, "during expiry")
			most = max(most, last)
		}
	}
	if last >= most {
		t.Fatalf("no status expired: %d, at most %d", last, most)
	}
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	sameTreeFromParts(t, c2, "loaded")
	h.block(h.call(counter, "inc", nil))
	if err := h.c.Load(h.st); err != nil {
		t.Fatal(err)
	}
	sameTreeFromParts(t, h.c, "reloaded")
}
