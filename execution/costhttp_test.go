package execution

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/candid"
)

const costHTTPWAT = `(module
  (import "ic0" "cost_http_request" (func $v1 (param i64 i64 PTR)))
  (import "ic0" "cost_http_request_v2" (func $v2 (param PTR PTR PTR)))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result PTR)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param PTR PTR PTR)))
  (import "ic0" "msg_reply_data_append" (func $append (param PTR PTR)))
  (import "ic0" "msg_reply" (func $reply))
  MEMORY
  (func (export "canister_update v2")
    (call $arg_copy (PTR.const 1000) (PTR.const 0) (call $arg_size))
    (call $v2 (PTR.const 1000) (call $arg_size) (PTR.const 200))
    (call $append (PTR.const 200) (PTR.const 16)) (call $reply))
  (func (export "canister_update v1")
    (call $v1 (i64.const 300) (i64.const 2000) (PTR.const 200))
    (call $append (PTR.const 200) (PTR.const 16)) (call $reply))
)`

// TestCostHTTPRequestV2: ic0.cost_http_request_v2 decodes its Candid
// parameter record and reports what http_request charges: the IC's
// formula on request_bytes and the larger response size (here
// raw_response_bytes, as max_response_bytes), equal to
// ic0.cost_http_request's; a parameter that is not the record traps.
func TestCostHTTPRequestV2(t *testing.T) {
	for _, wasm64 := range []bool{false, true} {
		t.Run(fmt.Sprintf("wasm64=%v", wasm64), func(t *testing.T) {
			c := newCanister(t, Config{})
			install(t, c, wat(t, costHTTPWAT, wasm64))
			c.cfg.Fees = ApplicationSubnetFees(4)
			c.st.Cycles = 1 << 40
			arg, err := candid.Encode(HTTPCostParams{RequestBytes: 300, HTTPRoundtripTimeMS: 2000, RawResponseBytes: 2000,
				TransformedResponseBytes: 500, TransformInstructions: 1_000_000})
			if err != nil {
				t.Fatal(err)
			}
			n := uint64(4)
			want := (3_000_000+60_000*n)*n + 400*n*300 + 800*n*2000
			v1 := c.Update(Message{Method: "v1"})
			v2 := c.Update(Message{Method: "v2", Arg: arg})
			if v2.Trap != nil || len(v2.Reply) != 16 || u64(v2.Reply[:8]) != want || u64(v2.Reply[8:]) != 0 {
				t.Fatalf("v2: %+v, want %d", v2, want)
			}
			if string(v1.Reply) != string(v2.Reply) {
				t.Fatalf("v1 %x, v2 %x", v1.Reply, v2.Reply)
			}
			for _, bad := range [][]byte{[]byte("DIDL\x00\x00"), []byte("not candid"), arg[:len(arg)-1]} {
				if r := c.Update(Message{Method: "v2", Arg: bad}); r.Trap == nil || r.Trap.Kind != TrapSystemAPI ||
					!strings.Contains(r.Trap.Msg, "ic0.cost_http_request_v2") {
					t.Fatalf("params %q: %+v", bad, r)
				}
			}
		})
	}
}

// What ic0.cost_http_request_v2 reports on a 13-node application subnet
// for a request of 300 bytes whose response may reach 2,000 bytes.
func ExampleFees_HTTPRequestV2() {
	fees := ApplicationSubnetFees(13)
	params, _ := candid.Encode(HTTPCostParams{RequestBytes: 300, HTTPRoundtripTimeMS: 1000, RawResponseBytes: 2000,
		TransformedResponseBytes: 200, TransformInstructions: 10_000_000})
	fee, err := fees.HTTPRequestV2(params)
	fmt.Println(fee, err)
	// Output: 71500000 <nil>
}
