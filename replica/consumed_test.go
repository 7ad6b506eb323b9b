package replica

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/chainkey/chainkey/ecdsa"
)

func TestConsumptionLog(t *testing.T) {
	dir := t.TempDir()
	l, err := openConsumptionLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	ids := [][]byte{[]byte("key/presig/1"), []byte("key/presig/2"), bytes.Repeat([]byte{7}, 300)}
	for _, id := range ids {
		if err := l.Consume(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Consume(ids[0]); !errors.Is(err, ecdsa.ErrPresignatureReused) {
		t.Fatalf("second use: %v, want ErrPresignatureReused", err)
	}
	if err := l.Consume(nil); err == nil {
		t.Fatal("empty id accepted")
	}
	l.Close()
	path := filepath.Join(dir, consumptionLogFile)
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("log file mode: %v %v", st.Mode(), err)
	}

	// Reopened: every record is there. A torn last record (killed during
	// the write) is cut and later records are read again.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0, 12, 'k', 'e', 'y'})
	f.Close()
	l, err = openConsumptionLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if !l.Used(id) {
			t.Errorf("%q lost after reopening", id)
		}
	}
	if err := l.Consume([]byte("key/presig/3")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l, err = openConsumptionLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Used([]byte("key/presig/3")) || !l.Used(ids[2]) {
		t.Error("record after a cut torn tail lost")
	}
	l.Close()

	// A corrupted record and everything after it do not count.
	raw, _ := os.ReadFile(path)
	raw[2] ^= 1
	os.WriteFile(path, raw, 0o600)
	l, err = openConsumptionLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l.Used(ids[0]) || l.Used(ids[1]) {
		t.Error("records after a corrupted one were read")
	}
	l.Close()
}

func TestConsumptionLogRefusesOpenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, consumptionLogFile)
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openConsumptionLog(dir); !errors.Is(err, ErrInsecureFile) {
		t.Fatalf("0644 log: %v, want ErrInsecureFile", err)
	}
}

func TestConsumptionLogReadsMarkerFiles(t *testing.T) {
	dir := t.TempDir()
	if err := writeSecretFile(filepath.Join(dir, "consumed", "6b65792f707265736967"), []byte{1}); err != nil {
		t.Fatal(err)
	}
	l, err := openConsumptionLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Consume([]byte("key/presig")); !errors.Is(err, ecdsa.ErrPresignatureReused) {
		t.Fatalf("presignature marked in the older layout: %v", err)
	}
}

// TestDealingRand checks that a node's dealing randomness is a function of
// its seed and of the transcript, kind and inputs, and of nothing else.
func TestDealingRand(t *testing.T) {
	s := &idkgState{dealSeed: bytes.Repeat([]byte{1}, 32)}
	read := func(s *idkgState, tid string, kind uint8, in1, in2 []byte, salt ...byte) []byte {
		b := make([]byte, 100)
		if _, err := io.ReadFull(s.dealingRand([]byte(tid), kind, in1, in2, salt), b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	base := read(s, "sub/key/1/3", 1, nil, nil)
	if !bytes.Equal(base, read(s, "sub/key/1/3", 1, nil, nil)) {
		t.Fatal("same transcript, different randomness")
	}
	other := &idkgState{dealSeed: bytes.Repeat([]byte{2}, 32)}
	for name, b := range map[string][]byte{
		"transcript": read(s, "sub/key/1/4", 1, nil, nil),
		"kind":       read(s, "sub/key/1/3", 2, nil, nil),
		"input":      read(s, "sub/key/1/3", 1, []byte("a"), nil),
		"second":     read(s, "sub/key/1/3", 1, nil, []byte("a")),
		"boundary":   read(s, "sub/key/1/", 1, []byte("3"), nil),
		"seed":       read(other, "sub/key/1/3", 1, nil, nil),
		"salt":       read(s, "sub/key/1/3", 1, nil, nil, 1),
	} {
		if bytes.Equal(base, b) {
			t.Errorf("another %s gives the same randomness", name)
		}
	}
}

// TestConsumptionLogCompact checks that compaction keeps exactly the
// presignatures still needed, durably, and removes older marker files.
func TestConsumptionLogCompact(t *testing.T) {
	dir := t.TempDir()
	if err := writeSecretFile(filepath.Join(dir, "consumed", "6b2f70726573696721"), []byte{1}); err != nil { // "k/presig!"
		t.Fatal(err)
	}
	l, err := openConsumptionLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"k/presig/1", "k/presig/2", "k/presig/3"} {
		if err := l.Consume([]byte(id)); err != nil {
			t.Fatal(err)
		}
	}
	keep := map[string]bool{"k/presig/2": true, "k/presig!": true}
	if err := l.Compact(func(id []byte) bool { return keep[string(id)] }); err != nil {
		t.Fatal(err)
	}
	if l.Used([]byte("k/presig/1")) || !l.Used([]byte("k/presig/2")) {
		t.Fatal("compaction kept the wrong presignatures in memory")
	}
	if err := l.Consume([]byte("k/presig/4")); err != nil {
		t.Fatal(err)
	}
	l.Drop([]byte("k/presig/4"))
	if l.Used([]byte("k/presig/4")) {
		t.Fatal("dropped presignature still in memory")
	}
	l.Close()
	if _, err := os.Stat(filepath.Join(dir, "consumed")); !os.IsNotExist(err) {
		t.Error("marker directory left after compaction")
	}
	if st, err := os.Stat(filepath.Join(dir, consumptionLogFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("compacted log mode: %v", err)
	}
	l, err = openConsumptionLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for id, want := range map[string]bool{"k/presig/1": false, "k/presig/2": true, "k/presig/3": false, "k/presig!": true, "k/presig/4": true} {
		if l.Used([]byte(id)) != want {
			t.Errorf("%s used %v after reopening, want %v", id, !want, want)
		}
	}
}
