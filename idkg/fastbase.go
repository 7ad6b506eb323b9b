package idkg

import (
	"sync"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/chainkey/chainkey/internal/group"
	gsecp "github.com/chainkey/chainkey/internal/group/secp256k1"
)

// PublicBaseMult returns s·G for a public scalar s. For secp256k1 it uses
// decred's variable-time fixed-base multiplication, several times faster
// than the constant-time ScalarBaseMult; other groups use ScalarBaseMult.
// Never pass a secret scalar.
func PublicBaseMult(g group.Group, s group.Scalar) group.Point {
	if sp, ok := s.(*gsecp.Scalar); ok {
		var j secp256k1.JacobianPoint
		secp256k1.ScalarBaseMultNonConst(sp.ModN(), &j)
		if p, err := gsecp.NewPointFromJacobian(&j); err == nil {
			return p
		}
	}
	return g.NewPoint().ScalarBaseMult(s)
}

// normalizePublic puts public points in the cheapest form to encode (affine
// for secp256k1); their values are unchanged.
func normalizePublic(pts []group.Point) { gsecp.NormalizePoints(pts) }

// newHMult returns a constant-time s ↦ s·h. For secp256k1 it multiplies
// with a precomputed table of h (built on first use, then only read),
// about three times faster than ScalarMult; other groups use ScalarMult.
func newHMult(g group.Group, h group.Point) func(group.Scalar) group.Point {
	hp, ok := h.(*gsecp.Point)
	if !ok {
		return func(s group.Scalar) group.Point { return g.NewPoint().ScalarMult(s, h) }
	}
	tab := sync.OnceValue(func() *gsecp.FixedBase { return gsecp.NewFixedBase(hp) })
	return func(s group.Scalar) group.Point { return tab().Mult(s) }
}
