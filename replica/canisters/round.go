package canisters

import (
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
)

// emptyCandid is the Candid encoding of no values, the reply of the
// controller operations that return nothing.
var emptyCandid = []byte("DIDL\x00\x00")

// Round executes the block's round at its agreed time and writes the
// changed state through w (see the package documentation for the order).
// The shell calls it once per block, after the block's transactions.
func (c *Component) Round(in RoundInput, w subnet.Writer) error {
	c.round = in
	c.used, c.ran = 0, 0
	if err := c.setSubnet(in.Subnet, in.RootKey); err != nil {
		return err
	}
	c.setSubnetNodes(in.SubnetNodes)
	c.expire(in.TimeNS, w)
	c.chargeStorage(in.TimeNS)
	// 1. Management canister responses that became ready.
	c.g.Queue = append(c.ready, c.g.Queue...)
	if len(c.ready) > 0 {
		c.gdirty = true
	}
	c.ready = nil
	c.expireCalls(in.TimeNS)
	c.readyRands(in)
	// 2. The ingress messages: those waiting from earlier blocks, then
	// the block's, in order. A message is received when its block is
	// executed, and runs in the first round with instructions left.
	for _, m := range c.in {
		if c.induct(m) {
			c.g.Ingress = append(c.g.Ingress, m)
			c.gdirty = true
		}
	}
	c.in = nil
	for len(c.g.Ingress) > 0 && c.budgetLeft() {
		m := c.g.Ingress[0]
		c.g.Ingress[0] = nil
		c.g.Ingress = c.g.Ingress[1:]
		c.gdirty = true
		c.ingress(m)
	}
	if len(c.g.Ingress) == 0 {
		c.g.Ingress = nil
	}
	// 3. Timers and heartbeats, in canister id order.
	for _, k := range c.sortedKeys() {
		e := c.cans[k]
		msg := execution.Message{Time: in.TimeNS}
		if !c.budgetLeft() {
			break
		}
		if r := e.can.GlobalTimer(msg); r != nil {
			c.dirty[k] = true
			c.system(e, r)
		}
		if !c.budgetLeft() {
			break
		}
		if r := e.can.Heartbeat(msg); r != nil {
			c.dirty[k] = true
			c.system(e, r)
		}
	}
	c.goTick()
	// 4. Calls between canisters and their responses, first in, first
	// out, within the round's budgets.
	n := 0
	for len(c.g.Queue) > 0 && n < c.cfg.MaxRoundCalls && c.budgetLeft() {
		t := c.g.Queue[0]
		c.g.Queue = c.g.Queue[1:]
		c.gdirty = true
		n++
		if t.Resp == nil {
			c.deliverCall(t.Call)
		} else {
			c.deliverResponse(t.Call, t.Resp)
		}
	}
	if len(c.g.Queue) == 0 {
		c.g.Queue = nil
	}
	c.settleStops(in.TimeNS)
	return c.persist(w)
}

// budgetLeft reports whether the round may run another execution.
func (c *Component) budgetLeft() bool { return c.ran == 0 || c.used < c.cfg.MaxRoundInstructions }

// charge counts an execution's fuel against the round.
func (c *Component) charge(r *execution.Result) {
	c.ran++
	if r != nil {
		c.used += r.Fuel
	}
}

// induct records a message of the block as received; it reports false
// for a replay or an expired message, which is dropped.
func (c *Component) induct(m *Message) bool {
	id := m.ID()
	key := string(id[:])
	if c.records[key] != nil || expiryOK(m.Expiry, c.round.TimeNS) != nil || !m.delegationsValidAt(c.round.TimeNS) {
		return false
	}
	c.setRecord(key, &Record{Status: StatusReceived, Height: c.round.Height, Expiry: m.Expiry, Sender: m.Sender, Receiver: m.Canister})
	return true
}

// ingress executes one ingress message.
func (c *Component) ingress(m *Message) {
	id := m.ID()
	key := string(id[:])
	if c.records[key] == nil {
		return
	}
	c.ran++
	sender := mustPrincipal(m.Sender)
	if c.stopOrStart(key, m, sender) {
		return
	}
	if m.Kind != KindCall {
		reply, code, msg := c.operate(m, sender)
		c.finish(key, reply, code, msg)
		return
	}
	if len(m.Canister) == 0 {
		c.ingressManagement(key, m, sender)
		return
	}
	e, ok := c.cans[string(m.Canister)]
	if !ok && c.goIngress(key, m, sender) {
		return
	}
	if !ok {
		c.finish(key, nil, execution.RejectDestinationInvalid, fmt.Sprintf("canister %s not found", mustPrincipal(m.Canister)))
		return
	}
	if err := e.can.ChargeIngress(uint64(len(m.Method) + len(m.Arg))); err != nil {
		c.finish(key, nil, execution.RejectSysTransient, err.Error())
		return
	}
	if c.feesOn() {
		c.dirty[string(m.Canister)] = true
	}
	ok, r := e.can.Inspect(execution.Message{Method: m.Method, Arg: m.Arg, Caller: sender, Time: c.round.TimeNS})
	c.charge(r)
	if !ok {
		msg := "canister rejected the message"
		if r != nil && r.RejectMessage != "" {
			msg = r.RejectMessage
		}
		c.finish(key, nil, execution.RejectCanisterError, msg)
		return
	}
	ctx := c.newCtx(e, &callCtx{Ingress: id[:], Caller: m.Sender})
	res := e.can.Update(execution.Message{Method: m.Method, Arg: m.Arg, Caller: sender, Time: c.round.TimeNS})
	c.charge(res)
	c.dirty[string(m.Canister)] = true
	c.handle(e, ctx, res, false)
	if r := c.records[key]; r != nil && r.Status == StatusReceived {
		p := *r
		p.Status = StatusProcessing
		c.setRecord(key, &p)
	}
}

// finish records an ingress message's answer.
func (c *Component) finish(key string, reply []byte, code int, msg string) {
	r := *c.records[key]
	r.Height = c.round.Height
	if code == 0 {
		r.Status, r.Reply = StatusReplied, nonNil(reply)
	} else {
		r.Status, r.RejectCode, r.RejectMessage = StatusRejected, uint64(code), msg
	}
	c.setRecord(key, &r)
}

func (c *Component) setRecord(key string, r *Record) {
	if _, ok := c.records[key]; !ok {
		c.addExpiry(r.Expiry, key)
	}
	if c.status.built {
		c.status.changed = append(c.status.changed, key)
	}
	c.records[key] = r
	c.recDirty[key] = true
	c.hashValid = false
}

func (c *Component) addExpiry(exp uint64, key string) {
	i, _ := slices.BinarySearchFunc(c.expiries, expiryRef{exp, key}, func(a, b expiryRef) int {
		if a.expiry != b.expiry {
			if a.expiry < b.expiry {
				return -1
			}
			return 1
		}
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	c.expiries = slices.Insert(c.expiries, i, expiryRef{exp, key})
}

// expire drops the records whose expiry is before now: they leave the
// state and the certified tree, as on the IC.
func (c *Component) expire(now uint64, w subnet.Writer) {
	n := 0
	for n < len(c.expiries) && c.expiries[n].expiry < now {
		k := c.expiries[n].id
		if r := c.records[k]; r != nil && (r.Status == StatusReplied || r.Status == StatusRejected) {
			delete(c.records, k)
			delete(c.recDirty, k)
			if c.status.built {
				c.status.deleted = append(c.status.deleted, k)
			}
			w.Delete(recordKey([]byte(k)))
		} else if r != nil {
			break // still running: kept until it is answered
		}
		n++
	}
	if n > 0 {
		c.expiries = slices.Delete(c.expiries, 0, n)
		c.hashValid = false
	}
}

func (c *Component) newCtx(e *entry, x *callCtx) *callCtx {
	x.ID = c.g.NextCtx
	c.g.NextCtx++
	x.Canister = e.id.Bytes()
	c.g.Contexts[x.ID] = x
	c.gdirty = true
	return x
}

// system handles the result of a timer or heartbeat: its calls get a
// call context without an origin.
func (c *Component) system(e *entry, r *execution.Result) {
	c.charge(r)
	if len(r.Calls) == 0 {
		c.keepLog(e, r)
		return
	}
	ctx := c.newCtx(e, &callCtx{Caller: principal.Management().Bytes(), Responded: true})
	c.handle(e, ctx, r, true)
}

// handle takes the result of an execution in call context ctx: its calls
// are queued, its answer goes to the origin, and the context closes once
// answered with nothing outstanding. callback says the execution was a
// callback (or a system task), after which an unanswered context with
// nothing outstanding is rejected.
func (c *Component) handle(e *entry, ctx *callCtx, r *execution.Result, callback bool) {
	c.keepLog(e, r)
	c.gdirty = true
	if r.Trap == nil {
		for _, call := range r.Calls {
			o := &outCall{ID: c.g.NextCall, Ctx: ctx.ID, From: e.id.Bytes(), Callee: call.Callee.Bytes(), Method: call.Method,
				Arg: call.Arg, Cycles: call.Cycles, Cleanup: call.Cleanup, Timeout: call.Timeout, Epoch: e.epoch, Deadline: call.Deadline,
				Fun: [6]uint64{call.ReplyFun, call.ReplyEnv, call.RejectFun, call.RejectEnv, call.CleanupFun, call.CleanupEnv}}
			c.g.NextCall++
			c.g.Calls[o.ID] = o
			ctx.Outstanding++
			c.g.Queue = append(c.g.Queue, task{Call: o.ID})
		}
	}
	if !ctx.Responded {
		switch {
		case r.Replied:
			c.respond(ctx, &response{Reply: nonNil(r.Reply), Refund: r.Refund})
		case r.RejectCode != 0 && (!callback || ctx.Outstanding == 0 || r.Trap == nil):
			c.respond(ctx, &response{Code: uint64(r.RejectCode), Message: r.RejectMessage, Refund: r.Refund})
		case callback && ctx.Outstanding == 0:
			c.respond(ctx, &response{Code: execution.RejectCanisterError,
				Message: fmt.Sprintf("canister %s did not reply to the call", e.id)})
		}
	}
	if ctx.Outstanding == 0 {
		delete(c.g.Contexts, ctx.ID)
	}
}

// respond answers a call context's origin.
func (c *Component) respond(ctx *callCtx, resp *response) {
	ctx.Responded = true
	switch {
	case ctx.Ingress != nil:
		if c.records[string(ctx.Ingress)] != nil {
			c.finish(string(ctx.Ingress), resp.Reply, int(resp.Code), resp.Message)
		}
	case ctx.Call != 0:
		c.g.Queue = append(c.g.Queue, task{Call: ctx.Call, Resp: resp})
	}
}

// deliverCall executes a queued call on its callee.
func (c *Component) deliverCall(id uint64) {
	o := c.g.Calls[id]
	if o == nil {
		return
	}
	callee := mustPrincipal(o.Callee)
	if callee == principal.Management() {
		c.management(o)
		return
	}
	e, ok := c.cans[string(o.Callee)]
	if !ok && c.goCall(o) {
		return
	}
	if !ok {
		c.g.Queue = append(c.g.Queue, task{Call: id, Resp: &response{Code: execution.RejectDestinationInvalid,
			Message: fmt.Sprintf("canister %s not found", callee), Refund: o.Cycles}})
		return
	}
	ctx := c.newCtx(e, &callCtx{Call: id, Caller: o.From, Deadline: o.Deadline})
	call := o.call()
	res := e.can.Update(call.Incoming(mustPrincipal(o.From), c.round.TimeNS))
	c.charge(res)
	c.dirty[string(o.Callee)] = true
	c.handle(e, ctx, res, false)
}

// deliverResponse runs the callback of a call with its response.
func (c *Component) deliverResponse(id uint64, resp *response) {
	o := c.g.Calls[id]
	if o == nil {
		return
	}
	delete(c.g.Calls, id)
	ctx := c.g.Contexts[o.Ctx]
	if ctx == nil {
		return
	}
	ctx.Outstanding--
	e, ok := c.cans[string(o.From)]
	if !ok || e.epoch != o.Epoch {
		// The caller was deleted, uninstalled or reinstalled: no
		// callback; its context is rejected when nothing else is out.
		if !ctx.Responded && ctx.Outstanding == 0 {
			c.respond(ctx, &response{Code: execution.RejectCanisterError, Message: "the calling canister was uninstalled"})
		}
		if ctx.Outstanding == 0 {
			delete(c.g.Contexts, ctx.ID)
		}
		return
	}
	orig := execution.Message{Caller: mustPrincipal(ctx.Caller), Time: c.round.TimeNS, Deadline: ctx.Deadline}
	res := e.can.Callback(o.call(), execution.Response{RejectCode: int(resp.Code), Reply: resp.Reply,
		RejectMessage: resp.Message, Refund: resp.Refund}, orig, ctx.Responded)
	c.charge(res)
	c.dirty[string(o.From)] = true
	c.handle(e, ctx, res, true)
}
