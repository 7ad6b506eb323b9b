package ckbtc

import (
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// The Candid types of ckbtc_minter.did, mapped to Go with the candid
// package's struct tags.

// CandidAccount is the did's Account.
type CandidAccount struct {
	Owner      principal.Principal `candid:"owner"`
	Subaccount *[]byte             `candid:"subaccount"`
}

// CandidOutpoint is a UTXO's outpoint.
type CandidOutpoint struct {
	Txid []byte `candid:"txid"`
	Vout uint32 `candid:"vout"`
}

// CandidUtxo is the did's Utxo.
type CandidUtxo struct {
	Outpoint CandidOutpoint `candid:"outpoint"`
	Value    uint64         `candid:"value"`
	Height   uint32         `candid:"height"`
}

// AccountArg is the argument of get_btc_address, get_known_utxos and
// update_balance.
type AccountArg struct {
	Owner      *principal.Principal `candid:"owner"`
	Subaccount *[]byte              `candid:"subaccount"`
}

// MintedStatus is UtxoStatus::Minted.
type MintedStatus struct {
	BlockIndex   uint64     `candid:"block_index"`
	MintedAmount uint64     `candid:"minted_amount"`
	Utxo         CandidUtxo `candid:"utxo"`
}

// UtxoStatus is the did's UtxoStatus.
type UtxoStatus struct {
	candid.IsVariant
	ValueTooSmall *CandidUtxo   `candid:"ValueTooSmall"`
	Tainted       *CandidUtxo   `candid:"Tainted"`
	Checked       *CandidUtxo   `candid:"Checked"`
	Minted        *MintedStatus `candid:"Minted"`
}

// PendingUtxo is a deposit without enough confirmations yet.
type PendingUtxo struct {
	Outpoint      CandidOutpoint `candid:"outpoint"`
	Value         uint64         `candid:"value"`
	Confirmations uint32         `candid:"confirmations"`
}

// SuspendedReason is the did's SuspendedReason.
type SuspendedReason struct {
	candid.IsVariant
	ValueTooSmall *candid.Null `candid:"ValueTooSmall"`
	Quarantined   *candid.Null `candid:"Quarantined"`
}

// SuspendedUtxo is a deposit the minter set aside.
type SuspendedUtxo struct {
	Utxo          CandidUtxo      `candid:"utxo"`
	Reason        SuspendedReason `candid:"reason"`
	EarliestRetry uint64          `candid:"earliest_retry"`
}

// NoNewUtxos is UpdateBalanceError::NoNewUtxos.
type NoNewUtxos struct {
	CurrentConfirmations  *uint32          `candid:"current_confirmations"`
	RequiredConfirmations uint32           `candid:"required_confirmations"`
	PendingUtxos          *[]PendingUtxo   `candid:"pending_utxos"`
	SuspendedUtxos        *[]SuspendedUtxo `candid:"suspended_utxos"`
}

// GenericError is the did's GenericError payload.
type GenericError struct {
	ErrorMessage string `candid:"error_message"`
	ErrorCode    uint64 `candid:"error_code"`
}

// UpdateBalanceError is the did's UpdateBalanceError; it implements error.
type UpdateBalanceError struct {
	candid.IsVariant
	NoNewUtxos             *NoNewUtxos   `candid:"NoNewUtxos"`
	AlreadyProcessing      *candid.Null  `candid:"AlreadyProcessing"`
	TemporarilyUnavailable *string       `candid:"TemporarilyUnavailable"`
	GenericError           *GenericError `candid:"GenericError"`
}

func (e *UpdateBalanceError) Error() string {
	switch {
	case e.NoNewUtxos != nil:
		return "ckbtc: no new UTXOs"
	case e.AlreadyProcessing != nil:
		return "ckbtc: already processing"
	case e.TemporarilyUnavailable != nil:
		return "ckbtc: temporarily unavailable: " + *e.TemporarilyUnavailable
	case e.GenericError != nil:
		return "ckbtc: " + e.GenericError.ErrorMessage
	}
	return "ckbtc: update_balance error"
}

// RetrieveBtcArgs is the argument of retrieve_btc.
type RetrieveBtcArgs struct {
	Address string `candid:"address"`
	Amount  uint64 `candid:"amount"`
}

// RetrieveBtcWithApprovalArgs is the argument of retrieve_btc_with_approval.
type RetrieveBtcWithApprovalArgs struct {
	Address        string  `candid:"address"`
	Amount         uint64  `candid:"amount"`
	FromSubaccount *[]byte `candid:"from_subaccount"`
}

// RetrieveBtcOk is the success of both retrieve methods.
type RetrieveBtcOk struct {
	BlockIndex uint64 `candid:"block_index"`
}

// BalanceRecord is InsufficientFunds' payload.
type BalanceRecord struct {
	Balance uint64 `candid:"balance"`
}

// AllowanceRecord is InsufficientAllowance's payload.
type AllowanceRecord struct {
	Allowance uint64 `candid:"allowance"`
}

// RetrieveBtcError is RetrieveBtcWithApprovalError (of which
// RetrieveBtcError is the subtype without InsufficientAllowance); it
// implements error.
type RetrieveBtcError struct {
	candid.IsVariant
	MalformedAddress       *string          `candid:"MalformedAddress"`
	AlreadyProcessing      *candid.Null     `candid:"AlreadyProcessing"`
	AmountTooLow           *uint64          `candid:"AmountTooLow"`
	InsufficientFunds      *BalanceRecord   `candid:"InsufficientFunds"`
	InsufficientAllowance  *AllowanceRecord `candid:"InsufficientAllowance"`
	TemporarilyUnavailable *string          `candid:"TemporarilyUnavailable"`
	GenericError           *GenericError    `candid:"GenericError"`
}

func (e *RetrieveBtcError) Error() string {
	switch {
	case e.MalformedAddress != nil:
		return "ckbtc: malformed address: " + *e.MalformedAddress
	case e.AlreadyProcessing != nil:
		return "ckbtc: already processing"
	case e.AmountTooLow != nil:
		return "ckbtc: amount too low"
	case e.InsufficientFunds != nil:
		return "ckbtc: insufficient funds"
	case e.InsufficientAllowance != nil:
		return "ckbtc: insufficient allowance"
	case e.TemporarilyUnavailable != nil:
		return "ckbtc: temporarily unavailable: " + *e.TemporarilyUnavailable
	case e.GenericError != nil:
		return "ckbtc: " + e.GenericError.ErrorMessage
	}
	return "ckbtc: retrieve_btc error"
}

// retrieveBtcErrorV1 is RetrieveBtcError as retrieve_btc answers it.
type retrieveBtcErrorV1 struct {
	candid.IsVariant
	MalformedAddress       *string        `candid:"MalformedAddress"`
	AlreadyProcessing      *candid.Null   `candid:"AlreadyProcessing"`
	AmountTooLow           *uint64        `candid:"AmountTooLow"`
	InsufficientFunds      *BalanceRecord `candid:"InsufficientFunds"`
	TemporarilyUnavailable *string        `candid:"TemporarilyUnavailable"`
	GenericError           *GenericError  `candid:"GenericError"`
}

// TxidRecord is the payload of Sending, Submitted and Confirmed.
type TxidRecord struct {
	Txid []byte `candid:"txid"`
}

// ReimbursementReason is the did's ReimbursementReason.
type ReimbursementReason struct {
	candid.IsVariant
	CallFailed *candid.Null `candid:"CallFailed"`
}

// ReimbursedDeposit is RetrieveBtcStatusV2::Reimbursed's payload.
type ReimbursedDeposit struct {
	Account        CandidAccount       `candid:"account"`
	MintBlockIndex uint64              `candid:"mint_block_index"`
	Amount         uint64              `candid:"amount"`
	Reason         ReimbursementReason `candid:"reason"`
}

// ReimbursementRequest is RetrieveBtcStatusV2::WillReimburse's payload.
type ReimbursementRequest struct {
	Account CandidAccount       `candid:"account"`
	Amount  uint64              `candid:"amount"`
	Reason  ReimbursementReason `candid:"reason"`
}

// RetrieveBtcStatusV2 is the did's RetrieveBtcStatusV2.
type RetrieveBtcStatusV2 struct {
	candid.IsVariant
	Unknown       *candid.Null          `candid:"Unknown"`
	Pending       *candid.Null          `candid:"Pending"`
	Signing       *candid.Null          `candid:"Signing"`
	Sending       *TxidRecord           `candid:"Sending"`
	Submitted     *TxidRecord           `candid:"Submitted"`
	AmountTooLow  *candid.Null          `candid:"AmountTooLow"`
	Confirmed     *TxidRecord           `candid:"Confirmed"`
	Reimbursed    *ReimbursedDeposit    `candid:"Reimbursed"`
	WillReimburse *ReimbursementRequest `candid:"WillReimburse"`
}

// retrieveBtcStatusV1 is the deprecated RetrieveBtcStatus.
type retrieveBtcStatusV1 struct {
	candid.IsVariant
	Unknown      *candid.Null `candid:"Unknown"`
	Pending      *candid.Null `candid:"Pending"`
	Signing      *candid.Null `candid:"Signing"`
	Sending      *TxidRecord  `candid:"Sending"`
	Submitted    *TxidRecord  `candid:"Submitted"`
	AmountTooLow *candid.Null `candid:"AmountTooLow"`
	Confirmed    *TxidRecord  `candid:"Confirmed"`
}

// StatusByAccount is an element of retrieve_btc_status_v2_by_account's answer.
type StatusByAccount struct {
	BlockIndex uint64               `candid:"block_index"`
	StatusV2   *RetrieveBtcStatusV2 `candid:"status_v2"`
}

// WithdrawalFee is estimate_withdrawal_fee's answer.
type WithdrawalFee struct {
	BitcoinFee uint64 `candid:"bitcoin_fee"`
	MinterFee  uint64 `candid:"minter_fee"`
}

// MinterInfo is get_minter_info's answer.
type MinterInfo struct {
	MinConfirmations     uint32  `candid:"min_confirmations"`
	RetrieveBtcMinAmount uint64  `candid:"retrieve_btc_min_amount"`
	KytFee               uint64  `candid:"kyt_fee"`
	DepositBtcMinAmount  *uint64 `candid:"deposit_btc_min_amount"`
}

// BitcoinAddress is the did's BitcoinAddress variant.
type BitcoinAddress struct {
	candid.IsVariant
	P2wpkhV0 *[]byte `candid:"p2wpkh_v0"`
	P2wshV0  *[]byte `candid:"p2wsh_v0"`
	P2trV1   *[]byte `candid:"p2tr_v1"`
	P2pkh    *[]byte `candid:"p2pkh"`
	P2sh     *[]byte `candid:"p2sh"`
}

// ChangeOutput is a transaction's change output.
type ChangeOutput struct {
	Vout  uint32 `candid:"vout"`
	Value uint64 `candid:"value"`
}

// Event is an entry of the minter's event log (get_events).
type Event struct {
	Timestamp *uint64   `candid:"timestamp"`
	Payload   EventType `candid:"payload"`
}

// EventType is the subset of the did's EventType the minter writes.
type EventType struct {
	candid.IsVariant
	ReceivedUtxos                   *EvReceivedUtxos         `candid:"received_utxos"`
	AcceptedRetrieveBtcRequest      *EvAccepted              `candid:"accepted_retrieve_btc_request"`
	RemovedRetrieveBtcRequest       *EvRemoved               `candid:"removed_retrieve_btc_request"`
	SentTransaction                 *EvSent                  `candid:"sent_transaction"`
	ReplacedTransaction             *EvReplaced              `candid:"replaced_transaction"`
	ConfirmedTransaction            *EvConfirmed             `candid:"confirmed_transaction"`
	CheckedUtxoV2                   *EvUtxoAccount           `candid:"checked_utxo_v2"`
	SuspendedUtxo                   *EvSuspended             `candid:"suspended_utxo"`
	ScheduleWithdrawalReimbursement *EvScheduleReimbursement `candid:"schedule_withdrawal_reimbursement"`
	ReimbursedWithdrawal            *EvReimbursed            `candid:"reimbursed_withdrawal"`
	CreatedConsolidateUtxosRequest  *EvConsolidate           `candid:"created_consolidate_utxos_request"`
}

// EvConsolidate is created_consolidate_utxos_request.
type EvConsolidate struct {
	Amount     uint64         `candid:"amount"`
	Address    BitcoinAddress `candid:"address"`
	BlockIndex uint64         `candid:"block_index"`
	ReceivedAt uint64         `candid:"received_at"`
}

// TooManyInputs is InvalidTransactionError::too_many_inputs.
type TooManyInputs struct {
	NumInputs    uint64 `candid:"num_inputs"`
	MaxNumInputs uint64 `candid:"max_num_inputs"`
}

// InvalidTransactionError is the did's InvalidTransactionError.
type InvalidTransactionError struct {
	candid.IsVariant
	TooManyInputs *TooManyInputs `candid:"too_many_inputs"`
}

// WithdrawalReimbursementReason is the did's WithdrawalReimbursementReason.
type WithdrawalReimbursementReason struct {
	candid.IsVariant
	InvalidTransaction *InvalidTransactionError `candid:"invalid_transaction"`
}

// EvScheduleReimbursement is schedule_withdrawal_reimbursement.
type EvScheduleReimbursement struct {
	Account        CandidAccount                 `candid:"account"`
	BurnBlockIndex uint64                        `candid:"burn_block_index"`
	Amount         uint64                        `candid:"amount"`
	Reason         WithdrawalReimbursementReason `candid:"reason"`
}

// EvReimbursed is reimbursed_withdrawal.
type EvReimbursed struct {
	BurnBlockIndex uint64 `candid:"burn_block_index"`
	MintBlockIndex uint64 `candid:"mint_block_index"`
}

// EvReceivedUtxos is received_utxos.
type EvReceivedUtxos struct {
	ToAccount CandidAccount `candid:"to_account"`
	MintTxid  *uint64       `candid:"mint_txid"`
	Utxos     []CandidUtxo  `candid:"utxos"`
}

// EvAccepted is accepted_retrieve_btc_request.
type EvAccepted struct {
	Amount               uint64               `candid:"amount"`
	Address              BitcoinAddress       `candid:"address"`
	BlockIndex           uint64               `candid:"block_index"`
	ReceivedAt           uint64               `candid:"received_at"`
	KytProvider          *principal.Principal `candid:"kyt_provider"`
	ReimbursementAccount *CandidAccount       `candid:"reimbursement_account"`
}

// EvRemoved is removed_retrieve_btc_request.
type EvRemoved struct {
	BlockIndex uint64 `candid:"block_index"`
}

// EvSent is sent_transaction.
type EvSent struct {
	Requests      []uint64       `candid:"requests"`
	Txid          []byte         `candid:"txid"`
	Utxos         []CandidUtxo   `candid:"utxos"`
	ChangeOutput  *ChangeOutput  `candid:"change_output"`
	SubmittedAt   uint64         `candid:"submitted_at"`
	Fee           *uint64        `candid:"fee"`
	WithdrawalFee *WithdrawalFee `candid:"withdrawal_fee"`
	SignedTx      *[]byte        `candid:"signed_tx"`
}

// ReplacedReason is the did's ReplacedReason (only to_retry is written).
type ReplacedReason struct {
	candid.IsVariant
	ToRetry *candid.Null `candid:"to_retry"`
}

// EvReplaced is replaced_transaction.
type EvReplaced struct {
	NewTxid       []byte          `candid:"new_txid"`
	OldTxid       []byte          `candid:"old_txid"`
	ChangeOutput  ChangeOutput    `candid:"change_output"`
	SubmittedAt   uint64          `candid:"submitted_at"`
	Fee           uint64          `candid:"fee"`
	WithdrawalFee *WithdrawalFee  `candid:"withdrawal_fee"`
	Reason        *ReplacedReason `candid:"reason"`
	NewUtxos      *[]CandidUtxo   `candid:"new_utxos"`
}

// EvConfirmed is confirmed_transaction.
type EvConfirmed struct {
	Txid []byte `candid:"txid"`
}

// EvUtxoAccount is checked_utxo_v2.
type EvUtxoAccount struct {
	Utxo    CandidUtxo    `candid:"utxo"`
	Account CandidAccount `candid:"account"`
}

// EvSuspended is suspended_utxo.
type EvSuspended struct {
	Utxo    CandidUtxo      `candid:"utxo"`
	Account CandidAccount   `candid:"account"`
	Reason  SuspendedReason `candid:"reason"`
}

func candidUtxo(u Utxo) CandidUtxo {
	return CandidUtxo{Outpoint: CandidOutpoint{Txid: append([]byte(nil), u.Txid[:]...), Vout: u.Vout}, Value: u.Value, Height: u.Height}
}

func candidAccount(a Account) CandidAccount {
	c := CandidAccount{Owner: a.Owner}
	if a.Subaccount != nil {
		s := append([]byte(nil), a.Subaccount[:]...)
		c.Subaccount = &s
	}
	return c
}

func candidAddress(kind AddressKind, script []byte) BitcoinAddress {
	_, h, _ := classifyScript(script)
	b := append([]byte(nil), h...)
	var a BitcoinAddress
	switch kind {
	case P2WPKHv0:
		a.P2wpkhV0 = &b
	case P2WSHv0:
		a.P2wshV0 = &b
	case P2TRv1:
		a.P2trV1 = &b
	case P2PKH:
		a.P2pkh = &b
	default:
		a.P2sh = &b
	}
	return a
}

func null() *candid.Null { return &candid.Null{} }
