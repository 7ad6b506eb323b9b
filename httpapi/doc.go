// Package httpapi serves the Internet Computer's HTTP interface, as IC
// agents (@dfinity/agent, @icp-sdk/core, ic-agent, icp-cli) speak it, over a
// node's Backend:
//
//	GET  /api/v2/status
//	POST /api/v2/canister/<ecid>/call        (asynchronous: 202)
//	POST /api/v3|v4/canister/<ecid>/call     (synchronous: a certificate or 202)
//	POST /api/v4/subnet/<subnet_id>/call
//	POST /api/v2|v3/canister/<ecid>/query    (replies signed by the node's key)
//	POST /api/v2|v3/canister/<ecid>/read_state
//	POST /api/v2|v3/subnet/<subnet_id>/read_state
//
// Requests are authenticated with the ingress package (envelopes, request
// ids, sender signatures and delegations, expiry); read_state paths follow
// the access rules of the interface specification; errors carry the HTTP
// status codes and texts of the Internet Computer's replica. The protocol
// parts (response encoding, query response signatures, path rules) are plain
// functions; the handlers run in the goroutine net/http gives them and start
// none of their own.
package httpapi
