package vetkd

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
)

// Encoding sizes, in bytes.
const (
	// PublicKeySize is the length of a master or derived public key: one
	// compressed G2 point, the vetkd_public_key reply.
	PublicKeySize = bls12381.G2PointLen
	// TransportPublicKeySize is the length of a transport public key: one
	// compressed G1 point.
	TransportPublicKeySize = bls12381.G1PointLen
	// TransportSecretKeySize is the length of a transport secret key: a
	// big-endian scalar.
	TransportSecretKeySize = 32
	// EncryptedKeySize is the length of an encrypted key (the
	// vetkd_derive_key reply) and of an encrypted key share:
	// C1 (G1, 48) ‖ C2 (G2, 96) ‖ C3 (G1, 48).
	EncryptedKeySize = 2*bls12381.G1PointLen + bls12381.G2PointLen
	// VetKeySize is the length of a decrypted vetKey: one compressed G1
	// point, a BLS signature.
	VetKeySize = bls12381.G1PointLen
)

// Domain separation tags, as the Internet Computer and its client
// libraries use them.
const (
	// dstCanister separates the hash of the first derivation step (master
	// key and canister id).
	dstCanister = "ic-vetkd-bls12-381-g2-canister-id"
	// dstContext separates the hash of the second derivation step
	// (canister key and context).
	dstContext = "ic-vetkd-bls12-381-g2-context"
	// dstAugmented is the RFC 9380 hash-to-G1 tag of BLS signatures with
	// message augmentation: the input is prefixed with the public key.
	dstAugmented = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_AUG_"
)

func g1() group.Group { return bls12381.G1() }
func g2() group.Group { return bls12381.G2() }

// MasterPublicKey is a subnet's vetKD master public key, a G2 point.
type MasterPublicKey struct {
	p group.Point
}

// ParseMasterPublicKey decodes a 96-byte compressed G2 point, refusing
// non-canonical encodings, points outside the prime-order subgroup and the
// identity.
func ParseMasterPublicKey(b []byte) (*MasterPublicKey, error) {
	p, err := decodeG2(b)
	if err != nil {
		return nil, fmt.Errorf("vetkd: master public key: %w", err)
	}
	return &MasterPublicKey{p: p}, nil
}

// NewMasterPublicKey returns the master public key p (a copy), which must be
// a G2 point other than the identity.
func NewMasterPublicKey(p group.Point) (*MasterPublicKey, error) {
	if _, ok := p.(*bls12381.G2Point); !ok || p.IsIdentity() {
		return nil, errors.New("vetkd: master public key must be a G2 point other than the identity")
	}
	return &MasterPublicKey{p: g2().NewPoint().Set(p)}, nil
}

// Bytes returns the 96-byte compressed encoding of the key.
func (k *MasterPublicKey) Bytes() []byte { return k.p.Bytes() }

// DeriveCanisterKey returns the canister key of canisterID (the canister's
// principal as raw bytes): K = M + H(M, canisterID)·g2, the first of the
// two derivation steps.
func (k *MasterPublicKey) DeriveCanisterKey(canisterID []byte) *DerivedPublicKey {
	_, d := deriveStep(k.p, canisterID, dstCanister)
	return d
}

// DerivedPublicKey is a canister key or a sub-key of one, a G2 point.
type DerivedPublicKey struct {
	p group.Point
}

// ParseDerivedPublicKey decodes a 96-byte compressed G2 point, as returned
// by vetkd_public_key, strictly (see ParseMasterPublicKey).
func ParseDerivedPublicKey(b []byte) (*DerivedPublicKey, error) {
	p, err := decodeG2(b)
	if err != nil {
		return nil, fmt.Errorf("vetkd: derived public key: %w", err)
	}
	return &DerivedPublicKey{p: p}, nil
}

// Bytes returns the 96-byte compressed encoding of the key.
func (k *DerivedPublicKey) Bytes() []byte { return k.p.Bytes() }

// Equal reports whether both keys are the same point.
func (k *DerivedPublicKey) Equal(o *DerivedPublicKey) bool {
	return k != nil && o != nil && k.p.Equal(o.p)
}

// DeriveSubKey returns the sub-key of k for a derivation context:
// K' = K + H(K, context)·g2, the second derivation step. An empty context
// gives k itself, as vetkd_public_key does.
func (k *DerivedPublicKey) DeriveSubKey(context []byte) *DerivedPublicKey {
	if len(context) == 0 {
		return k
	}
	_, d := deriveStep(k.p, context, dstContext)
	return d
}

// DerivePublicKey returns the public key of a canister's context, the reply
// of vetkd_public_key: the canister key of canisterID followed by the
// sub-key of context.
func DerivePublicKey(master *MasterPublicKey, canisterID, context []byte) *DerivedPublicKey {
	return master.DeriveCanisterKey(canisterID).DeriveSubKey(context)
}

// deriveStep returns δ = hash_to_scalar(len(K) ‖ K ‖ len(x) ‖ x) under dst,
// each length an 8-byte big-endian count, and K + δ·g2.
func deriveStep(k group.Point, x []byte, dst string) (group.Scalar, *DerivedPublicKey) {
	kb := k.Bytes()
	msg := make([]byte, 0, 16+len(kb)+len(x))
	msg = binary.BigEndian.AppendUint64(msg, uint64(len(kb)))
	msg = append(msg, kb...)
	msg = binary.BigEndian.AppendUint64(msg, uint64(len(x)))
	msg = append(msg, x...)
	delta, err := group.HashToScalar(g2(), msg, []byte(dst))
	if err != nil {
		// The tag and output length are constants within the limits.
		panic("vetkd: hash to scalar: " + err.Error())
	}
	p := g2().NewPoint().VarTimeScalarMult(delta, g2().Generator())
	p.Add(p, k)
	return delta, &DerivedPublicKey{p: p}
}

// augmentedHash maps an input to G1 as BLS signatures with message
// augmentation do: H(dpk ‖ input) with the _AUG_ tag.
func augmentedHash(dpk *DerivedPublicKey, input []byte) group.Point {
	msg := append(dpk.Bytes(), input...)
	h, err := bls12381.HashToG1(msg, []byte(dstAugmented))
	if err != nil {
		panic("vetkd: hash to G1: " + err.Error())
	}
	return h
}

func decodeG1(b []byte) (group.Point, error) {
	p, err := bls12381.DecodeG1(b)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func decodeG2(b []byte) (group.Point, error) {
	p, err := bls12381.DecodeG2(b)
	if err != nil {
		return nil, err
	}
	return p, nil
}
