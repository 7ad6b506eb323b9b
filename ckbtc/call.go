package ckbtc

import (
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// Reject codes, as the Internet Computer numbers them.
const (
	RejectDestinationInvalid = 3 // no such method
	RejectCanisterError      = 5 // the call trapped or its argument did not decode
)

// Reject is a call's reject: the minter trapped, or the method or argument
// is unknown.
type Reject struct {
	Code    int
	Message string
}

func (r *Reject) Error() string { return fmt.Sprintf("ckbtc: reject %d: %s", r.Code, r.Message) }

// Method describes one of the minter's methods.
type Method struct {
	Name  string
	Query bool
}

// Methods lists the methods Call serves, as ckbtc_minter.did declares them.
func Methods() []Method {
	return []Method{
		{"get_btc_address", false},
		{"get_known_utxos", true},
		{"update_balance", false},
		{"estimate_withdrawal_fee", true},
		{"get_deposit_fee", true},
		{"get_withdrawal_account", false},
		{"retrieve_btc", false},
		{"retrieve_btc_with_approval", false},
		{"retrieve_btc_status", true},
		{"retrieve_btc_status_v2", true},
		{"retrieve_btc_status_v2_by_account", true},
		{"get_minter_info", true},
		{"get_events", true},
		{"decode_ledger_memo", true},
	}
}

type updateBalanceResult struct {
	candid.IsVariant
	Ok  *[]UtxoStatus       `candid:"Ok"`
	Err *UpdateBalanceError `candid:"Err"`
}

type retrieveResult struct {
	candid.IsVariant
	Ok  *RetrieveBtcOk      `candid:"Ok"`
	Err *retrieveBtcErrorV1 `candid:"Err"`
}

type retrieveApprovalResult struct {
	candid.IsVariant
	Ok  *RetrieveBtcOk    `candid:"Ok"`
	Err *RetrieveBtcError `candid:"Err"`
}

type estimateArg struct {
	Amount *uint64 `candid:"amount"`
}

type blockIndexArg struct {
	BlockIndex uint64 `candid:"block_index"`
}

type eventsArg struct {
	Start  uint64 `candid:"start"`
	Length uint64 `candid:"length"`
}

// Call runs method with the Candid argument arg for caller at time now
// (nanoseconds since the epoch) and returns the Candid reply or a *Reject.
// Queries do not change the state.
func (m *Minter) Call(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	reply, err := m.call(method, arg, caller, now)
	if err != nil {
		var r *Reject
		if errors.As(err, &r) {
			return nil, r
		}
		return nil, &Reject{Code: RejectCanisterError, Message: err.Error()}
	}
	b, err := candid.Encode(reply...)
	if err != nil {
		return nil, &Reject{Code: RejectCanisterError, Message: fmt.Sprintf("encode reply: %v", err)}
	}
	return b, nil
}

func decodeArg(arg []byte, ptrs ...any) error {
	if err := candid.Decode(arg, ptrs...); err != nil {
		return &Reject{Code: RejectCanisterError, Message: fmt.Sprintf("decode argument: %v", err)}
	}
	return nil
}

func subaccountArg(b *[]byte) (*[SubaccountLen]byte, error) {
	if b == nil {
		return nil, nil
	}
	if len(*b) != SubaccountLen {
		return nil, &Reject{Code: RejectCanisterError, Message: fmt.Sprintf("subaccount has %d bytes, want 32", len(*b))}
	}
	s := [SubaccountLen]byte(*b)
	return &s, nil
}

func (m *Minter) call(method string, arg []byte, caller principal.Principal, now uint64) ([]any, error) {
	switch method {
	case "get_btc_address", "get_known_utxos", "update_balance":
		var a AccountArg
		if err := decodeArg(arg, &a); err != nil {
			return nil, err
		}
		sub, err := subaccountArg(a.Subaccount)
		if err != nil {
			return nil, err
		}
		switch method {
		case "get_btc_address":
			addr, err := m.GetBtcAddress(caller, a.Owner, sub)
			if err != nil {
				return nil, err
			}
			return []any{addr}, nil
		case "get_known_utxos":
			return []any{m.GetKnownUtxos(caller, a.Owner, sub)}, nil
		}
		st, err := m.UpdateBalance(caller, a.Owner, sub, now)
		var ue *UpdateBalanceError
		switch {
		case err == nil:
			return []any{updateBalanceResult{Ok: &st}}, nil
		case errors.As(err, &ue):
			return []any{updateBalanceResult{Err: ue}}, nil
		}
		return nil, err
	case "estimate_withdrawal_fee":
		var a estimateArg
		if err := decodeArg(arg, &a); err != nil {
			return nil, err
		}
		f, err := m.EstimateWithdrawalFee(a.Amount)
		if err != nil {
			return nil, err
		}
		return []any{f}, nil
	case "get_deposit_fee":
		if err := decodeArg(arg); err != nil {
			return nil, err
		}
		return []any{m.GetDepositFee()}, nil
	case "get_withdrawal_account":
		if err := decodeArg(arg); err != nil {
			return nil, err
		}
		return []any{candidAccount(m.GetWithdrawalAccount(caller))}, nil
	case "retrieve_btc":
		var a RetrieveBtcArgs
		if err := decodeArg(arg, &a); err != nil {
			return nil, err
		}
		block, err := m.RetrieveBtc(caller, a, now)
		var re *RetrieveBtcError
		switch {
		case err == nil:
			return []any{retrieveResult{Ok: &RetrieveBtcOk{BlockIndex: block}}}, nil
		case errors.As(err, &re):
			v1 := retrieveBtcErrorV1{MalformedAddress: re.MalformedAddress, AlreadyProcessing: re.AlreadyProcessing, AmountTooLow: re.AmountTooLow,
				InsufficientFunds: re.InsufficientFunds, TemporarilyUnavailable: re.TemporarilyUnavailable, GenericError: re.GenericError}
			if re.InsufficientAllowance != nil {
				v1.GenericError = &GenericError{ErrorMessage: re.Error()}
			}
			return []any{retrieveResult{Err: &v1}}, nil
		}
		return nil, err
	case "retrieve_btc_with_approval":
		var a RetrieveBtcWithApprovalArgs
		if err := decodeArg(arg, &a); err != nil {
			return nil, err
		}
		block, err := m.RetrieveBtcWithApproval(caller, a, now)
		var re *RetrieveBtcError
		switch {
		case err == nil:
			return []any{retrieveApprovalResult{Ok: &RetrieveBtcOk{BlockIndex: block}}}, nil
		case errors.As(err, &re):
			return []any{retrieveApprovalResult{Err: re}}, nil
		}
		return nil, err
	case "retrieve_btc_status", "retrieve_btc_status_v2":
		var a blockIndexArg
		if err := decodeArg(arg, &a); err != nil {
			return nil, err
		}
		s := m.RetrieveBtcStatusV2(a.BlockIndex)
		if method == "retrieve_btc_status_v2" {
			return []any{s}, nil
		}
		v1 := retrieveBtcStatusV1{Unknown: s.Unknown, Pending: s.Pending, Signing: s.Signing, Sending: s.Sending,
			Submitted: s.Submitted, AmountTooLow: s.AmountTooLow, Confirmed: s.Confirmed}
		if s.Reimbursed != nil || s.WillReimburse != nil {
			v1 = retrieveBtcStatusV1{Unknown: null()}
		}
		return []any{v1}, nil
	case "retrieve_btc_status_v2_by_account":
		var a *CandidAccount
		if err := decodeArg(arg, &a); err != nil {
			return nil, err
		}
		var acc *Account
		if a != nil {
			sub, err := subaccountArg(a.Subaccount)
			if err != nil {
				return nil, err
			}
			acc = &Account{Owner: a.Owner, Subaccount: sub}
		}
		return []any{m.RetrieveBtcStatusV2ByAccount(caller, acc)}, nil
	case "get_minter_info":
		if err := decodeArg(arg); err != nil {
			return nil, err
		}
		return []any{m.GetMinterInfo()}, nil
	case "decode_ledger_memo":
		var a decodeMemoArgs
		if err := decodeArg(arg, &a); err != nil {
			return nil, err
		}
		return []any{decodeLedgerMemo(a)}, nil
	case "get_events":
		var a eventsArg
		if err := decodeArg(arg, &a); err != nil {
			return nil, err
		}
		return []any{m.GetEvents(a.Start, a.Length)}, nil
	}
	return nil, &Reject{Code: RejectDestinationInvalid, Message: fmt.Sprintf("method %q not found", method)}
}
