package replica

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/service"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ckbtc"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/ledger"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// The canister ids reserved at the top of the subnet's canister range for
// the canisters the node implements in Go. The Wasm canister component
// gives out ids below them (wasmLastIndex).
const (
	ckbtcLedgerIndex  = canisterRangeSize - 3
	ckbtcMinterIndex  = canisterRangeSize - 2
	bitcoinIndex      = canisterRangeSize - 1
	reservedCanisters = 3
	wasmLastIndex     = canisterRangeSize - 1 - reservedCanisters
)

// CkBTCConfig configures the ckBTC ledger and minter of a subnet with
// Bitcoin enabled. Every node of a subnet must use the same values.
type CkBTCConfig struct {
	// Disabled turns ckBTC off (it is on whenever Bitcoin is).
	Disabled bool `json:"disabled,omitempty"`
	// KeyName is the minter's threshold ECDSA key name (default
	// dfx_test_key, a key every subnet creates at genesis).
	KeyName string `json:"key_name,omitempty"`
	// MinConfirmations of deposits and change (default 6, as on the IC,
	// or the Bitcoin canister's stability threshold if smaller: the
	// canister answers only for confirmations within its unstable blocks).
	MinConfirmations uint32 `json:"min_confirmations,omitempty"`
	// CheckFee is the deposit fee in satoshi (default 1,000, as on the IC;
	// -1 is none).
	CheckFee int64 `json:"check_fee,omitempty"`
	// RetrieveMinAmount is the smallest withdrawal in satoshi (default
	// 50,000 on mainnet, 10,000 elsewhere).
	RetrieveMinAmount uint64 `json:"retrieve_min_amount,omitempty"`
	// MaxTimeInQueueMS is how long a withdrawal waits to be batched with
	// others (default: 10 minutes as on the IC; on regtest none).
	MaxTimeInQueueMS uint64 `json:"max_time_in_queue_ms,omitempty"`
	// InitialBalances are ckBTC minted when the ledger is created (the
	// ledger's initial_balances; for test networks and benchmarks: such
	// ckBTC has no BTC behind it).
	InitialBalances []CkBTCBalance `json:"initial_balances,omitempty"`
}

// CkBTCBalance is an initial ckBTC balance of an owner's default account.
type CkBTCBalance struct {
	Owner  string `json:"owner"`
	Amount uint64 `json:"amount"`
}

// CkBTCIDs are the canister ids of a subnet's ckBTC ledger and minter and
// the id its Bitcoin canister is known by.
type CkBTCIDs struct {
	Ledger, Minter, Bitcoin principal.Principal
}

// SubnetCkBTCIDs returns the ckBTC canister ids of the node's subnet:
// the ledger and minter at the top of the subnet's canister range (below
// which the Wasm canisters get theirs) and the Bitcoin canister at
// BitcoinCanisterID.
func SubnetCkBTCIDs() CkBTCIDs {
	return CkBTCIDs{Ledger: canisters.CanisterID(ckbtcLedgerIndex), Minter: canisters.CanisterID(ckbtcMinterIndex),
		Bitcoin: BitcoinCanisterID}
}

// CkBTC returns the ckBTC canister ids; ok is false when the node's
// subnet has no ckBTC (no Bitcoin, or ckBTC disabled).
func (n *Node) CkBTC() (ids CkBTCIDs, ok bool) {
	if n.app.ckbtc == nil {
		return ids, false
	}
	return SubnetCkBTCIDs(), true
}

// ckbtcState is the node's ckBTC: the ledger and minter Go canisters
// (the minter keeps the transactions to hand to the node's adapter).
type ckbtcState struct {
	ledger *ledgerCanister
	minter *minterCanister
}

// hostCkBTC hosts the ckBTC ledger and minter on the canister component
// when the subnet has Bitcoin (before the component loads its state).
func (a *app) hostCkBTC(c *canisters.Component) error {
	bc := a.cfg.Bitcoin
	if bc == nil || a.btc == nil || (bc.CkBTC != nil && bc.CkBTC.Disabled) {
		return nil
	}
	cc := CkBTCConfig{}
	if bc.CkBTC != nil {
		cc = *bc.CkBTC
	}
	ids := SubnetCkBTCIDs()
	cfg := ckbtc.Config{Network: a.btc.network, MinterID: ids.Minter, KeyName: cc.KeyName,
		MinConfirmations: cc.MinConfirmations, RetrieveMinAmount: cc.RetrieveMinAmount}
	if cfg.MinConfirmations == 0 {
		cfg.MinConfirmations = ckbtc.DefaultMinConfirmations
		if d := bc.StabilityThreshold; d > 0 && d < uint64(cfg.MinConfirmations) {
			cfg.MinConfirmations = uint32(d)
		}
	}
	if cfg.KeyName == "" {
		cfg.KeyName = "dfx_test_key"
	}
	switch {
	case cc.CheckFee < 0:
	case cc.CheckFee == 0:
		cfg.CheckFee = ckbtc.DefaultCheckFee
	default:
		cfg.CheckFee = uint64(cc.CheckFee)
	}
	switch {
	case cc.MaxTimeInQueueMS > 0:
		cfg.MaxTimeInQueue = cc.MaxTimeInQueueMS * 1_000_000
	case a.btc.network == chain.Regtest:
		cfg.MaxTimeInQueue = 1 // the next tick
	}
	if cfg.RetrieveMinAmount == 0 {
		cfg.RetrieveMinAmount = 10_000
		if a.btc.network == chain.Mainnet {
			cfg.RetrieveMinAmount = 50_000
		}
	}
	l := &ledgerCanister{cfg: ledger.CkBTCConfig(ids.Minter)}
	l.cert = func() []byte { return a.ckbtcTipCertificate(ids.Ledger, l) }
	for _, b := range cc.InitialBalances {
		p, err := principal.Parse(b.Owner)
		if err != nil {
			return fmt.Errorf("replica: ckbtc initial balance of %q: %w", b.Owner, err)
		}
		l.cfg.InitialBalances = append(l.cfg.InitialBalances, ledger.InitialBalance{Account: ledger.Account{Owner: p}, Amount: b.Amount})
	}
	if err := l.Unmarshal(nil); err != nil {
		return fmt.Errorf("replica: ckbtc ledger: %w", err)
	}
	m := &minterCanister{cfg: cfg, keys: canKeys{a}, ledger: l, btc: a.btc.can}
	if err := c.HostGo(ids.Ledger, l); err != nil {
		return err
	}
	if err := c.HostGo(ids.Minter, m); err != nil {
		return err
	}
	a.ckbtc = &ckbtcState{ledger: l, minter: m}
	return nil
}

// ckbtcBroadcast hands the transactions the minter sent in the round to
// the node's Bitcoin adapter (each node forwards them; the minter's
// answer does not depend on it, as bitcoin_send_transaction's does not).
func (a *app) ckbtcBroadcast() {
	if a.ckbtc == nil {
		return
	}
	txs := a.ckbtc.minter.broadcast
	a.ckbtc.minter.broadcast = nil
	if len(txs) == 0 || a.btc == nil || a.btc.fwd == nil {
		return
	}
	fwd, log := a.btc.fwd, a.log
	go func() {
		for _, tx := range txs {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := fwd.Forward(ctx, tx); err != nil {
				log.Warn("ckbtc: forward transaction", "err", err)
			}
			cancel()
		}
	}()
}

// ledgerCanister is the ckBTC ledger as a Go canister.
type ledgerCanister struct {
	cfg ledger.Config
	l   *ledger.Ledger
	// cert is the certificate source of queries (nil: none).
	cert func() []byte
}

// setLedger installs a (re)built ledger with the certificate source.
func (c *ledgerCanister) setLedger(l *ledger.Ledger) {
	c.l = l
	if c.cert != nil {
		l.SetCertificateSource(c.cert)
	}
}

// ckbtcTipCertificate is the certificate icrc3_get_tip_certificate and
// get_data_certificate answer with: the node's latest certified tree's
// /canister/<ledger>/certified_data (and /time), signed by the subnet.
// Queries run on the node's latest state, which may be ahead of the
// latest certified height; when the certified data there is not the
// ledger's current one, there is no certificate yet (nil) and the client
// asks again, rather than getting a certificate that does not match the
// hash tree beside it. It runs under the canister component's lock and
// takes the app's (never the other way round).
func (a *app) ckbtcTipCertificate(id principal.Principal, l *ledgerCanister) []byte {
	tree, sig, ok := a.certified()
	if !ok {
		return nil
	}
	path := [][]byte{[]byte("canister"), id.Bytes(), []byte("certified_data")}
	if st, v := certification.Lookup(tree, path); st != certification.Found || !bytes.Equal(v, l.CertifiedData()) {
		return nil
	}
	w, err := certification.Witness(tree, [][][]byte{{[]byte("time")}, path})
	if err != nil {
		return nil
	}
	b, err := (&certification.Certificate{Tree: w, Signature: sig}).Marshal()
	if err != nil {
		return nil
	}
	return b
}

func ledgerErr(err error) error {
	if err == nil {
		return nil
	}
	return &canisters.GoReject{Code: execution.RejectCanisterError, Message: err.Error()}
}

func (c *ledgerCanister) Update(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	r, err := c.l.Call(method, arg, caller, now)
	return r, ledgerErr(err)
}

func (c *ledgerCanister) Query(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	r, err := c.l.Query(method, arg, caller, now)
	return r, ledgerErr(err)
}

func (c *ledgerCanister) Marshal() ([]byte, error) { return c.l.Marshal(), nil }

func (c *ledgerCanister) Unmarshal(b []byte) error {
	var (
		l   *ledger.Ledger
		err error
	)
	if b == nil {
		l, err = ledger.New(c.cfg, 0)
	} else {
		l, err = ledger.Unmarshal(b)
	}
	if err != nil {
		return err
	}
	c.setLedger(l)
	return nil
}

// StateHash commits to the ledger's whole state without encoding it: the
// state is its configuration and its blocks (UnmarshalParts rebuilds it
// from them), and the tip's hash commits to every block through the
// ICRC-3 parent hashes. (ledger.StateHash hashes the whole encoding,
// which grows with every block.)
func (c *ledgerCanister) StateHash() [32]byte {
	h := sha256.New()
	h.Write([]byte("chainkey-ckbtc-ledger-state\x00"))
	cfg := c.l.MarshalConfig()
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(cfg))))
	h.Write(cfg)
	h.Write(binary.BigEndian.AppendUint64(nil, c.l.Len()))
	if _, tip, ok := c.l.Tip(); ok {
		h.Write(tip[:])
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// The ledger is persisted as its configuration and its blocks, each
// block once (canisters.GoLog).
func (c *ledgerCanister) LogHeader() []byte { return c.l.MarshalConfig() }
func (c *ledgerCanister) LogLen() uint64    { return c.l.Len() }
func (c *ledgerCanister) LogEntry(i uint64) []byte {
	b, _ := c.l.EncodedBlock(i)
	return b
}

func (c *ledgerCanister) UnmarshalLog(header []byte, blocks [][]byte) error {
	l, err := ledger.UnmarshalParts(header, blocks)
	if err != nil {
		return err
	}
	c.setLedger(l)
	return nil
}

func (c *ledgerCanister) CertifiedData() []byte {
	d := c.l.CertifiedData()
	return d[:]
}

// minterCanister is the ckBTC minter as a Go canister. The minter is
// built once the subnet has its threshold ECDSA key (its deposit
// addresses derive from the key); until then its calls are rejected
// (code 2) and its state is what was last stored.
type minterCanister struct {
	cfg    ckbtc.Config
	keys   canisters.Keys
	ledger *ledgerCanister
	btc    *service.Canister
	m      *ckbtc.Minter
	raw    []byte // stored state not yet restored (m == nil)
	now    uint64
	// sigs are signatures delivered since the last tick; the minter
	// takes them at the next tick, at the round's time.
	sigs []minterSig
	out  []canisters.GoSignRequest
	// broadcast are the transactions sent in the round, for the node's
	// adapter (not state).
	broadcast [][]byte
}

type minterSig struct {
	seq uint64
	sig []byte
	err error
}

func (w *minterCanister) keyID() string { return "ecdsa:secp256k1:" + w.cfg.KeyName }

// ready builds the minter when the key exists.
func (w *minterCanister) ready() error {
	if w.m != nil {
		return nil
	}
	if !w.keys.HasKey(w.keyID()) {
		return &canisters.GoReject{Code: execution.RejectSysTransient, Message: "ckbtc minter: the threshold ECDSA key " + w.cfg.KeyName + " is not ready yet"}
	}
	pub, cc, err := w.keys.PublicKey(w.keyID(), w.cfg.MinterID, nil)
	if err != nil {
		return &canisters.GoReject{Code: execution.RejectSysTransient, Message: fmt.Sprintf("ckbtc minter: public key: %v", err)}
	}
	cfg := w.cfg
	cfg.PublicKey = ckbtc.PublicKey{Key: pub, ChainCode: cc}
	m, err := ckbtc.New(cfg, minterLedger{w}, minterBitcoin{w.btc})
	if err != nil {
		return &canisters.GoReject{Code: execution.RejectCanisterError, Message: err.Error()}
	}
	if w.raw != nil {
		if err := m.Restore(w.raw); err != nil {
			return &canisters.GoReject{Code: execution.RejectCanisterError, Message: err.Error()}
		}
	}
	w.m, w.raw = m, nil
	return nil
}

func minterErr(err error) error {
	if err == nil {
		return nil
	}
	var r *ckbtc.Reject
	if errors.As(err, &r) {
		return &canisters.GoReject{Code: r.Code, Message: r.Message}
	}
	return &canisters.GoReject{Code: execution.RejectCanisterError, Message: err.Error()}
}

func (w *minterCanister) Update(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	w.now = now
	if err := w.ready(); err != nil {
		return nil, err
	}
	r, err := w.m.Call(method, arg, caller, now)
	w.drain()
	return r, minterErr(err)
}

func (w *minterCanister) Query(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	query := false
	for _, m := range ckbtc.Methods() {
		if m.Name == method {
			query = m.Query
		}
	}
	if !query {
		return nil, &canisters.GoReject{Code: execution.RejectDestinationInvalid, Message: "ckbtc minter: no query method " + method}
	}
	if w.m == nil {
		return nil, &canisters.GoReject{Code: execution.RejectSysTransient, Message: "ckbtc minter: not ready yet"}
	}
	r, err := w.m.Call(method, arg, caller, now)
	return r, minterErr(err)
}

// Tick implements canisters.GoTicker: the minter's timer, every round.
func (w *minterCanister) Tick(now uint64) {
	w.now = now
	if w.ready() != nil {
		return
	}
	for _, s := range w.sigs {
		// A signature that does not verify changes nothing; the minter
		// resubmits after its timeout.
		_ = w.m.DeliverSignature(s.seq, s.sig, s.err)
	}
	w.sigs = nil
	w.drain()
	w.m.Tick(now)
	w.drain()
}

// drain takes the minter's requests: signing requests go out through the
// component, transactions are checked as bitcoin_send_transaction checks
// them and answered at once, then forwarded by the node.
func (w *minterCanister) drain() {
	for {
		reqs := w.m.TakeRequests()
		if len(reqs) == 0 {
			return
		}
		for _, r := range reqs {
			switch {
			case r.Sign != nil:
				w.out = append(w.out, canisters.GoSignRequest{Seq: r.Sign.ID, KeyID: "ecdsa:secp256k1:" + r.Sign.KeyName,
					Path: r.Sign.DerivationPath, Message: append([]byte(nil), r.Sign.MessageHash[:]...)})
			case r.Send != nil:
				_, err := canister.CheckTransaction(r.Send.Transaction)
				if err == nil {
					w.broadcast = append(w.broadcast, r.Send.Transaction)
				}
				_ = w.m.DeliverSendResult(r.Send.Txid, err, w.now)
			}
		}
	}
}

// TakeSignRequests implements canisters.GoSigner.
func (w *minterCanister) TakeSignRequests() []canisters.GoSignRequest {
	out := w.out
	w.out = nil
	return out
}

// DeliverSignature implements canisters.GoSigner.
func (w *minterCanister) DeliverSignature(seq uint64, sig []byte, err error) {
	w.sigs = append(w.sigs, minterSig{seq: seq, sig: append([]byte(nil), sig...), err: err})
}

func (w *minterCanister) Marshal() ([]byte, error) {
	if w.m == nil {
		return w.raw, nil
	}
	return w.m.Marshal(), nil
}

func (w *minterCanister) Unmarshal(b []byte) error {
	// The minter is rebuilt from b at its first call or tick (the node
	// loads canisters before its keys' state).
	w.m, w.raw, w.sigs, w.out = nil, b, nil, nil
	return nil
}

func (w *minterCanister) StateHash() [32]byte {
	if w.m == nil {
		return sha256.Sum256(w.raw)
	}
	return w.m.Hash()
}

func (w *minterCanister) CertifiedData() []byte { return nil }

// minterLedger is the minter's synchronous access to the ckBTC ledger,
// at the time of the minter's call or tick.
type minterLedger struct{ w *minterCanister }

func (a minterLedger) acct(x ckbtc.Account) ledger.Account {
	return ledger.Account{Owner: x.Owner, Subaccount: x.Subaccount}
}

func (a minterLedger) Mint(to ckbtc.Account, amount uint64, memo []byte) (uint64, error) {
	i, err := a.w.ledger.l.Mint(a.acct(to), amount, memo, a.w.now)
	return i, mapLedgerErr(err)
}

func (a minterLedger) Burn(from [ckbtc.SubaccountLen]byte, amount uint64, memo []byte) (uint64, error) {
	sub := from
	i, err := a.w.ledger.l.Burn(ledger.Account{Owner: a.w.cfg.MinterID, Subaccount: &sub}, amount, memo, a.w.now)
	return i, mapLedgerErr(err)
}

func (a minterLedger) BurnFrom(from ckbtc.Account, amount uint64, memo []byte) (uint64, error) {
	i, err := a.w.ledger.l.BurnFrom(ledger.Account{Owner: a.w.cfg.MinterID}, a.acct(from), amount, memo, a.w.now)
	return i, mapLedgerErr(err)
}

func (a minterLedger) Balance(x ckbtc.Account) (uint64, error) {
	return a.w.ledger.l.BalanceOf(a.acct(x)), nil
}

func mapLedgerErr(err error) error {
	var le *ledger.Error
	if err == nil || !errors.As(err, &le) {
		return err
	}
	switch le.Kind {
	case ledger.InsufficientFunds:
		return &ckbtc.InsufficientFundsError{Balance: le.Amount}
	case ledger.InsufficientAllowance:
		return &ckbtc.InsufficientAllowanceError{Allowance: le.Amount}
	case ledger.TemporarilyUnavailable:
		return &ckbtc.TemporarilyUnavailableError{Reason: le.Error()}
	}
	return err
}

// minterBitcoin reads the node's Bitcoin canister state for the minter.
type minterBitcoin struct{ c *service.Canister }

func (b minterBitcoin) GetUtxos(address string, minConf uint32) (u []ckbtc.Utxo, tip uint32, err error) {
	b.c.Read(func(st *canister.State) { u, tip, err = ckbtc.CanisterBitcoin{State: st}.GetUtxos(address, minConf) })
	return
}

func (b minterBitcoin) FeePercentiles() (p []uint64, err error) {
	b.c.Read(func(st *canister.State) { p, err = ckbtc.CanisterBitcoin{State: st}.FeePercentiles() })
	return
}
