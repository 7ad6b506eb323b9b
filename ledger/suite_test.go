package ledger_test

// The cases of the ICRC-1 acceptance test suite (dfinity/ICRC-1 test/suite
// lib.rs at 2e693e1), one Go test per case, driven through Call and Query
// with Candid messages as a client sends them.

import (
	"bytes"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
)

type wAccount struct {
	Owner      principal.Principal `candid:"owner"`
	Subaccount *[]byte             `candid:"subaccount"`
}

type wTransferArg struct {
	FromSubaccount *[]byte  `candid:"from_subaccount"`
	To             wAccount `candid:"to"`
	Amount         *big.Int `candid:"amount"`
	Fee            *big.Int `candid:"fee,opt"`
	Memo           *[]byte  `candid:"memo"`
	CreatedAtTime  *uint64  `candid:"created_at_time"`
}

type wApproveArgs struct {
	FromSubaccount    *[]byte  `candid:"from_subaccount"`
	Spender           wAccount `candid:"spender"`
	Amount            *big.Int `candid:"amount"`
	ExpectedAllowance *big.Int `candid:"expected_allowance,opt"`
	ExpiresAt         *uint64  `candid:"expires_at"`
	Fee               *big.Int `candid:"fee,opt"`
	Memo              *[]byte  `candid:"memo"`
	CreatedAtTime     *uint64  `candid:"created_at_time"`
}

type wTransferFromArgs struct {
	SpenderSubaccount *[]byte  `candid:"spender_subaccount"`
	From              wAccount `candid:"from"`
	To                wAccount `candid:"to"`
	Amount            *big.Int `candid:"amount"`
	Fee               *big.Int `candid:"fee,opt"`
	Memo              *[]byte  `candid:"memo"`
	CreatedAtTime     *uint64  `candid:"created_at_time"`
}

// wError covers the tags of TransferError, TransferFromError and
// ApproveError.
type wError struct {
	candid.IsVariant
	BadFee *struct {
		ExpectedFee *big.Int `candid:"expected_fee"`
	} `candid:"BadFee"`
	BadBurn *struct {
		MinBurnAmount *big.Int `candid:"min_burn_amount"`
	} `candid:"BadBurn"`
	InsufficientFunds *struct {
		Balance *big.Int `candid:"balance"`
	} `candid:"InsufficientFunds"`
	InsufficientAllowance *struct {
		Allowance *big.Int `candid:"allowance"`
	} `candid:"InsufficientAllowance"`
	AllowanceChanged *struct {
		CurrentAllowance *big.Int `candid:"current_allowance"`
	} `candid:"AllowanceChanged"`
	TooOld          *candid.Null `candid:"TooOld"`
	CreatedInFuture *struct {
		LedgerTime uint64 `candid:"ledger_time"`
	} `candid:"CreatedInFuture"`
	Expired *struct {
		LedgerTime uint64 `candid:"ledger_time"`
	} `candid:"Expired"`
	TemporarilyUnavailable *candid.Null `candid:"TemporarilyUnavailable"`
	Duplicate              *struct {
		DuplicateOf *big.Int `candid:"duplicate_of"`
	} `candid:"Duplicate"`
	GenericError *struct {
		ErrorCode *big.Int `candid:"error_code"`
		Message   string   `candid:"message"`
	} `candid:"GenericError"`
}

type wResult struct {
	candid.IsVariant
	Ok  *big.Int `candid:"Ok"`
	Err *wError  `candid:"Err"`
}

type wAllowance struct {
	Allowance *big.Int `candid:"allowance"`
	ExpiresAt *uint64  `candid:"expires_at"`
}

type wAllowanceArgs struct {
	Account wAccount `candid:"account"`
	Spender wAccount `candid:"spender"`
}

type wStandard struct {
	Name string `candid:"name"`
	URL  string `candid:"url"`
}

type wMetadataValue struct {
	candid.IsVariant
	Nat  *big.Int `candid:"Nat"`
	Int  *big.Int `candid:"Int,int"`
	Text *string  `candid:"Text"`
	Blob *[]byte  `candid:"Blob"`
}

type wMetadataEntry struct {
	Key   string         `candid:"0"`
	Value wMetadataValue `candid:"1"`
}

const t0 = 1_750_000_000_000_000_000

type env struct {
	t      *testing.T
	l      *ledger.Ledger
	now    uint64
	root   principal.Principal
	minter principal.Principal
	next   uint64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, now: t0, root: principal.FromCanisterIndex(7), minter: principal.FromCanisterIndex(1), next: 1000}
	cfg := ledger.CkBTCConfig(e.minter)
	cfg.InitialBalances = []ledger.InitialBalance{{Account: ledger.Account{Owner: e.root}, Amount: 1_000_000_000}}
	l, err := ledger.New(cfg, e.now)
	if err != nil {
		t.Fatal(err)
	}
	e.l = l
	return e
}

// fork returns a fresh principal with no funds, as LedgerEnv::fork does.
func (e *env) fork() principal.Principal {
	e.next++
	return principal.FromCanisterIndex(e.next)
}

func (e *env) call(method string, caller principal.Principal, reply any, args ...any) {
	e.t.Helper()
	msg, err := candid.Encode(args...)
	if err != nil {
		e.t.Fatal(err)
	}
	e.now++
	out, err := e.l.Call(method, msg, caller, e.now)
	if err != nil {
		e.t.Fatalf("%s: %v", method, err)
	}
	if err := candid.Decode(out, reply); err != nil {
		e.t.Fatalf("%s: decoding the reply: %v", method, err)
	}
}

func (e *env) query(method string, reply any, args ...any) {
	e.t.Helper()
	msg, err := candid.Encode(args...)
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := e.l.Query(method, msg, principal.Anonymous(), e.now)
	if err != nil {
		e.t.Fatalf("%s: %v", method, err)
	}
	if err := candid.Decode(out, reply); err != nil {
		e.t.Fatalf("%s: decoding the reply: %v", method, err)
	}
}

func acct(p principal.Principal) wAccount { return wAccount{Owner: p} }

func n(x uint64) *big.Int { return new(big.Int).SetUint64(x) }

func (e *env) fee() uint64 {
	var f *big.Int
	e.query("icrc1_fee", &f)
	return f.Uint64()
}

func (e *env) balance(a wAccount) uint64 {
	e.t.Helper()
	var b *big.Int
	e.query("icrc1_balance_of", &b, a)
	return b.Uint64()
}

func (e *env) assertBalance(a wAccount, want uint64) {
	e.t.Helper()
	if got := e.balance(a); got != want {
		e.t.Fatalf("balance of %v = %d, want %d", a.Owner, got, want)
	}
}

func (e *env) transfer(caller principal.Principal, arg wTransferArg) wResult {
	e.t.Helper()
	var r wResult
	e.call("icrc1_transfer", caller, &r, arg)
	return r
}

func (e *env) approve(caller principal.Principal, arg wApproveArgs) wResult {
	e.t.Helper()
	var r wResult
	e.call("icrc2_approve", caller, &r, arg)
	return r
}

func (e *env) transferFrom(caller principal.Principal, arg wTransferFromArgs) wResult {
	e.t.Helper()
	var r wResult
	e.call("icrc2_transfer_from", caller, &r, arg)
	return r
}

func (e *env) allowance(from, spender wAccount) wAllowance {
	e.t.Helper()
	var a wAllowance
	e.query("icrc2_allowance", &a, wAllowanceArgs{Account: from, Spender: spender})
	return a
}

func (e *env) assertAllowance(from, spender wAccount, want uint64, expires *uint64) {
	e.t.Helper()
	a := e.allowance(from, spender)
	if a.Allowance.Uint64() != want || !a.Allowance.IsUint64() {
		e.t.Fatalf("allowance = %v, want %d", a.Allowance, want)
	}
	if (a.ExpiresAt == nil) != (expires == nil) || (a.ExpiresAt != nil && *a.ExpiresAt != *expires) {
		e.t.Fatalf("allowance expiry = %v, want %v", a.ExpiresAt, expires)
	}
}

func ok(t *testing.T, r wResult) *big.Int {
	t.Helper()
	if r.Ok == nil {
		t.Fatalf("expected Ok, got Err %+v", *r.Err)
	}
	return r.Ok
}

func fail(t *testing.T, r wResult) *wError {
	t.Helper()
	if r.Err == nil {
		t.Fatalf("expected Err, got Ok %v", r.Ok)
	}
	return r.Err
}

func amountTo(amount uint64, to wAccount) wTransferArg {
	return wTransferArg{To: to, Amount: n(amount)}
}

// setupTestAccount funds a fresh principal from the root account.
func (e *env) setupTestAccount(amount uint64) principal.Principal {
	e.t.Helper()
	if e.balance(acct(e.root)) < amount+e.fee() {
		e.t.Fatal("root account underfunded")
	}
	p := e.fork()
	e.assertBalance(acct(p), 0)
	ok(e.t, e.transfer(e.root, amountTo(amount, acct(p))))
	e.assertBalance(acct(p), amount)
	return p
}

func TestSuiteICRC1Transfer(t *testing.T) {
	e := newEnv(t)
	fee := e.fee()
	p1 := e.setupTestAccount(20_000 + fee)
	p2 := e.fork()
	b1, b2 := e.balance(acct(p1)), e.balance(acct(p2))
	ok(t, e.transfer(p1, amountTo(10_000, acct(p2))))
	e.assertBalance(acct(p2), b2+10_000)
	zero := make([]byte, 32)
	e.assertBalance(wAccount{Owner: p2, Subaccount: &zero}, b2+10_000)
	e.assertBalance(acct(p1), b1-10_000-fee)
}

func TestSuiteICRC1Burn(t *testing.T) {
	e := newEnv(t)
	var minting *wAccount
	e.query("icrc1_minting_account", &minting)
	if minting == nil {
		t.Fatal("the ledger has no minting account")
	}
	e.assertBalance(*minting, 0)
	p1 := e.setupTestAccount(10_000)
	ok(t, e.transfer(p1, amountTo(10_000, *minting)))
	e.assertBalance(acct(p1), 0)
	e.assertBalance(*minting, 0)
}

func TestSuiteICRC1Metadata(t *testing.T) {
	e := newEnv(t)
	var md []wMetadataEntry
	e.query("icrc1_metadata", &md)
	keys := map[string]wMetadataValue{}
	for _, m := range md {
		if _, dup := keys[m.Key]; dup {
			t.Fatalf("key %s is duplicated in the metadata", m.Key)
		}
		keys[m.Key] = m.Value
	}
	var name, symbol string
	var decimals uint8
	e.query("icrc1_name", &name)
	e.query("icrc1_symbol", &symbol)
	e.query("icrc1_decimals", &decimals)
	if v := keys["icrc1:name"]; v.Text == nil || *v.Text != name {
		t.Fatalf("icrc1:name = %+v, endpoint %q", v, name)
	}
	if v := keys["icrc1:symbol"]; v.Text == nil || *v.Text != symbol {
		t.Fatalf("icrc1:symbol = %+v, endpoint %q", v, symbol)
	}
	if v := keys["icrc1:decimals"]; v.Nat == nil || v.Nat.Uint64() != uint64(decimals) {
		t.Fatalf("icrc1:decimals = %+v, endpoint %d", v, decimals)
	}
	if v := keys["icrc1:fee"]; v.Nat == nil || v.Nat.Uint64() != e.fee() {
		t.Fatalf("icrc1:fee = %+v, endpoint %d", v, e.fee())
	}
	if name != "ckBTC" || symbol != "ckBTC" || decimals != 8 || e.fee() != 10 {
		t.Fatalf("ckBTC parameters: %q %q %d %d", name, symbol, decimals, e.fee())
	}
}

func standards(e *env) []string {
	var stds []wStandard
	e.query("icrc1_supported_standards", &stds)
	var names []string
	for _, s := range stds {
		names = append(names, s.Name)
	}
	return names
}

func TestSuiteICRC1SupportedStandards(t *testing.T) {
	if names := standards(newEnv(t)); !slices.Contains(names, "ICRC-1") {
		t.Fatalf("the ledger does not claim ICRC-1: %v", names)
	}
}

func TestSuiteICRC2SupportedStandards(t *testing.T) {
	names := standards(newEnv(t))
	if !slices.Contains(names, "ICRC-1") || !slices.Contains(names, "ICRC-2") {
		t.Fatalf("the ledger does not claim ICRC-1 and ICRC-2: %v", names)
	}
}

func TestSuiteICRC1TxDeduplication(t *testing.T) {
	e := newEnv(t)
	p1 := e.setupTestAccount(200_000)
	p2 := e.fork()

	// No deduplication without created_at_time.
	args := amountTo(10_000, acct(p2))
	ok(t, e.transfer(p1, args))
	e.assertBalance(acct(p2), 10_000)
	ok(t, e.transfer(p1, args))
	e.assertBalance(acct(p2), 20_000)

	// created_at_time changes the identity.
	ts := e.now
	args.CreatedAtTime = &ts
	txid := ok(t, e.transfer(p1, args))
	e.assertBalance(acct(p2), 30_000)
	if d := fail(t, e.transfer(p1, args)).Duplicate; d == nil || d.DuplicateOf.Cmp(txid) != 0 {
		t.Fatalf("expected Duplicate of %v", txid)
	}
	e.assertBalance(acct(p2), 30_000)

	// An explicit fee changes the identity.
	args.Fee = n(e.fee())
	txid2 := ok(t, e.transfer(p1, args))
	e.assertBalance(acct(p2), 40_000)
	if txid2.Cmp(txid) == 0 {
		t.Fatal("duplicate txid")
	}
	if d := fail(t, e.transfer(p1, args)).Duplicate; d == nil || d.DuplicateOf.Cmp(txid2) != 0 {
		t.Fatalf("expected Duplicate of %v", txid2)
	}
	e.assertBalance(acct(p2), 40_000)

	// A memo changes the identity.
	memo := []byte{1, 2, 3}
	args.Memo = &memo
	txid3 := ok(t, e.transfer(p1, args))
	e.assertBalance(acct(p2), 50_000)
	if txid3.Cmp(txid) == 0 || txid3.Cmp(txid2) == 0 {
		t.Fatal("duplicate txid")
	}
	if d := fail(t, e.transfer(p1, args)).Duplicate; d == nil || d.DuplicateOf.Cmp(txid3) != 0 {
		t.Fatalf("expected Duplicate of %v", txid3)
	}
	e.assertBalance(acct(p2), 50_000)

	// None and Some([0; 32]) subaccounts are different transactions.
	now := e.now
	m0 := []byte{0}
	ok(t, e.transfer(p1, wTransferArg{To: acct(p2), Amount: n(10_000), Memo: &m0, CreatedAtTime: &now}))
	e.assertBalance(acct(p2), 60_000)
	zero := make([]byte, 32)
	ok(t, e.transfer(p1, wTransferArg{To: wAccount{Owner: p2, Subaccount: &zero}, Amount: n(10_000), Memo: &m0, CreatedAtTime: &now}))
	e.assertBalance(acct(p2), 70_000)
}

func TestSuiteICRC1BadFee(t *testing.T) {
	e := newEnv(t)
	e.setupTestAccount(200_000)
	p2 := e.fork()
	args := amountTo(10_000, acct(p2))
	args.Fee = n(e.fee() + 1)
	// The suite sends this one from the funded root identity.
	bf := fail(t, e.transfer(e.root, args)).BadFee
	if bf == nil || bf.ExpectedFee.Uint64() != e.fee() {
		t.Fatalf("expected BadFee{%d}", e.fee())
	}
}

func TestSuiteICRC1FutureTransfer(t *testing.T) {
	e := newEnv(t)
	e.setupTestAccount(200_000)
	p2 := e.fork()
	args := amountTo(10_000, acct(p2))
	future := uint64(math.MaxUint64)
	args.CreatedAtTime = &future
	if fail(t, e.transfer(e.root, args)).CreatedInFuture == nil {
		t.Fatal("expected CreatedInFuture")
	}
}

func TestSuiteICRC1MemoBytesLength(t *testing.T) {
	e := newEnv(t)
	e.setupTestAccount(200_000)
	p2 := e.fork()
	args := amountTo(10_000, acct(p2))
	memo := bytes.Repeat([]byte{1}, 32)
	args.Memo = &memo
	ok(t, e.transfer(e.root, args))
}

func TestSuiteICRC2Approve(t *testing.T) {
	e := newEnv(t)
	fee := e.fee()
	p1 := e.setupTestAccount(fee * 2)
	p2 := e.fork()
	sub1 := bytes.Repeat([]byte{1}, 32)
	p2sub := wAccount{Owner: p2, Subaccount: &sub1}

	ok(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(fee)}))
	e.assertAllowance(acct(p1), acct(p2), fee, nil)
	e.assertAllowance(acct(p1), p2sub, 0, nil)
	e.assertBalance(acct(p1), fee)
	e.assertBalance(acct(p2), 0)
	e.assertBalance(p2sub, 0)

	ok(t, e.approve(p1, wApproveArgs{Spender: p2sub, Amount: n(fee * 2)}))
	e.assertAllowance(acct(p1), acct(p2), fee, nil)
	e.assertAllowance(acct(p1), p2sub, fee*2, nil)
	e.assertBalance(acct(p1), 0)
	e.assertBalance(acct(p2), 0)
	e.assertBalance(p2sub, 0)

	inf := fail(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(fee * 3)})).InsufficientFunds
	if inf == nil || inf.Balance.Sign() != 0 {
		t.Fatal("expected InsufficientFunds{0}")
	}
}

func TestSuiteICRC2ApproveExpiration(t *testing.T) {
	e := newEnv(t)
	fee := e.fee()
	initial := fee * 2
	p1 := e.setupTestAccount(initial)
	p2 := e.fork()

	past := e.now - 1
	if fail(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(fee), ExpiresAt: &past})).Expired == nil {
		t.Fatal("expected Expired")
	}
	e.assertAllowance(acct(p1), acct(p2), 0, nil)
	e.assertBalance(acct(p1), initial)
	e.assertBalance(acct(p2), 0)

	expiration := uint64(math.MaxUint64)
	ok(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(fee), ExpiresAt: &expiration}))
	e.assertAllowance(acct(p1), acct(p2), fee, &expiration)
	e.assertBalance(acct(p1), fee)
	e.assertBalance(acct(p2), 0)

	newExpiration := expiration - 1
	ok(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(fee), ExpiresAt: &newExpiration}))
	e.assertAllowance(acct(p1), acct(p2), fee, &newExpiration)
	e.assertBalance(acct(p1), 0)
	e.assertBalance(acct(p2), 0)
}

func TestSuiteICRC2ApproveExpectedAllowance(t *testing.T) {
	e := newEnv(t)
	fee := e.fee()
	p1 := e.setupTestAccount(fee * 2)
	p2 := e.fork()
	ok(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(fee)}))

	ac := fail(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(fee * 2), ExpectedAllowance: n(fee * 2)})).AllowanceChanged
	if ac == nil || ac.CurrentAllowance.Uint64() != fee {
		t.Fatalf("expected AllowanceChanged{%d}", fee)
	}
	ok(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(fee * 2), ExpectedAllowance: n(fee)}))
	e.assertAllowance(acct(p1), acct(p2), fee*2, nil)
	e.assertBalance(acct(p1), 0)
	e.assertBalance(acct(p2), 0)
}

func TestSuiteICRC2TransferFrom(t *testing.T) {
	e := newEnv(t)
	fee := e.fee()
	initial := fee*2 + fee*2
	p1 := e.setupTestAccount(initial)
	p2, p3 := e.fork(), e.fork()
	approveAmount := fee + fee
	ok(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(approveAmount)}))
	amount := approveAmount - fee - 1
	ok(t, e.transferFrom(p2, wTransferFromArgs{From: acct(p1), To: acct(p3), Amount: n(amount)}))
	e.assertBalance(acct(p1), initial-fee-fee-amount)
	e.assertBalance(acct(p2), 0)
	e.assertBalance(acct(p3), amount)
	e.assertAllowance(acct(p1), acct(p2), 1, nil)
}

func TestSuiteICRC2TransferFromInsufficientFunds(t *testing.T) {
	e := newEnv(t)
	fee := e.fee()
	amount := fee
	p1 := e.setupTestAccount(amount + fee)
	p2, p3 := e.fork(), e.fork()
	ok(t, e.approve(p1, wApproveArgs{Spender: acct(p2), Amount: n(amount + fee)}))
	inf := fail(t, e.transferFrom(p2, wTransferFromArgs{From: acct(p1), To: acct(p3), Amount: n(amount)})).InsufficientFunds
	if inf == nil || inf.Balance.Uint64() != amount {
		t.Fatalf("expected InsufficientFunds{%d}", amount)
	}
	e.assertBalance(acct(p1), amount)
	e.assertBalance(acct(p2), 0)
	e.assertBalance(acct(p3), 0)
	e.assertAllowance(acct(p1), acct(p2), amount+fee, nil)
}

func TestSuiteICRC2TransferFromInsufficientAllowance(t *testing.T) {
	e := newEnv(t)
	fee := e.fee()
	initial := fee + fee
	p1 := e.setupTestAccount(initial)
	p2, p3 := e.fork(), e.fork()
	ia := fail(t, e.transferFrom(p2, wTransferFromArgs{From: acct(p1), To: acct(p3), Amount: n(fee)})).InsufficientAllowance
	if ia == nil || ia.Allowance.Sign() != 0 {
		t.Fatal("expected InsufficientAllowance{0}")
	}
	e.assertBalance(acct(p1), initial)
	e.assertBalance(acct(p2), 0)
	e.assertBalance(acct(p3), 0)
}

func TestSuiteICRC2TransferFromSelf(t *testing.T) {
	e := newEnv(t)
	fee := e.fee()
	p1 := e.setupTestAccount(fee + fee)
	p2 := e.fork()
	ok(t, e.transferFrom(p1, wTransferFromArgs{From: acct(p1), To: acct(p2), Amount: n(fee)}))
	e.assertBalance(acct(p1), 0)
	e.assertBalance(acct(p2), fee)
}
