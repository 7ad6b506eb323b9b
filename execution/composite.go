package execution

import (
	"fmt"

	"github.com/chainkey/chainkey/principal"
)

// The IC's limits on the call graph of a composite query (its execution
// environment's MAX_QUERY_CALL_DEPTH, MAX_INSTRUCTIONS_PER_COMPOSITE_QUERY_CALL
// and INSTRUCTION_OVERHEAD_PER_QUERY_CALL), in fuel at the package's 1:1
// scale.
const (
	// MaxQueryCallDepth is the most canisters a composite query's call
	// graph may hold at once (the first one included).
	MaxQueryCallDepth = 6
	// DefaultCompositeQueryLimit is the fuel of a whole call graph.
	DefaultCompositeQueryLimit = 5_000_000_000
	// CompositeQueryCallCost is the fuel each call in the graph costs
	// besides its execution (at most 100 calls in a graph).
	CompositeQueryCallCost = 50_000_000
)

// QueryPeers gives a composite query the canisters it may call: the
// node's canisters on the same subnet, at the state the query runs on.
type QueryPeers interface {
	// QueryCanister returns the canister with id, or nil when the subnet
	// has none.
	QueryCanister(id principal.Principal) *Canister
}

// CompositeQuery executes a query in non-replicated mode, as Query does,
// and when the method is a composite query ("canister_composite_query
// <method>") it delivers the calls the method and its callbacks make to
// the query and composite query methods of the canisters peers gives,
// one at a time, the last made first (as the IC does), and runs the
// callbacks. Only the first canister sees msg.Certificate.
// Within the query a canister's changes persist from one callback to the
// next; when the query ends, the state of every canister involved is as
// before. The IC's limits apply: a graph holds at most
// MaxQueryCallDepth canisters, may not call a canister already in it
// (loops end the whole query with an error), and all its executions
// share DefaultCompositeQueryLimit fuel, each call costing
// CompositeQueryCallCost more.
func (c *Canister) CompositeQuery(msg Message, peers QueryPeers) *Result {
	if c.inst == nil || !c.prepared.comp[msg.Method] {
		return c.Query(msg)
	}
	g := &queryGraph{peers: peers, remaining: c.cfg.CompositeQueryLimit, stack: map[string]bool{}}
	res, abort := g.run(c, msg)
	if abort != nil {
		abort.Fuel = c.cfg.CompositeQueryLimit - g.remaining
		return abort
	}
	res.Fuel = c.cfg.CompositeQueryLimit - g.remaining
	return res
}

// queryGraph is the state of one composite query's call graph.
type queryGraph struct {
	peers     QueryPeers
	remaining uint64
	stack     map[string]bool // canisters with a part of the query in progress
}

func (g *queryGraph) spend(n uint64) { g.remaining -= min(n, g.remaining) }

// run executes msg on c (a composite query or a query method) with
// everything its calls lead to. abort, when not nil, ends the whole
// query.
func (g *queryGraph) run(c *Canister, msg Message) (res *Result, abort *Result) {
	if c.inst == nil {
		return reject(RejectDestinationInvalid, "canister %s is empty", c.st.ID), nil
	}
	if c.st.Status != Running {
		return notRunning(c.st.ID, c.st.Status), nil
	}
	ctx, name := CtxCompositeQuery, "canister_composite_query "+msg.Method
	if !c.prepared.comp[msg.Method] {
		if !c.prepared.queries[msg.Method] {
			return reject(RejectDestinationInvalid, "canister %s has no query method %q", c.st.ID, msg.Method), nil
		}
		ctx, name = CtxQuery, "canister_query "+msg.Method
	}
	limit := min(c.cfg.QueryLimit, g.remaining)
	if ctx == CtxQuery {
		res = c.run(ctx, msg, limit, true, nil, func() (uint64, error) { return c.inst.Call(name, limit) })
		g.spend(res.Fuel)
		return res, nil
	}
	c.beginSession()
	defer c.endSession()
	key := string(c.st.ID.Bytes())
	g.stack[key] = true
	defer delete(g.stack, key)

	res = c.run(ctx, msg, limit, false, nil, func() (uint64, error) { return c.inst.Call(name, limit) })
	g.spend(res.Fuel)
	out := &Result{Log: res.Log}
	queue := res.Calls
	answered := func(r *Result) bool {
		if r.Replied || r.RejectCode != 0 {
			out.Replied, out.Reply, out.RejectCode, out.RejectMessage, out.Trap = r.Replied, r.Reply, r.RejectCode, r.RejectMessage, r.Trap
			return true
		}
		return false
	}
	if answered(res) {
		return out, nil
	}
	for len(queue) > 0 {
		// Last in, first out, as the IC's query context runs them.
		call := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		callee := string(call.Callee.Bytes())
		switch {
		case callee == key || g.stack[callee]:
			return nil, reject(RejectCanisterError, "composite query: the call graph has a loop (canister %s calls %s)", c.st.ID, call.Callee)
		case len(g.stack)+1 > MaxQueryCallDepth:
			return nil, reject(RejectCanisterError, "composite query: the call graph is deeper than %d canisters", MaxQueryCallDepth)
		case g.remaining < CompositeQueryCallCost:
			return nil, reject(RejectCanisterError, "composite query: the call graph ran out of instructions")
		}
		g.spend(CompositeQueryCallCost)
		var sub *Result
		if peer := g.peers.QueryCanister(call.Callee); peer == nil {
			sub = reject(RejectDestinationInvalid, "canister %s not found", call.Callee)
		} else {
			// A callee gets no data certificate: the one the query
			// carries certifies the first canister's data.
			sub, abort = g.run(peer, Message{Method: call.Method, Arg: call.Arg, Caller: c.st.ID, Time: msg.Time})
			if abort != nil {
				return nil, abort
			}
		}
		resp := Response{Reply: sub.Reply, RejectCode: sub.RejectCode, RejectMessage: sub.RejectMessage}
		if !sub.Replied && resp.RejectCode == 0 {
			resp.RejectCode, resp.RejectMessage = RejectCanisterError, fmt.Sprintf("canister %s did not reply", call.Callee)
		}
		limit := min(c.cfg.QueryLimit, g.remaining)
		cb := c.callback(call, resp, msg, false, CtxCQReply, CtxCQReject, CtxCQCleanup, limit)
		g.spend(cb.Fuel)
		out.Log = append(out.Log, cb.Log...)
		if answered(cb) {
			return out, nil
		}
		queue = append(queue, cb.Calls...)
	}
	return reject(RejectCanisterError, "canister %s did not reply to the call", c.st.ID), nil
}

// session is the part of a composite query that runs on one canister:
// its executions' changes persist from one to the next and are all
// undone at the end.
type session struct {
	c *Canister
	// pages holds the contents, after the last execution that wrote
	// them, of the pages the session's executions changed.
	pages   map[uint64][]byte
	size    int // the memory size after the last execution
	globals []uint64
	// The small fields and stable memory at the start.
	cert          []byte
	cycles, timer uint64
	stableUndo    map[uint64][]byte
	stableSize    int
}

func (c *Canister) beginSession() {
	c.sess = &session{
		c: c, pages: map[uint64][]byte{}, size: int(c.shadow.size()), globals: c.inst.Globals(),
		cert: c.st.CertifiedData, cycles: c.st.Cycles, timer: c.st.GlobalTimer,
		stableUndo: map[uint64][]byte{}, stableSize: len(c.st.Stable),
	}
}

// commitExec keeps what an execution of the session changed.
func (s *session) commitExec(x *execCtx) {
	c := s.c
	mem := c.inst.Memory()
	pages, ok := c.memPages(x)
	if !ok || len(mem) != s.size {
		pages = pages[:0]
		for p := uint64(0); p < uint64(len(mem))/PageSize; p++ {
			pages = append(pages, p)
		}
	}
	for _, p := range pages {
		lo := p * PageSize
		if lo >= uint64(len(mem)) {
			continue
		}
		b, ok := s.pages[p]
		if !ok {
			b = make([]byte, PageSize)
			s.pages[p] = b
		}
		copy(b, mem[lo:lo+PageSize])
	}
	s.size = len(mem)
	for p, b := range x.stableUndo {
		if _, ok := s.stableUndo[p]; !ok && p*wasmPage < uint64(s.stableSize) {
			s.stableUndo[p] = b
		}
	}
}

// page returns the session's contents of page p.
func (s *session) page(p uint64) []byte {
	if b, ok := s.pages[p]; ok {
		return b
	}
	if p < uint64(len(s.c.shadow.pages)) {
		return s.c.shadow.page(p)
	}
	return zeroPage[:]
}

// rollbackExec undoes an execution of the session that trapped.
func (s *session) rollbackExec(x *execCtx, globals []uint64) error {
	c := s.c
	mem := c.inst.Memory()
	pages, ok := c.memPages(x)
	if !ok || len(mem) != s.size {
		if len(mem) != s.size {
			if err := c.rebuildInstance(globals); err != nil {
				return err
			}
			if err := c.inst.GrowMemory(uint64(s.size)); err != nil {
				return err
			}
			mem = c.inst.Memory()
		}
		pages = pages[:0]
		for p := uint64(0); p < uint64(len(mem))/PageSize; p++ {
			pages = append(pages, p)
		}
	}
	for _, p := range pages {
		if lo := p * PageSize; lo < uint64(len(mem)) {
			copy(mem[lo:lo+PageSize], s.page(p))
		}
	}
	return c.inst.SetGlobals(globals)
}

// endSession undoes everything the session changed.
func (c *Canister) endSession() {
	s := c.sess
	c.sess = nil
	if uint64(len(c.inst.Memory())) != c.shadow.size() {
		_ = c.rebuildInstance(s.globals)
	} else {
		mem := c.inst.Memory()
		for p := range s.pages {
			lo := p * PageSize
			copy(mem[lo:lo+PageSize], c.shadow.page(p))
		}
		_ = c.inst.SetGlobals(s.globals)
	}
	_ = c.rollbackTable(s.globals)
	for p, b := range s.stableUndo {
		copy(c.st.Stable[p*wasmPage:], b)
	}
	c.st.Stable = c.st.Stable[:s.stableSize]
	c.st.CertifiedData, c.st.Cycles, c.st.GlobalTimer = s.cert, s.cycles, s.timer
}
