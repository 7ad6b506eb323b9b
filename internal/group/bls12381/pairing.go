package bls12381

import (
	"errors"
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"

	"github.com/chainkey/chainkey/internal/group"
)

// HashToG1 hashes msg to G1 with the RFC 9380 suite
// BLS12381G1_XMD:SHA-256_SSWU_RO_ under the domain separation tag dst.
func HashToG1(msg, dst []byte) (group.Point, error) {
	a, err := bls.HashToG1(msg, dst)
	if err != nil {
		return nil, fmt.Errorf("bls12381: hash to G1: %w", err)
	}
	p := new(G1Point)
	p.p.FromAffine(&a)
	return p, nil
}

// PairingCheck reports whether the product of the pairings e(g1s[i], g2s[i])
// is the identity of GT. The slices must have the same, non-zero length and
// hold G1 and G2 points respectively. It runs in variable time.
func PairingCheck(g1s, g2s []group.Point) (bool, error) {
	if len(g1s) != len(g2s) {
		return false, fmt.Errorf("bls12381: pairing check: %d G1 and %d G2 points", len(g1s), len(g2s))
	}
	if len(g1s) == 0 {
		return false, errors.New("bls12381: pairing check: no pairs")
	}
	ps := make([]bls.G1Affine, len(g1s))
	qs := make([]bls.G2Affine, len(g2s))
	for i := range g1s {
		ps[i] = toG1(g1s[i]).Affine()
		qs[i] = toG2(g2s[i]).Affine()
	}
	ok, err := bls.PairingCheck(ps, qs)
	if err != nil {
		return false, fmt.Errorf("bls12381: pairing check: %w", err)
	}
	return ok, nil
}
