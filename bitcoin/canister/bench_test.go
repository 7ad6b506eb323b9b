package canister_test

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/regtest"
)

// ingestBlocks builds n blocks of txsPerBlock transactions; each
// transaction spends one output of the previous block and creates
// outsPerTx outputs (signatures are not checked by the state).
func ingestBlocks(n, txsPerBlock, outsPerTx int) [][]byte {
	c := regtest.NewChain(time.Unix(1_700_000_000, 0))
	keys := []*regtest.Key{regtest.NewKey(1), regtest.NewKey(2), regtest.NewKey(3)}
	var prevOuts []wire.OutPoint
	raws := make([][]byte, 0, n)
	for i := range n {
		var txs []*wire.MsgTx
		var next []wire.OutPoint
		for j := 0; j < txsPerBlock && j < len(prevOuts); j++ {
			tx := wire.NewMsgTx(2)
			tx.AddTxIn(wire.NewTxIn(&prevOuts[j], make([]byte, 107), nil))
			for k := range outsPerTx {
				tx.AddTxOut(wire.NewTxOut(int64(1000+k), keys[(i+j+k)%3].Script))
			}
			txs = append(txs, tx)
			h := tx.TxHash()
			for k := range outsPerTx {
				next = append(next, wire.OutPoint{Hash: h, Index: uint32(k)})
			}
		}
		b := c.Next(keys[0].Script, 50e8, txs...)
		next = append(next, wire.OutPoint{Hash: b.Transactions[0].TxHash()})
		prevOuts = next
		raws = append(raws, regtest.BlockBytes(b))
	}
	return raws
}

// BenchmarkIngest applies 200 blocks of 100 transactions (10 outputs each)
// one block per ApplySuccessors call, with δ = 6.
func BenchmarkIngest(b *testing.B) {
	raws := ingestBlocks(200, 100, 10)
	utxos := 0
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		s := newState(b, 6)
		for _, r := range raws {
			if err := s.ApplySuccessors([][]byte{r}, nil); err != nil {
				b.Fatal(err)
			}
		}
		utxos += 200*100*10 + 200
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(200*b.N)/el, "blocks/s")
	b.ReportMetric(float64(utxos)/el, "utxos/s")
}

// stateWith10k returns a state in which one address holds 10,000 stable
// UTXOs and the address.
func stateWith10k(b *testing.B) (*canister.State, string) {
	s := newState(b, 6)
	a, payee := regtest.NewKey(1), regtest.NewKey(2)
	c := regtest.NewChain(time.Unix(1_700_000_000, 0))
	var blocks [][]byte
	for i := range 10 {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: uint32(i)}, nil, nil))
		for k := range 1000 {
			tx.AddTxOut(wire.NewTxOut(int64(1000+k), payee.Script))
		}
		blocks = append(blocks, regtest.BlockBytes(c.Next(a.Script, 1, tx)))
	}
	for range 10 {
		blocks = append(blocks, regtest.BlockBytes(c.Next(a.Script, 1)))
	}
	if err := s.ApplySuccessors(blocks, nil); err != nil {
		b.Fatal(err)
	}
	return s, payee.Addr.EncodeAddress()
}

// BenchmarkGetUtxos10k: first page (1,000 UTXOs) of an address with 10,000.
func BenchmarkGetUtxos10k(b *testing.B) {
	s, addr := stateWith10k(b)
	b.ResetTimer()
	for range b.N {
		r, err := s.GetUtxos(addr, canister.UtxosFilter{})
		if err != nil || len(r.Utxos) != 1000 {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetUtxos10kAllPages: all ten pages.
func BenchmarkGetUtxos10kAllPages(b *testing.B) {
	s, addr := stateWith10k(b)
	b.ResetTimer()
	for range b.N {
		f := canister.UtxosFilter{}
		n := 0
		for {
			r, err := s.GetUtxos(addr, f)
			if err != nil {
				b.Fatal(err)
			}
			n += len(r.Utxos)
			if r.NextPage == nil {
				break
			}
			f = canister.UtxosFilter{Page: r.NextPage}
		}
		if n != 10_000 {
			b.Fatal(n)
		}
	}
}

// BenchmarkGetBalance10k: balance of an address with 10,000 UTXOs.
func BenchmarkGetBalance10k(b *testing.B) {
	s, addr := stateWith10k(b)
	b.ResetTimer()
	for range b.N {
		if _, err := s.GetBalance(addr, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStateHash: Marshal + SHA-256 of a state with 10,000 UTXOs.
func BenchmarkStateHash(b *testing.B) {
	s, _ := stateWith10k(b)
	b.ResetTimer()
	for range b.N {
		_ = s.Hash()
	}
}
