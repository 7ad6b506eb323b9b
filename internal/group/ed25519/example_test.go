package ed25519_test

import (
	"crypto/rand"
	"fmt"

	"github.com/chainkey/chainkey/internal/group/ed25519"
)

func Example() {
	g := ed25519.Group()
	sk, err := g.RandomScalar(rand.Reader)
	if err != nil {
		panic(err)
	}
	pk := g.NewPoint().ScalarBaseMult(sk) // constant time in sk
	enc := pk.Bytes()

	dec, err := g.DecodePoint(enc) // strict: canonical, prime order, not the identity
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Name(), len(enc), dec.Equal(pk))
	// Output: ed25519 32 true
}
