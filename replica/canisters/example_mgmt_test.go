package canisters_test

import (
	"fmt"

	"github.com/chainkey/chainkey/replica/canisters"
)

// The management canister's limits on chunks, controllers and the
// history canister_info returns, as the IC's.
func Example_managementLimits() {
	fmt.Println("chunk:", canisters.MaxChunkBytes, "bytes")
	fmt.Println("chunk store:", canisters.MaxChunkStoreBytes/canisters.MaxChunkBytes, "chunks of 1 MiB")
	fmt.Println("controllers:", canisters.MaxControllers)
	fmt.Println("history kept:", canisters.MaxHistoryChanges, "changes")
	// Output:
	// chunk: 1048576 bytes
	// chunk store: 100 chunks of 1 MiB
	// controllers: 10
	// history kept: 20 changes
}
