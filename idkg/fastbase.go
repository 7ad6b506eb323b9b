package idkg

import (
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
