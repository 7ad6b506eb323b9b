package execution

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

// contextModule is a canister that calls ic0.<f> with zero arguments from
// every entry point.
func contextModule(t *testing.T, f *SysFunc, wasm64 bool) []byte {
	ft := f.funcType(wasm64)
	var params, args, result, drop string
	for _, k := range ft.params {
		ty := strings.ToLower(k.String())
		params += " " + ty
		args += fmt.Sprintf(" (%s.const 0)", ty)
	}
	if ft.result != nil {
		result = fmt.Sprintf("(result %s)", strings.ToLower(ft.result.String()))
		drop = "drop"
	}
	call := fmt.Sprintf("(%s (call $f%s))", drop, args)
	if drop == "" {
		call = fmt.Sprintf("(call $f%s)", args)
	}
	imports := fmt.Sprintf(`(import "ic0" %q (func $f (param%s) %s))`, f.Name, params, result)
	if f.Name != "global_timer_set" {
		imports += `(import "ic0" "global_timer_set" (func $timer (param i64) (result i64)))`
	} else {
		imports += `(func $timer (param i64) (result i64) (call $f (local.get 0)))`
	}
	src := fmt.Sprintf(`(module %s
  MEMORY
  (global $mode (mut i32) (i32.const 0))
  (func $go %s)
  (func (export "canister_init") (if (i32.eq (global.get $mode) (i32.const 1)) (then (call $go))))
  (func (export "canister_update call") (call $go))
  (func (export "canister_query call_query") (call $go))
  (func (export "canister_update arm") (drop (call $timer (i64.const 5))))
  (func (export "canister_global_timer") (call $go))
  (func (export "canister_pre_upgrade") (call $go))
)`, imports, call)
	return wat(t, src, wasm64)
}

// contextTrap reports whether err or res is the trap of a call from a
// forbidden context.
func contextTrap(res *Result, err error) bool {
	var t *Trap
	if res != nil && res.Trap != nil {
		t = res.Trap
	} else if !errors.As(err, &t) {
		return false
	}
	return t.Kind == TrapSystemAPI && strings.Contains(t.Msg, "cannot be called from")
}

// TestContextRules calls every System API function from init, update,
// query, global timer and pre_upgrade, and checks that exactly the calls
// the specification forbids trap for their context.
func TestContextRules(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		for i := range sysFuncs {
			f := &sysFuncs[i]
			if wasm64 && f.wasm32Only {
				continue
			}
			wasm := contextModule(t, f, wasm64)
			check := func(where string, ctx Context, res *Result, err error) {
				t.Helper()
				if got, want := contextTrap(res, err), f.Allowed&ctx == 0; got != want {
					t.Errorf("wasm64=%v ic0.%s from %s: context trap = %v, want %v (%+v %v)", wasm64, f.Name, where, got, want, res, err)
				}
			}
			c := newCanister(t, Config{})
			install(t, c, wasm)
			check("update", CtxUpdate, c.Update(Message{Method: "call", Caller: alice}), nil)
			check("query", CtxQuery, c.Query(Message{Method: "call_query", Caller: alice}), nil)
			c.Update(Message{Method: "arm"})
			check("timer", CtxSystemTask, c.GlobalTimer(Message{Time: 10}), nil)
			res, err := c.Upgrade(wasm, Message{Caller: ctrl}, false)
			check("pre_upgrade", CtxPreUpgrade, res, err)
		}
	}
}

// TestContextRulesInit runs every System API function from canister_init.
func TestContextRulesInit(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		for i := range sysFuncs {
			f := &sysFuncs[i]
			if wasm64 && f.wasm32Only {
				continue
			}
			wasm := contextModule(t, f, wasm64)
			// The module's $mode global starts at 0; this copy starts at 1
			// so that canister_init makes the call.
			wasm = initModeOne(t, wasm)
			c := newCanister(t, Config{})
			res, err := c.Install(wasm, Message{Caller: ctrl, Time: 1})
			if got, want := contextTrap(res, err), f.Allowed&CtxInit == 0; got != want {
				t.Errorf("wasm64=%v ic0.%s from init: context trap = %v, want %v (%v)", wasm64, f.Name, got, want, err)
			}
		}
	}
}

// initModeOne patches the global initializer "(i32.const 0)" of $mode,
// the only mutable global of a contextModule, to 1.
func initModeOne(t *testing.T, wasm []byte) []byte {
	// A global entry: 7f 01 (mut i32) 41 00 (i32.const 0) 0b (end).
	pat := []byte{0x7f, 0x01, 0x41, 0x00, 0x0b}
	if bytes.Count(wasm, pat) != 1 {
		t.Fatal("cannot find the mode global")
	}
	return bytes.Replace(wasm, pat, []byte{0x7f, 0x01, 0x41, 0x01, 0x0b}, 1)
}

// kitchenWAT exercises the System API functions Motoko canisters import.
// Each update method answers with what it computed.
const kitchenWAT = `(module
  (import "ic0" "msg_arg_data_size" (func $arg_size (result PTR)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param PTR PTR PTR)))
  (import "ic0" "msg_caller_size" (func $caller_size (result PTR)))
  (import "ic0" "msg_caller_copy" (func $caller_copy (param PTR PTR PTR)))
  (import "ic0" "canister_self_size" (func $self_size (result PTR)))
  (import "ic0" "canister_self_copy" (func $self_copy (param PTR PTR PTR)))
  (import "ic0" "msg_reply_data_append" (func $append (param PTR PTR)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_reject" (func $reject (param PTR PTR)))
  (import "ic0" "debug_print" (func $print (param PTR PTR)))
  (import "ic0" "time" (func $time (result i64)))
  (import "ic0" "global_timer_set" (func $timer (param i64) (result i64)))
  (import "ic0" "performance_counter" (func $perf (param i32) (result i64)))
  (import "ic0" "certified_data_set" (func $certify (param PTR PTR)))
  (import "ic0" "canister_cycle_balance128" (func $balance (param PTR)))
  (import "ic0" "msg_cycles_available128" (func $available (param PTR)))
  (import "ic0" "msg_cycles_accept128" (func $accept (param i64 i64 PTR)))
  (import "ic0" "is_controller" (func $is_controller (param PTR PTR) (result i32)))
  (import "ic0" "canister_status" (func $status (result i32)))
  (import "ic0" "canister_version" (func $version (result i64)))
  (import "ic0" "call_new" (func $call_new (param PTR PTR PTR PTR PTR PTR PTR PTR)))
  (import "ic0" "call_data_append" (func $call_data (param PTR PTR)))
  (import "ic0" "call_cycles_add128" (func $call_cycles (param i64 i64)))
  (import "ic0" "call_on_cleanup" (func $call_cleanup (param PTR PTR)))
  (import "ic0" "call_with_best_effort_response" (func $call_timeout (param i32)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "stable64_size" (func $ssize (result i64)))
  (import "ic0" "stable64_grow" (func $sgrow (param i64) (result i64)))
  MEMORY
  (data (PTR.const 1000) "hello")
  (data (PTR.const 1010) "callee")
  (func $reply_bytes (param PTR PTR) (call $append (local.get 0) (local.get 1)) (call $reply))
  (func $reply_i64 (param i64) (i64.store (PTR.const 0) (local.get 0)) (call $reply_bytes (PTR.const 0) (PTR.const 8)))
  ;; echo: the argument
  (func (export "canister_update echo")
    (call $arg_copy (PTR.const 100) (PTR.const 0) (call $arg_size))
    (call $reply_bytes (PTR.const 100) (call $arg_size)))
  ;; who: caller ++ self
  (func (export "canister_query who")
    (call $caller_copy (PTR.const 100) (PTR.const 0) (call $caller_size))
    (call $self_copy (PTR.add (PTR.const 100) (call $caller_size)) (PTR.const 0) (call $self_size))
    (call $reply_bytes (PTR.const 100) (PTR.add (call $caller_size) (call $self_size))))
  (func (export "canister_update say") (call $print (PTR.const 1000) (PTR.const 5)) (call $reply))
  (func (export "canister_update no") (call $reject (PTR.const 1000) (PTR.const 5)))
  (func (export "canister_update twice") (call $reply) (call $reply))
  (func (export "canister_update silent"))
  (func (export "canister_update time") (call $reply_i64 (call $time)))
  (func (export "canister_update timer") (drop (call $timer (i64.const 77))) (call $reply_i64 (call $timer (i64.const 88))))
  (func (export "canister_update perf") (call $reply_i64 (call $perf (i32.const 0))))
  (func (export "canister_update certify") (call $certify (PTR.const 1000) (PTR.const 5)) (call $reply))
  (func (export "canister_update certify_big") (call $certify (PTR.const 0) (PTR.const 33)) (call $reply))
  (func (export "canister_update cycles")
    (call $available (PTR.const 200))
    (call $accept (i64.const 0) (i64.const 30) (PTR.const 216))
    (call $balance (PTR.const 232))
    (call $reply_bytes (PTR.const 200) (PTR.const 48)))
  (func (export "canister_update controller")
    (call $arg_copy (PTR.const 100) (PTR.const 0) (call $arg_size))
    (call $reply_i64 (i64.extend_i32_u (call $is_controller (PTR.const 100) (call $arg_size)))))
  (func (export "canister_update status")
    (call $reply_i64 (i64.add (i64.extend_i32_u (call $status)) (i64.shl (call $version) (i64.const 8)))))
  (func (export "canister_update call")
    (call $call_new (PTR.const 1010) (PTR.const 6) (PTR.const 1010) (PTR.const 6) (PTR.const 1) (PTR.const 2) (PTR.const 3) (PTR.const 4))
    (call $call_data (PTR.const 1000) (PTR.const 5))
    (call $call_cycles (i64.const 0) (i64.const 100))
    (call $call_cleanup (PTR.const 5) (PTR.const 6))
    (call $call_timeout (i32.const 1000))
    (drop (call $call_perform)))
  (func (export "canister_update call_perform_alone") (drop (call $call_perform)))
  (func (export "canister_update stable") (drop (call $sgrow (i64.const 3))) (call $reply_i64 (call $ssize)))
  (func (export "canister_update oob") (call $print (PTR.const -1) (PTR.const 5)) (call $certify (PTR.const -1) (PTR.const 5)))
)`

func kitchen(t *testing.T, wasm64 bool) *Canister {
	src := strings.ReplaceAll(kitchenWAT, "PTR.add", "PTR_add")
	src = strings.ReplaceAll(src, "PTR_add", map[bool]string{false: "i32.add", true: "i64.add"}[wasm64])
	c := newCanister(t, Config{})
	install(t, c, wat(t, src, wasm64))
	return c
}

func TestSystemAPI(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			c := kitchen(t, wasm64)
			up := func(method string, arg []byte) *Result {
				return c.Update(Message{Method: method, Arg: arg, Caller: alice, Time: 12345, Cycles: 50})
			}
			if r := up("echo", []byte("ping")); !r.Replied || string(r.Reply) != "ping" {
				t.Errorf("echo: %+v", r)
			}
			r := c.Query(Message{Method: "who", Caller: alice})
			if want := append(alice.Bytes(), c.ID().Bytes()...); !bytes.Equal(r.Reply, want) {
				t.Errorf("who: %x, want %x", r.Reply, want)
			}
			if r := up("say", nil); !r.Replied || len(r.Log) != 1 || r.Log[0] != "hello" {
				t.Errorf("say: %+v", r)
			}
			if r := up("no", nil); r.RejectCode != RejectCanisterReject || r.RejectMessage != "hello" {
				t.Errorf("no: %+v", r)
			}
			if r := up("twice", nil); r.Trap == nil || r.Trap.Kind != TrapSystemAPI {
				t.Errorf("twice: %+v", r)
			}
			if r := up("silent", nil); r.RejectCode != RejectCanisterError || r.Trap != nil {
				t.Errorf("silent: %+v", r)
			}
			if r := up("time", nil); u64(r.Reply) != 12345 {
				t.Errorf("time: %+v", r)
			}
			if r := up("timer", nil); u64(r.Reply) != 77 || c.State().GlobalTimer != 88 {
				t.Errorf("timer: %+v", r)
			}
			if r := up("perf", nil); u64(r.Reply) == 0 || u64(r.Reply) > r.Fuel {
				t.Errorf("perf: %d of %d", u64(r.Reply), r.Fuel)
			}
			if r := up("certify", nil); !r.Replied || string(c.State().CertifiedData) != "hello" {
				t.Errorf("certify: %+v", r)
			}
			if r := up("certify_big", nil); r.Trap == nil || string(c.State().CertifiedData) != "hello" {
				t.Errorf("certify_big: %+v", r)
			}
			before := c.State().Cycles
			r = up("cycles", nil)
			if !r.Replied || len(r.Reply) != 48 || r.Refund != 20 {
				t.Fatalf("cycles: %+v", r)
			}
			avail, acc, bal := binary.LittleEndian.Uint64(r.Reply), binary.LittleEndian.Uint64(r.Reply[16:]), binary.LittleEndian.Uint64(r.Reply[32:])
			if avail != 50 || acc != 30 || bal != before+30 || c.State().Cycles != before+30 {
				t.Errorf("cycles: available %d accepted %d balance %d (before %d)", avail, acc, bal, before)
			}
			if r := up("controller", ctrl.Bytes()); u64(r.Reply) != 1 {
				t.Errorf("is_controller(controller): %+v", r)
			}
			if r := up("controller", alice.Bytes()); u64(r.Reply) != 0 {
				t.Errorf("is_controller(alice): %+v", r)
			}
			if r := up("controller", make([]byte, 30)); r.Trap == nil {
				t.Errorf("is_controller(30 bytes): %+v", r)
			}
			if r := up("status", nil); u64(r.Reply) != uint64(Running)|1<<8 {
				t.Errorf("status: %x", u64(r.Reply))
			}
			bal = c.State().Cycles
			r = up("call", nil)
			if len(r.Calls) != 1 || r.RejectCode != 0 || r.Replied {
				t.Fatalf("call: %+v", r)
			}
			want := Call{Callee: mustPrincipal(t, []byte("callee")), Method: "callee", Arg: []byte("hello"), Cycles: 100,
				ReplyFun: 1, ReplyEnv: 2, RejectFun: 3, RejectEnv: 4, Cleanup: true, CleanupFun: 5, CleanupEnv: 6, Timeout: 300,
				Deadline: 12345 + 300_000_000_000}
			if fmt.Sprint(r.Calls[0]) != fmt.Sprint(want) || c.State().Cycles != bal-100 {
				t.Errorf("call: %+v, want %+v", r.Calls[0], want)
			}
			if r := up("call_perform_alone", nil); r.Trap == nil || r.Trap.Kind != TrapSystemAPI {
				t.Errorf("call_perform without call_new: %+v", r)
			}
			if r := up("stable", nil); u64(r.Reply) != 3 || len(c.State().Stable) != 3*wasmPage {
				t.Errorf("stable: %+v", r)
			}
			if r := up("oob", nil); r.Trap == nil || r.Trap.Kind != TrapSystemAPI || len(r.Log) != 0 {
				t.Errorf("oob: %+v", r)
			}
		})
	}
}

func mustPrincipal(t *testing.T, b []byte) principal.Principal {
	p, err := principal.FromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// restWAT exercises the System API functions kitchenWAT does not.
const restWAT = `(module
  (import "ic0" "data_certificate_present" (func $cert_present (result i32)))
  (import "ic0" "data_certificate_size" (func $cert_size (result PTR)))
  (import "ic0" "data_certificate_copy" (func $cert_copy (param PTR PTR PTR)))
  (import "ic0" "root_key_size" (func $root_size (result PTR)))
  (import "ic0" "root_key_copy" (func $root_copy (param PTR PTR PTR)))
  (import "ic0" "subnet_self_size" (func $subnet_size (result PTR)))
  (import "ic0" "subnet_self_copy" (func $subnet_copy (param PTR PTR PTR)))
  (import "ic0" "in_replicated_execution" (func $replicated (result i32)))
  (import "ic0" "cycles_burn128" (func $burn (param i64 i64 PTR)))
  (import "ic0" "msg_deadline" (func $deadline (result i64)))
  (import "ic0" "env_var_count" (func $env_count (result PTR)))
  (import "ic0" "cost_call" (func $cost_call (param i64 i64 PTR)))
  (import "ic0" "msg_reply_data_append" (func $append (param PTR PTR)))
  (import "ic0" "msg_reply" (func $reply))
  MEMORY
  (func $reply_i64 (param i64) (i64.store (PTR.const 0) (local.get 0)) (call $append (PTR.const 0) (PTR.const 8)) (call $reply))
  (func (export "canister_query cert")
    (if (i32.eqz (call $cert_present)) (then (call $reply_i64 (i64.const -1)) (return)))
    (call $cert_copy (PTR.const 100) (PTR.const 0) (call $cert_size))
    (call $append (PTR.const 100) (call $cert_size)) (call $reply))
  (func (export "canister_update cert_update") (drop (call $cert_size)))
  (func (export "canister_update root")
    (call $root_copy (PTR.const 100) (PTR.const 0) (call $root_size))
    (call $append (PTR.const 100) (call $root_size)) (call $reply))
  (func (export "canister_update subnet")
    (call $subnet_copy (PTR.const 100) (PTR.const 0) (call $subnet_size))
    (call $append (PTR.const 100) (call $subnet_size)) (call $reply))
  (func (export "canister_update replicated") (call $reply_i64 (i64.extend_i32_u (call $replicated))))
  (func (export "canister_query replicated_q") (call $reply_i64 (i64.extend_i32_u (call $replicated))))
  (func (export "canister_composite_query replicated_cq") (call $reply_i64 (i64.extend_i32_u (call $replicated))))
  (func (export "canister_update burn") (call $burn (i64.const 0) (i64.const 400) (PTR.const 200)) (call $reply_i64 (i64.load (PTR.const 200))))
  (func (export "canister_update deadline") (call $reply_i64 (call $deadline)))
  (func (export "canister_update env") (call $reply_i64 (EXTEND (call $env_count))))
  (func (export "canister_update cost") (i64.store (PTR.const 200) (i64.const 9)) (call $cost_call (i64.const 1) (i64.const 2) (PTR.const 200)) (call $reply_i64 (i64.load (PTR.const 200))))
)`

func TestSystemAPIRest(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			src := strings.ReplaceAll(restWAT, "EXTEND", map[bool]string{false: "i64.extend_i32_u", true: "i64.add (i64.const 0)"}[wasm64])
			c := newCanister(t, Config{})
			install(t, c, wat(t, src, wasm64))
			if r := c.Query(Message{Method: "cert", Certificate: []byte("certificate")}); string(r.Reply) != "certificate" {
				t.Errorf("cert: %+v", r)
			}
			if r := c.Query(Message{Method: "cert"}); u64(r.Reply) != ^uint64(0) {
				t.Errorf("cert absent: %+v", r)
			}
			if r := c.Update(Message{Method: "cert_update", Certificate: []byte("x")}); r.Trap == nil || r.Trap.Kind != TrapSystemAPI {
				t.Errorf("data_certificate_size in an update: %+v", r)
			}
			if r := c.Update(Message{Method: "root"}); string(r.Reply) != "root key" {
				t.Errorf("root: %+v", r)
			}
			if r := c.Update(Message{Method: "subnet"}); string(r.Reply) != string(c.cfg.Subnet.Bytes()) {
				t.Errorf("subnet: %+v", r)
			}
			if r := c.Update(Message{Method: "replicated"}); u64(r.Reply) != 1 {
				t.Errorf("replicated in update: %+v", r)
			}
			if r := c.Query(Message{Method: "replicated_q"}); u64(r.Reply) != 0 {
				t.Errorf("replicated in query: %+v", r)
			}
			if r := c.Query(Message{Method: "replicated_cq"}); u64(r.Reply) != 0 {
				t.Errorf("replicated in composite query: %+v", r)
			}
			if r := c.Update(Message{Method: "burn"}); u64(r.Reply) != 400 || c.State().Cycles != 600 {
				t.Errorf("burn: %+v, balance %d", r, c.State().Cycles)
			}
			if r := c.Update(Message{Method: "burn"}); u64(r.Reply) != 400 || c.State().Cycles != 200 {
				t.Errorf("burn: %+v, balance %d", r, c.State().Cycles)
			}
			if r := c.Update(Message{Method: "burn"}); u64(r.Reply) != 200 || c.State().Cycles != 0 {
				t.Errorf("burn beyond the balance: %+v, balance %d", r, c.State().Cycles)
			}
			if r := c.Update(Message{Method: "deadline", Deadline: 99}); u64(r.Reply) != 99 {
				t.Errorf("deadline: %+v", r)
			}
			if r := c.Update(Message{Method: "env"}); u64(r.Reply) != 0 {
				t.Errorf("env: %+v", r)
			}
			if r := c.Update(Message{Method: "cost"}); u64(r.Reply) != 0 {
				t.Errorf("cost on a free subnet: %+v", r)
			}
			c.cfg.Fees = ApplicationSubnetFees(13)
			c.st.Cycles = 1 << 40
			if r := c.Update(Message{Method: "cost"}); u64(r.Reply) != 260_000+3*1_000 {
				t.Errorf("cost: %+v", r)
			}
			c.Uninstall()
			if r := c.Update(Message{Method: "env"}); r.RejectCode != RejectDestinationInvalid || c.State().Module != nil {
				t.Errorf("after uninstall: %+v", r)
			}
		})
	}
}

// TestLegacyStable exercises the 32-bit stable memory and cycles calls of
// wasm32 canisters.
func TestLegacyStable(t *testing.T) {
	src := `(module
  (import "ic0" "stable_size" (func $size (result i32)))
  (import "ic0" "stable_grow" (func $grow (param i32) (result i32)))
  (import "ic0" "stable_write" (func $write (param i32 i32 i32)))
  (import "ic0" "stable_read" (func $read (param i32 i32 i32)))
  (import "ic0" "canister_cycle_balance" (func $balance (result i64)))
  (import "ic0" "msg_cycles_available" (func $available (result i64)))
  (import "ic0" "msg_cycles_accept" (func $accept (param i64) (result i64)))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (memory (export "memory") 1)
  (data (i32.const 0) "stable!")
  (func (export "canister_update s")
    (drop (call $grow (i32.const 2)))
    (call $write (i32.const 65530) (i32.const 0) (i32.const 7))
    (call $read (i32.const 100) (i32.const 65530) (i32.const 7))
    (i32.store (i32.const 107) (call $size))
    (call $append (i32.const 100) (i32.const 11)) (call $reply))
  (func (export "canister_update c")
    (i64.store (i32.const 200) (call $available))
    (i64.store (i32.const 208) (call $accept (i64.const 5)))
    (i64.store (i32.const 216) (call $balance))
    (call $append (i32.const 200) (i32.const 24)) (call $reply))
  (func (export "canister_update oob") (call $write (i32.const 131070) (i32.const 0) (i32.const 7)))
)`
	c := newCanister(t, Config{})
	install(t, c, wat(t, src, false))
	r := c.Update(Message{Method: "s"})
	if string(r.Reply[:7]) != "stable!" || binary.LittleEndian.Uint32(r.Reply[7:]) != 2 {
		t.Fatalf("s: %+v", r)
	}
	r = c.Update(Message{Method: "c", Cycles: 8})
	if binary.LittleEndian.Uint64(r.Reply) != 8 || binary.LittleEndian.Uint64(r.Reply[8:]) != 5 ||
		binary.LittleEndian.Uint64(r.Reply[16:]) != 1005 || r.Refund != 3 {
		t.Fatalf("c: %+v", r)
	}
	if r := c.Update(Message{Method: "oob"}); r.Trap == nil {
		t.Fatalf("oob: %+v", r)
	}
}
