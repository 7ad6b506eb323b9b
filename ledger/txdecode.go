package ledger

import (
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

var errBlock = errors.New("ledger: malformed block")

func natField(m Value, key string) (*uint64, error) {
	v, ok := m.Get(key)
	if !ok {
		return nil, nil
	}
	if v.Kind != KindNat || v.Big != nil {
		return nil, fmt.Errorf("%w: %s is not a 64-bit Nat", errBlock, key)
	}
	x := v.U64
	return &x, nil
}

func accountField(m Value, key string) (*Account, error) {
	v, ok := m.Get(key)
	if !ok {
		return nil, nil
	}
	if v.Kind != KindArray || len(v.Array) < 1 || len(v.Array) > 2 {
		return nil, fmt.Errorf("%w: %s is not an account", errBlock, key)
	}
	for _, e := range v.Array {
		if e.Kind != KindBlob {
			return nil, fmt.Errorf("%w: %s is not an account", errBlock, key)
		}
	}
	p, err := principal.FromBytes(v.Array[0].Blob)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errBlock, key, err)
	}
	a := Account{Owner: p}
	if len(v.Array) == 2 {
		if len(v.Array[1].Blob) != 32 {
			return nil, fmt.Errorf("%w: %s: subaccount is not 32 bytes", errBlock, key)
		}
		var s [32]byte
		copy(s[:], v.Array[1].Blob)
		a.Subaccount = &s
	}
	return &a, nil
}

// decodeTxn reads the tx map of a block back into a transaction.
func decodeTxn(tx Value) (*txn, error) {
	if tx.Kind != KindMap {
		return nil, fmt.Errorf("%w: tx is not a map", errBlock)
	}
	opv, ok := tx.Get("op")
	if !ok || opv.Kind != KindText {
		return nil, fmt.Errorf("%w: no op", errBlock)
	}
	t := &txn{}
	for k, name := range opNames {
		if name != "" && name == opv.Text {
			t.op = opKind(k)
		}
	}
	if t.op == 0 {
		return nil, fmt.Errorf("%w: unknown op %q", errBlock, opv.Text)
	}
	amt, err := natField(tx, "amt")
	if err != nil {
		return nil, err
	}
	if amt == nil {
		return nil, fmt.Errorf("%w: no amt", errBlock)
	}
	t.amount = *amt
	from, err := accountField(tx, "from")
	if err != nil {
		return nil, err
	}
	to, err := accountField(tx, "to")
	if err != nil {
		return nil, err
	}
	if t.spender, err = accountField(tx, "spender"); err != nil {
		return nil, err
	}
	needFrom, needTo := t.op != opMint, t.op == opMint || t.op == opXfer
	if (from != nil) != needFrom || (to != nil) != needTo || (t.op == opApprove && t.spender == nil) || (t.op == opMint && t.spender != nil) {
		return nil, fmt.Errorf("%w: fields do not fit op %s", errBlock, opv.Text)
	}
	if from != nil {
		t.from = *from
	}
	if to != nil {
		t.to = *to
	}
	if t.fee, err = natField(tx, "fee"); err != nil {
		return nil, err
	}
	if t.expected, err = natField(tx, "expected_allowance"); err != nil {
		return nil, err
	}
	if t.expiresAt, err = natField(tx, "expires_at"); err != nil {
		return nil, err
	}
	if t.createdAt, err = natField(tx, "ts"); err != nil {
		return nil, err
	}
	if m, ok := tx.Get("memo"); ok {
		if m.Kind != KindBlob {
			return nil, fmt.Errorf("%w: memo is not a blob", errBlock)
		}
		t.memo = m.Blob
		if t.memo == nil {
			t.memo = []byte{}
		}
	}
	if (t.fee != nil && t.op != opXfer && t.op != opApprove) || ((t.expected != nil || t.expiresAt != nil) && t.op != opApprove) {
		return nil, fmt.Errorf("%w: fields do not fit op %s", errBlock, opv.Text)
	}
	// The tx map must hold exactly the fields read above.
	if !t.value().Equal(tx) {
		return nil, fmt.Errorf("%w: unexpected fields in tx", errBlock)
	}
	return t, nil
}

func optAccount(a *Account) candid.Value {
	if a == nil {
		return candid.None()
	}
	return candid.Some(accountRecord(*a))
}

func optNat(x *uint64) candid.Value {
	if x == nil {
		return candid.None()
	}
	return candid.Some(nat(*x))
}

func optNat64(x *uint64) candid.Value {
	if x == nil {
		return candid.None()
	}
	return candid.Some(*x)
}

func optBlob(b []byte) candid.Value {
	if b == nil {
		return candid.None()
	}
	return candid.Some(b)
}

// transactionCandid converts a block to the get_transactions Transaction.
func transactionCandid(b Value) (candid.Value, error) {
	txv, _ := b.Get("tx")
	t, err := decodeTxn(txv)
	if err != nil {
		return nil, err
	}
	ts, err := natField(b, "ts")
	if err != nil || ts == nil {
		return nil, fmt.Errorf("%w: no ts", errBlock)
	}
	effFee, err := natField(b, "fee")
	if err != nil {
		return nil, err
	}
	fee := t.fee
	if fee == nil {
		fee = effFee
	}
	f := func(name string, v candid.Value) candid.FieldValue {
		return candid.FieldValue{ID: candid.Hash(name), Value: v}
	}
	common := []candid.FieldValue{f("memo", optBlob(t.memo)), f("created_at_time", optNat64(t.createdAt)), f("amount", nat(t.amount))}
	rec := func(fs ...candid.FieldValue) candid.Opt {
		return candid.Some(candid.Record{Fields: append(fs, common...)})
	}
	mint, burn, xfer, appr := candid.None(), candid.None(), candid.None(), candid.None()
	var kind string
	switch t.op {
	case opMint:
		kind, mint = "mint", rec(f("to", accountRecord(t.to)), f("fee", candid.None()))
	case opBurn:
		kind, burn = "burn", rec(f("from", accountRecord(t.from)), f("spender", optAccount(t.spender)), f("fee", candid.None()))
	case opXfer:
		kind, xfer = "transfer", rec(f("from", accountRecord(t.from)), f("to", accountRecord(t.to)),
			f("spender", optAccount(t.spender)), f("fee", optNat(fee)))
	case opApprove:
		kind, appr = "approve", rec(f("from", accountRecord(t.from)), f("spender", accountRecord(*t.spender)),
			f("fee", optNat(fee)), f("expected_allowance", optNat(t.expected)), f("expires_at", optNat64(t.expiresAt)))
	}
	return candid.Record{Fields: []candid.FieldValue{
		f("kind", kind), f("timestamp", *ts), f("mint", mint), f("burn", burn),
		f("transfer", xfer), f("approve", appr), f("fee_collector", candid.None()),
	}}, nil
}
