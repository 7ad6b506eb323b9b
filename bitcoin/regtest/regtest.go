package regtest

import (
	"bytes"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Params are the regtest parameters.
var Params = &chaincfg.RegressionNetParams

// Chain extends a regtest chain block by block.
type Chain struct {
	Tip    wire.BlockHeader
	Height int32
	// Time is the next block's timestamp; each block adds one second.
	Time  time.Time
	extra uint32
}

// NewChain starts at the regtest genesis block with timestamps from start.
func NewChain(start time.Time) *Chain {
	return &Chain{Tip: Params.GenesisBlock.Header, Time: start}
}

// Fork returns a chain that continues from the same tip independently.
func (c *Chain) Fork() *Chain { cp := *c; cp.extra += 1 << 16; return &cp }

// Coinbase returns a coinbase transaction for height paying value to script.
func Coinbase(height int32, script []byte, value int64, extra uint32) *wire.MsgTx {
	sig, _ := txscript.NewScriptBuilder().AddInt64(int64(height)).AddInt64(int64(extra)).Script()
	tx := wire.NewMsgTx(1)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: 0xffffffff}, SignatureScript: sig, Sequence: 0xffffffff})
	tx.AddTxOut(wire.NewTxOut(value, script))
	return tx
}

// Next mines a block on top of the tip holding a coinbase that pays
// coinbaseValue to script, followed by txs, and returns it.
func (c *Chain) Next(script []byte, coinbaseValue int64, txs ...*wire.MsgTx) *wire.MsgBlock {
	c.extra++
	all := append([]*wire.MsgTx{Coinbase(c.Height+1, script, coinbaseValue, c.extra)}, txs...)
	utxs := make([]*btcutil.Tx, len(all))
	for i, tx := range all {
		utxs[i] = btcutil.NewTx(tx)
	}
	b := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version: 4, PrevBlock: c.Tip.BlockHash(), MerkleRoot: blockchain.CalcMerkleRoot(utxs, false),
			Timestamp: c.Time, Bits: Params.PowLimitBits,
		},
		Transactions: all,
	}
	Solve(&b.Header)
	c.Tip, c.Height, c.Time = b.Header, c.Height+1, c.Time.Add(time.Second)
	return b
}

// Solve searches the nonce that meets the header's target.
func Solve(h *wire.BlockHeader) {
	target := blockchain.CompactToBig(h.Bits)
	for {
		hash := h.BlockHash()
		if blockchain.HashToBig(&hash).Cmp(target) <= 0 {
			return
		}
		h.Nonce++
	}
}

// BlockBytes serialises a block.
func BlockBytes(b *wire.MsgBlock) []byte {
	var buf bytes.Buffer
	_ = b.Serialize(&buf)
	return buf.Bytes()
}

// TxBytes serialises a transaction (with witness data if any).
func TxBytes(tx *wire.MsgTx) []byte {
	var buf bytes.Buffer
	_ = tx.Serialize(&buf)
	return buf.Bytes()
}

// Key is a secp256k1 key with its regtest P2PKH address.
type Key struct {
	Priv   *btcec.PrivateKey
	Addr   *btcutil.AddressPubKeyHash
	Script []byte
}

// NewKey derives a deterministic test key from seed.
func NewKey(seed uint32) *Key {
	var b [32]byte
	b[0] = 0x42
	b[28], b[29], b[30], b[31] = byte(seed>>24), byte(seed>>16), byte(seed>>8), byte(seed)+1
	priv, _ := btcec.PrivKeyFromBytes(b[:])
	addr, err := btcutil.NewAddressPubKeyHash(btcutil.Hash160(priv.PubKey().SerializeCompressed()), Params)
	if err != nil {
		panic(err)
	}
	script, _ := txscript.PayToAddrScript(addr)
	return &Key{Priv: priv, Addr: addr, Script: script}
}

// Output is a transaction output to create.
type Output struct {
	Script []byte
	Value  int64
}

// SpendP2PKH builds and signs a transaction spending P2PKH outputs of k
// (prev outpoints with the given values) to outs.
func SpendP2PKH(k *Key, prev []wire.OutPoint, outs []Output) (*wire.MsgTx, error) {
	tx := wire.NewMsgTx(2)
	for _, op := range prev {
		tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	}
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(o.Value, o.Script))
	}
	for i := range tx.TxIn {
		sig, err := txscript.SignatureScript(tx, i, k.Script, txscript.SigHashAll, k.Priv, true)
		if err != nil {
			return nil, fmt.Errorf("regtest: sign input %d: %w", i, err)
		}
		tx.TxIn[i].SignatureScript = sig
	}
	return tx, nil
}

// TxHash returns a transaction's txid.
func TxHash(tx *wire.MsgTx) chainhash.Hash { return tx.TxHash() }
