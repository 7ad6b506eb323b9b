package group

import (
	"io"
	"math/big"
)

// Group is a cyclic group of prime order together with its scalar field.
type Group interface {
	// Name identifies the group in encodings and Fiat–Shamir transcripts,
	// for example "bls12381-g2" or "secp256k1".
	Name() string
	// ScalarLen is the length in bytes of a canonical scalar encoding.
	ScalarLen() int
	// PointLen is the length in bytes of a canonical (compressed) point encoding.
	PointLen() int
	// Order returns a fresh copy of the prime group order.
	Order() *big.Int
	// NewScalar returns the scalar zero.
	NewScalar() Scalar
	// NewPoint returns the identity element.
	NewPoint() Point
	// Generator returns the group's standard generator.
	Generator() Point
	// RandomScalar returns a uniformly random non-zero scalar read from rand.
	RandomScalar(rand io.Reader) (Scalar, error)
	// ScalarFromBigInt returns v mod order. It is not constant time and is
	// meant for public values (hash outputs, indices).
	ScalarFromBigInt(v *big.Int) Scalar
	// DecodeScalar decodes a canonical scalar: exactly ScalarLen bytes
	// representing a value below the order. Zero is accepted; callers that
	// forbid it check IsZero.
	DecodeScalar(b []byte) (Scalar, error)
	// DecodePoint decodes a canonical compressed point, checking that it is
	// on the curve, in the prime-order subgroup and not the identity.
	DecodePoint(b []byte) (Point, error)
	// MultiScalarMult returns sum(scalars[i] * points[i]) in variable time.
	// It is for public scalars only; the slices must have equal length.
	MultiScalarMult(scalars []Scalar, points []Point) (Point, error)
}

// Scalar is an element of a group's scalar field (integers modulo the order).
// Arithmetic is constant time unless a method says otherwise.
type Scalar interface {
	// Set sets s = a and returns s.
	Set(a Scalar) Scalar
	// SetUint64 sets s = v mod order and returns s.
	SetUint64(v uint64) Scalar
	// Add sets s = a + b and returns s.
	Add(a, b Scalar) Scalar
	// Sub sets s = a - b and returns s.
	Sub(a, b Scalar) Scalar
	// Mul sets s = a * b and returns s.
	Mul(a, b Scalar) Scalar
	// Neg sets s = -a and returns s.
	Neg(a Scalar) Scalar
	// Invert sets s = 1/a and returns s; the inverse of zero is zero.
	Invert(a Scalar) Scalar
	// IsZero reports whether s is zero.
	IsZero() bool
	// Equal reports whether s and b are equal, in constant time.
	Equal(b Scalar) bool
	// Bytes returns the canonical encoding of s (ScalarLen bytes; big-endian
	// except for Ed25519, which is little-endian as in RFC 8032).
	Bytes() []byte
	// Zeroize overwrites s with zero.
	Zeroize()
}

// Point is an element of a prime-order group.
type Point interface {
	// Set sets p = a and returns p.
	Set(a Point) Point
	// Add sets p = a + b and returns p.
	Add(a, b Point) Point
	// Sub sets p = a - b and returns p.
	Sub(a, b Point) Point
	// Neg sets p = -a and returns p.
	Neg(a Point) Point
	// ScalarMult sets p = s * q and returns p, in time independent of s.
	ScalarMult(s Scalar, q Point) Point
	// ScalarBaseMult sets p = s * G and returns p, in time independent of s.
	ScalarBaseMult(s Scalar) Point
	// VarTimeScalarMult sets p = s * q and returns p; for public s only.
	VarTimeScalarMult(s Scalar, q Point) Point
	// IsIdentity reports whether p is the identity element.
	IsIdentity() bool
	// Equal reports whether p and b are the same point.
	Equal(b Point) bool
	// Bytes returns the canonical compressed encoding of p (PointLen bytes).
	// The identity has a group-specific encoding that DecodePoint rejects.
	Bytes() []byte
}
