package canisters_test

import (
	"fmt"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/replica/canisters"
)

// The cycles an http_request costs on a 13-node application subnet: the
// IC's formula on the request's bytes and max_response_bytes.
func ExampleHTTPRequestCost() {
	fees := execution.ApplicationSubnetFees(13)
	req := &canisters.HTTPRequest{
		URL:              "https://eth.example/rpc",
		Method:           "POST",
		Headers:          []canisters.HTTPHeader{{Name: "Content-Type", Value: "application/json"}},
		Body:             []byte(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}`),
		MaxResponseBytes: 4000,
		TransformMethod:  "transform",
	}
	fmt.Println(canisters.HTTPRequestCost(&fees, req))
	// Output: 91379600
}
