package replica_test

import (
	"fmt"

	"github.com/chainkey/chainkey/replica"
)

// The Bitcoin canister's id is the one dfx gives the local regtest
// Bitcoin canister; its index lies above the subnet's own canister range
// (the first 2^20 ids).
func ExampleBitcoinCanisterID() {
	id := replica.BitcoinCanisterID
	idx, _ := id.CanisterIndex()
	fmt.Println(id)
	fmt.Println(idx >= 1<<20)
	// Output:
	// g4xu7-jiaaa-aaaan-aaaaq-cai
	// true
}
