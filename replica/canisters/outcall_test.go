package canisters

import (
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
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
