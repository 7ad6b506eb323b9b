// Package service hosts the Bitcoin canister state for a node: a
// concurrency-safe Canister around canister.State, the chainkey.bitcoin.v1
// Bitcoin gRPC service that mirrors the canister API, a Forwarder that
// hands transactions to the adapter, and the Driver that pulls successor
// blocks from an adapter's BtcService and applies them.
//
// The node's block proposer does what Driver.Step does, split in two:
// FetchSuccessors on the proposer (its payload is the returned blocks and
// next headers), then Canister.Apply on every node once the block is final
// (Canister.Check is the payload validation).
package service
