package httpapi_test

import (
	"crypto/ed25519"
	"fmt"

	"github.com/chainkey/chainkey/httpapi"
)

func ExampleSignQueryResponse() {
	seed := make([]byte, ed25519.SeedSize)
	nodeKey := ed25519.NewKeyFromSeed(seed)
	var requestID [32]byte
	resp := httpapi.NewQueryResponse([]byte("DIDL\x00\x00"), nil)
	if err := httpapi.SignQueryResponse(resp, nodeKey, requestID, 1_700_000_000_000_000_000); err != nil {
		panic(err)
	}
	der := httpapi.Ed25519DER(nodeKey.Public().(ed25519.PublicKey))
	fmt.Println(httpapi.NodeID(nodeKey.Public().(ed25519.PublicKey)))
	fmt.Println(httpapi.VerifyQuerySignature(resp, requestID, resp.Signatures[0], der))
	// Output:
	// 535yc-uxytb-gfk7h-tny7p-vjkoe-i4krp-3qmcl-uqfgr-cpgej-yqtjq-rqe
	// <nil>
}
