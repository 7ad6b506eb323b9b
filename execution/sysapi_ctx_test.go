package execution

import (
	"fmt"
	"strings"
	"testing"
)

// moreContextsModule is a canister that calls ic0.<f> with zero arguments
// from the entry points TestContextRules does not reach: reply and reject
// callbacks (table entries 0 and 1), a cleanup callback (entry 2, run when
// the callback at entry 3 traps; it sets the mutable global $flag after
// the call), canister_inspect_message, a query method called as an update
// (replicated query) and a composite query.
func moreContextsModule(t *testing.T, f *SysFunc, wasm64 bool) []byte {
	ft := f.funcType(wasm64)
	var params, args, result string
	for _, k := range ft.params {
		ty := strings.ToLower(k.String())
		params += " " + ty
		args += fmt.Sprintf(" (%s.const 0)", ty)
	}
	call := fmt.Sprintf("(call $f%s)", args)
	if ft.result != nil {
		result = fmt.Sprintf("(result %s)", strings.ToLower(ft.result.String()))
		call = "(drop " + call + ")"
	}
	ptr := "i32"
	if wasm64 {
		ptr = "i64"
	}
	src := fmt.Sprintf(`(module
  (import "ic0" %q (func $f (param%s) %s))
  MEMORY
  (global $flag (mut i32) (i32.const 0))
  (table 4 funcref)
  (elem (i32.const 0) $cb $cb $cleanup $boom)
  (func $go %s)
  (func $cb (param %s) (call $go))
  (func $cleanup (param %s) (call $go) (global.set $flag (i32.const 1)))
  (func $boom (param %s) unreachable)
  (func (export "canister_inspect_message") (call $go))
  (func (export "canister_query rq") (call $go))
  (func (export "canister_composite_query cq") (call $go))
)`, f.Name, params, result, call, ptr, ptr, ptr)
	return wat(t, src, wasm64)
}

// TestContextRulesMore: every System API function from the reply and
// reject callbacks, inspect_message, a replicated query and a composite
// query traps for its context exactly when the specification forbids it;
// from a cleanup callback, a forbidden call traps (its changes are
// undone).
func TestContextRulesMore(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		for i := range sysFuncs {
			f := &sysFuncs[i]
			if wasm64 && f.wasm32Only {
				continue
			}
			c := newCanister(t, Config{})
			install(t, c, moreContextsModule(t, f, wasm64))
			check := func(where string, ctx Context, res *Result) {
				t.Helper()
				if got, want := contextTrap(res, nil), f.Allowed&ctx == 0; got != want {
					t.Errorf("wasm64=%v ic0.%s from %s: context trap = %v, want %v (%+v)", wasm64, f.Name, where, got, want, res)
				}
			}
			orig := Message{Caller: alice, Time: 5}
			check("reply callback", CtxReply, c.Callback(Call{ReplyFun: 0, RejectFun: 1}, Response{Reply: []byte{}}, orig, false))
			check("reject callback", CtxReject, c.Callback(Call{ReplyFun: 0, RejectFun: 1}, Response{RejectCode: RejectCanisterReject, RejectMessage: "no"}, orig, false))
			_, res := c.Inspect(Message{Method: "rq", Caller: alice})
			check("inspect_message", CtxInspect, res)
			check("replicated query", CtxReplQuery, c.Update(Message{Method: "rq", Caller: alice}))
			check("composite query", CtxCompositeQuery, c.Query(Message{Method: "cq", Caller: alice}))
			r := c.Callback(Call{ReplyFun: 3, RejectFun: 1, Cleanup: true, CleanupFun: 2}, Response{Reply: []byte{}}, orig, false)
			if r.Trap == nil {
				t.Fatalf("ic0.%s: the trapping callback did not trap", f.Name)
			}
			if ran := c.State().Globals[0] == 1; f.Allowed&CtxCleanup == 0 && ran {
				t.Errorf("wasm64=%v ic0.%s from cleanup: allowed, the specification forbids it", wasm64, f.Name)
			}
		}
	}
}

// TestSubnetNodeCount: ic0.subnet_self_node_count gives the configured
// count (1 when unset) and follows SetSubnetNodes.
func TestSubnetNodeCount(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		c := newCanister(t, Config{})
		install(t, c, wat(t, `(module
  (import "ic0" "subnet_self_node_count" (func $n (result i32)))
  (import "ic0" "msg_reply_data_append" (func $append (param PTR PTR)))
  (import "ic0" "msg_reply" (func $reply))
  MEMORY
  (func (export "canister_query n") (i32.store (PTR.const 0) (call $n)) (call $append (PTR.const 0) (PTR.const 4)) (call $reply)))`, wasm64))
		n := func() uint32 {
			r := c.Query(Message{Method: "n", Caller: alice})
			if !r.Replied || len(r.Reply) != 4 {
				t.Fatalf("n: %+v", r)
			}
			return uint32(r.Reply[0]) | uint32(r.Reply[1])<<8
		}
		if got := n(); got != 1 {
			t.Fatalf("unset node count: %d", got)
		}
		c.SetSubnetNodes(13)
		if got := n(); got != 13 {
			t.Fatalf("node count %d, want 13", got)
		}
	}
}
