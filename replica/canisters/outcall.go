package canisters

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// Candid types of the management canister's http_request (ic.did).
type httpHeader struct {
	Name  string `candid:"name"`
	Value string `candid:"value"`
}

type httpMethod struct {
	candid.IsVariant
	Get    *candid.Null `candid:"get"`
	Head   *candid.Null `candid:"head"`
	Post   *candid.Null `candid:"post"`
	Put    *candid.Null `candid:"put"`
	Delete *candid.Null `candid:"delete"`
}

// httpTransform is the transform record without its function, which
// transformFunc reads (a Go FuncRef decodes only a func of no arguments).
type httpTransform struct {
	Context []byte `candid:"context"`
}

// transformFuncType is the part of http_request_args that names the
// transform function, with the function's type as ic.did gives it.
var transformFuncType = mustParseType(`record { transform : opt record { function : func (record { response : record { status : nat;
	headers : vec record { name : text; value : text }; body : blob }; context : blob }) -> (record { status : nat;
	headers : vec record { name : text; value : text }; body : blob }) query } }`)

func mustParseType(src string) *candid.Type {
	t, err := candid.ParseType(src)
	if err != nil {
		panic(err)
	}
	return t
}

// transformFunc returns the transform function of an http_request
// argument that has one.
func transformFunc(arg []byte) (candid.FuncRef, error) {
	vs, err := candid.Unmarshal(arg, []*candid.Type{transformFuncType})
	if err != nil {
		return candid.FuncRef{}, err
	}
	if r, ok := vs[0].(candid.Record); ok {
		if v, ok := r.Get("transform"); ok {
			if o, ok := v.(candid.Opt); ok {
				if tr, ok := o.Value.(candid.Record); ok {
					if f, ok := tr.Get("function"); ok {
						if fr, ok := f.(candid.FuncRef); ok {
							return fr, nil
						}
					}
				}
			}
		}
	}
	return candid.FuncRef{}, fmt.Errorf("transform function of an unexpected type")
}

type httpRequestArgs struct {
	URL              string         `candid:"url"`
	MaxResponseBytes *uint64        `candid:"max_response_bytes"`
	Method           httpMethod     `candid:"method"`
	Headers          []httpHeader   `candid:"headers"`
	Body             *[]byte        `candid:"body"`
	Transform        *httpTransform `candid:"transform"`
	IsReplicated     *bool          `candid:"is_replicated"`
}

// httpRequestResult is http_request_result.
type httpRequestResult struct {
	Status  *big.Int     `candid:"status"`
	Headers []httpHeader `candid:"headers"`
	Body    []byte       `candid:"body"`
}

// transformArgs is the argument of a transform function.
type transformArgs struct {
	Response httpRequestResult `candid:"response"`
	Context  []byte            `candid:"context"`
}

// Bounds of http_request, as the IC's.
const (
	// MaxHTTPURLBytes bounds the URL.
	MaxHTTPURLBytes = 8192
	// MaxHTTPResponseBytes is the largest max_response_bytes, and its
	// default.
	MaxHTTPResponseBytes = 2_000_000
	// MaxHTTPRequestHeaders bounds the number of request headers,
	// MaxHTTPHeaderNameValueBytes each header's name and each value, and
	// MaxHTTPHeaderBytes their names and values together.
	MaxHTTPRequestHeaders       = 64
	MaxHTTPHeaderNameValueBytes = 8 << 10
	MaxHTTPHeaderBytes          = 48 << 10
	// MaxHTTPRequestBytes bounds the request's header names and values
	// and body together (the URL is bounded apart).
	MaxHTTPRequestBytes = 2_000_000
)

// CheckHTTPRequestLimits checks an http_request's URL, headers and body
// against the IC's limits and returns the IC's message for the first one
// exceeded, in the IC's order, or "".
func CheckHTTPRequestLimits(url string, headers []HTTPHeader, body []byte) string {
	if len(url) > MaxHTTPURLBytes {
		return fmt.Sprintf("url size %d exceeds %d", len(url), MaxHTTPURLBytes)
	}
	maxName, maxValue, total := 0, 0, 0
	for _, h := range headers {
		maxName, maxValue = max(maxName, len(h.Name)), max(maxValue, len(h.Value))
		total += len(h.Name) + len(h.Value)
	}
	switch {
	case len(headers) > MaxHTTPRequestHeaders:
		return fmt.Sprintf("number of all http headers %d exceeds %d", len(headers), MaxHTTPRequestHeaders)
	case maxName > MaxHTTPHeaderNameValueBytes:
		return fmt.Sprintf("number of bytes to represent some http header name %d exceeds %d", maxName, MaxHTTPHeaderNameValueBytes)
	case maxValue > MaxHTTPHeaderNameValueBytes:
		return fmt.Sprintf("number of bytes to represent some http header value %d exceeds %d", maxValue, MaxHTTPHeaderNameValueBytes)
	case total > MaxHTTPHeaderBytes:
		return fmt.Sprintf("total number of bytes to represent all http header names and values %d exceeds %d", total, MaxHTTPHeaderBytes)
	case total+len(body) > MaxHTTPRequestBytes:
		return fmt.Sprintf("total number of bytes to represent all http header names and values and http body %d exceeds %d",
			total+len(body), MaxHTTPRequestBytes)
	}
	return ""
}

func bodyOf(b *[]byte) []byte {
	if b == nil {
		return nil
	}
	return nonNil(*b)
}

// HTTPHeader is one header of an outcall's request or response.
type HTTPHeader struct {
	Name, Value string
}

// HTTPRequest is a canister's validated http_request call for the node's
// outcall pipeline: every node performs it and runs the caller's
// transform on its response.
type HTTPRequest struct {
	ID               []byte
	Caller           principal.Principal
	URL              string
	Method           string // GET, HEAD or POST
	Headers          []HTTPHeader
	Body             []byte
	MaxResponseBytes uint64
	// TransformMethod is the caller's query method run on the response
	// (empty: none), with TransformContext.
	TransformMethod  string
	TransformContext []byte
	// NonReplicated (is_replicated = opt false): one node performs the
	// request and its outcome is delivered without agreement.
	NonReplicated bool
}

// HTTPResponse is a response a node received, before the transform.
type HTTPResponse struct {
	Status  uint64
	Headers []HTTPHeader
	Body    []byte
}

// outcallRequestID is the id of a canister's outcall: unique per
// management call and distinct from signing and vetKD request ids; its
// last eight bytes are the call number.
func outcallRequestID(call uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte("chainkey-canister-http/"), call)
}

// HTTPRequestCost is the cycles an http_request costs on the subnet: the
// IC's formula on the request's size (URL, header names and values, body,
// transform method name and context) and max_response_bytes.
func HTTPRequestCost(f *execution.Fees, r *HTTPRequest) uint64 {
	size := uint64(len(r.URL) + len(r.Body) + len(r.TransformMethod) + len(r.TransformContext))
	for _, h := range r.Headers {
		size += uint64(len(h.Name) + len(h.Value))
	}
	return f.HTTPRequest(size, r.MaxResponseBytes)
}

// managementHTTP validates a canister's http_request, charges its fee and
// queues it for the node's outcall pipeline; it reports whether o.Method
// was http_request.
func (c *Component) managementHTTP(o *outCall) bool {
	if o.Method != "http_request" {
		return false
	}
	reject := func(code int, format string, a ...any) {
		c.g.Queue = append(c.g.Queue, task{Call: o.ID, Resp: &response{Code: uint64(code), Message: fmt.Sprintf(format, a...), Refund: o.Cycles}})
	}
	var a httpRequestArgs
	if err := candid.Decode(o.Arg, &a); err != nil {
		reject(execution.RejectCanisterReject, "management canister: http_request: bad argument: %v", err)
		return true
	}
	caller := mustPrincipal(o.From)
	req := HTTPRequest{ID: outcallRequestID(o.ID), Caller: caller, URL: a.URL, MaxResponseBytes: MaxHTTPResponseBytes,
		NonReplicated: a.IsReplicated != nil && !*a.IsReplicated}
	// The IC's checks, in its order and with its messages
	// (CanisterRejectedMessage, reject code CANISTER_REJECT).
	if a.Transform != nil {
		fn, err := transformFunc(o.Arg)
		if err != nil {
			reject(execution.RejectCanisterReject, "management canister: http_request: bad argument: %v", err)
			return true
		}
		if fn.Service != caller {
			reject(execution.RejectCanisterReject, "transform principal id expected to be %s, got %s", caller, fn.Service)
			return true
		}
		req.TransformMethod, req.TransformContext = fn.Method, nonNil(a.Transform.Context)
	}
	for _, h := range a.Headers {
		req.Headers = append(req.Headers, HTTPHeader{Name: h.Name, Value: h.Value})
	}
	req.Body = bodyOf(a.Body)
	if msg := CheckHTTPRequestLimits(a.URL, req.Headers, req.Body); msg != "" {
		reject(execution.RejectCanisterReject, "%s", msg)
		return true
	}
	if a.MaxResponseBytes != nil {
		if *a.MaxResponseBytes > MaxHTTPResponseBytes {
			reject(execution.RejectCanisterReject, "max_response_bytes expected to be in the range [0..%d], got %d", MaxHTTPResponseBytes, *a.MaxResponseBytes)
			return true
		}
		req.MaxResponseBytes = *a.MaxResponseBytes
	}
	switch {
	case a.Method.Get != nil:
		req.Method = "GET"
	case a.Method.Head != nil:
		req.Method = "HEAD"
	case a.Method.Post != nil:
		req.Method = "POST"
	case a.Method.Put != nil:
		req.Method = "PUT"
	case a.Method.Delete != nil:
		req.Method = "DELETE"
	}
	if (req.Method == "PUT" || req.Method == "DELETE") && !req.NonReplicated {
		reject(execution.RejectCanisterReject, "The requested HTTP method is only allowed for non-replicated requests.")
		return true
	}
	if len(c.g.Signs) >= MaxPendingSigns {
		reject(execution.RejectSysTransient, "the outcall queue is full")
		return true
	}
	if c.feesOn() {
		fee := HTTPRequestCost(&c.cfg.Exec.Fees, &req)
		if o.Cycles < fee {
			reject(execution.RejectCanisterReject, "http_request request sent with %d cycles, but %d cycles are required.", o.Cycles, fee)
			return true
		}
		// The rest is refunded with the response.
		o.Cycles -= fee
	}
	// Outcalls wait beside the signing requests.
	c.g.Signs[string(req.ID)] = o.ID
	c.httpOut = append(c.httpOut, req)
	return true
}

// TakeHTTPRequests returns the outcalls the last round made (the shell
// hands them to the outcall pipeline) and forgets them.
func (c *Component) TakeHTTPRequests() []HTTPRequest {
	out := c.httpOut
	c.httpOut = nil
	return out
}

// DeliverHTTPResponse answers the outcall id with the agreed outcome: a
// Candid http_request_result (code 0) or a reject. The canister's
// callback runs in the next round; what the fee left of the attached
// cycles is refunded. It reports whether id was a pending outcall.
func (c *Component) DeliverHTTPResponse(id, reply []byte, code uint64, message string) bool {
	call, ok := c.g.Signs[string(id)]
	if !ok {
		return false
	}
	delete(c.g.Signs, string(id))
	c.gdirty = true
	var refund uint64
	if o := c.g.Calls[call]; o != nil {
		refund = o.Cycles
	}
	if code != 0 {
		c.ready = append(c.ready, task{Call: call, Resp: &response{Code: code, Message: message, Refund: refund}})
		return true
	}
	c.ready = append(c.ready, task{Call: call, Resp: &response{Reply: nonNil(reply), Refund: refund}})
	return true
}

// EncodeHTTPResult encodes a response as http_request_result.
func EncodeHTTPResult(r *HTTPResponse) ([]byte, error) {
	return candid.Encode(resultOf(r))
}

func resultOf(r *HTTPResponse) httpRequestResult {
	res := httpRequestResult{Status: new(big.Int).SetUint64(r.Status), Headers: []httpHeader{}, Body: nonNil(r.Body)}
	for _, h := range r.Headers {
		res.Headers = append(res.Headers, httpHeader{Name: h.Name, Value: h.Value})
	}
	return res
}

// CheckHTTPResult reports whether b is a Candid http_request_result (what
// a transform must return).
func CheckHTTPResult(b []byte) error {
	var r httpRequestResult
	if err := candid.Decode(b, &r); err != nil {
		return fmt.Errorf("canisters: not an http_request_result: %w", err)
	}
	return nil
}

// TransformArg is the Candid argument of a transform function:
// record { response : http_request_result; context : blob }.
func TransformArg(resp *HTTPResponse, context []byte) ([]byte, error) {
	return candid.Encode(transformArgs{Response: resultOf(resp), Context: nonNil(context)})
}

// TransformHTTP runs the outcall's transform, a query method of the
// calling canister, on a response against the canister's current state
// (which it does not change), as the management canister calls it. It
// returns the transform's reply, or a reject code and message.
func (c *Component) TransformHTTP(r *HTTPRequest, resp *HTTPResponse) (reply []byte, code int, message string) {
	arg, err := TransformArg(resp, r.TransformContext)
	if err != nil {
		return nil, execution.RejectCanisterError, err.Error()
	}
	res := c.Query(r.Caller, execution.Message{Method: r.TransformMethod, Arg: arg, Caller: principal.Management(), Time: c.round.TimeNS})
	if res.Trap != nil || res.RejectCode != 0 || !res.Replied {
		code, msg := res.RejectCode, res.RejectMessage
		if code == 0 {
			code = execution.RejectCanisterError
		}
		if res.Trap != nil && msg == "" {
			msg = res.Trap.Error()
		}
		return nil, code, msg
	}
	return res.Reply, 0, ""
}
