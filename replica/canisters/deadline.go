package canisters

import (
	"slices"

	"github.com/chainkey/chainkey/execution"
)

// expireCalls gives every best-effort call whose deadline passed before
// the round's time the deadline-expired reject (SYS_UNKNOWN, no refund),
// in call id order at the head of the round's queue: the caller's
// callback runs in the round whose time passes the deadline, on every
// node alike. The call record then goes with that response, so the
// callee's answer, if it comes, finds no call and is dropped, and a call
// not yet delivered is never delivered.
func (c *Component) expireCalls(now uint64) {
	var ids []uint64
	for id, o := range c.g.Calls {
		if o.Deadline != 0 && !o.Expired && now > o.Deadline {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	tasks := make([]task, 0, len(ids))
	for _, id := range ids {
		c.g.Calls[id].Expired = true
		r := execution.DeadlineExpired()
		tasks = append(tasks, task{Call: id, Resp: &response{Code: uint64(r.RejectCode), Message: r.RejectMessage}})
	}
	c.g.Queue = append(tasks, c.g.Queue...)
	c.gdirty = true
}
