package derivation

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha512"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	ed "github.com/chainkey/chainkey/internal/group/ed25519"
)

// ChainCodeLen is the length of a chain code.
const ChainCodeLen = 32

// MaxPathLen is the largest number of elements the Internet Computer accepts
// in a derivation path (255, plus the caller prepended here).
const MaxPathLen = 256

// Key is a derived public key together with its chain code and the tweak
// that relates it to the master key.
type Key struct {
	// PublicKey is the derived key: 33-byte SEC1 compressed for secp256k1,
	// 32-byte RFC 8032 encoding for Ed25519.
	PublicKey []byte
	// ChainCode is the chain code after the last path element.
	ChainCode []byte
	// Tweak is the sum of the per-element tweaks modulo the group order, so
	// that PublicKey = master + Tweak·G. It is encoded as the group's
	// canonical scalar: 32 bytes big-endian for secp256k1, little-endian for
	// Ed25519. It is public (anyone can compute it from the master key).
	Tweak []byte
}

// CanisterPath returns the path the Internet Computer derives a caller's key
// under: the caller's principal bytes followed by the derivation path. The
// result shares no memory with the arguments.
func CanisterPath(caller []byte, path [][]byte) [][]byte {
	out := make([][]byte, 0, len(path)+1)
	out = append(out, bytes.Clone(caller))
	for _, p := range path {
		out = append(out, bytes.Clone(p))
	}
	return out
}

// ZeroChainCode returns the master chain code the Internet Computer uses
// (32 zero bytes).
func ZeroChainCode() []byte { return make([]byte, ChainCodeLen) }

func checkArgs(chainCode []byte, path [][]byte) error {
	if len(chainCode) != ChainCodeLen {
		return fmt.Errorf("derivation: chain code is %d bytes, want %d", len(chainCode), ChainCodeLen)
	}
	if len(path) > MaxPathLen {
		return fmt.Errorf("derivation: path has %d elements, at most %d allowed", len(path), MaxPathLen)
	}
	return nil
}

// Secp256k1 derives the key at path from a 33-byte SEC1 compressed
// secp256k1 public key and its chain code, as the Internet Computer does for
// threshold ECDSA and BIP340 keys. For each element i:
//
//	I = HMAC-SHA512(key = chain code, data = SEC1(P) || i)
//	while I[0:32] ≥ n or P + I[0:32]·G = ∞: I = HMAC-SHA512(chain code, 0x01 || I[32:64] || i)
//	P = P + I[0:32]·G, chain code = I[32:64], tweak += I[0:32]
//
// With 4-byte big-endian elements below 2^31 this is BIP32's CKDpub.
func Secp256k1(masterPublicKey, chainCode []byte, path [][]byte) (*Key, error) {
	if err := checkArgs(chainCode, path); err != nil {
		return nil, err
	}
	if len(masterPublicKey) != secp256k1.PubKeyBytesLenCompressed {
		return nil, fmt.Errorf("derivation: secp256k1 public key is %d bytes, want %d (SEC1 compressed)",
			len(masterPublicKey), secp256k1.PubKeyBytesLenCompressed)
	}
	pk, err := secp256k1.ParsePubKey(masterPublicKey)
	if err != nil {
		return nil, fmt.Errorf("derivation: secp256k1 public key: %w", err)
	}
	var p secp256k1.JacobianPoint
	pk.AsJacobian(&p)
	cc := bytes.Clone(chainCode)
	var tweak secp256k1.ModNScalar
	for _, idx := range path {
		mac := hmac.New(sha512.New, cc)
		mac.Write(compressed(&p))
		mac.Write(idx)
		I := mac.Sum(nil)
		for {
			var il secp256k1.ModNScalar
			overflow := il.SetByteSlice(I[:32])
			if !overflow {
				var t, child secp256k1.JacobianPoint
				secp256k1.ScalarBaseMultNonConst(&il, &t)
				secp256k1.AddNonConst(&p, &t, &child)
				if !(child.Z.IsZero() || (child.X.IsZero() && child.Y.IsZero())) {
					child.ToAffine()
					p = child
					tweak.Add(&il)
					break
				}
			}
			mac = hmac.New(sha512.New, cc)
			mac.Write([]byte{1})
			mac.Write(I[32:])
			mac.Write(idx)
			I = mac.Sum(nil)
		}
		cc = bytes.Clone(I[32:])
	}
	tb := tweak.Bytes()
	return &Key{PublicKey: compressed(&p), ChainCode: cc, Tweak: tb[:]}, nil
}

func compressed(p *secp256k1.JacobianPoint) []byte {
	q := *p
	q.ToAffine()
	return secp256k1.NewPublicKey(&q.X, &q.Y).SerializeCompressed()
}

// Ed25519 derives the key at path from a 32-byte Ed25519 public key and its
// chain code, following the Internet Computer's Ed25519 hierarchical key
// derivation. For each element i:
//
//	OKM = HKDF-SHA512(salt = chain code, IKM = enc(K) || i, info = "Ed25519", L = 96)
//	K = K + (big-endian OKM[0:64] mod ℓ)·B, chain code = OKM[64:96]
//
// The master key must be a canonical encoding of a point of prime order.
func Ed25519(masterPublicKey, chainCode []byte, path [][]byte) (*Key, error) {
	if err := checkArgs(chainCode, path); err != nil {
		return nil, err
	}
	pk, err := ed.DecodePoint(masterPublicKey)
	if err != nil {
		return nil, fmt.Errorf("derivation: ed25519 public key: %w", err)
	}
	p := new(edwards25519.Point).Set(pk.Edwards())
	cc := bytes.Clone(chainCode)
	tweak := edwards25519.NewScalar()
	for _, idx := range path {
		ikm := append(p.Bytes(), idx...)
		okm, err := hkdf.Key(sha512.New, ikm, cc, "Ed25519", 96)
		if err != nil {
			return nil, fmt.Errorf("derivation: hkdf: %w", err)
		}
		wide := make([]byte, 64)
		for j := range wide {
			wide[j] = okm[63-j] // big-endian to little-endian
		}
		t, err := edwards25519.NewScalar().SetUniformBytes(wide)
		if err != nil {
			return nil, fmt.Errorf("derivation: tweak: %w", err)
		}
		p.Add(p, new(edwards25519.Point).ScalarBaseMult(t))
		tweak.Add(tweak, t)
		cc = okm[64:96]
	}
	if p.Equal(edwards25519.NewIdentityPoint()) == 1 {
		return nil, errors.New("derivation: derived ed25519 key is the identity")
	}
	return &Key{PublicKey: p.Bytes(), ChainCode: bytes.Clone(cc), Tweak: tweak.Bytes()}, nil
}
