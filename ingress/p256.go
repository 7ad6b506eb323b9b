package ingress

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
)

// p256DERPrefix is the DER SubjectPublicKeyInfo prefix of a P-256 (secp256r1)
// ECDSA key with an uncompressed point (RFC 5480: id-ecPublicKey,
// prime256v1).
var p256DERPrefix = []byte{
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
}

// verifyP256 checks an ECDSA P-256 signature r||s (64 bytes) over SHA-256 of
// message under the uncompressed point pub. Both s and n−s are accepted, as
// the Internet Computer does for this scheme (browsers' WebCrypto does not
// normalise s).
func verifyP256(pub, message, sig []byte) error {
	if pub[0] != 0x04 {
		return fmt.Errorf("%w: P-256 public key is not in uncompressed form", ErrBadPublicKey)
	}
	// crypto/ecdh checks that the point is on the curve.
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
		return fmt.Errorf("%w: P-256 public key: %v", ErrBadPublicKey, err)
	}
	if len(sig) != 64 {
		return fmt.Errorf("%w: P-256 signature of %d bytes", ErrBadSignature, len(sig))
	}
	key := &ecdsa.PublicKey{
		Curve: elliptic.P256(),
		X:     new(big.Int).SetBytes(pub[1:33]),
		Y:     new(big.Int).SetBytes(pub[33:]),
	}
	h := sha256.Sum256(message)
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(key, h[:], r, s) {
		return fmt.Errorf("%w: P-256", ErrBadSignature)
	}
	return nil
}

// P256Signer signs with an ECDSA P-256 key: r||s over SHA-256 of the
// message, as WebCrypto-based Internet Computer agents do.
type P256Signer struct {
	priv *ecdsa.PrivateKey
}

// GenerateP256 returns a new random P-256 signer.
func GenerateP256() (*P256Signer, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ingress: generate P-256 key: %w", err)
	}
	return &P256Signer{priv: priv}, nil
}

// PublicKeyDER implements Signer.
func (s *P256Signer) PublicKeyDER() []byte {
	pub, err := s.priv.PublicKey.ECDH()
	if err != nil {
		panic(err) // a generated key is on the curve
	}
	return append(bytes.Clone(p256DERPrefix), pub.Bytes()...)
}

// Sign implements Signer.
func (s *P256Signer) Sign(message []byte) ([]byte, error) {
	h := sha256.Sum256(message)
	r, ss, err := ecdsa.Sign(rand.Reader, s.priv, h[:])
	if err != nil {
		return nil, fmt.Errorf("ingress: P-256 sign: %w", err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	ss.FillBytes(out[32:])
	return out, nil
}

// String redacts the key.
func (s *P256Signer) String() string { return "ingress.P256Signer{REDACTED}" }
