package ckbtc

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/btcdtest"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
)

// btcdView answers the minter's reads from a btcd node by scanning its
// blocks (btcd has no address index by default); it ignores reorgs.
type btcdView struct {
	t       *testing.T
	node    *btcdtest.Node
	scanned int64
	utxos   map[wire.OutPoint]scanned
}

type scanned struct {
	script []byte
	utxo   Utxo
}

func (v *btcdView) scan() uint32 {
	tip := v.node.Height(v.t)
	for h := v.scanned + 1; h <= tip; h++ {
		hash, err := v.node.RPC.GetBlockHash(h)
		if err != nil {
			v.t.Fatal(err)
		}
		b, err := v.node.RPC.GetBlock(hash)
		if err != nil {
			v.t.Fatal(err)
		}
		for _, tx := range b.Transactions {
			for _, in := range tx.TxIn {
				delete(v.utxos, in.PreviousOutPoint)
			}
			id := tx.TxHash()
			for i, o := range tx.TxOut {
				v.utxos[wire.OutPoint{Hash: id, Index: uint32(i)}] = scanned{o.PkScript, Utxo{Txid: id, Vout: uint32(i), Value: uint64(o.Value), Height: uint32(h)}}
			}
		}
	}
	v.scanned = tip
	return uint32(tip)
}

func (v *btcdView) GetUtxos(address string, minConf uint32) ([]Utxo, uint32, error) {
	tip := v.scan()
	script, _, err := ParseAddress(chain.Regtest, address)
	if err != nil {
		return nil, 0, err
	}
	var out []Utxo
	for _, s := range v.utxos {
		if bytes.Equal(s.script, script) && (minConf == 0 || tip-s.utxo.Height+1 >= minConf) {
			out = append(out, s.utxo)
		}
	}
	// Newest first, then by outpoint, as the Bitcoin canister orders them.
	sortUtxos(out)
	return out, tip, nil
}

func sortUtxos(u []Utxo) {
	for i := 1; i < len(u); i++ {
		for j := i; j > 0 && (u[j].Height > u[j-1].Height || (u[j].Height == u[j-1].Height && compareOutpoint(u[j].outpoint(), u[j-1].outpoint()) < 0)); j-- {
			u[j], u[j-1] = u[j-1], u[j]
		}
	}
}

func (v *btcdView) FeePercentiles() ([]uint64, error) { return nil, nil }

// A deposit and two withdrawals (the second spending the first one's
// change) against a real btcd regtest node: btcd's mempool and consensus
// rules accept the minter's transactions.
func TestBtcdRegtest(t *testing.T) {
	if testing.Short() {
		t.Skip("btcd regtest test skipped in -short mode (it builds and runs btcd)")
	}
	miner := btcdtest.NewKey(3)
	node := btcdtest.Start(t, miner)
	node.Generate(t, 450) // past btcd v0.24's BIP9 SegWit activation on regtest

	key := newTestKey()
	l := newFakeLedger(minterID)
	view := &btcdView{t: t, node: node, utxos: map[wire.OutPoint]scanned{}}
	m, err := New(Config{Network: chain.Regtest, MinterID: minterID, KeyName: "dfx_test_key", PublicKey: key.pk,
		MinConfirmations: 6, CheckFee: 100, RetrieveMinAmount: 10_000}, l, view)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{m: m, l: l, key: key}

	// The miner pays 1 BTC to alice's deposit address.
	addr, _ := m.GetBtcAddress(alice, nil, nil)
	depScript, _, _ := ParseAddress(chain.Regtest, addr)
	h1, _ := node.RPC.GetBlockHash(1)
	b1, err := node.RPC.GetBlock(h1)
	if err != nil {
		t.Fatal(err)
	}
	mk := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	mk.Script, _ = txscript.PayToAddrScript(miner.Addr)
	cb := b1.Transactions[0]
	pay, err := regtest.SpendP2PKH(mk, []wire.OutPoint{{Hash: cb.TxHash()}},
		[]regtest.Output{{Script: depScript, Value: 1e8}, {Script: mk.Script, Value: cb.TxOut[0].Value - 1e8 - 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.RPC.SendRawTransaction(pay, false); err != nil {
		t.Fatal(err)
	}
	node.Generate(t, 1)
	if _, err := m.UpdateBalance(alice, nil, nil, startTime); err == nil {
		t.Fatal("minted with one confirmation")
	}
	node.Generate(t, 5)
	st, err := m.UpdateBalance(alice, nil, nil, startTime)
	if err != nil || len(st) != 1 || st[0].Minted == nil || st[0].Minted.MintedAmount != 1e8-100 {
		t.Fatalf("%+v, %v", st, err)
	}

	withdraw := func(amount uint64, now uint64) *wire.MsgTx {
		t.Helper()
		e.fundWithdrawal(Account{Owner: alice}, amount)
		block, err := m.RetrieveBtc(alice, RetrieveBtcArgs{Address: miner.Addr.EncodeAddress(), Amount: amount}, now)
		if err != nil {
			t.Fatal(err)
		}
		now += DefaultMaxTimeInQueue
		m.Tick(now)
		sends := e.signAll(t)
		if len(sends) != 1 {
			t.Fatalf("%d sends", len(sends))
		}
		var tx wire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(sends[0].Transaction)); err != nil {
			t.Fatal(err)
		}
		if _, err := node.RPC.SendRawTransaction(&tx, false); err != nil {
			t.Fatalf("btcd refused the withdrawal: %v", err)
		}
		if err := m.DeliverSendResult(sends[0].Txid, nil, now); err != nil {
			t.Fatal(err)
		}
		node.Generate(t, 6)
		m.Tick(now + sec)
		if s := m.RetrieveBtcStatusV2(block); s.Confirmed == nil {
			t.Fatalf("status %+v", s)
		}
		// The destination output holds the amount less the fees; the
		// block scan (btcd's blocks) has it unspent.
		if _, ok := view.utxos[wire.OutPoint{Hash: tx.TxHash(), Index: 0}]; !ok {
			t.Fatal("btcd's chain lacks the destination output")
		}
		if !bytes.Equal(tx.TxOut[0].PkScript, mk.Script) || tx.TxOut[0].Value <= int64(amount)-2_000 || tx.TxOut[0].Value >= int64(amount) {
			t.Fatalf("destination output %+v", tx.TxOut[0])
		}
		return &tx
	}
	first := withdraw(30_000_000, startTime)
	second := withdraw(20_000_000, startTime+DefaultMaxTimeInQueue+2*sec)
	if second.TxIn[0].PreviousOutPoint != (wire.OutPoint{Hash: first.TxHash(), Index: 1}) {
		t.Fatalf("second withdrawal spends %v, not the change", second.TxIn[0].PreviousOutPoint)
	}
	if u, _, _ := view.GetUtxos(m.MainAddress(), 6); len(u) != 1 || u[0].Txid != [32]byte(second.TxHash()) {
		t.Fatalf("main address UTXOs %+v", u)
	}
}

// A withdrawal left unmined is replaced with a higher fee; btcd's mempool
// takes the replacement in place of the original (BIP-125) and it confirms.
func TestBtcdReplaceByFee(t *testing.T) {
	if testing.Short() {
		t.Skip("btcd regtest test skipped in -short mode (it builds and runs btcd)")
	}
	miner := btcdtest.NewKey(4)
	node := btcdtest.Start(t, miner)
	node.Generate(t, 450)
	key := newTestKey()
	l := newFakeLedger(minterID)
	view := &btcdView{t: t, node: node, utxos: map[wire.OutPoint]scanned{}}
	m, err := New(Config{Network: chain.Regtest, MinterID: minterID, KeyName: "dfx_test_key", PublicKey: key.pk,
		MinConfirmations: 1, CheckFee: 100, RetrieveMinAmount: 10_000, ResubmitAfter: 3600 * sec}, l, view)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{m: m, l: l, key: key}
	addr, _ := m.GetBtcAddress(alice, nil, nil)
	depScript, _, _ := ParseAddress(chain.Regtest, addr)
	h1, _ := node.RPC.GetBlockHash(1)
	b1, err := node.RPC.GetBlock(h1)
	if err != nil {
		t.Fatal(err)
	}
	mk := &regtest.Key{Priv: miner.Priv, Addr: miner.Addr}
	mk.Script, _ = txscript.PayToAddrScript(miner.Addr)
	cb := b1.Transactions[0]
	pay, _ := regtest.SpendP2PKH(mk, []wire.OutPoint{{Hash: cb.TxHash()}},
		[]regtest.Output{{Script: depScript, Value: 1e8}, {Script: mk.Script, Value: cb.TxOut[0].Value - 1e8 - 10_000}})
	if _, err := node.RPC.SendRawTransaction(pay, false); err != nil {
		t.Fatal(err)
	}
	node.Generate(t, 1)
	if st, err := m.UpdateBalance(alice, nil, nil, startTime); err != nil || st[0].Minted == nil {
		t.Fatalf("%+v, %v", st, err)
	}
	e.fundWithdrawal(Account{Owner: alice}, 40_000_000)
	block, err := m.RetrieveBtc(alice, RetrieveBtcArgs{Address: miner.Addr.EncodeAddress(), Amount: 40_000_000}, startTime)
	if err != nil {
		t.Fatal(err)
	}
	send := func(now uint64) *wire.MsgTx {
		t.Helper()
		sends := e.signAll(t)
		if len(sends) != 1 {
			t.Fatalf("%d sends", len(sends))
		}
		var tx wire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(sends[0].Transaction)); err != nil {
			t.Fatal(err)
		}
		if _, err := node.RPC.SendRawTransaction(&tx, false); err != nil {
			t.Fatalf("btcd refused: %v", err)
		}
		if err := m.DeliverSendResult(sends[0].Txid, nil, now); err != nil {
			t.Fatal(err)
		}
		return &tx
	}
	now := startTime + DefaultMaxTimeInQueue
	m.Tick(now)
	orig := send(now)
	later := now + 3600*sec
	m.Tick(later)
	repl := send(later)
	pool, err := node.RPC.GetRawMempool()
	if err != nil {
		t.Fatal(err)
	}
	if len(pool) != 1 || *pool[0] != repl.TxHash() {
		t.Fatalf("mempool %v, want only the replacement %v (original %v)", pool, repl.TxHash(), orig.TxHash())
	}
	node.Generate(t, 1)
	m.Tick(later + sec)
	s := m.RetrieveBtcStatusV2(block)
	if s.Confirmed == nil || !bytes.Equal(s.Confirmed.Txid, func() []byte { h := repl.TxHash(); return h[:] }()) {
		t.Fatalf("status %+v", s)
	}
}
