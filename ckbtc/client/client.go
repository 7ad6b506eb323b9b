package client

import (
	"context"
	"fmt"
	"math/big"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ckbtc"
	"github.com/chainkey/chainkey/principal"
)

// Transport makes update calls and queries as one sender. *agent.Agent
// implements it.
type Transport interface {
	Call(ctx context.Context, canister principal.Principal, method string, arg []byte) ([]byte, error)
	Query(ctx context.Context, canister principal.Principal, method string, arg []byte) ([]byte, error)
}

// Client is a ckBTC client: the ledger and minter canister ids and the
// transport of one sender.
type Client struct {
	T      Transport
	Ledger principal.Principal
	Minter principal.Principal
}

// Account is an ICRC-1 account as Candid encodes it.
type Account struct {
	Owner      principal.Principal `candid:"owner"`
	Subaccount *[]byte             `candid:"subaccount"`
}

// accountArg is the minter's { owner: opt principal; subaccount: opt blob }.
type accountArg struct {
	Owner      *principal.Principal `candid:"owner"`
	Subaccount *[]byte              `candid:"subaccount"`
}

func (c *Client) call(ctx context.Context, canister principal.Principal, method string, out any, args ...any) error {
	arg, err := candid.Encode(args...)
	if err != nil {
		return fmt.Errorf("client: %s: %w", method, err)
	}
	r, err := c.T.Call(ctx, canister, method, arg)
	if err != nil {
		return fmt.Errorf("client: %s: %w", method, err)
	}
	if err := candid.Decode(r, out); err != nil {
		return fmt.Errorf("client: %s: reply: %w", method, err)
	}
	return nil
}

func (c *Client) query(ctx context.Context, canister principal.Principal, method string, out any, args ...any) error {
	arg, err := candid.Encode(args...)
	if err != nil {
		return fmt.Errorf("client: %s: %w", method, err)
	}
	r, err := c.T.Query(ctx, canister, method, arg)
	if err != nil {
		return fmt.Errorf("client: %s: %w", method, err)
	}
	if err := candid.Decode(r, out); err != nil {
		return fmt.Errorf("client: %s: reply: %w", method, err)
	}
	return nil
}

func sub(b []byte) *[]byte {
	if b == nil {
		return nil
	}
	return &b
}

// Address is get_btc_address for owner (nil: the sender) and subaccount.
func (c *Client) Address(ctx context.Context, owner *principal.Principal, subaccount []byte) (string, error) {
	var addr string
	err := c.call(ctx, c.Minter, "get_btc_address", &addr, accountArg{Owner: owner, Subaccount: sub(subaccount)})
	return addr, err
}

type updateBalanceResult struct {
	candid.IsVariant
	Ok  *[]ckbtc.UtxoStatus       `candid:"Ok"`
	Err *ckbtc.UpdateBalanceError `candid:"Err"`
}

// UpdateBalance is update_balance: the minter mints ckBTC for the new
// deposits at the account's address. The UpdateBalanceError is returned
// as the error (errors.As gives *ckbtc.UpdateBalanceError).
func (c *Client) UpdateBalance(ctx context.Context, owner *principal.Principal, subaccount []byte) ([]ckbtc.UtxoStatus, error) {
	var r updateBalanceResult
	if err := c.call(ctx, c.Minter, "update_balance", &r, accountArg{Owner: owner, Subaccount: sub(subaccount)}); err != nil {
		return nil, err
	}
	if r.Err != nil {
		return nil, r.Err
	}
	if r.Ok == nil {
		return nil, nil
	}
	return *r.Ok, nil
}

// Balance is icrc1_balance_of (a query).
func (c *Client) Balance(ctx context.Context, a Account) (uint64, error) {
	var n *big.Int
	if err := c.query(ctx, c.Ledger, "icrc1_balance_of", &n, a); err != nil {
		return 0, err
	}
	if n == nil || !n.IsUint64() {
		return 0, fmt.Errorf("client: icrc1_balance_of: balance %v out of range", n)
	}
	return n.Uint64(), nil
}

// LedgerError is an ICRC-1 TransferError, ICRC-2 ApproveError or
// TransferFromError: exactly one field is set.
type LedgerError struct {
	candid.IsVariant
	BadFee *struct {
		ExpectedFee *big.Int `candid:"expected_fee" json:"expected_fee"`
	} `candid:"BadFee" json:",omitempty"`
	BadBurn *struct {
		MinBurnAmount *big.Int `candid:"min_burn_amount" json:"min_burn_amount"`
	} `candid:"BadBurn" json:",omitempty"`
	InsufficientFunds *struct {
		Balance *big.Int `candid:"balance" json:"balance"`
	} `candid:"InsufficientFunds" json:",omitempty"`
	InsufficientAllowance *struct {
		Allowance *big.Int `candid:"allowance" json:"allowance"`
	} `candid:"InsufficientAllowance" json:",omitempty"`
	AllowanceChanged *struct {
		CurrentAllowance *big.Int `candid:"current_allowance" json:"current_allowance"`
	} `candid:"AllowanceChanged" json:",omitempty"`
	TooOld          *candid.Null `candid:"TooOld" json:",omitempty"`
	CreatedInFuture *struct {
		LedgerTime uint64 `candid:"ledger_time" json:"ledger_time"`
	} `candid:"CreatedInFuture" json:",omitempty"`
	Expired *struct {
		LedgerTime uint64 `candid:"ledger_time" json:"ledger_time"`
	} `candid:"Expired" json:",omitempty"`
	TemporarilyUnavailable *candid.Null `candid:"TemporarilyUnavailable" json:",omitempty"`
	Duplicate              *struct {
		DuplicateOf *big.Int `candid:"duplicate_of" json:"duplicate_of"`
	} `candid:"Duplicate" json:",omitempty"`
	GenericError *struct {
		ErrorCode *big.Int `candid:"error_code" json:"error_code"`
		Message   string   `candid:"message" json:"message"`
	} `candid:"GenericError" json:",omitempty"`
}

func (e *LedgerError) Error() string {
	switch {
	case e.BadFee != nil:
		return fmt.Sprintf("ledger: BadFee (expected fee %v)", e.BadFee.ExpectedFee)
	case e.BadBurn != nil:
		return fmt.Sprintf("ledger: BadBurn (minimum %v)", e.BadBurn.MinBurnAmount)
	case e.InsufficientFunds != nil:
		return fmt.Sprintf("ledger: InsufficientFunds (balance %v)", e.InsufficientFunds.Balance)
	case e.InsufficientAllowance != nil:
		return fmt.Sprintf("ledger: InsufficientAllowance (allowance %v)", e.InsufficientAllowance.Allowance)
	case e.AllowanceChanged != nil:
		return fmt.Sprintf("ledger: AllowanceChanged (current %v)", e.AllowanceChanged.CurrentAllowance)
	case e.TooOld != nil:
		return "ledger: TooOld"
	case e.CreatedInFuture != nil:
		return fmt.Sprintf("ledger: CreatedInFuture (ledger time %d)", e.CreatedInFuture.LedgerTime)
	case e.Expired != nil:
		return fmt.Sprintf("ledger: Expired (ledger time %d)", e.Expired.LedgerTime)
	case e.TemporarilyUnavailable != nil:
		return "ledger: TemporarilyUnavailable"
	case e.Duplicate != nil:
		return fmt.Sprintf("ledger: Duplicate (of block %v)", e.Duplicate.DuplicateOf)
	case e.GenericError != nil:
		return fmt.Sprintf("ledger: GenericError %v: %s", e.GenericError.ErrorCode, e.GenericError.Message)
	}
	return "ledger: error"
}

type natResult struct {
	candid.IsVariant
	Ok  **big.Int    `candid:"Ok"`
	Err *LedgerError `candid:"Err"`
}

func (r *natResult) index(method string) (uint64, error) {
	if r.Err != nil {
		return 0, r.Err
	}
	if r.Ok == nil || *r.Ok == nil || !(*r.Ok).IsUint64() {
		return 0, fmt.Errorf("client: %s: no block index", method)
	}
	return (*r.Ok).Uint64(), nil
}

type transferArg struct {
	FromSubaccount *[]byte   `candid:"from_subaccount"`
	To             Account   `candid:"to"`
	Amount         *big.Int  `candid:"amount"`
	Fee            **big.Int `candid:"fee"`
	Memo           *[]byte   `candid:"memo"`
	CreatedAtTime  *uint64   `candid:"created_at_time"`
}

// Transfer is icrc1_transfer of amount from the sender's subaccount to
// to, with the ledger's fee; it returns the block index. A ledger error
// is returned as *LedgerError.
func (c *Client) Transfer(ctx context.Context, fromSubaccount []byte, to Account, amount uint64, memo []byte) (uint64, error) {
	var r natResult
	if err := c.call(ctx, c.Ledger, "icrc1_transfer", &r, transferArg{FromSubaccount: sub(fromSubaccount), To: to,
		Amount: new(big.Int).SetUint64(amount), Memo: sub(memo)}); err != nil {
		return 0, err
	}
	return r.index("icrc1_transfer")
}

type approveArg struct {
	FromSubaccount    *[]byte   `candid:"from_subaccount"`
	Spender           Account   `candid:"spender"`
	Amount            *big.Int  `candid:"amount"`
	ExpectedAllowance **big.Int `candid:"expected_allowance"`
	ExpiresAt         *uint64   `candid:"expires_at"`
	Fee               **big.Int `candid:"fee"`
	Memo              *[]byte   `candid:"memo"`
	CreatedAtTime     *uint64   `candid:"created_at_time"`
}

// Approve is icrc2_approve: spender may take amount from the sender's
// subaccount. It returns the block index.
func (c *Client) Approve(ctx context.Context, fromSubaccount []byte, spender Account, amount uint64) (uint64, error) {
	var r natResult
	if err := c.call(ctx, c.Ledger, "icrc2_approve", &r, approveArg{FromSubaccount: sub(fromSubaccount), Spender: spender,
		Amount: new(big.Int).SetUint64(amount)}); err != nil {
		return 0, err
	}
	return r.index("icrc2_approve")
}

type retrieveApprovalResult struct {
	candid.IsVariant
	Ok  *ckbtc.RetrieveBtcOk    `candid:"Ok"`
	Err *ckbtc.RetrieveBtcError `candid:"Err"`
}

// Withdrawal is the outcome of Withdraw.
type Withdrawal struct {
	// ApproveBlock is the ledger block of the approval.
	ApproveBlock uint64 `json:"approve_block"`
	// BlockIndex is the burn's block, which names the withdrawal.
	BlockIndex uint64 `json:"block_index"`
}

// Withdraw approves the minter for amount from the sender's subaccount
// and calls retrieve_btc_with_approval to send amount (less the fees) to
// the Bitcoin address. A minter error is returned as
// *ckbtc.RetrieveBtcError.
func (c *Client) Withdraw(ctx context.Context, fromSubaccount []byte, address string, amount uint64) (*Withdrawal, error) {
	ab, err := c.Approve(ctx, fromSubaccount, Account{Owner: c.Minter}, amount)
	if err != nil {
		return nil, err
	}
	var r retrieveApprovalResult
	if err := c.call(ctx, c.Minter, "retrieve_btc_with_approval", &r, ckbtc.RetrieveBtcWithApprovalArgs{Address: address,
		Amount: amount, FromSubaccount: sub(fromSubaccount)}); err != nil {
		return nil, err
	}
	if r.Err != nil {
		return nil, r.Err
	}
	if r.Ok == nil {
		return nil, fmt.Errorf("client: retrieve_btc_with_approval: empty reply")
	}
	return &Withdrawal{ApproveBlock: ab, BlockIndex: r.Ok.BlockIndex}, nil
}

// Status is retrieve_btc_status_v2 of a withdrawal's block index.
func (c *Client) Status(ctx context.Context, blockIndex uint64) (*ckbtc.RetrieveBtcStatusV2, error) {
	var s ckbtc.RetrieveBtcStatusV2
	err := c.query(ctx, c.Minter, "retrieve_btc_status_v2", &s, struct {
		BlockIndex uint64 `candid:"block_index"`
	}{blockIndex})
	if err != nil {
		return nil, err
	}
	return &s, nil
}
