package thresholdsig_test

import (
	"crypto/rand"
	"fmt"

	"github.com/chainkey/chainkey/thresholdsig"
)

// A 4-node subnet with threshold 3 signs a state root: each node signs a
// share, any 3 shares combine into the signature of the group key, and the
// signature verifies under the 96-byte public key like any BLS signature.
func Example() {
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		panic(err)
	}
	msg := []byte("\x0dic-state-root" + "0123456789abcdef0123456789abcdef")

	// Nodes 0, 2 and 3 answer; node 1 is down.
	received := map[int][]byte{}
	for _, i := range []int{0, 2, 3} {
		share, err := thresholdsig.SignShare(shares[i], msg)
		if err != nil {
			panic(err)
		}
		if err := thresholdsig.VerifyShare(pc, i, msg, share); err != nil {
			panic(err)
		}
		received[i] = share
	}
	sig, bad, err := thresholdsig.CombineVerified(pc, msg, received)
	if err != nil {
		panic(err)
	}
	fmt.Println("bad shares:", len(bad))
	fmt.Println("signature bytes:", len(sig))
	fmt.Println("public key DER bytes:", len(pc.PublicKey().DER()))
	fmt.Println("valid:", thresholdsig.Verify(pc.PublicKey(), msg, sig) == nil)
	// Output:
	// bad shares: 0
	// signature bytes: 48
	// public key DER bytes: 133
	// valid: true
}
