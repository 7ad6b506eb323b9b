// Package regtest builds valid regtest blocks and signed transactions in
// memory, for tests and benchmarks of the adapter and the canister state
// (regtest's proof of work needs about two hash attempts per block).
package regtest
