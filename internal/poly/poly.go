package poly

import (
	"errors"
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
)

// MaxIndex bounds node indices; far below any group order, so x_i = i+1 is
// never zero modulo the order.
const MaxIndex = 1 << 20

// Poly is a secret polynomial a_0 + a_1 x + ... + a_d x^d. Zeroize it when done.
type Poly struct {
	g      group.Group
	coeffs []group.Scalar
}

// New returns the polynomial with the given coefficients (constant term first).
// The slice is used directly.
func New(g group.Group, coeffs []group.Scalar) (*Poly, error) {
	if len(coeffs) == 0 {
		return nil, errors.New("poly: no coefficients")
	}
	return &Poly{g: g, coeffs: coeffs}, nil
}

// Random returns a polynomial of the given degree with uniformly random
// coefficients. If constant is non-nil it becomes a_0 (copied).
func Random(g group.Group, degree int, constant group.Scalar, rand io.Reader) (*Poly, error) {
	if degree < 0 || degree >= MaxIndex {
		return nil, fmt.Errorf("poly: invalid degree %d", degree)
	}
	coeffs := make([]group.Scalar, degree+1)
	for k := range coeffs {
		if k == 0 && constant != nil {
			coeffs[0] = g.NewScalar().Set(constant)
			continue
		}
		s, err := g.RandomScalar(rand)
		if err != nil {
			return nil, fmt.Errorf("poly: random coefficient: %w", err)
		}
		coeffs[k] = s
	}
	return &Poly{g: g, coeffs: coeffs}, nil
}

// Degree returns the degree bound d (the number of coefficients minus one).
func (p *Poly) Degree() int { return len(p.coeffs) - 1 }

// Coefficient returns a copy of a_k.
func (p *Poly) Coefficient(k int) group.Scalar { return p.g.NewScalar().Set(p.coeffs[k]) }

// Eval returns p(x), by Horner's rule in constant time.
func (p *Poly) Eval(x group.Scalar) group.Scalar {
	r := p.g.NewScalar()
	for k := len(p.coeffs) - 1; k >= 0; k-- {
		r.Mul(r, x)
		r.Add(r, p.coeffs[k])
	}
	return r
}

// EvalAt returns the share of node index i, p(i+1).
func (p *Poly) EvalAt(i int) group.Scalar {
	x, err := Index(p.g, i)
	if err != nil {
		panic(err)
	}
	return p.Eval(x)
}

// Commit returns the Feldman commitment (a_k * G for every k), computed with
// constant-time base multiplication.
func (p *Poly) Commit() *Commitment {
	pts := make([]group.Point, len(p.coeffs))
	for k, a := range p.coeffs {
		pts[k] = p.g.NewPoint().ScalarBaseMult(a)
	}
	return &Commitment{g: p.g, points: pts}
}

// Zeroize overwrites every coefficient.
func (p *Poly) Zeroize() {
	for _, c := range p.coeffs {
		c.Zeroize()
	}
}

// Commitment is a public polynomial: commitments C_k to each coefficient.
type Commitment struct {
	g      group.Group
	points []group.Point
}

// NewCommitment returns the commitment made of points (constant term first).
func NewCommitment(g group.Group, points []group.Point) (*Commitment, error) {
	if len(points) == 0 {
		return nil, errors.New("poly: empty commitment")
	}
	return &Commitment{g: g, points: points}, nil
}

// Group returns the commitment's group.
func (c *Commitment) Group() group.Group { return c.g }

// Len returns the number of coefficients committed to (threshold t = degree+1).
func (c *Commitment) Len() int { return len(c.points) }

// Point returns C_k (not a copy).
func (c *Commitment) Point(k int) group.Point { return c.points[k] }

// Points returns the committed points (not copies).
func (c *Commitment) Points() []group.Point { return c.points }

// Constant returns C_0, the commitment to the shared secret.
func (c *Commitment) Constant() group.Point { return c.points[0] }

// Eval returns sum C_k x^k.
func (c *Commitment) Eval(x group.Scalar) group.Point {
	pows := make([]group.Scalar, len(c.points))
	pows[0] = c.g.NewScalar().SetUint64(1)
	for k := 1; k < len(pows); k++ {
		pows[k] = c.g.NewScalar().Mul(pows[k-1], x)
	}
	r, err := c.g.MultiScalarMult(pows, c.points)
	if err != nil {
		panic(err) // lengths always match
	}
	return r
}

// EvalAt returns the public share of node index i, the commitment at x = i+1.
func (c *Commitment) EvalAt(i int) group.Point {
	x, err := Index(c.g, i)
	if err != nil {
		panic(err)
	}
	return c.Eval(x)
}

// VerifyShare reports whether share * G equals the commitment at node index i.
func (c *Commitment) VerifyShare(i int, share group.Scalar) bool {
	if i < 0 || i >= MaxIndex {
		return false
	}
	return c.g.NewPoint().ScalarBaseMult(share).Equal(c.EvalAt(i))
}

// Add returns the coefficient-wise sum of c and o (the commitment to the sum
// of the polynomials). The shorter one is padded with the identity.
func (c *Commitment) Add(o *Commitment) *Commitment {
	n := max(len(c.points), len(o.points))
	pts := make([]group.Point, n)
	for k := range pts {
		p := c.g.NewPoint()
		if k < len(c.points) {
			p.Add(p, c.points[k])
		}
		if k < len(o.points) {
			p.Add(p, o.points[k])
		}
		pts[k] = p
	}
	return &Commitment{g: c.g, points: pts}
}

// Equal reports whether both commitments have the same points.
func (c *Commitment) Equal(o *Commitment) bool {
	if len(c.points) != len(o.points) {
		return false
	}
	for k := range c.points {
		if !c.points[k].Equal(o.points[k]) {
			return false
		}
	}
	return true
}

// Index returns x_i = i+1 as a scalar, refusing negative or oversized indices.
func Index(g group.Group, i int) (group.Scalar, error) {
	if i < 0 || i >= MaxIndex {
		return nil, fmt.Errorf("poly: node index %d out of range", i)
	}
	return g.NewScalar().SetUint64(uint64(i) + 1), nil
}

// LagrangeAtZero returns the Lagrange coefficients λ_j at x = 0 for the
// points x_j = indices[j]+1, so that f(0) = Σ λ_j f(x_j) for any polynomial
// of degree < len(indices). Indices must be distinct and in range.
func LagrangeAtZero(g group.Group, indices []int) ([]group.Scalar, error) {
	return LagrangeAt(g, g.NewScalar(), indices)
}

// LagrangeAt returns the Lagrange coefficients at x for the points
// x_j = indices[j]+1.
func LagrangeAt(g group.Group, x group.Scalar, indices []int) ([]group.Scalar, error) {
	if len(indices) == 0 {
		return nil, errors.New("poly: no indices to interpolate")
	}
	xs := make([]group.Scalar, len(indices))
	seen := make(map[int]bool, len(indices))
	for j, i := range indices {
		if seen[i] {
			return nil, fmt.Errorf("poly: duplicate node index %d", i)
		}
		seen[i] = true
		s, err := Index(g, i)
		if err != nil {
			return nil, err
		}
		xs[j] = s
	}
	// λ_j = Π_{m≠j} (x - x_m) / (x_j - x_m). Batch the inversions into one.
	nums := make([]group.Scalar, len(xs))
	dens := make([]group.Scalar, len(xs))
	tmp := g.NewScalar()
	for j := range xs {
		num := g.NewScalar().SetUint64(1)
		den := g.NewScalar().SetUint64(1)
		for m := range xs {
			if m == j {
				continue
			}
			num.Mul(num, tmp.Sub(x, xs[m]))
			den.Mul(den, tmp.Sub(xs[j], xs[m]))
		}
		nums[j], dens[j] = num, den
	}
	inv := batchInvert(g, dens)
	out := make([]group.Scalar, len(xs))
	for j := range xs {
		out[j] = g.NewScalar().Mul(nums[j], inv[j])
	}
	return out, nil
}

// batchInvert inverts every (non-zero) element with one field inversion.
func batchInvert(g group.Group, v []group.Scalar) []group.Scalar {
	prefix := make([]group.Scalar, len(v))
	acc := g.NewScalar().SetUint64(1)
	for i, e := range v {
		prefix[i] = g.NewScalar().Set(acc)
		acc.Mul(acc, e)
	}
	acc.Invert(acc)
	out := make([]group.Scalar, len(v))
	for i := len(v) - 1; i >= 0; i-- {
		out[i] = g.NewScalar().Mul(acc, prefix[i])
		acc.Mul(acc, v[i])
	}
	return out
}

// InterpolateScalar returns f(0) from the shares ys[j] = f(indices[j]+1).
func InterpolateScalar(g group.Group, indices []int, ys []group.Scalar) (group.Scalar, error) {
	if len(indices) != len(ys) {
		return nil, errors.New("poly: indices and values differ in length")
	}
	lambdas, err := LagrangeAtZero(g, indices)
	if err != nil {
		return nil, err
	}
	r := g.NewScalar()
	t := g.NewScalar()
	for j := range ys {
		r.Add(r, t.Mul(lambdas[j], ys[j]))
	}
	return r, nil
}

// InterpolatePoint returns F(0) from the points ys[j] = F(indices[j]+1), with
// one variable-time multi-scalar multiplication (the points are public).
func InterpolatePoint(g group.Group, indices []int, ys []group.Point) (group.Point, error) {
	if len(indices) != len(ys) {
		return nil, errors.New("poly: indices and values differ in length")
	}
	lambdas, err := LagrangeAtZero(g, indices)
	if err != nil {
		return nil, err
	}
	return g.MultiScalarMult(lambdas, ys)
}
