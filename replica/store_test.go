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

func TestDecodeTxStrict(t *testing.T) {
	good := encodeTx(&tx{Cert: &certTx{Height: 1, Sig: make([]byte, 48)}})
	if _, err := decodeTx(good); err != nil {
		t.Fatal(err)
	}
	two := encodeTx(&tx{Cert: &certTx{Height: 1}, Beacon: &beaconTx{Round: 1}})
	if _, err := decodeTx(two); err == nil {
		t.Fatal("two bodies accepted")
	}
	if _, err := decodeTx(encodeTx(&tx{})); err == nil {
		t.Fatal("empty tx accepted")
	}
	if _, err := decodeTx(good[:len(good)-1]); err == nil {
		t.Fatal("truncated tx accepted")
	}
	if _, err := decodeTx(append(bytes.Clone(good), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	if _, err := decodeTx(make([]byte, maxTxBytes+1)); err == nil {
		t.Fatal("oversized tx accepted")
	}
	// Unknown field 9.
	unknown, _ := encMode.Marshal(map[int]any{9: 1})
	if _, err := decodeTx(unknown); err == nil {
		t.Fatal("unknown field accepted")
	}
	if _, err := decodeExt(make([]byte, maxExtBytes+1)); err == nil {
		t.Fatal("oversized extension accepted")
	}
}

func TestCheckExtShape(t *testing.T) {
	a := &app{}
	ok := &voteExt{CertHeight: 4, CertShare: make([]byte, 48), BeaconRound: 5, BeaconShare: make([]byte, 48)}
	if err := a.checkExtShape(ok, 100, 5); err != nil {
		t.Fatal(err)
	}
	for name, e := range map[string]*voteExt{
		"short share":   {CertHeight: 4, CertShare: make([]byte, 47)},
		"future height": {CertHeight: 5, CertShare: make([]byte, 48)},
		"long beacon":   {BeaconShare: make([]byte, 49)},
	} {
		if err := a.checkExtShape(e, 100, 5); err == nil {
			t.Fatalf("%s accepted", name)
		}
	}
}
