package ckbtc

import (
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/principal"
)

// UpdateBalance is update_balance: it reads the UTXOs of the account's
// deposit address with MinConfirmations confirmations, mints value minus the
// deposit fee for each one not seen before (and retries those whose mint
// failed or whose suspension expired) and answers one UtxoStatus per UTXO
// processed. Errors are *UpdateBalanceError, except a call the Internet
// Computer's minter traps on (the owner is the minter or anonymous).
func (m *Minter) UpdateBalance(caller principal.Principal, owner *principal.Principal, sub *[SubaccountLen]byte, now uint64) ([]UtxoStatus, error) {
	a := Account{Owner: caller, Subaccount: sub}
	if owner != nil {
		a.Owner = *owner
	}
	if a.Owner == m.cfg.MinterID {
		return nil, errors.New("cannot update the minter's balance")
	}
	if isAnonymous(a.Owner) {
		return nil, errAnonymous
	}
	if msg := m.modeAllows(caller, true); msg != "" {
		return nil, &UpdateBalanceError{TemporarilyUnavailable: &msg}
	}
	pubkey, err := DeriveAccountKey(m.cfg.PublicKey, a)
	if err != nil {
		return nil, err
	}
	addr, err := P2WPKHAddress(m.cfg.Network, pubkey)
	if err != nil {
		return nil, err
	}
	utxos, tip, err := m.btc.GetUtxos(addr, m.cfg.MinConfirmations)
	if err != nil {
		msg := fmt.Sprintf("cannot read UTXOs of %s: %v", addr, err)
		return nil, &UpdateBalanceError{TemporarilyUnavailable: &msg}
	}
	var todo []Utxo
	for _, u := range utxos {
		i, ok := m.findDeposit(u.outpoint())
		if !ok {
			todo = append(todo, u)
			continue
		}
		d := m.st.Deposits[i]
		switch d.Status {
		case depChecked:
			todo = append(todo, u)
		case depValueTooSmall, depQuarantined:
			if now >= d.EarliestRetry {
				todo = append(todo, u)
			}
		}
	}
	if len(todo) == 0 {
		return nil, m.noNewUtxos(addr, a, tip)
	}
	key := a.key()
	out := make([]UtxoStatus, 0, len(todo))
	for _, u := range todo {
		cu := candidUtxo(u)
		base := deposit{Utxo: u, Owner: key.owner, Sub: key.sub}
		if u.Value <= m.cfg.CheckFee || u.Value < m.cfg.DepositMinAmount {
			m.suspend(now, base, a, depValueTooSmall)
			out = append(out, UtxoStatus{ValueTooSmall: &cu})
			continue
		}
		if m.cfg.Policy.DepositTainted(u) {
			m.suspend(now, base, a, depQuarantined)
			out = append(out, UtxoStatus{Tainted: &cu})
			continue
		}
		if i, ok := m.findDeposit(u.outpoint()); !ok || m.st.Deposits[i].Status != depChecked {
			m.event(now, EventType{CheckedUtxoV2: &EvUtxoAccount{Utxo: cu, Account: candidAccount(a)}})
		}
		amount := u.Value - m.cfg.CheckFee
		block, err := m.ledger.Mint(a, amount, MintConvertMemo(u.Txid, u.Vout, m.cfg.CheckFee))
		if err != nil {
			base.Status = depChecked
			m.upsertDeposit(base)
			out = append(out, UtxoStatus{Checked: &cu})
			continue
		}
		base.Status = depMinted
		base.MintBlock = block
		m.upsertDeposit(base)
		b := block
		m.event(now, EventType{ReceivedUtxos: &EvReceivedUtxos{ToAccount: candidAccount(a), MintTxid: &b, Utxos: []CandidUtxo{cu}}})
		set := utxoSet{s: m.st.Available}
		set.insert(ownedUtxo{Utxo: u, Owner: key.owner, Sub: key.sub, Pubkey: pubkey})
		m.st.Available = set.s
		out = append(out, UtxoStatus{Minted: &MintedStatus{BlockIndex: block, MintedAmount: amount, Utxo: cu}})
	}
	return out, nil
}

func (m *Minter) suspend(now uint64, d deposit, a Account, status uint8) {
	d.Status = status
	d.EarliestRetry = now + SuspendRetryDelay
	m.upsertDeposit(d)
	reason := SuspendedReason{ValueTooSmall: null()}
	if status == depQuarantined {
		reason = SuspendedReason{Quarantined: null()}
	}
	m.event(now, EventType{SuspendedUtxo: &EvSuspended{Utxo: candidUtxo(d.Utxo), Account: candidAccount(a), Reason: reason}})
}

// noNewUtxos builds NoNewUtxos with the deposits still short of
// confirmations and the suspended ones.
func (m *Minter) noNewUtxos(addr string, a Account, tip uint32) error {
	e := &NoNewUtxos{RequiredConfirmations: m.cfg.MinConfirmations}
	pending := []PendingUtxo{}
	if all, tip0, err := m.btc.GetUtxos(addr, 0); err == nil {
		for _, u := range all {
			if _, known := m.findDeposit(u.outpoint()); known {
				continue
			}
			conf := uint32(0)
			if u.Height <= tip0 {
				conf = tip0 - u.Height + 1
			}
			if conf >= m.cfg.MinConfirmations {
				continue
			}
			pending = append(pending, PendingUtxo{Outpoint: CandidOutpoint{Txid: append([]byte(nil), u.Txid[:]...), Vout: u.Vout}, Value: u.Value, Confirmations: conf})
		}
	}
	suspended := []SuspendedUtxo{}
	k := a.key()
	for _, d := range m.st.Deposits {
		if d.Owner != k.owner || d.Sub != k.sub {
			continue
		}
		switch d.Status {
		case depValueTooSmall:
			suspended = append(suspended, SuspendedUtxo{Utxo: candidUtxo(d.Utxo), Reason: SuspendedReason{ValueTooSmall: null()}, EarliestRetry: d.EarliestRetry})
		case depQuarantined:
			suspended = append(suspended, SuspendedUtxo{Utxo: candidUtxo(d.Utxo), Reason: SuspendedReason{Quarantined: null()}, EarliestRetry: d.EarliestRetry})
		}
	}
	e.PendingUtxos = &pending
	e.SuspendedUtxos = &suspended
	_ = tip
	return &UpdateBalanceError{NoNewUtxos: e}
}
