package ckbtc

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/chain"
)

// Tick runs the minter's periodic work at time now (nanoseconds since the
// epoch): it refreshes the fee percentiles, confirms submitted transactions
// whose change output has MinConfirmations confirmations at the main
// address, replaces transactions unconfirmed for ResubmitAfter with a higher
// fee, and forms a new batch of queued withdrawals when one is due. New
// requests are collected with TakeRequests. The Internet Computer's minter
// runs this every five seconds.
func (m *Minter) Tick(now uint64) {
	if p, err := m.btc.FeePercentiles(); err == nil && len(p) > 0 {
		m.st.FeePercentiles = slices.Clone(p)
	}
	m.finalize(now)
	m.reimburse(now)
	m.resubmit(now)
	m.submitBatch(now)
	m.consolidate(now)
}

// TakeRequests returns the requests handed out since the last call and
// forgets them: the host must answer each one (DeliverSignature,
// DeliverSendResult).
func (m *Minter) TakeRequests() []Request {
	out := make([]Request, 0, len(m.st.Outbox))
	for _, o := range m.st.Outbox {
		if o.IsSend {
			out = append(out, Request{Send: &SendRequest{Txid: o.Txid, Transaction: slices.Clone(o.Payload)}})
			continue
		}
		out = append(out, Request{Sign: &SignRequest{ID: o.SignID, KeyName: m.cfg.KeyName, DerivationPath: clonePath(o.Path), MessageHash: o.Hash}})
	}
	m.st.Outbox = nil
	return out
}

func clonePath(p [][]byte) [][]byte {
	out := make([][]byte, len(p))
	for i, e := range p {
		out[i] = slices.Clone(e)
	}
	return out
}

// canFormBatch is the Internet Computer's can_form_a_batch.
func (m *Minter) canFormBatch(now uint64) bool {
	p := m.st.Pending
	if len(p) == 0 {
		return false
	}
	if len(p) >= MinPendingRequests {
		return true
	}
	if now >= p[0].ReceivedAt && now-p[0].ReceivedAt >= m.cfg.MaxTimeInQueue {
		return true
	}
	last := p[len(p)-1].ReceivedAt
	return m.st.LastSubmission != 0 && last >= m.st.LastSubmission && last-m.st.LastSubmission >= m.cfg.MaxTimeInQueue
}

// lessRequest orders a batch as the Internet Computer's BTreeSet of
// requests does: by amount, then destination, then block index.
func lessRequest(a, b withdrawal) bool {
	if a.Amount != b.Amount {
		return a.Amount < b.Amount
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if c := compareBytes(a.Script, b.Script); c != 0 {
		return c < 0
	}
	return a.BlockIndex < b.BlockIndex
}

func compareBytes(a, b []byte) int { return slices.Compare(a, b) }

func (m *Minter) submitBatch(now uint64) {
	if !m.canFormBatch(now) {
		return
	}
	rate, ok := MedianFeeRate(m.cfg.Network, m.st.FeePercentiles)
	if !ok {
		return
	}
	// build_batch: requests in queue order while the available value covers them.
	avail := utxoSet{s: m.st.Available}.total()
	var batch, rest []withdrawal
	var amount uint64
	for _, w := range m.st.Pending {
		if avail < amount+w.Amount || len(batch) >= MaxRequestsPerBatch {
			rest = append(rest, w)
			continue
		}
		amount += w.Amount
		batch = append(batch, w)
	}
	if len(batch) == 0 {
		return
	}
	sort.SliceStable(batch, func(i, j int) bool { return lessRequest(batch[i], batch[j]) })
	outs := make([]txOut, len(batch))
	for i, w := range batch {
		outs[i] = txOut{Script: w.Script, Value: w.Amount}
	}
	set := utxoSet{s: m.st.Available}
	inputs := set.selectUtxos(amount, len(outs))
	b, err := buildFromInputs(inputs, outs, m.mainScript, m.cfg.MaxInputs, rate)
	var dust *dustOutputError
	var tooMany *tooManyInputsError
	switch {
	case err == nil:
	case errors.Is(err, errAmountTooLow):
		for _, in := range inputs {
			set.insert(in)
		}
		m.st.Available = set.s
		m.st.Pending = rest
		for _, w := range batch {
			m.finalizeRequest(now, w, finalAmountTooLow, [32]byte{})
		}
		return
	case errors.As(err, &dust):
		for _, in := range inputs {
			set.insert(in)
		}
		m.st.Available = set.s
		back := slices.Delete(slices.Clone(batch), dust.index, dust.index+1)
		m.st.Pending = mergeQueue(back, rest)
		m.finalizeRequest(now, batch[dust.index], finalAmountTooLow, [32]byte{})
		return
	case errors.As(err, &tooMany):
		for _, in := range inputs {
			set.insert(in)
		}
		m.st.Available = set.s
		m.st.Pending = rest
		m.scheduleReimbursements(now, batch, tooMany)
		return
	default:
		// Not enough funds: leave the queue as it was.
		for _, in := range inputs {
			set.insert(in)
		}
		m.st.Available = set.s
		return
	}
	m.st.Available = set.s
	m.st.Pending = rest
	m.st.LastSubmission = now
	m.st.NextID++
	rec := txRec{Family: m.st.NextID, Requests: batch, Inputs: inputs, FeeRate: rate}
	m.startSigning(&rec, b)
	m.st.Txs = append(m.st.Txs, rec)
}

// mergeQueue puts requests back into the queue in arrival order.
func mergeQueue(back, rest []withdrawal) []withdrawal {
	q := append(slices.Clone(back), rest...)
	sort.SliceStable(q, func(i, j int) bool {
		if q[i].ReceivedAt != q[j].ReceivedAt {
			return q[i].ReceivedAt < q[j].ReceivedAt
		}
		return q[i].BlockIndex < q[j].BlockIndex
	})
	return q
}

func (m *Minter) finalizeRequest(now uint64, w withdrawal, status uint8, txid [32]byte) {
	m.event(now, EventType{RemovedRetrieveBtcRequest: &EvRemoved{BlockIndex: w.BlockIndex}})
	m.st.Finalized = append(m.st.Finalized, finalized{BlockIndex: w.BlockIndex, Status: status, Txid: txid, Owner: w.Owner, Sub: w.Sub})
	if n := len(m.st.Finalized); n > MaxFinalizedRequests {
		m.st.Finalized = slices.Delete(m.st.Finalized, 0, n-MaxFinalizedRequests)
	}
}

// startSigning fills rec from the built transaction and hands out one
// sign request per input.
func (m *Minter) startSigning(rec *txRec, b *built) {
	rec.Outputs = b.outputs
	rec.Fee = b.fee
	rec.MinterFee = b.minterFee
	rec.Txid = [32]byte(b.tx.TxHash())
	rec.Phase = phaseSigning
	pubkeys := make([][]byte, len(rec.Inputs))
	for i, in := range rec.Inputs {
		pubkeys[i] = in.Pubkey
	}
	hashes, err := sighashes(b.tx, rec.Inputs, pubkeys)
	if err != nil {
		panic(fmt.Sprintf("ckbtc: sighash of a built transaction: %v", err))
	}
	rec.Pubkeys = pubkeys
	rec.Hashes = hashes
	rec.Sigs = make([][]byte, len(rec.Inputs))
	rec.FirstSignID = m.st.NextID + 1
	m.st.NextID += uint64(len(rec.Inputs))
	for i, in := range rec.Inputs {
		m.st.Outbox = append(m.st.Outbox, outReq{SignID: rec.FirstSignID + uint64(i), Path: DerivationPath(in.account()), Hash: hashes[i]})
	}
}

// DeliverSignature gives the minter the answer to sign request id: the
// 64-byte r‖s signature, or callErr if sign_with_ecdsa failed (the
// transaction is then abandoned and its requests go back to the queue).
// A signature that does not verify is refused with an error and changes
// nothing.
func (m *Minter) DeliverSignature(id uint64, sig []byte, callErr error) error {
	ti, in := -1, 0
	for i := range m.st.Txs {
		t := &m.st.Txs[i]
		if t.Phase == phaseSigning && id >= t.FirstSignID && id < t.FirstSignID+uint64(len(t.Inputs)) {
			ti, in = i, int(id-t.FirstSignID)
			break
		}
	}
	if ti < 0 {
		return fmt.Errorf("ckbtc: no signature expected for request %d", id)
	}
	if callErr != nil {
		m.abort(ti)
		return nil
	}
	t := &m.st.Txs[ti]
	if len(t.Sigs[in]) != 0 {
		return fmt.Errorf("ckbtc: request %d already answered", id)
	}
	ws, err := witnessSignature(t.Pubkeys[in], t.Hashes[in], sig)
	if err != nil {
		return fmt.Errorf("ckbtc: signature for request %d: %w", id, err)
	}
	t.Sigs[in] = ws
	for _, s := range t.Sigs {
		if len(s) == 0 {
			return nil
		}
	}
	tx := t.signedTx()
	if chainhash.Hash(t.Txid) != tx.TxHash() {
		panic("ckbtc: signed transaction changed its txid")
	}
	t.Phase = phaseSending
	m.st.Outbox = append(m.st.Outbox, outReq{IsSend: true, Txid: t.Txid, Payload: txBytes(tx)})
	return nil
}

// SignedTransaction returns the raw signed transaction txid once all its
// inputs are signed.
func (m *Minter) SignedTransaction(txid [32]byte) ([]byte, bool) {
	for _, t := range m.st.Txs {
		if t.Txid == txid && t.Phase >= phaseSending {
			return txBytes(t.signedTx()), true
		}
	}
	return nil, false
}

// signedTx assembles the transaction with every input's witness.
func (t *txRec) signedTx() *wire.MsgTx {
	tx := unsignedTx(t.Inputs, t.Outputs)
	for i := range t.Inputs {
		tx.TxIn[i].Witness = wire.TxWitness{t.Sigs[i], t.Pubkeys[i]}
	}
	return tx
}

// abort drops a transaction that could not be signed or sent. A first
// version gives its inputs and requests back; a replacement just vanishes
// and the version it replaces stays submitted.
func (m *Minter) abort(ti int) {
	t := m.st.Txs[ti]
	m.st.Txs = slices.Delete(m.st.Txs, ti, ti+1)
	for _, o := range m.st.Txs {
		if o.Family == t.Family {
			return
		}
	}
	set := utxoSet{s: m.st.Available}
	for _, in := range t.Inputs {
		set.insert(in)
	}
	m.st.Available = set.s
	if t.Consolidation {
		// The fee burn stays burned: the ckBTC supply only shrinks.
		return
	}
	m.st.Pending = mergeQueue(t.Requests, m.st.Pending)
}

// DeliverSendResult gives the minter the answer to the send request of
// txid at time now; callErr is the error of bitcoin_send_transaction, if any
// (the transaction is then abandoned as for a failed signature).
func (m *Minter) DeliverSendResult(txid [32]byte, callErr error, now uint64) error {
	ti := -1
	for i := range m.st.Txs {
		if m.st.Txs[i].Phase == phaseSending && m.st.Txs[i].Txid == txid {
			ti = i
			break
		}
	}
	if ti < 0 {
		return fmt.Errorf("ckbtc: no send pending for %x", txid)
	}
	if callErr != nil {
		m.abort(ti)
		return nil
	}
	t := &m.st.Txs[ti]
	t.Phase = phaseSubmitted
	t.SubmittedAt = now
	change := ChangeOutput{Vout: uint32(len(t.Outputs) - 1), Value: t.Outputs[len(t.Outputs)-1].Value}
	wf := WithdrawalFee{BitcoinFee: t.Fee, MinterFee: t.MinterFee}
	utxos := make([]CandidUtxo, len(t.Inputs))
	for i, in := range t.Inputs {
		utxos[i] = candidUtxo(in.Utxo)
	}
	var old *txRec
	for i := range m.st.Txs {
		o := &m.st.Txs[i]
		if i != ti && o.Family == t.Family && o.Phase == phaseSubmitted && !o.Replaced {
			old = o
		}
	}
	if old == nil {
		reqs := make([]uint64, len(t.Requests))
		for i, r := range t.Requests {
			reqs[i] = r.BlockIndex
		}
		fee := t.Fee
		m.event(now, EventType{SentTransaction: &EvSent{Requests: reqs, Txid: slices.Clone(t.Txid[:]), Utxos: utxos, ChangeOutput: &change, SubmittedAt: now, Fee: &fee, WithdrawalFee: &wf}})
		return nil
	}
	old.Replaced = true
	m.event(now, EventType{ReplacedTransaction: &EvReplaced{NewTxid: slices.Clone(t.Txid[:]), OldTxid: slices.Clone(old.Txid[:]), ChangeOutput: change, SubmittedAt: now, Fee: t.Fee, WithdrawalFee: &wf, Reason: &ReplacedReason{ToRetry: null()}}})
	return nil
}

// finalize confirms every family one of whose submitted versions has its
// change output at the main address with MinConfirmations confirmations.
func (m *Minter) finalize(now uint64) {
	if !slices.ContainsFunc(m.st.Txs, func(t txRec) bool { return t.Phase == phaseSubmitted }) {
		return
	}
	utxos, _, err := m.btc.GetUtxos(m.mainAddress, m.cfg.MinConfirmations)
	if err != nil {
		return
	}
	seen := make(map[outpoint]Utxo, len(utxos))
	for _, u := range utxos {
		seen[u.outpoint()] = u
	}
	for i := 0; i < len(m.st.Txs); i++ {
		t := m.st.Txs[i]
		if t.Phase != phaseSubmitted {
			continue
		}
		u, ok := seen[outpoint{t.Txid, uint32(len(t.Outputs) - 1)}]
		if !ok {
			continue
		}
		m.event(now, EventType{ConfirmedTransaction: &EvConfirmed{Txid: slices.Clone(t.Txid[:])}})
		for _, w := range t.Requests {
			m.finalizeRequest(now, w, finalConfirmed, t.Txid)
		}
		m.st.Txs = slices.DeleteFunc(m.st.Txs, func(o txRec) bool { return o.Family == t.Family })
		set := utxoSet{s: m.st.Available}
		set.insert(ownedUtxo{Utxo: u, Owner: m.cfg.MinterID, Pubkey: m.mainPubkey})
		if t.Consolidation {
			// The first output is the minter's too; it is in the same block.
			set.insert(ownedUtxo{Utxo: Utxo{Txid: t.Txid, Vout: 0, Value: t.Outputs[0].Value, Height: u.Height}, Owner: m.cfg.MinterID, Pubkey: m.mainPubkey})
		}
		m.st.Available = set.s
		i = -1
	}
}

// resubmit replaces submitted transactions that stayed out of every block
// for ResubmitAfter with a version paying max(median, old + 1000) msat/vB
// from the same inputs.
func (m *Minter) resubmit(now uint64) {
	var stuck []int
	for i, t := range m.st.Txs {
		if t.Phase != phaseSubmitted || t.Replaced || now < t.SubmittedAt || now-t.SubmittedAt < m.cfg.ResubmitAfter {
			continue
		}
		busy := slices.ContainsFunc(m.st.Txs, func(o txRec) bool { return o.Family == t.Family && o.Phase != phaseSubmitted })
		if !busy {
			stuck = append(stuck, i)
		}
	}
	if len(stuck) == 0 {
		return
	}
	median, ok := MedianFeeRate(m.cfg.Network, m.st.FeePercentiles)
	if !ok {
		return
	}
	mined, _, err := m.btc.GetUtxos(m.mainAddress, 0)
	if err != nil {
		return
	}
	inBlock := make(map[[32]byte]bool, len(mined))
	for _, u := range mined {
		inBlock[u.Txid] = true
	}
	var fresh []txRec
	for _, i := range stuck {
		old := m.st.Txs[i]
		if inBlock[old.Txid] {
			continue
		}
		rate := max(median, old.FeeRate+MinRelayFeeRateIncrease)
		outs := make([]txOut, len(old.Requests))
		for j, w := range old.Requests {
			outs[j] = txOut{Script: w.Script, Value: w.Amount}
		}
		b, err := buildFromInputs(old.Inputs, outs, m.mainScript, len(old.Inputs), rate)
		if err != nil {
			// The fees grew beyond what the requests can pay: wait.
			continue
		}
		rec := txRec{Family: old.Family, Requests: old.Requests, Inputs: old.Inputs, FeeRate: rate, Consolidation: old.Consolidation}
		m.startSigning(&rec, b)
		fresh = append(fresh, rec)
	}
	m.st.Txs = append(m.st.Txs, fresh...)
}

// scheduleReimbursements gives the batch's requests back to their accounts,
// less ReimbursementFeePerRequest each.
func (m *Minter) scheduleReimbursements(now uint64, batch []withdrawal, e *tooManyInputsError) {
	fees := distribute(ReimbursementFeePerRequest*uint64(len(batch)), uint64(len(batch)))
	reason := WithdrawalReimbursementReason{InvalidTransaction: &InvalidTransactionError{TooManyInputs: &TooManyInputs{NumInputs: uint64(e.n), MaxNumInputs: uint64(e.max)}}}
	for i, w := range batch {
		amount := w.Amount - min(w.Amount, fees[i])
		m.event(now, EventType{ScheduleWithdrawalReimbursement: &EvScheduleReimbursement{
			Account: candidAccount(accountKey{w.Owner, w.Sub}.account()), BurnBlockIndex: w.BlockIndex, Amount: amount, Reason: reason}})
		m.st.Reimbursements = append(m.st.Reimbursements, reimbursement{BlockIndex: w.BlockIndex, Owner: w.Owner, Sub: w.Sub, Amount: amount})
	}
	m.reimburse(now)
}

// reimburse mints the scheduled reimbursements; one the ledger refuses is
// tried again at the next tick.
func (m *Minter) reimburse(now uint64) {
	for i := range m.st.Reimbursements {
		r := &m.st.Reimbursements[i]
		if r.Done {
			continue
		}
		block, err := m.ledger.Mint(accountKey{r.Owner, r.Sub}.account(), r.Amount, MintReimburseWithdrawalMemo(r.BlockIndex))
		if err != nil {
			continue
		}
		r.Done, r.MintBlock = true, block
		m.event(now, EventType{ReimbursedWithdrawal: &EvReimbursed{BurnBlockIndex: r.BlockIndex, MintBlockIndex: block}})
	}
}

// NthFeeRate is the n-th of the Bitcoin canister's fee percentiles with the
// floors of MedianFeeRate (consolidation uses the 25th).
func NthFeeRate(net chain.Network, percentiles []uint64, n int) (uint64, bool) {
	if len(percentiles) < 101 {
		return MedianFeeRate(net, percentiles)
	}
	p := slices.Clone(percentiles)
	p[50] = percentiles[n]
	return MedianFeeRate(net, p)
}

// consolidate merges the smallest available UTXOs into two outputs to the
// main address once ConsolidationThreshold UTXOs are available, at most
// every MinConsolidationInterval, one at a time. The Bitcoin fee is burned
// from the fee collector subaccount (where the ledger's fees go).
func (m *Minter) consolidate(now uint64) {
	if len(m.st.Available) < m.cfg.ConsolidationThreshold {
		return
	}
	if now < m.st.LastConsolidation+MinConsolidationInterval && m.st.LastConsolidation != 0 {
		return
	}
	if slices.ContainsFunc(m.st.Txs, func(t txRec) bool { return t.Consolidation }) {
		return
	}
	rate, ok := NthFeeRate(m.cfg.Network, m.st.FeePercentiles, 25)
	if !ok {
		return
	}
	n := min(m.cfg.MaxInputs, len(m.st.Available))
	inputs := slices.Clone(m.st.Available[:n])
	var total uint64
	for _, in := range inputs {
		total += in.Utxo.Value
	}
	outs := []txOut{{Script: m.mainScript, Value: total / 2}}
	b, err := buildFromInputs(inputs, outs, m.mainScript, m.cfg.MaxInputs, rate)
	if err != nil {
		return
	}
	block, err := m.ledger.Burn(FeeCollectorSubaccount(), b.fee, BurnConsolidateMemo(total, uint64(n)))
	if err != nil {
		return
	}
	m.st.Available = slices.Delete(m.st.Available, 0, n)
	m.st.LastConsolidation = now
	m.event(now, EventType{CreatedConsolidateUtxosRequest: &EvConsolidate{Amount: total, Address: candidAddress(P2WPKHv0, m.mainScript), BlockIndex: block, ReceivedAt: now}})
	m.st.NextID++
	req := withdrawal{BlockIndex: block, Amount: total / 2, Address: m.mainAddress, Script: m.mainScript, Kind: uint8(P2WPKHv0), ReceivedAt: now, Owner: m.cfg.MinterID}
	rec := txRec{Family: m.st.NextID, Requests: []withdrawal{req}, Inputs: inputs, FeeRate: rate, Consolidation: true}
	m.startSigning(&rec, b)
	m.st.Txs = append(m.st.Txs, rec)
}
