package canisters

import (
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// Candid types of the management canister methods that ingress messages
// reach (ic.did). Fields the component does not act on are left out:
// Candid's subtyping skips them when decoding.
type canisterSettings struct {
	Controllers *[]principal.Principal `candid:"controllers"`
}

type createArgs struct {
	Amount    *big.Int             `candid:"amount,opt"`
	Settings  *canisterSettings    `candid:"settings"`
	Specified *principal.Principal `candid:"specified_id"`
}

type updateSettingsArgs struct {
	CanisterID principal.Principal `candid:"canister_id"`
	Settings   canisterSettings    `candid:"settings"`
}

type canisterIDArgs struct {
	CanisterID principal.Principal `candid:"canister_id"`
}

type topUpArgs struct {
	CanisterID principal.Principal `candid:"canister_id"`
	Amount     *big.Int            `candid:"amount"`
}

type memoryPersistence struct {
	candid.IsVariant
	Keep    *candid.Null `candid:"keep"`
	Replace *candid.Null `candid:"replace"`
}

type upgradeOptions struct {
	SkipPreUpgrade        *bool              `candid:"skip_pre_upgrade"`
	WasmMemoryPersistence *memoryPersistence `candid:"wasm_memory_persistence"`
}

type installMode struct {
	candid.IsVariant
	Install   *candid.Null     `candid:"install"`
	Reinstall *candid.Null     `candid:"reinstall"`
	Upgrade   **upgradeOptions `candid:"upgrade"`
}

type installCodeArgs struct {
	Mode       installMode         `candid:"mode"`
	CanisterID principal.Principal `candid:"canister_id"`
	WasmModule []byte              `candid:"wasm_module"`
	Arg        []byte              `candid:"arg"`
}

type statusVariant struct {
	candid.IsVariant
	Running  *candid.Null `candid:"running"`
	Stopping *candid.Null `candid:"stopping"`
	Stopped  *candid.Null `candid:"stopped"`
}

type visibility struct {
	candid.IsVariant
	Controllers    *candid.Null           `candid:"controllers"`
	Public         *candid.Null           `candid:"public"`
	AllowedViewers *[]principal.Principal `candid:"allowed_viewers"`
}

type envVar struct {
	Name  string `candid:"name"`
	Value string `candid:"value"`
}

type definiteSettings struct {
	Controllers         []principal.Principal `candid:"controllers"`
	ComputeAllocation   *big.Int              `candid:"compute_allocation"`
	MemoryAllocation    *big.Int              `candid:"memory_allocation"`
	FreezingThreshold   *big.Int              `candid:"freezing_threshold"`
	ReservedCyclesLimit *big.Int              `candid:"reserved_cycles_limit"`
	LogVisibility       visibility            `candid:"log_visibility"`
	SnapshotVisibility  visibility            `candid:"snapshot_visibility"`
	WasmMemoryLimit     *big.Int              `candid:"wasm_memory_limit"`
	WasmMemoryThreshold *big.Int              `candid:"wasm_memory_threshold"`
	EnvironmentVars     []envVar              `candid:"environment_variables"`
}

type memoryMetrics struct {
	Wasm       *big.Int `candid:"wasm_memory_size"`
	Stable     *big.Int `candid:"stable_memory_size"`
	Global     *big.Int `candid:"global_memory_size"`
	Binary     *big.Int `candid:"wasm_binary_size"`
	Custom     *big.Int `candid:"custom_sections_size"`
	History    *big.Int `candid:"canister_history_size"`
	ChunkStore *big.Int `candid:"wasm_chunk_store_size"`
	Snapshots  *big.Int `candid:"snapshots_size"`
}

type queryStats struct {
	Calls        *big.Int `candid:"num_calls_total"`
	Instructions *big.Int `candid:"num_instructions_total"`
	RequestBytes *big.Int `candid:"request_payload_bytes_total"`
	ReplyBytes   *big.Int `candid:"response_payload_bytes_total"`
}

type canisterStatusResult struct {
	Status            statusVariant    `candid:"status"`
	ReadyForMigration bool             `candid:"ready_for_migration"`
	Version           uint64           `candid:"version"`
	Settings          definiteSettings `candid:"settings"`
	ModuleHash        *[]byte          `candid:"module_hash"`
	MemorySize        *big.Int         `candid:"memory_size"`
	MemoryMetrics     memoryMetrics    `candid:"memory_metrics"`
	Cycles            *big.Int         `candid:"cycles"`
	ReservedCycles    *big.Int         `candid:"reserved_cycles"`
	IdleCyclesBurned  *big.Int         `candid:"idle_cycles_burned_per_day"`
	QueryStats        queryStats       `candid:"query_stats"`
}

type canisterInfoArgs struct {
	CanisterID principal.Principal `candid:"canister_id"`
	Changes    *uint64             `candid:"num_requested_changes"`
}

type logRecord struct {
	Idx       uint64 `candid:"idx"`
	Timestamp uint64 `candid:"timestamp_nanos"`
	Content   []byte `candid:"content"`
}

type fetchLogsResult struct {
	Records []logRecord `candid:"canister_log_records"`
}

// Reject codes and the replica's error codes of the management canister's
// answers to ingress messages.
const (
	errCodeNotController  = "IC0512" // CanisterInvalidController
	errCodeNotFound       = "IC0301" // CanisterNotFound
	errCodeMethodNotFound = "IC0536" // CanisterMethodNotFound
)

// ErrorCode returns the replica's error code ("IC0503") of a reject,
// as the certified tree's /request_status/<id>/error_code carries it.
func ErrorCode(code uint64, msg string) string {
	switch {
	case code == execution.RejectCanisterError && strings.Contains(msg, "is not a controller of"):
		return errCodeNotController
	case code == execution.RejectDestinationInvalid && strings.Contains(msg, "not found"):
		return errCodeNotFound
	case code == execution.RejectDestinationInvalid:
		return errCodeMethodNotFound
	case code == execution.RejectCanisterReject:
		return "IC0406"
	case code == execution.RejectSysTransient:
		return "IC0201"
	}
	return "IC0503"
}

// ingressManagement executes an ingress update call to the management
// canister (aaaaa-aa): its Candid argument is decoded here, by every node
// alike, and the operation runs as the controller operations do. The
// sender's signature covers the call's request id, hence its argument.
func (c *Component) ingressManagement(key string, m *Message, sender principal.Principal) {
	reply, code, msg := c.manageIngress(m, sender)
	c.finish(key, reply, code, msg)
}

func (c *Component) manageIngress(m *Message, sender principal.Principal) ([]byte, int, string) {
	if reply, code, msg, _, ok := c.manageMore(m, sender, 0); ok {
		return reply, code, msg
	}
	bad := func(err error) ([]byte, int, string) {
		return nil, execution.RejectCanisterError, fmt.Sprintf("management canister: %s: invalid argument: %v", m.Method, err)
	}
	op := func(kind uint8, id principal.Principal) *Message {
		return &Message{Kind: kind, Sender: m.Sender, Canister: id.Bytes(), Expiry: m.Expiry}
	}
	switch m.Method {
	case "install_code":
		var a installCodeArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		o := op(KindInstall, a.CanisterID)
		switch {
		case a.Mode.Reinstall != nil:
			o.Kind = KindReinstall
		case a.Mode.Upgrade != nil:
			o.Kind = KindUpgrade
			if u := *a.Mode.Upgrade; u != nil && u.WasmMemoryPersistence != nil && u.WasmMemoryPersistence.Keep != nil {
				o.KeepMemory = true
			}
		}
		o.Wasm, o.Arg = a.WasmModule, a.Arg
		return c.operate(o, sender)
	case "uninstall_code", "start_canister", "stop_canister", "delete_canister":
		var a canisterIDArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		kind := map[string]uint8{"uninstall_code": KindUninstall, "start_canister": KindStart,
			"stop_canister": KindStop, "delete_canister": KindDelete}[m.Method]
		return c.operate(op(kind, a.CanisterID), sender)
	case "provisional_top_up_canister", "deposit_cycles":
		var a canisterIDArgs
		var amount uint64
		if m.Method == "provisional_top_up_canister" {
			var t topUpArgs
			if err := candid.Decode(m.Arg, &t); err != nil {
				return bad(err)
			}
			a.CanisterID = t.CanisterID
			if t.Amount != nil {
				var err error
				if amount, err = cyclesAmount(t.Amount); err != nil {
					return rejectMint(err)
				}
			}
		} else if err := candid.Decode(m.Arg, &a); err != nil {
			return bad(err)
		}
		e, ok := c.cans[string(a.CanisterID.Bytes())]
		if !ok {
			return nil, execution.RejectDestinationInvalid, fmt.Sprintf("canister %s not found", a.CanisterID)
		}
		// provisional_top_up_canister mints its amount, as on the IC's
		// test subnets; an ingress message carries no cycles, so its
		// deposit_cycles deposits nothing.
		if amount > 0 && e.can != nil {
			if err := c.mint(amount); err != nil {
				return rejectMint(err)
			}
			if err := e.can.DepositCycles(amount); err != nil {
				c.g.Supply -= amount
				return rejectMint(err)
			}
			c.dirty[string(e.id.Bytes())] = true
			c.hashValid = false
		}
		return emptyCandid, 0, ""
	case "raw_rand", "ecdsa_public_key", "schnorr_public_key", "sign_with_ecdsa", "sign_with_schnorr",
		"http_request", "vetkd_public_key", "vetkd_derive_key", "fetch_canister_logs":
		return nil, execution.RejectCanisterReject, fmt.Sprintf("management canister: %s cannot be called by ingress messages", m.Method)
	}
	return nil, execution.RejectDestinationInvalid, fmt.Sprintf("management canister has no update method %q on this subnet", m.Method)
}

// setControllers replaces a canister's controllers (in order, without
// repetitions).
func (c *Component) setControllers(e *entry, ps []principal.Principal) {
	if e == nil {
		return
	}
	var ctrls []principal.Principal
	for _, p := range ps {
		if !slices.Contains(ctrls, p) {
			ctrls = append(ctrls, p)
		}
	}
	e.controllers = ctrls
	e.can.SetControllers(ctrls)
	c.dirty[string(e.id.Bytes())] = true
	c.hashValid = false
}

// defaultProvisionalCycles is what provisional_create_canister_with_cycles
// gives without an amount (the IC's default on test subnets).
const defaultProvisionalCycles = 100_000_000_000_000

func clampCycles(n *big.Int) uint64 {
	if n.Sign() < 0 {
		return 0
	}
	if !n.IsUint64() {
		return ^uint64(0)
	}
	return n.Uint64()
}

func encodeReply(v any) ([]byte, int, string) {
	b, err := candid.Encode(v)
	if err != nil {
		return nil, execution.RejectCanisterError, err.Error()
	}
	return b, 0, ""
}

func moduleHash(e *entry) *[]byte {
	if e.can.Prepared() == nil {
		return nil
	}
	mh := e.can.State().ModuleHash
	h := mh[:]
	return &h
}

// statusOf returns the canister_status reply of a canister.
func statusOf(can *execution.Canister, controllers []principal.Principal) any {
	st := can.State()
	zero := func() *big.Int { return new(big.Int) }
	n := func(v int) *big.Int { return big.NewInt(int64(v)) }
	var s statusVariant
	switch st.Status {
	case execution.Stopped:
		s.Stopped = &candid.Null{}
	case execution.Stopping:
		s.Stopping = &candid.Null{}
	default:
		s.Running = &candid.Null{}
	}
	var mh *[]byte
	if st.Module != nil {
		h := slices.Clone(st.ModuleHash[:])
		mh = &h
	}
	return canisterStatusResult{
		Status:  s,
		Version: st.Version,
		Settings: definiteSettings{
			Controllers: slices.Clone(controllers), ComputeAllocation: zero(), MemoryAllocation: zero(),
			FreezingThreshold: big.NewInt(2_592_000), ReservedCyclesLimit: big.NewInt(5_000_000_000_000),
			LogVisibility: visibility{Controllers: &candid.Null{}}, SnapshotVisibility: visibility{Controllers: &candid.Null{}},
			WasmMemoryLimit: big.NewInt(3 << 30), WasmMemoryThreshold: zero(), EnvironmentVars: []envVar{},
		},
		ModuleHash: mh,
		MemorySize: n(len(st.Memory) + len(st.Stable) + len(st.Module)),
		MemoryMetrics: memoryMetrics{Wasm: n(len(st.Memory)), Stable: n(len(st.Stable)), Global: n(8 * len(st.Globals)),
			Binary: n(len(st.Module)), Custom: zero(), History: zero(), ChunkStore: zero(), Snapshots: zero()},
		Cycles: new(big.Int).SetUint64(st.Cycles), ReservedCycles: zero(), IdleCyclesBurned: zero(),
		QueryStats: queryStats{Calls: zero(), Instructions: zero(), RequestBytes: zero(), ReplyBytes: zero()},
	}
}

// QueryManagement answers a query call to the management canister on the
// current state: canister_status and canister_info (for a controller, as
// their update forms) and fetch_canister_logs (for a controller).
func (c *Component) QueryManagement(sender principal.Principal, method string, arg []byte) *execution.Result {
	res := func(b []byte, code int, msg string) *execution.Result {
		if code != 0 {
			return &execution.Result{RejectCode: code, RejectMessage: msg}
		}
		return &execution.Result{Replied: true, Reply: b}
	}
	switch method {
	case "canister_status", "canister_info":
		return res(c.manageIngress(&Message{Kind: KindCall, Sender: sender.Bytes(), Method: method, Arg: arg}, sender))
	case "fetch_canister_logs":
		return c.fetchLogs(sender, arg)
	}
	return res(nil, execution.RejectDestinationInvalid, fmt.Sprintf("management canister has no query method %q on this subnet", method))
}
