package replica

import (
	"bytes"
	"testing"
)

// TestBLSVerifyCache: a combined signature verifies, again from the
// node's cache, and a changed signature, message or key still fails.
func TestBLSVerifyCache(t *testing.T) {
	s := defaultBLS()
	pub, shares, err := s.Deal(4, 3)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, err := s.Deal(4, 3)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("certified state root")
	sh := map[int][]byte{}
	for i := range 3 {
		if sh[i], err = s.SignShare(shares[i], msg); err != nil {
			t.Fatal(err)
		}
	}
	sig, _, err := s.CombineVerified(pub, msg, sh)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Verify(pub, msg, sig); err != nil {
			t.Fatal(err)
		}
	}
	bad := bytes.Clone(sig)
	bad[len(bad)-1] ^= 1
	if s.Verify(pub, msg, bad) == nil {
		t.Error("changed signature verifies")
	}
	if s.Verify(pub, []byte("another root"), sig) == nil {
		t.Error("signature verifies on another message")
	}
	if s.Verify(otherPub, msg, sig) == nil {
		t.Error("signature verifies under another key")
	}
}
