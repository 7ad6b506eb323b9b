package ledger

import (
	"bytes"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
)

// fromICRC3Candid converts a decoded Candid ICRC3Value (or get_blocks Value).
func fromICRC3Candid(t *testing.T, v candid.Value) Value {
	t.Helper()
	vr, ok := v.(candid.Variant)
	if !ok {
		t.Fatalf("not a variant: %#v", v)
	}
	switch vr.ID {
	case candid.Hash("Blob"):
		return BlobValue(vr.Value.([]byte))
	case candid.Hash("Text"):
		return TextValue(vr.Value.(string))
	case candid.Hash("Nat"):
		return BigNatValue(vr.Value.(*big.Int))
	case candid.Hash("Nat64"):
		return NatValue(vr.Value.(uint64))
	case candid.Hash("Int"):
		return IntValue(vr.Value.(*big.Int))
	case candid.Hash("Array"):
		var vs []Value
		for _, e := range vr.Value.([]candid.Value) {
			vs = append(vs, fromICRC3Candid(t, e))
		}
		return ArrayValue(vs...)
	case candid.Hash("Map"):
		var es []MapEntry
		for _, e := range vr.Value.([]candid.Value) {
			r := e.(candid.Record)
			k, _ := r.GetID(0)
			val, _ := r.GetID(1)
			es = append(es, MapEntry{k.(string), fromICRC3Candid(t, val)})
		}
		m, err := MapValue(es...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	t.Fatalf("unknown tag %d", vr.ID)
	return Value{}
}

func TestICRC3BlockExamples(t *testing.T) {
	raw, err := os.ReadFile("testdata/icrc3-block-examples.txt")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Interface()
	if err != nil {
		t.Fatal(err)
	}
	ty := d.Types["ICRC3Value"]
	ops := []string{"burn", "mint", "xfer", "approve"}
	examples := strings.Split(string(raw), "\n---\n")
	if len(examples) != len(ops) {
		t.Fatalf("%d examples", len(examples))
	}
	for i, ex := range examples {
		vals, err := candid.ParseArgs("("+ex+")", []*candid.Type{ty})
		if err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
		b := fromICRC3Candid(t, vals[0])
		tx, _ := b.Get("tx")
		txn, err := decodeTxn(tx)
		if err != nil {
			t.Fatalf("example %d (%s): %v", i, ops[i], err)
		}
		if opNames[txn.op] != ops[i] {
			t.Fatalf("example %d: op %s", i, opNames[txn.op])
		}
		// The ledger's own block for this transaction has the same shape.
		es := []MapEntry{{"tx", txn.value()}}
		for _, k := range []string{"ts", "phash", "fee"} {
			if v, ok := b.Get(k); ok {
				es = append(es, MapEntry{k, v})
			}
		}
		if !mapOf(es).Equal(b) {
			t.Fatalf("example %d: rebuilt block differs", i)
		}
	}
}

func TestBlockChainAndFeeCollector(t *testing.T) {
	l := busyLedger(t)
	fc := l.feeCollector.value()
	for i := uint64(0); i < l.Len(); i++ {
		b, _ := l.Block(i)
		h, _ := l.BlockHash(i)
		if h != b.Hash() {
			t.Fatalf("block %d: stored hash differs", i)
		}
		ph, ok := b.Get("phash")
		if i == 0 {
			if ok {
				t.Fatal("block 0 has a phash")
			}
			if v, ok := b.Get("fee_col"); !ok || !v.Equal(fc) {
				t.Fatal("block 0 does not name the fee collector")
			}
			continue
		}
		prev, _ := l.BlockHash(i - 1)
		if !ok || !bytes.Equal(ph.Blob, prev[:]) {
			t.Fatalf("block %d: phash does not link", i)
		}
		if v, ok := b.Get("fee_col_block"); !ok || v.U64 != 0 {
			t.Fatalf("block %d: fee_col_block %v", i, v)
		}
	}
	// Transfer fees went to the collector, approval fees were burned.
	if got := l.BalanceOf(*l.feeCollector); got != 30 {
		t.Fatalf("fee collector balance %d, want 30", got)
	}
	var sum uint64
	for _, v := range l.balances {
		sum += v
	}
	if sum != l.TotalSupply() {
		t.Fatalf("sum of balances %d != supply %d", sum, l.TotalSupply())
	}
}

func TestBlockFormat(t *testing.T) {
	l := busyLedger(t)
	// Block 2: a transfer with an explicit fee keeps tx.fee and has no
	// block-level fee; block 1 has created_at_time and a memo.
	b1, _ := l.Block(1)
	b2, _ := l.Block(2)
	tx1, _ := b1.Get("tx")
	tx2, _ := b2.Get("tx")
	if _, ok := b1.Get("fee"); !ok {
		t.Error("block 1: no effective fee")
	}
	if v, ok := tx1.Get("ts"); !ok || v.U64 != 1_700_000_000_000_000_000 {
		t.Error("block 1: tx.ts")
	}
	if _, ok := b2.Get("fee"); ok {
		t.Error("block 2: fee at block level although the caller gave one")
	}
	if v, ok := tx2.Get("fee"); !ok || v.U64 != 10 {
		t.Error("block 2: tx.fee")
	}
	to, _ := tx1.Get("to")
	if len(to.Array) != 2 || len(to.Array[1].Blob) != 32 {
		t.Error("block 1: account with a subaccount is not [owner, sub]")
	}
	// The burn by the minter names it as spender.
	b4, _ := l.Block(4)
	tx4, _ := b4.Get("tx")
	if op, _ := tx4.Get("op"); op.Text != "burn" {
		t.Fatal("block 4 is not a burn")
	}
	if _, ok := tx4.Get("spender"); !ok {
		t.Error("burn by transfer_from has no spender")
	}
}

func TestCertifiedTip(t *testing.T) {
	l, err := New(CkBTCConfig(principal.FromCanisterIndex(1)), 1)
	if err != nil {
		t.Fatal(err)
	}
	if l.CertifiedData() != (certification.Empty{}).Digest() {
		t.Fatal("empty ledger does not certify the empty tree")
	}
	l = busyLedger(t)
	tree := l.HashTree()
	idx, hash, _ := l.Tip()
	st, v := certification.Lookup(tree, certification.Path("last_block_index"))
	if st != certification.Found || !bytes.Equal(v, appendLEB(nil, idx)) {
		t.Fatalf("last_block_index: %v %x", st, v)
	}
	st, v = certification.Lookup(tree, certification.Path("last_block_hash"))
	if st != certification.Found || !bytes.Equal(v, hash[:]) {
		t.Fatalf("last_block_hash: %v %x", st, v)
	}
	// The certified data changes with every block.
	before := l.CertifiedData()
	if _, err := l.Mint(Account{Owner: principal.FromCanisterIndex(10)}, 1, nil, 1_800_000_000_000_000_000); err != nil {
		t.Fatal(err)
	}
	if l.CertifiedData() == before {
		t.Fatal("certified data did not change")
	}

	// Through Candid: a query returns the host's certificate and the tree;
	// a replicated call returns none.
	cert := []byte("certificate from the subnet")
	l.SetCertificateSource(func() []byte { return cert })
	empty, _ := candid.Encode()
	d, _ := Interface()
	for _, query := range []bool{true, false} {
		var out []byte
		var err error
		if query {
			out, err = l.Query("icrc3_get_tip_certificate", empty, principal.Anonymous(), 0)
		} else {
			out, err = l.Call("icrc3_get_tip_certificate", empty, principal.Anonymous(), 1_800_000_000_000_000_000)
		}
		if err != nil {
			t.Fatal(err)
		}
		m, _ := d.Service.Method("icrc3_get_tip_certificate")
		vals, err := candid.Unmarshal(out, m.Results)
		if err != nil {
			t.Fatal(err)
		}
		o := vals[0].(candid.Opt)
		if !query {
			if o.Value != nil {
				t.Fatal("replicated call returned a certificate")
			}
			continue
		}
		r := o.Value.(candid.Record)
		c, _ := r.Get("certificate")
		ht, _ := r.Get("hash_tree")
		if !bytes.Equal(c.([]byte), cert) {
			t.Fatal("certificate not passed through")
		}
		tr, err := certification.DecodeHashTree(ht.([]byte))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Digest() != l.CertifiedData() {
			t.Fatal("hash tree does not match the certified data")
		}
	}
}

func TestOkReplyPrefix(t *testing.T) {
	prefixes, err := okReplyPrefixes()
	if err != nil {
		t.Fatal(err)
	}
	if len(prefixes) != 3 {
		t.Fatalf("%d update methods", len(prefixes))
	}
	for name, p := range prefixes {
		ft, _ := methodType(name)
		for _, n := range []*big.Int{big.NewInt(0), big.NewInt(127), big.NewInt(128), new(big.Int).Lsh(big.NewInt(1), 80)} {
			want, err := candid.Marshal(ft.Results, []candid.Value{candid.Variant{ID: idOk, Value: n}})
			if err != nil {
				t.Fatal(err)
			}
			if got := appendBigLEB(bytes.Clone(p), n); !bytes.Equal(got, want) {
				t.Fatalf("%s Ok(%v): %x, want %x", name, n, got, want)
			}
		}
	}
}
