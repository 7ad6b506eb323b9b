package canister_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/regtest"
)

// fuzzState is a regtest state with stable headers, UTXOs, a fork in the
// unstable tree and a segwit transaction, together with the blocks and
// transactions that built it.
type fuzzState struct {
	s      *canister.State
	blocks [][]byte
	txs    [][]byte
	addr   string
}

func newFuzzState(tb testing.TB) *fuzzState {
	s := newState(tb, 2)
	a, b := regtest.NewKey(1), regtest.NewKey(2)
	c := regtest.NewChain(t0)
	fs := &fuzzState{s: s, addr: a.Addr.EncodeAddress()}
	add := func(bl *wire.MsgBlock) {
		apply(tb, s, bl)
		fs.blocks = append(fs.blocks, regtest.BlockBytes(bl))
	}
	b1 := c.Next(a.Script, 50e8)
	add(b1)
	cb := b1.Transactions[0].TxHash()
	spend, err := regtest.SpendP2PKH(a, []wire.OutPoint{{Hash: cb, Index: 0}},
		[]regtest.Output{{Script: b.Script, Value: 10e8}, {Script: a.Script, Value: 40e8 - 1000}})
	if err != nil {
		tb.Fatal(err)
	}
	// A transaction with witness data (not checked by the canister).
	wtx := wire.NewMsgTx(2)
	wtx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: cb, Index: 7}, Witness: wire.TxWitness{{1, 2, 3}, {}}, Sequence: 1})
	wtx.AddTxOut(wire.NewTxOut(5, a.Script))
	fs.txs = append(fs.txs, regtest.TxBytes(spend), regtest.TxBytes(wtx))
	add(c.Next(b.Script, 1e8, spend, wtx))
	for range 3 {
		add(c.Next(a.Script, 3e8))
	}
	fork := c.Fork()
	fork.Time = fork.Time.Add(time.Hour)
	add(c.Next(a.Script, 2e8))
	add(fork.Next(b.Script, 1e8))
	return fs
}

// FuzzUnmarshal feeds arbitrary bytes to the state decoder that restores
// the Bitcoin canister from a snapshot. An accepted state must serialise
// back to exactly the input, and answer queries without failing.
func FuzzUnmarshal(f *testing.F) {
	fs := newFuzzState(f)
	f.Add(fs.s.Marshal())
	f.Add(newState(f, 6).Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := canister.Unmarshal(data)
		if err != nil {
			return
		}
		if again := s.Marshal(); !bytes.Equal(again, data) {
			t.Fatalf("accepted state re-encodes differently:\n%x\n%x", data, again)
		}
		if _, err := s.GetUtxos(fs.addr, canister.UtxosFilter{}); err != nil {
			t.Fatalf("restored state cannot list UTXOs: %v", err)
		}
		s.FeePercentiles()
		if _, _, err := s.BlockHeaders(0, nil); err != nil {
			t.Fatalf("restored state cannot list headers: %v", err)
		}
	})
}

// FuzzBlock feeds arbitrary bytes to the decoders of the Bitcoin payload's
// blocks (CheckSuccessors, which every node runs on a proposer's payload)
// and of send_transaction (CheckTransaction). Both must accept only the
// consensus serialisation of what they decode: an accepted block or
// transaction serialises back to exactly the input.
func FuzzBlock(f *testing.F) {
	fs := newFuzzState(f)
	for _, b := range fs.blocks {
		f.Add(b)
	}
	for _, tx := range fs.txs {
		f.Add(tx)
	}
	base, err := canister.Unmarshal(fs.s.Marshal())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if tx, err := canister.CheckTransaction(raw); err == nil {
			var buf bytes.Buffer
			if err := tx.Serialize(&buf); err != nil || !bytes.Equal(buf.Bytes(), raw) {
				t.Fatalf("accepted transaction re-encodes differently (%v)", err)
			}
		}
		if err := base.CheckSuccessors([][]byte{raw}); err == nil {
			var msg wire.MsgBlock
			if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
				t.Fatalf("accepted block does not decode: %v", err)
			}
			var buf bytes.Buffer
			if err := msg.Serialize(&buf); err != nil || !bytes.Equal(buf.Bytes(), raw) {
				t.Fatalf("accepted block re-encodes differently (%v)", err)
			}
		}
	})
}

// FuzzPageToken feeds arbitrary page tokens to DecodePage and to
// get_utxos. A decoded token must re-encode to the same bytes, and a page
// that get_utxos answers must start at or after the token's position.
func FuzzPageToken(f *testing.F) {
	fs := newFuzzState(f)
	var first *canister.UtxosResponse
	for _, mc := range []uint32{0, 1, 2} {
		r, err := fs.s.GetUtxos(fs.addr, canister.UtxosFilter{MinConfirmations: u32(mc)})
		if err != nil {
			f.Fatal(err)
		}
		if first == nil {
			first = r
		}
		for _, u := range r.Utxos {
			f.Add(canister.EncodePage(r.TipBlockHash, u))
		}
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		tip, u, err := canister.DecodePage(page)
		if err != nil {
			return
		}
		if !bytes.Equal(canister.EncodePage(tip, u), page) {
			t.Fatalf("page token re-encodes differently")
		}
		r, err := fs.s.GetUtxos(fs.addr, canister.UtxosFilter{Page: page})
		if err != nil {
			return
		}
		if len(r.Utxos) > len(first.Utxos) {
			t.Fatalf("a page lists %d UTXOs, the address has %d", len(r.Utxos), len(first.Utxos))
		}
		for _, got := range r.Utxos {
			if got.Height > u.Height {
				t.Fatalf("page at height %d lists a UTXO of height %d", u.Height, got.Height)
			}
		}
	})
}
