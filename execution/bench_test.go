package execution

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/internal/group/grouptest"
)

// BenchmarkMotokoCompileInstantiate compiles and installs the wasm64
// Motoko counter (compile, instantiate, start, canister_init).
func BenchmarkMotokoCompileInstantiate(b *testing.B) {
	wasm := motoko(b)["Counter"]
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		c := newCanister(b, Config{})
		if _, err := c.Install(wasm, Message{Arg: candidEmpty}); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkMotokoInstantiateCached installs the Motoko counter from a
// compiled module (the compile cache's path).
func BenchmarkMotokoInstantiateCached(b *testing.B) {
	wasm := motoko(b)["Counter"]
	p, err := Prepare(wasm)
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := testEngine.Compile(p)
	if err != nil {
		b.Fatal(err)
	}
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		c := newCanister(b, Config{})
		if _, err := c.InstallCompiled(p, compiled, Message{Arg: candidEmpty}); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkEmptyUpdate is the engine overhead of an update message whose
// method only replies (one page of memory).
func BenchmarkEmptyUpdate(b *testing.B) {
	c := newCanister(b, Config{})
	install(b, c, wat(b, `(module (import "ic0" "msg_reply" (func $reply)) MEMORY
  (func (export "canister_update nop") (call $reply)))`, false))
	msg := Message{Method: "nop", Caller: alice}
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if r := c.Update(msg); !r.Replied {
			b.Fatal(r)
		}
	}
}

// BenchmarkCounterIncrement is an increment of the WAT counter.
func BenchmarkCounterIncrement(b *testing.B) {
	c := newCanister(b, Config{})
	install(b, c, wat(b, counterWAT, true))
	msg := Message{Method: "inc", Caller: alice}
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if r := c.Update(msg); !r.Replied {
			b.Fatal(r)
		}
	}
}

// BenchmarkMotokoIncrement is an increment of the Motoko counter (wasm64,
// enhanced orthogonal persistence).
func BenchmarkMotokoIncrement(b *testing.B) {
	for _, name := range []string{"Counter", "Counter32"} {
		b.Run(name, func(b *testing.B) {
			c := newCanister(b, Config{UpdateLimit: 100_000_000})
			if _, err := c.Install(motoko(b)[name], Message{Arg: candidEmpty}); err != nil {
				b.Fatal(err)
			}
			msg := Message{Method: "inc", Arg: candidEmpty, Caller: alice}
			b.ReportMetric(float64(len(c.State().Memory)), "memory-bytes")
			var fuel uint64
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				r := c.Update(msg)
				if !r.Replied {
					b.Fatal(r)
				}
				fuel += r.Fuel
			}
			b.ReportMetric(float64(fuel)/float64(b.N), "fuel/op")
		})
	}
}

// BenchmarkFuel runs a loop until 10 million units of fuel run out; the
// ns/fuel metric is the time of one unit (one Wasm operator).
func BenchmarkFuel(b *testing.B) {
	const limit = 10_000_000
	c := newCanister(b, Config{UpdateLimit: limit})
	install(b, c, wat(b, `(module MEMORY (func (export "canister_update loop") (loop $l (br $l))))`, false))
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if r := c.Update(Message{Method: "loop"}); r.Trap == nil || r.Trap.Kind != TrapOutOfInstructions {
			b.Fatal(r)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/limit, "ns/fuel")
}

// touchWAT writes one byte into each of the first n 4 KiB pages of a
// memory of MEMPAGES Wasm pages (n is the 4-byte argument) and traps
// when the argument has a fifth byte.
const touchWAT = `(module
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (memory (export "memory") MEMPAGES)
  (global $v (mut i32) (i32.const 0))
  (func (export "canister_update touch") (local $i i32) (local $n i32)
    (call $arg_copy (i32.const 0) (i32.const 0) (i32.const 4))
    (local.set $n (i32.load (i32.const 0)))
    (global.set $v (i32.add (global.get $v) (i32.const 1)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 12))) (global.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (if (i32.eq (call $arg_size) (i32.const 5)) (then unreachable))
    (call $reply)))`

func touchCanister(b *testing.B, memPages int) *Canister {
	c := newCanister(b, Config{})
	install(b, c, wat(b, strings.ReplaceAll(touchWAT, "MEMPAGES", strconv.Itoa(memPages)), false))
	c.Checkpoint()
	return c
}

// BenchmarkCheckpoint is an update message that writes n pages followed
// by a checkpoint (what a height costs the node), in memories of 1 MiB
// and 64 MiB: the cost follows the pages written, not the memory size.
func BenchmarkCheckpoint(b *testing.B) {
	for _, mem := range []int{16, 1024} {
		for _, n := range []uint32{0, 1, 16, 256} {
			b.Run(fmt.Sprintf("mem=%dMiB/pages=%d", mem/16, n), func(b *testing.B) {
				c := touchCanister(b, mem)
				msg := Message{Method: "touch", Arg: binary.LittleEndian.AppendUint32(nil, n)}
				defer grouptest.ReportCPU(b)()
				for b.Loop() {
					if r := c.Update(msg); !r.Replied {
						b.Fatal(r)
					}
					if cp := c.Checkpoint(); len(cp.MemoryPages) != int(n) {
						b.Fatalf("%d pages", len(cp.MemoryPages))
					}
				}
			})
		}
	}
}

// BenchmarkRollback runs the update method that writes n pages as a
// query, whose changes are always rolled back (without a trap, whose
// unwinding in wasmtime costs more than the rollback).
func BenchmarkRollback(b *testing.B) {
	for _, mem := range []int{16, 1024} {
		for _, n := range []uint32{1, 16, 256} {
			b.Run(fmt.Sprintf("mem=%dMiB/pages=%d", mem/16, n), func(b *testing.B) {
				c := touchCanister(b, mem)
				msg := Message{Method: "touch", Arg: binary.LittleEndian.AppendUint32(nil, n)}
				h := c.StateHash()
				defer grouptest.ReportCPU(b)()
				for b.Loop() {
					if r := c.Query(msg); !r.Replied {
						b.Fatal(r)
					}
				}
				if c.StateHash() != h {
					b.Fatal("state changed")
				}
			})
		}
	}
}

// BenchmarkTrap is an update message that writes one page and traps.
func BenchmarkTrap(b *testing.B) {
	c := touchCanister(b, 16)
	msg := Message{Method: "touch", Arg: append(binary.LittleEndian.AppendUint32(nil, 1), 0)}
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if r := c.Update(msg); r.Trap == nil {
			b.Fatal(r)
		}
	}
}

// BenchmarkMotokoCheckpoint is a Motoko counter increment followed by a
// checkpoint.
func BenchmarkMotokoCheckpoint(b *testing.B) {
	c := newCanister(b, Config{UpdateLimit: 100_000_000})
	if _, err := c.Install(motoko(b)["Counter"], Message{Arg: candidEmpty}); err != nil {
		b.Fatal(err)
	}
	c.Checkpoint()
	msg := Message{Method: "inc", Arg: candidEmpty, Caller: alice}
	pages := 0
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if r := c.Update(msg); !r.Replied {
			b.Fatal(r)
		}
		pages += len(c.Checkpoint().MemoryPages)
	}
	b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
}

// BenchmarkMotokoLoadSerialized loads the compiled Motoko counter from
// its serialized form (what the on-disk module cache does instead of
// compiling).
func BenchmarkMotokoLoadSerialized(b *testing.B) {
	p, err := Prepare(motoko(b)["Counter"])
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := testEngine.Compile(p)
	if err != nil {
		b.Fatal(err)
	}
	ser, err := compiled.Serialize()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(ser)), "bytes")
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if _, err := testEngine.Load(p, ser); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompositeQuery is a composite query that calls a query of
// another canister (WAT).
func BenchmarkCompositeQuery(b *testing.B) {
	src := strings.ReplaceAll(replacePtrAdd(cqWAT, false), "PTR.sub", "i32.sub")
	src = strings.ReplaceAll(src, "PTR.eqz", "i32.eqz")
	src = strings.ReplaceAll(src, "EXTEND", "i32.add (i32.const 0)")
	src = strings.ReplaceAll(src, "WRAP", "i32.add (i32.const 0)")
	a := newCanisterAt(b, Config{}, 20)
	install(b, a, wat(b, src, false))
	counter := newCanisterAt(b, Config{}, 21)
	install(b, counter, wat(b, counterWAT, false))
	set := peers{a, counter}
	msg := Message{Method: "get_first", Arg: counter.ID().Bytes()}
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if r := a.CompositeQuery(msg, set); !r.Replied {
			b.Fatal(r)
		}
	}
}
