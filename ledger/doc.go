// Package ledger implements an ICRC-1/2/3 token ledger with the interface and
// behaviour of the Internet Computer's ICRC-1 ledger canister as ckBTC runs it:
// balances, transfers, approvals and transfer_from, minting and burning
// through the minting account, deduplication of transactions that carry a
// created_at_time, an optional fee collector, and a block log in which every
// block is an ICRC-3 value linked to its parent by the ICRC-3
// representation-independent hash.
//
// The tip of the block log (its hash and index) is certified through a small
// hash tree whose root is the ledger's certified data; the hosting subnet
// supplies the certificate over it.
//
// A Ledger is a pure state machine: the caller passes the time and the
// caller's principal with every operation; nothing here reads a clock, a
// file or the network, and nothing runs in the background. Call and Query
// take and return Candid messages exactly as the ledger's .did declares
// them; the Go methods (Mint, Burn, BurnFrom, Transfer, ...) are the same
// operations for Go callers on the same subnet. Marshal and Unmarshal give a
// deterministic, strictly decoded encoding of the whole state, and StateHash
// its digest, so that nodes can persist the ledger and compare it.
package ledger
