package thresholdsig

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
)

// DST is the domain separation tag of the Internet Computer's BLS
// signatures (and of drand's quicknet): the IETF ciphersuite
// BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_.
const DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

const (
	// SignatureSize is the length of a signature or signature share: one
	// compressed G1 point.
	SignatureSize = 48
	// PublicKeySize is the length of a public key: one compressed G2 point.
	PublicKeySize = 96
	// DERPublicKeySize is the length of a public key in the Internet
	// Computer's DER (SubjectPublicKeyInfo) form.
	DERPublicKeySize = 37 + PublicKeySize
	// MaxNodes bounds the number of nodes n (and so the threshold t and
	// every node index) accepted by this package.
	MaxNodes = 1024
)

// derPrefix is the fixed SubjectPublicKeyInfo header of an Internet Computer
// BLS public key: algorithm OID 1.3.6.1.4.1.44668.5.3.1.2.1, curve OID
// 1.3.6.1.4.1.44668.5.3.2.1, and a BIT STRING of 97 bytes whose first byte
// (unused bits) is zero.
// Its length is DERPublicKeySize - PublicKeySize = 37.
var derPrefix = []byte{
	0x30, 0x81, 0x82, // SEQUENCE, 130 bytes
	0x30, 0x1d, // SEQUENCE, 29 bytes
	0x06, 0x0d, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03, 0x01, 0x02, 0x01, // OID
	0x06, 0x0c, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xdc, 0x7c, 0x05, 0x03, 0x02, 0x01, // OID
	0x03, 0x61, 0x00, // BIT STRING, 97 bytes, 0 unused bits
}

var (
	// ErrInvalidSignature is returned (wrapped) when a well-formed signature
	// does not verify.
	ErrInvalidSignature = errors.New("thresholdsig: invalid signature")
	// ErrInvalidShare is returned (wrapped) when signature shares do not
	// verify against their node's public key.
	ErrInvalidShare = errors.New("thresholdsig: invalid signature share")
)

// PublicKey is a BLS public key: a G2 point other than the identity. The
// group public key of a subnet and the public keys of single nodes are both
// PublicKeys.
type PublicKey struct {
	p group.Point
	// lines caches the key's Miller-loop line evaluations, computed on
	// first use: a key is verified against many times (the root key).
	lines atomic.Pointer[bls12381.PreparedG2]
}

// prepared returns the key's precomputed line evaluations.
func (pk *PublicKey) prepared() *bls12381.PreparedG2 {
	if l := pk.lines.Load(); l != nil {
		return l
	}
	l := bls12381.PrepareG2(pk.p)
	pk.lines.Store(l)
	return l
}

// ParsePublicKey decodes a 96-byte compressed G2 public key, refusing
// non-canonical encodings, points off the curve or outside the prime-order
// subgroup, and the identity.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, fmt.Errorf("thresholdsig: public key is %d bytes, want %d", len(b), PublicKeySize)
	}
	p, err := g2().DecodePoint(b)
	if err != nil {
		return nil, fmt.Errorf("thresholdsig: public key: %w", err)
	}
	return &PublicKey{p: p}, nil
}

// ParseDERPublicKey decodes the Internet Computer's 133-byte DER form of a
// public key: the exact SubjectPublicKeyInfo prefix followed by the 96-byte
// key, with nothing after it.
func ParseDERPublicKey(der []byte) (*PublicKey, error) {
	if len(der) != DERPublicKeySize {
		return nil, fmt.Errorf("thresholdsig: DER public key is %d bytes, want %d", len(der), DERPublicKeySize)
	}
	if !bytes.Equal(der[:len(derPrefix)], derPrefix) {
		return nil, errors.New("thresholdsig: DER public key: not an Internet Computer BLS12-381 key")
	}
	return ParsePublicKey(der[len(derPrefix):])
}

// ParsePublicKeyOrDER decodes a public key given either as the raw 96-byte
// point or in its 133-byte DER form.
func ParsePublicKeyOrDER(b []byte) (*PublicKey, error) {
	switch len(b) {
	case PublicKeySize:
		return ParsePublicKey(b)
	case DERPublicKeySize:
		return ParseDERPublicKey(b)
	default:
		return nil, fmt.Errorf("thresholdsig: public key is %d bytes, want %d (raw) or %d (DER)",
			len(b), PublicKeySize, DERPublicKeySize)
	}
}

// NewPublicKey returns the public key of a G2 point, refusing points of
// another group and the identity. The point is copied.
func NewPublicKey(p group.Point) (*PublicKey, error) {
	if p == nil {
		return nil, errors.New("thresholdsig: nil public key point")
	}
	// Re-decoding checks the point's group and every strict-decoding rule.
	return ParsePublicKey(p.Bytes())
}

// Bytes returns the 96-byte compressed encoding of pk.
func (pk *PublicKey) Bytes() []byte { return pk.p.Bytes() }

// DER returns the 133-byte DER (SubjectPublicKeyInfo) encoding of pk, the
// form the Internet Computer publishes its root key in.
func (pk *PublicKey) DER() []byte {
	return append(append(make([]byte, 0, DERPublicKeySize), derPrefix...), pk.p.Bytes()...)
}

// Point returns a copy of the G2 point of pk.
func (pk *PublicKey) Point() group.Point { return g2().NewPoint().Set(pk.p) }

// Equal reports whether pk and o are the same key.
func (pk *PublicKey) Equal(o *PublicKey) bool {
	if pk == nil || o == nil {
		return pk == o
	}
	return pk.p.Equal(o.p)
}

// String returns the key in hex.
func (pk *PublicKey) String() string { return fmt.Sprintf("%x", pk.Bytes()) }

// Verify checks the signature sig on msg under pk. It returns nil if and only
// if sig is the 48-byte canonical encoding of a G1 point in the prime-order
// subgroup, other than the identity, and e(sig, g2) = e(H(msg), pk).
func Verify(pk *PublicKey, msg, sig []byte) error {
	if pk == nil || pk.p == nil {
		return errors.New("thresholdsig: verify: nil public key")
	}
	s, err := decodeSignature(sig)
	if err != nil {
		return fmt.Errorf("thresholdsig: verify: %w", err)
	}
	h, err := hashToG1(msg, []byte(DST))
	if err != nil {
		return err
	}
	ok, err := pairingCheckPrepared(s, h, pk.prepared())
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidSignature
	}
	return nil
}

// verifyHashed checks e(s, g2) = e(h, pk) for an already decoded signature
// and hashed message.
func verifyHashed(pk, h, s group.Point) error {
	ok, err := pairingCheck(s, h, pk)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidSignature
	}
	return nil
}

// decodeSignature strictly decodes a signature or signature share.
func decodeSignature(sig []byte) (group.Point, error) {
	if len(sig) != SignatureSize {
		return nil, fmt.Errorf("signature is %d bytes, want %d", len(sig), SignatureSize)
	}
	s, err := g1().DecodePoint(sig)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	return s, nil
}

// hashMessage hashes msg to G1 under DST.
func hashMessage(msg []byte) (group.Point, error) { return hashToG1(msg, []byte(DST)) }
