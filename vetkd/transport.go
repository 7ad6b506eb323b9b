package vetkd

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
)

// ErrInvalidKey reports an encrypted key, an encrypted key share or a vetKey
// that does not verify.
var ErrInvalidKey = errors.New("vetkd: invalid key")

// TransportSecretKey is a caller's transport secret key, a non-zero scalar.
// It never prints its value; call Zeroize when done with it.
type TransportSecretKey struct {
	s group.Scalar
}

// GenerateTransportSecretKey returns a random transport secret key read from
// rand.
func GenerateTransportSecretKey(rand io.Reader) (*TransportSecretKey, error) {
	s, err := g1().RandomScalar(rand)
	if err != nil {
		return nil, fmt.Errorf("vetkd: transport secret key: %w", err)
	}
	return &TransportSecretKey{s: s}, nil
}

// ParseTransportSecretKey decodes a 32-byte big-endian scalar, which must be
// below the group order and not zero (the encoding of the client libraries).
func ParseTransportSecretKey(b []byte) (*TransportSecretKey, error) {
	s, err := g1().DecodeScalar(b)
	if err != nil {
		return nil, fmt.Errorf("vetkd: transport secret key: %w", err)
	}
	if s.IsZero() {
		return nil, errors.New("vetkd: transport secret key is zero")
	}
	return &TransportSecretKey{s: s}, nil
}

// Bytes returns the 32-byte big-endian encoding of the secret key. The
// caller clears it after use.
func (k *TransportSecretKey) Bytes() []byte { return k.s.Bytes() }

// PublicKey returns the transport public key tsk·g1.
func (k *TransportSecretKey) PublicKey() *TransportPublicKey {
	return &TransportPublicKey{p: g1().NewPoint().ScalarBaseMult(k.s)}
}

// Zeroize overwrites the secret key with zero.
func (k *TransportSecretKey) Zeroize() { k.s.Zeroize() }

// String returns a redacted placeholder.
func (k *TransportSecretKey) String() string { return "vetkd.TransportSecretKey(REDACTED)" }

// Decrypt decrypts an encrypted key for the input under the derived public
// key dpk and checks the result, as the client libraries' decryptAndVerify
// do: C2 must match C1 (e(C1, g2) = e(g1, C2)), and k = C3 − tsk·C1 must be
// a valid BLS signature on the input under dpk. It returns ErrInvalidKey
// otherwise.
func (k *TransportSecretKey) Decrypt(ek *EncryptedKey, dpk *DerivedPublicKey, input []byte) (*VetKey, error) {
	negG2 := g2().NewPoint().Neg(g2().Generator())
	ok, err := bls12381.PairingCheck([]group.Point{ek.c1, g1().Generator()}, []group.Point{negG2, ek.c2})
	if err != nil {
		return nil, fmt.Errorf("vetkd: decrypt: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("vetkd: decrypt: %w", ErrInvalidKey)
	}
	v := g1().NewPoint().ScalarMult(k.s, ek.c1)
	v.Sub(ek.c3, v)
	key := &VetKey{p: v}
	if err := key.Verify(dpk, input); err != nil {
		return nil, fmt.Errorf("vetkd: decrypt: %w", ErrInvalidKey)
	}
	return key, nil
}

// TransportPublicKey is the G1 point under which a vetKey is encrypted.
type TransportPublicKey struct {
	p group.Point
}

// ParseTransportPublicKey decodes a 48-byte compressed G1 point strictly:
// canonical, in the prime-order subgroup and not the identity (a key the
// identity would hand the vetKey to anyone).
func ParseTransportPublicKey(b []byte) (*TransportPublicKey, error) {
	p, err := decodeG1(b)
	if err != nil {
		return nil, fmt.Errorf("vetkd: transport public key: %w", err)
	}
	return &TransportPublicKey{p: p}, nil
}

// Bytes returns the 48-byte compressed encoding of the key.
func (k *TransportPublicKey) Bytes() []byte { return k.p.Bytes() }

// EncryptedKey is an encrypted vetKey, or one node's share of it:
// C1 = r·g1, C2 = r·g2, C3 = r·tpk + s·H(dpk ‖ input) for a random r and the
// (share of the) derived secret key s.
type EncryptedKey struct {
	c1, c2, c3 group.Point
}

// ParseEncryptedKey decodes the 192-byte encoding C1 ‖ C2 ‖ C3 of an
// encrypted key or share, decoding each point strictly (canonical, in the
// prime-order subgroup, not the identity). It does not verify the key.
func ParseEncryptedKey(b []byte) (*EncryptedKey, error) {
	if len(b) != EncryptedKeySize {
		return nil, fmt.Errorf("vetkd: encrypted key is %d bytes, want %d", len(b), EncryptedKeySize)
	}
	const l1, l2 = bls12381.G1PointLen, bls12381.G2PointLen
	c1, err := decodeG1(b[:l1])
	if err != nil {
		return nil, fmt.Errorf("vetkd: encrypted key C1: %w", err)
	}
	c2, err := decodeG2(b[l1 : l1+l2])
	if err != nil {
		return nil, fmt.Errorf("vetkd: encrypted key C2: %w", err)
	}
	c3, err := decodeG1(b[l1+l2:])
	if err != nil {
		return nil, fmt.Errorf("vetkd: encrypted key C3: %w", err)
	}
	return &EncryptedKey{c1: c1, c2: c2, c3: c3}, nil
}

// Bytes returns the 192-byte encoding C1 ‖ C2 ‖ C3.
func (ek *EncryptedKey) Bytes() []byte {
	out := make([]byte, 0, EncryptedKeySize)
	out = append(out, ek.c1.Bytes()...)
	out = append(out, ek.c2.Bytes()...)
	return append(out, ek.c3.Bytes()...)
}

// Verify checks that ek encrypts, under tpk, the vetKey of input under the
// derived public key dpk, without decrypting it; it returns ErrInvalidKey
// otherwise.
func (ek *EncryptedKey) Verify(dpk *DerivedPublicKey, input []byte, tpk *TransportPublicKey) error {
	ok, err := checkEncrypted(ek, tpk.p, dpk.p, augmentedHash(dpk, input))
	if err != nil {
		return fmt.Errorf("vetkd: verify encrypted key: %w", err)
	}
	if !ok {
		return fmt.Errorf("vetkd: verify encrypted key: %w", ErrInvalidKey)
	}
	return nil
}

// checkTag domain-separates the coefficient that merges the two pairing
// equations of checkEncrypted into one.
const checkTag = "chainkey/vetkd/check-encrypted-key-v1"

// checkEncrypted reports whether ek is a valid encryption under tpk of the
// signature on the hashed input h under the G2 key vk, that is whether
//
//	e(C1, g2) = e(g1, C2)   and   e(C3, g2) = e(tpk, C2) · e(h, vk).
//
// The two equations are checked as one product of three pairings, the
// first raised to a 128-bit ρ derived by hashing every point involved:
//
//	e(ρ·C1 + C3, −g2) · e(ρ·g1 + tpk, C2) · e(h, vk) = 1.
//
// If either equation fails the product is 1 for at most one ρ in 2^128, and
// ρ is fixed only once every point is.
func checkEncrypted(ek *EncryptedKey, tpk, vk, h group.Point) (bool, error) {
	d := sha256.New()
	for _, b := range [][]byte{[]byte(checkTag), ek.c1.Bytes(), ek.c2.Bytes(), ek.c3.Bytes(), tpk.Bytes(), vk.Bytes(), h.Bytes()} {
		d.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		d.Write(b)
	}
	rho := g1().ScalarFromBigInt(new(big.Int).SetBytes(d.Sum(nil)[:16]))
	if rho.IsZero() {
		rho.SetUint64(1)
	}
	a := g1().NewPoint().VarTimeScalarMult(rho, ek.c1)
	a.Add(a, ek.c3)
	b := g1().NewPoint().VarTimeScalarMult(rho, g1().Generator())
	b.Add(b, tpk)
	negG2 := g2().NewPoint().Neg(g2().Generator())
	return bls12381.PairingCheck([]group.Point{a, b, h}, []group.Point{negG2, ek.c2, vk})
}

// VetKey is a decrypted vetKey: the BLS signature (G1) on an input under a
// derived public key.
type VetKey struct {
	p group.Point
}

// ParseVetKey decodes a 48-byte compressed G1 point strictly. It does not
// verify the key; use Verify.
func ParseVetKey(b []byte) (*VetKey, error) {
	p, err := decodeG1(b)
	if err != nil {
		return nil, fmt.Errorf("vetkd: vetKey: %w", err)
	}
	return &VetKey{p: p}, nil
}

// Bytes returns the 48-byte compressed encoding of the key (secret).
func (k *VetKey) Bytes() []byte { return k.p.Bytes() }

// Verify checks that k is the BLS signature (with message augmentation) on
// input under dpk, returning ErrInvalidKey otherwise.
func (k *VetKey) Verify(dpk *DerivedPublicKey, input []byte) error {
	if k.p.IsIdentity() {
		return fmt.Errorf("vetkd: verify vetKey: %w", ErrInvalidKey)
	}
	negG2 := g2().NewPoint().Neg(g2().Generator())
	ok, err := bls12381.PairingCheck([]group.Point{k.p, augmentedHash(dpk, input)}, []group.Point{negG2, dpk.p})
	if err != nil {
		return fmt.Errorf("vetkd: verify vetKey: %w", err)
	}
	if !ok {
		return fmt.Errorf("vetkd: verify vetKey: %w", ErrInvalidKey)
	}
	return nil
}

// DeriveSymmetricKey derives n bytes of key material from the vetKey for a
// usage named by domain, as the client libraries' deriveSymmetricKey does:
// HKDF-SHA-256 of the 48-byte key with an empty salt and domain as info.
func (k *VetKey) DeriveSymmetricKey(domain string, n int) ([]byte, error) {
	out, err := hkdf.Key(sha256.New, k.Bytes(), nil, domain, n)
	if err != nil {
		return nil, fmt.Errorf("vetkd: derive symmetric key: %w", err)
	}
	return out, nil
}
