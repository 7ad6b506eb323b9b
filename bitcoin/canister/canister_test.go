package canister_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/regtest"
)

var t0 = time.Unix(1_700_000_000, 0)

func newState(t testing.TB, delta uint64) *canister.State {
	t.Helper()
	s, err := canister.New(canister.Config{Network: chain.Regtest, StabilityThreshold: delta})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func apply(t testing.TB, s *canister.State, blocks ...*wire.MsgBlock) {
	t.Helper()
	raws := make([][]byte, len(blocks))
	for i, b := range blocks {
		raws[i] = regtest.BlockBytes(b)
	}
	if err := s.ApplySuccessors(raws, nil); err != nil {
		t.Fatal(err)
	}
}

func u32(v uint32) *uint32 { return &v }

func balance(t testing.TB, s *canister.State, addr string, mc uint32) uint64 {
	t.Helper()
	b, err := s.GetBalance(addr, mc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBalancesSpendsAndConfirmations(t *testing.T) {
	s := newState(t, 3)
	a, b := regtest.NewKey(1), regtest.NewKey(2)
	c := regtest.NewChain(t0)
	b1 := c.Next(a.Script, 50e8)
	apply(t, s, b1)
	if got := balance(t, s, a.Addr.EncodeAddress(), 0); got != 50e8 {
		t.Fatalf("balance after block 1 = %d", got)
	}
	cb := b1.Transactions[0].TxHash()
	spend, err := regtest.SpendP2PKH(a, []wire.OutPoint{{Hash: cb, Index: 0}},
		[]regtest.Output{{Script: b.Script, Value: 10e8}, {Script: a.Script, Value: 40e8 - 1000}})
	if err != nil {
		t.Fatal(err)
	}
	b2 := c.Next(b.Script, 1e8, spend)
	apply(t, s, b2)
	for _, tc := range []struct {
		addr   string
		mc     uint32
		want   uint64
		nUtxos int
	}{
		{a.Addr.EncodeAddress(), 0, 40e8 - 1000, 1},
		{a.Addr.EncodeAddress(), 2, 50e8, 1}, // the spend has only one confirmation
		{b.Addr.EncodeAddress(), 1, 11e8, 2},
		{b.Addr.EncodeAddress(), 2, 0, 0},
	} {
		if got := balance(t, s, tc.addr, tc.mc); got != tc.want {
			t.Errorf("balance(%s, %d) = %d, want %d", tc.addr, tc.mc, got, tc.want)
		}
		r, err := s.GetUtxos(tc.addr, canister.UtxosFilter{MinConfirmations: u32(tc.mc)})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Utxos) != tc.nUtxos {
			t.Errorf("utxos(%s, %d) = %d entries, want %d", tc.addr, tc.mc, len(r.Utxos), tc.nUtxos)
		}
	}
	r, _ := s.GetUtxos(b.Addr.EncodeAddress(), canister.UtxosFilter{})
	if r.TipHeight != 2 || r.TipBlockHash != b2.BlockHash() || r.NextPage != nil {
		t.Fatalf("tip %d %s next %x", r.TipHeight, r.TipBlockHash, r.NextPage)
	}
	// Mine past the stability threshold: the same answers from the stable set.
	for range 5 {
		apply(t, s, c.Next(regtest.NewKey(9).Script, 1))
	}
	if _, h := s.Anchor(); h == 0 || s.UtxoCount() == 0 {
		t.Fatalf("anchor height %d, %d stable utxos: nothing became stable", h, s.UtxoCount())
	}
	if got := balance(t, s, a.Addr.EncodeAddress(), 0); got != 40e8-1000 {
		t.Fatalf("stable balance of a = %d", got)
	}
	if got := balance(t, s, b.Addr.EncodeAddress(), 0); got != 11e8 {
		t.Fatalf("stable balance of b = %d", got)
	}
}

func TestReorgFollowsMostWork(t *testing.T) {
	s := newState(t, 10)
	a, b := regtest.NewKey(1), regtest.NewKey(2)
	base := regtest.NewChain(t0)
	common := base.Next(regtest.NewKey(7).Script, 1)
	apply(t, s, common)
	ca, cb := base.Fork(), base.Fork()
	cb.Time = cb.Time.Add(time.Minute)
	var left, right []*wire.MsgBlock
	for range 3 {
		left = append(left, ca.Next(a.Script, 50e8))
	}
	for range 4 {
		right = append(right, cb.Next(b.Script, 50e8))
	}
	apply(t, s, left...)
	if got := balance(t, s, a.Addr.EncodeAddress(), 0); got != 150e8 {
		t.Fatalf("a on the left chain = %d", got)
	}
	apply(t, s, right[:3]...) // equal work: the first received stays
	if tip, _ := s.Tip(); tip != left[2].BlockHash() {
		t.Fatal("tie did not keep the first branch")
	}
	apply(t, s, right[3])
	if tip, h := s.Tip(); tip != right[3].BlockHash() || h != 5 {
		t.Fatalf("tip %s at %d, want the right branch", tip, h)
	}
	if got := balance(t, s, a.Addr.EncodeAddress(), 0); got != 0 {
		t.Fatalf("a after reorg = %d", got)
	}
	if got := balance(t, s, b.Addr.EncodeAddress(), 0); got != 200e8 {
		t.Fatalf("b after reorg = %d", got)
	}
	_, processed := s.SuccessorsRequest()
	if len(processed) != 8 {
		t.Fatalf("processed = %d hashes, want 8", len(processed))
	}
}

func TestStabilityDropsLosingBranch(t *testing.T) {
	s := newState(t, 2)
	c := regtest.NewChain(t0)
	apply(t, s, c.Next(regtest.NewKey(1).Script, 1))
	fork := c.Fork()
	fork.Time = fork.Time.Add(time.Minute)
	loser := fork.Next(regtest.NewKey(2).Script, 1)
	apply(t, s, loser)
	for range 4 {
		apply(t, s, c.Next(regtest.NewKey(1).Script, 1))
	}
	if _, h := s.Anchor(); h < 2 {
		t.Fatalf("anchor height %d, want ≥ 2", h)
	}
	if _, _, ok := s.HeaderByHash(loser.BlockHash()); ok {
		t.Fatal("losing branch still held after its parent became stable")
	}
	// A block on the dropped branch no longer connects.
	if err := s.ApplySuccessors([][]byte{regtest.BlockBytes(fork.Next(nil, 1))}, nil); err == nil {
		t.Fatal("block on a dropped branch accepted")
	}
}

func TestPagination(t *testing.T) {
	s := newState(t, 100)
	a, b := regtest.NewKey(1), regtest.NewKey(2)
	c := regtest.NewChain(t0)
	b1 := c.Next(a.Script, 50e8)
	var outs []regtest.Output
	for i := range 2500 {
		outs = append(outs, regtest.Output{Script: b.Script, Value: int64(1000 + i)})
	}
	tx, _ := regtest.SpendP2PKH(a, []wire.OutPoint{{Hash: b1.Transactions[0].TxHash()}}, outs)
	apply(t, s, b1, c.Next(b.Script, 7))
	apply(t, s, c.Next(regtest.NewKey(3).Script, 1, tx))
	addr := b.Addr.EncodeAddress()
	var all []canister.Utxo
	f := canister.UtxosFilter{}
	pages := 0
	for {
		r, err := s.GetUtxos(addr, f)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, r.Utxos...)
		if r.NextPage == nil {
			break
		}
		if len(r.NextPage) != canister.PageTokenSize || len(r.Utxos) != canister.MaxUtxosPerResponse {
			t.Fatalf("page of %d, token of %d bytes", len(r.Utxos), len(r.NextPage))
		}
		// New blocks do not disturb a listing bound to its tip.
		apply(t, s, c.Next(b.Script, 5))
		f = canister.UtxosFilter{Page: r.NextPage}
	}
	if pages != 3 || len(all) != 2501 {
		t.Fatalf("%d pages, %d utxos", pages, len(all))
	}
	seen := map[wire.OutPoint]bool{}
	for i, u := range all {
		if seen[u.OutPoint] {
			t.Fatalf("duplicate %v", u.OutPoint)
		}
		seen[u.OutPoint] = true
		if i > 0 && all[i-1].Height < u.Height {
			t.Fatal("not sorted by height descending")
		}
	}
	if all[2500].Height != 2 || all[0].Height != 3 {
		t.Fatalf("heights %d … %d", all[0].Height, all[2500].Height)
	}
	// Token layout: tip ‖ ^height big-endian ‖ txid ‖ vout little-endian.
	r, _ := s.GetUtxos(addr, canister.UtxosFilter{})
	tok := r.NextPage
	if !bytes.Equal(tok[:32], r.TipBlockHash[:]) || tok[32] != 0xff || tok[35] != ^byte(3) {
		t.Fatalf("token %x", tok)
	}
	// Bad tokens.
	var mp *canister.MalformedPageError
	if _, err := s.GetUtxos(addr, canister.UtxosFilter{Page: tok[:71]}); !errors.As(err, &mp) {
		t.Fatalf("short token: %v", err)
	}
	if _, err := s.GetUtxos(addr, canister.UtxosFilter{Page: append(tok, 0)}); !errors.As(err, &mp) {
		t.Fatalf("long token: %v", err)
	}
	bad := append([]byte(nil), tok...)
	bad[0] ^= 1
	var ut *canister.UnknownTipBlockHashError
	if _, err := s.GetUtxos(addr, canister.UtxosFilter{Page: bad}); !errors.As(err, &ut) {
		t.Fatalf("unknown tip: %v", err)
	}
}

func TestAddressErrors(t *testing.T) {
	s := newState(t, 3)
	k := regtest.NewKey(1)
	mainAddr, _ := btcutil.NewAddressPubKeyHash(k.Addr.Hash160()[:], &chaincfg.MainNetParams)
	wpkh, _ := btcutil.NewAddressWitnessPubKeyHash(k.Addr.Hash160()[:], &chaincfg.TestNet3Params)
	var ma *canister.MalformedAddressError
	var wn *canister.AddressForWrongNetworkError
	for _, bad := range []string{"", "xyz", "bcrt1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", k.Addr.EncodeAddress()[:20],
		"0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", string(make([]byte, 200))} {
		if _, err := s.GetBalance(bad, 0); !errors.As(err, &ma) {
			t.Errorf("GetBalance(%q): %v, want MalformedAddress", bad, err)
		}
	}
	for _, other := range []string{mainAddr.EncodeAddress(), wpkh.EncodeAddress()} {
		if _, err := s.GetUtxos(other, canister.UtxosFilter{}); !errors.As(err, &wn) || wn.Expected != chain.Regtest {
			t.Errorf("GetUtxos(%s): %v, want AddressForWrongNetwork", other, err)
		}
	}
	var mc *canister.MinConfirmationsTooLargeError
	if _, err := s.GetBalance(k.Addr.EncodeAddress(), 2); !errors.As(err, &mc) || mc.Given != 2 || mc.Max != 1 {
		t.Fatalf("min_confirmations 2 on a 1-block chain: %v", err)
	}
	// Every supported address type indexes.
	pk := k.Priv.PubKey()
	tr, _ := btcutil.NewAddressTaproot(txscript.ComputeTaprootKeyNoScript(pk).SerializeCompressed()[1:], regtest.Params)
	p2sh, _ := btcutil.NewAddressScriptHash(k.Script, regtest.Params)
	wsh, _ := btcutil.NewAddressWitnessScriptHash(make([]byte, 32), regtest.Params)
	wpkhR, _ := btcutil.NewAddressWitnessPubKeyHash(k.Addr.Hash160()[:], regtest.Params)
	c := regtest.NewChain(t0)
	for i, a := range []btcutil.Address{tr, p2sh, wsh, wpkhR, k.Addr} {
		script, _ := txscript.PayToAddrScript(a)
		apply(t, s, c.Next(script, int64(100+i)))
		if got := balance(t, s, a.EncodeAddress(), 0); got != uint64(100+i) {
			t.Errorf("%T %s balance %d", a, a, got)
		}
	}
}

func TestFeePercentiles(t *testing.T) {
	s := newState(t, 50)
	if f := s.FeePercentiles(); f != nil {
		t.Fatalf("fees on an empty chain: %v", f)
	}
	a := regtest.NewKey(1)
	c := regtest.NewChain(t0)
	var cbs []*wire.MsgBlock
	for range 4 {
		cbs = append(cbs, c.Next(a.Script, 50e8))
		apply(t, s, cbs[len(cbs)-1])
	}
	var txs []*wire.MsgTx
	var vs []uint64
	for i, b := range cbs {
		fee := int64(1000 * (i + 1))
		tx, _ := regtest.SpendP2PKH(a, []wire.OutPoint{{Hash: b.Transactions[0].TxHash()}},
			[]regtest.Output{{Script: a.Script, Value: 50e8 - fee}})
		txs = append(txs, tx)
		vs = append(vs, uint64(tx.SerializeSize()))
	}
	apply(t, s, c.Next(a.Script, 1, txs...))
	f := s.FeePercentiles()
	if len(f) != 101 {
		t.Fatalf("%d percentiles", len(f))
	}
	lo, hi := uint64(1000)*1000/vs[0], uint64(4000)*1000/vs[3]
	if f[0] != lo || f[100] != hi || f[50] != uint64(2000)*1000/vs[1] {
		t.Fatalf("p0 %d p50 %d p100 %d (want %d, %d, %d)", f[0], f[50], f[100], lo, uint64(2000)*1000/vs[1], hi)
	}
	// Blocks without transactions keep the last answer once the old ones
	// become stable.
	for range 60 {
		apply(t, s, c.Next(a.Script, 1))
	}
	if g := s.FeePercentiles(); len(g) != 101 || g[100] != hi {
		t.Fatalf("cached fees lost: %v", g)
	}
}

func TestBlockHeaders(t *testing.T) {
	s := newState(t, 3)
	c := regtest.NewChain(t0)
	var blocks []*wire.MsgBlock
	for range 150 {
		blocks = append(blocks, c.Next(regtest.NewKey(1).Script, 1))
	}
	apply(t, s, blocks...)
	tip, hs, err := s.BlockHeaders(0, nil)
	if err != nil || tip != 150 || len(hs) != canister.MaxBlockHeadersPerResponse {
		t.Fatalf("tip %d, %d headers, %v", tip, len(hs), err)
	}
	for i := 1; i < len(hs); i++ {
		var h wire.BlockHeader
		_ = h.Deserialize(bytes.NewReader(hs[i]))
		if h.BlockHash() != blocks[i-1].BlockHash() {
			t.Fatalf("header %d wrong", i)
		}
	}
	_, hs, err = s.BlockHeaders(148, u32(150))
	if err != nil || len(hs) != 3 || !bytes.Equal(hs[2], regtest.BlockBytes(blocks[149])[:80]) {
		t.Fatalf("%d headers, %v", len(hs), err)
	}
	var be *canister.BlockHeadersError
	for _, tc := range []struct {
		start uint32
		end   *uint32
		kind  string
	}{{151, nil, "StartHeightDoesNotExist"}, {1, u32(151), "EndHeightDoesNotExist"}, {10, u32(9), "StartHeightLargerThanEndHeight"}} {
		if _, _, err := s.BlockHeaders(tc.start, tc.end); !errors.As(err, &be) || be.Kind != tc.kind {
			t.Errorf("BlockHeaders(%d): %v, want %s", tc.start, err, tc.kind)
		}
	}
}

func TestCheckSuccessorsRejectsBadBlocks(t *testing.T) {
	s := newState(t, 3)
	c := regtest.NewChain(t0)
	good := c.Next(regtest.NewKey(1).Script, 1)
	raw := regtest.BlockBytes(good)
	before := s.Hash()
	mutate := func(f func(b *wire.MsgBlock)) []byte {
		var b wire.MsgBlock
		_ = b.Deserialize(bytes.NewReader(raw))
		f(&b)
		return regtest.BlockBytes(&b)
	}
	cases := map[string][]byte{
		"garbage":      []byte("not a block at all"),
		"truncated":    raw[:len(raw)-1],
		"trailing":     append(append([]byte(nil), raw...), 0),
		"merkle":       mutate(func(b *wire.MsgBlock) { b.Transactions[0].TxOut[0].Value++ }),
		"unknown-prev": mutate(func(b *wire.MsgBlock) { b.Header.PrevBlock[0] ^= 1; regtest.Solve(&b.Header) }),
		"bad-bits":     mutate(func(b *wire.MsgBlock) { b.Header.Bits = 0x207ffffe; regtest.Solve(&b.Header) }),
		"above-limit":  mutate(func(b *wire.MsgBlock) { b.Header.Bits = 0x2100ffff; regtest.Solve(&b.Header) }),
		"old-time":     mutate(func(b *wire.MsgBlock) { b.Header.Timestamp = time.Unix(1, 0); regtest.Solve(&b.Header) }),
		"no-pow": mutate(func(b *wire.MsgBlock) {
			for {
				h := b.Header.BlockHash()
				if h[31] >= 0x80 {
					return
				}
				b.Header.Nonce++
			}
		}),
	}
	for name, bad := range cases {
		if err := s.ApplySuccessors([][]byte{bad}, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := s.ApplySuccessors([][]byte{raw}, [][]byte{make([]byte, 79)}); err == nil {
		t.Error("79-byte next header accepted")
	}
	if s.Hash() != before {
		t.Fatal("rejected input changed the state")
	}
	if err := s.ApplySuccessors([][]byte{raw, raw}, nil); err != nil {
		t.Fatal(err)
	}
	if _, h := s.Tip(); h != 1 {
		t.Fatalf("tip %d", h)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	s := newState(t, 3)
	a := regtest.NewKey(1)
	c := regtest.NewChain(t0)
	for range 6 {
		apply(t, s, c.Next(a.Script, 50e8))
	}
	fork := c.Fork()
	fork.Time = fork.Time.Add(time.Hour)
	apply(t, s, c.Next(a.Script, 50e8), c.Next(a.Script, 50e8))
	apply(t, s, fork.Next(a.Script, 3))
	if s.UnstableBlocks() < 4 || s.UtxoCount() == 0 {
		t.Fatalf("%d unstable blocks, %d utxos: test needs both", s.UnstableBlocks(), s.UtxoCount())
	}
	data := s.Marshal()
	s2, err := canister.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s2.Marshal(), data) || s2.Hash() != s.Hash() {
		t.Fatal("round trip changed the state")
	}
	if balance(t, s2, a.Addr.EncodeAddress(), 0) != balance(t, s, a.Addr.EncodeAddress(), 0) {
		t.Fatal("balances differ after round trip")
	}
	next := c.Next(a.Script, 1)
	apply(t, s, next)
	apply(t, s2, next)
	if s.Hash() != s2.Hash() {
		t.Fatal("states diverge after the same block")
	}
	for _, n := range []int{0, 5, 9, 20, len(data) / 2, len(data) - 1} {
		if _, err := canister.Unmarshal(data[:n]); err == nil {
			t.Errorf("truncated at %d accepted", n)
		}
	}
	if _, err := canister.Unmarshal(append(append([]byte(nil), data...), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	bad := append([]byte(nil), data...)
	bad[8] = 9 // network
	if _, err := canister.Unmarshal(bad); err == nil {
		t.Error("unknown network accepted")
	}
}

func TestCheckTransaction(t *testing.T) {
	a := regtest.NewKey(1)
	tx, _ := regtest.SpendP2PKH(a, []wire.OutPoint{{Index: 1}}, []regtest.Output{{Script: a.Script, Value: 5}})
	raw := regtest.TxBytes(tx)
	if _, err := canister.CheckTransaction(raw); err != nil {
		t.Fatal(err)
	}
	var mt *canister.MalformedTransactionError
	for _, bad := range [][]byte{nil, raw[:10], append(append([]byte(nil), raw...), 1), []byte("garbage")} {
		if _, err := canister.CheckTransaction(bad); !errors.As(err, &mt) {
			t.Errorf("CheckTransaction(%x): %v", bad, err)
		}
	}
}

func Example() {
	s, _ := canister.New(canister.Config{Network: chain.Regtest, StabilityThreshold: 6})
	key := regtest.NewKey(1)
	c := regtest.NewChain(time.Unix(1_700_000_000, 0))
	blocks := [][]byte{regtest.BlockBytes(c.Next(key.Script, 50e8)), regtest.BlockBytes(c.Next(key.Script, 50e8))}
	if err := s.ApplySuccessors(blocks, nil); err != nil {
		panic(err)
	}
	bal, _ := s.GetBalance(key.Addr.EncodeAddress(), 1)
	r, _ := s.GetUtxos(key.Addr.EncodeAddress(), canister.UtxosFilter{})
	fmt.Println(bal, len(r.Utxos), r.TipHeight)
	// Output: 10000000000 2 2
}
