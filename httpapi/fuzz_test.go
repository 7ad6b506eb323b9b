package httpapi_test

import (
	"testing"

	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/ingress"
)

// FuzzEndpoints posts arbitrary bodies to every POST endpoint of a server
// over the test subnet. Whatever the body, the answer is a client error or
// a success, never a server error, and the server keeps serving.
func FuzzEndpoints(f *testing.F) {
	n := newTestNode(f, httpapi.Config{})
	key := newKey(f)
	sid := n.subnet.SubnetID().String()
	endpoints := []string{
		n.path("v2", "canister", "call"), n.path("v3", "canister", "call"), n.path("v4", "canister", "call"),
		"/api/v4/subnet/" + sid + "/call",
		n.path("v2", "canister", "query"), n.path("v3", "canister", "query"),
		n.path("v2", "canister", "read_state"), n.path("v3", "canister", "read_state"),
		"/api/v2/subnet/" + sid + "/read_state", "/api/v3/subnet/" + sid + "/read_state",
	}
	call := n.callContent("read", nil)
	query := call
	query.RequestType = ingress.RequestTypeQuery
	for i := range endpoints {
		f.Add(uint8(i), envelope(f, key, call))
		f.Add(uint8(i), envelope(f, nil, query))
		f.Add(uint8(i), envelope(f, key, n.readStateContent([][]byte{[]byte("subnet")}, [][]byte{[]byte("request_status"), make([]byte, 32)})))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		w := n.post(endpoints[int(which)%len(endpoints)], body)
		switch w.Code {
		case 200, 202, 400, 403, 404, 413:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}
