package replica

import (
	"bytes"
	"testing"
)

func TestStoreCommitIsAtomicAndDigestCoversWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.set([]byte("a"), []byte("1"))
	s.set([]byte("b"), []byte("2"))
	d1 := s.writesDigest()
	if v, ok, _ := s.get([]byte("a")); !ok || string(v) != "1" {
		t.Fatal("overlay read")
	}
	if _, ok, _ := s.getCommitted([]byte("a")); ok {
		t.Fatal("uncommitted write visible as committed")
	}
	if err := s.commit(storeMeta{Height: 1, AppHash: []byte{9}}); err != nil {
		t.Fatal(err)
	}
	// A height that is finalized but never committed leaves no trace.
	s.set([]byte("c"), []byte("3"))
	s.del([]byte("a"))
	d2 := s.writesDigest()
	if bytes.Equal(d1[:], d2[:]) {
		t.Fatal("digest ignores writes")
	}
	if _, ok, _ := s.get([]byte("a")); ok {
		t.Fatal("deleted key visible in overlay")
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s, err = openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	m, err := s.loadMeta()
	if err != nil || m.Height != 1 || !bytes.Equal(m.AppHash, []byte{9}) {
		t.Fatalf("meta %+v %v", m, err)
	}
	if v, ok, _ := s.get([]byte("a")); !ok || string(v) != "1" {
		t.Fatal("committed write lost")
	}
	if _, ok, _ := s.get([]byte("c")); ok {
		t.Fatal("uncommitted write survived a restart")
	}
	var keys []string
	s.scanCommitted([]byte(""), func(k, _ []byte) bool { keys = append(keys, string(k)); return true })
	if len(keys) != 3 { // a, b, meta
		t.Fatalf("keys %q", keys)
	}
}
