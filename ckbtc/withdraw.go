package ckbtc

import (
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/principal"
)

var errIllegalTarget = errors.New("illegal retrieve_btc target")

// RetrieveBtc is retrieve_btc: it burns amount from the caller's withdrawal
// account and queues the withdrawal; the burn's block index is the request
// id. Errors are *RetrieveBtcError (never InsufficientAllowance), except the
// call the Internet Computer's minter traps on (paying the minter's own
// address).
func (m *Minter) RetrieveBtc(caller principal.Principal, args RetrieveBtcArgs, now uint64) (uint64, error) {
	script, kind, rerr := m.checkRetrieve(caller, args.Address, args.Amount)
	if rerr != nil {
		return 0, rerr
	}
	sub := WithdrawalSubaccount(caller)
	bal, err := m.ledger.Balance(Account{Owner: m.cfg.MinterID, Subaccount: &sub})
	if err != nil {
		return 0, ledgerError(err)
	}
	if bal < args.Amount {
		return 0, &RetrieveBtcError{InsufficientFunds: &BalanceRecord{Balance: bal}}
	}
	if rerr := m.checkDestination(args.Address); rerr != nil {
		return 0, rerr
	}
	block, err := m.ledger.Burn(sub, args.Amount, BurnConvertMemo(args.Address))
	if err != nil {
		return 0, ledgerError(err)
	}
	m.accept(now, withdrawal{BlockIndex: block, Amount: args.Amount, Address: args.Address, Script: script, Kind: uint8(kind), ReceivedAt: now, Owner: caller}, nil)
	return block, nil
}

// RetrieveBtcWithApproval is retrieve_btc_with_approval: it burns amount
// from the caller's account (from_subaccount) with icrc2_transfer_from, the
// minter being the spender, and queues the withdrawal.
func (m *Minter) RetrieveBtcWithApproval(caller principal.Principal, args RetrieveBtcWithApprovalArgs, now uint64) (uint64, error) {
	from := Account{Owner: caller}
	if args.FromSubaccount != nil {
		if len(*args.FromSubaccount) != SubaccountLen {
			msg := "from_subaccount must be 32 bytes"
			return 0, &RetrieveBtcError{GenericError: &GenericError{ErrorMessage: msg}}
		}
		var s [SubaccountLen]byte
		copy(s[:], *args.FromSubaccount)
		from.Subaccount = &s
	}
	script, kind, rerr := m.checkRetrieve(caller, args.Address, args.Amount)
	if rerr != nil {
		return 0, rerr
	}
	if rerr := m.checkDestination(args.Address); rerr != nil {
		return 0, rerr
	}
	block, err := m.ledger.BurnFrom(from, args.Amount, BurnConvertMemo(args.Address))
	if err != nil {
		return 0, ledgerError(err)
	}
	k := from.key()
	m.accept(now, withdrawal{BlockIndex: block, Amount: args.Amount, Address: args.Address, Script: script, Kind: uint8(kind), ReceivedAt: now, Owner: k.owner, Sub: k.sub}, &from)
	return block, nil
}

// checkRetrieve runs the checks before any ledger call, in the Internet
// Computer's order.
func (m *Minter) checkRetrieve(caller principal.Principal, address string, amount uint64) ([]byte, AddressKind, error) {
	if msg := m.modeAllows(caller, false); msg != "" {
		return nil, 0, &RetrieveBtcError{TemporarilyUnavailable: &msg}
	}
	if address == m.mainAddress {
		return nil, 0, errIllegalTarget
	}
	if minAmt := m.retrieveMinAmount(); amount < minAmt {
		return nil, 0, &RetrieveBtcError{AmountTooLow: &minAmt}
	}
	script, kind, err := ParseAddress(m.cfg.Network, address)
	if err != nil {
		msg := err.Error()
		return nil, 0, &RetrieveBtcError{MalformedAddress: &msg}
	}
	if m.incomplete() >= MaxConcurrentPendingRequests {
		msg := "too many pending withdrawals; retry later"
		return nil, 0, &RetrieveBtcError{TemporarilyUnavailable: &msg}
	}
	return script, kind, nil
}

func (m *Minter) checkDestination(address string) error {
	if m.cfg.Policy.AddressBlocked(address) {
		return &RetrieveBtcError{GenericError: &GenericError{ErrorMessage: "Destination address is tainted", ErrorCode: ErrorCodeTaintedAddress}}
	}
	return nil
}

func (m *Minter) incomplete() int {
	n := len(m.st.Pending)
	for _, t := range m.st.Txs {
		if !t.Replaced && t.Phase != 0 {
			n += len(t.Requests)
		}
	}
	return n
}

func ledgerError(err error) error {
	var f *InsufficientFundsError
	var a *InsufficientAllowanceError
	var t *TemporarilyUnavailableError
	switch {
	case errors.As(err, &f):
		return &RetrieveBtcError{InsufficientFunds: &BalanceRecord{Balance: f.Balance}}
	case errors.As(err, &a):
		return &RetrieveBtcError{InsufficientAllowance: &AllowanceRecord{Allowance: a.Allowance}}
	case errors.As(err, &t):
		msg := fmt.Sprintf("ledger: %s", t.Reason)
		return &RetrieveBtcError{TemporarilyUnavailable: &msg}
	}
	return &RetrieveBtcError{GenericError: &GenericError{ErrorMessage: fmt.Sprintf("ledger: %v", err)}}
}

func (m *Minter) accept(now uint64, w withdrawal, reimburse *Account) {
	ev := &EvAccepted{Amount: w.Amount, Address: candidAddress(AddressKind(w.Kind), w.Script), BlockIndex: w.BlockIndex, ReceivedAt: now}
	if reimburse != nil {
		ca := candidAccount(*reimburse)
		ev.ReimbursementAccount = &ca
	}
	m.event(now, EventType{AcceptedRetrieveBtcRequest: ev})
	m.st.Pending = append(m.st.Pending, w)
}

// RetrieveBtcStatusV2 is retrieve_btc_status_v2.
func (m *Minter) RetrieveBtcStatusV2(blockIndex uint64) RetrieveBtcStatusV2 {
	for _, r := range m.st.Reimbursements {
		if r.BlockIndex != blockIndex {
			continue
		}
		acc := candidAccount(accountKey{r.Owner, r.Sub}.account())
		reason := ReimbursementReason{CallFailed: null()}
		if !r.Done {
			return RetrieveBtcStatusV2{WillReimburse: &ReimbursementRequest{Account: acc, Amount: r.Amount, Reason: reason}}
		}
		return RetrieveBtcStatusV2{Reimbursed: &ReimbursedDeposit{Account: acc, MintBlockIndex: r.MintBlock, Amount: r.Amount, Reason: reason}}
	}
	for _, w := range m.st.Pending {
		if w.BlockIndex == blockIndex {
			return RetrieveBtcStatusV2{Pending: null()}
		}
	}
	// The newest live version of the request's transaction: a submitted
	// one wins over a replacement still being signed.
	var best *txRec
	for i := range m.st.Txs {
		t := &m.st.Txs[i]
		if !t.has(blockIndex) || t.Replaced {
			continue
		}
		if best == nil || (best.Phase != phaseSubmitted && t.Phase == phaseSubmitted) || (best.Phase == t.Phase) {
			best = t
		}
	}
	if best != nil {
		txid := TxidRecord{Txid: append([]byte(nil), best.Txid[:]...)}
		switch best.Phase {
		case phaseSigning:
			return RetrieveBtcStatusV2{Signing: null()}
		case phaseSending:
			return RetrieveBtcStatusV2{Sending: &txid}
		default:
			return RetrieveBtcStatusV2{Submitted: &txid}
		}
	}
	for _, f := range m.st.Finalized {
		if f.BlockIndex != blockIndex {
			continue
		}
		if f.Status == finalAmountTooLow {
			return RetrieveBtcStatusV2{AmountTooLow: null()}
		}
		return RetrieveBtcStatusV2{Confirmed: &TxidRecord{Txid: append([]byte(nil), f.Txid[:]...)}}
	}
	return RetrieveBtcStatusV2{Unknown: null()}
}

func (t *txRec) has(blockIndex uint64) bool {
	for _, r := range t.Requests {
		if r.BlockIndex == blockIndex {
			return true
		}
	}
	return false
}

// RetrieveBtcStatusV2ByAccount is retrieve_btc_status_v2_by_account: the
// withdrawals the account made (the caller's default account if nil), in
// block index order.
func (m *Minter) RetrieveBtcStatusV2ByAccount(caller principal.Principal, a *Account) []StatusByAccount {
	acc := Account{Owner: caller}
	if a != nil {
		acc = *a
	}
	k := acc.key()
	seen := map[uint64]bool{}
	var ids []uint64
	add := func(owner principal.Principal, sub [SubaccountLen]byte, id uint64) {
		if owner == k.owner && sub == k.sub && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, w := range m.st.Pending {
		add(w.Owner, w.Sub, w.BlockIndex)
	}
	for _, t := range m.st.Txs {
		for _, w := range t.Requests {
			add(w.Owner, w.Sub, w.BlockIndex)
		}
	}
	for _, f := range m.st.Finalized {
		add(f.Owner, f.Sub, f.BlockIndex)
	}
	for _, r := range m.st.Reimbursements {
		add(r.Owner, r.Sub, r.BlockIndex)
	}
	slices.Sort(ids)
	out := make([]StatusByAccount, 0, len(ids))
	for _, id := range ids {
		s := m.RetrieveBtcStatusV2(id)
		out = append(out, StatusByAccount{BlockIndex: id, StatusV2: &s})
	}
	return out
}
