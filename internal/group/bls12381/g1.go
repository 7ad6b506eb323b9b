package bls12381

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	blst "github.com/supranational/blst/bindings/go"

	"github.com/chainkey/chainkey/internal/group"
)

// G1Name is the name of G1 as returned by G1().Name().
const G1Name = "bls12381-g1"

// G1PointLen is the length of a compressed G1 point.
const G1PointLen = bls.SizeOfG1AffineCompressed

type g1Group struct{ scalarField }

// G1 returns the group G1 of BLS12-381. The returned value is immutable and
// safe for concurrent use.
func G1() group.Group { return g1Group{} }

func (g1Group) Name() string          { return G1Name }
func (g1Group) PointLen() int         { return G1PointLen }
func (g1Group) NewPoint() group.Point { return NewG1Point() }

func (g1Group) Generator() group.Point {
	g, _, _, _ := bls.Generators()
	return &G1Point{p: g}
}

func (g1Group) DecodePoint(b []byte) (group.Point, error) { return DecodeG1(b) }

func (g1Group) MultiScalarMult(scalars []group.Scalar, points []group.Point) (group.Point, error) {
	if len(scalars) != len(points) {
		return nil, fmt.Errorf("bls12381: G1 multi-scalar mult: %d scalars and %d points", len(scalars), len(points))
	}
	r := NewG1Point()
	if len(scalars) == 0 {
		return r, nil
	}
	if len(scalars) <= g1StrausMax {
		ss := make([]*Scalar, len(scalars))
		ps := make([]*bls.G1Jac, len(points))
		for i := range scalars {
			ss[i], ps[i] = toScalar(scalars[i]), &toG1(points[i]).p
		}
		g1MSM(&r.p, ss, ps)
		return r, nil
	}
	jac := make([]bls.G1Jac, len(points))
	ss := make([]fr.Element, len(scalars))
	for i := range scalars {
		jac[i] = toG1(points[i]).p
		ss[i] = toScalar(scalars[i]).Fr()
	}
	aff := bls.BatchJacobianToAffineG1(jac)
	if _, err := r.p.MultiExp(aff, ss, ecc.MultiExpConfig{NbTasks: 1}); err != nil {
		return nil, fmt.Errorf("bls12381: G1 multi-scalar mult: %w", err)
	}
	return r, nil
}

// g1StrausMax is the largest number of points for which MultiScalarMult
// uses the GLV–Straus method of g1msm.go rather than gnark's bucket method.
const g1StrausMax = 64

// DecodeG1 decodes a 48-byte compressed G1 point. It rejects encodings
// without the compression flag, the point at infinity (and malformed
// infinity encodings), x ≥ p, x with no curve point, points outside the
// prime-order subgroup, and any encoding that is not the canonical one.
func DecodeG1(b []byte) (*G1Point, error) {
	if len(b) != G1PointLen {
		return nil, fmt.Errorf("bls12381: G1 point must be %d bytes, got %d", G1PointLen, len(b))
	}
	if err := checkFlags(b); err != nil {
		return nil, fmt.Errorf("bls12381: G1 point: %w", err)
	}
	if !canonicalFp(b[:fp.Bytes], true) {
		return nil, errors.New("bls12381: G1 point: non-canonical x coordinate")
	}
	// blst decompresses (x < p, a square root of x³ + 4, y chosen by the
	// sort flag) faster than gnark; it does not check the subgroup, which
	// gnark's endomorphism test (φ(P) = −z²·P) does below, once.
	var q blst.P1Affine
	if q.Uncompress(b) == nil {
		// The flags and x < p were checked above, so blst refused either
		// x = 0 (the points (0, ±2), of order 3) or an x off the curve.
		var x [fp.Bytes]byte
		copy(x[:], b)
		x[0] &^= flagCompressed | flagInfinity | flagSort
		if allZero(x[:]) {
			return nil, errors.New("bls12381: G1 point: not in the prime-order subgroup")
		}
		return nil, errors.New("bls12381: G1 point: x has no square root on the curve")
	}
	raw := q.Serialize() // uncompressed, canonical coordinates
	var a bls.G1Affine
	if raw[0]&flagInfinity != 0 {
		return nil, errors.New("bls12381: G1 point: identity")
	}
	if a.X.SetBytesCanonical(raw[:fp.Bytes]) != nil || a.Y.SetBytesCanonical(raw[fp.Bytes:2*fp.Bytes]) != nil {
		return nil, errors.New("bls12381: G1 point: non-canonical coordinate")
	}
	if !a.IsInSubGroup() { // also checks that a is on the curve
		return nil, errors.New("bls12381: G1 point: not in the prime-order subgroup")
	}
	if enc := a.Bytes(); !bytes.Equal(enc[:], b) {
		return nil, errors.New("bls12381: G1 point: non-canonical encoding")
	}
	p := new(G1Point)
	p.p.FromAffine(&a)
	return p, nil
}

// Flag bits of the first byte of the ZCash serialisation.
const (
	flagCompressed = 0x80
	flagInfinity   = 0x40
	flagSort       = 0x20
)

// checkFlags applies the rules on the flag bits shared by G1 and G2: the
// compression flag must be set, and the point at infinity is refused (an
// infinity flag with any other bit set is reported as malformed).
func checkFlags(b []byte) error {
	if b[0]&flagCompressed == 0 {
		return errors.New("compression flag not set")
	}
	if b[0]&flagInfinity != 0 {
		if b[0] != flagCompressed|flagInfinity || !allZero(b[1:]) {
			return errors.New("malformed infinity encoding")
		}
		return errors.New("identity")
	}
	return nil
}

// fpModulus is the base field prime p, 48 bytes big-endian.
var fpModulus = func() [fp.Bytes]byte {
	var b [fp.Bytes]byte
	fp.Modulus().FillBytes(b[:])
	return b
}()

// canonicalFp reports whether the 48-byte big-endian value b (with the three
// flag bits masked off if flags is set) is below p.
func canonicalFp(b []byte, flags bool) bool {
	var v [fp.Bytes]byte
	copy(v[:], b)
	if flags {
		v[0] &^= flagCompressed | flagInfinity | flagSort
	}
	return bytes.Compare(v[:], fpModulus[:]) < 0
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

// G1Point is a point of G1 in Jacobian coordinates; it implements
// group.Point (ScalarMult and ScalarBaseMult run in blst's constant-time
// code) and adds Affine, which returns gnark-crypto's affine form. Use
// NewG1Point for the identity; the zero value is not a valid point.
type G1Point = point[bls.G1Jac, bls.G1Affine, *bls.G1Jac, *bls.G1Affine, g1Curve]

var _ group.Point = (*G1Point)(nil)

// NewG1Point returns the identity of G1.
func NewG1Point() *G1Point {
	return newPoint[bls.G1Jac, bls.G1Affine, *bls.G1Jac, *bls.G1Affine, g1Curve]()
}

// NewG1PointFromAffine returns a copy of a after checking that it is the
// point at infinity or on the curve and in the prime-order subgroup.
func NewG1PointFromAffine(a *bls.G1Affine) (*G1Point, error) {
	return newPointFromAffine[bls.G1Jac, bls.G1Affine, *bls.G1Jac, *bls.G1Affine, g1Curve](a)
}

func toG1(a group.Point) *G1Point { return (*G1Point)(nil).cast(a) }

// g1Curve supplies the G1 steps of point.
type g1Curve struct{}

func (g1Curve) name() string                 { return "G1" }
func (g1Curve) isIdentity(p *bls.G1Jac) bool { return p.Z.IsZero() }

func (g1Curve) setIdentity(p *bls.G1Jac) {
	p.X.SetOne()
	p.Y.SetOne()
	p.Z.SetZero()
}

func (g1Curve) affine(p *bls.G1Jac) bls.G1Affine {
	var a bls.G1Affine
	a.FromJacobian(p)
	return a
}

func (c g1Curve) compress(p *bls.G1Jac) []byte {
	a := c.affine(p)
	b := a.Bytes()
	return b[:]
}

func (g1Curve) mul(dst, q *bls.G1Jac, s *Scalar) {
	var r blst.P1
	r.FromAffine(g1ToBlst(q))
	r.MultAssign(s.le[:], 255)
	g1FromBlst(dst, &r)
}

func (g1Curve) mulBase(dst *bls.G1Jac, s *Scalar) {
	g1FromBlst(dst, blst.P1Generator().Mult(s.le[:], 255))
}

// g1ToBlst converts a gnark point to a blst affine point through the shared
// uncompressed serialisation (blst checks that it is on the curve).
func g1ToBlst(p *bls.G1Jac) *blst.P1Affine {
	var a bls.G1Affine
	a.FromJacobian(p)
	raw := a.RawBytes()
	out := new(blst.P1Affine).Deserialize(raw[:])
	if out == nil {
		panic("bls12381: blst rejected a G1 point")
	}
	return out
}

// g1FromBlst sets dst to the blst point p, through the uncompressed
// serialisation. Both libraries produce and expect canonical coordinates;
// the subgroup check is skipped since blst's result is a multiple of a
// subgroup point.
func g1FromBlst(dst *bls.G1Jac, p *blst.P1) {
	raw := p.Serialize() // affine, uncompressed
	if raw[0]&flagInfinity != 0 {
		g1Curve{}.setIdentity(dst)
		return
	}
	var a bls.G1Affine
	if err := a.X.SetBytesCanonical(raw[:fp.Bytes]); err != nil {
		panic("bls12381: blst produced a non-canonical coordinate")
	}
	if err := a.Y.SetBytesCanonical(raw[fp.Bytes : 2*fp.Bytes]); err != nil {
		panic("bls12381: blst produced a non-canonical coordinate")
	}
	dst.FromAffine(&a)
}
