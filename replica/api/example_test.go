package api_test

import (
	"fmt"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/api"
)

func ExampleVerifySignRequest() {
	caller, _ := ingress.GenerateEd25519()
	now := time.Now()
	env, err := ingress.NewSignEnvelope(caller, &ingress.SignContent{IngressExpiry: ingress.Expiry(now, time.Minute),
		KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: make([]byte, 32)})
	if err != nil {
		panic(err)
	}
	req, err := api.VerifySignRequest(env, now, 5*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Content().KeyID)
	// Output: ecdsa:secp256k1:dfx_test_key
}
