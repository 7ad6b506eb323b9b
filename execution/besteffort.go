package execution

import "github.com/chainkey/chainkey/principal"

// MaxCallTimeout is the longest timeout, in seconds, of a call with a
// best-effort response (the IC's MAX_CALL_TIMEOUT); longer ones are
// cut to it.
const MaxCallTimeout = 300

// DeadlineExpiredMessage is the message of the reject a caller gets when
// its best-effort call's deadline passes without a response.
const DeadlineExpiredMessage = "Call deadline has expired."

// Expired says whether a best-effort call's deadline has passed at time
// now (nanoseconds since 1970): its response, if one comes later, is
// dropped, and the caller gets DeadlineExpired instead. Guaranteed
// response calls never expire.
func (c *Call) Expired(now uint64) bool { return c.Deadline != 0 && now > c.Deadline }

// DeadlineExpired is the response the system gives in place of the
// answer to a best-effort call whose deadline passed: a SYS_UNKNOWN
// reject, since the callee may or may not have executed the call, with
// no cycles refunded (the attached cycles are lost, as on the IC).
func DeadlineExpired() Response {
	return Response{RejectCode: RejectSysUnknown, RejectMessage: DeadlineExpiredMessage}
}

// Incoming returns the message the callee executes for the call: the
// caller is the canister that made it, the time the time of the round
// that delivers it, and the deadline the call's.
func (c *Call) Incoming(caller principal.Principal, now uint64) Message {
	return Message{Method: c.Method, Arg: c.Arg, Caller: caller, Cycles: c.Cycles, Time: now, Deadline: c.Deadline}
}
