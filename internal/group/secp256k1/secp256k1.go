package secp256k1

import (
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/chainkey/chainkey/internal/group"
)

// Name is the group's name as returned by Group().Name().
const Name = "secp256k1"

const (
	scalarLen = 32
	pointLen  = 33
)

// orderHex is the order n of the secp256k1 group.
const orderHex = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"

type secpGroup struct{}

// Group returns the secp256k1 group. The returned value is immutable and safe
// for concurrent use.
func Group() group.Group { return secpGroup{} }

func (secpGroup) Name() string   { return Name }
func (secpGroup) ScalarLen() int { return scalarLen }
func (secpGroup) PointLen() int  { return pointLen }

func (secpGroup) Order() *big.Int {
	n, _ := new(big.Int).SetString(orderHex, 16)
	return n
}

func (secpGroup) NewScalar() group.Scalar { return new(Scalar) }

func (secpGroup) NewPoint() group.Point { return new(Point) }

func (secpGroup) Generator() group.Point { return Generator() }

func (secpGroup) RandomScalar(rand io.Reader) (group.Scalar, error) {
	var buf [32]byte
	defer clear(buf[:])
	for {
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return nil, fmt.Errorf("secp256k1: random scalar: %w", err)
		}
		s := new(Scalar)
		// Rejection sampling: values ≥ n (probability about 2^-128) and
		// zero are drawn again.
		if s.s.SetBytes(&buf) == 0 && !s.s.IsZero() {
			return s, nil
		}
	}
}

func (g secpGroup) ScalarFromBigInt(v *big.Int) group.Scalar {
	r := new(big.Int).Mod(v, g.Order())
	var b [32]byte
	r.FillBytes(b[:])
	s := new(Scalar)
	s.s.SetBytes(&b)
	return s
}

func (secpGroup) DecodeScalar(b []byte) (group.Scalar, error) { return DecodeScalar(b) }

func (secpGroup) DecodePoint(b []byte) (group.Point, error) { return DecodePoint(b) }

func (secpGroup) MultiScalarMult(scalars []group.Scalar, points []group.Point) (group.Point, error) {
	if len(scalars) != len(points) {
		return nil, fmt.Errorf("secp256k1: multi-scalar mult: %d scalars and %d points", len(scalars), len(points))
	}
	ks := make([]*secp256k1.ModNScalar, len(scalars))
	ps := make([]*secp256k1.JacobianPoint, len(points))
	for i := range scalars {
		ks[i], ps[i] = &toScalar(scalars[i]).s, &toPoint(points[i]).p
	}
	r := new(Point)
	msmGLV(ks, ps, &r.p)
	return r, nil
}

// DecodeScalar decodes a 32-byte big-endian scalar, rejecting values that
// are not below the order n.
func DecodeScalar(b []byte) (*Scalar, error) {
	if len(b) != scalarLen {
		return nil, fmt.Errorf("secp256k1: scalar must be %d bytes, got %d", scalarLen, len(b))
	}
	s := new(Scalar)
	if s.s.SetBytes((*[32]byte)(b)) != 0 {
		return nil, errors.New("secp256k1: scalar not below the group order")
	}
	return s, nil
}

// DecodePoint decodes a 33-byte SEC 1 compressed point. It rejects other
// prefixes (including the uncompressed and hybrid forms), x ≥ p, x with no
// curve point and the identity.
func DecodePoint(b []byte) (*Point, error) {
	if len(b) != pointLen {
		return nil, fmt.Errorf("secp256k1: point must be %d bytes, got %d", pointLen, len(b))
	}
	if b[0] != 0x02 && b[0] != 0x03 {
		return nil, fmt.Errorf("secp256k1: invalid point prefix 0x%02x", b[0])
	}
	p := new(Point)
	if p.p.X.SetBytes((*[32]byte)(b[1:])) != 0 {
		return nil, errors.New("secp256k1: point x coordinate not below the field prime")
	}
	if !secp256k1.DecompressY(&p.p.X, b[0] == 0x03, &p.p.Y) {
		return nil, errors.New("secp256k1: point x coordinate not on the curve")
	}
	p.p.Y.Normalize()
	p.p.Z.SetInt(1)
	// secp256k1 has cofactor 1, and no curve point has a compressed
	// encoding equal to the identity's; every decoded point is valid.
	return p, nil
}

// DecodeXOnly decodes a BIP 340 x-only public key: the 32-byte big-endian x
// coordinate of the point with even y ("lift_x"). It rejects x ≥ p and x with
// no curve point.
func DecodeXOnly(x []byte) (*Point, error) {
	if len(x) != 32 {
		return nil, fmt.Errorf("secp256k1: x-only key must be 32 bytes, got %d", len(x))
	}
	return DecodePoint(append([]byte{0x02}, x...))
}

// Scalar is an integer modulo n. The zero value is the scalar zero.
type Scalar struct {
	s secp256k1.ModNScalar
}

var _ group.Scalar = (*Scalar)(nil)

// NewScalarFromModN returns a Scalar holding a copy of s.
func NewScalarFromModN(s *secp256k1.ModNScalar) *Scalar {
	r := new(Scalar)
	r.s.Set(s)
	return r
}

// ModN returns a copy of s as a ModNScalar.
func (s *Scalar) ModN() *secp256k1.ModNScalar { return new(secp256k1.ModNScalar).Set(&s.s) }

func toScalar(a group.Scalar) *Scalar {
	s, ok := a.(*Scalar)
	if !ok {
		panic(fmt.Sprintf("secp256k1: scalar of another group (%T)", a))
	}
	return s
}

func toPoint(a group.Point) *Point {
	p, ok := a.(*Point)
	if !ok {
		panic(fmt.Sprintf("secp256k1: point of another group (%T)", a))
	}
	return p
}

// Set sets s = a and returns s.
func (s *Scalar) Set(a group.Scalar) group.Scalar { s.s.Set(&toScalar(a).s); return s }

// SetUint64 sets s = v and returns s.
func (s *Scalar) SetUint64(v uint64) group.Scalar {
	var b [32]byte
	for i := 0; i < 8; i++ {
		b[31-i] = byte(v >> (8 * i))
	}
	s.s.SetBytes(&b)
	return s
}

// Add sets s = a + b and returns s.
func (s *Scalar) Add(a, b group.Scalar) group.Scalar {
	s.s.Add2(&toScalar(a).s, &toScalar(b).s)
	return s
}

// Sub sets s = a - b and returns s.
func (s *Scalar) Sub(a, b group.Scalar) group.Scalar {
	var nb secp256k1.ModNScalar
	nb.NegateVal(&toScalar(b).s)
	s.s.Add2(&toScalar(a).s, &nb)
	return s
}

// Mul sets s = a * b and returns s.
func (s *Scalar) Mul(a, b group.Scalar) group.Scalar {
	s.s.Mul2(&toScalar(a).s, &toScalar(b).s)
	return s
}

// Neg sets s = -a and returns s.
func (s *Scalar) Neg(a group.Scalar) group.Scalar { s.s.NegateVal(&toScalar(a).s); return s }

// nMinus2 is n−2 big-endian, the exponent for inversion by Fermat's little
// theorem.
var nMinus2 = [32]byte{
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b,
	0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x3f,
}

// Invert sets s = 1/a and returns s; the inverse of zero is zero. It runs in
// constant time, unlike ModNScalar.InverseNonConst, because scalars such as
// ECDSA nonces are secret: it computes a^(n−2) with a fixed 4-bit window over
// the public exponent (256 squarings and at most 78 multiplications, the
// same sequence for every a).
func (s *Scalar) Invert(a group.Scalar) group.Scalar {
	var pow [16]secp256k1.ModNScalar // pow[i] = a^i
	pow[0].SetInt(1)
	pow[1].Set(&toScalar(a).s)
	for i := 2; i < 16; i++ {
		pow[i].Mul2(&pow[i-1], &pow[1])
	}
	var r secp256k1.ModNScalar
	r.SetInt(1)
	for _, byt := range nMinus2 {
		for _, nib := range [2]byte{byt >> 4, byt & 0x0f} {
			r.Square().Square().Square().Square()
			if nib != 0 { // the exponent is public
				r.Mul(&pow[nib])
			}
		}
	}
	s.s.Set(&r)
	for i := range pow {
		pow[i].Zero()
	}
	return s
}

// IsZero reports whether s is zero, in constant time.
func (s *Scalar) IsZero() bool { return s.s.IsZeroBit() == 1 }

// Equal reports whether s and b are equal, in constant time.
func (s *Scalar) Equal(b group.Scalar) bool { return s.s.Equals(&toScalar(b).s) }

// Bytes returns the 32-byte big-endian encoding of s.
func (s *Scalar) Bytes() []byte {
	b := s.s.Bytes()
	return b[:]
}

// Zeroize sets s to zero.
func (s *Scalar) Zeroize() { s.s.Zero() }

// String redacts the value; scalars are often secret.
func (s *Scalar) String() string { return "secp256k1.Scalar(REDACTED)" }

// GoString redacts the value.
func (s *Scalar) GoString() string { return s.String() }

// Format redacts the value for every verb.
func (s *Scalar) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// Point is a point of secp256k1 in Jacobian coordinates, kept normalized. The
// zero value is the identity.
type Point struct {
	p secp256k1.JacobianPoint
}

var _ group.Point = (*Point)(nil)

// Generator returns the standard generator G (in affine form, so that its
// encoding needs no inversion).
func Generator() *Point {
	p := new(Point)
	p.p.X.SetByteSlice(mustHex32("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"))
	p.p.Y.SetByteSlice(mustHex32("483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"))
	p.p.Z.SetInt(1)
	return p
}

// NewPointFromPublicKey returns the point of a decred public key. ParsePubKey
// and NewPublicKey do not guarantee that the key is on the curve, so this
// checks it.
func NewPointFromPublicKey(k *secp256k1.PublicKey) (*Point, error) {
	if !k.IsOnCurve() {
		return nil, errors.New("secp256k1: public key not on the curve")
	}
	p := new(Point)
	k.AsJacobian(&p.p)
	return p, nil
}

// PublicKey returns p as a decred public key; it fails for the identity.
func (p *Point) PublicKey() (*secp256k1.PublicKey, error) {
	x, y, err := p.Affine()
	if err != nil {
		return nil, err
	}
	return secp256k1.NewPublicKey(&x, &y), nil
}

// NewPointFromJacobian returns a Point equal to j after checking that j is
// the identity (Z = 0) or on the curve. j need not be normalized.
func NewPointFromJacobian(j *secp256k1.JacobianPoint) (*Point, error) {
	p := new(Point)
	p.p.Set(j)
	p.p.X.Normalize()
	p.p.Y.Normalize()
	p.p.Z.Normalize()
	if isInfinity(&p.p) {
		return new(Point), nil
	}
	a := p.p
	a.ToAffine()
	if !secp256k1.NewPublicKey(&a.X, &a.Y).IsOnCurve() {
		return nil, errors.New("secp256k1: point not on the curve")
	}
	return p, nil
}

// Jacobian returns a copy of p in decred's Jacobian form (normalized; the
// identity has Z = 0).
func (p *Point) Jacobian() secp256k1.JacobianPoint {
	var j secp256k1.JacobianPoint
	j.Set(&p.p)
	return j
}

// Affine returns the normalized affine coordinates of p. It fails for the
// identity.
func (p *Point) Affine() (x, y secp256k1.FieldVal, err error) {
	if p.IsIdentity() {
		return x, y, errors.New("secp256k1: the identity has no affine coordinates")
	}
	a := p.p
	a.ToAffine()
	return a.X, a.Y, nil
}

// AffineX returns the 32-byte big-endian affine x coordinate of p (as used
// by ECDSA's r and BIP 340's x-only keys). It fails for the identity.
func (p *Point) AffineX() ([]byte, error) {
	x, _, err := p.Affine()
	if err != nil {
		return nil, err
	}
	b := x.Bytes()
	return b[:], nil
}

// HasEvenY reports whether the affine y coordinate of p is even. It fails
// for the identity.
func (p *Point) HasEvenY() (bool, error) {
	_, y, err := p.Affine()
	if err != nil {
		return false, err
	}
	return !y.IsOdd(), nil
}

// Set sets p = a and returns p.
func (p *Point) Set(a group.Point) group.Point { p.p.Set(&toPoint(a).p); return p }

// Add sets p = a + b and returns p. It runs in variable time (it handles
// doubling and the identity as special cases), like all point additions of
// this package other than those inside ScalarMult and ScalarBaseMult.
func (p *Point) Add(a, b group.Point) group.Point {
	secp256k1.AddNonConst(&toPoint(a).p, &toPoint(b).p, &p.p)
	canon(&p.p)
	return p
}

// Sub sets p = a - b and returns p.
func (p *Point) Sub(a, b group.Point) group.Point {
	var nb Point
	nb.Neg(b)
	secp256k1.AddNonConst(&toPoint(a).p, &nb.p, &p.p)
	canon(&p.p)
	return p
}

// Neg sets p = -a and returns p.
func (p *Point) Neg(a group.Point) group.Point {
	ap := toPoint(a)
	p.p.X.Set(&ap.p.X)
	p.p.Z.Set(&ap.p.Z)
	p.p.Y.NegateVal(&ap.p.Y, 1).Normalize()
	return p
}

// ScalarMult sets p = s * q and returns p, in time independent of s.
func (p *Point) ScalarMult(s group.Scalar, q group.Point) group.Point {
	ctScalarMult(&toScalar(s).s, &toPoint(q).p, &p.p)
	return p
}

// ScalarBaseMult sets p = s * G and returns p, in time independent of s.
func (p *Point) ScalarBaseMult(s group.Scalar) group.Point {
	ctScalarBaseMult(&toScalar(s).s, &p.p)
	return p
}

// VarTimeScalarMult sets p = s * q and returns p in variable time; s must be
// public.
func (p *Point) VarTimeScalarMult(s group.Scalar, q group.Point) group.Point {
	secp256k1.ScalarMultNonConst(&toScalar(s).s, &toPoint(q).p, &p.p)
	canon(&p.p)
	return p
}

// IsIdentity reports whether p is the identity.
func (p *Point) IsIdentity() bool { return isInfinity(&p.p) }

// isInfinity reports whether the normalized Jacobian point j is the point at
// infinity. decred writes it either with Z = 0 or as (0, 0, 1) (no curve point
// has x = y = 0).
func isInfinity(j *secp256k1.JacobianPoint) bool {
	return j.Z.IsZero() || (j.X.IsZero() && j.Y.IsZero())
}

// canon rewrites the point at infinity as (0, 0, 0), the form this package
// keeps, after a decred routine.
func canon(j *secp256k1.JacobianPoint) {
	if isInfinity(j) {
		j.X.Zero()
		j.Y.Zero()
		j.Z.Zero()
	}
}

// Equal reports whether p and b are the same point.
func (p *Point) Equal(b group.Point) bool {
	q := toPoint(b)
	pi, qi := p.IsIdentity(), q.IsIdentity()
	if pi || qi {
		return pi == qi
	}
	// X1·Z2² = X2·Z1² and Y1·Z2³ = Y2·Z1³.
	var z1z1, z2z2, u1, u2, s1, s2 secp256k1.FieldVal
	z1z1.SquareVal(&p.p.Z)
	z2z2.SquareVal(&q.p.Z)
	u1.Mul2(&p.p.X, &z2z2).Normalize()
	u2.Mul2(&q.p.X, &z1z1).Normalize()
	s1.Mul2(&p.p.Y, &z2z2).Mul(&q.p.Z).Normalize()
	s2.Mul2(&q.p.Y, &z1z1).Mul(&p.p.Z).Normalize()
	return u1.Equals(&u2) && s1.Equals(&s2)
}

// Bytes returns the 33-byte SEC 1 compressed encoding of p; the identity
// encodes as 33 zero bytes, which DecodePoint rejects.
func (p *Point) Bytes() []byte {
	out := make([]byte, pointLen)
	if p.IsIdentity() {
		return out
	}
	a := p.p
	a.Z.Normalize()
	if a.Z.IsOne() {
		// Already affine (decoded points, NormalizePoints): no inversion.
		a.X.Normalize()
		a.Y.Normalize()
	} else {
		a.ToAffine()
	}
	out[0] = 0x02
	if a.Y.IsOdd() {
		out[0] = 0x03
	}
	a.X.PutBytesUnchecked(out[1:])
	return out
}

// NormalizePoints rewrites the points of pts that belong to this group in
// affine form (Z = 1), with one field inversion for all of them (Montgomery's
// trick), so that their later Bytes need no inversion. The points keep their
// values; identities and points of other groups are left as they are. It
// runs in variable time and is for public points only (commitments).
func NormalizePoints(pts []group.Point) {
	var ps []*Point
	seen := make(map[*Point]bool, len(pts))
	for _, q := range pts {
		if sp, ok := q.(*Point); ok && !sp.IsIdentity() && !seen[sp] {
			seen[sp] = true
			ps = append(ps, sp)
		}
	}
	if len(ps) == 0 {
		return
	}
	js := make([]*secp256k1.JacobianPoint, len(ps))
	for i, sp := range ps {
		js[i] = &sp.p
	}
	batchAffine(js)
}
