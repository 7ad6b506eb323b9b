package vetkd

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
	"github.com/chainkey/chainkey/thresholdsig"
)

// Request is a vetkd_derive_key request as the subnet executes it.
type Request struct {
	// CanisterID is the caller's principal as raw bytes (the canister
	// whose key is derived).
	CanisterID []byte
	// Context is the derivation context; it may be empty.
	Context []byte
	// Input is the input the vetKey is derived for (the signed message).
	Input []byte
	// TransportPublicKey is the caller's 48-byte transport public key.
	TransportPublicKey []byte
}

// Derivation is one request bound to a master key: the derived public key,
// the hashed input and the transport key, computed once and shared by share
// creation, verification and combination. It is safe for concurrent use.
type Derivation struct {
	pc    *thresholdsig.PublicCoefficients
	delta group.Scalar // δ = δ_canister + δ_context, public
	shift group.Point  // δ·g2 = dpk − master
	dpk   *DerivedPublicKey
	tpk   *TransportPublicKey
	h     group.Point // H(dpk ‖ input)
}

// NewDerivation prepares req for the master key with public coefficients
// pc. It refuses a transport public key that does not decode strictly or is
// the identity.
func NewDerivation(pc *thresholdsig.PublicCoefficients, req *Request) (*Derivation, error) {
	if pc == nil || req == nil {
		return nil, errors.New("vetkd: derivation: nil public coefficients or request")
	}
	tpk, err := ParseTransportPublicKey(req.TransportPublicKey)
	if err != nil {
		return nil, fmt.Errorf("vetkd: derivation: %w", err)
	}
	master := pc.PublicKey().Point()
	d1, canister := deriveStep(master, req.CanisterID, dstCanister)
	delta := g2().NewScalar().Set(d1)
	dpk := canister
	if len(req.Context) > 0 {
		var d2 group.Scalar
		d2, dpk = deriveStep(canister.p, req.Context, dstContext)
		delta.Add(delta, d2)
	}
	return &Derivation{
		pc:    pc,
		delta: delta,
		shift: g2().NewPoint().Sub(dpk.p, master),
		dpk:   dpk,
		tpk:   tpk,
		h:     augmentedHash(dpk, req.Input),
	}, nil
}

// PublicKey returns the derived public key of the request's canister and
// context, the key under which the vetKey verifies.
func (d *Derivation) PublicKey() *DerivedPublicKey { return d.dpk }

// Threshold returns the number of valid shares needed to combine.
func (d *Derivation) Threshold() int { return d.pc.Threshold() }

// CreateShare returns the 192-byte encrypted key share of the node holding
// sk: with s_i = sk + δ its share of the derived secret key and r random,
// C1 = r·g1, C2 = r·g2, C3 = r·tpk + s_i·H(dpk ‖ input). Every
// multiplication by a secret runs in constant time.
func (d *Derivation) CreateShare(rand io.Reader, sk *thresholdsig.SecretKeyShare) ([]byte, error) {
	if sk == nil {
		return nil, errors.New("vetkd: create share: nil secret key share")
	}
	s := sk.Scalar()
	defer s.Zeroize()
	if s.IsZero() {
		return nil, errors.New("vetkd: create share: zeroized secret key share")
	}
	s.Add(s, d.delta)
	r, err := g1().RandomScalar(rand)
	if err != nil {
		return nil, fmt.Errorf("vetkd: create share: %w", err)
	}
	defer r.Zeroize()
	c3 := g1().NewPoint().ScalarMult(r, d.tpk.p)
	c3.Add(c3, g1().NewPoint().ScalarMult(s, d.h))
	ek := &EncryptedKey{
		c1: g1().NewPoint().ScalarBaseMult(r),
		c2: g2().NewPoint().ScalarBaseMult(r),
		c3: c3,
	}
	if ek.c3.IsIdentity() {
		return nil, errors.New("vetkd: create share: C3 is the identity")
	}
	return ek.Bytes(), nil
}

// VerifyShare checks the encrypted key share of node index against the
// node's public key share: with K_i = f(index+1)·g2 + δ·g2 its derived key,
// e(C1, g2) = e(g1, C2) and e(C3, g2) = e(tpk, C2) · e(H(dpk ‖ input), K_i).
// It returns an error wrapping ErrInvalidKey for an invalid share.
func (d *Derivation) VerifyShare(index int, share []byte) error {
	ek, err := ParseEncryptedKey(share)
	if err != nil {
		return fmt.Errorf("vetkd: verify share of node %d: %w", index, err)
	}
	if err := d.verifyShare(index, ek); err != nil {
		return fmt.Errorf("vetkd: verify share of node %d: %w", index, err)
	}
	return nil
}

func (d *Derivation) verifyShare(index int, ek *EncryptedKey) error {
	pk, err := d.pc.NodePublicKey(index)
	if err != nil {
		return err
	}
	pk.Add(pk, d.shift)
	ok, err := checkEncrypted(ek, d.tpk.p, pk, d.h)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInvalidKey
	}
	return nil
}

// Verify checks a combined encrypted key against the derived public key
// (see EncryptedKey.Verify).
func (d *Derivation) Verify(ek *EncryptedKey) error {
	ok, err := checkEncrypted(ek, d.tpk.p, d.dpk.p, d.h)
	if err != nil {
		return fmt.Errorf("vetkd: verify encrypted key: %w", err)
	}
	if !ok {
		return fmt.Errorf("vetkd: verify encrypted key: %w", ErrInvalidKey)
	}
	return nil
}

// Combine combines encrypted key shares, keyed by node index, into the
// encrypted key without trusting any share. It interpolates the first t
// well-formed shares (by index) and verifies the result; if that fails it
// verifies every share against its node's key, drops the bad ones and
// combines again. bad names, in increasing order, the nodes whose shares
// were malformed or found invalid (shares not needed may go unchecked). err
// is nil exactly when ek is a valid encrypted key; it is non-nil when fewer
// than t valid shares remain.
func (d *Derivation) Combine(shares map[int][]byte) (ek *EncryptedKey, bad []int, err error) {
	t := d.pc.Threshold()
	indices := make([]int, 0, len(shares))
	for i := range shares {
		if i < 0 || i >= thresholdsig.MaxNodes {
			return nil, nil, fmt.Errorf("vetkd: combine: node index %d out of range [0, %d)", i, thresholdsig.MaxNodes)
		}
		indices = append(indices, i)
	}
	slices.Sort(indices)
	var good []int
	var parsed []*EncryptedKey
	for _, i := range indices {
		k, err := ParseEncryptedKey(shares[i])
		if err != nil {
			bad = append(bad, i)
			continue
		}
		good = append(good, i)
		parsed = append(parsed, k)
	}
	if len(good) < t {
		return nil, bad, fmt.Errorf("vetkd: combine: %d well-formed shares, need %d (malformed: %v)", len(good), t, bad)
	}
	ek, err = interpolate(good[:t], parsed[:t])
	if err == nil && d.Verify(ek) == nil {
		return ek, bad, nil
	}

	// Some share is bad: check each one and keep the valid ones.
	var okIdx []int
	var okKeys []*EncryptedKey
	for j, i := range good {
		if d.verifyShare(i, parsed[j]) != nil {
			bad = append(bad, i)
			continue
		}
		okIdx = append(okIdx, i)
		okKeys = append(okKeys, parsed[j])
	}
	slices.Sort(bad)
	if len(okIdx) < t {
		return nil, bad, fmt.Errorf("vetkd: combine: %d valid shares, need %d: %w from nodes %v",
			len(okIdx), t, ErrInvalidKey, bad)
	}
	ek, err = interpolate(okIdx[:t], okKeys[:t])
	if err != nil {
		return nil, bad, fmt.Errorf("vetkd: combine: %w", err)
	}
	if err := d.Verify(ek); err != nil {
		// Cannot happen for t valid shares of the master key's polynomial.
		return nil, bad, fmt.Errorf("vetkd: combine: recombined key: %w", err)
	}
	return ek, bad, nil
}

// interpolate returns the encrypted key whose three points are the
// interpolations at zero of the shares' points, refusing an identity point.
func interpolate(indices []int, shares []*EncryptedKey) (*EncryptedKey, error) {
	lambdas, err := poly.LagrangeAtZero(g1(), indices)
	if err != nil {
		return nil, err
	}
	c1s := make([]group.Point, len(shares))
	c2s := make([]group.Point, len(shares))
	c3s := make([]group.Point, len(shares))
	for j, s := range shares {
		c1s[j], c2s[j], c3s[j] = s.c1, s.c2, s.c3
	}
	var ek EncryptedKey
	if ek.c1, err = g1().MultiScalarMult(lambdas, c1s); err != nil {
		return nil, err
	}
	if ek.c2, err = g2().MultiScalarMult(lambdas, c2s); err != nil {
		return nil, err
	}
	if ek.c3, err = g1().MultiScalarMult(lambdas, c3s); err != nil {
		return nil, err
	}
	if ek.c1.IsIdentity() || ek.c2.IsIdentity() || ek.c3.IsIdentity() {
		return nil, errors.New("combined encrypted key has an identity point")
	}
	return &ek, nil
}
