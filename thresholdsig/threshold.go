package thresholdsig

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// Deal creates a fresh threshold key as a trusted dealer would: a random
// polynomial of degree t-1, its public coefficients, and the shares f(i+1)
// of the nodes i = 0..n-1. It is meant for tests and local tools; a subnet
// creates its keys with the DKG, which hands them over through
// NewPublicCoefficients and NewSecretKeyShare. It requires
// 1 ≤ t ≤ n ≤ MaxNodes.
func Deal(n, t int, rand io.Reader) (*PublicCoefficients, []*SecretKeyShare, error) {
	if t < 1 || t > n || n > MaxNodes {
		return nil, nil, fmt.Errorf("thresholdsig: deal: need 1 ≤ t ≤ n ≤ %d, got n=%d t=%d", MaxNodes, n, t)
	}
	f, err := poly.Random(g2(), t-1, nil, rand)
	if err != nil {
		return nil, nil, fmt.Errorf("thresholdsig: deal: %w", err)
	}
	defer f.Zeroize()
	if f.Coefficient(0).IsZero() {
		return nil, nil, errors.New("thresholdsig: deal: zero secret")
	}
	pc, err := NewPublicCoefficients(f.Commit())
	if err != nil {
		return nil, nil, fmt.Errorf("thresholdsig: deal: %w", err)
	}
	shares := make([]*SecretKeyShare, n)
	for i := range shares {
		s := f.EvalAt(i)
		shares[i], err = NewSecretKeyShare(i, s)
		s.Zeroize()
		if err != nil {
			return nil, nil, fmt.Errorf("thresholdsig: deal: share %d: %w", i, err)
		}
	}
	return pc, shares, nil
}

// SignShare returns the 48-byte signature share of sk on msg:
// f(i+1)·H(msg), computed in constant time. It verifies under the node's
// public key as an ordinary BLS signature.
func SignShare(sk *SecretKeyShare, msg []byte) ([]byte, error) {
	if sk == nil || sk.s == nil || sk.s.IsZero() {
		return nil, errors.New("thresholdsig: sign: empty or zeroized secret key share")
	}
	h, err := hashMessage(msg)
	if err != nil {
		return nil, err
	}
	return g1().NewPoint().ScalarMult(sk.s, h).Bytes(), nil
}

// VerifyShare checks the signature share of node index on msg against the
// node's public key derived from pc.
func VerifyShare(pc *PublicCoefficients, index int, msg, share []byte) error {
	if pc == nil {
		return errors.New("thresholdsig: verify share: nil public coefficients")
	}
	pk, err := pc.nodeKey(index)
	if err != nil {
		return fmt.Errorf("thresholdsig: verify share %d: %w", index, err)
	}
	s, err := decodeSignature(share)
	if err != nil {
		return fmt.Errorf("thresholdsig: verify share %d: %w", index, err)
	}
	h, err := hashMessage(msg)
	if err != nil {
		return err
	}
	if err := verifyHashed(pk, h, s); err != nil {
		return fmt.Errorf("thresholdsig: verify share %d: %w", index, ErrInvalidShare)
	}
	return nil
}

// Combine interpolates t signature shares into the group signature:
// σ = Σ λ_j σ_j with λ_j the Lagrange coefficients at zero for the points
// x_j = indices[j]+1, computed with one multi-scalar multiplication in G1.
// shares[j] is the share of node indices[j]. If more than t shares are
// given, the first t are combined (all are decoded and checked). Combine
// does not verify the result; use CombineVerified or Verify.
func Combine(t int, indices []int, shares [][]byte) ([]byte, error) {
	if t < 1 || t > MaxNodes {
		return nil, fmt.Errorf("thresholdsig: combine: threshold %d out of range [1, %d]", t, MaxNodes)
	}
	if len(indices) != len(shares) {
		return nil, fmt.Errorf("thresholdsig: combine: %d indices for %d shares", len(indices), len(shares))
	}
	if len(shares) < t {
		return nil, fmt.Errorf("thresholdsig: combine: %d shares, need %d", len(shares), t)
	}
	if err := checkIndices(indices); err != nil {
		return nil, fmt.Errorf("thresholdsig: combine: %w", err)
	}
	pts := make([]group.Point, len(shares))
	for j, b := range shares {
		p, err := decodeSignature(b)
		if err != nil {
			return nil, fmt.Errorf("thresholdsig: combine: share of node %d: %w", indices[j], err)
		}
		pts[j] = p
	}
	sig, err := interpolate(indices[:t], pts[:t])
	if err != nil {
		return nil, fmt.Errorf("thresholdsig: combine: %w", err)
	}
	return sig.Bytes(), nil
}

// interpolate returns Σ λ_j pts[j] at zero, refusing an identity result.
func interpolate(indices []int, pts []group.Point) (group.Point, error) {
	sig, err := poly.InterpolatePoint(g1(), indices, pts)
	if err != nil {
		return nil, err
	}
	if sig.IsIdentity() {
		return nil, errors.New("combined signature is the identity")
	}
	return sig, nil
}

// checkIndices refuses negative, oversized and duplicate node indices.
func checkIndices(indices []int) error {
	seen := make(map[int]struct{}, len(indices))
	for _, i := range indices {
		if err := checkIndex(i); err != nil {
			return err
		}
		if _, dup := seen[i]; dup {
			return fmt.Errorf("duplicate node index %d", i)
		}
		seen[i] = struct{}{}
	}
	return nil
}

// decodedShares strictly decodes a map of shares in increasing index order.
// Shares that do not decode are returned in bad.
func decodedShares(shares map[int][]byte) (indices []int, pts []group.Point, raw [][]byte, bad []int, err error) {
	all := make([]int, 0, len(shares))
	for i := range shares {
		if err := checkIndex(i); err != nil {
			return nil, nil, nil, nil, err
		}
		all = append(all, i)
	}
	slices.Sort(all)
	for _, i := range all {
		p, err := decodeSignature(shares[i])
		if err != nil {
			bad = append(bad, i)
			continue
		}
		indices = append(indices, i)
		pts = append(pts, p)
		raw = append(raw, shares[i])
	}
	return indices, pts, raw, bad, nil
}

// CombineVerified combines signature shares (keyed by node index) into a
// signature on msg that verifies under pc's group key, without trusting any
// share. It combines the first t well-formed shares (by index) and verifies
// the result; if that fails it verifies every share against its node's
// public key, drops the bad ones and combines again. bad names, in
// increasing order, the nodes whose shares were found malformed or invalid
// (shares not needed may go unchecked). err is nil exactly when sig is a
// valid signature; it is non-nil when fewer than t valid shares remain.
func CombineVerified(pc *PublicCoefficients, msg []byte, shares map[int][]byte) (sig []byte, bad []int, err error) {
	if pc == nil {
		return nil, nil, errors.New("thresholdsig: combine verified: nil public coefficients")
	}
	t := pc.Threshold()
	indices, pts, _, bad, err := decodedShares(shares)
	if err != nil {
		return nil, nil, fmt.Errorf("thresholdsig: combine verified: %w", err)
	}
	if len(indices) < t {
		return nil, bad, fmt.Errorf("thresholdsig: combine verified: %d well-formed shares, need %d (malformed: %v)",
			len(indices), t, bad)
	}
	h, err := hashMessage(msg)
	if err != nil {
		return nil, nil, err
	}
	s, err := interpolate(indices[:t], pts[:t])
	if err == nil && verifyHashed(pc.pk.p, h, s) == nil {
		return s.Bytes(), bad, nil
	}

	// Some share is bad: check each one and keep only the valid ones.
	var goodIdx []int
	var goodPts []group.Point
	for j, i := range indices {
		pk, err := pc.nodeKey(i)
		if err != nil {
			return nil, nil, fmt.Errorf("thresholdsig: combine verified: %w", err)
		}
		if verifyHashed(pk, h, pts[j]) != nil {
			bad = append(bad, i)
			continue
		}
		goodIdx = append(goodIdx, i)
		goodPts = append(goodPts, pts[j])
	}
	slices.Sort(bad)
	if len(goodIdx) < t {
		return nil, bad, fmt.Errorf("thresholdsig: combine verified: %d valid shares, need %d: %w from nodes %v",
			len(goodIdx), t, ErrInvalidShare, bad)
	}
	s, err = interpolate(goodIdx[:t], goodPts[:t])
	if err != nil {
		return nil, bad, fmt.Errorf("thresholdsig: combine verified: %w", err)
	}
	if err := verifyHashed(pc.pk.p, h, s); err != nil {
		// Cannot happen for t valid shares of pc's polynomial.
		return nil, bad, fmt.Errorf("thresholdsig: combine verified: recombined signature: %w", err)
	}
	return s.Bytes(), bad, nil
}

// batchTag domain-separates the derivation of batch verification
// coefficients.
const batchTag = "chainkey/thresholdsig/batch-verify-shares-v1"

// BatchVerifyShares verifies many signature shares on one message at the
// cost of about one pairing check. With 128-bit coefficients r_i it checks
//
//	e(Σ r_i σ_i, g2) = e(H(msg), Σ_k (Σ_i r_i x_i^k) C_k)
//
// where the right-hand key is Σ r_i PK_i rewritten over the t public
// coefficients C_k, so no node public key needs to be computed. A batch
// containing any invalid share passes with probability about 2^-128. The
// coefficients are derived by hashing the group key, the message and every
// (index, share), so they are fixed only once every share is.
//
// It returns (nil, nil) when every share is valid. Otherwise bad lists, in
// increasing order, the nodes whose shares are malformed or invalid (found by
// checking each share on its own once the batch fails) and err wraps
// ErrInvalidShare. Other errors (no shares, an index out of range) come with
// a nil bad.
func BatchVerifyShares(pc *PublicCoefficients, msg []byte, shares map[int][]byte) (bad []int, err error) {
	if pc == nil {
		return nil, errors.New("thresholdsig: batch verify shares: nil public coefficients")
	}
	if len(shares) == 0 {
		return nil, errors.New("thresholdsig: batch verify shares: no shares")
	}
	indices, pts, raw, bad, err := decodedShares(shares)
	if err != nil {
		return nil, fmt.Errorf("thresholdsig: batch verify shares: %w", err)
	}
	if len(indices) == 0 {
		return bad, fmt.Errorf("thresholdsig: batch verify shares: %w from nodes %v", ErrInvalidShare, bad)
	}
	h, err := hashMessage(msg)
	if err != nil {
		return nil, err
	}
	if !batchCheck(pc, msg, h, indices, pts, raw) {
		for j, i := range indices {
			pk, err := pc.nodeKey(i)
			if err != nil {
				return nil, fmt.Errorf("thresholdsig: batch verify shares: %w", err)
			}
			if verifyHashed(pk, h, pts[j]) != nil {
				bad = append(bad, i)
			}
		}
	}
	if len(bad) == 0 {
		return nil, nil
	}
	slices.Sort(bad)
	return bad, fmt.Errorf("thresholdsig: batch verify shares: %w from nodes %v", ErrInvalidShare, bad)
}

// batchCheck runs the random-linear-combination check over decoded shares.
func batchCheck(pc *PublicCoefficients, msg []byte, h group.Point, indices []int, pts []group.Point, raw [][]byte) bool {
	r := batchCoefficients(pc, msg, indices, raw)

	// Left: S = Σ r_i σ_i in G1.
	r1 := make([]group.Scalar, len(r))
	for j, v := range r {
		r1[j] = g1().ScalarFromBigInt(v)
	}
	s, err := g1().MultiScalarMult(r1, pts)
	if err != nil || s.IsIdentity() {
		return false
	}

	// Right: K = Σ_k a_k C_k with a_k = Σ_i r_i x_i^k, in G2.
	t := pc.Threshold()
	a := make([]group.Scalar, t)
	for k := range a {
		a[k] = g2().NewScalar()
	}
	for j, i := range indices {
		x := g2().NewScalar().SetUint64(uint64(i) + 1)
		pow := g2().ScalarFromBigInt(r[j]) // r_i x_i^k, from k = 0
		for k := range a {
			a[k].Add(a[k], pow)
			pow.Mul(pow, x)
		}
	}
	k, err := g2().MultiScalarMult(a, pc.c.Points())
	if err != nil {
		return false
	}
	return verifyHashed(k, h, s) == nil
}

// batchCoefficients derives one non-zero 128-bit coefficient per share from
// a hash of the whole batch; raw holds the shares' canonical encodings.
func batchCoefficients(pc *PublicCoefficients, msg []byte, indices []int, raw [][]byte) []*big.Int {
	d := sha256.New()
	field := func(b []byte) {
		d.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		d.Write(b)
	}
	field([]byte(batchTag))
	field(pc.enc)
	field(msg)
	field(binary.BigEndian.AppendUint64(nil, uint64(len(indices))))
	for j, i := range indices {
		field(binary.BigEndian.AppendUint64(nil, uint64(i)))
		field(raw[j])
	}
	seed := d.Sum(nil)

	out := make([]*big.Int, len(indices))
	for j := range out {
		e := sha256.New()
		e.Write(seed)
		e.Write(binary.BigEndian.AppendUint64(nil, uint64(j)))
		v := new(big.Int).SetBytes(e.Sum(nil)[:16])
		if v.Sign() == 0 {
			v.SetInt64(1)
		}
		out[j] = v
	}
	return out
}
