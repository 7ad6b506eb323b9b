package bls12381

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/chainkey/chainkey/internal/group"
)

// point is the implementation of group.Point that G1Point and G2Point
// share: a point held in gnark-crypto's Jacobian coordinates J, whose affine
// form is A. The zero value is not a valid point; newPoint returns the
// identity.
//
// PJ and PA are *J and *A, constrained to the gnark methods that both curves
// have with the same signatures. C supplies the rest (see curve): the
// identity, the affine form, the compressed encoding and the constant-time
// multiplications through blst.
type point[J, A any, PJ jacobian[J, A], PA affine[J, A], C curve[J, A]] struct {
	p J
}

// jacobian is the part of the API of gnark-crypto's G1Jac and G2Jac that
// point uses; J is the point type and A its affine form.
type jacobian[J, A any] interface {
	*J
	Set(q *J) *J
	Equal(q *J) bool
	Neg(q *J) *J
	AddAssign(q *J) *J
	SubAssign(q *J) *J
	ScalarMultiplication(q *J, s *big.Int) *J
	FromAffine(a *A) *J
}

// affine is the part of the API of gnark-crypto's G1Affine and G2Affine
// that point uses.
type affine[J, A any] interface {
	*A
	FromJacobian(p *J) *A
	IsInfinity() bool
	IsOnCurve() bool
	IsInSubGroup() bool
}

// curve is implemented by an empty struct per curve (g1Curve, g2Curve) and
// holds the operations whose gnark or blst types differ between G1 and G2,
// and those that need a temporary: a local whose address is passed to a
// method of a type parameter escapes to the heap, so temporaries live in
// the curves' concrete code.
type curve[J, A any] interface {
	// name is "G1" or "G2", for messages.
	name() string
	// setIdentity sets p to the point at infinity.
	setIdentity(p *J)
	// isIdentity reports whether p is the point at infinity.
	isIdentity(p *J) bool
	// affine returns p in affine coordinates.
	affine(p *J) A
	// compress returns the ZCash compressed encoding of p.
	compress(p *J) []byte
	// mul sets dst = s·q through blst, in time independent of s.
	mul(dst, q *J, s *Scalar)
	// mulBase sets dst = s·G through blst, in time independent of s.
	mulBase(dst *J, s *Scalar)
}

// newPoint returns the identity.
func newPoint[J, A any, PJ jacobian[J, A], PA affine[J, A], C curve[J, A]]() *point[J, A, PJ, PA, C] {
	p := new(point[J, A, PJ, PA, C])
	var c C
	c.setIdentity(&p.p)
	return p
}

// newPointFromAffine returns a copy of a after checking that it is the point
// at infinity or on the curve and in the prime-order subgroup.
func newPointFromAffine[J, A any, PJ jacobian[J, A], PA affine[J, A], C curve[J, A]](a *A) (*point[J, A, PJ, PA, C], error) {
	if !PA(a).IsInfinity() && (!PA(a).IsOnCurve() || !PA(a).IsInSubGroup()) {
		var c C
		return nil, errors.New("bls12381: " + c.name() + " point not in the prime-order subgroup")
	}
	p := new(point[J, A, PJ, PA, C])
	PJ(&p.p).FromAffine(a)
	return p, nil
}

// cast returns a as a point of this curve and panics if it belongs to
// another group.
func (*point[J, A, PJ, PA, C]) cast(a group.Point) *point[J, A, PJ, PA, C] {
	p, ok := a.(*point[J, A, PJ, PA, C])
	if !ok {
		var c C
		panic(fmt.Sprintf("bls12381: point of another group (%T), want %s", a, c.name()))
	}
	return p
}

// operand returns the coordinates of b to read while p is being written:
// b's own, or a copy when b is p. (Only the copy goes to the heap.)
func (p *point[J, A, PJ, PA, C]) operand(b group.Point) *J {
	q := &p.cast(b).p
	if q == &p.p {
		c := *q
		return &c
	}
	return q
}

// Affine returns p in gnark-crypto's affine form (the point at infinity is
// (0, 0)).
func (p *point[J, A, PJ, PA, C]) Affine() A {
	var c C
	return c.affine(&p.p)
}

// Set sets p = a and returns p.
func (p *point[J, A, PJ, PA, C]) Set(a group.Point) group.Point {
	PJ(&p.p).Set(&p.cast(a).p)
	return p
}

// Add sets p = a + b and returns p.
func (p *point[J, A, PJ, PA, C]) Add(a, b group.Point) group.Point {
	q := p.operand(b)
	PJ(&p.p).Set(&p.cast(a).p)
	PJ(&p.p).AddAssign(q)
	return p
}

// Sub sets p = a - b and returns p.
func (p *point[J, A, PJ, PA, C]) Sub(a, b group.Point) group.Point {
	q := p.operand(b)
	PJ(&p.p).Set(&p.cast(a).p)
	PJ(&p.p).SubAssign(q)
	return p
}

// Neg sets p = -a and returns p.
func (p *point[J, A, PJ, PA, C]) Neg(a group.Point) group.Point {
	PJ(&p.p).Neg(&p.cast(a).p)
	return p
}

// ScalarMult sets p = s * q and returns p, in time independent of s (blst).
func (p *point[J, A, PJ, PA, C]) ScalarMult(s group.Scalar, q group.Point) group.Point {
	var c C
	c.mul(&p.p, &p.cast(q).p, toScalar(s))
	return p
}

// ScalarBaseMult sets p = s * G and returns p, in time independent of s
// (blst).
func (p *point[J, A, PJ, PA, C]) ScalarBaseMult(s group.Scalar) group.Point {
	var c C
	c.mulBase(&p.p, toScalar(s))
	return p
}

// VarTimeScalarMult sets p = s * q and returns p in variable time (gnark);
// s must be public.
func (p *point[J, A, PJ, PA, C]) VarTimeScalarMult(s group.Scalar, q group.Point) group.Point {
	PJ(&p.p).ScalarMultiplication(p.operand(q), toScalar(s).bigInt())
	return p
}

// IsIdentity reports whether p is the identity.
func (p *point[J, A, PJ, PA, C]) IsIdentity() bool {
	var c C
	return c.isIdentity(&p.p)
}

// Equal reports whether p and b are the same point.
func (p *point[J, A, PJ, PA, C]) Equal(b group.Point) bool {
	return PJ(&p.p).Equal(&p.cast(b).p)
}

// Bytes returns the compressed encoding of p (48 bytes for G1, 96 for G2);
// the identity encodes as 0xc0 followed by zeros, which DecodePoint
// rejects.
func (p *point[J, A, PJ, PA, C]) Bytes() []byte {
	var c C
	return c.compress(&p.p)
}
