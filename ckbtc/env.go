package ckbtc

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/principal"
)

// Ledger is what the minter needs of the ckBTC ledger, whose minting account
// is the minter's default account. Calls are synchronous: the ledger is a
// deterministic component of the same subnet and the node runs them inside
// the minter's call. Implementations return *InsufficientFundsError,
// *InsufficientAllowanceError or *TemporarilyUnavailableError for the
// ledger's errors of those names; anything else is reported as a generic
// error.
type Ledger interface {
	// Mint transfers amount from the minting account to to with memo and
	// returns the block index.
	Mint(to Account, amount uint64, memo []byte) (uint64, error)
	// Burn transfers amount from the minter's own subaccount from (the
	// withdrawal account) to the minting account, with memo, and returns
	// the block index.
	Burn(from [SubaccountLen]byte, amount uint64, memo []byte) (uint64, error)
	// BurnFrom is icrc2_transfer_from with the minter as spender: it moves
	// amount from from to the minting account and returns the block index.
	BurnFrom(from Account, amount uint64, memo []byte) (uint64, error)
	// Balance returns an account's balance.
	Balance(a Account) (uint64, error)
}

// InsufficientFundsError is the ledger's InsufficientFunds.
type InsufficientFundsError struct{ Balance uint64 }

func (e *InsufficientFundsError) Error() string {
	return fmt.Sprintf("insufficient funds: balance %d", e.Balance)
}

// InsufficientAllowanceError is the ledger's InsufficientAllowance.
type InsufficientAllowanceError struct{ Allowance uint64 }

func (e *InsufficientAllowanceError) Error() string {
	return fmt.Sprintf("insufficient allowance: %d", e.Allowance)
}

// TemporarilyUnavailableError is a temporary failure of the ledger or the
// Bitcoin canister.
type TemporarilyUnavailableError struct{ Reason string }

func (e *TemporarilyUnavailableError) Error() string {
	return "temporarily unavailable: " + e.Reason
}

// Utxo is an unspent output as the Bitcoin canister reports it (txid in
// internal byte order).
type Utxo struct {
	Txid   [32]byte
	Vout   uint32
	Value  uint64
	Height uint32
}

func (u Utxo) outpoint() outpoint { return outpoint{u.Txid, u.Vout} }

type outpoint struct {
	txid [32]byte
	vout uint32
}

// Bitcoin is what the minter reads from the Bitcoin canister. Like Ledger it
// is synchronous and deterministic: the node answers from its Bitcoin
// canister state.
type Bitcoin interface {
	// GetUtxos returns all UTXOs of address with at least minConfirmations
	// confirmations and the main chain's tip height.
	GetUtxos(address string, minConfirmations uint32) (utxos []Utxo, tipHeight uint32, err error)
	// FeePercentiles is bitcoin_get_current_fee_percentiles (millisatoshi
	// per virtual byte, p0 … p100; empty if unknown).
	FeePercentiles() ([]uint64, error)
}

// Request is something the minter asks the host to do: exactly one of Sign
// and Send is set.
type Request struct {
	Sign *SignRequest
	Send *SendRequest
}

// SignRequest is a sign_with_ecdsa call with the minter's key. The host
// answers with DeliverSignature(ID, ...).
type SignRequest struct {
	ID             uint64
	KeyName        string
	DerivationPath [][]byte
	MessageHash    [32]byte
}

// SendRequest is a bitcoin_send_transaction call. The host answers with
// DeliverSendResult(Txid, ...).
type SendRequest struct {
	Txid        [32]byte
	Transaction []byte
}

// CanisterBitcoin reads a Bitcoin canister state for the minter.
type CanisterBitcoin struct{ State *canister.State }

// GetUtxos implements Bitcoin, following every page.
func (c CanisterBitcoin) GetUtxos(address string, minConf uint32) ([]Utxo, uint32, error) {
	f := canister.UtxosFilter{MinConfirmations: &minConf}
	var out []Utxo
	var tip uint32
	for {
		r, err := c.State.GetUtxos(address, f)
		if err != nil {
			return nil, 0, err
		}
		tip = r.TipHeight
		for _, u := range r.Utxos {
			out = append(out, Utxo{Txid: u.OutPoint.Hash, Vout: u.OutPoint.Index, Value: u.Value, Height: u.Height})
		}
		if r.NextPage == nil {
			return out, tip, nil
		}
		f = canister.UtxosFilter{Page: r.NextPage}
	}
}

// FeePercentiles implements Bitcoin.
func (c CanisterBitcoin) FeePercentiles() ([]uint64, error) {
	return c.State.FeePercentiles(), nil
}

var errAnonymous = errors.New("the owner must be non-anonymous")

func isAnonymous(p principal.Principal) bool { return p == principal.Anonymous() }

func wireOutpoint(op outpoint) wire.OutPoint {
	return wire.OutPoint{Hash: chainhash.Hash(op.txid), Index: op.vout}
}
