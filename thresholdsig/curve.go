package thresholdsig

import (
	"fmt"
	"sync"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
)

// This file is the package's only contact with the concrete curve: the two
// groups, hash-to-G1 and the pairing check.

func g1() group.Group { return bls12381.G1() }
func g2() group.Group { return bls12381.G2() }

// hashToG1 maps msg to G1 with the RFC 9380 suite
// BLS12381G1_XMD:SHA-256_SSWU_RO_ under dst. Signing and verification call it
// with DST; the test vectors call it with theirs.
func hashToG1(msg, dst []byte) (group.Point, error) {
	h, err := bls12381.HashToG1(msg, dst)
	if err != nil {
		return nil, fmt.Errorf("thresholdsig: hash to G1: %w", err)
	}
	return h, nil
}

// pairingCheck reports whether e(sig, g2) == e(h, pk), computed as one
// product of two Miller loops with a single final exponentiation:
// e(sig, -g2) · e(h, pk) == 1.
func pairingCheck(sig, h, pk group.Point) (bool, error) {
	negGen := g2().NewPoint().Neg(g2().Generator())
	ok, err := bls12381.PairingCheck([]group.Point{sig, h}, []group.Point{negGen, pk})
	if err != nil {
		return false, fmt.Errorf("thresholdsig: pairing check: %w", err)
	}
	return ok, nil
}

// isScalar reports whether s is a BLS12-381 scalar (of G1 or G2: they share
// the scalar field and its type).
func isScalar(s group.Scalar) bool {
	_, ok := s.(*bls12381.Scalar)
	return ok
}

// preparedNegGenerator holds the line evaluations of −g2, computed once and
// only read afterwards.
var preparedNegGenerator = sync.OnceValue(func() *bls12381.PreparedG2 {
	return bls12381.PrepareG2(g2().NewPoint().Neg(g2().Generator()))
})

// pairingCheckPrepared is pairingCheck for a public key whose line
// evaluations are precomputed: both G2 points of the check are then fixed,
// and the Miller loop does no G2 arithmetic.
func pairingCheckPrepared(sig, h group.Point, pk *bls12381.PreparedG2) (bool, error) {
	ok, err := bls12381.PairingCheckPrepared([]group.Point{sig, h}, []*bls12381.PreparedG2{preparedNegGenerator(), pk})
	if err != nil {
		return false, fmt.Errorf("thresholdsig: pairing check: %w", err)
	}
	return ok, nil
}
