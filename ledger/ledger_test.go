package ledger_test

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
)

func kindOf(err error) ledger.ErrorKind {
	var e *ledger.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func newLedger(t *testing.T) (*ledger.Ledger, principal.Principal, ledger.Account) {
	t.Helper()
	minter := principal.FromCanisterIndex(1)
	l, err := ledger.New(ledger.CkBTCConfig(minter), t0)
	if err != nil {
		t.Fatal(err)
	}
	a := ledger.Account{Owner: principal.FromCanisterIndex(10)}
	if _, err := l.Mint(a, 1_000_000, nil, t0); err != nil {
		t.Fatal(err)
	}
	return l, minter, a
}

func TestMemoLimit(t *testing.T) {
	l, _, a := newLedger(t)
	b := ledger.Account{Owner: principal.FromCanisterIndex(11)}
	if _, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 1, Memo: make([]byte, 80)}, t0); err != nil {
		t.Fatalf("80-byte memo refused: %v", err)
	}
	if _, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 1, Memo: make([]byte, 81)}, t0); !errors.Is(err, ledger.ErrRejected) {
		t.Fatalf("81-byte memo: %v", err)
	}
	if _, err := l.Approve(a.Owner, ledger.ApproveArgs{Spender: b, Amount: 1, Memo: make([]byte, 81)}, t0); !errors.Is(err, ledger.ErrRejected) {
		t.Fatalf("81-byte approve memo: %v", err)
	}
	// The default limit is 32 bytes.
	l2, err := ledger.New(ledger.Config{Name: "T", Symbol: "T", Fee: 1, MintingAccount: ledger.Account{Owner: principal.FromCanisterIndex(1)}}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if l2.MaxMemoLength() != 32 {
		t.Fatalf("default memo limit %d", l2.MaxMemoLength())
	}
}

func TestTimeWindow(t *testing.T) {
	l, _, a := newLedger(t)
	b := ledger.Account{Owner: principal.FromCanisterIndex(11)}
	now := uint64(t0 + 10*ledger.TransactionWindow)
	old := now - ledger.TransactionWindow - 1
	if _, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 1, CreatedAtTime: &old}, now); kindOf(err) != ledger.TooOld {
		t.Fatalf("got %v, want TooOld", err)
	}
	edge := now - ledger.TransactionWindow
	if _, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 1, CreatedAtTime: &edge}, now); err != nil {
		t.Fatalf("created exactly one window ago: %v", err)
	}
	drift := now + ledger.PermittedDrift
	if _, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 1, CreatedAtTime: &drift}, now); err != nil {
		t.Fatalf("created within the permitted drift: %v", err)
	}
	future := drift + 1
	_, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 1, CreatedAtTime: &future}, now)
	var e *ledger.Error
	if !errors.As(err, &e) || e.Kind != ledger.CreatedInFuture || e.LedgerTime != now {
		t.Fatalf("got %v, want CreatedInFuture{%d}", err, now)
	}
	// A duplicate stays a duplicate until it is too old.
	ts := now
	i, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 2, CreatedAtTime: &ts}, now)
	if err != nil {
		t.Fatal(err)
	}
	later := now + ledger.TransactionWindow
	_, err = l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 2, CreatedAtTime: &ts}, later)
	if !errors.As(err, &e) || e.Kind != ledger.Duplicate || e.DuplicateOf != i {
		t.Fatalf("got %v, want Duplicate of %d", err, i)
	}
	if _, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 2, CreatedAtTime: &ts}, later+1); kindOf(err) != ledger.TooOld {
		t.Fatalf("got %v, want TooOld", err)
	}
	// Time may not go backwards.
	if _, err := l.Transfer(a.Owner, ledger.TransferArgs{To: b, Amount: 1}, now-1); !errors.Is(err, ledger.ErrRejected) {
		t.Fatalf("time going backwards: %v", err)
	}
}

func TestMintAndBurnRules(t *testing.T) {
	l, minter, a := newLedger(t)
	minting := ledger.Account{Owner: minter}
	// Burns below the fee are refused unless they empty the account.
	if _, err := l.Burn(a, 9, nil, t0); kindOf(err) != ledger.BadBurn {
		t.Fatalf("got %v, want BadBurn", err)
	}
	if _, err := l.Burn(a, 0, nil, t0); kindOf(err) != ledger.BadBurn {
		t.Fatalf("zero burn: %v", err)
	}
	small := ledger.Account{Owner: principal.FromCanisterIndex(12)}
	if _, err := l.Mint(small, 5, nil, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Burn(small, 5, nil, t0); err != nil {
		t.Fatalf("burning a whole balance below the fee: %v", err)
	}
	// A burn with a non-zero fee is BadFee{0}.
	fee := uint64(10)
	_, err := l.Transfer(a.Owner, ledger.TransferArgs{To: minting, Amount: 100, Fee: &fee}, t0)
	var e *ledger.Error
	if !errors.As(err, &e) || e.Kind != ledger.BadFee || e.Amount != 0 {
		t.Fatalf("got %v, want BadFee{0}", err)
	}
	// The minting account holds nothing and cannot approve or delegate.
	if l.BalanceOf(minting) != 0 {
		t.Fatal("minting account has a balance")
	}
	if _, err := l.Approve(minter, ledger.ApproveArgs{Spender: a, Amount: 1}, t0); !errors.Is(err, ledger.ErrRejected) {
		t.Fatalf("approval by the minting account: %v", err)
	}
	if _, err := l.TransferFrom(a.Owner, ledger.TransferFromArgs{From: minting, To: a, Amount: 1}, t0); !errors.Is(err, ledger.ErrRejected) {
		t.Fatalf("delegated mint: %v", err)
	}
	// Self-approval is refused, even to another subaccount.
	other := ledger.Account{Owner: a.Owner, Subaccount: ledger.Subaccount([32]byte{1})}
	if _, err := l.Approve(a.Owner, ledger.ApproveArgs{Spender: other, Amount: 1}, t0); !errors.Is(err, ledger.ErrRejected) {
		t.Fatalf("self approval: %v", err)
	}
	// The fee collector cannot be the minting account.
	cfg := ledger.CkBTCConfig(minter)
	cfg.FeeCollector = &minting
	if _, err := ledger.New(cfg, t0); err == nil {
		t.Fatal("fee collector = minting account accepted")
	}
}

func TestBurnFromAllowance(t *testing.T) {
	l, minter, a := newLedger(t)
	m := ledger.Account{Owner: minter}
	if _, err := l.BurnFrom(m, a, 1000, nil, t0); kindOf(err) != ledger.InsufficientAllowance {
		t.Fatalf("got %v, want InsufficientAllowance", err)
	}
	exp := uint64(t0 + 100)
	if _, err := l.Approve(a.Owner, ledger.ApproveArgs{Spender: m, Amount: 1500, ExpiresAt: &exp}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.BurnFrom(m, a, 1000, []byte("withdrawal"), t0+1); err != nil {
		t.Fatal(err)
	}
	if amt, e := l.Allowance(a, m, t0+1); amt != 500 || e == nil || *e != exp {
		t.Fatalf("allowance after burn: %d %v", amt, e)
	}
	// The allowance expires.
	if _, err := l.BurnFrom(m, a, 100, nil, exp); kindOf(err) != ledger.InsufficientAllowance {
		t.Fatalf("got %v, want InsufficientAllowance after expiry", err)
	}
	if amt, e := l.Allowance(a, m, exp); amt != 0 || e != nil {
		t.Fatalf("expired allowance reads %d %v", amt, e)
	}
	if got := l.BalanceOf(a); got != 1_000_000-10-1000 {
		t.Fatalf("balance %d", got)
	}
}

func encodeArgs(t *testing.T, args ...any) []byte {
	t.Helper()
	b, err := candid.Encode(args...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCandidRejections(t *testing.T) {
	l, _, a := newLedger(t)
	before := l.StateHash()
	short := []byte{1, 2, 3}
	cases := []struct {
		method string
		arg    []byte
	}{
		{"no_such_method", encodeArgs(t)},
		{"icrc1_transfer", []byte("DIDL garbage")},
		{"icrc1_transfer", encodeArgs(t, wTransferArg{To: wAccount{Owner: principal.FromCanisterIndex(11), Subaccount: &short}, Amount: n(1)})},
		{"icrc1_transfer", encodeArgs(t, wTransferArg{FromSubaccount: &short, To: acct(principal.FromCanisterIndex(11)), Amount: n(1)})},
		{"icrc2_approve", encodeArgs(t, wApproveArgs{Spender: acct(a.Owner), Amount: n(1)})},
		{"icrc1_balance_of", encodeArgs(t, uint64(5))},
	}
	for _, c := range cases {
		if _, err := l.Call(c.method, c.arg, a.Owner, t0+1); !errors.Is(err, ledger.ErrRejected) {
			t.Errorf("%s: got %v, want a rejection", c.method, err)
		}
	}
	if _, err := l.Query("icrc1_transfer", encodeArgs(t, amountTo(1, acct(a.Owner))), a.Owner, t0); !errors.Is(err, ledger.ErrRejected) {
		t.Error("an update ran as a query")
	}
	if l.StateHash() != before {
		t.Fatal("a rejected call changed the state")
	}
}

func TestCandidBigNumbers(t *testing.T) {
	e := newEnv(t)
	p := e.setupTestAccount(1000)
	huge := new(big.Int).Lsh(big.NewInt(1), 70)
	r := e.transfer(p, wTransferArg{To: acct(e.fork()), Amount: huge})
	if inf := fail(t, r).InsufficientFunds; inf == nil || inf.Balance.Uint64() != 1000 {
		t.Fatal("an amount over 64 bits is not InsufficientFunds{balance}")
	}
	r = e.transfer(p, wTransferArg{To: acct(e.fork()), Amount: n(1), Fee: huge})
	if bf := fail(t, r).BadFee; bf == nil || bf.ExpectedFee.Uint64() != 10 {
		t.Fatal("a fee over 64 bits is not BadFee")
	}
	sp := acct(e.fork())
	ok(t, e.approve(p, wApproveArgs{Spender: sp, Amount: huge}))
	e.assertAllowance(acct(p), sp, ^uint64(0), nil)
	ac := fail(t, e.approve(p, wApproveArgs{Spender: sp, Amount: n(1), ExpectedAllowance: huge})).AllowanceChanged
	if ac == nil || ac.CurrentAllowance.Uint64() != ^uint64(0) {
		t.Fatal("an expected allowance over 64 bits is not AllowanceChanged")
	}
}

type wGetBlocksArgs struct {
	Start  *big.Int `candid:"start"`
	Length *big.Int `candid:"length"`
}

func TestCandidBlockQueries(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 150; i++ {
		ok(t, e.transfer(e.root, amountTo(uint64(100+i), acct(e.fork()))))
	}
	d, _ := ledger.Interface()
	total := e.l.Len()

	// icrc3_get_blocks: at most 100 blocks per reply, across ranges.
	out, err := e.l.Query("icrc3_get_blocks", encodeArgs(t, []wGetBlocksArgs{{n(0), n(60)}, {n(100), n(60)}}), principal.Anonymous(), e.now)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := d.Service.Method("icrc3_get_blocks")
	vals, err := candid.Unmarshal(out, m.Results)
	if err != nil {
		t.Fatal(err)
	}
	res := vals[0].(candid.Record)
	ll, _ := res.Get("log_length")
	blocks, _ := res.Get("blocks")
	if ll.(*big.Int).Uint64() != total || len(blocks.([]candid.Value)) != 100 {
		t.Fatalf("log_length %v, %d blocks", ll, len(blocks.([]candid.Value)))
	}
	last := blocks.([]candid.Value)[99].(candid.Record)
	id, _ := last.Get("id")
	if id.(*big.Int).Uint64() != 139 {
		t.Fatalf("last id %v, want 139", id)
	}

	// get_blocks gives the same blocks with 64-bit numbers as Nat64.
	out, err = e.l.Query("get_blocks", encodeArgs(t, wGetBlocksArgs{n(5), n(3)}), principal.Anonymous(), e.now)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = d.Service.Method("get_blocks")
	vals, err = candid.Unmarshal(out, m.Results)
	if err != nil {
		t.Fatal(err)
	}
	gb := vals[0].(candid.Record)
	first, _ := gb.Get("first_index")
	cl, _ := gb.Get("chain_length")
	bs, _ := gb.Get("blocks")
	if first.(*big.Int).Uint64() != 5 || cl.(uint64) != total || len(bs.([]candid.Value)) != 3 {
		t.Fatal("get_blocks range")
	}
	want, _ := e.l.Block(5)
	b5 := bs.([]candid.Value)[0].(candid.Variant)
	ts := b5.Value.([]candid.Value)
	if len(ts) != len(want.Map) {
		t.Fatal("get_blocks block 5 has the wrong number of fields")
	}

	// get_transactions decodes every block.
	out, err = e.l.Query("get_transactions", encodeArgs(t, wGetBlocksArgs{n(0), n(10_000)}), principal.Anonymous(), e.now)
	if err != nil {
		t.Fatal(err)
	}
	m, _ = d.Service.Method("get_transactions")
	vals, err = candid.Unmarshal(out, m.Results)
	if err != nil {
		t.Fatal(err)
	}
	txs, _ := vals[0].(candid.Record).Get("transactions")
	if uint64(len(txs.([]candid.Value))) != total {
		t.Fatalf("%d transactions, want %d", len(txs.([]candid.Value)), total)
	}
	kinds := map[string]int{}
	for _, tx := range txs.([]candid.Value) {
		k, _ := tx.(candid.Record).Get("kind")
		kinds[k.(string)]++
	}
	if kinds["mint"] != 1 || kinds["transfer"] != int(total)-1 {
		t.Fatalf("kinds %v", kinds)
	}

	// A range past the end is empty, not an error.
	out, err = e.l.Query("get_blocks", encodeArgs(t, wGetBlocksArgs{n(total + 10), n(5)}), principal.Anonymous(), e.now)
	if err != nil || !bytes.Contains(out, []byte("DIDL")) {
		t.Fatalf("range past the end: %v", err)
	}
}

func TestDeduplicationOfApprovalsAndTransferFrom(t *testing.T) {
	l, minter, a := newLedger(t)
	spender := ledger.Account{Owner: principal.FromCanisterIndex(20)}
	ts := uint64(t0)
	args := ledger.ApproveArgs{Spender: spender, Amount: 10_000, CreatedAtTime: &ts}
	i, err := l.Approve(a.Owner, args, t0+1)
	if err != nil {
		t.Fatal(err)
	}
	var e *ledger.Error
	if _, err := l.Approve(a.Owner, args, t0+2); !errors.As(err, &e) || e.Kind != ledger.Duplicate || e.DuplicateOf != i {
		t.Fatalf("approval: got %v, want Duplicate of %d", err, i)
	}
	tf := ledger.TransferFromArgs{From: a, To: ledger.Account{Owner: minter}, Amount: 1000, CreatedAtTime: &ts}
	j, err := l.TransferFrom(spender.Owner, tf, t0+3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TransferFrom(spender.Owner, tf, t0+4); !errors.As(err, &e) || e.Kind != ledger.Duplicate || e.DuplicateOf != j {
		t.Fatalf("burn by transfer_from: got %v, want Duplicate of %d", err, j)
	}
	// The same arguments from another spender are another transaction.
	other := ledger.Account{Owner: principal.FromCanisterIndex(21)}
	if _, err := l.Approve(a.Owner, ledger.ApproveArgs{Spender: other, Amount: 5000}, t0+5); err != nil {
		t.Fatal(err)
	}
	if _, err := l.TransferFrom(other.Owner, tf, t0+6); err != nil {
		t.Fatalf("another spender: %v", err)
	}
	if amt, _ := l.Allowance(a, spender, t0+6); amt != 9000 {
		t.Fatalf("allowance %d, want 9000", amt)
	}
}
