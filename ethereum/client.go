package ethereum

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"

	geth "github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Client is the part of an Ethereum node's JSON-RPC API this package uses.
// go-ethereum's *ethclient.Client and the ethclient/simulated backend's
// Client satisfy it.
type Client interface {
	ChainID(ctx context.Context) (*big.Int, error)
	BalanceAt(ctx context.Context, account common.Address, blockNumber *big.Int) (*big.Int, error)
	NonceAt(ctx context.Context, account common.Address, blockNumber *big.Int) (uint64, error)
	PendingNonceAt(ctx context.Context, account common.Address) (uint64, error)
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	SuggestGasPrice(ctx context.Context) (*big.Int, error)
	SuggestGasTipCap(ctx context.Context) (*big.Int, error)
	EstimateGas(ctx context.Context, call geth.CallMsg) (uint64, error)
	SendTransaction(ctx context.Context, tx *types.Transaction) error
	TransactionReceipt(ctx context.Context, txHash common.Hash) (*types.Receipt, error)
}

var (
	// ErrInsufficientFunds reports an account that cannot pay a
	// transaction's value plus its maximum fee.
	ErrInsufficientFunds = errors.New("ethereum: insufficient funds")
	// ErrNonceTaken reports a nonce already used by a mined transaction or
	// by another pending one of the same account.
	ErrNonceTaken = errors.New("ethereum: nonce already used")
)

// TxRequest describes a transaction to be completed from the chain's state
// by Prepare. Nil or zero fields are filled in.
type TxRequest struct {
	From  common.Address
	To    *common.Address // nil creates a contract from Data
	Value *big.Int        // nil is zero
	Data  []byte

	Nonce                *uint64  // nil: the account's pending nonce
	GasLimit             uint64   // 0: estimated by the node
	MaxFeePerGas         *big.Int // nil: twice the latest base fee plus the tip
	MaxPriorityFeePerGas *big.Int // nil: the node's suggested tip, at most MaxFeePerGas
}

// Prepare completes req from the node's state into an unsigned EIP-1559
// transaction (type 2) and returns it with the chain id. It refuses, with
// ErrInsufficientFunds, a transaction whose value plus maximum fee exceeds
// the sender's balance, before anything is signed.
func Prepare(ctx context.Context, c Client, req TxRequest) (*types.Transaction, *big.Int, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("ethereum: chain id: %w", err)
	}
	value := new(big.Int)
	if req.Value != nil {
		if req.Value.Sign() < 0 {
			return nil, nil, errors.New("ethereum: negative value")
		}
		value.Set(req.Value)
	}
	if req.To == nil && len(req.Data) == 0 {
		return nil, nil, errors.New("ethereum: contract creation without code")
	}
	balance, err := c.BalanceAt(ctx, req.From, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("ethereum: balance of %s: %w", req.From.Hex(), err)
	}
	if balance.Cmp(value) < 0 {
		return nil, nil, fmt.Errorf("%w: %s has %s wei, sending %s wei", ErrInsufficientFunds, req.From.Hex(), balance, value)
	}
	var nonce uint64
	if req.Nonce != nil {
		// A nonce below the latest block's is used for good: refuse it
		// before a threshold signature is spent on it.
		nonce = *req.Nonce
		mined, err := c.NonceAt(ctx, req.From, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("ethereum: nonce of %s: %w", req.From.Hex(), err)
		}
		if nonce < mined {
			return nil, nil, fmt.Errorf("%w (by a mined transaction): %s has sent %d transactions, nonce %d is taken", ErrNonceTaken, req.From.Hex(), mined, nonce)
		}
	} else if nonce, err = c.PendingNonceAt(ctx, req.From); err != nil {
		return nil, nil, fmt.Errorf("ethereum: nonce of %s: %w", req.From.Hex(), err)
	}
	tip := req.MaxPriorityFeePerGas
	if tip == nil {
		if tip, err = c.SuggestGasTipCap(ctx); err != nil {
			return nil, nil, fmt.Errorf("ethereum: suggested tip: %w", err)
		}
		if req.MaxFeePerGas != nil && tip.Cmp(req.MaxFeePerGas) > 0 {
			tip = req.MaxFeePerGas // a given fee cap bounds the suggested tip
		}
	}
	feeCap := req.MaxFeePerGas
	if feeCap == nil {
		head, err := c.HeaderByNumber(ctx, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("ethereum: latest header: %w", err)
		}
		if head.BaseFee == nil {
			return nil, nil, errors.New("ethereum: the chain has no base fee (not London): give --max-fee-per-gas")
		}
		feeCap = new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	}
	if tip.Sign() < 0 || feeCap.Cmp(tip) < 0 {
		return nil, nil, fmt.Errorf("ethereum: max fee per gas %s below max priority fee per gas %s", feeCap, tip)
	}
	gas := req.GasLimit
	if gas == 0 {
		gas, err = c.EstimateGas(ctx, geth.CallMsg{From: req.From, To: req.To, GasFeeCap: feeCap, GasTipCap: tip, Value: value, Data: req.Data})
		if err != nil {
			return nil, nil, classify("estimate gas", err)
		}
	}
	cost := new(big.Int).Mul(new(big.Int).SetUint64(gas), feeCap)
	cost.Add(cost, value)
	if balance.Cmp(cost) < 0 {
		return nil, nil, fmt.Errorf("%w: %s has %s wei, needs %s wei (value %s + gas %d × max fee %s)",
			ErrInsufficientFunds, req.From.Hex(), balance, cost, value, gas, feeCap)
	}
	tx := types.NewTx(&types.DynamicFeeTx{
		ChainID:   chainID,
		Nonce:     nonce,
		GasTipCap: new(big.Int).Set(tip),
		GasFeeCap: new(big.Int).Set(feeCap),
		Gas:       gas,
		To:        req.To,
		Value:     value,
		Data:      req.Data,
	})
	return tx, chainID, nil
}

// Send submits a signed transaction. A nonce that is already used and an
// account that cannot pay are reported as ErrNonceTaken and
// ErrInsufficientFunds (with the node's message).
func Send(ctx context.Context, c Client, tx *types.Transaction) error {
	if err := c.SendTransaction(ctx, tx); err != nil {
		return classify(fmt.Sprintf("send %s (nonce %d)", tx.Hash().Hex(), tx.Nonce()), err)
	}
	return nil
}

// classify maps a node's error message (the only form JSON-RPC carries) to
// the package's errors.
func classify(op string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "nonce too low"):
		return fmt.Errorf("%w (by a mined transaction): %s: %w", ErrNonceTaken, op, err)
	case strings.Contains(msg, "already known"), strings.Contains(msg, "replacement transaction underpriced"):
		return fmt.Errorf("%w (by a pending transaction): %s: %w", ErrNonceTaken, op, err)
	case strings.Contains(msg, "insufficient funds"):
		return fmt.Errorf("%w: %s: %w", ErrInsufficientFunds, op, err)
	}
	return fmt.Errorf("ethereum: %s: %w", op, err)
}
