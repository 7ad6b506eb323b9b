package ckbtc

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/candid"
)

// stateMagic starts every state encoding.
const stateMagic = "CKBTCMT\x01"

// Marshal encodes the minter's state (not its Config): the magic
// "CKBTCMT\x01" followed by one Candid message holding every deposit,
// available UTXO, queued withdrawal, transaction, final status, the fee
// percentiles, counters, the undelivered requests and the event log, each
// list in a fixed order. Equal states give equal bytes.
func (m *Minter) Marshal() []byte {
	b, err := candid.Encoder{Cache: &m.cache}.Encode(m.st)
	if err != nil {
		panic(fmt.Sprintf("ckbtc: encode state: %v", err))
	}
	return append([]byte(stateMagic), b...)
}

// Hash returns SHA-256 of Marshal's output.
func (m *Minter) Hash() [32]byte { return sha256.Sum256(m.Marshal()) }

// Restore replaces the minter's state with one written by Marshal. It
// accepts only canonical encodings (those Marshal gives back byte for byte)
// of a consistent state: deposits strictly ordered by outpoint, available
// UTXOs strictly ordered by (value, txid, vout), transactions whose
// signatures, hashes and outputs match their inputs and requests, and no
// UTXO both available and spent by a transaction. On error the minter is
// unchanged.
func (m *Minter) Restore(data []byte) error {
	if !bytes.HasPrefix(data, []byte(stateMagic)) {
		return errors.New("ckbtc: state: bad magic")
	}
	var st state
	if err := (candid.Decoder{Cache: &m.cache}).Decode(data[len(stateMagic):], &st); err != nil {
		return fmt.Errorf("ckbtc: state: %w", err)
	}
	re, err := candid.Encoder{Cache: &m.cache}.Encode(st)
	if err != nil || !bytes.Equal(re, data[len(stateMagic):]) {
		return errors.New("ckbtc: state: not in canonical form")
	}
	if err := checkState(&st); err != nil {
		return fmt.Errorf("ckbtc: state: %w", err)
	}
	m.st = st
	return nil
}

func checkState(st *state) error {
	for i := 1; i < len(st.Deposits); i++ {
		if compareOutpoint(st.Deposits[i-1].Utxo.outpoint(), st.Deposits[i].Utxo.outpoint()) >= 0 {
			return errors.New("deposits out of order")
		}
	}
	for _, d := range st.Deposits {
		if d.Status < depMinted || d.Status > depQuarantined {
			return errors.New("unknown deposit status")
		}
	}
	spent := map[outpoint]bool{}
	for i, u := range st.Available {
		if i > 0 && !lessUtxo(st.Available[i-1].Utxo, u.Utxo) {
			return errors.New("available UTXOs out of order")
		}
		if len(u.Pubkey) != 33 {
			return errors.New("available UTXO without its key")
		}
		spent[u.Utxo.outpoint()] = true
	}
	for _, o := range st.Outbox {
		if o.IsSend == (o.SignID != 0) || o.SignID > st.NextID {
			return errors.New("malformed pending request")
		}
	}
	families := map[uint64][]outpoint{}
	for _, t := range st.Txs {
		if t.Phase < phaseSigning || t.Phase > phaseSubmitted {
			return errors.New("unknown transaction phase")
		}
		if len(t.Inputs) == 0 || len(t.Requests) == 0 || len(t.Outputs) != len(t.Requests)+1 {
			return errors.New("transaction shape does not match its requests")
		}
		if len(t.Hashes) != len(t.Inputs) || len(t.Sigs) != len(t.Inputs) || len(t.Pubkeys) != len(t.Inputs) {
			return errors.New("transaction signatures do not match its inputs")
		}
		if t.Family == 0 || t.Family > st.NextID || t.FirstSignID+uint64(len(t.Inputs))-1 > st.NextID {
			return errors.New("transaction ids beyond the counter")
		}
		ins := make([]outpoint, len(t.Inputs))
		for i, in := range t.Inputs {
			ins[i] = in.Utxo.outpoint()
		}
		if prev, ok := families[t.Family]; ok {
			if !slices.Equal(prev, ins) {
				return errors.New("versions of a transaction spend different inputs")
			}
			continue
		}
		families[t.Family] = ins
		for _, op := range ins {
			if spent[op] {
				return errors.New("a UTXO is spent twice")
			}
			spent[op] = true
		}
	}
	for _, f := range st.Finalized {
		if f.Status != finalConfirmed && f.Status != finalAmountTooLow {
			return errors.New("unknown final status")
		}
	}
	reimbursed := map[uint64]bool{}
	for _, r := range st.Reimbursements {
		if reimbursed[r.BlockIndex] {
			return errors.New("a withdrawal is reimbursed twice")
		}
		reimbursed[r.BlockIndex] = true
		if !r.Done && r.MintBlock != 0 {
			return errors.New("pending reimbursement with a mint block")
		}
	}
	if len(st.Finalized) > MaxFinalizedRequests {
		return errors.New("too many final statuses")
	}
	if n := len(st.FeePercentiles); n != 0 && n != 101 {
		return errors.New("fee percentiles are not 101 values")
	}
	return nil
}
