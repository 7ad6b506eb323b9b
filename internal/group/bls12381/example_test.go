package bls12381_test

import (
	"crypto/rand"
	"fmt"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
)

// Example signs and verifies a BLS signature in the min-sig setting
// (signatures in G1, public keys in G2).
func Example() {
	dst := []byte("BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_")
	g1, g2 := bls12381.G1(), bls12381.G2()

	sk, err := g2.RandomScalar(rand.Reader)
	if err != nil {
		panic(err)
	}
	pk := g2.NewPoint().ScalarBaseMult(sk) // blst, constant time in sk

	h, err := bls12381.HashToG1([]byte("hello"), dst)
	if err != nil {
		panic(err)
	}
	sig := g1.NewPoint().ScalarMult(sk, h)

	// Verify: e(sig, G2) · e(−H(m), pk) = 1.
	sigDec, err := g1.DecodePoint(sig.Bytes())
	if err != nil {
		panic(err)
	}
	ok, err := bls12381.PairingCheck(
		[]group.Point{sigDec, g1.NewPoint().Neg(h)},
		[]group.Point{g2.Generator(), pk})
	fmt.Println(len(sig.Bytes()), len(pk.Bytes()), ok, err)
	// Output: 48 96 true <nil>
}
