package execution

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/chainkey/chainkey/principal"
)

var (
	testEngine = NewWasmtime(EngineConfig{MaxMemory: 64 << 20})
	alice      = principal.SelfAuthenticating([]byte("alice"))
	ctrl       = principal.SelfAuthenticating([]byte("controller"))
)

// wat compiles WAT, replacing "PTR" by the pointer type of the memory.
func wat(t testing.TB, src string, wasm64 bool) []byte {
	t.Helper()
	ptr, mem := "i32", "(memory (export \"memory\") 1)"
	if wasm64 {
		ptr, mem = "i64", "(memory (export \"memory\") i64 1)"
	}
	src = strings.ReplaceAll(src, "PTR", ptr)
	src = strings.ReplaceAll(src, "MEMORY", mem)
	b, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatalf("wat: %v\n%s", err, src)
	}
	return b
}

func newCanister(t testing.TB, cfg Config) *Canister {
	t.Helper()
	return newCanisterAt(t, cfg, 7)
}

func newCanisterAt(t testing.TB, cfg Config, index uint64) *Canister {
	t.Helper()
	cfg.Engine = testEngine
	if cfg.UpdateLimit == 0 {
		cfg.UpdateLimit = 50_000_000
	}
	cfg.Subnet = principal.SelfAuthenticating([]byte("subnet"))
	cfg.RootKey = []byte("root key")
	c, err := New(cfg, principal.FromCanisterIndex(index), []principal.Principal{ctrl}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func install(t testing.TB, c *Canister, wasm []byte) {
	t.Helper()
	if _, err := c.Install(wasm, Message{Caller: ctrl, Time: 1}); err != nil {
		t.Fatal(err)
	}
}

// counterWAT is a counter: inc (update) adds one and replies with the
// 8-byte value, get (query) replies with it, and the value lives in a
// global and in memory.
const counterWAT = `(module
  (import "ic0" "msg_reply_data_append" (func $append (param PTR PTR)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "stable64_grow" (func $sgrow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $swrite (param i64 i64 i64)))
  (import "ic0" "stable64_read" (func $sread (param i64 i64 i64)))
  (import "ic0" "trap" (func $trap (param PTR PTR)))
  MEMORY
  (global $n (mut i64) (i64.const 0))
  (func $answer (i64.store (PTR.const 0) (global.get $n)) (call $append (PTR.const 0) (PTR.const 8)) (call $reply))
  (func (export "canister_update inc") (global.set $n (i64.add (global.get $n) (i64.const 1))) (call $answer))
  (func (export "canister_update inc_then_trap")
    (global.set $n (i64.add (global.get $n) (i64.const 1)))
    (i64.store (PTR.const 16) (i64.const 99))
    (call $trap (PTR.const 0) (PTR.const 0)))
  (func (export "canister_query get") (call $answer))
  (func (export "canister_query inc_query") (global.set $n (i64.add (global.get $n) (i64.const 1))) (call $answer))
  (func (export "canister_pre_upgrade")
    (drop (call $sgrow (i64.const 1)))
    (i64.store (PTR.const 0) (global.get $n))
    (call $swrite (i64.const 0) (i64.const 0) (i64.const 8)))
  (func (export "canister_post_upgrade")
    (call $sread (i64.const 0) (i64.const 0) (i64.const 8))
    (global.set $n (i64.load (PTR.const 0))))
)`

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return ^uint64(0)
	}
	return binary.LittleEndian.Uint64(b)
}

func TestCounter(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			c := newCanister(t, Config{})
			wasm := wat(t, counterWAT, wasm64)
			install(t, c, wasm)
			if c.Prepared().Wasm64 != wasm64 {
				t.Fatalf("Wasm64 = %v", c.Prepared().Wasm64)
			}
			for i := uint64(1); i <= 3; i++ {
				r := c.Update(Message{Method: "inc", Caller: alice})
				if !r.Replied || u64(r.Reply) != i {
					t.Fatalf("inc %d: %+v", i, r)
				}
			}
			h := c.StateHash()
			r := c.Query(Message{Method: "inc_query", Caller: alice})
			if !r.Replied || u64(r.Reply) != 4 {
				t.Fatalf("inc_query: %+v", r)
			}
			if c.StateHash() != h {
				t.Fatal("a query changed the state")
			}
			// A query method called as an update: replicated mode, no
			// state change.
			r = c.Update(Message{Method: "inc_query", Caller: alice})
			if !r.Replied || u64(r.Reply) != 4 || c.StateHash() != h {
				t.Fatalf("inc_query as update: %+v", r)
			}
			r = c.Update(Message{Method: "inc_then_trap", Caller: alice})
			if r.Trap == nil || r.Trap.Kind != TrapCanister || r.RejectCode != RejectCanisterError {
				t.Fatalf("inc_then_trap: %+v", r)
			}
			if c.StateHash() != h {
				t.Fatal("a trap did not roll the state back")
			}
			if r := c.Query(Message{Method: "get"}); u64(r.Reply) != 3 {
				t.Fatalf("get after trap: %d", u64(r.Reply))
			}
			// Upgrade: the global is lost, the value comes back through
			// stable memory.
			if _, err := c.Upgrade(wasm, Message{Caller: ctrl}, false); err != nil {
				t.Fatal(err)
			}
			if r := c.Query(Message{Method: "get"}); u64(r.Reply) != 3 {
				t.Fatalf("get after upgrade: %+v", r)
			}
			if r := c.Update(Message{Method: "nope"}); r.RejectCode != RejectDestinationInvalid {
				t.Fatalf("unknown method: %+v", r)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	run := func() ([32]byte, uint64) {
		c := newCanister(t, Config{})
		install(t, c, wat(t, counterWAT, true))
		var fuel uint64
		for i := 0; i < 5; i++ {
			fuel += c.Update(Message{Method: "inc"}).Fuel
			fuel += c.Update(Message{Method: "inc_then_trap"}).Fuel
		}
		return c.StateHash(), fuel
	}
	h1, f1 := run()
	h2, f2 := run()
	if h1 != h2 || f1 != f2 || f1 == 0 {
		t.Fatalf("runs differ: %x %d, %x %d", h1, f1, h2, f2)
	}
}

func TestResourceTraps(t *testing.T) {
	src := `(module
  MEMORY
  (func $rec (param i64) (result i64) (i64.add (call $rec (local.get 0)) (i64.const 1)))
  (func (export "canister_update loop") (loop $l (br $l)))
  (func (export "canister_update grow") (loop $l (br_if $l (i32.ne (i32.wrap_i64 (i64.extend_i32_s (i32.const 0))) (i32.const 1))) ))
  (func (export "canister_update deep") (drop (call $rec (i64.const 0))))
  (func (export "canister_update div") (drop (i32.div_u (i32.const 1) (i32.const 0))))
)`
	for _, wasm64 := range []bool{false, true} {
		c := newCanister(t, Config{UpdateLimit: 10_000_000})
		install(t, c, wat(t, src, wasm64))
		r := c.Update(Message{Method: "loop"})
		if r.Trap == nil || r.Trap.Kind != TrapOutOfInstructions || r.Fuel != 10_000_000 {
			t.Fatalf("loop: %+v", r)
		}
		r = c.Update(Message{Method: "div"})
		if r.Trap == nil || r.Trap.Kind != TrapWasm || r.Trap.Msg != "wasm trap: integer divide by zero" {
			t.Fatalf("div: %+v %v", r, r.Trap)
		}
		r = c.Update(Message{Method: "deep"})
		if r.Trap == nil || r.Trap.Kind != TrapStackOverflow {
			t.Fatalf("deep: %+v %v", r, r.Trap)
		}
	}
}

func TestMemoryGrowthTraps(t *testing.T) {
	src := `(module
  (import "ic0" "msg_reply" (func $reply))
  MEMORY
  (func (export "canister_update grow")
    (loop $l (br_if $l (i32.eqz (i32.eq (i32.wrap_i64 (i64.extend_i32_s (i32.wrap_PTR (memory.grow (PTR.const 16))))) (i32.const -1)))))
    (unreachable))
  (func (export "canister_update ok") (call $reply))
)`
	for _, wasm64 := range []bool{false, true} {
		src := strings.ReplaceAll(src, "(i32.wrap_i64 (i64.extend_i32_s (i32.wrap_PTR (memory.grow (PTR.const 16)))))",
			map[bool]string{false: "(memory.grow (i32.const 16))", true: "(i32.wrap_i64 (memory.grow (i64.const 16)))"}[wasm64])
		c := newCanister(t, Config{})
		install(t, c, wat(t, src, wasm64))
		before := len(c.State().Memory)
		r := c.Update(Message{Method: "grow"})
		if r.Trap == nil {
			t.Fatalf("grow: %+v", r)
		}
		if got := len(c.State().Memory); got != before {
			t.Fatalf("memory after trap: %d bytes, want %d", got, before)
		}
		if r := c.Update(Message{Method: "ok"}); !r.Replied {
			t.Fatalf("after rebuild: %+v", r)
		}
	}
}

func TestValidation(t *testing.T) {
	bad := map[string]string{
		"foreign import":  `(module (import "env" "f" (func)))`,
		"unknown ic0":     `(module (import "ic0" "nope" (func)))`,
		"legacy on 64":    `(module (import "ic0" "stable_size" (func (result i32))) (memory i64 1))`,
		"bad entry point": `(module (func (export "canister_foo")))`,
		"twice":           `(module (func (export "canister_update a")) (func (export "canister_query a")))`,
		"reserved export": `(module (func (export "chainkey#x")))`,
	}
	for name, src := range bad {
		b, err := wasmtime.Wat2Wasm(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Prepare(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Prepare([]byte("\x00asm\x01\x00\x00\x00\x07\x05")); err == nil {
		t.Error("truncated module accepted")
	}
}

func TestInstallTrapLeavesCanisterEmpty(t *testing.T) {
	c := newCanister(t, Config{})
	wasm := wat(t, `(module MEMORY (func (export "canister_init") unreachable))`, false)
	if _, err := c.Install(wasm, Message{}); err == nil {
		t.Fatal("install with a trapping init succeeded")
	}
	if c.Prepared() != nil || c.State().Module != nil {
		t.Fatal("canister not empty after failed install")
	}
	if r := c.Update(Message{Method: "x"}); r.RejectCode != RejectDestinationInvalid {
		t.Fatalf("%+v", r)
	}
}

func TestStableRollback(t *testing.T) {
	src := `(module
  (import "ic0" "stable64_grow" (func $sgrow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $swrite (param i64 i64 i64)))
  (import "ic0" "msg_reply" (func $reply))
  MEMORY
  (data (PTR.const 0) "abcdefgh")
  (func (export "canister_update w") (drop (call $sgrow (i64.const 1))) (call $swrite (i64.const 0) (i64.const 0) (i64.const 8)) (call $reply))
  (func (export "canister_update wt") (drop (call $sgrow (i64.const 2))) (call $swrite (i64.const 4) (i64.const 0) (i64.const 8)) unreachable)
)`
	c := newCanister(t, Config{})
	install(t, c, wat(t, src, true))
	c.Update(Message{Method: "w"})
	s := c.State().Stable
	if len(s) != wasmPage || string(s[:8]) != "abcdefgh" {
		t.Fatalf("stable after w: %d %q", len(s), s[:8])
	}
	c.Update(Message{Method: "wt"})
	if s2 := c.State().Stable; !bytes.Equal(s, s2) {
		t.Fatal("stable memory not rolled back")
	}
}

// TestLoadAndCompileCache persists a canister's state, loads it from a
// serialized compiled module, and checks it continues where it was.
func TestLoadAndCompileCache(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		c := newCanister(t, Config{})
		wasm := wat(t, counterWAT, wasm64)
		install(t, c, wasm)
		c.Update(Message{Method: "inc"})
		c.Update(Message{Method: "inc"})
		st := c.State()
		p, err := Prepare(wasm)
		if err != nil {
			t.Fatal(err)
		}
		compiled, err := testEngine.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		ser, err := compiled.Serialize()
		if err != nil {
			t.Fatal(err)
		}
		loaded, err := testEngine.Load(p, ser)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Engine: testEngine, Subnet: c.cfg.Subnet, RootKey: c.cfg.RootKey, UpdateLimit: c.cfg.UpdateLimit}
		d, err := Load(cfg, st, loaded)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if d.StateHash() != c.StateHash() {
			t.Fatal("loaded state differs")
		}
		r1, r2 := c.Update(Message{Method: "inc"}), d.Update(Message{Method: "inc"})
		if u64(r1.Reply) != 3 || u64(r2.Reply) != 3 || r1.Fuel != r2.Fuel || d.StateHash() != c.StateHash() {
			t.Fatalf("after load: %+v %+v", r1, r2)
		}
		st.ModuleHash[0] ^= 1
		if _, err := Load(cfg, st, nil); err == nil {
			t.Fatal("wrong module hash accepted")
		}
	}
}

func TestInspectHeartbeatStatus(t *testing.T) {
	src := `(module
  (import "ic0" "msg_method_name_size" (func $name_size (result PTR)))
  (import "ic0" "accept_message" (func $accept))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "global_timer_set" (func $timer (param i64) (result i64)))
  MEMORY
  (global $beats (mut i64) (i64.const 0))
  (func (export "canister_inspect_message")
    ;; accept methods with names of 2 bytes
    (if (PTR.eq (call $name_size) (PTR.const 2)) (then (call $accept))))
  (func (export "canister_heartbeat") (global.set $beats (i64.add (global.get $beats) (i64.const 1))))
  (func (export "canister_update ok") (call $reply))
  (func (export "canister_update okay") (call $reply))
)`
	for _, wasm64 := range []bool{false, true} {
		c := newCanister(t, Config{})
		install(t, c, wat(t, src, wasm64))
		if ok, r := c.Inspect(Message{Method: "ok"}); !ok {
			t.Fatalf("inspect ok: %+v", r)
		}
		if ok, _ := c.Inspect(Message{Method: "okay"}); ok {
			t.Fatal("inspect okay accepted")
		}
		h := c.StateHash()
		if r := c.Heartbeat(Message{Time: 5}); r == nil || r.Trap != nil || r.RejectCode != 0 {
			t.Fatalf("heartbeat: %+v", r)
		}
		if c.StateHash() == h || c.State().Globals[0] != 1 {
			t.Fatal("heartbeat changed nothing")
		}
		c.SetStatus(Stopped)
		if r := c.Update(Message{Method: "ok"}); r.RejectCode != RejectCanisterError {
			t.Fatalf("update of a stopped canister: %+v", r)
		}
	}
}

func TestModuleCache(t *testing.T) {
	m := NewModuleCache(testEngine)
	wasm := wat(t, counterWAT, true)
	var cs []*Canister
	for range 3 {
		p, compiled, err := m.Get(wasm)
		if err != nil {
			t.Fatal(err)
		}
		c := newCanister(t, Config{})
		if _, err := c.InstallCompiled(p, compiled, Message{}); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	if m.Len() != 1 {
		t.Fatalf("%d modules cached", m.Len())
	}
	// Instances of one compiled module are independent.
	cs[0].Update(Message{Method: "inc"})
	if r := cs[1].Query(Message{Method: "get"}); u64(r.Reply) != 0 {
		t.Fatalf("instances share state: %+v", r)
	}
	p, compiled, _ := m.Get(wasm)
	if _, err := cs[0].UpgradeCompiled(p, compiled, Message{}, false); err != nil {
		t.Fatal(err)
	}
	if r := cs[0].Query(Message{Method: "get"}); u64(r.Reply) != 1 {
		t.Fatalf("after upgrade: %+v", r)
	}
}

func FuzzPrepare(f *testing.F) {
	f.Add(wat(f, counterWAT, false))
	f.Add(wat(f, counterWAT, true))
	f.Add(wat(f, callerWAT, true))
	f.Add(writerModule(f, false))
	f.Add(writerModule(f, true))
	f.Add(wat(f, `(module (memory 1) (global $g (mut f32) (f32.const 1))
  (func (param i32 v128) (result i32)
    (v128.store8_lane offset=3 1 (local.get 0) (local.get 1))
    (v128.store64_lane 1 (local.get 0) (local.get 1))
    (drop (v128.load32_lane 2 (local.get 0) (local.get 1)))
    (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 (local.get 1) (local.get 1)))
    (block $b (result i32) (br_table $b $b (i32.const 1) (local.get 0)))
    (drop)
    (select (result i32) (i32.const 1) (i32.const 2) (local.get 0))))`, false))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Prepare(b)
		if err != nil {
			return
		}
		// A valid module that passes must still be valid after the
		// rewrite (exports and dirty-page tracking).
		eng := testEngine.(*wtEngine).engine
		if wasmtime.ModuleValidate(eng, b) != nil {
			return
		}
		if err := wasmtime.ModuleValidate(eng, p.info.wasm); err != nil {
			t.Fatalf("rewritten module is invalid: %v", err)
		}
	})
}
