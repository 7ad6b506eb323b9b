package execution

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// writerWAT writes memory in every way Wasm code and the host can; each
// method traps at the end when its argument is one byte long.
const writerWAT = `(module
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result PTR)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param PTR PTR PTR)))
  (import "ic0" "canister_cycle_balance128" (func $balance (param PTR)))
  (import "ic0" "stable64_grow" (func $sgrow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $swrite (param i64 i64 i64)))
  (import "ic0" "stable64_read" (func $sread (param i64 i64 i64)))
  (memory (export "memory") PTRMEM 2)
  (data $d "passive data segment")
  (func $end
    (if (i32.eq (PTR.eq (call $arg_size) (PTR.const 1)) (i32.const 1)) (then unreachable))
    (call $reply))
  (func (export "canister_update store")
    ;; an i64 store across the boundary of pages 2 and 3
    (i64.store (PTR.const 12284) (i64.const -1))
    (f64.store offset=20000 (PTR.const 8) (f64.const 1.5))
    (i32.store8 (PTR.const 50000) (i32.const 9))
    (i64.store32 (PTR.const 60000) (i64.const 0x01020304))
    (v128.store (PTR.const 65530) (v128.const i64x2 -1 -1))
    (call $end))
  (func (export "canister_update bulk")
    (memory.fill (PTR.const 40000) (i32.const 7) (PTR.const 10000))
    (memory.copy (PTR.const 70000) (PTR.const 40000) (PTR.const 5000))
    (memory.init $d (PTR.const 90000) (i32.const 0) (i32.const 20))
    (call $end))
  (func (export "canister_update host")
    (call $arg_copy (PTR.const 100000) (PTR.const 0) (call $arg_size))
    (call $balance (PTR.const 110000))
    (drop (call $sgrow (i64.const 1)))
    (call $swrite (i64.const 5000) (i64.const 0) (i64.const 10))
    (call $sread (i64.const 120000) (i64.const 0) (i64.const 100))
    (call $end))
  (func (export "canister_update same")
    ;; rewrites a byte with the value it has
    (i32.store8 (PTR.const 300) (i32.load8_u (PTR.const 300)))
    (call $end))
  (func (export "canister_update grow")
    (drop (memory.grow (PTR.const 1)))
    (i32.store (PTR.const 140000) (i32.const 5))
    (call $end))
)`

func writerModule(t testing.TB, wasm64 bool) []byte {
	src := writerWAT
	if wasm64 {
		src = replacePtrAdd(src, true)
		src = bytesReplace(src, "PTRMEM", "i64")
	} else {
		src = bytesReplace(src, "PTRMEM", "")
	}
	return wat(t, src, wasm64)
}

func bytesReplace(s, old, new string) string {
	return string(bytes.ReplaceAll([]byte(s), []byte(old), []byte(new)))
}

// changedPages lists the 4 KiB pages where a and b differ (b may be
// longer).
func changedPages(a, b []byte) []uint64 {
	var p []uint64
	for lo := 0; lo < len(b); lo += PageSize {
		var x []byte
		if lo < len(a) {
			x = a[lo : lo+PageSize]
		} else {
			x = zeroPage[:]
		}
		if !bytes.Equal(x, b[lo:lo+PageSize]) {
			p = append(p, uint64(lo/PageSize))
		}
	}
	return p
}

func pageIndices(ps []Page) []uint64 {
	var x []uint64
	for _, p := range ps {
		x = append(x, p.Index)
	}
	return x
}

// TestDirtyPages checks rollback and checkpoints for each way of writing
// memory: a trap restores exactly the state before, and a checkpoint
// carries exactly the pages that changed and gives the state back when
// applied.
func TestDirtyPages(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		for _, method := range []string{"store", "bulk", "host", "same", "grow"} {
			t.Run(fmt.Sprintf("wasm64=%v/%s", wasm64, method), func(t *testing.T) {
				c := newCanister(t, Config{})
				install(t, c, writerModule(t, wasm64))
				// The module's memory starts all zeros.
				if cp := c.Checkpoint(); !cp.MemoryReset || len(cp.MemoryPages) != 0 || cp.MemorySize != 2*wasmPage {
					t.Fatalf("first checkpoint after install: reset %v, %d pages, size %d", cp.MemoryReset, len(cp.MemoryPages), cp.MemorySize)
				}
				before := c.State()
				msg := Message{Method: method, Arg: []byte{1}, Caller: alice}
				r := c.Update(msg)
				if r.Trap == nil {
					t.Fatalf("no trap: %+v", r)
				}
				after := c.State()
				if !bytes.Equal(before.Encode(), after.Encode()) {
					t.Fatalf("trap did not restore the state; changed pages %v", changedPages(before.Memory, after.Memory))
				}
				if cp := c.Checkpoint(); len(cp.MemoryPages)+len(cp.StablePages) != 0 && method != "host" {
					t.Fatalf("checkpoint after a trap has pages %v", pageIndices(cp.MemoryPages))
				}
				msg.Arg = []byte("xy")
				if r := c.Update(msg); !r.Replied {
					t.Fatalf("%s: %+v", method, r)
				}
				after = c.State()
				cp := c.Checkpoint()
				want := changedPages(before.Memory, after.Memory)
				if method == "same" && len(want) != 0 {
					t.Fatal("same changed memory")
				}
				if got := pageIndices(cp.MemoryPages); !slices.Equal(got, want) {
					t.Fatalf("checkpoint pages %v, changed %v", got, want)
				}
				st := before
				st.Memory = append([]byte(nil), before.Memory...)
				if err := st.Apply(cp); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(st.Encode(), after.Encode()) {
					t.Fatalf("applied checkpoint differs; pages %v", changedPages(st.Memory, after.Memory))
				}
				// A canister loaded from the applied state runs on.
				d, err := Load(c.cfg, st, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				if d.StateHash() != c.StateHash() {
					t.Fatal("loaded canister differs")
				}
				r1, r2 := c.Update(msg), d.Update(msg)
				if r1.Replied != r2.Replied || d.StateHash() != c.StateHash() {
					t.Fatal("loaded canister runs differently")
				}
			})
		}
	}
}

// TestCheckpointChain replays a workload of updates, traps, an upgrade
// and a reinstall as a base state plus checkpoints.
func TestCheckpointChain(t *testing.T) {
	wasm := writerModule(t, true)
	counter := wat(t, counterWAT, true)
	c := newCanister(t, Config{})
	st := c.State()
	steps := []func(){
		func() { install(t, c, wasm) },
		func() { c.Update(Message{Method: "store", Arg: []byte("ok")}) },
		func() { c.Update(Message{Method: "bulk", Arg: []byte{1}}) },
		func() { c.Update(Message{Method: "bulk"}); c.Update(Message{Method: "host", Arg: []byte("abc")}) },
		func() { c.Update(Message{Method: "grow"}) },
		func() { install(t, c, counter) },
		func() { c.Update(Message{Method: "inc"}); c.Update(Message{Method: "inc"}) },
		func() {
			if _, err := c.Upgrade(counter, Message{}, false); err != nil {
				t.Fatal(err)
			}
		},
		func() { c.Update(Message{Method: "inc"}) },
		func() { c.Uninstall() },
	}
	var cps []*Checkpoint
	for i, step := range steps {
		step()
		cp := c.Checkpoint()
		cps = append(cps, cp)
		if err := st.Apply(cp); err != nil {
			t.Fatal(err)
		}
		if want := c.State(); !bytes.Equal(st.Encode(), want.Encode()) {
			t.Fatalf("step %d: applied state differs (memory %d/%d bytes, pages %v)", i, len(st.Memory), len(want.Memory),
				changedPages(st.Memory, want.Memory))
		}
	}
	// Checkpoints share pages with the canister; later messages must
	// not change them: replaying all of them again gives the state at
	// each step's end, which a second run of the steps reproduces.
	c2 := newCanister(t, Config{})
	st2 := c2.State()
	c = c2
	for i, step := range steps[:len(steps)-1] {
		step()
		if err := st2.Apply(cps[i]); err != nil {
			t.Fatal(err)
		}
		if want := c2.State(); !bytes.Equal(st2.Encode(), want.Encode()) {
			t.Fatalf("step %d: a kept checkpoint changed", i)
		}
	}
}

// TestMotokoCheckpoints replays Motoko counter messages as checkpoints and
// loads the canister from them.
func TestMotokoCheckpoints(t *testing.T) {
	wasm := motoko(t)["Counter"]
	c := newCanister(t, Config{UpdateLimit: 200_000_000})
	if _, err := c.Install(wasm, Message{Caller: ctrl, Arg: candidEmpty, Time: 1}); err != nil {
		t.Fatal(err)
	}
	st := c.State()
	base := c.State()
	c.Checkpoint()
	var cps []*Checkpoint
	for i := 0; i < 3; i++ {
		c.Update(Message{Method: "inc", Arg: candidEmpty, Caller: alice, Time: uint64(10 + i)})
		c.Update(Message{Method: "boom", Arg: candidEmpty, Caller: alice, Time: uint64(10 + i)})
		cp := c.Checkpoint()
		if len(cp.MemoryPages) == 0 || len(cp.MemoryPages) > 64 {
			t.Fatalf("increment changed %d pages", len(cp.MemoryPages))
		}
		t.Logf("height %d: %d memory pages of %d", i, len(cp.MemoryPages), cp.MemorySize/PageSize)
		cps = append(cps, cp)
		if err := st.Apply(cp); err != nil {
			t.Fatal(err)
		}
	}
	if want := c.State(); !bytes.Equal(st.Encode(), want.Encode()) {
		t.Fatal("applied state differs")
	}
	d, err := LoadCheckpoints(c.cfg, base, cps, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if r := d.Update(Message{Method: "inc", Arg: candidEmpty, Caller: alice, Time: 20}); !bytes.Equal(r.Reply, candidNat(4)) {
		t.Fatalf("inc on the loaded canister: %+v", r)
	}
}

// TestGlobalsOfEveryType saves, rolls back and reloads mutable globals of
// each value type, including NaN payloads, through the module's added
// save and load functions.
func TestGlobalsOfEveryType(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			src := `(module
  (import "ic0" "msg_reply" (func $reply))
  MEMORY
  (global $a (mut i32) (i32.const -5))
  (global $b (mut i64) (i64.const -6))
  (global $c (mut f32) (f32.const nan:0x200001))
  (global $d (mut f64) (f64.const -nan:0x8000000000001))
  (global $k i32 (i32.const 1))
  (func $change
    (global.set $a (i32.const 1)) (global.set $b (i64.const 2))
    (global.set $c (f32.const 3)) (global.set $d (f64.const 4)))
  (func (export "canister_update change") (call $change) (call $reply))
  (func (export "canister_update change_trap") (call $change) unreachable))`
			c := newCanister(t, Config{})
			install(t, c, wat(t, src, wasm64))
			want := []uint64{uint64(uint32(0xfffffffb)), uint64(0xfffffffffffffffa), 0x7fa00001, 0xfff8000000000001}
			if got := c.State().Globals; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("globals %x, want %x", got, want)
			}
			if r := c.Update(Message{Method: "change_trap"}); r.Trap == nil {
				t.Fatal("no trap")
			}
			if got := c.State().Globals; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("after rollback %x, want %x", got, want)
			}
			st := c.State()
			d, err := Load(c.cfg, st, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if got := d.State().Globals; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("loaded %x, want %x", got, want)
			}
			c.Update(Message{Method: "change"})
			if got := c.State().Globals; fmt.Sprint(got) != fmt.Sprint([]uint64{1, 2, 0x40400000, 0x4010000000000000}) {
				t.Fatalf("changed %x", got)
			}
		})
	}
}

// TestOnlyMemoryZero rejects modules whose code or data name a memory
// other than their own (the index of the memory execution adds).
func TestOnlyMemoryZero(t *testing.T) {
	for name, src := range map[string]string{
		"data":  `(module (memory 1) (data (memory 1) (i32.const 0) "x"))`,
		"store": `(module (memory 1) (func (i32.store8 1 (i32.const 0) (i32.const 1))))`,
		"size":  `(module (memory 1) (func (drop (memory.size 1))))`,
		"fill":  `(module (memory 1) (func (memory.fill 1 (i32.const 0) (i32.const 0) (i32.const 0))))`,
	} {
		b, err := wasmtime.Wat2Wasm(src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := Prepare(b); err == nil || !strings.Contains(err.Error(), "other than 0") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
