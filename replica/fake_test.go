package replica

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// fakeBLS is a stand-in threshold scheme for plumbing tests only: shares
// and signatures are hashes anyone can compute. It is never used outside
// tests.
type fakeBLS struct{}

func fakeHash(parts ...[]byte) []byte {
	h := sha256.New()
	for _, p := range parts {
		binary.Write(h, binary.BigEndian, uint64(len(p)))
		h.Write(p)
	}
	s := h.Sum(nil)
	return append(s, s[:16]...)
}

func (fakeBLS) Deal(n, t int) ([]byte, [][]byte, error) {
	pub := []byte(fmt.Sprintf("fake:%d:%d", n, t))
	var out [][]byte
	for i := 0; i < n; i++ {
		out = append(out, []byte{byte(i)})
	}
	return pub, out, nil
}
func (fakeBLS) params(pub []byte) (n, t int)          { fmt.Sscanf(string(pub), "fake:%d:%d", &n, &t); return }
func (f fakeBLS) GroupKey(pub []byte) ([]byte, error) { return fakeHash(pub)[:32], nil }
func (f fakeBLS) GroupKeyDER(pub []byte) ([]byte, error) {
	return append([]byte("DER"), fakeHash(pub)...), nil
}
func (f fakeBLS) Threshold(pub []byte) (int, error) { _, t := f.params(pub); return t, nil }
func (fakeBLS) SignShare(secret, msg []byte) ([]byte, error) {
	return fakeHash([]byte("share"), secret, msg), nil
}
func (fakeBLS) VerifyShare(pub []byte, index int, msg, share []byte) error {
	if !bytes.Equal(share, fakeHash([]byte("share"), []byte{byte(index)}, msg)) {
		return errors.New("fake: bad share")
	}
	return nil
}
func (f fakeBLS) BatchVerifyShares(pub, msg []byte, shares map[int][]byte) ([]int, error) {
	var bad []int
	for i, s := range shares {
		if f.VerifyShare(pub, i, msg, s) != nil {
			bad = append(bad, i)
		}
	}
	if bad != nil {
		return bad, errors.New("fake: bad shares")
	}
	return nil, nil
}
func (f fakeBLS) CombineVerified(pub, msg []byte, shares map[int][]byte) ([]byte, []int, error) {
	bad, _ := f.BatchVerifyShares(pub, msg, shares)
	if len(shares)-len(bad) < func() int { _, t := f.params(pub); return t }() {
		return nil, bad, errors.New("fake: too few shares")
	}
	return fakeHash([]byte("sig"), pub, msg), bad, nil
}
func (fakeBLS) Verify(pub, msg, sig []byte) error {
	if !bytes.Equal(sig, fakeHash([]byte("sig"), pub, msg)) {
		return errors.New("fake: bad signature")
	}
	return nil
}
