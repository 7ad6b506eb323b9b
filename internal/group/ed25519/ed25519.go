package ed25519

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"math/big"

	"filippo.io/edwards25519"

	"github.com/chainkey/chainkey/internal/group"
)

// Name is the group's name as returned by Group().Name().
const Name = "ed25519"

const (
	scalarLen = 32
	pointLen  = 32
)

// orderHex is l = 2^252 + 27742317777372353535851937790883648493.
const orderHex = "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed"

// lMinusOne is l-1 as a canonical little-endian scalar, used for the
// subgroup check [l]P = O computed as [l-1]P + P = O.
var lMinusOne = func() *edwards25519.Scalar {
	b := make([]byte, 32)
	lb, _ := new(big.Int).SetString(orderHex, 16)
	lb.Sub(lb, big.NewInt(1))
	be := lb.FillBytes(make([]byte, 32))
	for i := range b {
		b[i] = be[31-i]
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(b)
	if err != nil {
		panic("ed25519: bad constant l-1")
	}
	return s
}()

type ed25519Group struct{}

// Group returns the prime-order subgroup of edwards25519. The returned value
// is immutable and safe for concurrent use.
func Group() group.Group { return ed25519Group{} }

func (ed25519Group) Name() string   { return Name }
func (ed25519Group) ScalarLen() int { return scalarLen }
func (ed25519Group) PointLen() int  { return pointLen }

func (ed25519Group) Order() *big.Int {
	l, _ := new(big.Int).SetString(orderHex, 16)
	return l
}

func (ed25519Group) NewScalar() group.Scalar { return new(Scalar) }

func (ed25519Group) NewPoint() group.Point { return NewPoint() }

func (ed25519Group) Generator() group.Point {
	p := new(Point)
	p.p.Set(edwards25519.NewGeneratorPoint())
	return p
}

func (ed25519Group) RandomScalar(rand io.Reader) (group.Scalar, error) {
	var buf [64]byte
	for {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return nil, fmt.Errorf("ed25519: random scalar: %w", err)
		}
		s := new(Scalar)
		if _, err := s.s.SetUniformBytes(buf[:]); err != nil {
			return nil, fmt.Errorf("ed25519: random scalar: %w", err)
		}
		clear(buf[:])
		if !s.IsZero() {
			return s, nil
		}
	}
}

func (g ed25519Group) ScalarFromBigInt(v *big.Int) group.Scalar {
	r := new(big.Int).Mod(v, g.Order())
	be := r.FillBytes(make([]byte, 32))
	le := make([]byte, 32)
	for i := range le {
		le[i] = be[31-i]
	}
	s := new(Scalar)
	if _, err := s.s.SetCanonicalBytes(le); err != nil {
		panic("ed25519: reduced scalar not canonical")
	}
	return s
}

func (ed25519Group) DecodeScalar(b []byte) (group.Scalar, error) {
	return DecodeScalar(b)
}

func (ed25519Group) DecodePoint(b []byte) (group.Point, error) {
	return DecodePoint(b)
}

func (ed25519Group) MultiScalarMult(scalars []group.Scalar, points []group.Point) (group.Point, error) {
	if len(scalars) != len(points) {
		return nil, fmt.Errorf("ed25519: multi-scalar mult: %d scalars and %d points", len(scalars), len(points))
	}
	r := NewPoint()
	if len(scalars) == 0 {
		return r, nil
	}
	ss := make([]*edwards25519.Scalar, len(scalars))
	ps := make([]*edwards25519.Point, len(points))
	for i := range scalars {
		ss[i] = &toScalar(scalars[i]).s
		ps[i] = &toPoint(points[i]).p
	}
	r.p.VarTimeMultiScalarMult(ss, ps)
	return r, nil
}

// DecodeScalar decodes a 32-byte little-endian scalar, rejecting values that
// are not below the order l.
func DecodeScalar(b []byte) (*Scalar, error) {
	if len(b) != scalarLen {
		return nil, fmt.Errorf("ed25519: scalar must be %d bytes, got %d", scalarLen, len(b))
	}
	s := new(Scalar)
	if _, err := s.s.SetCanonicalBytes(b); err != nil {
		return nil, errors.New("ed25519: non-canonical scalar")
	}
	return s, nil
}

// DecodePoint decodes a 32-byte point encoding. It rejects non-canonical
// encodings (y ≥ p, or x = 0 with the sign bit set), encodings of no curve
// point, points outside the prime-order subgroup and the identity.
func DecodePoint(b []byte) (*Point, error) {
	if len(b) != pointLen {
		return nil, fmt.Errorf("ed25519: point must be %d bytes, got %d", pointLen, len(b))
	}
	p := new(Point)
	if _, err := p.p.SetBytes(b); err != nil {
		return nil, errors.New("ed25519: invalid point encoding")
	}
	// SetBytes accepts non-canonical encodings; the canonical one is the
	// re-encoding.
	if subtle.ConstantTimeCompare(p.p.Bytes(), b) != 1 {
		return nil, errors.New("ed25519: non-canonical point encoding")
	}
	if p.IsIdentity() {
		return nil, errors.New("ed25519: identity point")
	}
	if !inPrimeOrderSubgroup(&p.p) {
		return nil, errors.New("ed25519: point not in the prime-order subgroup")
	}
	return p, nil
}

// inPrimeOrderSubgroup reports whether [l]P is the identity. It runs in
// variable time and is meant for public points.
func inPrimeOrderSubgroup(p *edwards25519.Point) bool {
	var q edwards25519.Point
	q.VarTimeDoubleScalarBaseMult(lMinusOne, p, edwards25519.NewScalar())
	q.Add(&q, p)
	return q.Equal(edwards25519.NewIdentityPoint()) == 1
}

// Scalar is an integer modulo l. The zero value is the scalar zero.
type Scalar struct {
	s edwards25519.Scalar
}

var _ group.Scalar = (*Scalar)(nil)

// NewScalarFromEdwards returns a Scalar holding a copy of s.
func NewScalarFromEdwards(s *edwards25519.Scalar) *Scalar {
	r := new(Scalar)
	r.s.Set(s)
	return r
}

// Edwards returns a copy of s as an *edwards25519.Scalar.
func (s *Scalar) Edwards() *edwards25519.Scalar {
	return edwards25519.NewScalar().Set(&s.s)
}

func toScalar(a group.Scalar) *Scalar {
	s, ok := a.(*Scalar)
	if !ok {
		panic(fmt.Sprintf("ed25519: scalar of another group (%T)", a))
	}
	return s
}

func toPoint(a group.Point) *Point {
	p, ok := a.(*Point)
	if !ok {
		panic(fmt.Sprintf("ed25519: point of another group (%T)", a))
	}
	return p
}

// Set sets s = a and returns s.
func (s *Scalar) Set(a group.Scalar) group.Scalar { s.s.Set(&toScalar(a).s); return s }

// SetUint64 sets s = v and returns s.
func (s *Scalar) SetUint64(v uint64) group.Scalar {
	var b [32]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
	if _, err := s.s.SetCanonicalBytes(b[:]); err != nil {
		panic("ed25519: small scalar not canonical")
	}
	return s
}

// Add sets s = a + b and returns s.
func (s *Scalar) Add(a, b group.Scalar) group.Scalar {
	s.s.Add(&toScalar(a).s, &toScalar(b).s)
	return s
}

// Sub sets s = a - b and returns s.
func (s *Scalar) Sub(a, b group.Scalar) group.Scalar {
	s.s.Subtract(&toScalar(a).s, &toScalar(b).s)
	return s
}

// Mul sets s = a * b and returns s.
func (s *Scalar) Mul(a, b group.Scalar) group.Scalar {
	s.s.Multiply(&toScalar(a).s, &toScalar(b).s)
	return s
}

// Neg sets s = -a and returns s.
func (s *Scalar) Neg(a group.Scalar) group.Scalar { s.s.Negate(&toScalar(a).s); return s }

// Invert sets s = 1/a and returns s; the inverse of zero is zero.
func (s *Scalar) Invert(a group.Scalar) group.Scalar { s.s.Invert(&toScalar(a).s); return s }

// IsZero reports whether s is zero, in constant time.
func (s *Scalar) IsZero() bool { return s.s.Equal(edwards25519.NewScalar()) == 1 }

// Equal reports whether s and b are equal, in constant time.
func (s *Scalar) Equal(b group.Scalar) bool { return s.s.Equal(&toScalar(b).s) == 1 }

// Bytes returns the 32-byte little-endian encoding of s.
func (s *Scalar) Bytes() []byte { return s.s.Bytes() }

// Zeroize sets s to zero.
func (s *Scalar) Zeroize() { s.s.Set(edwards25519.NewScalar()) }

// String redacts the value; scalars are often secret.
func (s *Scalar) String() string { return "ed25519.Scalar(REDACTED)" }

// GoString redacts the value.
func (s *Scalar) GoString() string { return s.String() }

// Format redacts the value for every verb.
func (s *Scalar) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// Point is an element of the prime-order subgroup of edwards25519. Use
// NewPoint for the identity; the zero value is not a valid point.
type Point struct {
	p edwards25519.Point
}

var _ group.Point = (*Point)(nil)

// NewPoint returns the identity point.
func NewPoint() *Point {
	p := new(Point)
	p.p.Set(edwards25519.NewIdentityPoint())
	return p
}

// NewPointFromEdwards returns a Point holding a copy of p. It returns an
// error if p is not in the prime-order subgroup (the identity is accepted).
func NewPointFromEdwards(p *edwards25519.Point) (*Point, error) {
	if !inPrimeOrderSubgroup(p) {
		return nil, errors.New("ed25519: point not in the prime-order subgroup")
	}
	r := new(Point)
	r.p.Set(p)
	return r, nil
}

// Edwards returns a copy of p as an *edwards25519.Point.
func (p *Point) Edwards() *edwards25519.Point {
	return new(edwards25519.Point).Set(&p.p)
}

// Set sets p = a and returns p.
func (p *Point) Set(a group.Point) group.Point { p.p.Set(&toPoint(a).p); return p }

// Add sets p = a + b and returns p.
func (p *Point) Add(a, b group.Point) group.Point {
	p.p.Add(&toPoint(a).p, &toPoint(b).p)
	return p
}

// Sub sets p = a - b and returns p.
func (p *Point) Sub(a, b group.Point) group.Point {
	p.p.Subtract(&toPoint(a).p, &toPoint(b).p)
	return p
}

// Neg sets p = -a and returns p.
func (p *Point) Neg(a group.Point) group.Point { p.p.Negate(&toPoint(a).p); return p }

// ScalarMult sets p = s * q in constant time and returns p.
func (p *Point) ScalarMult(s group.Scalar, q group.Point) group.Point {
	p.p.ScalarMult(&toScalar(s).s, &toPoint(q).p)
	return p
}

// ScalarBaseMult sets p = s * G in constant time and returns p.
func (p *Point) ScalarBaseMult(s group.Scalar) group.Point {
	p.p.ScalarBaseMult(&toScalar(s).s)
	return p
}

// VarTimeScalarMult sets p = s * q in variable time and returns p.
func (p *Point) VarTimeScalarMult(s group.Scalar, q group.Point) group.Point {
	p.p.VarTimeDoubleScalarBaseMult(&toScalar(s).s, &toPoint(q).p, edwards25519.NewScalar())
	return p
}

// IsIdentity reports whether p is the identity.
func (p *Point) IsIdentity() bool { return p.p.Equal(edwards25519.NewIdentityPoint()) == 1 }

// Equal reports whether p and b are the same point.
func (p *Point) Equal(b group.Point) bool { return p.p.Equal(&toPoint(b).p) == 1 }

// Bytes returns the 32-byte RFC 8032 encoding of p. The identity encodes as
// 0x01 followed by 31 zero bytes, which DecodePoint rejects.
func (p *Point) Bytes() []byte { return p.p.Bytes() }
