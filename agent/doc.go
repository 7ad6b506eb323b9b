// Package agent is a client of the Internet Computer's HTTP interface, for
// chainkey subnets and the Internet Computer alike: it builds and signs
// request envelopes (an Ed25519, secp256k1 or P-256 identity, or the
// anonymous one), makes update calls through the synchronous v3 endpoint
// and polls read_state when the answer is not ready, makes queries and
// checks the answering node's signature against the node keys its subnet
// certifies, and verifies every certificate against the root key.
//
// Identities in PEM form (as dfx and icp-cli write them) load with
// ingress.ParseIdentityPEM.
package agent
