package dkg

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// ErrShareMismatch is returned when a share does not match a commitment.
var ErrShareMismatch = errors.New("dkg: share does not match commitment")

// ShareVerifier is a public commitment to a sharing that can check the share
// of one recipient. Openings are checked through it, so complaints and
// openings work for every kind of dealing: FeldmanCommitment (one scalar per
// share, C_k = a_k·G) is implemented here; a Pedersen commitment (two
// scalars per share, C_k = a_k·G + b_k·H) implements the same interface.
type ShareVerifier interface {
	// PayloadScalars is the number of scalars in a share (1 or 2).
	PayloadScalars() int
	// VerifyShare returns nil if share is recipient's share under the
	// commitment, and an error wrapping ErrShareMismatch if it is not.
	VerifyShare(recipient int, share SharePayload) error
}

// FeldmanCommitment is a Feldman commitment to a polynomial, as a
// ShareVerifier.
type FeldmanCommitment struct {
	*poly.Commitment
}

// PayloadScalars returns 1.
func (FeldmanCommitment) PayloadScalars() int { return 1 }

// VerifyShare checks share·G = Σ C_k (recipient+1)^k.
func (c FeldmanCommitment) VerifyShare(recipient int, share SharePayload) error {
	if len(share.Scalars) != 1 || share.Scalars[0] == nil {
		return fmt.Errorf("dkg: Feldman share of %d scalars", len(share.Scalars))
	}
	if !verifyFeldman(c.Commitment, recipient, share.Scalars[0]) {
		return fmt.Errorf("dkg: recipient %d: %w", recipient, ErrShareMismatch)
	}
	return nil
}

// ShareCheck is one Feldman share to check: Share·G must equal Commitment
// evaluated at x = Recipient+1.
type ShareCheck struct {
	Commitment *poly.Commitment
	Recipient  int
	Share      group.Scalar
}

// BatchVerifyShares checks every share against its commitment at once.
// Each commitment is first evaluated at its recipient's small index
// x = Recipient+1 by Horner's rule (a few doublings and additions per
// coefficient, see EvalCommitment); then one multi-scalar multiplication
// checks the random linear combination Σ_j ρ_j·(E_j − s_j·G) = O. The
// coefficients ρ_j are derived by hashing every E_j, s_j and recipient, so
// the check is deterministic, and a false share passes with probability
// about n/|group|. It returns nil when all shares match; on failure the
// caller checks them one by one (FeldmanCommitment.VerifyShare) to name the
// bad ones.
func BatchVerifyShares(g group.Group, checks []ShareCheck) error {
	if len(checks) == 0 {
		return nil
	}
	seed := newTranscript("chainkey/dkg/batch-verify-v1")
	evals := make([]group.Point, 0, len(checks)+1)
	for j, c := range checks {
		if c.Commitment == nil || c.Share == nil || c.Commitment.Group().Name() != g.Name() {
			return fmt.Errorf("dkg: batch verify: check %d malformed", j)
		}
		e, err := EvalCommitment(c.Commitment, c.Recipient)
		if err != nil {
			return fmt.Errorf("dkg: batch verify: %w", err)
		}
		seed.AppendUint64("recipient", uint64(c.Recipient))
		seed.AppendBytes("evaluation", e.Bytes())
		seed.AppendScalar("share", g, c.Share)
		evals = append(evals, e)
	}
	rho := seed.Challenge("rho", g)
	scalars := make([]group.Scalar, 0, len(checks)+1)
	base := g.NewScalar()
	r := g.NewScalar().Set(rho)
	tmp := g.NewScalar()
	for _, c := range checks {
		base.Sub(base, tmp.Mul(r, c.Share))
		scalars = append(scalars, g.NewScalar().Set(r))
		r.Mul(r, rho)
	}
	scalars = append(scalars, base)
	evals = append(evals, g.Generator())
	sum, err := g.MultiScalarMult(scalars, evals)
	if err != nil {
		return fmt.Errorf("dkg: batch verify: %w", err)
	}
	if !sum.IsIdentity() {
		return ErrShareMismatch
	}
	return nil
}

// EvalCommitment returns the commitment evaluated at x = i+1 (the public
// share of node index i), by Horner's rule with multiplications by the
// small integer x done by double-and-add: about t·(log2(x)+1) group
// additions instead of t full scalar multiplications. It is variable time,
// for public values.
func EvalCommitment(c *poly.Commitment, i int) (group.Point, error) {
	if i < 0 || i >= poly.MaxIndex {
		return nil, fmt.Errorf("dkg: node index %d out of range", i)
	}
	g := c.Group()
	pts := c.Points()
	x := uint64(i) + 1
	acc := g.NewPoint().Set(pts[len(pts)-1])
	base, tmp := g.NewPoint(), g.NewPoint()
	for k := len(pts) - 2; k >= 0; k-- {
		// acc = x·acc + C_k.
		base.Set(acc)
		for bit := bits.Len64(x) - 2; bit >= 0; bit-- {
			tmp.Add(acc, acc)
			acc, tmp = tmp, acc
			if x>>uint(bit)&1 == 1 {
				tmp.Add(acc, base)
				acc, tmp = tmp, acc
			}
		}
		tmp.Add(acc, pts[k])
		acc, tmp = tmp, acc
	}
	return acc, nil
}

// verifyFeldman reports whether share·G equals c at x = i+1.
func verifyFeldman(c *poly.Commitment, i int, share group.Scalar) bool {
	e, err := EvalCommitment(c, i)
	if err != nil {
		return false
	}
	return c.Group().NewPoint().ScalarBaseMult(share).Equal(e)
}
