package ingress

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/principal"
)

// Status is the state of a call in the request status lifecycle of the
// interface specification.
type Status string

// The request statuses.
const (
	StatusReceived   Status = "received"
	StatusProcessing Status = "processing"
	StatusReplied    Status = "replied"
	StatusRejected   Status = "rejected"
	StatusDone       Status = "done"
)

// Terminal reports whether s is replied, rejected or done.
func (s Status) Terminal() bool {
	return s == StatusReplied || s == StatusRejected || s == StatusDone
}

// ResponseRetention is how long a reply or reject stays readable before the
// call moves to done (while its expiry has not passed).
const ResponseRetention = 5 * time.Minute

// ErrDuplicate is returned by StatusTable.Receive for a request id already
// known.
var ErrDuplicate = errors.New("duplicate request")

// CallStatus is what a StatusTable keeps about one call.
type CallStatus struct {
	Status            Status
	Sender            principal.Principal
	Receiver          principal.Principal // the canister called
	EffectiveCanister principal.Principal
	IngressExpiry     uint64 // nanoseconds since the Unix epoch
	Reply             []byte // for replied
	RejectCode        uint64 // for rejected
	RejectMessage     string
	ErrorCode         string
	completedAt       uint64
}

// StatusTable holds the request statuses of a subnet's calls, keyed by
// request id, and moves them through the lifecycle: received, processing,
// replied or rejected, done, and pruned once their expiry has passed. It is
// deterministic (times are passed in) and not safe for concurrent use.
type StatusTable struct {
	calls map[[32]byte]*CallStatus
}

// NewStatusTable returns an empty table.
func NewStatusTable() *StatusTable {
	return &StatusTable{calls: map[[32]byte]*CallStatus{}}
}

// Len returns the number of calls known.
func (t *StatusTable) Len() int { return len(t.calls) }

// Get returns a copy of the status of id.
func (t *StatusTable) Get(id [32]byte) (CallStatus, bool) {
	c, ok := t.calls[id]
	if !ok {
		return CallStatus{}, false
	}
	return *c, true
}

// Receive records a new call as received. A request id already known (in
// any state, until pruned) is refused with ErrDuplicate: a replayed request
// is never executed twice.
func (t *StatusTable) Receive(id [32]byte, c *Content, effective principal.Principal) error {
	if _, ok := t.calls[id]; ok {
		return fmt.Errorf("ingress: request 0x%x: %w", id, ErrDuplicate)
	}
	t.calls[id] = &CallStatus{
		Status:            StatusReceived,
		Sender:            c.Sender,
		Receiver:          c.CanisterID,
		EffectiveCanister: effective,
		IngressExpiry:     c.IngressExpiry,
	}
	return nil
}

func (t *StatusTable) advance(id [32]byte, from []Status, to Status) (*CallStatus, error) {
	c, ok := t.calls[id]
	if !ok {
		return nil, fmt.Errorf("ingress: request 0x%x is unknown", id)
	}
	if !slices.Contains(from, c.Status) {
		return nil, fmt.Errorf("ingress: request 0x%x: %s cannot become %s", id, c.Status, to)
	}
	c.Status = to
	return c, nil
}

// Processing moves a received call to processing at time now
// (nanoseconds). A call whose ingress expiry is before now never starts:
// it stays received until pruned, and the error wraps ErrExpired.
func (t *StatusTable) Processing(id [32]byte, now uint64) error {
	if c, ok := t.calls[id]; ok && c.IngressExpiry < now {
		return fmt.Errorf("ingress: request 0x%x: %w at %s", id, ErrExpired, formatNanos(c.IngressExpiry))
	}
	_, err := t.advance(id, []Status{StatusReceived}, StatusProcessing)
	return err
}

// Reply records a call's reply at time now (nanoseconds).
func (t *StatusTable) Reply(id [32]byte, reply []byte, now uint64) error {
	c, err := t.advance(id, []Status{StatusReceived, StatusProcessing}, StatusReplied)
	if err != nil {
		return err
	}
	c.Reply, c.completedAt = nonNil(reply), now
	return nil
}

// Reject records a call's reject at time now (nanoseconds).
func (t *StatusTable) Reject(id [32]byte, code uint64, message, errorCode string, now uint64) error {
	c, err := t.advance(id, []Status{StatusReceived, StatusProcessing}, StatusRejected)
	if err != nil {
		return err
	}
	c.RejectCode, c.RejectMessage, c.ErrorCode, c.completedAt = code, message, errorCode, now
	return nil
}

// Prune applies the passage of time (now in nanoseconds): a reply or reject
// older than ResponseRetention is dropped and its call becomes done, and a
// call whose ingress expiry has passed is forgotten, whatever its state
// (the interface specification allows pruning no earlier than the expiry,
// which is what keeps a replay from being accepted again). It returns the
// number of calls forgotten.
func (t *StatusTable) Prune(now uint64) int {
	n := 0
	for id, c := range t.calls {
		switch {
		case c.IngressExpiry < now:
			delete(t.calls, id)
			n++
		case (c.Status == StatusReplied || c.Status == StatusRejected) && now-c.completedAt >= uint64(ResponseRetention):
			c.Status, c.Reply, c.RejectMessage, c.ErrorCode, c.RejectCode = StatusDone, nil, "", "", 0
		}
	}
	return n
}

// Leaves returns the /request_status subtree of the state tree: for every
// call, /request_status/<id>/status and, by state, reply or reject_code,
// reject_message and error_code.
func (t *StatusTable) Leaves() []certification.PathValue {
	out := make([]certification.PathValue, 0, 2*len(t.calls))
	for id, c := range t.calls {
		out = append(out, c.leaves(id)...)
	}
	return out
}

// Leaves returns the state tree leaves of one call (see StatusTable.Leaves).
func (c *CallStatus) leaves(id [32]byte) []certification.PathValue {
	p := func(l string) [][]byte { return [][]byte{[]byte("request_status"), id[:], []byte(l)} }
	out := []certification.PathValue{{Path: p("status"), Value: []byte(c.Status)}}
	switch c.Status {
	case StatusReplied:
		out = append(out, certification.PathValue{Path: p("reply"), Value: c.Reply})
	case StatusRejected:
		out = append(out,
			certification.PathValue{Path: p("reject_code"), Value: certification.AppendLEB128(nil, c.RejectCode)},
			certification.PathValue{Path: p("reject_message"), Value: []byte(c.RejectMessage)})
		if c.ErrorCode != "" {
			out = append(out, certification.PathValue{Path: p("error_code"), Value: []byte(c.ErrorCode)})
		}
	}
	return out
}
