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

// G2Name is the name of G2 as returned by G2().Name().
const G2Name = "bls12381-g2"

// G2PointLen is the length of a compressed G2 point.
const G2PointLen = bls.SizeOfG2AffineCompressed

type g2Group struct{ scalarField }

// G2 returns the group G2 of BLS12-381. The returned value is immutable and
// safe for concurrent use.
func G2() group.Group { return g2Group{} }

func (g2Group) Name() string          { return G2Name }
func (g2Group) PointLen() int         { return G2PointLen }
func (g2Group) NewPoint() group.Point { return NewG2Point() }

func (g2Group) Generator() group.Point {
	_, g, _, _ := bls.Generators()
	return &G2Point{p: g}
}

func (g2Group) DecodePoint(b []byte) (group.Point, error) { return DecodeG2(b) }

func (g2Group) MultiScalarMult(scalars []group.Scalar, points []group.Point) (group.Point, error) {
	if len(scalars) != len(points) {
		return nil, fmt.Errorf("bls12381: G2 multi-scalar mult: %d scalars and %d points", len(scalars), len(points))
	}
	r := NewG2Point()
	if len(scalars) == 0 {
		return r, nil
	}
	aff := make([]bls.G2Affine, len(points))
	ss := make([]fr.Element, len(scalars))
	for i := range scalars {
		aff[i].FromJacobian(&toG2(points[i]).p)
		ss[i] = toScalar(scalars[i]).Fr()
	}
	if _, err := r.p.MultiExp(aff, ss, ecc.MultiExpConfig{NbTasks: 1}); err != nil {
		return nil, fmt.Errorf("bls12381: G2 multi-scalar mult: %w", err)
	}
	return r, nil
}

// DecodeG2 decodes a 96-byte compressed G2 point. It rejects encodings
// without the compression flag, the point at infinity (and malformed
// infinity encodings), x ≥ p, x with no curve point, points outside the
// prime-order subgroup, and any encoding that is not the canonical one.
func DecodeG2(b []byte) (*G2Point, error) {
	if len(b) != G2PointLen {
		return nil, fmt.Errorf("bls12381: G2 point must be %d bytes, got %d", G2PointLen, len(b))
	}
	if err := checkFlags(b); err != nil {
		return nil, fmt.Errorf("bls12381: G2 point: %w", err)
	}
	// x = c0 + c1·u is serialised as c1 || c0; c1 carries the flags.
	if !canonicalFp(b[:fp.Bytes], true) || !canonicalFp(b[fp.Bytes:], false) {
		return nil, errors.New("bls12381: G2 point: non-canonical x coordinate")
	}
	// As for G1, blst decompresses (a square root in Fp2) faster than
	// gnark; gnark's endomorphism test (ψ(P) = [z]P) checks the subgroup.
	var q blst.P2Affine
	if q.Uncompress(b) == nil {
		return nil, errors.New("bls12381: G2 point: x has no square root on the curve")
	}
	raw := q.Serialize() // uncompressed, canonical coordinates
	if raw[0]&flagInfinity != 0 {
		return nil, errors.New("bls12381: G2 point: identity")
	}
	// Each Fp2 coordinate c0 + c1·u is serialised as c1 || c0.
	var a bls.G2Affine
	for i, e := range []*fp.Element{&a.X.A1, &a.X.A0, &a.Y.A1, &a.Y.A0} {
		if e.SetBytesCanonical(raw[i*fp.Bytes:(i+1)*fp.Bytes]) != nil {
			return nil, errors.New("bls12381: G2 point: non-canonical coordinate")
		}
	}
	if !a.IsInSubGroup() { // also checks that a is on the curve
		return nil, errors.New("bls12381: G2 point: not in the prime-order subgroup")
	}
	if enc := a.Bytes(); !bytes.Equal(enc[:], b) {
		return nil, errors.New("bls12381: G2 point: non-canonical encoding")
	}
	p := new(G2Point)
	p.p.FromAffine(&a)
	return p, nil
}

// G2Point is a point of G2 in Jacobian coordinates; it implements
// group.Point (ScalarMult and ScalarBaseMult run in blst's constant-time
// code) and adds Affine, which returns gnark-crypto's affine form. Use
// NewG2Point for the identity; the zero value is not a valid point.
type G2Point = point[bls.G2Jac, bls.G2Affine, *bls.G2Jac, *bls.G2Affine, g2Curve]

var _ group.Point = (*G2Point)(nil)

// NewG2Point returns the identity of G2.
func NewG2Point() *G2Point {
	return newPoint[bls.G2Jac, bls.G2Affine, *bls.G2Jac, *bls.G2Affine, g2Curve]()
}

// NewG2PointFromAffine returns a copy of a after checking that it is the
// point at infinity or on the curve and in the prime-order subgroup.
func NewG2PointFromAffine(a *bls.G2Affine) (*G2Point, error) {
	return newPointFromAffine[bls.G2Jac, bls.G2Affine, *bls.G2Jac, *bls.G2Affine, g2Curve](a)
}

func toG2(a group.Point) *G2Point { return (*G2Point)(nil).cast(a) }

// g2Curve supplies the G2 steps of point.
type g2Curve struct{}

func (g2Curve) name() string                 { return "G2" }
func (g2Curve) isIdentity(p *bls.G2Jac) bool { return p.Z.IsZero() }

func (g2Curve) setIdentity(p *bls.G2Jac) {
	p.X.SetOne()
	p.Y.SetOne()
	p.Z.SetZero()
}

func (g2Curve) affine(p *bls.G2Jac) bls.G2Affine {
	var a bls.G2Affine
	a.FromJacobian(p)
	return a
}

func (c g2Curve) compress(p *bls.G2Jac) []byte {
	a := c.affine(p)
	b := a.Bytes()
	return b[:]
}

func (g2Curve) mul(dst, q *bls.G2Jac, s *Scalar) {
	var r blst.P2
	r.FromAffine(g2ToBlst(q))
	r.MultAssign(s.le[:], 255)
	g2FromBlst(dst, &r)
}

func (g2Curve) mulBase(dst *bls.G2Jac, s *Scalar) {
	g2FromBlst(dst, blst.P2Generator().Mult(s.le[:], 255))
}

// g2ToBlst converts a gnark point to a blst affine point through the shared
// uncompressed serialisation (blst checks that it is on the curve).
func g2ToBlst(p *bls.G2Jac) *blst.P2Affine {
	var a bls.G2Affine
	a.FromJacobian(p)
	raw := a.RawBytes()
	out := new(blst.P2Affine).Deserialize(raw[:])
	if out == nil {
		panic("bls12381: blst rejected a G2 point")
	}
	return out
}

// g2FromBlst sets dst to the blst point p, through the uncompressed
// serialisation. Both libraries produce and expect canonical coordinates;
// the subgroup check is skipped since blst's result is a multiple of a
// subgroup point.
func g2FromBlst(dst *bls.G2Jac, p *blst.P2) {
	raw := p.Serialize() // affine, uncompressed
	if raw[0]&flagInfinity != 0 {
		g2Curve{}.setIdentity(dst)
		return
	}
	// Each Fp2 coordinate c0 + c1·u is serialised as c1 || c0.
	var a bls.G2Affine
	for i, e := range []*fp.Element{&a.X.A1, &a.X.A0, &a.Y.A1, &a.Y.A0} {
		if err := e.SetBytesCanonical(raw[i*fp.Bytes : (i+1)*fp.Bytes]); err != nil {
			panic("bls12381: blst produced a non-canonical coordinate")
		}
	}
	dst.FromAffine(&a)
}
