package thresholdsig

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// PublicCoefficients is the public polynomial of a threshold key: the
// commitments C_k = a_k·g2 to the coefficients of the secret polynomial f.
// Its constant term is the group public key, its length the threshold t, and
// its value at x = i+1 the public key of node index i.
//
// Node public keys are computed on first use and cached; a
// PublicCoefficients is safe for concurrent use and must not be copied.
type PublicCoefficients struct {
	c   *poly.Commitment
	pk  *PublicKey
	enc []byte // Bytes(), computed once

	mu       sync.Mutex
	nodeKeys map[int]group.Point
}

// NewPublicCoefficients returns the public coefficients of a G2 commitment,
// as produced by a DKG. The commitment must be over BLS12-381 G2, hold
// between 1 and MaxNodes points, and none may be the identity (a zero
// coefficient of a random polynomial has negligible probability; a zero
// constant term would be a known key). The points are copied.
func NewPublicCoefficients(c *poly.Commitment) (*PublicCoefficients, error) {
	if c == nil {
		return nil, errors.New("thresholdsig: nil commitment")
	}
	if c.Group() == nil || c.Group().Name() != g2().Name() {
		return nil, errors.New("thresholdsig: commitment is not over BLS12-381 G2")
	}
	pts := c.Points()
	if len(pts) < 1 || len(pts) > MaxNodes {
		return nil, fmt.Errorf("thresholdsig: commitment has %d points, want 1..%d", len(pts), MaxNodes)
	}
	cp := make([]group.Point, len(pts))
	for k, p := range pts {
		if p == nil || p.IsIdentity() {
			return nil, fmt.Errorf("thresholdsig: commitment point %d is the identity", k)
		}
		cp[k] = g2().NewPoint().Set(p)
	}
	return newPublicCoefficients(cp)
}

func newPublicCoefficients(pts []group.Point) (*PublicCoefficients, error) {
	c, err := poly.NewCommitment(g2(), pts)
	if err != nil {
		return nil, fmt.Errorf("thresholdsig: %w", err)
	}
	enc := make([]byte, 0, len(pts)*PublicKeySize)
	for _, p := range pts {
		enc = append(enc, p.Bytes()...)
	}
	return &PublicCoefficients{
		c:        c,
		enc:      enc,
		pk:       &PublicKey{p: g2().NewPoint().Set(pts[0])},
		nodeKeys: make(map[int]group.Point),
	}, nil
}

// ParsePublicCoefficients decodes the encoding written by Bytes: t
// compressed G2 points of 96 bytes each, constant term first, every one
// strictly decoded (and so none the identity), 1 ≤ t ≤ MaxNodes.
func ParsePublicCoefficients(b []byte) (*PublicCoefficients, error) {
	if len(b) == 0 || len(b)%PublicKeySize != 0 {
		return nil, fmt.Errorf("thresholdsig: public coefficients are %d bytes, not a positive multiple of %d",
			len(b), PublicKeySize)
	}
	t := len(b) / PublicKeySize
	if t > MaxNodes {
		return nil, fmt.Errorf("thresholdsig: %d public coefficients, more than %d", t, MaxNodes)
	}
	pts := make([]group.Point, t)
	for k := range pts {
		p, err := g2().DecodePoint(b[k*PublicKeySize : (k+1)*PublicKeySize])
		if err != nil {
			return nil, fmt.Errorf("thresholdsig: public coefficient %d: %w", k, err)
		}
		pts[k] = p
	}
	return newPublicCoefficients(pts)
}

// Bytes encodes the coefficients as t concatenated 96-byte compressed G2
// points, constant term first.
func (pc *PublicCoefficients) Bytes() []byte { return slices.Clone(pc.enc) }

// PublicKey returns the group public key, the constant term.
func (pc *PublicCoefficients) PublicKey() *PublicKey { return pc.pk }

// Threshold returns t, the number of signature shares needed to sign.
func (pc *PublicCoefficients) Threshold() int { return pc.c.Len() }

// Commitment returns a copy of the coefficients as a poly.Commitment over G2.
func (pc *PublicCoefficients) Commitment() *poly.Commitment {
	pts := make([]group.Point, pc.c.Len())
	for k, p := range pc.c.Points() {
		pts[k] = g2().NewPoint().Set(p)
	}
	c, _ := poly.NewCommitment(g2(), pts)
	return c
}

// Equal reports whether both hold the same coefficients.
func (pc *PublicCoefficients) Equal(o *PublicCoefficients) bool {
	return pc != nil && o != nil && pc.c.Equal(o.c)
}

// NodePublicKey returns (a copy of) the public key of node index i, the
// public polynomial evaluated at x = i+1: the G2 point f(i+1)·g2 under which
// that node's signature shares verify.
func (pc *PublicCoefficients) NodePublicKey(i int) (group.Point, error) {
	p, err := pc.nodeKey(i)
	if err != nil {
		return nil, err
	}
	return g2().NewPoint().Set(p), nil
}

// nodeKey returns the cached public key of node index i (not a copy).
func (pc *PublicCoefficients) nodeKey(i int) (group.Point, error) {
	if err := checkIndex(i); err != nil {
		return nil, err
	}
	pc.mu.Lock()
	p, ok := pc.nodeKeys[i]
	pc.mu.Unlock()
	if ok {
		return p, nil
	}
	p = pc.c.EvalAt(i)
	pc.mu.Lock()
	pc.nodeKeys[i] = p
	pc.mu.Unlock()
	return p, nil
}
