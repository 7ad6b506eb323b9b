package canisters

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
	"github.com/chainkey/chainkey/vetkd"
)

// Keys is what the component needs of the subnet's threshold keys for the
// management canister's public key methods: public keys derived from the
// agreed master keys, the same on every node.
type Keys interface {
	// HasKey reports whether the subnet has the master key (and can sign
	// with it).
	HasKey(keyID string) bool
	// PublicKey derives the public key and chain code of caller's
	// derivation path (the caller principal first, as on the IC).
	PublicKey(keyID string, caller principal.Principal, path [][]byte) (pub, chainCode []byte, err error)
}

// Config configures the component. Every node of a subnet must use the
// same values.
type Config struct {
	// Exec configures execution (engine, instruction limits, subnet id,
	// root key).
	Exec execution.Config
	// FirstIndex and LastIndex bound the subnet's canister range (the
	// index of a canister id); LastIndex 0 means FirstIndex + 2^20 - 1.
	FirstIndex, LastIndex uint64
	// MaxRoundCalls bounds the calls and responses between canisters one
	// round executes (0: DefaultMaxRoundCalls).
	MaxRoundCalls int
	// MaxRoundInstructions bounds the fuel a round's executions use
	// together (0: DefaultMaxRoundInstructions): once it is spent, the
	// round's remaining ingress messages, timers, heartbeats and calls
	// wait for the next round. The first execution of a round always runs.
	MaxRoundInstructions uint64
	// Keys gives the management canister's public keys (nil: the subnet
	// has no threshold keys and signing calls are rejected).
	Keys Keys
	// Modules compiles modules or gives them from a cache (nil: an
	// execution.ModuleCache in memory). The node gives a cache on disk
	// (package execution/modcache), so that a restart does not compile
	// again; the component itself touches no files.
	Modules Modules
}

// Modules gives prepared and compiled modules by their Wasm bytes, as
// execution.ModuleCache and modcache.Cache do. Every node must get
// modules that behave alike (the same engine settings).
type Modules interface {
	Get(wasm []byte) (*execution.Prepared, execution.Compiled, error)
}

// Defaults of Config.
const (
	DefaultMaxRoundCalls = 10_000
	// DefaultMaxRoundInstructions is the IC's instruction limit of a
	// round, twice the update limit: a round runs at least two messages
	// that use their whole limit.
	DefaultMaxRoundInstructions = 4_000_000_000
)

// Request statuses, as the IC names them.
const (
	StatusReceived   = "received"
	StatusProcessing = "processing"
	StatusReplied    = "replied"
	StatusRejected   = "rejected"
)

// Record is the status of an ingress message, kept until its expiry.
type Record struct {
	Status        string `cbor:"1,keyasint"`
	Reply         []byte `cbor:"2,keyasint,omitempty"`
	RejectCode    uint64 `cbor:"3,keyasint,omitempty"`
	RejectMessage string `cbor:"4,keyasint,omitempty"`
	// Height is the height of the last change.
	Height uint64 `cbor:"5,keyasint"`
	Expiry uint64 `cbor:"6,keyasint"`
	// Sender and Receiver are the message's sender and canister (the
	// HTTP interface lets only the sender read the status).
	Sender   []byte `cbor:"7,keyasint,omitempty"`
	Receiver []byte `cbor:"8,keyasint,omitempty"`
}

// outCall is a call a canister made that waits for its response.
type outCall struct {
	ID     uint64 `cbor:"1,keyasint"`
	Ctx    uint64 `cbor:"2,keyasint"` // the caller's call context
	From   []byte `cbor:"3,keyasint"`
	Callee []byte `cbor:"4,keyasint"`
	Method string `cbor:"5,keyasint"`
	Arg    []byte `cbor:"6,keyasint,omitempty"`
	Cycles uint64 `cbor:"7,keyasint,omitempty"`
	// Fun holds reply fun/env, reject fun/env, cleanup fun/env.
	Fun     [6]uint64 `cbor:"8,keyasint"`
	Cleanup bool      `cbor:"9,keyasint,omitempty"`
	Timeout uint32    `cbor:"10,keyasint,omitempty"`
	// Epoch is the caller's install epoch when it made the call: a
	// response to an uninstalled or reinstalled canister runs no callback.
	Epoch uint64 `cbor:"11,keyasint,omitempty"`
	// Deadline is a best-effort call's deadline (ns since 1970; 0 for a
	// guaranteed response), and Expired says that the caller got the
	// deadline-expired reject for it.
	Deadline uint64 `cbor:"12,keyasint,omitempty"`
	Expired  bool   `cbor:"13,keyasint,omitempty"`
}

func (o *outCall) call() execution.Call {
	return execution.Call{Method: o.Method, Arg: o.Arg, Cycles: o.Cycles,
		ReplyFun: o.Fun[0], ReplyEnv: o.Fun[1], RejectFun: o.Fun[2], RejectEnv: o.Fun[3],
		Cleanup: o.Cleanup, CleanupFun: o.Fun[4], CleanupEnv: o.Fun[5], Timeout: o.Timeout,
		Callee: mustPrincipal(o.Callee), Deadline: o.Deadline}
}

// callCtx is the call context of a message a canister executes: it lives
// until the message is answered and every call it made has come back.
type callCtx struct {
	ID       uint64 `cbor:"1,keyasint"`
	Canister []byte `cbor:"2,keyasint"`
	// Exactly one origin, or none for a timer or heartbeat: an ingress
	// message, or a call of another canister (its outCall id).
	Ingress   []byte `cbor:"3,keyasint,omitempty"`
	Call      uint64 `cbor:"4,keyasint,omitempty"`
	Caller    []byte `cbor:"5,keyasint"`
	Deadline  uint64 `cbor:"6,keyasint,omitempty"`
	Responded bool   `cbor:"7,keyasint,omitempty"`
	// Outstanding counts the calls made and not yet answered.
	Outstanding uint32 `cbor:"8,keyasint,omitempty"`
}

// task is an entry of the round queue: a call to deliver (Resp nil) or a
// response to deliver to the caller's callback.
type task struct {
	Call uint64    `cbor:"1,keyasint"`
	Resp *response `cbor:"2,keyasint,omitempty"`
}

type response struct {
	Code    uint64 `cbor:"1,keyasint,omitempty"` // 0: reply
	Reply   []byte `cbor:"2,keyasint,omitempty"`
	Message string `cbor:"3,keyasint,omitempty"`
	Refund  uint64 `cbor:"4,keyasint,omitempty"`
}

// randWait is a raw_rand call waiting for a beacon round after Round.
type randWait struct {
	Call  uint64 `cbor:"1,keyasint"`
	Round uint64 `cbor:"2,keyasint"`
}

// global is the component's state beside the canisters.
type global struct {
	NextIndex uint64              `cbor:"1,keyasint"`
	NextCall  uint64              `cbor:"2,keyasint"`
	NextCtx   uint64              `cbor:"3,keyasint"`
	Queue     []task              `cbor:"4,keyasint"`
	Calls     map[uint64]*outCall `cbor:"5,keyasint"`
	Contexts  map[uint64]*callCtx `cbor:"6,keyasint"`
	// Signs maps a signing request id (hex-free bytes as string) to the
	// management call it answers.
	Signs map[string]uint64 `cbor:"7,keyasint"`
	Rands []randWait        `cbor:"8,keyasint"`
	// Ingress are the ingress messages of past blocks that wait for a
	// round with instructions left, in block order.
	Ingress []*Message `cbor:"9,keyasint,omitempty"`
	// StorageAt is the block time (ns) up to which the canisters paid
	// for their storage (0 while the subnet charges no cycles).
	StorageAt uint64 `cbor:"10,keyasint,omitempty"`
	// Stops are the stop_canister calls that wait for their canister's
	// call contexts to close (stopping.go).
	Stops []pendingStop `cbor:"85,keyasint,omitempty"`
	// Supply bounds the cycles the canisters hold together: everything
	// minted (supply.go).
	Supply uint64 `cbor:"86,keyasint,omitempty"`
}

// entry is one hosted canister and what persistence remembers of it.
type entry struct {
	id          principal.Principal
	can         *execution.Canister
	controllers []principal.Principal
	epoch       uint64
	// pages and spages are the hash trees of the Wasm and stable
	// memories' pages as last written; module the module hash written.
	pages, spages pageTree
	module        [32]byte
	hash          [32]byte // hash of the canister's persisted state
	certified     []byte   // certified data as last persisted
	// mgmt are the settings, history and chunk store hashes the
	// management canister keeps (mgmtstate.go); chunks the chunk store.
	mgmt   mgmtMeta
	chunks chunkStore
	// log is the canister's recent log records; logDirty says they
	// changed since they were last written.
	log      *canisterLog
	logDirty bool
	logHash  []byte // SHA-256 of the log records as last written
	// meta are the icp: custom sections of the module written.
	meta []execution.CustomSection
}

// SignRequest is a management canister signing call for the node's
// signing pipeline: the canister is the caller for key derivation.
type SignRequest struct {
	ID      []byte
	KeyID   string
	Caller  principal.Principal
	Path    [][]byte
	Message []byte
	Taproot []byte
}

// RoundInput is what the block agrees on for a round.
type RoundInput struct {
	Height uint64
	// TimeNS is the block's time in nanoseconds since 1970.
	TimeNS uint64
	// Beacon and BeaconRound are the random beacon value and round at
	// the end of the block's transactions.
	Beacon      []byte
	BeaconRound uint64
	// Subnet and RootKey are the subnet's id and DER root key in the
	// replicated state as of the block (ic0.subnet_self and
	// ic0.root_key_*); an empty RootKey keeps the ones in use.
	Subnet  principal.Principal
	RootKey []byte
	// VetKDKeys are the vetKD master public keys in the replicated state
	// as of the block, by key id (bls12_381_g2:NAME): the keys
	// vetkd_public_key and vetkd_derive_key serve.
	VetKDKeys map[string]*vetkd.MasterPublicKey
	// SubnetNodes is the number of the subnet's nodes as of the block
	// (ic0.subnet_self_node_count; 0 keeps the count in use).
	SubnetNodes uint32
}

// Component is the subnet's canisters. It is not safe for concurrent use;
// the shell serialises its calls.
type Component struct {
	cfg     Config
	modules Modules
	cans    map[string]*entry
	g       global
	records map[string]*Record
	// expiries orders the records by expiry for pruning.
	expiries []expiryRef

	// The round in progress.
	in        []*Message
	ready     []task // management responses that became ready this block
	dirty     map[string]bool
	deleted   map[string]*entry
	gdirty    bool
	recDirty  map[string]bool
	signOut   []SignRequest
	vetkdOut  []VetKDRequest
	round     RoundInput
	hash      [32]byte
	hashValid bool
	// used is the fuel the round in progress used; ran counts its
	// executions.
	used uint64
	ran  int
	// verified remembers the messages whose signature Admit checked
	// (the mempool's check): a block that carries them does not verify
	// them again. The outcome of a check never depends on it.
	verified map[[32]byte]bool
	// checked is the hash of the last batch that passed Check.
	checked      [32]byte
	pagesWritten int
	// gocans are the hosted Go canisters (gocanister.go).
	gocans map[string]*goEntry
	// origin is the canister whose management call is executing (nil
	// for an ingress message).
	origin *mgmtOrigin
	// btcID is the Go canister that answers the management canister's
	// bitcoin_* methods (zero: none).
	btcID principal.Principal
	// httpOut are the outcalls the last round made (outcall.go).
	httpOut []HTTPRequest
	// status indexes the records' certified subtrees (statusnodes.go).
	status statusIndex
}

type expiryRef struct {
	expiry uint64
	id     string
}

// New returns an empty component.
func New(cfg Config) (*Component, error) {
	if cfg.Exec.Engine == nil {
		return nil, fmt.Errorf("canisters: no engine")
	}
	if cfg.LastIndex == 0 {
		cfg.LastIndex = cfg.FirstIndex + 1<<20 - 1
	}
	if cfg.LastIndex < cfg.FirstIndex {
		return nil, fmt.Errorf("canisters: empty canister range")
	}
	if cfg.MaxRoundCalls <= 0 {
		cfg.MaxRoundCalls = DefaultMaxRoundCalls
	}
	if cfg.MaxRoundInstructions == 0 {
		cfg.MaxRoundInstructions = DefaultMaxRoundInstructions
	}
	modules := cfg.Modules
	if modules == nil {
		modules = execution.NewModuleCache(cfg.Exec.Engine)
	}
	c := &Component{cfg: cfg, modules: modules, cans: map[string]*entry{},
		records: map[string]*Record{}, dirty: map[string]bool{}, recDirty: map[string]bool{}, deleted: map[string]*entry{}}
	c.g = global{NextIndex: cfg.FirstIndex, NextCall: 1, NextCtx: 1, Calls: map[uint64]*outCall{},
		Contexts: map[uint64]*callCtx{}, Signs: map[string]uint64{}}
	return c, nil
}

// Close releases the canisters' instances.
func (c *Component) Close() {
	for _, e := range c.cans {
		e.can.Close()
	}
}

// CanisterID returns the principal of the canister with index n: the IC
// encoding, 8-byte big-endian index followed by 0x01 0x01.
func CanisterID(n uint64) principal.Principal { return principal.FromCanisterIndex(n) }

func mustPrincipal(b []byte) principal.Principal {
	p, err := principal.FromBytes(b)
	if err != nil {
		return principal.Anonymous()
	}
	return p
}

// ID implements subnet.Component.
func (c *Component) ID() subnet.ComponentID { return ComponentID() }

// Check implements subnet.Component: a block's canister transaction must
// decode, with valid messages and no message twice.
func (c *Component) Check(tx []byte) error {
	if _, err := decodeBatch(tx, c.verifiedBefore); err != nil {
		return err
	}
	c.checked = sha256.Sum256(tx)
	return nil
}

// Apply implements subnet.Component: it queues the block's messages for
// the round (Round executes them).
func (c *Component) Apply(tx []byte, w subnet.Writer) error {
	// The batch a node checked in its proposal check is not verified
	// again (the outcome is the same either way).
	all := func(*Message) bool { return true }
	if sha256.Sum256(tx) != c.checked {
		all = c.verifiedBefore
	}
	msgs, err := decodeBatch(tx, all)
	if err != nil {
		return err
	}
	c.in = append(c.in, msgs...)
	return nil
}

// Execute implements subnet.Component: canister messages arrive in
// transactions only.
func (c *Component) Execute([]byte, subnet.Writer) ([]byte, error) { return nil, subnet.ErrNoMessages }

// Admit is the mempool's check of a message at time nowNS: valid, not
// expired nor too far in the future, and not already known.
func (c *Component) Admit(m *Message, nowNS uint64) error {
	if !c.verifiedBefore(m) {
		if err := m.Validate(); err != nil {
			return err
		}
		c.rememberVerified(m)
	}
	if err := expiryOK(m.Expiry, nowNS); err != nil {
		return err
	}
	if !m.delegationsValidAt(nowNS) {
		return fmt.Errorf("canisters: sender delegation expired")
	}
	id := m.ID()
	if c.records[string(id[:])] != nil {
		return fmt.Errorf("canisters: message %x: duplicate", id[:6])
	}
	return nil
}

// maxVerified bounds the memory of verified messages.
const maxVerified = 1 << 16

// verifiedBefore reports whether this exact message (its encoding,
// signature included) passed Validate on this node before.
func (c *Component) verifiedBefore(m *Message) bool {
	if len(c.verified) == 0 {
		return false
	}
	enc, err := subnet.Marshal(m)
	return err == nil && c.verified[sha256.Sum256(enc)]
}

func (c *Component) rememberVerified(m *Message) {
	enc, err := subnet.Marshal(m)
	if err != nil {
		return
	}
	if c.verified == nil || len(c.verified) >= maxVerified {
		c.verified = map[[32]byte]bool{}
	}
	c.verified[sha256.Sum256(enc)] = true
}

func expiryOK(expiry, nowNS uint64) error {
	if expiry < nowNS {
		return fmt.Errorf("canisters: message expired")
	}
	if expiry > nowNS+MaxIngressExpiry {
		return fmt.Errorf("canisters: message expiry too far in the future")
	}
	return nil
}

// Status returns the status record of an ingress message (nil if
// unknown or expired). The record must not be modified.
func (c *Component) Status(id []byte) *Record { return c.records[string(id)] }

// Canister returns the execution state of a canister, if it exists.
func (c *Component) Canister(id principal.Principal) (*execution.Canister, bool) {
	e, ok := c.cans[string(id.Bytes())]
	if !ok {
		return nil, false
	}
	return e.can, true
}

// Query runs a query on a canister's current state (it never changes it).
// A composite query method calls the query methods of the component's
// other canisters, at their current state.
func (c *Component) Query(id principal.Principal, msg execution.Message) *execution.Result {
	e, ok := c.cans[string(id.Bytes())]
	if r := c.goQuery(id, msg); !ok && r != nil {
		return r
	}
	if !ok {
		return &execution.Result{RejectCode: execution.RejectDestinationInvalid, RejectMessage: fmt.Sprintf("canister %s not found", id)}
	}
	if msg.Time == 0 {
		msg.Time = c.round.TimeNS
	}
	return e.can.CompositeQuery(msg, queryPeers{c})
}

// IDs returns the canister ids in order.
func (c *Component) IDs() []principal.Principal {
	keys := c.sortedKeys()
	out := make([]principal.Principal, len(keys))
	for i, k := range keys {
		out[i] = c.cans[k].id
	}
	return out
}

func (c *Component) sortedKeys() []string {
	keys := make([]string, 0, len(c.cans))
	for k := range c.cans {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TakeSignRequests returns the signing requests the last round made (the
// shell hands them to the signing pipeline) and forgets them.
func (c *Component) TakeSignRequests() []SignRequest {
	out := c.signOut
	c.signOut = nil
	return out
}

// DeliverSignature answers the signing request id with a combined
// signature; the canister's callback runs in the next round (the round of
// the block that carried the signature). It reports whether id was a
// canister's request.
func (c *Component) DeliverSignature(id, sig []byte) bool {
	if c.goSignature(id, sig, nil) {
		return true
	}
	call, ok := c.g.Signs[string(id)]
	if !ok {
		return false
	}
	delete(c.g.Signs, string(id))
	c.gdirty = true
	reply, err := encodeSignature(sig)
	if err != nil {
		c.ready = append(c.ready, task{Call: call, Resp: &response{Code: execution.RejectCanisterError, Message: err.Error()}})
		return true
	}
	var refund uint64
	if o := c.g.Calls[call]; o != nil {
		refund = o.Cycles // what the signing fee left of the attached cycles
	}
	c.ready = append(c.ready, task{Call: call, Resp: &response{Reply: reply, Refund: refund}})
	return true
}

// RejectSignature rejects the signing request id (its key is gone, or it
// expired).
func (c *Component) RejectSignature(id []byte, msg string) bool {
	if c.goSignature(id, nil, errors.New(msg)) {
		return true
	}
	call, ok := c.g.Signs[string(id)]
	if !ok {
		return false
	}
	delete(c.g.Signs, string(id))
	c.gdirty = true
	c.ready = append(c.ready, task{Call: call, Resp: &response{Code: execution.RejectCanisterReject, Message: msg}})
	return true
}

// signRequestID is the id of a canister's signing request: unique per
// management call.
func signRequestID(call uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte("chainkey-canister-sign/"), call)
}

// IsSignRequestID reports whether id names a canister's signing request.
func IsSignRequestID(id []byte) bool {
	return bytes.HasPrefix(id, []byte("chainkey-canister-sign/"))
}
