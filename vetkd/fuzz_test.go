package vetkd_test

import (
	"bytes"
	"crypto/rand"
	"slices"
	"testing"

	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/vetkd"
)

// FuzzParseEncryptedKey checks that the decoder never panics, accepts only
// what it re-encodes identically, and that share verification and
// decryption of whatever it accepts fail cleanly.
func FuzzParseEncryptedKey(f *testing.F) {
	s := newSubnet(f, 4)
	tsk := newTransport(f)
	req := &vetkd.Request{CanisterID: canister, Input: []byte("in"), TransportPublicKey: tsk.PublicKey().Bytes()}
	d := newDerivation(f, s.pc, req)
	shares := s.encShares(f, d, all(4))
	ek, _, err := d.Combine(shares)
	if err != nil {
		f.Fatal(err)
	}
	g1, g2 := bls12381.G1().Generator().Bytes(), bls12381.G2().Generator().Bytes()
	f.Add(ek.Bytes())
	f.Add(shares[1])
	f.Add(slices.Concat(g1, g2, g1))
	f.Add(make([]byte, vetkd.EncryptedKeySize))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := vetkd.ParseEncryptedKey(b)
		if err != nil {
			return
		}
		if !bytes.Equal(k.Bytes(), b) {
			t.Fatalf("%x re-encodes as %x", b, k.Bytes())
		}
		valid := bytes.Equal(b, ek.Bytes())
		if _, err := tsk.Decrypt(k, d.PublicKey(), req.Input); (err == nil) != valid {
			t.Fatalf("%x: decrypt error %v", b, err)
		}
		if err := d.VerifyShare(1, b); (err == nil) != bytes.Equal(b, shares[1]) {
			t.Fatalf("%x: verify share error %v", b, err)
		}
	})
}

// FuzzIBEDecrypt checks that decryption of arbitrary ciphertexts never
// panics and succeeds only on the ciphertext encrypted.
func FuzzIBEDecrypt(f *testing.F) {
	s := newSubnet(f, 1)
	tsk := newTransport(f)
	req := &vetkd.Request{CanisterID: canister, Input: []byte("id"), TransportPublicKey: tsk.PublicKey().Bytes()}
	d := newDerivation(f, s.pc, req)
	ek, _, err := d.Combine(s.encShares(f, d, all(1)))
	if err != nil {
		f.Fatal(err)
	}
	key, err := tsk.Decrypt(ek, d.PublicKey(), req.Input)
	if err != nil {
		f.Fatal(err)
	}
	ct, err := vetkd.IBEEncrypt(rand.Reader, d.PublicKey(), req.Input, []byte("message"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ct)
	f.Add(ct[:vetkd.IBEOverhead])
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := vetkd.IBEDecrypt(key, b)
		if (err == nil) != bytes.Equal(b, ct) {
			t.Fatalf("%x: decrypted to %q, %v", b, pt, err)
		}
	})
}
