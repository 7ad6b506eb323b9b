// Package canisters is the subnet's Wasm canister component: the canisters
// a subnet hosts, keyed by principal, behind the subnet.Component seam.
//
// It is pure and deterministic: no goroutines, clocks or files. Execution
// is package execution's; this package is the part of the state machine
// around it: canister ids from the subnet's range, ingress messages and
// controller operations carried in blocks, the round that executes them
// at the block's agreed time, routing of calls between the subnet's
// canisters, call contexts and callbacks, the management canister calls
// that reach the node's threshold signing (sign_with_ecdsa,
// ecdsa_public_key, sign_with_schnorr, schnorr_public_key) and raw_rand,
// the management canister's controller methods for users and canisters
// (create_canister with cycles, deposit_cycles, every canister setting,
// canister_status, canister_info with each canister's history, the Wasm
// chunk store and install_chunked_code, fetch_canister_logs with the
// log visibility; mgmtmore.go), the routing of its bitcoin_* methods to
// a hosted Bitcoin canister, request statuses, persistence in 4 KiB
// pages (with the chunk store, history and logs), and the certified tree
// leaves under /canister and /request_status.
//
// # Blocks and rounds
//
// Each message travels through the mempool as its own transaction
// (EncodeMessageTx) and is signed by its sender as an IC request is: the
// sender's DER public key and signature of the IC request id, checked by
// every node (Message.Validate), so no node can act under another
// sender's principal. A block carries at most one canister transaction:
// the block's messages in order (EncodeBatch). The shell calls Apply for
// it, which only queues the messages, and then Round once per block,
// whether or not the block had a transaction. A round runs, in this
// order: the responses of the management canister that became ready
// (combined signatures, raw_rand values), the ingress messages (those
// waiting from earlier rounds first), each canister's global timer and
// heartbeat in canister id order, and then the queue of calls between
// canisters and their responses, first in, first out, until it is empty,
// MaxRoundCalls entries ran or the round's executions used
// MaxRoundInstructions; what is left waits, persisted, for the next
// round. A call made in a round is therefore delivered in the same round
// unless a budget is spent. Before the ingress messages, a round puts
// the deadline-expired reject of every best-effort call whose deadline
// its time passed at the head of the queue and, on a subnet that charges
// cycles, charges storage every 10 s of block time.
//
// # Cycles
//
// Config.Exec.Fees is the fee table (the zero table of a local subnet
// charges nothing). The engine charges execution and calls; the component
// charges ingress before a message executes, storage by block time, the
// creation fee from the cycles a canister is created with and the
// signature fees from the cycles attached to signing calls.
//
// # Persistence
//
// The writes of a round go through the subnet.Writer: per canister a
// metadata record, the module (when it changes) and the Wasm and stable
// memories as 4 KiB pages (pages of zeros are not stored); one record
// with the component's queues and call contexts; and one record per
// ingress message status. Only canisters that executed something in the
// round are looked at, and of those only the pages the engine's
// checkpoint (execution.Canister.Checkpoint) lists are hashed and, when
// changed, written: the cost grows with the pages changed, not with the
// memory. A canister's state hash covers a binary hash tree over its
// pages, updated for the changed pages only. Load rebuilds the component
// from storage.
//
// # Go canisters
//
// HostGo hosts canisters written in Go (GoCanister) at fixed ids outside
// the Wasm range: the node's ckBTC ledger and minter. Ingress messages,
// queries and calls of other canisters reach them as they reach Wasm
// canisters, with the same statuses, reject codes and certified leaves
// (certified data and an empty controller list; no module hash). A
// GoTicker ticks once per round after the ingress messages; a GoSigner's
// signing requests join the canisters' (its id is the caller). Their
// state is written when its hash changed: whole, or for a GoLog (a
// ledger's blocks) the new log entries only.
//
// # Stopping
//
// stop_canister on a canister with open call contexts makes it stopping:
// it takes no new calls or queries, its outstanding calls' responses
// still run its callbacks, and at the end of the round in which its last
// call context closes it is stopped and the pending stop calls are
// answered (stopping.go). Balances are 64-bit: the cycles minted on the
// subnet are bounded by 2^64-1 so that no balance overflows (supply.go).
package canisters
