package bls12381

import (
	"errors"
	"fmt"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	blst "github.com/supranational/blst/bindings/go"

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

// PreparedG2 holds the Miller-loop line evaluations of a fixed G2 point, so
// that pairing checks against it (a public key verified against again and
// again, or the generator) skip the G2 arithmetic of the Miller loop.
type PreparedG2 struct {
	lines [2][len(bls.LoopCounter) - 1]bls.LineEvaluationAff
}

// PrepareG2 precomputes the line evaluations of the G2 point q.
func PrepareG2(q group.Point) *PreparedG2 {
	return &PreparedG2{lines: bls.PrecomputeLines(toG2(q).Affine())}
}

// PairingCheckPrepared is PairingCheck with every G2 point prepared by
// PrepareG2. It runs in variable time.
func PairingCheckPrepared(g1s []group.Point, g2s []*PreparedG2) (bool, error) {
	if len(g1s) != len(g2s) {
		return false, fmt.Errorf("bls12381: pairing check: %d G1 and %d G2 points", len(g1s), len(g2s))
	}
	if len(g1s) == 0 {
		return false, errors.New("bls12381: pairing check: no pairs")
	}
	ps := make([]bls.G1Affine, len(g1s))
	lines := make([][2][len(bls.LoopCounter) - 1]bls.LineEvaluationAff, len(g2s))
	for i := range g1s {
		ps[i] = toG1(g1s[i]).Affine()
		lines[i] = g2s[i].lines
	}
	ok, err := bls.PairingCheckFixedQ(ps, lines)
	if err != nil {
		return false, fmt.Errorf("bls12381: pairing check: %w", err)
	}
	return ok, nil
}

// GTSize is the length of a serialised element of the target group GT.
const GTSize = bls.SizeOfGT

// PairingBytes returns e(p, q) for a G1 point p and a G2 point q, serialised
// as 12 big-endian base field elements, highest coefficient of the tower
// first (c1.b2.a1, c1.b2.a0, …, c0.b0.a0): the byte order of the Internet
// Computer's Gt::serialize and of gnark-crypto's GT.Bytes. It runs in time
// independent of the points (blst), for pairings with a secret point such as
// identity-based decryption.
func PairingBytes(p, q group.Point) []byte {
	f := blst.Fp12MillerLoop(g2ToBlst(&toG2(q).p), g1ToBlst(&toG1(p).p))
	f.FinalExp()
	// blst writes the coefficients as (b_i, c_j, a_k) for i, j, k = 0, 1
	// with b outermost; reorder them to c1.b2.a1 first.
	in := f.ToBendian()
	out := make([]byte, GTSize)
	const n = fp.Bytes
	for i := range 3 { // Fp6 coefficient b_i
		for j := range 2 { // Fp12 coefficient c_j
			for k := range 2 { // Fp2 coefficient a_k
				src := 4*i + 2*j + k
				dst := 11 - (6*j + 2*i + k)
				copy(out[dst*n:(dst+1)*n], in[src*n:(src+1)*n])
			}
		}
	}
	clear(in)
	return out
}
