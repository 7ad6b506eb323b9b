package ledger

import (
	"errors"
	"fmt"
)

// ErrRejected is wrapped by the errors of calls the ledger refuses outright
// (the IC ledger traps): a malformed argument, a memo over the limit, a
// self-approval, an approval or mint delegation by the minting account, an
// unknown method. The state is unchanged.
var ErrRejected = errors.New("ledger: call rejected")

func reject(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}

// ErrorKind names an ICRC-1/ICRC-2 error variant.
type ErrorKind uint8

// The ICRC-1 and ICRC-2 error variants.
const (
	BadFee ErrorKind = iota + 1
	BadBurn
	InsufficientFunds
	TooOld
	CreatedInFuture
	TemporarilyUnavailable
	Duplicate
	GenericError
	InsufficientAllowance
	AllowanceChanged
	Expired
)

var kindNames = [...]string{
	BadFee: "BadFee", BadBurn: "BadBurn", InsufficientFunds: "InsufficientFunds",
	TooOld: "TooOld", CreatedInFuture: "CreatedInFuture",
	TemporarilyUnavailable: "TemporarilyUnavailable", Duplicate: "Duplicate",
	GenericError: "GenericError", InsufficientAllowance: "InsufficientAllowance",
	AllowanceChanged: "AllowanceChanged", Expired: "Expired",
}

// String returns the Candid tag of the variant.
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("ErrorKind(%d)", uint8(k))
}

// Error is an ICRC-1/ICRC-2 error result (the Err of TransferResult,
// ApproveResult or TransferFromResult). Only the field of its Kind is set.
type Error struct {
	Kind ErrorKind
	// Amount is expected_fee (BadFee), min_burn_amount (BadBurn), balance
	// (InsufficientFunds), allowance (InsufficientAllowance) or
	// current_allowance (AllowanceChanged).
	Amount uint64
	// LedgerTime is the ledger's time for CreatedInFuture and Expired.
	LedgerTime uint64
	// DuplicateOf is the block of the original transaction for Duplicate.
	DuplicateOf uint64
	// Code and Message are set for GenericError.
	Code    uint64
	Message string
}

func (e *Error) Error() string {
	switch e.Kind {
	case BadFee:
		return fmt.Sprintf("ledger: BadFee (expected fee %d)", e.Amount)
	case BadBurn:
		return fmt.Sprintf("ledger: BadBurn (minimum burn amount %d)", e.Amount)
	case InsufficientFunds:
		return fmt.Sprintf("ledger: InsufficientFunds (balance %d)", e.Amount)
	case InsufficientAllowance:
		return fmt.Sprintf("ledger: InsufficientAllowance (allowance %d)", e.Amount)
	case AllowanceChanged:
		return fmt.Sprintf("ledger: AllowanceChanged (current allowance %d)", e.Amount)
	case CreatedInFuture, Expired:
		return fmt.Sprintf("ledger: %s (ledger time %d)", e.Kind, e.LedgerTime)
	case Duplicate:
		return fmt.Sprintf("ledger: Duplicate (of block %d)", e.DuplicateOf)
	case GenericError:
		return fmt.Sprintf("ledger: GenericError %d: %s", e.Code, e.Message)
	}
	return "ledger: " + e.Kind.String()
}
