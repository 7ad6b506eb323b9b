package subnet

import (
	"bytes"
	"testing"
)

func TestOverlay(t *testing.T) {
	base := NewMemStorage()
	o := NewOverlay(base)
	o.Set([]byte("a"), []byte("1"))
	o.Set([]byte("b"), []byte("2"))
	d1 := o.WritesDigest()
	base.Apply(o)
	if o.Len() != 0 {
		t.Fatal("apply left writes in the overlay")
	}
	if v, ok, _ := base.Get([]byte("a")); !ok || string(v) != "1" {
		t.Fatalf("committed a = %q, %v", v, ok)
	}

	o.Delete([]byte("a"))
	o.Set([]byte("c"), nil)
	if _, ok, _ := o.Get([]byte("a")); ok {
		t.Fatal("deleted key visible through the overlay")
	}
	if _, ok, _ := o.Committed().Get([]byte("a")); !ok {
		t.Fatal("delete reached the committed state before apply")
	}
	if v, ok, _ := o.Get([]byte("c")); !ok || len(v) != 0 {
		t.Fatal("empty value not visible")
	}
	d2 := o.WritesDigest()
	if d1 == d2 {
		t.Fatal("different writes, same digest")
	}
	// The digest depends on what was written, not the order.
	o2 := NewOverlay(base)
	o2.Set([]byte("c"), nil)
	o2.Delete([]byte("a"))
	if o2.WritesDigest() != d2 {
		t.Fatal("digest depends on write order")
	}
	// A set then a delete of the same key is a delete.
	o2.Set([]byte("a"), []byte("x"))
	o2.Delete([]byte("a"))
	if o2.WritesDigest() != d2 {
		t.Fatal("set then delete differs from delete")
	}
	// Deleting a key differs from writing it empty.
	o3 := NewOverlay(base)
	o3.Set([]byte("a"), nil)
	o3.Set([]byte("c"), nil)
	if o3.WritesDigest() == d2 {
		t.Fatal("delete and empty write hash alike")
	}
	base.Apply(o)
	var keys []string
	base.Scan(nil, func(k, _ []byte) bool { keys = append(keys, string(k)); return true })
	if got := bytes.Join(toBytes(keys), []byte(",")); string(got) != "b,c" {
		t.Fatalf("keys %s", got)
	}
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// TestAppHash pins the app hash layout: it is part of the wire format (a
// subnet created by an earlier version must resume with the same hashes).
func TestAppHash(t *testing.T) {
	s := &State{Height: 1, TimeNS: 5, AppHash: []byte("ignored"), Convicted: map[uint32]uint64{}}
	h1, err := AppHash(GenesisBeacon("chain"), 1, [32]byte{1}, s, [32]byte{2})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.AppHash) != "ignored" {
		t.Fatal("AppHash changed its argument")
	}
	s.AppHash = nil
	h2, _ := AppHash(GenesisBeacon("chain"), 1, [32]byte{1}, s, [32]byte{2})
	if !bytes.Equal(h1, h2) {
		t.Fatal("the state's own app hash entered the app hash")
	}
	for name, f := range map[string]func() ([]byte, error){
		"prev":   func() ([]byte, error) { return AppHash(GenesisBeacon("other"), 1, [32]byte{1}, s, [32]byte{2}) },
		"height": func() ([]byte, error) { return AppHash(GenesisBeacon("chain"), 2, [32]byte{1}, s, [32]byte{2}) },
		"writes": func() ([]byte, error) { return AppHash(GenesisBeacon("chain"), 1, [32]byte{9}, s, [32]byte{2}) },
		"root":   func() ([]byte, error) { return AppHash(GenesisBeacon("chain"), 1, [32]byte{1}, s, [32]byte{9}) },
		"state": func() ([]byte, error) {
			c := s.Clone()
			c.BeaconRound++
			return AppHash(GenesisBeacon("chain"), 1, [32]byte{1}, c, [32]byte{2})
		},
	} {
		h, err := f()
		if err != nil || bytes.Equal(h, h1) {
			t.Errorf("%s does not enter the app hash (%v)", name, err)
		}
	}
}
