package ckbtc

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcec/v2"
	becdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/principal"
)

// Constants of the Internet Computer's minter.
const (
	// DustLimit is the smallest value a withdrawal output may keep after
	// its share of the fees (plus one).
	DustLimit = 546
	// MinterAddressDustLimit bounds the minter's fee from below.
	MinterAddressDustLimit = 300
	// SequenceRBF is the sequence number of every input (BIP-125 signalling).
	SequenceRBF = 0xfffffffd
	// MinRelayFeeRateIncrease is how much a replacement raises the fee rate
	// at least (millisatoshi per virtual byte).
	MinRelayFeeRateIncrease = 1000
	// DefaultRegtestFeeRate is the fee rate on regtest while the Bitcoin
	// canister has no percentiles (millisatoshi per virtual byte).
	DefaultRegtestFeeRate = 5000
	// UtxosCountThreshold is the number of available UTXOs above which a
	// transaction takes at least as many inputs as it has outputs.
	UtxosCountThreshold = 1000
	// DefaultMaxInputs bounds the inputs of a transaction.
	DefaultMaxInputs = 1000
)

// MinterFee is the minter's fee for a transaction with the given numbers of
// inputs and outputs: max(146·inputs + 4·outputs + 26, 300) satoshi.
func MinterFee(inputs, outputs uint64) uint64 {
	return max(146*inputs+4*outputs+26, MinterAddressDustLimit)
}

// MedianFeeRate returns the fee rate the minter uses for withdrawals from
// the Bitcoin canister's percentiles: p50, floored at 1500 (mainnet) and
// 1000 (testnet) millisatoshi per virtual byte. On regtest it falls back to
// DefaultRegtestFeeRate while there are no percentiles. ok is false if no
// estimate is possible.
func MedianFeeRate(n chain.Network, percentiles []uint64) (rate uint64, ok bool) {
	if len(percentiles) < 101 {
		if n == chain.Regtest {
			return DefaultRegtestFeeRate, true
		}
		return 0, false
	}
	rate = percentiles[50]
	switch n {
	case chain.Mainnet:
		rate = max(rate, 1500)
	case chain.Regtest:
	default:
		rate = max(rate, 1000)
	}
	return rate, true
}

// ownedUtxo is a UTXO the minter controls with the account whose key locks it.
type ownedUtxo struct {
	Utxo  Utxo                `candid:"utxo"`
	Owner principal.Principal `candid:"owner"`
	Sub   [SubaccountLen]byte `candid:"subaccount"`
	// Pubkey is the account's derived key, which locks the UTXO.
	Pubkey []byte `candid:"pubkey"`
}

func (o ownedUtxo) account() Account { return accountKey{o.Owner, o.Sub}.account() }

func lessUtxo(a, b Utxo) bool {
	if a.Value != b.Value {
		return a.Value < b.Value
	}
	if c := bytes.Compare(a.Txid[:], b.Txid[:]); c != 0 {
		return c < 0
	}
	return a.Vout < b.Vout
}

// utxoSet is the minter's available UTXOs ordered by (value, txid, vout).
type utxoSet struct{ s []ownedUtxo }

func (u *utxoSet) len() int { return len(u.s) }

func (u *utxoSet) insert(o ownedUtxo) {
	i := sort.Search(len(u.s), func(i int) bool { return !lessUtxo(u.s[i].Utxo, o.Utxo) })
	u.s = append(u.s, ownedUtxo{})
	copy(u.s[i+1:], u.s[i:])
	u.s[i] = o
}

func (u *utxoSet) removeAt(i int) ownedUtxo {
	o := u.s[i]
	u.s = append(u.s[:i], u.s[i+1:]...)
	return o
}

func (u utxoSet) total() uint64 {
	var t uint64
	for _, o := range u.s {
		t += o.Utxo.Value
	}
	return t
}

// greedy takes, while the goal is positive, the smallest UTXO worth at least
// the goal, or else the largest. It takes nothing if the set cannot cover
// target.
func (u *utxoSet) greedy(target uint64) []ownedUtxo {
	var sol []ownedUtxo
	goal := target
	for goal > 0 {
		if len(u.s) == 0 {
			for _, o := range sol {
				u.insert(o)
			}
			return nil
		}
		i := sort.Search(len(u.s), func(i int) bool { return u.s[i].Utxo.Value >= goal })
		if i == len(u.s) {
			i = len(u.s) - 1
		}
		o := u.removeAt(i)
		goal -= min(goal, o.Utxo.Value)
		sol = append(sol, o)
	}
	return sol
}

// selectUtxos is the Internet Computer's utxos_selection: greedy, then, when
// the minter holds many UTXOs, the smallest ones until there are more inputs
// than outputs.
func (u *utxoSet) selectUtxos(target uint64, outputs int) []ownedUtxo {
	in := u.greedy(target)
	if len(in) == 0 {
		return nil
	}
	if len(u.s) > UtxosCountThreshold {
		for len(in) < outputs+1 && len(u.s) > 0 {
			in = append(in, u.removeAt(0))
		}
	}
	return in
}

// txOut is an output of a withdrawal transaction.
type txOut struct {
	Script []byte `candid:"script"`
	Value  uint64 `candid:"value"`
}

// errors of building a transaction.
var (
	errNotEnoughFunds = errors.New("not enough funds")
	errAmountTooLow   = errors.New("amount too low to pay the fees")
)

type dustOutputError struct{ index int }

func (e *dustOutputError) Error() string { return fmt.Sprintf("output %d is dust after fees", e.index) }

type tooManyInputsError struct{ n, max int }

func (e *tooManyInputsError) Error() string {
	return fmt.Sprintf("%d inputs, at most %d", e.n, e.max)
}

// built is an unsigned withdrawal transaction.
type built struct {
	tx        *wire.MsgTx
	outputs   []txOut // final values, change last
	fee       uint64
	minterFee uint64
}

// buildFromInputs is build_unsigned_transaction_from_inputs: one output per
// request, the change (plus the minter's fee) to the main script last; the
// Bitcoin fee and the minter's fee are split evenly over the request outputs.
func buildFromInputs(inputs []ownedUtxo, outs []txOut, mainScript []byte, maxInputs int, feeRate uint64) (*built, error) {
	if len(inputs) == 0 {
		return nil, errNotEnoughFunds
	}
	if len(inputs) > maxInputs {
		return nil, &tooManyInputsError{len(inputs), maxInputs}
	}
	var amount, inValue uint64
	for _, o := range outs {
		amount += o.Value
	}
	for _, in := range inputs {
		inValue += in.Utxo.Value
	}
	if inValue < amount {
		return nil, errNotEnoughFunds
	}
	minterFee := MinterFee(uint64(len(inputs)), uint64(len(outs)+1))
	all := make([]txOut, 0, len(outs)+1)
	all = append(all, outs...)
	all = append(all, txOut{Script: mainScript, Value: inValue - amount + minterFee})
	tx := unsignedTx(inputs, all)
	fee := vsize(tx) * feeRate / 1000
	if fee+minterFee > amount {
		return nil, errAmountTooLow
	}
	shares := distribute(fee+minterFee, uint64(len(outs)))
	for i := range outs {
		if all[i].Value <= shares[i]+DustLimit {
			return nil, &dustOutputError{i}
		}
		all[i].Value -= shares[i]
		tx.TxOut[i].Value = int64(all[i].Value)
	}
	return &built{tx: tx, outputs: all, fee: fee, minterFee: minterFee}, nil
}

// distribute splits amount into n shares as evenly as possible, larger
// shares first: distribute(5, 3) = [2, 2, 1].
func distribute(amount, n uint64) []uint64 {
	if n == 0 {
		return nil
	}
	s := make([]uint64, n)
	for i := range s {
		s[i] = amount / n
		if uint64(i) < amount%n {
			s[i]++
		}
	}
	return s
}

func unsignedTx(inputs []ownedUtxo, outs []txOut) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	for _, in := range inputs {
		ti := wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash(in.Utxo.Txid), Index: in.Utxo.Vout}, nil, nil)
		ti.Sequence = SequenceRBF
		tx.AddTxIn(ti)
	}
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(int64(o.Value), o.Script))
	}
	return tx
}

// vsize is the virtual size of tx once every input carries a P2WPKH witness
// with a 72-byte signature (the longest low-S DER signature with its sighash
// byte) and a 33-byte key.
func vsize(tx *wire.MsgTx) uint64 {
	base := uint64(tx.SerializeSizeStripped())
	wit := uint64(2) // marker and flag
	for range tx.TxIn {
		wit += 1 + 1 + 72 + 1 + 33
	}
	weight := base*4 + wit
	return (weight + 3) / 4
}

// sighashes returns the BIP-143 SIGHASH_ALL digest of every input, each
// spending a P2WPKH output of the given key.
func sighashes(tx *wire.MsgTx, inputs []ownedUtxo, pubkeys [][]byte) ([][32]byte, error) {
	prev := make(map[wire.OutPoint]*wire.TxOut, len(inputs))
	scripts := make([][]byte, len(inputs))
	for i, in := range inputs {
		s, err := p2wpkhScript(pubkeys[i])
		if err != nil {
			return nil, err
		}
		scripts[i] = s
		prev[tx.TxIn[i].PreviousOutPoint] = wire.NewTxOut(int64(in.Utxo.Value), s)
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prev))
	out := make([][32]byte, len(inputs))
	for i, in := range inputs {
		h, err := txscript.CalcWitnessSigHash(scripts[i], hashes, txscript.SigHashAll, tx, i, int64(in.Utxo.Value))
		if err != nil {
			return nil, fmt.Errorf("ckbtc: sighash of input %d: %w", i, err)
		}
		copy(out[i][:], h)
	}
	return out, nil
}

func p2wpkhScript(pubkey []byte) ([]byte, error) {
	return txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(btcutil.Hash160(pubkey)).Script()
}

// witnessSignature checks a 64-byte r‖s signature of hash under pubkey and
// returns it DER-encoded with low S and the SIGHASH_ALL byte appended.
func witnessSignature(pubkey []byte, hash [32]byte, sig []byte) ([]byte, error) {
	if len(sig) != 64 {
		return nil, fmt.Errorf("signature has %d bytes, want 64", len(sig))
	}
	var r, s btcec.ModNScalar
	if r.SetByteSlice(sig[:32]) || r.IsZero() || s.SetByteSlice(sig[32:]) || s.IsZero() {
		return nil, errors.New("signature scalar out of range")
	}
	pk, err := btcec.ParsePubKey(pubkey)
	if err != nil {
		return nil, err
	}
	if s.IsOverHalfOrder() {
		s.Negate()
	}
	es := becdsa.NewSignature(&r, &s)
	if !es.Verify(hash[:], pk) {
		return nil, errors.New("signature does not verify")
	}
	return append(es.Serialize(), byte(txscript.SigHashAll)), nil
}

func txBytes(tx *wire.MsgTx) []byte {
	var b bytes.Buffer
	b.Grow(tx.SerializeSize())
	_ = tx.Serialize(&b)
	return b.Bytes()
}
