package replica

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// TestForgetDealtAfterRestart checks that the openings a dealer kept
// before a restart are found and deleted with their transcript, and only
// those.
func TestForgetDealtAfterRestart(t *testing.T) {
	home := t.TempDir()
	s := &idkgState{a: &app{cfg: &Config{Home: home}}}
	dir := s.dealtDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	tid, other := []byte("subnet/key/7/3"), []byte("subnet/key/7/30")
	names := []string{
		hex.EncodeToString(tid) + "-0011223344556677",
		hex.EncodeToString(tid) + "-8899aabbccddeeff",
		hex.EncodeToString(other) + "-0011223344556677",
		".tmp-" + hex.EncodeToString(tid) + "-0011223344556677123",
	}
	for _, n := range names {
		if err := writeSecretFile(filepath.Join(dir, n), []byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	s.forgetDealt(tid)
	for i, n := range names {
		_, err := os.Stat(filepath.Join(dir, n))
		if gone := os.IsNotExist(err); gone != (i < 2) {
			t.Errorf("%s: deleted %v, want %v", n, gone, i < 2)
		}
	}
	// A file kept after the directory was read is deleted too.
	late := s.dealtPath(other, [32]byte{9})
	s.mu.Lock()
	idx := s.dealtIndex()
	idx[hex.EncodeToString(other)] = append(idx[hex.EncodeToString(other)], late)
	s.mu.Unlock()
	if err := writeSecretFile(late, []byte{1}); err != nil {
		t.Fatal(err)
	}
	s.forgetDealt(other)
	for _, p := range []string{late, filepath.Join(dir, names[2])} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s not deleted", filepath.Base(p))
		}
	}
}
