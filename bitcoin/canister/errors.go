package canister

import (
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/chainkey/chainkey/bitcoin/chain"
)

// MalformedAddressError is the Internet Computer's MalformedAddress: the
// address does not parse as a P2PKH, P2SH, P2WPKH, P2WSH or P2TR address.
type MalformedAddressError struct {
	Address string
	Reason  string
}

func (e *MalformedAddressError) Error() string {
	return fmt.Sprintf("canister: malformed address %q: %s", e.Address, e.Reason)
}

// AddressForWrongNetworkError is AddressForWrongNetwork: the address is valid
// on another network.
type AddressForWrongNetworkError struct {
	Address  string
	Expected chain.Network
}

func (e *AddressForWrongNetworkError) Error() string {
	return fmt.Sprintf("canister: address %q is not for %s", e.Address, e.Expected)
}

// MinConfirmationsTooLargeError is MinConfirmationsTooLarge: more
// confirmations were asked for than the unstable main chain has blocks.
type MinConfirmationsTooLargeError struct{ Given, Max uint32 }

func (e *MinConfirmationsTooLargeError) Error() string {
	return fmt.Sprintf("canister: min_confirmations %d too large (max %d)", e.Given, e.Max)
}

// UnknownTipBlockHashError is UnknownTipBlockHash: a page token names a tip
// that is no longer on the unstable main chain.
type UnknownTipBlockHashError struct{ TipBlockHash chainhash.Hash }

func (e *UnknownTipBlockHashError) Error() string {
	return fmt.Sprintf("canister: unknown tip block hash %s", e.TipBlockHash)
}

// MalformedPageError is MalformedPage: the page token does not decode.
type MalformedPageError struct{ Reason string }

func (e *MalformedPageError) Error() string { return "canister: malformed page: " + e.Reason }

// BlockHeadersError is one of GetBlockHeadersError's variants.
type BlockHeadersError struct {
	// Kind is "StartHeightDoesNotExist", "EndHeightDoesNotExist" or
	// "StartHeightLargerThanEndHeight".
	Kind                  string
	Start, End, TipHeight uint32
}

func (e *BlockHeadersError) Error() string {
	return fmt.Sprintf("canister: get_block_headers(%d, %d) with tip %d: %s", e.Start, e.End, e.TipHeight, e.Kind)
}

// MalformedTransactionError is SendTransactionError::MalformedTransaction.
type MalformedTransactionError struct{ Reason string }

func (e *MalformedTransactionError) Error() string {
	return "canister: malformed transaction: " + e.Reason
}
