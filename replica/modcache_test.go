package replica

import (
	"encoding/binary"
	"testing"

	"github.com/chainkey/chainkey/replica/canisters"
)

// TestSimCanisterCompileCache: a node compiles a canister's module once
// and keeps it in its directory; restarted, it loads the canisters with
// the compiled code from there and compiles nothing.
func TestSimCanisterCompileCache(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	c := &canClient{s: s}
	counter := c.create(canisterWasm(t, "counter.wat"))
	if r := c.run(0, c.call(counter, "inc", nil)); r[0].Status != canisters.StatusReplied {
		t.Fatalf("inc: %+v", r[0])
	}
	if compiled, _ := s.nodes[2].app.moduleCacheCounts(); compiled != 1 {
		t.Fatalf("node 2 compiled %d modules, want 1", compiled)
	}
	s.crash(2)
	s.restart(2)
	compiled, loaded := s.nodes[2].app.moduleCacheCounts()
	if compiled != 0 || loaded != 1 {
		t.Fatalf("restarted node compiled %d modules and loaded %d, want 0 and 1", compiled, loaded)
	}
	s.steps(2)
	s.sameCanisters()
	if r := c.run(2, c.call(counter, "inc", nil)); r[0].Status != canisters.StatusReplied {
		t.Fatalf("inc after the restart: %+v", r[0])
	}
	q := s.nodes[2].app.canisterQuery(counter, simAlice, "get", nil)
	if !q.Replied || binary.LittleEndian.Uint64(q.Reply) != 2 {
		t.Fatalf("counter after the restart: %+v", q)
	}
	if compiled, _ := s.nodes[2].app.moduleCacheCounts(); compiled != 0 {
		t.Fatalf("restarted node compiled %d modules", compiled)
	}
}
