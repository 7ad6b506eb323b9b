package execution

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/principal"
)

// The IC's reject codes.
const (
	RejectSysFatal           = 1
	RejectSysTransient       = 2
	RejectDestinationInvalid = 3
	RejectCanisterReject     = 4
	RejectCanisterError      = 5
	RejectSysUnknown         = 6
)

// Status is a canister's run status (the values of ic0.canister_status).
type Status uint32

// The run statuses.
const (
	Running  Status = 1
	Stopping Status = 2
	Stopped  Status = 3
)

// Instruction limits, in fuel. One unit of fuel is one executed Wasm
// operator (wasmtime's metering; block, loop, nop and drop are free),
// the unit of the IC's instruction counter for plain Wasm code, and each
// System API call costs sysCallCost plus one per byte it moves: the
// scale is 1:1. The IC allows 40 billion instructions per update only
// across rounds (deterministic time slicing, 2 billion a round); without
// slicing a message must finish within one block, so an update gets the
// IC's per-round slice. Queries get the IC's 5 billion. At 0.4 to 0.7 ns
// per unit on this project's machines (BenchmarkFuel), the update limit
// is about 1 s, the query limit 2 to 3.5 s.
const (
	DefaultUpdateLimit  = 2_000_000_000
	DefaultQueryLimit   = 5_000_000_000
	DefaultInstallLimit = 5_000_000_000
)

// TrapKind classifies traps.
type TrapKind int

// The kinds of trap.
const (
	TrapWasm              TrapKind = iota // a Wasm trap (unreachable, bounds, division, ...)
	TrapCanister                          // the canister called ic0.trap
	TrapOutOfInstructions                 // the instruction limit ran out
	TrapStackOverflow                     // the Wasm stack overflowed
	TrapSystemAPI                         // a System API call broke its rules
)

// Trap is the error of a message that trapped.
type Trap struct {
	Kind TrapKind
	Msg  string
}

// Error describes the trap.
func (t *Trap) Error() string { return "execution: canister trapped: " + t.Msg }

// ErrOutOfInstructions is the trap of a message that ran out of fuel.
var ErrOutOfInstructions = &Trap{Kind: TrapOutOfInstructions, Msg: "instruction limit exceeded"}

// Config configures canister execution.
type Config struct {
	// Engine runs the Wasm code (required).
	Engine Engine
	// UpdateLimit, QueryLimit and InstallLimit are the fuel of one
	// update (or callback, timer), query, and install or upgrade
	// (0: the Default limits).
	UpdateLimit, QueryLimit, InstallLimit uint64
	// Subnet is the hosting subnet's id (ic0.subnet_self).
	Subnet principal.Principal
	// RootKey is the subnet's DER public key (ic0.root_key_*).
	RootKey []byte
	// MaxStableMemory is the largest stable memory in bytes (0: 1 GiB).
	// Stable memory is held in process memory, so the default is far
	// below the IC's 500 GiB.
	MaxStableMemory uint64
	// CompositeQueryLimit is the fuel of a composite query's whole call
	// graph (0: DefaultCompositeQueryLimit).
	CompositeQueryLimit uint64
	// Fees is the cycles fee table (the zero Fees: everything is free).
	Fees Fees
	// SubnetNodes is the number of the subnet's nodes
	// (ic0.subnet_self_node_count; 0 counts as 1). SetSubnetNodes
	// changes it as the subnet's membership changes.
	SubnetNodes uint32
}

// SetSubnetNodes sets the node count ic0.subnet_self_node_count returns
// from the next message on.
func (c *Canister) SetSubnetNodes(n uint32) { c.cfg.SubnetNodes = n }

func (c *Config) fill() {
	if c.UpdateLimit == 0 {
		c.UpdateLimit = DefaultUpdateLimit
	}
	if c.QueryLimit == 0 {
		c.QueryLimit = DefaultQueryLimit
	}
	if c.InstallLimit == 0 {
		c.InstallLimit = DefaultInstallLimit
	}
	if c.MaxStableMemory == 0 {
		c.MaxStableMemory = 1 << 30
	}
	if c.CompositeQueryLimit == 0 {
		c.CompositeQueryLimit = DefaultCompositeQueryLimit
	}
}

// State is the data of a canister: everything a message may change and
// everything a node persists.
type State struct {
	ID          principal.Principal
	Controllers []principal.Principal
	// Module is the installed module (nil for an empty canister).
	Module     []byte
	ModuleHash [32]byte
	// Memory and Globals are the Wasm memory and the values of the
	// mutable globals.
	Memory  []byte
	Globals []uint64
	// Stable is the stable memory (a whole number of 64 KiB pages).
	Stable        []byte
	CertifiedData []byte
	Cycles        uint64
	Status        Status
	Version       uint64
	// GlobalTimer is the time (ns) of the global timer, 0 when unset.
	GlobalTimer uint64
	// FreezingThreshold is the canister setting, in seconds: the
	// canister keeps enough cycles to pay for its storage that long.
	FreezingThreshold uint64
	// Table is the function index of every entry of the Wasm table (-1
	// for null), kept only for modules that change their table at run
	// time (tables.go); nil otherwise.
	Table []int64
}

// Message is an incoming call.
type Message struct {
	Method string
	Arg    []byte
	Caller principal.Principal
	// Time is the block's agreed time in nanoseconds since 1970.
	Time uint64
	// Cycles are the cycles attached to the call.
	Cycles uint64
	// Deadline is the call's deadline (0 for ingress messages).
	Deadline uint64
	// Certificate is the data certificate a non-replicated query sees.
	Certificate []byte
}

// Call is an outgoing call a message made; delivering it and running its
// callbacks is the caller's job.
type Call struct {
	Callee               principal.Principal
	Method               string
	Arg                  []byte
	Cycles               uint64
	ReplyFun, ReplyEnv   uint64
	RejectFun, RejectEnv uint64
	// Cleanup says whether CleanupFun/CleanupEnv were set.
	Cleanup                bool
	CleanupFun, CleanupEnv uint64
	// Timeout is the best-effort timeout in seconds (0: guaranteed
	// response).
	Timeout uint32
	// Deadline is the best-effort call's deadline in nanoseconds since
	// 1970: the time of the message that made the call plus Timeout
	// (0 for a guaranteed response call). The callee's ic0.msg_deadline
	// and the caller's callbacks see it.
	Deadline uint64
}

// Result is the outcome of a message.
type Result struct {
	// Replied says whether the canister replied; Reply is then the data.
	Replied bool
	Reply   []byte
	// RejectCode is nonzero when the message was rejected, by the
	// canister (RejectCanisterReject) or by the system.
	RejectCode    int
	RejectMessage string
	// Trap is the trap that ended the message, if any (the state is then
	// as before the message).
	Trap *Trap
	// Fuel is the fuel the message used.
	Fuel uint64
	// Calls are the outgoing calls the message made.
	Calls []Call
	// Refund is the attached cycles the canister did not accept.
	Refund uint64
	// Log holds the debug_print output.
	Log []string
}

// Canister is one canister: its state and, when a module is installed,
// the live instance that executes its messages.
type Canister struct {
	cfg      Config
	st       State
	prepared *Prepared
	compiled Compiled
	inst     Instance

	cur  *execCtx // the execution in progress
	sess *session // the composite query in progress on the canister

	// shadow is the committed Wasm memory: equal to the instance's
	// between messages, it is what a trap restores pages from.
	shadow  shadowMem
	pageBuf []uint64
	// Pages changed since the last checkpoint.
	memDirty, stableDirty                pageSet
	memReset, stableReset, moduleChanged bool
}

// New returns an empty canister.
func New(cfg Config, id principal.Principal, controllers []principal.Principal, cycles uint64) (*Canister, error) {
	if cfg.Engine == nil {
		return nil, errors.New("execution: no engine")
	}
	cfg.fill()
	return &Canister{cfg: cfg, st: State{
		ID: id, Controllers: append([]principal.Principal(nil), controllers...), Cycles: cycles, Status: Running,
		FreezingThreshold: DefaultFreezingThreshold,
	}}, nil
}

// ID returns the canister's id.
func (c *Canister) ID() principal.Principal { return c.st.ID }

// State returns a copy of the canister's state.
func (c *Canister) State() State {
	s := c.st
	s.Controllers = append([]principal.Principal(nil), s.Controllers...)
	s.Module = append([]byte(nil), s.Module...)
	s.Stable = append([]byte(nil), s.Stable...)
	s.CertifiedData = append([]byte(nil), s.CertifiedData...)
	s.Table = append([]int64(nil), s.Table...)
	if c.inst != nil {
		s.Memory = append([]byte(nil), c.inst.Memory()...)
		s.Globals = c.inst.Globals()
	}
	return s
}

// StateHash is the SHA-256 of the canister's state encoding: equal on
// every node that executed the same messages.
func (c *Canister) StateHash() [32]byte {
	s := c.State()
	return sha256.Sum256(s.Encode())
}

// Encode encodes the state: every field length-prefixed, in order.
func (s *State) Encode() []byte {
	var b []byte
	blob := func(x []byte) {
		b = binary.BigEndian.AppendUint64(b, uint64(len(x)))
		b = append(b, x...)
	}
	num := func(x uint64) { b = binary.BigEndian.AppendUint64(b, x) }
	blob(s.ID.Bytes())
	num(uint64(len(s.Controllers)))
	for _, p := range s.Controllers {
		blob(p.Bytes())
	}
	blob(s.Module)
	b = append(b, s.ModuleHash[:]...)
	blob(s.Memory)
	num(uint64(len(s.Globals)))
	for _, g := range s.Globals {
		num(g)
	}
	blob(s.Stable)
	blob(s.CertifiedData)
	num(s.Cycles)
	num(uint64(s.Status))
	num(s.Version)
	num(s.GlobalTimer)
	num(s.FreezingThreshold)
	if len(s.Table) > 0 {
		// Only modules that change their table keep one, so that the
		// encoding of every other state is as before.
		num(uint64(len(s.Table)))
		for _, v := range s.Table {
			num(uint64(v))
		}
	}
	return b
}

// Prepared returns the installed module (nil for an empty canister).
func (c *Canister) Prepared() *Prepared { return c.prepared }

// Close releases the instance.
func (c *Canister) Close() {
	if c.inst != nil {
		c.inst.Close()
		c.inst = nil
	}
}

// Install installs a module on an empty canister (or reinstalls it,
// clearing all memory) and runs canister_init with arg. On a trap or an
// invalid module nothing changes.
func (c *Canister) Install(wasm []byte, msg Message) (*Result, error) {
	p, err := Prepare(wasm)
	if err != nil {
		return nil, err
	}
	compiled, err := c.cfg.Engine.Compile(p)
	if err != nil {
		return nil, err
	}
	return c.InstallCompiled(p, compiled, msg)
}

// InstallCompiled is Install with a module compiled before (from a
// compile cache).
func (c *Canister) InstallCompiled(p *Prepared, compiled Compiled, msg Message) (res *Result, err error) {
	paid, ok := c.prepay(c.cfg.InstallLimit, p.Wasm64)
	if !ok {
		r := c.outOfCycles(paid)
		return r, errors.New("execution: " + r.RejectMessage)
	}
	defer func() {
		if res != nil {
			c.settle(paid, res.Fuel, p.Wasm64)
		} else {
			c.settle(paid, 0, p.Wasm64)
		}
	}()
	old := c.saveAll()
	c.st.Stable = nil
	c.st.CertifiedData = nil
	c.st.GlobalTimer = 0
	c.inst = nil
	res, err = c.instantiate(p, compiled, msg, nil, "canister_init")
	if err != nil {
		c.restoreAll(old)
		return res, err
	}
	if old.inst != nil {
		old.inst.Close()
	}
	c.resync(true)
	c.moduleChanged = true
	c.stableDirtyAll()
	c.commitTable(true)
	return res, nil
}

// Upgrade replaces the module, keeping stable memory: canister_pre_upgrade
// runs on the old module, canister_post_upgrade (with arg) on the new one.
// keepMemory keeps the Wasm main memory (wasm_memory_persistence = keep,
// which Motoko's enhanced orthogonal persistence needs). On a trap or an
// invalid module nothing changes.
func (c *Canister) Upgrade(wasm []byte, msg Message, keepMemory bool) (*Result, error) {
	if c.inst == nil {
		return nil, errors.New("execution: upgrade of an empty canister")
	}
	p, err := Prepare(wasm)
	if err != nil {
		return nil, err
	}
	compiled, err := c.cfg.Engine.Compile(p)
	if err != nil {
		return nil, err
	}
	return c.UpgradeCompiled(p, compiled, msg, keepMemory)
}

// UpgradeCompiled is Upgrade with a module compiled before.
func (c *Canister) UpgradeCompiled(p *Prepared, compiled Compiled, msg Message, keepMemory bool) (result *Result, err error) {
	if c.inst == nil {
		return nil, errors.New("execution: upgrade of an empty canister")
	}
	if keepMemory && p.Wasm64 != c.prepared.Wasm64 {
		return nil, errors.New("execution: keeping the main memory needs the same memory type")
	}
	paid, ok := c.prepay(c.cfg.InstallLimit, p.Wasm64)
	if !ok {
		r := c.outOfCycles(paid)
		return r, errors.New("execution: " + r.RejectMessage)
	}
	defer func() {
		if result != nil {
			c.settle(paid, result.Fuel, p.Wasm64)
		} else {
			c.settle(paid, 0, p.Wasm64)
		}
	}()
	old := c.saveAll()
	res := &Result{}
	if c.prepared.HasExport("canister_pre_upgrade") {
		x := c.beginExec(CtxPreUpgrade, msg, c.cfg.InstallLimit)
		used, err := c.inst.Call("canister_pre_upgrade", c.cfg.InstallLimit)
		res.Fuel += used
		res.Log = x.log
		if t := x.trapOf(err); t != nil {
			c.restoreAll(old)
			res.Trap = t
			return res, t
		}
	}
	var mem []byte
	if keepMemory {
		mem = c.inst.Memory()
	}
	c.inst = nil // the old instance stays in old until the upgrade succeeds
	r2, err := c.instantiate(p, compiled, msg, mem, "canister_post_upgrade")
	if r2 != nil {
		r2.Fuel += res.Fuel
		r2.Log = append(res.Log, r2.Log...)
	}
	if err != nil {
		c.restoreAll(old)
		return r2, err
	}
	old.inst.Close()
	c.resync(true)
	c.moduleChanged = true
	c.commitTable(true)
	return r2, nil
}

// instantiate makes an instance of compiled, copies mem into its memory
// when not nil, and runs hook (canister_init or canister_post_upgrade).
func (c *Canister) instantiate(p *Prepared, compiled Compiled, msg Message, mem []byte, hook string) (*Result, error) {
	x := c.beginExec(CtxStart, msg, c.cfg.InstallLimit)
	inst, used, err := compiled.Instantiate(host{c}, c.cfg.InstallLimit)
	res := &Result{Fuel: used}
	if t := x.trapOf(err); t != nil {
		res.Trap, res.Log = t, x.log
		return res, t
	}
	c.inst, c.prepared, c.compiled = inst, p, compiled
	c.st.Module, c.st.ModuleHash = p.wasm, p.Hash
	if mem != nil {
		if err := inst.GrowMemory(uint64(len(mem))); err != nil {
			return res, fmt.Errorf("execution: keeping memory: %w", err)
		}
		copy(inst.Memory(), mem)
	}
	if p.info.hasStart {
		used2, err := inst.Call(exportStart, c.cfg.InstallLimit-used)
		used += used2
		res.Fuel = used
		if t := x.trapOf(err); t != nil {
			res.Trap, res.Log = t, x.log
			return res, t
		}
	}
	if p.HasExport(hook) {
		x.ctx = CtxInit
		x.limit = c.cfg.InstallLimit - used
		used2, err := inst.Call(hook, x.limit)
		res.Fuel += used2
		if t := x.trapOf(err); t != nil {
			res.Trap, res.Log = t, x.log
			return res, t
		}
	}
	res.Log = x.log
	c.st.Version++
	return res, nil
}

// saved is a canister's state kept to undo an install or upgrade.
type saved struct {
	st       State
	globals  []uint64
	prepared *Prepared
	compiled Compiled
	inst     Instance
}

func (c *Canister) saveAll() *saved {
	st := c.st
	st.Stable = append([]byte(nil), st.Stable...)
	st.CertifiedData = append([]byte(nil), st.CertifiedData...)
	s := &saved{st: st, prepared: c.prepared, compiled: c.compiled, inst: c.inst}
	if c.inst != nil {
		s.globals = c.inst.Globals()
	}
	return s
}

// restoreAll undoes a failed install or upgrade, including what a
// canister_pre_upgrade changed in the old instance.
func (c *Canister) restoreAll(s *saved) {
	if c.inst != nil && c.inst != s.inst {
		c.inst.Close()
	}
	c.st, c.prepared, c.compiled, c.inst = s.st, s.prepared, s.compiled, s.inst
	if c.inst != nil {
		if err := c.rollbackMemory(nil, s.globals); err != nil {
			// The old instance cannot be restored: rebuild it.
			_ = c.rebuildInstance(s.globals)
		}
		_ = c.rollbackTable(s.globals)
	}
}

// Update executes an update call: "canister_update <method>", or a
// "canister_query <method>" in replicated mode (its state changes are
// discarded).
func (c *Canister) Update(msg Message) *Result {
	return c.execute(CtxUpdate, "canister_update ", msg, c.cfg.UpdateLimit, false)
}

// Query executes a query ("canister_query <method>", or an update method
// called as a query) in non-replicated mode. It never changes the state.
func (c *Canister) Query(msg Message) *Result {
	return c.execute(CtxQuery, "canister_query ", msg, c.cfg.QueryLimit, true)
}

// GlobalTimer runs canister_global_timer if the timer is due at msg.Time
// and the canister is running (the timer is then cleared, as on the IC);
// it returns nil when it does not run.
func (c *Canister) GlobalTimer(msg Message) *Result {
	if c.inst == nil || c.st.Status != Running || c.st.GlobalTimer == 0 || msg.Time < c.st.GlobalTimer ||
		!c.prepared.HasExport("canister_global_timer") {
		return nil
	}
	timer := c.st.GlobalTimer
	c.st.GlobalTimer = 0
	msg.Method, msg.Arg, msg.Caller = "", nil, principal.Management()
	r := c.execute(CtxSystemTask, "canister_global_timer", msg, c.cfg.UpdateLimit, false)
	if r.RejectCode == RejectSysTransient && r.Trap == nil {
		// Out of cycles: the timer did not run and stays set.
		c.st.GlobalTimer = timer
	}
	return r
}

func reject(code int, format string, a ...any) *Result {
	return &Result{RejectCode: code, RejectMessage: fmt.Sprintf(format, a...)}
}

// execute runs one entry point, rolling back everything on a trap, and
// always when rollback is set.
func (c *Canister) execute(ctx Context, prefix string, msg Message, limit uint64, rollback bool) *Result {
	if c.inst == nil {
		return reject(RejectDestinationInvalid, "canister %s is empty", c.st.ID)
	}
	name := prefix + msg.Method
	if ctx == CtxSystemTask {
		name = prefix
	}
	if ctx == CtxUpdate && !c.prepared.updates[msg.Method] {
		if !c.prepared.queries[msg.Method] {
			return reject(RejectDestinationInvalid, "canister %s has no update method %q", c.st.ID, msg.Method)
		}
		// A query method called as an update runs in replicated mode;
		// its changes are discarded, as on the IC.
		ctx, name, rollback = CtxReplQuery, "canister_query "+msg.Method, true
	}
	if ctx == CtxQuery && c.prepared.comp[msg.Method] {
		// A composite query that makes no calls runs as a query; its
		// calls are not delivered yet.
		ctx, name = CtxCompositeQuery, "canister_composite_query "+msg.Method
	} else if ctx == CtxQuery && !c.prepared.queries[msg.Method] {
		if !c.prepared.updates[msg.Method] {
			return reject(RejectDestinationInvalid, "canister %s has no query method %q", c.st.ID, msg.Method)
		}
		name = "canister_update " + msg.Method
	}
	// Queries too run only on a running canister (the specification's
	// query call rule: canister_status = Running).
	if ctx&(CtxUpdate|CtxSystemTask|CtxReplQuery|CtxQuery|CtxCompositeQuery) != 0 && c.st.Status != Running {
		return notRunning(c.st.ID, c.st.Status)
	}

	return c.run(ctx, msg, limit, rollback, nil, func() (uint64, error) { return c.inst.Call(name, limit) })
}

// run executes one call into the instance, rolling back everything on a
// trap, and always when rollback is set. setup, if not nil, prepares the
// execution's System API state.
func (c *Canister) run(ctx Context, msg Message, limit uint64, rollback bool, setup func(*execCtx), call func() (uint64, error)) *Result {
	// Save what a trap must restore: globals and the small fields here;
	// memory comes back from the shadow copy (the pages the message
	// wrote), stable memory through the execution's undo log.
	var paid uint64
	charged := ctx&(CtxUpdate|CtxReplQuery|CtxSystemTask|CtxReply|CtxReject|CtxCleanup) != 0
	switch {
	case ctx&(CtxReply|CtxReject) != 0:
		// call_perform prepaid the callback's execution.
		paid = c.cfg.Fees.Execution(limit, c.prepared.Wasm64)
	case charged && ctx != CtxCleanup:
		var ok bool
		if paid, ok = c.prepay(limit, c.prepared.Wasm64); !ok {
			res := c.outOfCycles(paid)
			res.Refund = msg.Cycles
			return res
		}
	}
	wasm64 := c.prepared.Wasm64
	globals := c.inst.Globals()
	cert, cycles, timer := c.st.CertifiedData, c.st.Cycles, c.st.GlobalTimer

	x := c.beginExec(ctx, msg, limit)
	if setup != nil {
		setup(x)
	}
	used, err := call()
	c.cur = nil
	res := &Result{Fuel: used, Log: x.log}
	t := x.trapOf(err)
	if charged {
		defer c.settle(paid, used, wasm64)
	}
	if t != nil || rollback {
		rb := c.rollbackMemory
		if c.sess != nil {
			rb = c.sess.rollbackExec
		}
		if err := rb(x, globals); err != nil {
			// The instance cannot be brought back; it is rebuilt.
			t = &Trap{Kind: TrapWasm, Msg: err.Error()}
		}
		if c.sess == nil {
			if err := c.rollbackTable(globals); err != nil {
				t = &Trap{Kind: TrapWasm, Msg: err.Error()}
			}
		}
		x.undoStable()
		c.st.CertifiedData, c.st.Cycles, c.st.GlobalTimer = cert, cycles, timer
	} else if c.sess != nil {
		c.sess.commitExec(x)
	} else {
		c.commitMemory(x)
		c.commitTable(false)
	}
	if t != nil {
		res.Trap = t
		res.RejectCode = RejectCanisterError
		res.RejectMessage = fmt.Sprintf("canister %s trapped: %s", c.st.ID, t.Msg)
		res.Refund = msg.Cycles
		return res
	}
	res.Refund = msg.Cycles - x.accepted
	if x.building != nil {
		// A call under construction that was not performed gives its
		// cycles back.
		c.st.Cycles += x.building.Cycles
		x.building = nil
	}
	if !rollback {
		res.Calls = x.calls
	}
	switch {
	case x.replied:
		res.Replied, res.Reply = true, x.reply
		if res.Reply == nil {
			res.Reply = []byte{}
		}
	case x.rejected:
		res.RejectCode, res.RejectMessage = RejectCanisterReject, x.rejectMsg
	case len(res.Calls) == 0 && ctx&(CtxUpdate|CtxQuery|CtxReplQuery|CtxCompositeQuery) != 0:
		res.RejectCode = RejectCanisterError
		res.RejectMessage = fmt.Sprintf("canister %s did not reply to the call", c.st.ID)
	}
	return res
}

// Response is the answer to an outgoing call, delivered to its callback.
type Response struct {
	// RejectCode is 0 for a reply (Reply holds its data), else the
	// reject's code and message.
	RejectCode    int
	Reply         []byte
	RejectMessage string
	// Refund is the cycles coming back (attached and not accepted).
	Refund uint64
}

// Callback runs the reply or reject callback of call with resp. orig is
// the message whose execution made the call (its caller and deadline);
// responded says whether that call has been answered already, in which
// case the callback may not reply. If the callback traps, its changes are
// undone and the call's cleanup callback runs (its changes persist). The
// Result's Reply or reject answers the original call, if the callback
// gave one.
func (c *Canister) Callback(call Call, resp Response, orig Message, responded bool) *Result {
	if c.inst == nil {
		return reject(RejectDestinationInvalid, "canister %s is empty", c.st.ID)
	}
	c.st.Cycles += min(resp.Refund, ^uint64(0)-c.st.Cycles)
	// The call prepaid the transmission of the largest response.
	size := uint64(len(resp.Reply) + len(resp.RejectMessage))
	c.AddCycles(c.cfg.Fees.responseBytes(maxResponseBytes - min(size, maxResponseBytes)))
	orig.Certificate = nil
	return c.callback(call, resp, orig, responded, CtxReply, CtxReject, CtxCleanup, c.cfg.UpdateLimit)
}

// callback runs a reply or reject callback in the contexts given (those
// of an update or of a composite query) and, if it traps, the cleanup.
func (c *Canister) callback(call Call, resp Response, orig Message, responded bool, ctxReply, ctxReject, ctxCleanup Context, limit uint64) *Result {
	ctx, fun, env := ctxReply, call.ReplyFun, call.ReplyEnv
	msg := orig
	msg.Cycles, msg.Arg = 0, resp.Reply
	// In a callback the current call is the one whose response it
	// handles.
	msg.Deadline = call.Deadline
	if resp.RejectCode != 0 {
		ctx, fun, env = ctxReject, call.RejectFun, call.RejectEnv
		msg.Arg = nil
	}
	setup := func(x *execCtx) {
		x.rejectCode, x.rejectText, x.refunded = resp.RejectCode, resp.RejectMessage, resp.Refund
		x.replied = responded
	}
	res := c.run(ctx, msg, limit, false, setup, func() (uint64, error) { return c.inst.CallTable(fun, env, limit) })
	if responded {
		res.Replied, res.Reply = false, nil
		if res.Trap == nil {
			res.RejectCode, res.RejectMessage = 0, ""
		}
	}
	if res.Trap != nil && call.Cleanup {
		cl := c.run(ctxCleanup, msg, limit, false, setup, func() (uint64, error) {
			return c.inst.CallTable(call.CleanupFun, call.CleanupEnv, limit)
		})
		res.Fuel += cl.Fuel
		res.Log = append(res.Log, cl.Log...)
	}
	return res
}

// Load returns a canister with a persisted state (from State): the module
// is compiled (or taken from compiled, when not nil, as a compile cache
// gives it) and instantiated, and the memory and globals are set to the
// state's. The start function does not run again: its effects are in the
// state.
func Load(cfg Config, st State, compiled Compiled) (*Canister, error) {
	c, err := New(cfg, st.ID, st.Controllers, st.Cycles)
	if err != nil {
		return nil, err
	}
	c.st = st
	c.st.Memory, c.st.Globals = nil, nil
	if st.Module == nil {
		return c, nil
	}
	p, err := Prepare(st.Module)
	if err != nil {
		return nil, err
	}
	if p.Hash != st.ModuleHash {
		return nil, errors.New("execution: module hash does not match the module")
	}
	if compiled == nil {
		if compiled, err = c.cfg.Engine.Compile(p); err != nil {
			return nil, err
		}
	}
	c.cur = &execCtx{c: c, ctx: CtxStart}
	inst, _, err := compiled.Instantiate(host{c}, c.cfg.InstallLimit)
	c.cur = nil
	if err != nil {
		return nil, fmt.Errorf("execution: instantiating: %w", err)
	}
	if err := inst.GrowMemory(uint64(len(st.Memory))); err != nil {
		inst.Close()
		return nil, err
	}
	if mem := inst.Memory(); len(mem) != len(st.Memory) {
		inst.Close()
		return nil, fmt.Errorf("execution: state has %d bytes of memory, the module %d", len(st.Memory), len(mem))
	}
	copy(inst.Memory(), st.Memory)
	if err := inst.SetGlobals(st.Globals); err != nil {
		inst.Close()
		return nil, err
	}
	if k, ok := inst.(tableKeeper); ok && st.Table != nil {
		if err := k.SetTableState(st.Table); err != nil {
			inst.Close()
			return nil, err
		}
	}
	c.inst, c.prepared, c.compiled = inst, p, compiled
	c.resync(false)
	if st.Table == nil {
		c.commitTable(true)
	}
	return c, nil
}

// Heartbeat runs canister_heartbeat, if the module exports it (nil if
// not).
func (c *Canister) Heartbeat(msg Message) *Result {
	if c.inst == nil || !c.prepared.HasExport("canister_heartbeat") {
		return nil
	}
	msg.Method, msg.Arg, msg.Caller = "", nil, principal.Management()
	return c.execute(CtxSystemTask, "canister_heartbeat", msg, c.cfg.UpdateLimit, false)
}

// Inspect runs canister_inspect_message for an ingress update call and
// says whether the canister accepts it: a module without the hook accepts
// every message, one with it must call ic0.accept_message without
// trapping. It never changes the state.
func (c *Canister) Inspect(msg Message) (bool, *Result) {
	if c.inst == nil {
		return false, reject(RejectDestinationInvalid, "canister %s is empty", c.st.ID)
	}
	if !c.prepared.HasExport("canister_inspect_message") {
		return true, &Result{}
	}
	var accepted bool
	limit := c.cfg.QueryLimit
	res := c.run(CtxInspect, msg, limit, true, nil, func() (uint64, error) {
		used, err := c.inst.Call("canister_inspect_message", limit)
		accepted = c.cur.inspectAccepted
		return used, err
	})
	return accepted && res.Trap == nil, res
}

// SetStatus sets the canister's run status (stop and start). Updates,
// timers and heartbeats are rejected unless it is Running.
func (c *Canister) SetStatus(s Status) { c.st.Status = s }

// Uninstall removes the module, the Wasm memory and globals, stable
// memory, certified data and the timer, as the IC's uninstall_code does;
// the canister keeps its id, controllers and cycles.
func (c *Canister) Uninstall() {
	c.Close()
	c.prepared, c.compiled = nil, nil
	c.st.Module, c.st.ModuleHash = nil, [32]byte{}
	c.st.Stable, c.st.CertifiedData, c.st.GlobalTimer = nil, nil, 0
	c.st.Version++
	c.shadow.resize(0)
	c.memReset, c.stableReset, c.moduleChanged = true, true, true
	c.memDirty.clear()
	c.stableDirty.clear()
}
