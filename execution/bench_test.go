package execution

import (
	"testing"
)

// BenchmarkMotokoCompileInstantiate compiles and installs the wasm64
// Motoko counter (compile, instantiate, start, canister_init).
func BenchmarkMotokoCompileInstantiate(b *testing.B) {
	wasm := motoko(b)["Counter"]
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
			for b.Loop() {
				if r := c.Update(msg); !r.Replied {
					b.Fatal(r)
				}
			}
		})
	}
}

// BenchmarkFuel runs a loop until 10 million units of fuel run out; the
// ns/fuel metric is the time of one unit (one Wasm operator).
func BenchmarkFuel(b *testing.B) {
	const limit = 10_000_000
	c := newCanister(b, Config{UpdateLimit: limit})
	install(b, c, wat(b, `(module MEMORY (func (export "canister_update loop") (loop $l (br $l))))`, false))
	for b.Loop() {
		if r := c.Update(Message{Method: "loop"}); r.Trap == nil || r.Trap.Kind != TrapOutOfInstructions {
			b.Fatal(r)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/limit, "ns/fuel")
}
