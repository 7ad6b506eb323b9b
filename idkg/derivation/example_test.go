package derivation_test

import (
	"encoding/hex"
	"fmt"

	"github.com/chainkey/chainkey/idkg/derivation"
)

// Example derives the published key of the caller h5jwf-5iaaa-aaaan-qmvoa-cai
// under the mainnet test_key_1 for the path "Hello", "Threshold",
// "Signatures".
func Example() {
	master, _ := hex.DecodeString("02f9ac345f6be6db51e1c5612cddb59e72c3d0d493c994d12035cf13257e3b1fa7")
	caller, _ := hex.DecodeString("0000000001b0655c0101")
	path := [][]byte{[]byte("Hello"), []byte("Threshold"), []byte("Signatures")}
	k, err := derivation.Secp256k1(master, derivation.ZeroChainCode(), derivation.CanisterPath(caller, path))
	if err != nil {
		panic(err)
	}
	fmt.Println(hex.EncodeToString(k.PublicKey))
	// Output: 0315ae8bb8c6e9f78eec2167f5ac773067f37a39da1a1efbc585f9e90658d1c620
}
