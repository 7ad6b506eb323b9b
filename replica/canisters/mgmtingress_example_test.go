package canisters_test

import (
	"fmt"

	"github.com/chainkey/chainkey/replica/canisters"
)

// The replica's error codes of rejects, as the certified tree's
// /request_status/<id>/error_code carries them.
func ExampleErrorCode() {
	fmt.Println(canisters.ErrorCode(5, "2vxsx-fae is not a controller of rwlgt-iiaaa-aaaaa-aaaaa-cai"))
	fmt.Println(canisters.ErrorCode(3, "canister rwlgt-iiaaa-aaaaa-aaaaa-cai not found"))
	fmt.Println(canisters.ErrorCode(5, "canister trapped: assertion failed"))
	// Output:
	// IC0512
	// IC0301
	// IC0503
}
