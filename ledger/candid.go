package ledger

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
)

// ledgerDID is the IC ICRC-1 ledger's interface (see ledger.did.txt).
//
//go:embed ledger.did
var ledgerDID string

// Interface returns the ledger's Candid service description, the one Call
// and Query encode and decode against.
func Interface() (*candid.Description, error) { return parsedInterface() }

var parsedInterface = sync.OnceValues(func() (*candid.Description, error) {
	d, err := candid.ParseDescription(ledgerDID)
	if err != nil {
		return nil, fmt.Errorf("ledger: parsing ledger.did: %w", err)
	}
	return d, nil
})

func methodType(name string) (*candid.Type, error) {
	d, err := parsedInterface()
	if err != nil {
		return nil, err
	}
	t, ok := d.Service.Method(name)
	if !ok {
		return nil, reject("no method %q", name)
	}
	return t, nil
}

// callCtx is one call: its decoded arguments, caller, time and whether it
// runs as a (non-replicated) query.
type callCtx struct {
	args   []candid.Value
	caller principal.Principal
	now    uint64
	query  bool
}

type handler struct {
	update bool
	fn     func(l *Ledger, c *callCtx) (candid.Value, error)
}

// handlers are the implemented methods. The table is never modified.
var handlers = map[string]handler{
	"icrc1_transfer":              {true, (*Ledger).callTransfer},
	"icrc2_approve":               {true, (*Ledger).callApprove},
	"icrc2_transfer_from":         {true, (*Ledger).callTransferFrom},
	"icrc1_name":                  {false, func(l *Ledger, _ *callCtx) (candid.Value, error) { return l.name, nil }},
	"icrc1_symbol":                {false, func(l *Ledger, _ *callCtx) (candid.Value, error) { return l.symbol, nil }},
	"icrc1_decimals":              {false, func(l *Ledger, _ *callCtx) (candid.Value, error) { return l.decimals, nil }},
	"icrc1_fee":                   {false, func(l *Ledger, _ *callCtx) (candid.Value, error) { return nat(l.fee), nil }},
	"icrc1_total_supply":          {false, func(l *Ledger, _ *callCtx) (candid.Value, error) { return nat(l.supply), nil }},
	"icrc1_minting_account":       {false, (*Ledger).callMintingAccount},
	"icrc1_metadata":              {false, (*Ledger).callMetadata},
	"icrc1_balance_of":            {false, (*Ledger).callBalanceOf},
	"icrc1_supported_standards":   {false, callStandards},
	"icrc10_supported_standards":  {false, callStandards},
	"icrc2_allowance":             {false, (*Ledger).callAllowance},
	"icrc3_get_archives":          {false, emptyVec},
	"archives":                    {false, emptyVec},
	"icrc3_get_tip_certificate":   {false, (*Ledger).callTipCertificate},
	"icrc3_get_blocks":            {false, (*Ledger).callICRC3GetBlocks},
	"icrc3_supported_block_types": {false, callBlockTypes},
	"get_blocks":                  {false, (*Ledger).callGetBlocks},
	"get_transactions":            {false, (*Ledger).callGetTransactions},
	"get_data_certificate":        {false, (*Ledger).callDataCertificate},
	"is_ledger_ready":             {false, func(*Ledger, *callCtx) (candid.Value, error) { return true, nil }},
	"icrc106_get_index_principal": {false, callIndexPrincipal},
}

func emptyVec(*Ledger, *callCtx) (candid.Value, error) { return []candid.Value{}, nil }

func (l *Ledger) callMintingAccount(*callCtx) (candid.Value, error) {
	return candid.Some(accountRecord(l.minting)), nil
}

// callIndexPrincipal answers that no index canister is known.
func callIndexPrincipal(*Ledger, *callCtx) (candid.Value, error) {
	notSet := candid.Variant{ID: candid.Hash("IndexPrincipalNotSet"), Value: candid.Null{}}
	return candid.Variant{ID: idErr, Value: notSet}, nil
}

// Call executes a method as an update call (replicated): the Candid
// argument message arg from caller at time now (nanoseconds since the Unix
// epoch). It returns the Candid reply, or an error wrapping ErrRejected when
// the ledger refuses the call (the IC ledger would trap); then the state is
// unchanged. Query methods may be called this way too; they see no
// certificate.
func (l *Ledger) Call(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	return l.dispatch(method, arg, caller, now, false)
}

// Query executes a query method (non-replicated): it never changes the
// state, and methods that return a certificate ask the certificate source.
// Update methods are refused.
func (l *Ledger) Query(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	return l.dispatch(method, arg, caller, now, true)
}

// IsQuery reports whether method is a query method of the ledger, and
// whether the ledger has it at all.
func IsQuery(method string) (query, ok bool) {
	h, ok := handlers[method]
	return ok && !h.update, ok
}

func (l *Ledger) dispatch(method string, arg []byte, caller principal.Principal, now uint64, query bool) ([]byte, error) {
	h, ok := handlers[method]
	if !ok {
		return nil, reject("no method %q", method)
	}
	if query && h.update {
		return nil, reject("%s is an update method", method)
	}
	ft, err := methodType(method)
	if err != nil {
		return nil, err
	}
	args, err := candid.Decoder{Cache: l.tables}.Unmarshal(arg, ft.Args)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: decoding the argument: %w", ErrRejected, method, err)
	}
	res, err := h.fn(l, &callCtx{args: args, caller: caller, now: now, query: query})
	if err != nil {
		return nil, err
	}
	if h.update {
		if v, ok := res.(candid.Variant); ok && v.ID == idOk {
			if prefixes, err := okReplyPrefixes(); err == nil {
				return appendBigLEB(bytes.Clone(prefixes[method]), v.Value.(*big.Int)), nil
			}
		}
	}
	out, err := candid.Marshal(ft.Results, []candid.Value{res})
	if err != nil {
		return nil, fmt.Errorf("ledger: %s: encoding the reply: %w", method, err)
	}
	return out, nil
}

// okReplyPrefixes holds, for each update method, its reply message of
// variant { Ok = n } without the LEB128 of n, which comes last: the type
// table of the large result type is then encoded once, not per call.
var okReplyPrefixes = sync.OnceValues(func() (map[string][]byte, error) {
	out := make(map[string][]byte)
	for name, h := range handlers {
		if !h.update {
			continue
		}
		ft, err := methodType(name)
		if err != nil {
			return nil, err
		}
		m0, err0 := candid.Marshal(ft.Results, []candid.Value{candid.Variant{ID: idOk, Value: nat(0)}})
		m1, err1 := candid.Marshal(ft.Results, []candid.Value{candid.Variant{ID: idOk, Value: nat(1)}})
		if err := errors.Join(err0, err1); err != nil {
			return nil, err
		}
		n := len(m0)
		if n == 0 || len(m1) != n || m0[n-1] != 0 || m1[n-1] != 1 || !bytes.Equal(m0[:n-1], m1[:n-1]) {
			return nil, fmt.Errorf("ledger: %s: the Ok reply does not end with its nat", name)
		}
		out[name] = m0[:n-1]
	}
	return out, nil
})

func nat(x uint64) *big.Int { return new(big.Int).SetUint64(x) }

// field returns a field of a decoded record (missing opt fields decode as
// null, so a missing field is a bug in the table, reported as a rejection).
func field(v candid.Value, name string) candid.Value {
	r, ok := v.(candid.Record)
	if !ok {
		return nil
	}
	f, _ := r.Get(name)
	return f
}

func optOf(v candid.Value) (candid.Value, bool) {
	o, ok := v.(candid.Opt)
	if !ok || o.Value == nil {
		return nil, false
	}
	return o.Value, true
}

// natArg converts a nat; big reports a value over 64 bits.
func natArg(v candid.Value) (x uint64, isBig bool, err error) {
	n, ok := v.(*big.Int)
	if !ok {
		return 0, false, reject("expected a nat")
	}
	if !n.IsUint64() {
		return 0, true, nil
	}
	return n.Uint64(), false, nil
}

func optNatArg(v candid.Value) (*uint64, bool, error) {
	inner, ok := optOf(v)
	if !ok {
		return nil, false, nil
	}
	x, isBig, err := natArg(inner)
	if err != nil || isBig {
		return nil, isBig, err
	}
	return &x, false, nil
}

func optNat64Arg(v candid.Value) (*uint64, error) {
	inner, ok := optOf(v)
	if !ok {
		return nil, nil
	}
	x, ok := inner.(uint64)
	if !ok {
		return nil, reject("expected a nat64")
	}
	return &x, nil
}

func optBlobArg(v candid.Value) ([]byte, bool, error) {
	inner, ok := optOf(v)
	if !ok {
		return nil, false, nil
	}
	b, ok := inner.([]byte)
	if !ok {
		return nil, false, reject("expected a blob")
	}
	if b == nil {
		b = []byte{}
	}
	return b, true, nil
}

func subaccountArg(v candid.Value) (*[32]byte, error) {
	b, ok, err := optBlobArg(v)
	if err != nil || !ok {
		return nil, err
	}
	if len(b) != 32 {
		return nil, reject("a subaccount must be 32 bytes, got %d", len(b))
	}
	var s [32]byte
	copy(s[:], b)
	return &s, nil
}

func accountArg(v candid.Value) (Account, error) {
	p, ok := field(v, "owner").(principal.Principal)
	if !ok {
		return Account{}, reject("expected an account")
	}
	sub, err := subaccountArg(field(v, "subaccount"))
	if err != nil {
		return Account{}, err
	}
	return Account{Owner: p, Subaccount: sub}, nil
}

func memoArg(v candid.Value) ([]byte, error) {
	b, _, err := optBlobArg(v)
	return b, err
}

func accountRecord(a Account) candid.Record {
	sub := candid.None()
	if a.Subaccount != nil {
		sub = candid.Some(a.Subaccount[:])
	}
	return candid.Record{Fields: []candid.FieldValue{
		{ID: idOwner, Value: a.Owner},
		{ID: idSubaccount, Value: sub},
	}}
}

var (
	idOk         = candid.Hash("Ok")
	idErr        = candid.Hash("Err")
	idOwner      = candid.Hash("owner")
	idSubaccount = candid.Hash("subaccount")
)

// result encodes the outcome of an update as variant { Ok : nat; Err : E }.
// allowed lists the error variants of E.
func result(height uint64, err error, allowed ...ErrorKind) (candid.Value, error) {
	if err == nil {
		return candid.Variant{ID: idOk, Value: nat(height)}, nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return nil, err
	}
	ok := false
	for _, k := range allowed {
		ok = ok || k == e.Kind
	}
	if !ok {
		return nil, reject("error %s has no Candid form here", e.Kind)
	}
	rec := func(name string, v candid.Value) candid.Value {
		return candid.Record{Fields: []candid.FieldValue{{ID: candid.Hash(name), Value: v}}}
	}
	var v candid.Value
	switch e.Kind {
	case BadFee:
		v = rec("expected_fee", nat(e.Amount))
	case BadBurn:
		v = rec("min_burn_amount", nat(e.Amount))
	case InsufficientFunds:
		v = rec("balance", nat(e.Amount))
	case InsufficientAllowance:
		v = rec("allowance", nat(e.Amount))
	case AllowanceChanged:
		v = rec("current_allowance", nat(e.Amount))
	case CreatedInFuture, Expired:
		v = rec("ledger_time", e.LedgerTime)
	case Duplicate:
		v = rec("duplicate_of", nat(e.DuplicateOf))
	case GenericError:
		v = candid.Record{Fields: []candid.FieldValue{
			{ID: candid.Hash("error_code"), Value: nat(e.Code)},
			{ID: candid.Hash("message"), Value: e.Message},
		}}
	default:
		v = candid.Null{}
	}
	return candid.Variant{ID: idErr, Value: candid.Variant{ID: candid.Hash(e.Kind.String()), Value: v}}, nil
}

var transferErrors = []ErrorKind{BadFee, BadBurn, InsufficientFunds, TooOld, CreatedInFuture, TemporarilyUnavailable, Duplicate, GenericError}
var transferFromErrors = append([]ErrorKind{InsufficientAllowance}, transferErrors...)
var approveErrors = []ErrorKind{GenericError, TemporarilyUnavailable, Duplicate, BadFee, AllowanceChanged, CreatedInFuture, TooOld, Expired, InsufficientFunds}

// commonArgs reads amount, fee, memo and created_at_time.
func commonArgs(a candid.Value, r *xferReq) error {
	var err error
	if r.amount, r.amountBig, err = natArg(field(a, "amount")); err != nil {
		return err
	}
	if r.fee, r.feeBig, err = optNatArg(field(a, "fee")); err != nil {
		return err
	}
	if r.memo, err = memoArg(field(a, "memo")); err != nil {
		return err
	}
	r.createdAt, err = optNat64Arg(field(a, "created_at_time"))
	return err
}

func (l *Ledger) callTransfer(c *callCtx) (candid.Value, error) {
	a, caller, now := c.args[0], c.caller, c.now
	sub, err := subaccountArg(field(a, "from_subaccount"))
	if err != nil {
		return nil, err
	}
	r := xferReq{from: Account{Owner: caller, Subaccount: sub}}
	if r.to, err = accountArg(field(a, "to")); err != nil {
		return nil, err
	}
	if err := commonArgs(a, &r); err != nil {
		return nil, err
	}
	h, err := l.transfer(r, now)
	return result(h, err, transferErrors...)
}

func (l *Ledger) callTransferFrom(c *callCtx) (candid.Value, error) {
	a, caller, now := c.args[0], c.caller, c.now
	sub, err := subaccountArg(field(a, "spender_subaccount"))
	if err != nil {
		return nil, err
	}
	r := xferReq{spender: &Account{Owner: caller, Subaccount: sub}}
	if r.from, err = accountArg(field(a, "from")); err != nil {
		return nil, err
	}
	if r.to, err = accountArg(field(a, "to")); err != nil {
		return nil, err
	}
	if err := commonArgs(a, &r); err != nil {
		return nil, err
	}
	h, err := l.transfer(r, now)
	return result(h, err, transferFromErrors...)
}

func (l *Ledger) callApprove(c *callCtx) (candid.Value, error) {
	a, caller, now := c.args[0], c.caller, c.now
	sub, err := subaccountArg(field(a, "from_subaccount"))
	if err != nil {
		return nil, err
	}
	r := approveReq{from: Account{Owner: caller, Subaccount: sub}}
	if r.spender, err = accountArg(field(a, "spender")); err != nil {
		return nil, err
	}
	amount, amountBig, err := natArg(field(a, "amount"))
	if err != nil {
		return nil, err
	}
	if amountBig {
		amount = ^uint64(0) // the IC ledger saturates approvals
	}
	r.amount = amount
	if r.expected, r.expectedBig, err = optNatArg(field(a, "expected_allowance")); err != nil {
		return nil, err
	}
	if r.expiresAt, err = optNat64Arg(field(a, "expires_at")); err != nil {
		return nil, err
	}
	if r.fee, r.feeBig, err = optNatArg(field(a, "fee")); err != nil {
		return nil, err
	}
	if r.memo, err = memoArg(field(a, "memo")); err != nil {
		return nil, err
	}
	if r.createdAt, err = optNat64Arg(field(a, "created_at_time")); err != nil {
		return nil, err
	}
	h, err := l.approve(r, now)
	return result(h, err, approveErrors...)
}

func (l *Ledger) callBalanceOf(c *callCtx) (candid.Value, error) {
	a, err := accountArg(c.args[0])
	if err != nil {
		return nil, err
	}
	return nat(l.BalanceOf(a)), nil
}

func (l *Ledger) callAllowance(c *callCtx) (candid.Value, error) {
	args, now := c.args, c.now
	from, err := accountArg(field(args[0], "account"))
	if err != nil {
		return nil, err
	}
	spender, err := accountArg(field(args[0], "spender"))
	if err != nil {
		return nil, err
	}
	amount, exp := l.Allowance(from, spender, now)
	e := candid.None()
	if exp != nil {
		e = candid.Some(*exp)
	}
	return candid.Record{Fields: []candid.FieldValue{
		{ID: candid.Hash("allowance"), Value: nat(amount)},
		{ID: candid.Hash("expires_at"), Value: e},
	}}, nil
}

// Metadata returns the icrc1_metadata entries: the configured ones, then
// icrc1:decimals, icrc1:name, icrc1:symbol, icrc1:fee and
// icrc1:max_memo_length.
func (l *Ledger) Metadata() []MetadataEntry {
	out := append([]MetadataEntry(nil), l.metadata...)
	return append(out,
		MetadataEntry{"icrc1:decimals", NatValue(uint64(l.decimals))},
		MetadataEntry{"icrc1:name", TextValue(l.name)},
		MetadataEntry{"icrc1:symbol", TextValue(l.symbol)},
		MetadataEntry{"icrc1:fee", NatValue(l.fee)},
		MetadataEntry{"icrc1:max_memo_length", NatValue(uint64(l.maxMemo))},
	)
}

func (l *Ledger) callMetadata(*callCtx) (candid.Value, error) {
	md := l.Metadata()
	out := make([]candid.Value, len(md))
	for i, m := range md {
		var v candid.Value
		switch m.Value.Kind {
		case KindNat:
			v = candid.Variant{ID: candid.Hash("Nat"), Value: m.Value.BigInt()}
		case KindInt:
			v = candid.Variant{ID: candid.Hash("Int"), Value: m.Value.BigInt()}
		case KindText:
			v = candid.Variant{ID: candid.Hash("Text"), Value: m.Value.Text}
		default:
			v = candid.Variant{ID: candid.Hash("Blob"), Value: m.Value.Blob}
		}
		out[i] = candid.Record{Fields: []candid.FieldValue{{ID: 0, Value: m.Key}, {ID: 1, Value: v}}}
	}
	return out, nil
}

// Standard is an entry of icrc1_supported_standards.
type Standard struct{ Name, URL string }

// SupportedStandards returns the standards the ledger implements.
func SupportedStandards() []Standard {
	return []Standard{
		{"ICRC-1", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-1"},
		{"ICRC-2", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-2"},
		{"ICRC-3", "https://github.com/dfinity/ICRC-1/tree/main/standards/ICRC-3"},
		{"ICRC-10", "https://github.com/dfinity/ICRC/blob/main/ICRCs/ICRC-10/ICRC-10.md"},
		{"ICRC-106", "https://github.com/dfinity/ICRC/pull/106"},
	}
}

func callStandards(*Ledger, *callCtx) (candid.Value, error) {
	var out []candid.Value
	for _, s := range SupportedStandards() {
		out = append(out, candid.Record{Fields: []candid.FieldValue{
			{ID: candid.Hash("name"), Value: s.Name}, {ID: candid.Hash("url"), Value: s.URL},
		}})
	}
	return out, nil
}

func callBlockTypes(*Ledger, *callCtx) (candid.Value, error) {
	const icrc1 = "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-1/README.md"
	const icrc2 = "https://github.com/dfinity/ICRC-1/blob/main/standards/ICRC-2/README.md"
	var out []candid.Value
	for _, bt := range [][2]string{{"1burn", icrc1}, {"1mint", icrc1}, {"2approve", icrc2}, {"2xfer", icrc2}} {
		out = append(out, candid.Record{Fields: []candid.FieldValue{
			{ID: candid.Hash("block_type"), Value: bt[0]}, {ID: candid.Hash("url"), Value: bt[1]},
		}})
	}
	return out, nil
}

func (l *Ledger) encodedTree() ([]byte, error) {
	b, err := certification.EncodeHashTree(l.HashTree())
	if err != nil {
		return nil, fmt.Errorf("ledger: encoding the hash tree: %w", err)
	}
	return b, nil
}

// dataCertificate returns the host's certificate in a query, nil otherwise.
func (l *Ledger) dataCertificate(query bool) []byte {
	if !query || l.certificate == nil {
		return nil
	}
	return l.certificate()
}

func (l *Ledger) callTipCertificate(c *callCtx) (candid.Value, error) {
	cert := l.dataCertificate(c.query)
	if cert == nil {
		return candid.None(), nil
	}
	tree, err := l.encodedTree()
	if err != nil {
		return nil, err
	}
	return candid.Some(candid.Record{Fields: []candid.FieldValue{
		{ID: candid.Hash("certificate"), Value: cert},
		{ID: candid.Hash("hash_tree"), Value: tree},
	}}), nil
}

func (l *Ledger) callDataCertificate(c *callCtx) (candid.Value, error) {
	tree, err := l.encodedTree()
	if err != nil {
		return nil, err
	}
	cert := candid.None()
	if b := l.dataCertificate(c.query); b != nil {
		cert = candid.Some(b)
	}
	return candid.Record{Fields: []candid.FieldValue{
		{ID: candid.Hash("certificate"), Value: cert},
		{ID: candid.Hash("hash_tree"), Value: tree},
	}}, nil
}

// Limits of one reply, as the IC ledger has them.
const (
	maxICRC3Blocks    = 100
	maxBlocksPerQuery = 2000
)

// rangeArg reads {start; length} and clips it to the log and to limit.
func (l *Ledger) rangeArg(v candid.Value, limit uint64) (start, end uint64, err error) {
	s, sBig, err := natArg(field(v, "start"))
	if err != nil {
		return 0, 0, err
	}
	n, nBig, err := natArg(field(v, "length"))
	if err != nil {
		return 0, 0, err
	}
	if sBig || nBig {
		return 0, 0, reject("block range out of 64-bit range")
	}
	size := uint64(len(l.blocks))
	start = min(s, size)
	end = start + min(n, limit, size-start)
	return start, end, nil
}

func (l *Ledger) callICRC3GetBlocks(c *callCtx) (candid.Value, error) {
	reqs, _ := c.args[0].([]candid.Value)
	var blocks []candid.Value
	for _, req := range reqs {
		room := maxICRC3Blocks - uint64(len(blocks))
		if room == 0 {
			break
		}
		start, end, err := l.rangeArg(req, room)
		if err != nil {
			return nil, err
		}
		for i := start; i < end; i++ {
			blocks = append(blocks, candid.Record{Fields: []candid.FieldValue{
				{ID: candid.Hash("id"), Value: nat(i)},
				{ID: candid.Hash("block"), Value: icrc3Candid(l.block(i))},
			}})
		}
	}
	if blocks == nil {
		blocks = []candid.Value{}
	}
	return candid.Record{Fields: []candid.FieldValue{
		{ID: candid.Hash("log_length"), Value: nat(uint64(len(l.blocks)))},
		{ID: candid.Hash("blocks"), Value: blocks},
		{ID: candid.Hash("archived_blocks"), Value: []candid.Value{}},
	}}, nil
}

func (l *Ledger) callGetBlocks(c *callCtx) (candid.Value, error) {
	start, end, err := l.rangeArg(c.args[0], maxBlocksPerQuery)
	if err != nil {
		return nil, err
	}
	blocks := make([]candid.Value, 0, end-start)
	for i := start; i < end; i++ {
		blocks = append(blocks, legacyCandid(l.block(i)))
	}
	cert := candid.None()
	if b := l.dataCertificate(c.query); b != nil {
		cert = candid.Some(b)
	}
	return candid.Record{Fields: []candid.FieldValue{
		{ID: candid.Hash("first_index"), Value: nat(start)},
		{ID: candid.Hash("chain_length"), Value: uint64(len(l.blocks))},
		{ID: candid.Hash("certificate"), Value: cert},
		{ID: candid.Hash("blocks"), Value: blocks},
		{ID: candid.Hash("archived_blocks"), Value: []candid.Value{}},
	}}, nil
}

func (l *Ledger) callGetTransactions(c *callCtx) (candid.Value, error) {
	start, end, err := l.rangeArg(c.args[0], maxBlocksPerQuery)
	if err != nil {
		return nil, err
	}
	txs := make([]candid.Value, 0, end-start)
	for i := start; i < end; i++ {
		t, err := transactionCandid(l.block(i))
		if err != nil {
			return nil, err
		}
		txs = append(txs, t)
	}
	return candid.Record{Fields: []candid.FieldValue{
		{ID: candid.Hash("log_length"), Value: nat(uint64(len(l.blocks)))},
		{ID: candid.Hash("first_index"), Value: nat(start)},
		{ID: candid.Hash("transactions"), Value: txs},
		{ID: candid.Hash("archived_transactions"), Value: []candid.Value{}},
	}}, nil
}

// icrc3Candid converts a value to the Candid ICRC3Value.
func icrc3Candid(v Value) candid.Value {
	switch v.Kind {
	case KindBlob:
		return candid.Variant{ID: candid.Hash("Blob"), Value: v.Blob}
	case KindText:
		return candid.Variant{ID: candid.Hash("Text"), Value: v.Text}
	case KindNat:
		return candid.Variant{ID: candid.Hash("Nat"), Value: v.BigInt()}
	case KindInt:
		return candid.Variant{ID: candid.Hash("Int"), Value: v.BigInt()}
	case KindArray:
		out := make([]candid.Value, len(v.Array))
		for i, e := range v.Array {
			out[i] = icrc3Candid(e)
		}
		return candid.Variant{ID: candid.Hash("Array"), Value: out}
	}
	out := make([]candid.Value, len(v.Map))
	for i, e := range v.Map {
		out[i] = candid.Record{Fields: []candid.FieldValue{{ID: 0, Value: e.Key}, {ID: 1, Value: icrc3Candid(e.Value)}}}
	}
	return candid.Variant{ID: candid.Hash("Map"), Value: out}
}

// legacyCandid converts a value to the get_blocks Value type, in which the
// IC ledger gives every natural number that fits 64 bits as Nat64.
func legacyCandid(v Value) candid.Value {
	switch v.Kind {
	case KindNat:
		if v.Big == nil {
			return candid.Variant{ID: candid.Hash("Nat64"), Value: v.U64}
		}
	case KindArray:
		out := make([]candid.Value, len(v.Array))
		for i, e := range v.Array {
			out[i] = legacyCandid(e)
		}
		return candid.Variant{ID: candid.Hash("Array"), Value: out}
	case KindMap:
		out := make([]candid.Value, len(v.Map))
		for i, e := range v.Map {
			out[i] = candid.Record{Fields: []candid.FieldValue{{ID: 0, Value: e.Key}, {ID: 1, Value: legacyCandid(e.Value)}}}
		}
		return candid.Variant{ID: candid.Hash("Map"), Value: out}
	}
	return icrc3Candid(v)
}
