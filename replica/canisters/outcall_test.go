package canisters

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// The http_request argument as a canister declares it from ic.did (a
// transform func with its full type), with and without is_replicated.
const httpArgsType = `record {
    url : text;
    max_response_bytes : opt nat64;
    method : variant { get; head; post; put; delete };
    headers : vec record { name : text; value : text };
    body : opt blob;
    transform : opt record {
        function : func(record { response : record { status : nat; headers : vec record { name : text; value : text }; body : blob }; context : blob }) -> (record { status : nat; headers : vec record { name : text; value : text }; body : blob }) query;
        context : blob;
    };
    %s
}`

func TestHTTPRequestArgsDecode(t *testing.T) {
	for _, extra := range []string{"is_replicated : opt bool;", ""} {
		ty, err := candid.ParseType(strings.Replace(httpArgsType, "%s", extra, 1))
		if err != nil {
			t.Fatal(err)
		}
		val := `(record { url = "https://example.com/x"; max_response_bytes = opt 1000; method = variant { post };
			headers = vec { record { name = "Content-Type"; value = "application/json" } }; body = opt blob "{}";
			transform = opt record { function = func "rrkah-fqaaa-aaaaa-aaaaq-cai".transform; context = blob "ctx" }; })`
		vs, err := candid.ParseArgs(val, []*candid.Type{ty})
		if err != nil {
			t.Fatal(err)
		}
		b, err := candid.Marshal([]*candid.Type{ty}, vs)
		if err != nil {
			t.Fatal(err)
		}
		var a httpRequestArgs
		if err := candid.Decode(b, &a); err != nil {
			t.Fatalf("%q: %v", extra, err)
		}
		if a.URL != "https://example.com/x" || a.Method.Post == nil || *a.MaxResponseBytes != 1000 || len(a.Headers) != 1 ||
			string(*a.Body) != "{}" || a.Transform == nil || string(a.Transform.Context) != "ctx" {
			t.Fatalf("decoded %+v", a)
		}
		fn, err := transformFunc(b)
		if err != nil || fn.Method != "transform" || fn.Service.String() != "rrkah-fqaaa-aaaaa-aaaaq-cai" {
			t.Fatalf("transform function %+v: %v", fn, err)
		}
	}
}

// TestHTTPRequestCost is the IC's formula for 13 and 4 nodes.
func TestHTTPRequestCost(t *testing.T) {
	r := &HTTPRequest{URL: "https://a.b/", Headers: []HTTPHeader{{"k", "vv"}}, Body: []byte("body"), TransformMethod: "tf", TransformContext: []byte("c"),
		MaxResponseBytes: 1000}
	size := uint64(len("https://a.b/") + 3 + 4 + 2 + 1)
	for _, n := range []uint64{13, 4} {
		f := execution.ApplicationSubnetFees(n)
		want := (3_000_000+60_000*n)*n + 400*n*size + 800*n*1000
		if got := HTTPRequestCost(&f, r); got != want {
			t.Fatalf("n=%d: cost %d, want %d", n, got, want)
		}
	}
}

// TestManagementHTTPFee: on a subnet that charges cycles, http_request
// costs the IC's formula for the subnet's size, taken from the attached
// cycles (the rest comes back with the response); a call with fewer is
// rejected and refunded. Arguments beyond the IC's limits are rejected
// before anything is charged or queued.
func TestManagementHTTPFee(t *testing.T) {
	h := newHarness(t)
	fees := execution.ApplicationSubnetFees(4)
	h.c.cfg.Exec.Fees = fees
	ids := h.block(h.msg(Message{Kind: KindCreate, Sender: ctrl.Bytes(), Cycles: fees.CanisterCreation + 1_000_000_000_000_000}))
	var created createResult
	if err := candid.Decode(h.replied(ids[0]), &created); err != nil {
		t.Fatal(err)
	}
	payer := created.CanisterID
	ids = h.block(h.msg(Message{Kind: KindInstall, Sender: ctrl.Bytes(), Canister: payer.Bytes(), Wasm: watFile(t, "testdata/payproxy.wat")}))
	h.replied(ids[0])
	max := uint64(1000)
	args := httpRequestArgs{URL: "https://example.com/rpc", MaxResponseBytes: &max, Method: httpMethod{Get: &candid.Null{}},
		Headers: []httpHeader{{Name: "Accept", Value: "application/json"}}}
	pay := func(cycles uint64, a httpRequestArgs) *Message {
		return h.call(payer, "pay", append(le64(cycles), forwardArg(principal.Management(), "http_request", mustEncode(t, a))...))
	}
	fee := HTTPRequestCost(&fees, &HTTPRequest{URL: args.URL, Headers: []HTTPHeader{{"Accept", "application/json"}}, MaxResponseBytes: max})
	if want := (3_000_000+60_000*4)*4 + 400*4*uint64(len(args.URL)+len("Acceptapplication/json")) + 800*4*max; fee != want {
		t.Fatalf("fee %d, want %d", fee, want)
	}
	long := args
	long.URL = "https://example.com/" + strings.Repeat("a", MaxHTTPURLBytes)
	big := args
	tooBig := uint64(MaxHTTPResponseBytes + 1)
	big.MaxResponseBytes = &tooBig
	put := args
	put.Method = httpMethod{Put: &candid.Null{}}
	// PUT is allowed for a non-replicated outcall, charged as a
	// replicated one (the IC's legacy pricing has no replication term).
	putNR := put
	no := false
	putNR.IsReplicated = &no
	many := args
	many.Headers = make([]httpHeader, MaxHTTPRequestHeaders+1)
	for i := range many.Headers {
		many.Headers[i] = httpHeader{Name: fmt.Sprint("h", i), Value: "v"}
	}
	longName := args
	longName.Headers = []httpHeader{{Name: strings.Repeat("n", MaxHTTPHeaderNameValueBytes+1), Value: "v"}}
	longValue := args
	longValue.Headers = []httpHeader{{Name: "n", Value: strings.Repeat("v", MaxHTTPHeaderNameValueBytes+1)}}
	wide := args
	for i := range 7 {
		wide.Headers = append(wide.Headers, httpHeader{Name: fmt.Sprint("x", i), Value: strings.Repeat("v", 8000)})
	}
	ids = h.block(pay(fee-1, args), pay(fee+5, args), pay(fee*10, long), pay(fee*10, big), pay(fee*10, put),
		pay(fee*10, many), pay(fee*10, longName), pay(fee*10, longValue), pay(fee*10, wide), pay(fee*10, putNR))
	msg := rejectedWith(t, h.replied(ids[0]), execution.RejectCanisterReject)
	if want := fmt.Sprintf("http_request request sent with %d cycles, but %d cycles are required.", fee-1, fee); !strings.Contains(msg, want) {
		t.Fatalf("too few cycles: %q, want %q", msg, want)
	}
	// The IC's messages (rs/types/types/src/canister_http.rs), code
	// CANISTER_REJECT.
	for i, want := range map[int]string{
		2: "url size 8212 exceeds 8192",
		3: "max_response_bytes expected to be in the range [0..2000000], got 2000001",
		4: "The requested HTTP method is only allowed for non-replicated requests.",
		5: "number of all http headers 65 exceeds 64",
		6: "number of bytes to represent some http header name 8193 exceeds 8192",
		7: "number of bytes to represent some http header value 8193 exceeds 8192",
		8: "total number of bytes to represent all http header names and values 56036 exceeds 49152",
	} {
		if msg := rejectedWith(t, h.replied(ids[i]), execution.RejectCanisterReject); msg != want {
			t.Fatalf("call %d: %q, want %q", i, msg, want)
		}
	}
	// A body that makes the request too large (checked directly: the
	// proxy canister holds one page of argument).
	if msg, want := CheckHTTPRequestLimits(args.URL, []HTTPHeader{{"Accept", "application/json"}}, make([]byte, MaxHTTPRequestBytes)),
		"total number of bytes to represent all http header names and values and http body 2000022 exceeds 2000000"; msg != want {
		t.Fatalf("large body: %q, want %q", msg, want)
	}
	reqs := h.c.TakeHTTPRequests()
	if len(reqs) != 2 || reqs[1].Method != "PUT" || !reqs[1].NonReplicated || reqs[0].NonReplicated {
		t.Fatalf("outcalls: %+v", reqs)
	}
	if len(reqs) != 2 || reqs[0].Caller != payer || reqs[0].URL != args.URL || reqs[0].Method != "GET" || reqs[0].MaxResponseBytes != max {
		t.Fatalf("outcalls: %+v", reqs)
	}
	reply, err := EncodeHTTPResult(&HTTPResponse{Status: 200, Body: []byte("ok")})
	if err != nil {
		t.Fatal(err)
	}
	if !h.c.DeliverHTTPResponse(reqs[0].ID, reply, 0, "") || h.c.DeliverHTTPResponse(reqs[0].ID, reply, 0, "") {
		t.Fatal("response not taken exactly once")
	}
	h.block()
	got := h.replied(ids[1])
	var res httpRequestResult
	if len(got) < 16 || candid.Decode(got[:len(got)-16], &res) != nil || string(res.Body) != "ok" || res.Status.Int64() != 200 {
		t.Fatalf("reply %x", got)
	}
	if refund := got[len(got)-16:]; !bytes.Equal(refund, append(le64(5), make([]byte, 8)...)) {
		t.Fatalf("refund %x, want 5 cycles", refund)
	}
}
