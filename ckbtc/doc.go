// Package ckbtc is the ckBTC minter's logic: the deterministic state machine
// behind the Internet Computer's ckBTC minter interface (ckbtc_minter.did),
// which turns Bitcoin deposits into ckBTC and ckBTC back into Bitcoin
// withdrawals signed with threshold ECDSA.
//
// Deposit addresses are P2WPKH addresses of keys derived from the minter's
// threshold ECDSA public key and chain code with the path
// [0x01, owner, subaccount] (the Internet Computer's schema 1), so that the
// subnet signs for them with sign_with_ecdsa under the same path.
// update_balance reads the address's UTXOs from the Bitcoin canister, mints
// value minus the deposit fee for each new one (with the UTXO in a CBOR memo,
// as the Internet Computer's minter writes it) and answers the UtxoStatus
// variants. retrieve_btc and retrieve_btc_with_approval burn ckBTC and queue
// the withdrawal; Tick batches queued withdrawals into one transaction (UTXO
// selection, change to the minter's main address, fee from the median of the
// Bitcoin canister's fee percentiles), hands out one sign_with_ecdsa request
// per input (the BIP-143 sighash), then the signed transaction for
// send_transaction, follows it until its change output has the required
// confirmations and replaces it with a higher fee (BIP-125) when it stays
// unconfirmed for too long.
//
// The package is pure in the manner of a consensus state machine: no
// goroutines, clocks, sockets or files. The host passes time in, answers reads
// through the Ledger and Bitcoin interfaces (both are deterministic components
// of the same subnet state), delivers signatures and send results, and takes
// the requests the minter hands out with TakeRequests. Marshal gives a strict,
// canonical encoding of the whole state and Hash its SHA-256.
package ckbtc
