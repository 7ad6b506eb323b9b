package replica

import (
	"encoding/binary"
	"testing"
)

// TestSimCanisterCompositeQuery: the node's query path runs composite
// queries, which read other canisters' query methods on the node's state.
func TestSimCanisterCompositeQuery(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	c := &canClient{s: s}
	counter := c.create(canisterWasm(t, "counter.wat"))
	cq := c.create(canisterWasm(t, "cquery.wat"))
	c.run(0, c.call(counter, "inc", nil), c.call(counter, "inc", nil))
	for _, nd := range s.live() {
		q := nd.app.canisterQuery(cq, simAlice, "forward", fwd(counter, "get", nil))
		if !q.Replied || len(q.Reply) != 8 || binary.LittleEndian.Uint64(q.Reply) != 2 {
			t.Fatalf("node %d: composite query: %+v", nd.cfg.Index, q)
		}
	}
}
