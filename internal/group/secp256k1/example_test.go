package secp256k1_test

import (
	"crypto/rand"
	"fmt"

	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

func Example() {
	g := secp256k1.Group()
	sk, err := g.RandomScalar(rand.Reader)
	if err != nil {
		panic(err)
	}
	pk := g.NewPoint().ScalarBaseMult(sk) // constant time in sk
	enc := pk.Bytes()                     // SEC 1 compressed

	dec, err := secp256k1.DecodePoint(enc)
	if err != nil {
		panic(err)
	}
	x, _ := dec.AffineX()
	fmt.Println(g.Name(), len(enc), len(x), dec.Equal(pk))
	// Output: secp256k1 33 32 true
}
