package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"math"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// Time constants of the IC ICRC-1 ledger, in nanoseconds.
const (
	// TransactionWindow is how long a transaction with a created_at_time
	// is remembered for deduplication, and how old created_at_time may be.
	TransactionWindow uint64 = 24 * 60 * 60 * 1e9
	// PermittedDrift is how far in the future created_at_time may be.
	PermittedDrift uint64 = 60 * 1e9
)

// DefaultMaxMemoLength is the memo limit when Config.MaxMemoLength is 0.
const DefaultMaxMemoLength = 32

// MetadataEntry is one extra icrc1_metadata entry. Its value must be a Nat,
// Int, Text or Blob.
type MetadataEntry struct {
	Key   string
	Value Value
}

// InitialBalance is a balance minted when the ledger is created.
type InitialBalance struct {
	Account Account
	Amount  uint64
}

// Config is what a ledger is created with (the IC ledger's InitArgs).
type Config struct {
	Name     string
	Symbol   string
	Decimals uint8
	// Fee is the transfer and approval fee.
	Fee uint64
	// MaxMemoLength bounds memos in bytes; 0 means DefaultMaxMemoLength.
	MaxMemoLength uint16
	// MintingAccount mints by sending and burns by receiving; it holds no
	// balance.
	MintingAccount Account
	// FeeCollector, if set, receives transfer fees instead of their being
	// burned. Approval fees are always burned.
	FeeCollector *Account
	// Metadata are extra icrc1_metadata entries; the icrc1:* keys the ledger
	// computes itself are refused.
	Metadata        []MetadataEntry
	InitialBalances []InitialBalance
}

// FeeCollectorSubaccount is the subaccount of the minter that collects the
// fees of the chain-key token ledgers (ckBTC, ckETH, ...).
var FeeCollectorSubaccount = [32]byte{30: 0x0f, 31: 0xee}

// CkBTCConfig returns the configuration of the ckBTC ledger with the given
// minter: name and symbol "ckBTC", 8 decimals, a fee of 10 satoshi, memos up
// to 80 bytes, the minter's default account as the minting account and its
// fee subaccount (…0fee) as the fee collector.
func CkBTCConfig(minter principal.Principal) Config {
	return Config{
		Name:           "ckBTC",
		Symbol:         "ckBTC",
		Decimals:       8,
		Fee:            10,
		MaxMemoLength:  80,
		MintingAccount: Account{Owner: minter},
		FeeCollector:   &Account{Owner: minter, Subaccount: Subaccount(FeeCollectorSubaccount)},
	}
}

type allowanceKey struct{ from, spender accountKey }

type allowance struct {
	amount    uint64
	expiresAt *uint64
}

type windowEntry struct {
	ts   uint64
	hash [32]byte
}

// Ledger is the state of an ICRC-1/2/3 ledger. Query and the read-only
// methods may run concurrently with each other but not with Call or the
// methods that add blocks (New, Mint, Burn, BurnFrom, Transfer,
// TransferFrom, Approve).
type Ledger struct {
	name, symbol string
	decimals     uint8
	fee          uint64
	maxMemo      uint16
	minting      Account
	feeCollector *Account
	// feeColBlock is the block that recorded the fee collector (fee_col);
	// later blocks refer to it with fee_col_block.
	feeColBlock *uint64
	metadata    []MetadataEntry

	balances   map[accountKey]uint64
	allowances map[allowanceKey]allowance
	supply     uint64

	// blocks holds each block in the state encoding of its value (about
	// a quarter of the memory of the decoded value); hashes their ICRC-3
	// hashes; lastTS the time of the last block.
	blocks [][]byte
	hashes [][32]byte
	lastTS uint64

	dedup  map[[32]byte]uint64 // transaction hash -> block index
	window []windowEntry       // transactions with created_at_time, oldest first
	// windowCap is MaxTransactionsInWindow (smaller in tests).
	windowCap uint64

	certificate func() []byte
	// tables remembers Candid type tables of recent arguments.
	tables *candid.TableCache
}

// reservedMetadata are the keys the ledger computes itself.
var reservedMetadata = map[string]bool{
	"icrc1:decimals": true, "icrc1:name": true, "icrc1:symbol": true,
	"icrc1:fee": true, "icrc1:max_memo_length": true,
	"icrc103:public_allowances": true, "icrc103:max_take_value": true,
}

// New creates a ledger and mints the initial balances in blocks stamped now
// (nanoseconds since the Unix epoch).
func New(cfg Config, now uint64) (*Ledger, error) {
	l := &Ledger{
		name:       cfg.Name,
		symbol:     cfg.Symbol,
		decimals:   cfg.Decimals,
		fee:        cfg.Fee,
		maxMemo:    cfg.MaxMemoLength,
		minting:    cfg.MintingAccount.clone(),
		balances:   make(map[accountKey]uint64),
		allowances: make(map[allowanceKey]allowance),
		dedup:      make(map[[32]byte]uint64),
		tables:     new(candid.TableCache),
		windowCap:  MaxTransactionsInWindow,
	}
	if l.maxMemo == 0 {
		l.maxMemo = DefaultMaxMemoLength
	}
	if cfg.FeeCollector != nil {
		fc := cfg.FeeCollector.clone()
		if fc.Same(cfg.MintingAccount) {
			return nil, errors.New("ledger: the fee collector cannot be the minting account")
		}
		l.feeCollector = &fc
	}
	for _, m := range cfg.Metadata {
		if reservedMetadata[m.Key] {
			return nil, fmt.Errorf("ledger: metadata key %q is reserved", m.Key)
		}
		if m.Value.Kind == KindNat || m.Value.Kind == KindInt {
			if m.Value.BigInt().BitLen() > 256 {
				return nil, fmt.Errorf("ledger: metadata %q: number over 256 bits", m.Key)
			}
		}
		switch m.Value.Kind {
		case KindNat:
			if m.Value.BigInt().Sign() < 0 {
				return nil, fmt.Errorf("ledger: metadata %q: negative Nat", m.Key)
			}
			m.Value = BigNatValue(m.Value.BigInt())
		case KindInt:
			m.Value = IntValue(m.Value.BigInt())
		case KindBlob:
			m.Value = BlobValue(bytes.Clone(m.Value.Blob))
		case KindText:
		default:
			return nil, fmt.Errorf("ledger: metadata %q: value must be Nat, Int, Text or Blob", m.Key)
		}
		l.metadata = append(l.metadata, m)
	}
	for _, b := range cfg.InitialBalances {
		if _, err := l.Mint(b.Account, b.Amount, nil, now); err != nil {
			return nil, fmt.Errorf("ledger: initial balance of %s: %w", b.Account, err)
		}
	}
	return l, nil
}

// SetCertificateSource sets the function that returns the subnet's
// certificate over this ledger's certified data in a non-replicated query
// (nil when there is none). Without it, certificates are absent.
func (l *Ledger) SetCertificateSource(f func() []byte) { l.certificate = f }

// Name returns the token name.
func (l *Ledger) Name() string { return l.name }

// Symbol returns the token symbol.
func (l *Ledger) Symbol() string { return l.symbol }

// Decimals returns the number of decimals.
func (l *Ledger) Decimals() uint8 { return l.decimals }

// Fee returns the transfer fee.
func (l *Ledger) Fee() uint64 { return l.fee }

// MaxMemoLength returns the memo limit in bytes.
func (l *Ledger) MaxMemoLength() int { return int(l.maxMemo) }

// MintingAccount returns the minting account.
func (l *Ledger) MintingAccount() Account { return l.minting.clone() }

// FeeCollector returns the fee collector account, if any.
func (l *Ledger) FeeCollector() (Account, bool) {
	if l.feeCollector == nil {
		return Account{}, false
	}
	return l.feeCollector.clone(), true
}

// TotalSupply returns the tokens in circulation.
func (l *Ledger) TotalSupply() uint64 { return l.supply }

// BalanceOf returns the balance of an account.
func (l *Ledger) BalanceOf(a Account) uint64 { return l.balances[a.key()] }

// Allowance returns the allowance that from gives spender at time now and
// its expiry; an expired allowance is zero with no expiry.
func (l *Ledger) Allowance(from, spender Account, now uint64) (amount uint64, expiresAt *uint64) {
	a := l.allowance(allowanceKey{from.key(), spender.key()}, now)
	return a.amount, a.expiresAt
}

func (l *Ledger) allowance(k allowanceKey, now uint64) allowance {
	a, ok := l.allowances[k]
	if !ok || (a.expiresAt != nil && *a.expiresAt <= now) {
		return allowance{}
	}
	if a.expiresAt != nil {
		e := *a.expiresAt
		a.expiresAt = &e
	}
	return a
}

// TransferArgs are the arguments of icrc1_transfer.
type TransferArgs struct {
	FromSubaccount *[32]byte
	To             Account
	Amount         uint64
	Fee            *uint64
	Memo           []byte
	CreatedAtTime  *uint64
}

// ApproveArgs are the arguments of icrc2_approve.
type ApproveArgs struct {
	FromSubaccount    *[32]byte
	Spender           Account
	Amount            uint64
	ExpectedAllowance *uint64
	ExpiresAt         *uint64
	Fee               *uint64
	Memo              []byte
	CreatedAtTime     *uint64
}

// TransferFromArgs are the arguments of icrc2_transfer_from.
type TransferFromArgs struct {
	SpenderSubaccount *[32]byte
	From              Account
	To                Account
	Amount            uint64
	Fee               *uint64
	Memo              []byte
	CreatedAtTime     *uint64
}

// Transfer is icrc1_transfer called by caller at time now. It returns the
// index of the new block, an *Error for the standard's error results, or
// an error wrapping ErrRejected. A transfer to the minting account burns, a
// transfer from it mints.
func (l *Ledger) Transfer(caller principal.Principal, args TransferArgs, now uint64) (uint64, error) {
	return l.transfer(xferReq{
		from: Account{Owner: caller, Subaccount: args.FromSubaccount}, to: args.To,
		amount: args.Amount, fee: args.Fee, memo: args.Memo, createdAt: args.CreatedAtTime,
	}, now)
}

// TransferFrom is icrc2_transfer_from called by caller (the spender) at time
// now. With From equal to the spender's account no allowance is needed; a
// transfer to the minting account burns from From against the allowance.
func (l *Ledger) TransferFrom(caller principal.Principal, args TransferFromArgs, now uint64) (uint64, error) {
	sp := Account{Owner: caller, Subaccount: args.SpenderSubaccount}
	return l.transfer(xferReq{
		from: args.From, to: args.To, spender: &sp,
		amount: args.Amount, fee: args.Fee, memo: args.Memo, createdAt: args.CreatedAtTime,
	}, now)
}

// Mint mints amount tokens to an account: a transfer from the minting
// account, with no fee and no deduplication. memo may be nil.
func (l *Ledger) Mint(to Account, amount uint64, memo []byte, now uint64) (uint64, error) {
	return l.transfer(xferReq{from: l.minting, to: to, amount: amount, memo: memo}, now)
}

// Burn burns amount tokens of an account: a transfer from it to the minting
// account by its owner. The amount must be at least the fee (or the whole
// balance if that is smaller), otherwise the error is BadBurn.
func (l *Ledger) Burn(from Account, amount uint64, memo []byte, now uint64) (uint64, error) {
	return l.transfer(xferReq{from: from, to: l.minting, amount: amount, memo: memo}, now)
}

// BurnFrom burns amount tokens of from on behalf of spender, against the
// allowance from gave spender: icrc2_transfer_from to the minting account
// called by spender.Owner. No fee is charged and the allowance is reduced by
// amount.
func (l *Ledger) BurnFrom(spender, from Account, amount uint64, memo []byte, now uint64) (uint64, error) {
	return l.TransferFrom(spender.Owner, TransferFromArgs{
		SpenderSubaccount: spender.Subaccount, From: from, To: l.minting, Amount: amount, Memo: memo,
	}, now)
}

// Approve is icrc2_approve called by caller at time now.
func (l *Ledger) Approve(caller principal.Principal, args ApproveArgs, now uint64) (uint64, error) {
	return l.approve(approveReq{
		from: Account{Owner: caller, Subaccount: args.FromSubaccount}, spender: args.Spender,
		amount: args.Amount, expected: args.ExpectedAllowance, expiresAt: args.ExpiresAt,
		fee: args.Fee, memo: args.Memo, createdAt: args.CreatedAtTime,
	}, now)
}

// xferReq is a transfer, transfer_from, mint or burn request. amountBig and
// feeBig mark a Candid nat that does not fit 64 bits.
type xferReq struct {
	from, to  Account
	spender   *Account
	amount    uint64
	amountBig bool
	fee       *uint64
	feeBig    bool
	memo      []byte
	createdAt *uint64
}

func (l *Ledger) transfer(r xferReq, now uint64) (uint64, error) {
	if len(r.memo) > int(l.maxMemo) {
		return 0, reject("the memo field size of %d bytes is above the allowed limit of %d bytes", len(r.memo), l.maxMemo)
	}
	if r.amountBig {
		return 0, &Error{Kind: InsufficientFunds, Amount: l.BalanceOf(r.from)}
	}
	t := txn{from: r.from, to: r.to, spender: r.spender, amount: r.amount, memo: r.memo, createdAt: r.createdAt}
	var effFee uint64
	switch {
	case r.to.Same(l.minting):
		if r.feeBig || (r.fee != nil && *r.fee != 0) {
			return 0, &Error{Kind: BadFee, Amount: 0}
		}
		minBurn := min(l.fee, l.BalanceOf(r.from))
		if r.amount < minBurn {
			return 0, &Error{Kind: BadBurn, Amount: minBurn}
		}
		if r.amount == 0 {
			return 0, &Error{Kind: BadBurn, Amount: l.fee}
		}
		t.op = opBurn
	case r.from.Same(l.minting):
		if r.spender != nil {
			return 0, reject("the minter account cannot delegate mints")
		}
		if r.feeBig || (r.fee != nil && *r.fee != 0) {
			return 0, &Error{Kind: BadFee, Amount: 0}
		}
		t.op = opMint
	default:
		if r.feeBig || (r.fee != nil && *r.fee != l.fee) {
			return 0, &Error{Kind: BadFee, Amount: l.fee}
		}
		if r.fee != nil {
			f := l.fee
			t.fee = &f
		}
		t.op = opXfer
		effFee = l.fee
	}
	return l.apply(&t, now, effFee)
}

// approveReq is an approval request; expectedBig marks an
// expected_allowance that does not fit 64 bits.
type approveReq struct {
	from, spender Account
	amount        uint64
	expected      *uint64
	expectedBig   bool
	expiresAt     *uint64
	fee           *uint64
	feeBig        bool
	memo          []byte
	createdAt     *uint64
}

func (l *Ledger) approve(r approveReq, now uint64) (uint64, error) {
	if r.from.Owner == r.spender.Owner {
		return 0, reject("self approval is not allowed")
	}
	if r.from.Same(l.minting) {
		return 0, reject("the minting account cannot delegate mints")
	}
	if len(r.memo) > int(l.maxMemo) {
		return 0, reject("the memo field is too large")
	}
	if r.expectedBig {
		cur := l.allowance(allowanceKey{r.from.key(), r.spender.key()}, now)
		return 0, &Error{Kind: AllowanceChanged, Amount: cur.amount}
	}
	if r.feeBig || (r.fee != nil && *r.fee != l.fee) {
		return 0, &Error{Kind: BadFee, Amount: l.fee}
	}
	t := txn{op: opApprove, from: r.from, spender: &r.spender, amount: r.amount,
		expected: r.expected, expiresAt: r.expiresAt, memo: r.memo, createdAt: r.createdAt}
	if r.fee != nil {
		f := l.fee
		t.fee = &f
	}
	return l.apply(&t, now, l.fee)
}

// apply checks deduplication, applies the transaction to balances and
// allowances and appends its block. Nothing changes when it fails.
func (l *Ledger) apply(t *txn, now uint64, effFee uint64) (uint64, error) {
	if len(l.blocks) > 0 && now < l.lastTS {
		return 0, reject("time %d is before the last block's time %d", now, l.lastTS)
	}
	if l.throttled(now) {
		return 0, &Error{Kind: TemporarilyUnavailable}
	}
	tx := t.value()
	var txHash [32]byte
	if t.createdAt != nil {
		c := *t.createdAt
		txHash = tx.Hash()
		if satAdd(c, TransactionWindow) < now {
			return 0, &Error{Kind: TooOld}
		}
		if c > satAdd(now, PermittedDrift) {
			return 0, &Error{Kind: CreatedInFuture, LedgerTime: now}
		}
		if i, ok := l.dedup[txHash]; ok {
			return 0, &Error{Kind: Duplicate, DuplicateOf: i}
		}
	}
	if err := l.applyBalances(t, now, effFee); err != nil {
		return 0, err
	}
	// Purging only when a block is added keeps the state a function of the
	// blocks. A transaction whose entry is stale is refused as TooOld
	// before its entry is looked at, so purging later changes no outcome.
	l.purge(now)
	height := l.appendBlock(t, tx, now, effFee)
	if t.createdAt != nil {
		l.dedup[txHash] = height
		l.window = append(l.window, windowEntry{ts: now, hash: txHash})
	}
	return height, nil
}

func satAdd(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

// purge forgets the transactions that left the deduplication window.
func (l *Ledger) purge(now uint64) {
	n := l.stale(now)
	for _, e := range l.window[:n] {
		delete(l.dedup, e.hash)
	}
	l.window = l.window[n:]
}

// stale returns how many of the oldest window entries have expired at now.
func (l *Ledger) stale(now uint64) int {
	n := 0
	for n < len(l.window) && satAdd(satAdd(l.window[n].ts, TransactionWindow), PermittedDrift) < now {
		n++
	}
	return n
}

// MaxTransactionsInWindow bounds the transactions with a created_at_time
// that the ledger accepts in one TransactionWindow, as the IC ledger does:
// once the window is half full, at most MaxTransactionsInWindow/2 per window
// (18 a second) get through, and other transactions are refused with
// TemporarilyUnavailable.
const MaxTransactionsInWindow = 3_000_000

// throttled is the IC ledger's throttle: nothing is throttled in a call
// that purges expired window entries; otherwise, with the window at least
// half full, a transaction waits until the window holds fewer than maxRate
// entries from the last second.
func (l *Ledger) throttled(now uint64) bool {
	n := len(l.window)
	if uint64(n) < l.windowCap/2 || l.stale(now) > 0 {
		return false
	}
	windowSecs := TransactionWindow / 1e9
	maxRate := (l.windowCap/2 + windowSecs - 1) / windowSecs
	i := 0
	if uint64(n) > maxRate {
		i = n - int(maxRate)
	}
	return satAdd(l.window[i].ts, 1e9) > now
}

func (l *Ledger) debit(k accountKey, amount uint64) {
	b := l.balances[k] - amount
	if b == 0 {
		delete(l.balances, k)
	} else {
		l.balances[k] = b
	}
}

func (l *Ledger) credit(k accountKey, amount uint64) {
	if amount != 0 {
		l.balances[k] += amount
	}
}

// applyBalances checks a transaction against balances and allowances and
// applies it; on error nothing has changed.
func (l *Ledger) applyBalances(t *txn, now uint64, effFee uint64) error {
	switch t.op {
	case opMint:
		if t.amount > math.MaxUint64-l.supply {
			return &Error{Kind: InsufficientFunds, Amount: math.MaxUint64 - l.supply}
		}
		l.credit(t.to.key(), t.amount)
		l.supply += t.amount
	case opBurn:
		from := t.from.key()
		delegated := t.spender != nil && !t.spender.Same(t.from)
		var ak allowanceKey
		var al allowance
		if delegated {
			ak = allowanceKey{from, t.spender.key()}
			al = l.allowance(ak, now)
			if al.amount < t.amount {
				return &Error{Kind: InsufficientAllowance, Amount: al.amount}
			}
		}
		if bal := l.balances[from]; bal < t.amount {
			return &Error{Kind: InsufficientFunds, Amount: bal}
		}
		l.debit(from, t.amount)
		l.supply -= t.amount
		if delegated {
			l.useAllowance(ak, al, t.amount)
		}
	case opXfer:
		from, to := t.from.key(), t.to.key()
		delegated := t.spender != nil && !t.spender.Same(t.from)
		var ak allowanceKey
		var al allowance
		used, overflow := t.amount+effFee, t.amount > math.MaxUint64-effFee
		if delegated {
			ak = allowanceKey{from, t.spender.key()}
			al = l.allowance(ak, now)
			if overflow || al.amount < used {
				return &Error{Kind: InsufficientAllowance, Amount: al.amount}
			}
		}
		if bal := l.balances[from]; overflow || bal < used {
			return &Error{Kind: InsufficientFunds, Amount: bal}
		}
		l.debit(from, used)
		l.credit(to, t.amount)
		if l.feeCollector != nil {
			l.credit(l.feeCollector.key(), effFee)
		} else {
			l.supply -= effFee
		}
		if delegated {
			l.useAllowance(ak, al, used)
		}
	case opApprove:
		from := t.from.key()
		if bal := l.balances[from]; bal < effFee {
			return &Error{Kind: InsufficientFunds, Amount: bal}
		}
		if t.expiresAt != nil && *t.expiresAt <= now {
			return &Error{Kind: Expired, LedgerTime: now}
		}
		ak := allowanceKey{from, t.spender.key()}
		cur := l.allowance(ak, now)
		if t.expected != nil && *t.expected != cur.amount {
			return &Error{Kind: AllowanceChanged, Amount: cur.amount}
		}
		l.debit(from, effFee)
		l.supply -= effFee
		if t.amount == 0 {
			delete(l.allowances, ak)
		} else {
			a := allowance{amount: t.amount}
			if t.expiresAt != nil {
				e := *t.expiresAt
				a.expiresAt = &e
			}
			l.allowances[ak] = a
		}
	}
	return nil
}

func (l *Ledger) useAllowance(k allowanceKey, a allowance, used uint64) {
	a.amount -= used
	if a.amount == 0 {
		delete(l.allowances, k)
		return
	}
	l.allowances[k] = a
}
