// Package canister is the Bitcoin canister's state machine: an anchor block
// with a tree of unstable blocks above it and the stable UTXO set below it,
// the Internet Computer's difficulty-based stability rule, the main chain
// (most work), reorganisations, an address index for P2PKH, P2SH, P2WPKH,
// P2WSH and P2TR outputs, and the canister API: get_utxos (with the
// 72-byte page token), get_balance, get_current_fee_percentiles,
// get_block_headers and the decode check of send_transaction.
//
// The package is pure and deterministic: no goroutines, clock or I/O. Every
// node applies the same successor blocks and gets byte-identical state,
// whose Marshal output (and its SHA-256, Hash) is what the node certifies.
// A State is not safe for concurrent use.
package canister
