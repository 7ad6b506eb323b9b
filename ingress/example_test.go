package ingress_test

import (
	"fmt"
	"time"

	"github.com/chainkey/chainkey/ingress"
)

func Example() {
	// The caller signs a request with its own key; its principal is derived
	// from the public key.
	key, err := ingress.GenerateEd25519()
	if err != nil {
		panic(err)
	}
	now := time.Now()
	env, err := ingress.NewSignEnvelope(key, &ingress.SignContent{
		IngressExpiry:  ingress.Expiry(now, 4*time.Minute),
		Nonce:          []byte("n1"),
		KeyID:          "ecdsa:secp256k1:dfx_test_key",
		DerivationPath: [][]byte{[]byte("wallet")},
		MessageHash:    make([]byte, 32),
	})
	if err != nil {
		panic(err)
	}
	wire := env.Marshal()

	// The node parses and verifies it.
	got, err := ingress.ParseEnvelope(wire)
	if err != nil {
		panic(err)
	}
	content, _, err := got.Verify(now, 5*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(content.Sender == ingress.Sender(key), content.KeyID)
	// Output: true ecdsa:secp256k1:dfx_test_key
}
