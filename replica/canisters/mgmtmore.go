package canisters

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"slices"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// mgmtOrigin is the canister whose call the management canister is
// executing (nil for an ingress message): it is the origin of the
// history changes the call makes.
type mgmtOrigin struct {
	caller  principal.Principal
	version uint64
}

// Candid types of the management canister methods this file adds
// (ic.did).
type fullSettings struct {
	Controllers         *[]principal.Principal `candid:"controllers"`
	ComputeAllocation   *big.Int               `candid:"compute_allocation,opt"`
	MemoryAllocation    *big.Int               `candid:"memory_allocation,opt"`
	FreezingThreshold   *big.Int               `candid:"freezing_threshold,opt"`
	ReservedCyclesLimit *big.Int               `candid:"reserved_cycles_limit,opt"`
	LogVisibility       *visibility            `candid:"log_visibility"`
	WasmMemoryLimit     *big.Int               `candid:"wasm_memory_limit,opt"`
	WasmMemoryThreshold *big.Int               `candid:"wasm_memory_threshold,opt"`
	EnvironmentVars     *[]envVar              `candid:"environment_variables"`
}

type provisionalCreateArgs struct {
	Amount    *big.Int             `candid:"amount,opt"`
	Settings  *fullSettings        `candid:"settings"`
	Specified *principal.Principal `candid:"specified_id"`
}

type createFullArgs struct {
	Settings *fullSettings `candid:"settings"`
}

type updateFullArgs struct {
	CanisterID principal.Principal `candid:"canister_id"`
	Settings   fullSettings        `candid:"settings"`
}

type uploadChunkArgs struct {
	CanisterID principal.Principal `candid:"canister_id"`
	Chunk      []byte              `candid:"chunk"`
}

type chunkHash struct {
	Hash []byte `candid:"hash"`
}

type installChunkedArgs struct {
	Mode           installMode          `candid:"mode"`
	Target         principal.Principal  `candid:"target_canister"`
	Store          *principal.Principal `candid:"store_canister"`
	ChunkHashes    []chunkHash          `candid:"chunk_hashes_list"`
	WasmModuleHash []byte               `candid:"wasm_module_hash"`
	Arg            []byte               `candid:"arg"`
}

func rejectf(code int, format string, a ...any) ([]byte, int, string) {
	return nil, code, fmt.Sprintf(format, a...)
}

// manageMore answers the management canister methods this file
// implements, for an ingress message (c.origin nil) or a canister's call
// (c.origin set, cycles attached); handled is false for the others.
// used says how many of the attached cycles the call took.
func (c *Component) manageMore(m *Message, sender principal.Principal, cycles uint64) (reply []byte, code int, msg string, used uint64, handled bool) {
	bad := func(err error) ([]byte, int, string, uint64, bool) {
		return nil, execution.RejectCanisterError, fmt.Sprintf("management canister: %s: invalid argument: %v", m.Method, err), 0, true
	}
	done := func(r []byte, code int, msg string) ([]byte, int, string, uint64, bool) {
		return r, code, msg, 0, true
	}
	switch m.Method {
	case "provisional_create_canister_with_cycles":
		var a provisionalCreateArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		amount := uint64(defaultProvisionalCycles)
		if a.Amount != nil {
			var err error
			if amount, err = cyclesAmount(a.Amount); err != nil {
				return done(rejectMint(err))
			}
		}
		// The fee is taken from the minted amount: the attached cycles
		// of a canister's call are returned.
		r, code, msg := c.createCanister(sender, a.Settings, amount, a.Specified, true)
		return done(r, code, msg)
	case "create_canister":
		var a createFullArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		// The attached cycles move from the caller: nothing is minted.
		r, code, msg := c.createCanister(sender, a.Settings, cycles, nil, false)
		if code == 0 {
			used = cycles
		}
		return r, code, msg, used, true
	case "deposit_cycles":
		if c.origin == nil {
			return nil, 0, "", 0, false // the ingress form deposits nothing
		}
		var a canisterIDArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		e, ok := c.cans[string(a.CanisterID.Bytes())]
		if !ok {
			return done(rejectf(execution.RejectDestinationInvalid, "canister %s not found", a.CanisterID))
		}
		e.can.AddCycles(cycles)
		c.dirty[string(e.id.Bytes())] = true
		return emptyCandid, 0, "", cycles, true
	case "update_settings":
		var a updateFullArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		e, r, code, msg := c.controlled(a.CanisterID, sender)
		if e == nil {
			return done(r, code, msg)
		}
		if err := c.validateSettings(&a.Settings, e); err != nil {
			return done(rejectf(execution.RejectCanisterError, "management canister: update_settings: invalid settings: %v", err))
		}
		e.can.BumpVersion()
		c.applySettings(e, &a.Settings, sender)
		return done(emptyCandid, 0, "")
	case "canister_status":
		var a canisterIDArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		e, r, code, msg := c.controlled(a.CanisterID, sender)
		if e == nil {
			return done(r, code, msg)
		}
		return done(encodeReply(c.fullStatus(e)))
	case "canister_info":
		var a canisterInfoArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		e, ok := c.cans[string(a.CanisterID.Bytes())]
		if !ok {
			return done(rejectf(execution.RejectDestinationInvalid, "canister %s not found", a.CanisterID))
		}
		var n uint64
		if a.Changes != nil {
			n = *a.Changes
		}
		return done(canisterInfo(e, n))
	case "upload_chunk":
		var a uploadChunkArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		e, r, code, msg := c.controlledOrSelf(a.CanisterID, sender)
		if e == nil {
			return done(r, code, msg)
		}
		if len(a.Chunk) > MaxChunkBytes {
			return done(rejectf(execution.RejectCanisterError, "management canister: upload_chunk: chunk of %d bytes exceeds the maximum of %d bytes", len(a.Chunk), MaxChunkBytes))
		}
		h := sha256.Sum256(a.Chunk)
		if _, ok := e.chunks.data[h]; !ok && e.chunks.size+len(a.Chunk) > MaxChunkStoreBytes {
			return done(rejectf(execution.RejectCanisterError, "management canister: upload_chunk: the Wasm chunk store of canister %s is full (%d of %d bytes used)", e.id, e.chunks.size, MaxChunkStoreBytes))
		}
		e.chunks.add(a.Chunk)
		c.dirty[string(e.id.Bytes())] = true
		return done(encodeReply(chunkHash{Hash: h[:]}))
	case "stored_chunks":
		var a canisterIDArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		e, r, code, msg := c.controlledOrSelf(a.CanisterID, sender)
		if e == nil {
			return done(r, code, msg)
		}
		out := []chunkHash{}
		for _, h := range e.chunks.hashes() {
			out = append(out, chunkHash{Hash: h})
		}
		return done(encodeReply(out))
	case "clear_chunk_store":
		var a canisterIDArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		e, r, code, msg := c.controlledOrSelf(a.CanisterID, sender)
		if e == nil {
			return done(r, code, msg)
		}
		e.chunks.clear()
		c.dirty[string(e.id.Bytes())] = true
		return done(emptyCandid, 0, "")
	case "install_chunked_code":
		var a installChunkedArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		return done(c.installChunked(&a, m, sender))
	}
	return nil, 0, "", 0, false
}

// controlled returns the canister id if sender controls it, or the
// reject.
func (c *Component) controlled(id, sender principal.Principal) (*entry, []byte, int, string) {
	e, ok := c.cans[string(id.Bytes())]
	if !ok {
		r, code, msg := rejectf(execution.RejectDestinationInvalid, "canister %s not found", id)
		return nil, r, code, msg
	}
	if !slices.Contains(e.controllers, sender) {
		r, code, msg := rejectf(execution.RejectCanisterError, "%s is not a controller of %s", sender, e.id)
		return nil, r, code, msg
	}
	return e, nil, 0, ""
}

// controlledOrSelf is controlled that also lets the canister itself in
// (the chunk store methods).
func (c *Component) controlledOrSelf(id, sender principal.Principal) (*entry, []byte, int, string) {
	if id == sender {
		if e, ok := c.cans[string(id.Bytes())]; ok {
			return e, nil, 0, ""
		}
	}
	return c.controlled(id, sender)
}

// installChunked is install_chunked_code: the module is the
// concatenation of the listed chunks of the store canister's chunk
// store, and must hash to wasm_module_hash.
func (c *Component) installChunked(a *installChunkedArgs, m *Message, sender principal.Principal) ([]byte, int, string) {
	target, r, code, msg := c.controlled(a.Target, sender)
	if target == nil {
		return r, code, msg
	}
	store := target
	if a.Store != nil && *a.Store != a.Target {
		if store, r, code, msg = c.controlledOrSelf(*a.Store, sender); store == nil {
			return r, code, msg
		}
	}
	if len(a.WasmModuleHash) != 32 {
		return rejectf(execution.RejectCanisterError, "management canister: install_chunked_code: wasm_module_hash of %d bytes", len(a.WasmModuleHash))
	}
	if len(a.ChunkHashes) == 0 {
		return rejectf(execution.RejectCanisterError, "management canister: install_chunked_code: chunk_hashes_list is empty")
	}
	var wasm []byte
	for _, ch := range a.ChunkHashes {
		var h [32]byte
		if len(ch.Hash) != 32 {
			return rejectf(execution.RejectCanisterError, "management canister: install_chunked_code: chunk hash of %d bytes", len(ch.Hash))
		}
		copy(h[:], ch.Hash)
		b, ok := store.chunks.data[h]
		if !ok {
			return rejectf(execution.RejectCanisterError, "management canister: install_chunked_code: chunk %x is not in the chunk store of %s", h, store.id)
		}
		wasm = append(wasm, b...)
	}
	if got := sha256.Sum256(wasm); !bytes.Equal(got[:], a.WasmModuleHash) {
		return rejectf(execution.RejectCanisterError, "management canister: install_chunked_code: the chunks' module hash %x differs from wasm_module_hash %x", got, a.WasmModuleHash)
	}
	o := &Message{Kind: KindInstall, Sender: m.Sender, Canister: a.Target.Bytes(), Expiry: m.Expiry, Wasm: wasm, Arg: a.Arg}
	switch {
	case a.Mode.Reinstall != nil:
		o.Kind = KindReinstall
	case a.Mode.Upgrade != nil:
		o.Kind = KindUpgrade
		if u := *a.Mode.Upgrade; u != nil && u.WasmMemoryPersistence != nil && u.WasmMemoryPersistence.Keep != nil {
			o.KeepMemory = true
		}
	}
	return c.operate(o, sender)
}

// createCanister creates a canister for sender with settings (nil: the
// defaults), paying the creation fee from cycles, at specified (nil:
// the next free id of the subnet's range). mint says the cycles are new
// (provisional), not moved from a caller: they count against the
// subnet's supply (supply.go).
func (c *Component) createCanister(sender principal.Principal, s *fullSettings, cycles uint64, specified *principal.Principal, mint bool) ([]byte, int, string) {
	if s == nil {
		s = &fullSettings{}
	}
	if err := c.validateSettings(s, nil); err != nil {
		return rejectf(execution.RejectCanisterError, "management canister: create_canister: invalid settings: %v", err)
	}
	var id principal.Principal
	if specified != nil {
		idx, ok := specified.CanisterIndex()
		if !ok || idx < c.cfg.FirstIndex || idx > c.cfg.LastIndex {
			return rejectf(execution.RejectCanisterError, "management canister: specified_id %s is not in the subnet's canister range", *specified)
		}
		if c.taken(*specified) {
			return rejectf(execution.RejectCanisterError, "management canister: canister %s already exists", *specified)
		}
		id = *specified
	} else {
		for c.g.NextIndex <= c.cfg.LastIndex && c.taken(CanisterID(c.g.NextIndex)) {
			c.g.NextIndex++
			c.gdirty = true
		}
		if c.g.NextIndex > c.cfg.LastIndex {
			return rejectf(execution.RejectSysTransient, "the subnet's canister range is exhausted")
		}
		id = CanisterID(c.g.NextIndex)
	}
	fee := c.creationFee()
	if cycles < fee {
		return rejectf(execution.RejectSysTransient, "creating a canister costs %d cycles, %d given", fee, cycles)
	}
	if mint {
		if err := c.mint(cycles - fee); err != nil {
			return rejectMint(err)
		}
	}
	ctrls := []principal.Principal{sender}
	if s.Controllers != nil {
		ctrls = nil
		for _, p := range *s.Controllers {
			if !slices.Contains(ctrls, p) {
				ctrls = append(ctrls, p)
			}
		}
	}
	can, err := execution.New(c.cfg.Exec, id, ctrls, cycles-fee)
	if err != nil {
		return rejectf(execution.RejectCanisterError, "%v", err)
	}
	if specified == nil {
		c.g.NextIndex++
		c.gdirty = true
	}
	e := &entry{id: id, can: can, controllers: ctrls}
	c.cans[string(id.Bytes())] = e
	c.dirty[string(id.Bytes())] = true
	c.hashValid = false
	c.record(e, histChange{Kind: changeCreation, Controllers: principalsBytes(ctrls)}, sender)
	s.Controllers = nil // recorded as the creation's
	c.applySettings(e, s, sender)
	return encodeReply(createResult{CanisterID: id})
}

// taken reports whether a canister (Wasm or Go) has id, or had it.
func (c *Component) taken(id principal.Principal) bool {
	k := string(id.Bytes())
	_, a := c.cans[k]
	_, b := c.gocans[k]
	_, d := c.deleted[k]
	return a || b || d
}

func natU64(n *big.Int, what string) (uint64, error) {
	if n.Sign() < 0 || !n.IsUint64() {
		return 0, fmt.Errorf("%s %s does not fit in 64 bits", what, n)
	}
	return n.Uint64(), nil
}

// validateSettings checks settings as the IC does; e is the canister
// they change (nil for a canister being created).
func (c *Component) validateSettings(s *fullSettings, e *entry) error {
	if s.Controllers != nil && len(*s.Controllers) > MaxControllers {
		return fmt.Errorf("%d controllers, at most %d allowed", len(*s.Controllers), MaxControllers)
	}
	if s.ComputeAllocation != nil {
		if s.ComputeAllocation.Cmp(big.NewInt(100)) > 0 {
			return fmt.Errorf("compute_allocation expected to be in the range [0..100], got %s", s.ComputeAllocation)
		}
	}
	if s.MemoryAllocation != nil {
		if s.MemoryAllocation.Cmp(new(big.Int).SetUint64(maxWasmMemoryLimit)) > 0 {
			return fmt.Errorf("memory_allocation expected to be in the range [0..%d], got %s", uint64(maxWasmMemoryLimit), s.MemoryAllocation)
		}
		if e != nil && s.MemoryAllocation.Sign() > 0 {
			if used := memoryUsed(e); s.MemoryAllocation.Uint64() < used {
				return fmt.Errorf("memory_allocation %s is below the canister's memory usage of %d bytes", s.MemoryAllocation, used)
			}
		}
	}
	if s.FreezingThreshold != nil {
		if _, err := natU64(s.FreezingThreshold, "freezing_threshold"); err != nil {
			return err
		}
	}
	if s.ReservedCyclesLimit != nil && s.ReservedCyclesLimit.BitLen() > 128 {
		return fmt.Errorf("reserved_cycles_limit %s does not fit in 128 bits", s.ReservedCyclesLimit)
	}
	if s.WasmMemoryLimit != nil && s.WasmMemoryLimit.Cmp(new(big.Int).SetUint64(maxWasmMemoryLimit)) > 0 {
		return fmt.Errorf("wasm_memory_limit expected to be in the range [0..%d], got %s", uint64(maxWasmMemoryLimit), s.WasmMemoryLimit)
	}
	if s.WasmMemoryThreshold != nil {
		if _, err := natU64(s.WasmMemoryThreshold, "wasm_memory_threshold"); err != nil {
			return err
		}
	}
	if v := s.LogVisibility; v != nil && v.AllowedViewers != nil && len(*v.AllowedViewers) > maxAllowedViewers {
		return fmt.Errorf("%d allowed log viewers, at most %d allowed", len(*v.AllowedViewers), maxAllowedViewers)
	}
	if s.EnvironmentVars != nil {
		vars := *s.EnvironmentVars
		if len(vars) > maxEnvVars {
			return fmt.Errorf("%d environment variables, at most %d allowed", len(vars), maxEnvVars)
		}
		seen := map[string]bool{}
		for _, v := range vars {
			if len(v.Name) == 0 || len(v.Name) > 128 || len(v.Value) > 128 {
				return fmt.Errorf("environment variable %q: names of 1 to 128 bytes and values of at most 128 bytes", v.Name)
			}
			if seen[v.Name] {
				return fmt.Errorf("environment variable %q given twice", v.Name)
			}
			seen[v.Name] = true
		}
	}
	return nil
}

// applySettings sets the given settings of a canister (validated).
func (c *Component) applySettings(e *entry, s *fullSettings, sender principal.Principal) {
	st := &e.mgmt.Settings
	if s.Controllers != nil {
		c.setControllers(e, *s.Controllers)
		c.record(e, histChange{Kind: changeControllers, Controllers: principalsBytes(e.controllers)}, sender)
	}
	if s.ComputeAllocation != nil {
		st.ComputeAllocation = s.ComputeAllocation.Uint64()
	}
	if s.MemoryAllocation != nil {
		st.MemoryAllocation = s.MemoryAllocation.Uint64()
	}
	if s.FreezingThreshold != nil {
		e.can.SetFreezingThreshold(s.FreezingThreshold.Uint64())
	}
	if s.ReservedCyclesLimit != nil {
		st.ReservedCyclesLimit = new(big.Int).Set(s.ReservedCyclesLimit)
	}
	if v := s.LogVisibility; v != nil {
		st.LogViewers = nil
		switch {
		case v.Public != nil:
			st.LogVisibility = logPublic
		case v.AllowedViewers != nil:
			st.LogVisibility = logAllowed
			st.LogViewers = principalsBytes(*v.AllowedViewers)
		default:
			st.LogVisibility = logControllers
		}
	}
	if s.WasmMemoryLimit != nil {
		n := s.WasmMemoryLimit.Uint64()
		st.WasmMemoryLimit = &n
	}
	if s.WasmMemoryThreshold != nil {
		st.WasmMemoryThreshold = s.WasmMemoryThreshold.Uint64()
	}
	if s.EnvironmentVars != nil {
		st.EnvVars = nil
		for _, v := range *s.EnvironmentVars {
			st.EnvVars = append(st.EnvVars, [2]string{v.Name, v.Value})
		}
	}
	c.dirty[string(e.id.Bytes())] = true
	c.hashValid = false
}

// memoryUsed is a canister's memory_size: its memories, module, globals,
// history and chunk store.
func memoryUsed(e *entry) uint64 {
	st := e.can.State()
	return uint64(len(st.Memory)+len(st.Stable)+len(st.Module)+8*len(st.Globals)+historySize(&e.mgmt)) + uint64(e.chunks.size)
}

// fullStatus is canister_status's reply with the canister's settings and
// memory.
func (c *Component) fullStatus(e *entry) canisterStatusResult {
	r := statusOf(e.can, e.controllers).(canisterStatusResult)
	st := e.can.State()
	s := &e.mgmt.Settings
	r.Settings.ComputeAllocation = new(big.Int).SetUint64(s.ComputeAllocation)
	r.Settings.MemoryAllocation = new(big.Int).SetUint64(s.MemoryAllocation)
	r.Settings.FreezingThreshold = new(big.Int).SetUint64(st.FreezingThreshold)
	if s.ReservedCyclesLimit != nil {
		r.Settings.ReservedCyclesLimit = new(big.Int).Set(s.ReservedCyclesLimit)
	}
	switch s.LogVisibility {
	case logPublic:
		r.Settings.LogVisibility = visibility{Public: &candid.Null{}}
	case logAllowed:
		vs := bytesPrincipals(s.LogViewers)
		r.Settings.LogVisibility = visibility{AllowedViewers: &vs}
	}
	if s.WasmMemoryLimit != nil {
		r.Settings.WasmMemoryLimit = new(big.Int).SetUint64(*s.WasmMemoryLimit)
	}
	r.Settings.WasmMemoryThreshold = new(big.Int).SetUint64(s.WasmMemoryThreshold)
	for _, v := range s.EnvVars {
		r.Settings.EnvironmentVars = append(r.Settings.EnvironmentVars, envVar{Name: v[0], Value: v[1]})
	}
	used := memoryUsed(e)
	r.MemorySize = new(big.Int).SetUint64(used)
	r.MemoryMetrics.History = big.NewInt(int64(historySize(&e.mgmt)))
	r.MemoryMetrics.ChunkStore = big.NewInt(int64(e.chunks.size))
	// Idle burn: the storage fee of a day, of the allocation when it
	// exceeds the usage (as the IC charges).
	fees := c.cfg.Exec.Fees
	r.IdleCyclesBurned = new(big.Int).SetUint64(fees.Storage(max(used, s.MemoryAllocation), 86_400))
	return r
}

// logVisible reports whether viewer may read the canister's logs.
func logVisible(e *entry, viewer principal.Principal) bool {
	switch e.mgmt.Settings.LogVisibility {
	case logPublic:
		return true
	case logAllowed:
		if slices.ContainsFunc(e.mgmt.Settings.LogViewers, func(b []byte) bool { return bytes.Equal(b, viewer.Bytes()) }) {
			return true
		}
	}
	return slices.Contains(e.controllers, viewer)
}

// operated records a successful controller operation in the canister's
// history.
func (c *Component) operated(e *entry, kind uint8, sender principal.Principal) {
	switch kind {
	case KindInstall, KindReinstall, KindUpgrade:
		mode := map[uint8]uint8{KindInstall: modeInstall, KindReinstall: modeReinstall, KindUpgrade: modeUpgrade}[kind]
		mh := e.can.State().ModuleHash
		c.record(e, histChange{Kind: changeDeployment, Mode: mode, ModuleHash: slices.Clone(mh[:])}, sender)
	case KindUninstall:
		c.record(e, histChange{Kind: changeUninstall}, sender)
		// The chunk store goes with the code, as on the IC.
		e.chunks.clear()
	}
	// Logs survive upgrades, not reinstalls and uninstalls.
	if (kind == KindReinstall || kind == KindUninstall) && e.log != nil {
		e.log, e.logDirty = nil, true
	}
}

// managementMore answers a canister's call to the management canister
// with the controller methods (create_canister, deposit_cycles,
// update_settings, install_code, the chunk store, ...); it reports false
// for the methods it does not answer.
func (c *Component) managementMore(o *outCall) bool {
	switch o.Method {
	case "create_canister", "deposit_cycles", "update_settings", "canister_status", "canister_info",
		"upload_chunk", "stored_chunks", "clear_chunk_store", "install_chunked_code",
		"provisional_create_canister_with_cycles", "provisional_top_up_canister",
		"install_code", "uninstall_code", "delete_canister":
	default:
		return false
	}
	caller := mustPrincipal(o.From)
	prev := c.origin
	c.origin = &mgmtOrigin{caller: caller}
	if e, ok := c.cans[string(o.From)]; ok {
		c.origin.version = e.can.State().Version
	}
	defer func() { c.origin = prev }()
	m := &Message{Kind: KindCall, Sender: o.From, Method: o.Method, Arg: o.Arg}
	reply, code, msg, used, ok := c.manageMore(m, caller, o.Cycles)
	if !ok {
		reply, code, msg = c.manageIngress(m, caller)
		used = 0
	}
	resp := &response{Reply: nonNil(reply), Refund: o.Cycles - used}
	if code != 0 {
		resp = &response{Code: uint64(code), Message: msg, Refund: o.Cycles}
	}
	c.g.Queue = append(c.g.Queue, task{Call: o.ID, Resp: resp})
	c.gdirty = true
	return true
}

// fetchLogs answers fetch_canister_logs with the canister's log
// visibility.
func (c *Component) fetchLogs(sender principal.Principal, arg []byte) *execution.Result {
	var a canisterIDArgs
	if err := candid.Decode(arg, &a); err != nil {
		return &execution.Result{RejectCode: execution.RejectCanisterError, RejectMessage: fmt.Sprintf("management canister: fetch_canister_logs: invalid argument: %v", err)}
	}
	e, ok := c.cans[string(a.CanisterID.Bytes())]
	if !ok {
		return &execution.Result{RejectCode: execution.RejectDestinationInvalid, RejectMessage: fmt.Sprintf("canister %s not found", a.CanisterID)}
	}
	if !logVisible(e, sender) {
		return &execution.Result{RejectCode: execution.RejectCanisterError, RejectMessage: fmt.Sprintf("caller %s is not allowed to read the logs of %s", sender, e.id)}
	}
	b, err := candid.Encode(fetchLogsResult{Records: c.logsOf(e.id.Bytes())})
	if err != nil {
		return &execution.Result{RejectCode: execution.RejectCanisterError, RejectMessage: err.Error()}
	}
	return &execution.Result{Replied: true, Reply: b}
}
