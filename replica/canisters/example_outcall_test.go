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

// The IC's reject message for a request beyond its limits.
func ExampleCheckHTTPRequestLimits() {
	headers := []canisters.HTTPHeader{{Name: "Authorization", Value: string(make([]byte, 9000))}}
	fmt.Println(canisters.CheckHTTPRequestLimits("https://api.example/v1", headers, nil))
	fmt.Printf("%q\n", canisters.CheckHTTPRequestLimits("https://api.example/v1", nil, []byte("{}")))
	// Output:
	// number of bytes to represent some http header value 9000 exceeds 8192
	// ""
}
