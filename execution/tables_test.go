package execution

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
)

func tableModule(t testing.TB) []byte { return tableModuleOf(t, false) }

// tableModuleOf is testdata/table.wat, with a 64-bit memory when wasm64.
func tableModuleOf(t testing.TB, wasm64 bool) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/table.wat")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	if wasm64 {
		for _, r := range [][2]string{
			{"(param i32 i32)", "(param i64 i64)"},
			{"(memory 1)", "(memory i64 1)"},
			{"(i64.store (i32.const 0)", "(i64.store (i64.const 0)"},
			{"(i32.store8 (i32.const 0)", "(i32.store8 (i64.const 0)"},
			{"(i32.store8 (i32.add (i32.const 1) (local.get $i))", "(i32.store8 (i64.extend_i32_u (i32.add (i32.const 1) (local.get $i)))"},
			{"(call $append (i32.const 0) (i32.const 8))", "(call $append (i64.const 0) (i64.const 8))"},
		} {
			if !strings.Contains(src, r[0]) {
				t.Fatalf("table.wat has no %q", r[0])
			}
			src = strings.ReplaceAll(src, r[0], r[1])
		}
	}
	return wat(t, src, wasm64)
}

// TestTableStateWasm64: the same with a 64-bit memory (the instrumented
// table flag is stored through an i64 address).
func TestTableStateWasm64(t *testing.T) {
	c := newCanister(t, Config{})
	install(t, c, tableModuleOf(t, true))
	c.Update(Message{Method: "set", Caller: alice})
	c.Update(Message{Method: "grow", Caller: alice})
	if r := c.Update(Message{Method: "grow_trap", Caller: alice}); r.Trap == nil {
		t.Fatal("grow_trap did not trap")
	}
	wantTable(t, c, 2, 2, 3)
	d, err := Load(c.cfg, c.State(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	wantTable(t, d, 2, 2, 3)
	if d.StateHash() != c.StateHash() {
		t.Fatal("the loaded canister has another state hash")
	}
}

// tableView calls "call": the table size and each entry's value.
func tableView(t *testing.T, c *Canister) []byte {
	t.Helper()
	r := c.Query(Message{Method: "call", Caller: alice})
	if !r.Replied || len(r.Reply) != 8 {
		t.Fatalf("call: %+v", r)
	}
	return r.Reply[:1+r.Reply[0]]
}

func wantTable(t *testing.T, c *Canister, want ...byte) {
	t.Helper()
	if got := tableView(t, c); !bytes.Equal(got, want) {
		t.Fatalf("table %v, want %v", got, want)
	}
}

// TestTableState: table changes persist from message to message, a trap
// (or a query) undoes them, shrinking a grown table back, and a canister
// loaded from its state has the same table.
func TestTableState(t *testing.T) {
	c := newCanister(t, Config{})
	install(t, c, tableModule(t))
	wantTable(t, c, 1, 1)
	steps := []struct {
		method string
		trap   bool
		want   []byte
	}{
		{"set", false, []byte{1, 2}},
		{"grow", false, []byte{2, 2, 3}},
		{"grow_trap", true, []byte{2, 2, 3}},
		{"set_trap", true, []byte{2, 2, 3}},
		{"qset", false, []byte{2, 2, 3}}, // a query method called as an update: discarded
		{"grow_null", false, []byte{3, 2, 3, 0}},
	}
	for _, s := range steps {
		r := c.Update(Message{Method: s.method, Caller: alice})
		if (r.Trap != nil) != s.trap {
			t.Fatalf("%s: trap %v", s.method, r.Trap)
		}
		wantTable(t, c, s.want...)
	}
	if r := c.Query(Message{Method: "qset", Caller: alice}); !r.Replied {
		t.Fatalf("qset: %+v", r)
	}
	wantTable(t, c, 3, 2, 3, 0)
	st := c.State()
	if want := []int64{3, 4, -1}; len(st.Table) != 3 || st.Table[0] != want[0] || st.Table[1] != want[1] || st.Table[2] != want[2] {
		t.Fatalf("state table %v, want %v (function indices after the two imports)", st.Table, want)
	}
	d, err := Load(c.cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	wantTable(t, d, 3, 2, 3, 0)
	if d.StateHash() != c.StateHash() {
		t.Fatal("the loaded canister has another state hash")
	}
	// Both go on alike; a trap after the load rolls back to the loaded
	// table.
	for _, x := range []*Canister{c, d} {
		x.Update(Message{Method: "grow_trap", Caller: alice})
		x.Update(Message{Method: "grow", Caller: alice})
		wantTable(t, x, 4, 2, 3, 0, 3)
	}
	if d.StateHash() != c.StateHash() {
		t.Fatal("the loaded canister diverged")
	}
	// The table is part of the state hash.
	e, err := Load(c.cfg, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.StateHash() == c.StateHash() {
		t.Fatal("a table change does not change the state hash")
	}
}

// TestTableStateCheckpoint: checkpoints carry the table.
func TestTableStateCheckpoint(t *testing.T) {
	c := newCanister(t, Config{})
	install(t, c, tableModule(t))
	c.Update(Message{Method: "grow", Caller: alice})
	cp := c.Checkpoint()
	if len(cp.State.Table) != 2 {
		t.Fatalf("checkpoint table %v", cp.State.Table)
	}
	// An upgrade starts from the new module's table.
	if _, err := c.Upgrade(tableModule(t), Message{Caller: ctrl, Time: 2}, false); err != nil {
		t.Fatal(err)
	}
	wantTable(t, c, 1, 1)
}

// TestModulesWithoutTableChanges keep no table state.
func TestModulesWithoutTableChanges(t *testing.T) {
	c := newCanister(t, Config{})
	install(t, c, wat(t, counterWAT, false))
	c.Update(Message{Method: "inc", Caller: alice})
	if st := c.State(); st.Table != nil {
		t.Fatalf("table state %v for a module that never changes its table", st.Table)
	}
}

func TestTableModuleRules(t *testing.T) {
	for name, src := range map[string]string{
		"data.drop": `(module (memory 1) (data "x") (func (export "canister_update f") (data.drop 0)))`,
		"elem.drop": `(module (table 1 funcref) (func $f) (elem func $f) (func (export "canister_update f") (elem.drop 0)))`,
		"two tables": `(module (table 1 funcref) (table $u 1 funcref)
		  (func (export "canister_update f") (table.set $u (i32.const 0) (ref.null func))))`,
		"externref": `(module (table 1 externref) (func (export "canister_update f") (table.set 0 (i32.const 0) (ref.null extern))))`,
	} {
		_, err := Prepare(wat(t, src, false))
		if err == nil || !strings.Contains(err.Error(), "invalid module") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Reading a second table, or changing the only one, is fine.
	if _, err := Prepare(wat(t, `(module (table 1 funcref) (table $u 1 funcref)
	  (func (export "canister_query f") (drop (table.get $u (i32.const 0)))))`, false)); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkTableUpdate is an update message of a module that changes its
// table at run time, with the table at 1 and at 1,000 entries: one that
// sets an entry (the table is read back after it) and one that does not
// touch the table (its flag is clear: nothing is read).
func BenchmarkTableUpdate(b *testing.B) {
	for _, bc := range []struct {
		n      int
		method string
	}{{1, "set"}, {1000, "set"}, {1000, "noop"}} {
		n := bc.n
		b.Run(fmt.Sprintf("entries=%d/%s", n, bc.method), func(b *testing.B) {
			c := newCanister(b, Config{})
			install(b, c, tableModule(b))
			for range n - 1 {
				c.Update(Message{Method: "grow_null", Caller: alice})
			}
			b.ResetTimer()
			for range b.N {
				if r := c.Update(Message{Method: bc.method, Caller: alice}); r.Trap != nil {
					b.Fatal(r.Trap)
				}
			}
		})
	}
}
