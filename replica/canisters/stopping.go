package canisters

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// The stopping status, as the interface specification has it:
// stop_canister on a canister with open call contexts makes it
// Stopping. A stopping canister accepts no new calls ("Canister <id> is
// stopping") and runs no timers or heartbeats, but the responses to its
// outstanding calls still reach its callbacks. At the end of the round in
// which its last call context closes it becomes Stopped and the pending
// stop_canister calls are answered then. start_canister on a stopping
// canister makes it Running again and rejects the pending stop calls
// with CANISTER_REJECT "Canister has been restarted". A stop call that
// waits longer than StopTimeout is rejected with SYS_TRANSIENT "Stop
// canister request timed out" (the canister stays Stopping), as the IC
// times them out.

// StopTimeout is how long a stop_canister call waits for its canister to
// stop before it is rejected, as the IC's (5 minutes).
const StopTimeout = 5 * 60 * 1_000_000_000

// Answers of the stop paths.
const (
	msgRestarted   = "Canister has been restarted"
	msgStopTimeout = "Stop canister request timed out"
)

// pendingStop is a stop_canister call that waits for its canister's call
// contexts to close: an ingress message (its id) or a canister's call to
// the management canister (its outCall id).
type pendingStop struct {
	Canister []byte `cbor:"1,keyasint"`
	Ingress  []byte `cbor:"2,keyasint,omitempty"`
	Call     uint64 `cbor:"3,keyasint,omitempty"`
	// At is the block time (ns) the call arrived, for its timeout.
	At uint64 `cbor:"4,keyasint"`
	// Cycles are the cycles the call carried, refunded with its answer.
	Cycles uint64 `cbor:"5,keyasint,omitempty"`
}

// openContexts counts the call contexts of canister id that are still
// open: not answered, or answered with calls outstanding.
func (c *Component) openContexts(id []byte) int {
	n := 0
	for _, x := range c.g.Contexts {
		if bytes.Equal(x.Canister, id) {
			n++
		}
	}
	return n
}

// stopOrStart executes an ingress stop_canister or start_canister (the
// controller operation or the management canister method) where the
// stopping status matters; it reports false for every other message, and
// for the cases the general path answers alike (a missing canister, a
// sender that is not a controller, start of a canister that is not
// stopping).
func (c *Component) stopOrStart(key string, m *Message, sender principal.Principal) bool {
	kind, target := m.Kind, m.Canister
	if m.Kind == KindCall {
		if len(m.Canister) != 0 || (m.Method != "stop_canister" && m.Method != "start_canister") {
			return false
		}
		var a canisterIDArgs
		if err := candid.Decode(m.Arg, &a); err != nil {
			return false
		}
		kind, target = KindStop, a.CanisterID.Bytes()
		if m.Method == "start_canister" {
			kind = KindStart
		}
	}
	if kind != KindStop && kind != KindStart {
		return false
	}
	e, ok := c.cans[string(target)]
	if !ok || !slices.Contains(e.controllers, sender) {
		return false
	}
	if kind == KindStart {
		if e.can.State().Status != execution.Stopping {
			return false
		}
		c.restart(e)
		c.finish(key, emptyCandid, 0, "")
		return true
	}
	if c.stop(e, pendingStop{Canister: e.id.Bytes(), Ingress: []byte(key), At: c.round.TimeNS}) {
		c.finish(key, emptyCandid, 0, "")
		return true
	}
	r := *c.records[key]
	r.Status = StatusProcessing
	c.setRecord(key, &r)
	return true
}

// stop begins stopping e for the stop call p: it reports true when the
// canister is stopped now (the call is answered at once), false when the
// call waits in the canister's Stopping status.
func (c *Component) stop(e *entry, p pendingStop) bool {
	c.dirty[string(e.id.Bytes())] = true
	c.hashValid = false
	if e.can.State().Status == execution.Stopped {
		return true
	}
	if c.openContexts(e.id.Bytes()) == 0 {
		e.can.SetStatus(execution.Stopped)
		return true
	}
	e.can.SetStatus(execution.Stopping)
	c.g.Stops = append(c.g.Stops, p)
	c.gdirty = true
	return false
}

// restart makes a stopping canister Running and rejects its pending stop
// calls.
func (c *Component) restart(e *entry) {
	e.can.SetStatus(execution.Running)
	c.dirty[string(e.id.Bytes())] = true
	c.hashValid = false
	keep := c.g.Stops[:0]
	for _, p := range c.g.Stops {
		if bytes.Equal(p.Canister, e.id.Bytes()) {
			c.answerStop(p, execution.RejectCanisterReject, msgRestarted)
			continue
		}
		keep = append(keep, p)
	}
	c.setStops(keep)
}

// answerStop answers a pending stop call: a reply when code is 0.
func (c *Component) answerStop(p pendingStop, code int, msg string) {
	c.gdirty = true
	if p.Ingress != nil {
		if c.records[string(p.Ingress)] == nil {
			return
		}
		if code == 0 {
			c.finish(string(p.Ingress), emptyCandid, 0, "")
		} else {
			c.finish(string(p.Ingress), nil, code, msg)
		}
		return
	}
	resp := &response{Reply: emptyCandid, Refund: p.Cycles}
	if code != 0 {
		resp = &response{Code: uint64(code), Message: msg, Refund: p.Cycles}
	}
	c.g.Queue = append(c.g.Queue, task{Call: p.Call, Resp: resp})
}

func (c *Component) setStops(keep []pendingStop) {
	if len(keep) == 0 {
		keep = nil
	}
	if len(keep) != len(c.g.Stops) {
		c.gdirty = true
	}
	c.g.Stops = slices.Clone(keep)
}

// settleStops runs at the end of a round: a stopping canister whose last
// call context closed becomes Stopped and its stop calls are answered;
// stop calls older than StopTimeout are rejected.
func (c *Component) settleStops(now uint64) {
	if len(c.g.Stops) == 0 {
		return
	}
	stopped := map[string]bool{}
	keep := make([]pendingStop, 0, len(c.g.Stops))
	for _, p := range c.g.Stops {
		k := string(p.Canister)
		e, ok := c.cans[k]
		switch {
		case !ok:
			// Deleted (it was stopped by another call): answered.
			c.answerStop(p, 0, "")
		case stopped[k] || e.can.State().Status == execution.Stopped:
			c.answerStop(p, 0, "")
		case c.openContexts(p.Canister) == 0:
			e.can.SetStatus(execution.Stopped)
			c.dirty[k] = true
			c.hashValid = false
			stopped[k] = true
			c.answerStop(p, 0, "")
		case now-p.At >= StopTimeout:
			c.answerStop(p, execution.RejectSysTransient, msgStopTimeout)
		default:
			keep = append(keep, p)
		}
	}
	c.setStops(keep)
}

// managementStopStart answers a canister's stop_canister and
// start_canister calls to the management canister (the caller must
// control the target); it reports false for other methods.
func (c *Component) managementStopStart(o *outCall) bool {
	if o.Method != "stop_canister" && o.Method != "start_canister" {
		return false
	}
	answer := func(code int, format string, a ...any) {
		c.answerStop(pendingStop{Call: o.ID, Cycles: o.Cycles}, code, fmt.Sprintf(format, a...))
	}
	var a canisterIDArgs
	if err := candid.Decode(o.Arg, &a); err != nil {
		answer(execution.RejectCanisterReject, "management canister: %s: bad argument: %v", o.Method, err)
		return true
	}
	e, ok := c.cans[string(a.CanisterID.Bytes())]
	if !ok {
		answer(execution.RejectDestinationInvalid, "canister %s not found", a.CanisterID)
		return true
	}
	caller := mustPrincipal(o.From)
	if !slices.Contains(e.controllers, caller) {
		answer(execution.RejectCanisterError, "%s is not a controller of %s", caller, e.id)
		return true
	}
	if o.Method == "start_canister" {
		if e.can.State().Status == execution.Stopping {
			c.restart(e)
		} else {
			e.can.SetStatus(execution.Running)
			c.dirty[string(e.id.Bytes())] = true
			c.hashValid = false
		}
		answer(0, "")
		return true
	}
	if c.stop(e, pendingStop{Canister: e.id.Bytes(), Call: o.ID, At: c.round.TimeNS, Cycles: o.Cycles}) {
		answer(0, "")
	}
	return true
}
