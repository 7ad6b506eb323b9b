package certification

import (
	"bytes"
	"testing"
)

// TestSignatureCache: a certificate verifies through the cache, a second
// time from it, and nothing else does: a changed signature, a changed tree
// under the remembered signature, another root key.
func TestSignatureCache(t *testing.T) {
	vs := loadVectors(t)
	cache := NewSignatureCache(8)
	for _, v := range vs[1:3] {
		for range 2 {
			c, err := ParseCertificate(v.raw)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(c, v.rootKey, VerifyOptions{Signatures: cache}); err != nil {
				t.Fatal(err)
			}
		}
		c, _ := ParseCertificate(v.raw)
		c.Signature = bytes.Clone(c.Signature)
		c.Signature[len(c.Signature)-1] ^= 1
		if _, err := Verify(c, v.rootKey, VerifyOptions{Signatures: cache}); err == nil {
			t.Fatal("changed signature verifies from the cache")
		}
		c, _ = ParseCertificate(v.raw)
		c.Tree = Fork{Left: c.Tree, Right: Empty{}}
		if _, err := Verify(c, v.rootKey, VerifyOptions{Signatures: cache}); err == nil {
			t.Fatal("changed tree verifies under a remembered signature")
		}
	}
	// The delegated vector's root key does not verify the other one.
	c, _ := ParseCertificate(vs[2].raw)
	if !bytes.Equal(vs[1].rootKey.Bytes(), vs[2].rootKey.Bytes()) {
		if _, err := Verify(c, vs[1].rootKey, VerifyOptions{Signatures: cache}); err == nil {
			t.Fatal("remembered signature verifies under another key")
		}
	}
}

// BenchmarkVerifyCertificateCached verifies the certificate of a height
// whose signature was checked before (an agent's replies of one height).
func BenchmarkVerifyCertificateCached(b *testing.B) {
	v := loadVectors(b)[2]
	cache := NewSignatureCache(16)
	for b.Loop() {
		c, err := ParseCertificate(v.raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Verify(c, v.rootKey, VerifyOptions{Signatures: cache, MaxAge: 0}); err != nil {
			b.Fatal(err)
		}
	}
}
