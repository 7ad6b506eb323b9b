package poly_test

import (
	"crypto/rand"
	"fmt"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
)

// Share a secret 2-of-3 and recover it from the shares of nodes 0 and 2.
func Example() {
	g := secp256k1.Group()
	secret, _ := g.RandomScalar(rand.Reader)
	p, _ := poly.Random(g, 1, secret, rand.Reader) // degree 1: threshold 2
	defer p.Zeroize()
	commitment := p.Commit()

	s0, s2 := p.EvalAt(0), p.EvalAt(2)
	fmt.Println("shares verify:", commitment.VerifyShare(0, s0) && commitment.VerifyShare(2, s2))

	got, _ := poly.InterpolateScalar(g, []int{0, 2}, []group.Scalar{s0, s2})
	fmt.Println("secret recovered:", got.Equal(secret))
	// Output:
	// shares verify: true
	// secret recovered: true
}
