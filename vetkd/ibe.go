package vetkd

import (
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
)

// Identity-based encryption to a (derived public key, identity) pair, as the
// client libraries implement it (Boneh–Franklin with the Fujisaki–Okamoto
// transform): anyone encrypts to an identity, and the vetKey of that
// identity, used as input, decrypts.
const (
	// IBESeedSize is the length of the random seed of one encryption.
	IBESeedSize = 32
	// IBEOverhead is the length of a ciphertext minus that of its
	// plaintext: header, C1 (G2) and the masked seed.
	IBEOverhead = len(ibeHeader) + bls12381.G2PointLen + IBESeedSize

	ibeHeader      = "IC IBE\x00\x01"
	dstIBEHashMask = "ic-vetkd-bls12-381-ibe-hash-to-mask"
	dstIBEMaskSeed = "ic-vetkd-bls12-381-ibe-mask-seed"
	dstIBEMaskMsg  = "ic-vetkd-bls12-381-ibe-mask-msg-"
)

// IBEEncrypt encrypts msg to identity under the derived public key dpk with
// a fresh 32-byte seed read from rand, returning
// header ‖ C1 (G2, 96) ‖ seed ⊕ mask ‖ msg ⊕ mask'.
func IBEEncrypt(rand io.Reader, dpk *DerivedPublicKey, identity, msg []byte) ([]byte, error) {
	seed := make([]byte, IBESeedSize)
	defer clear(seed)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("vetkd: IBE encrypt: %w", err)
	}
	t := ibeScalar(seed, msg)
	defer t.Zeroize()
	// e(H(dpk ‖ identity), dpk)^t, computed as e(t·H(dpk ‖ identity), dpk).
	pt := g1().NewPoint().ScalarMult(t, augmentedHash(dpk, identity))
	gt := bls12381.PairingBytes(pt, dpk.p)
	defer clear(gt)
	out := make([]byte, 0, IBEOverhead+len(msg))
	out = append(out, ibeHeader...)
	out = append(out, g2().NewPoint().ScalarBaseMult(t).Bytes()...)
	out = append(out, xorMask(seed, ibeSeedMask(gt))...)
	return append(out, xorMask(msg, ibeMessageMask(seed, len(msg)))...), nil
}

// ErrIBEDecrypt reports an IBE ciphertext that does not decrypt under the
// given key.
var ErrIBEDecrypt = errors.New("vetkd: IBE decryption failed")

// IBEDecrypt decrypts an IBE ciphertext with the vetKey of its identity. It
// returns ErrIBEDecrypt unless the ciphertext is exactly what encryption of
// the recovered message with the recovered seed gives.
func IBEDecrypt(key *VetKey, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) < IBEOverhead {
		return nil, fmt.Errorf("vetkd: IBE ciphertext is %d bytes, less than %d", len(ciphertext), IBEOverhead)
	}
	if string(ciphertext[:len(ibeHeader)]) != ibeHeader {
		return nil, errors.New("vetkd: IBE ciphertext has an unknown header")
	}
	rest := ciphertext[len(ibeHeader):]
	c1b, maskedSeed, maskedMsg := rest[:bls12381.G2PointLen], rest[bls12381.G2PointLen:bls12381.G2PointLen+IBESeedSize], rest[bls12381.G2PointLen+IBESeedSize:]
	c1, err := decodeG2(c1b)
	if err != nil {
		return nil, fmt.Errorf("vetkd: IBE ciphertext: %w", err)
	}
	gt := bls12381.PairingBytes(key.p, c1)
	defer clear(gt)
	seed := xorMask(maskedSeed, ibeSeedMask(gt))
	defer clear(seed)
	msg := xorMask(maskedMsg, ibeMessageMask(seed, len(maskedMsg)))
	t := ibeScalar(seed, msg)
	defer t.Zeroize()
	if subtle.ConstantTimeCompare(g2().NewPoint().ScalarBaseMult(t).Bytes(), c1b) != 1 {
		clear(msg)
		return nil, ErrIBEDecrypt
	}
	return msg, nil
}

// ibeScalar is t = hash_to_scalar(header ‖ seed ‖ msg).
func ibeScalar(seed, msg []byte) group.Scalar {
	in := make([]byte, 0, len(ibeHeader)+len(seed)+len(msg))
	in = append(append(append(in, ibeHeader...), seed...), msg...)
	t, err := group.HashToScalar(g2(), in, []byte(dstIBEHashMask))
	clear(in)
	if err != nil {
		panic("vetkd: hash to scalar: " + err.Error())
	}
	return t
}

// ibeSeedMask is HKDF-SHA-256(GT bytes, info mask-seed), 32 bytes.
func ibeSeedMask(gt []byte) []byte {
	m, err := hkdf.Key(sha256.New, gt, nil, dstIBEMaskSeed, IBESeedSize)
	if err != nil {
		panic("vetkd: hkdf: " + err.Error())
	}
	return m
}

// ibeMessageMask is SHAKE-256 of HKDF-SHA-256(seed, info mask-msg-<len as
// 20 decimal digits>), n bytes.
func ibeMessageMask(seed []byte, n int) []byte {
	k, err := hkdf.Key(sha256.New, seed, nil, fmt.Sprintf("%s%020d", dstIBEMaskMsg, n), 32)
	if err != nil {
		panic("vetkd: hkdf: " + err.Error())
	}
	defer clear(k)
	return sha3.SumSHAKE256(k, n)
}

func xorMask(b, mask []byte) []byte {
	out := make([]byte, len(b))
	subtle.XORBytes(out, b, mask)
	return out
}
