package rerandomize_test

import (
	"bytes"
	"fmt"

	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/rerandomize"
)

// Example re-randomises a presignature's nonce K for one ECDSA request.
func Example() {
	g := secp256k1.Group()
	k := g.NewPoint().ScalarBaseMult(g.NewScalar().SetUint64(7))    // the presignature's K
	key := g.NewPoint().ScalarBaseMult(g.NewScalar().SetUint64(11)) // the master public key
	n, err := rerandomize.ECDSA().Rerandomize(g, &rerandomize.Request{
		PresignatureID: []byte("pre1"),
		Randomness:     bytes.Repeat([]byte{1}, 32), // fixed after the request
		Message:        bytes.Repeat([]byte{2}, 32), // the hash to sign
		Nonce:          k,
		Key:            key,
		Tweak:          g.NewScalar().SetUint64(5).Bytes(), // from derivation.Key.Tweak
	})
	if err != nil {
		panic(err)
	}
	rk := g.NewPoint().Sub(n.R, k)
	fmt.Println("R - K = δ·G:", rk.Equal(g.NewPoint().ScalarBaseMult(n.Delta)))
	// Output: R - K = δ·G: true
}
