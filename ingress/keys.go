package ingress

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/principal"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

// DER SubjectPublicKeyInfo prefixes of the sender key types accepted here,
// as Internet Computer agents write them: Ed25519 (RFC 8410, OID 1.3.101.112)
// and secp256k1 ECDSA (RFC 5480, id-ecPublicKey with curve OID 1.3.132.0.10)
// with an uncompressed point.
var (
	ed25519DERPrefix   = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}
	secp256k1DERPrefix = []byte{
		0x30, 0x56, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a, 0x03, 0x42, 0x00,
	}
)

// Signer is a caller's key: it signs envelopes on the client side.
type Signer interface {
	// PublicKeyDER returns the DER SubjectPublicKeyInfo of the public key.
	PublicKeyDER() []byte
	// Sign signs message (the domain-separated request id) and returns the
	// signature in the Internet Computer's format for the key type.
	Sign(message []byte) ([]byte, error)
}

// Sender returns the self-authenticating principal of s.
func Sender(s Signer) principal.Principal {
	return principal.SelfAuthenticating(s.PublicKeyDER())
}

// Ed25519Signer signs with an Ed25519 key (RFC 8032 signatures).
type Ed25519Signer struct {
	priv ed25519.PrivateKey
}

// NewEd25519Signer returns a Signer for priv. priv must be a 64-byte Go
// Ed25519 private key.
func NewEd25519Signer(priv ed25519.PrivateKey) (*Ed25519Signer, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("ingress: ed25519 private key of %d bytes", len(priv))
	}
	return &Ed25519Signer{priv: priv}, nil
}

// GenerateEd25519 returns a new random Ed25519 signer.
func GenerateEd25519() (*Ed25519Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ingress: generate ed25519 key: %w", err)
	}
	return &Ed25519Signer{priv: priv}, nil
}

// PublicKeyDER implements Signer.
func (s *Ed25519Signer) PublicKeyDER() []byte {
	return append(bytes.Clone(ed25519DERPrefix), s.priv.Public().(ed25519.PublicKey)...)
}

// Sign implements Signer.
func (s *Ed25519Signer) Sign(message []byte) ([]byte, error) {
	return ed25519.Sign(s.priv, message), nil
}

// PrivateKey returns the underlying key.
func (s *Ed25519Signer) PrivateKey() ed25519.PrivateKey { return s.priv }

// String redacts the key.
func (s *Ed25519Signer) String() string { return "ingress.Ed25519Signer{REDACTED}" }

// GoString redacts the key.
func (s *Ed25519Signer) GoString() string { return s.String() }

// Zeroize overwrites the private key.
func (s *Ed25519Signer) Zeroize() { clear(s.priv) }

// Secp256k1Signer signs with a secp256k1 key: ECDSA over SHA-256 of the
// message, r||s (64 bytes, low s), as Internet Computer agents do.
type Secp256k1Signer struct {
	priv *secp256k1.PrivateKey
}

// NewSecp256k1Signer returns a Signer for priv.
func NewSecp256k1Signer(priv *secp256k1.PrivateKey) (*Secp256k1Signer, error) {
	if priv == nil || priv.Key.IsZero() {
		return nil, errors.New("ingress: secp256k1 private key is zero")
	}
	return &Secp256k1Signer{priv: priv}, nil
}

// GenerateSecp256k1 returns a new random secp256k1 signer.
func GenerateSecp256k1() (*Secp256k1Signer, error) {
	priv, err := secp256k1.GeneratePrivateKey()
	if err != nil {
		return nil, fmt.Errorf("ingress: generate secp256k1 key: %w", err)
	}
	return &Secp256k1Signer{priv: priv}, nil
}

// PublicKeyDER implements Signer.
func (s *Secp256k1Signer) PublicKeyDER() []byte {
	return append(bytes.Clone(secp256k1DERPrefix), s.priv.PubKey().SerializeUncompressed()...)
}

// Sign implements Signer.
func (s *Secp256k1Signer) Sign(message []byte) ([]byte, error) {
	h := sha256.Sum256(message)
	sig := secpecdsa.Sign(s.priv, h[:]) // RFC 6979, low s
	r, ss := sig.R(), sig.S()
	out := make([]byte, 64)
	r.PutBytesUnchecked(out[:32])
	ss.PutBytesUnchecked(out[32:])
	return out, nil
}

// PrivateKey returns the underlying key.
func (s *Secp256k1Signer) PrivateKey() *secp256k1.PrivateKey { return s.priv }

// String redacts the key.
func (s *Secp256k1Signer) String() string { return "ingress.Secp256k1Signer{REDACTED}" }

// GoString redacts the key.
func (s *Secp256k1Signer) GoString() string { return s.String() }

// Zeroize overwrites the private key.
func (s *Secp256k1Signer) Zeroize() { s.priv.Zero() }

// verifySenderSig checks sig on message under the DER public key der.
func verifySenderSig(der, message, sig []byte) error {
	switch {
	case len(der) == len(ed25519DERPrefix)+ed25519.PublicKeySize && bytes.HasPrefix(der, ed25519DERPrefix):
		if len(sig) != ed25519.SignatureSize {
			return fmt.Errorf("%w: ed25519 signature of %d bytes", ErrBadSignature, len(sig))
		}
		if !ed25519.Verify(ed25519.PublicKey(der[len(ed25519DERPrefix):]), message, sig) {
			return fmt.Errorf("%w: ed25519", ErrBadSignature)
		}
		return nil
	case len(der) == len(secp256k1DERPrefix)+65 && bytes.HasPrefix(der, secp256k1DERPrefix):
		// Only the uncompressed form (0x04): the parser also takes the
		// SEC1 hybrid form (0x06/0x07), a second encoding of the same key
		// that would give one key two self-authenticating principals.
		if der[len(secp256k1DERPrefix)] != secp256k1.PubKeyFormatUncompressed {
			return fmt.Errorf("%w: secp256k1 public key is not in uncompressed form", ErrBadPublicKey)
		}
		pub, err := secp256k1.ParsePubKey(der[len(secp256k1DERPrefix):])
		if err != nil {
			return fmt.Errorf("%w: secp256k1 public key: %v", ErrBadPublicKey, err)
		}
		if len(sig) != 64 {
			return fmt.Errorf("%w: secp256k1 signature of %d bytes", ErrBadSignature, len(sig))
		}
		var r, s secp256k1.ModNScalar
		if r.SetByteSlice(sig[:32]) || r.IsZero() {
			return fmt.Errorf("%w: secp256k1 r out of range", ErrBadSignature)
		}
		if s.SetByteSlice(sig[32:]) || s.IsZero() {
			return fmt.Errorf("%w: secp256k1 s out of range", ErrBadSignature)
		}
		if s.IsOverHalfOrder() {
			return fmt.Errorf("%w: secp256k1 s is not low", ErrBadSignature)
		}
		h := sha256.Sum256(message)
		if !secpecdsa.NewSignature(&r, &s).Verify(h[:], pub) {
			return fmt.Errorf("%w: secp256k1", ErrBadSignature)
		}
		return nil
	case len(der) == len(p256DERPrefix)+65 && bytes.HasPrefix(der, p256DERPrefix):
		return verifyP256(der[len(p256DERPrefix):], message, sig)
	default:
		return fmt.Errorf("%w: unsupported DER public key (%d bytes); want Ed25519, secp256k1 or P-256", ErrBadPublicKey, len(der))
	}
}
