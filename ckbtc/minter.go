package ckbtc

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/principal"
)

// Defaults of the Internet Computer's minter.
const (
	DefaultMinConfirmations = 6
	DefaultCheckFee         = 1000
	// DefaultMaxTimeInQueue is how long a withdrawal waits for a batch (ns).
	DefaultMaxTimeInQueue = 10 * 60 * 1_000_000_000
	// DefaultResubmitAfter is how long a transaction stays unconfirmed
	// before it is replaced with a higher fee (ns).
	DefaultResubmitAfter = 24 * 60 * 60 * 1_000_000_000
	// SuspendRetryDelay is how long a suspended deposit waits before it is
	// looked at again (ns).
	SuspendRetryDelay = 24 * 60 * 60 * 1_000_000_000
	// MinPendingRequests is the queue length that forms a batch at once.
	MinPendingRequests = 20
	// MaxRequestsPerBatch bounds the outputs of one transaction.
	MaxRequestsPerBatch = 100
	// MaxConcurrentPendingRequests bounds the withdrawals not yet final.
	MaxConcurrentPendingRequests = 5000
	// MaxFinalizedRequests is how many final withdrawals keep a status.
	MaxFinalizedRequests = 100
	// DefaultConsolidationThreshold is the number of available UTXOs
	// from which the minter consolidates.
	DefaultConsolidationThreshold = 10_000
	// MinConsolidationInterval separates consolidations (ns).
	MinConsolidationInterval = 24 * 60 * 60 * 1_000_000_000
	// ErrorCodeTaintedAddress is GenericError's code for a blocked
	// destination.
	ErrorCodeTaintedAddress = 1
)

// ModeKind is the minter's operation mode.
type ModeKind uint8

// Modes.
const (
	GeneralAvailability ModeKind = iota
	ReadOnly
	RestrictedTo
	DepositsRestrictedTo
)

// Mode is the minter's operation mode with its principals.
type Mode struct {
	Kind       ModeKind
	Principals []principal.Principal
}

// Policy decides which deposits and destinations the minter refuses, in
// place of the Internet Computer's Bitcoin checker.
type Policy interface {
	// DepositTainted reports whether a deposit UTXO is refused.
	DepositTainted(u Utxo) bool
	// AddressBlocked reports whether a withdrawal destination is refused.
	AddressBlocked(address string) bool
}

// Blocklist is the default Policy: it refuses the listed deposit
// transactions and destination addresses and allows everything else. The
// zero Blocklist allows all.
type Blocklist struct {
	Txids     [][32]byte
	Addresses []string
}

// DepositTainted implements Policy.
func (b Blocklist) DepositTainted(u Utxo) bool { return slices.Contains(b.Txids, u.Txid) }

// AddressBlocked implements Policy.
func (b Blocklist) AddressBlocked(a string) bool { return slices.Contains(b.Addresses, a) }

// Config is the minter's configuration (its init arguments).
type Config struct {
	Network chain.Network
	// MinterID is the minter's canister id; its default account is the
	// ledger's minting account.
	MinterID principal.Principal
	// KeyName is the threshold ECDSA key (sign_with_ecdsa's key_id.name).
	KeyName string
	// PublicKey is ecdsa_public_key(KeyName, []) of the minter.
	PublicKey PublicKey
	// MinConfirmations for deposits and change (DefaultMinConfirmations if 0).
	MinConfirmations uint32
	// CheckFee is the deposit fee (get_deposit_fee, kyt_fee); zero is
	// allowed (the Internet Computer's default is DefaultCheckFee).
	CheckFee uint64
	// DepositMinAmount: smaller deposits are ValueTooSmall.
	DepositMinAmount uint64
	// RetrieveMinAmount is retrieve_btc_min_amount.
	RetrieveMinAmount uint64
	// MaxTimeInQueue in nanoseconds (DefaultMaxTimeInQueue if 0).
	MaxTimeInQueue uint64
	// ResubmitAfter in nanoseconds (DefaultResubmitAfter if 0).
	ResubmitAfter uint64
	// MaxInputs per transaction (DefaultMaxInputs if 0).
	MaxInputs int
	// ConsolidationThreshold is the number of available UTXOs from which
	// the minter merges its smallest ones (DefaultConsolidationThreshold
	// if 0).
	ConsolidationThreshold int
	Mode                   Mode
	// Policy is the deposit and destination check (allow all if nil).
	Policy Policy
}

// Minter is the ckBTC minter's state machine. It is not safe for concurrent
// use; the node runs its calls one after the other in block order.
type Minter struct {
	cfg         Config
	ledger      Ledger
	btc         Bitcoin
	mainAccount Account
	mainAddress string
	mainScript  []byte
	mainPubkey  []byte
	st          state
	cache       candid.TableCache // Candid types of the state, derived once
}

// deposit statuses.
const (
	depMinted uint8 = iota + 1
	depChecked
	depValueTooSmall
	depQuarantined
)

// deposit is a UTXO seen at a deposit address.
type deposit struct {
	Utxo          Utxo                `candid:"utxo"`
	Owner         principal.Principal `candid:"owner"`
	Sub           [SubaccountLen]byte `candid:"subaccount"`
	Status        uint8               `candid:"status"`
	MintBlock     uint64              `candid:"mint_block"`
	EarliestRetry uint64              `candid:"earliest_retry"`
}

// withdrawal is a queued retrieve_btc request.
type withdrawal struct {
	BlockIndex uint64              `candid:"block_index"`
	Amount     uint64              `candid:"amount"`
	Address    string              `candid:"address"`
	Script     []byte              `candid:"script"`
	Kind       uint8               `candid:"kind"`
	ReceivedAt uint64              `candid:"received_at"`
	Owner      principal.Principal `candid:"owner"`
	Sub        [SubaccountLen]byte `candid:"subaccount"`
}

// transaction phases.
const (
	phaseSigning uint8 = iota + 1
	phaseSending
	phaseSubmitted
)

// txRec is a withdrawal transaction from signing to confirmation. The
// versions of one transaction (the original and its replacements) share a
// family id and their inputs.
type txRec struct {
	Family      uint64       `candid:"family"`
	Txid        [32]byte     `candid:"txid"`
	Phase       uint8        `candid:"phase"`
	Replaced    bool         `candid:"replaced"`
	Requests    []withdrawal `candid:"requests"`
	Inputs      []ownedUtxo  `candid:"inputs"`
	Outputs     []txOut      `candid:"outputs"`
	FeeRate     uint64       `candid:"fee_rate"`
	Fee         uint64       `candid:"fee"`
	MinterFee   uint64       `candid:"minter_fee"`
	FirstSignID uint64       `candid:"first_sign_id"`
	Pubkeys     [][]byte     `candid:"pubkeys"`
	Hashes      [][32]byte   `candid:"hashes"`
	Sigs        [][]byte     `candid:"sigs"`
	SubmittedAt uint64       `candid:"submitted_at"`
	// Consolidation marks a transaction that merges the minter's own
	// UTXOs: its one request is the fee burn, and every output is the
	// minter's.
	Consolidation bool `candid:"consolidation"`
}

// final statuses.
const (
	finalConfirmed uint8 = iota + 1
	finalAmountTooLow
)

type finalized struct {
	BlockIndex uint64              `candid:"block_index"`
	Status     uint8               `candid:"status"`
	Txid       [32]byte            `candid:"txid"`
	Owner      principal.Principal `candid:"owner"`
	Sub        [SubaccountLen]byte `candid:"subaccount"`
}

// state is everything the minter keeps; its encoding is Marshal's.
type state struct {
	Deposits          []deposit       `candid:"deposits"` // sorted by outpoint
	Available         []ownedUtxo     `candid:"available"`
	Pending           []withdrawal    `candid:"pending"`
	Txs               []txRec         `candid:"txs"`
	Finalized         []finalized     `candid:"finalized"`
	FeePercentiles    []uint64        `candid:"fee_percentiles"`
	LastSubmission    uint64          `candid:"last_submission"`
	NextID            uint64          `candid:"next_id"`
	Outbox            []outReq        `candid:"outbox"`
	Reimbursements    []reimbursement `candid:"reimbursements"`
	LastConsolidation uint64          `candid:"last_consolidation"`
	Events            []Event         `candid:"events"`
}

// reimbursement gives back a withdrawal that cannot be paid (its batch
// needs more inputs than a transaction may have), less a small fee.
type reimbursement struct {
	BlockIndex uint64              `candid:"block_index"`
	Owner      principal.Principal `candid:"owner"`
	Sub        [SubaccountLen]byte `candid:"subaccount"`
	Amount     uint64              `candid:"amount"`
	Done       bool                `candid:"done"`
	MintBlock  uint64              `candid:"mint_block"`
}

// ReimbursementFeePerRequest is what a reimbursed withdrawal pays (the
// Internet Computer's cost of a billion cycles in satoshi).
const ReimbursementFeePerRequest = 10

// outReq is a Request in the state encoding.
type outReq struct {
	SignID  uint64   `candid:"sign_id"`
	Path    [][]byte `candid:"path"`
	Hash    [32]byte `candid:"hash"`
	IsSend  bool     `candid:"is_send"`
	Txid    [32]byte `candid:"txid"`
	Payload []byte   `candid:"payload"`
}

// New returns a minter with empty state.
func New(cfg Config, ledger Ledger, btc Bitcoin) (*Minter, error) {
	if cfg.MinConfirmations == 0 {
		cfg.MinConfirmations = DefaultMinConfirmations
	}
	if cfg.MaxTimeInQueue == 0 {
		cfg.MaxTimeInQueue = DefaultMaxTimeInQueue
	}
	if cfg.ResubmitAfter == 0 {
		cfg.ResubmitAfter = DefaultResubmitAfter
	}
	if cfg.MaxInputs == 0 {
		cfg.MaxInputs = DefaultMaxInputs
	}
	if cfg.ConsolidationThreshold == 0 {
		cfg.ConsolidationThreshold = DefaultConsolidationThreshold
	}
	if cfg.Policy == nil {
		cfg.Policy = Blocklist{}
	}
	if cfg.Network.Params() == nil {
		return nil, errors.New("ckbtc: unknown network")
	}
	m := &Minter{cfg: cfg, ledger: ledger, btc: btc, mainAccount: Account{Owner: cfg.MinterID}}
	pk, err := DeriveAccountKey(cfg.PublicKey, m.mainAccount)
	if err != nil {
		return nil, err
	}
	addr, err := P2WPKHAddress(cfg.Network, pk)
	if err != nil {
		return nil, err
	}
	m.mainAddress, m.mainPubkey = addr, pk
	if m.mainScript, _, err = ParseAddress(cfg.Network, addr); err != nil {
		return nil, fmt.Errorf("ckbtc: main address: %w", err)
	}
	return m, nil
}

// MainAddress returns the minter's own address, where change goes.
func (m *Minter) MainAddress() string { return m.mainAddress }

func (m *Minter) event(now uint64, p EventType) {
	ts := now
	m.st.Events = append(m.st.Events, Event{Timestamp: &ts, Payload: p})
}

// findDeposit returns the index of op in the sorted deposits and whether it is there.
func (m *Minter) findDeposit(op outpoint) (int, bool) {
	d := m.st.Deposits
	i := sort.Search(len(d), func(i int) bool { return compareOutpoint(d[i].Utxo.outpoint(), op) >= 0 })
	return i, i < len(d) && d[i].Utxo.outpoint() == op
}

func compareOutpoint(a, b outpoint) int {
	if c := bytes.Compare(a.txid[:], b.txid[:]); c != 0 {
		return c
	}
	switch {
	case a.vout < b.vout:
		return -1
	case a.vout > b.vout:
		return 1
	}
	return 0
}

func (m *Minter) upsertDeposit(d deposit) {
	i, ok := m.findDeposit(d.Utxo.outpoint())
	if ok {
		m.st.Deposits[i] = d
		return
	}
	m.st.Deposits = slices.Insert(m.st.Deposits, i, d)
}

// modeAllows reports whether caller may change state; deposit is true for
// update_balance.
func (m *Minter) modeAllows(caller principal.Principal, deposit bool) string {
	switch m.cfg.Mode.Kind {
	case ReadOnly:
		return "the minter is in read-only mode"
	case RestrictedTo:
		if !slices.Contains(m.cfg.Mode.Principals, caller) {
			return "access to the minter is restricted"
		}
	case DepositsRestrictedTo:
		if deposit && !slices.Contains(m.cfg.Mode.Principals, caller) {
			return "deposits are restricted"
		}
	}
	return ""
}

// GetBtcAddress is get_btc_address: owner defaults to the caller and must
// not be anonymous.
func (m *Minter) GetBtcAddress(caller principal.Principal, owner *principal.Principal, sub *[SubaccountLen]byte) (string, error) {
	a := Account{Owner: caller, Subaccount: sub}
	if owner != nil {
		a.Owner = *owner
	}
	if isAnonymous(a.Owner) {
		return "", errAnonymous
	}
	return DepositAddress(m.cfg.Network, m.cfg.PublicKey, a)
}

// GetWithdrawalAccount is get_withdrawal_account.
func (m *Minter) GetWithdrawalAccount(caller principal.Principal) Account {
	s := WithdrawalSubaccount(caller)
	return Account{Owner: m.cfg.MinterID, Subaccount: &s}
}

// GetDepositFee is get_deposit_fee.
func (m *Minter) GetDepositFee() uint64 { return m.cfg.CheckFee }

// retrieveMinAmount is the fee-based minimum withdrawal amount.
func (m *Minter) retrieveMinAmount() uint64 {
	median, ok := MedianFeeRate(m.cfg.Network, m.st.FeePercentiles)
	if !ok || m.cfg.Network == chain.Regtest {
		return m.cfg.RetrieveMinAmount
	}
	return (22_100+221*(median/1000)+305+m.cfg.CheckFee)/50_000*50_000 + m.cfg.RetrieveMinAmount
}

// GetMinterInfo is get_minter_info.
func (m *Minter) GetMinterInfo() MinterInfo {
	d := m.cfg.DepositMinAmount
	return MinterInfo{
		MinConfirmations:     m.cfg.MinConfirmations,
		RetrieveBtcMinAmount: m.retrieveMinAmount(),
		KytFee:               m.cfg.CheckFee,
		DepositBtcMinAmount:  &d,
	}
}

// GetKnownUtxos is get_known_utxos: the deposits of the account the minter
// has seen, in outpoint order.
func (m *Minter) GetKnownUtxos(caller principal.Principal, owner *principal.Principal, sub *[SubaccountLen]byte) []CandidUtxo {
	a := Account{Owner: caller, Subaccount: sub}
	if owner != nil {
		a.Owner = *owner
	}
	k := a.key()
	out := []CandidUtxo{}
	for _, d := range m.st.Deposits {
		if d.Owner == k.owner && d.Sub == k.sub {
			out = append(out, candidUtxo(d.Utxo))
		}
	}
	return out
}

// GetEvents is get_events: at most length events from start. The events
// share memory with the minter's state and must not be modified.
func (m *Minter) GetEvents(start, length uint64) []Event {
	n := uint64(len(m.st.Events))
	if start >= n {
		return []Event{}
	}
	end := n
	if length < n-start {
		end = start + length
	}
	return slices.Clone(m.st.Events[start:end])
}

// EstimateWithdrawalFee is estimate_withdrawal_fee: the fees of a
// transaction paying amount (retrieve_btc_min_amount if nil) to one P2WPKH
// address with the inputs UTXO selection would take now.
func (m *Minter) EstimateWithdrawalFee(amount *uint64) (WithdrawalFee, error) {
	rate, ok := MedianFeeRate(m.cfg.Network, m.st.FeePercentiles)
	if !ok {
		return WithdrawalFee{}, errors.New("no fee estimate available")
	}
	amt := m.retrieveMinAmount()
	if amount != nil {
		amt = *amount
	}
	set := utxoSet{s: slices.Clone(m.st.Available)}
	inputs := set.selectUtxos(amt, 1)
	if len(inputs) == 0 {
		// Not enough funds now: estimate with one input.
		inputs = []ownedUtxo{{Utxo: Utxo{Value: amt}}}
	}
	dummy := append([]byte{0, 20}, bytes.Repeat([]byte{42}, 20)...)
	all := []txOut{{Script: dummy, Value: amt}, {Script: m.mainScript}}
	tx := unsignedTx(inputs, all)
	return WithdrawalFee{
		BitcoinFee: vsize(tx) * rate / 1000,
		MinterFee:  MinterFee(uint64(len(inputs)), 2),
	}, nil
}
