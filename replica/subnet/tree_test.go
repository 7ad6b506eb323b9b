package subnet

import (
	"strings"
	"testing"

	"github.com/chainkey/chainkey/certification"
)

// TestTreeCache checks that a tree built from the cache of earlier heights
// is the tree built afresh, as requests arrive, change status and expire.
func TestTreeCache(t *testing.T) {
	sid, root := make([]byte, 29), make([]byte, 133)
	recs := map[string]*RequestRecord{
		"a": {Status: StatusReceived, Height: 1},
		"b": {Status: StatusReplied, Height: 1, Signature: []byte{1}, PublicKey: []byte{2}},
		"c": {Status: StatusRejected, Height: 1, Reject: "no"},
	}
	var c TreeCache
	for step, change := range []func(){
		func() {},
		func() {
			recs["a"] = &RequestRecord{Status: StatusReplied, Height: 2, Signature: []byte{3}, PublicKey: []byte{4}}
		},
		func() { delete(recs, "b"); recs["d"] = &RequestRecord{Status: StatusReceived, Height: 3} },
		func() {
			recs["a"] = &RequestRecord{Status: StatusReplied, Height: 2, Signature: []byte{5}, PublicKey: []byte{4}}
		},
		func() { clear(recs) },
	} {
		change()
		got, err := c.Build(int64(step), sid, root, recs)
		if err != nil {
			t.Fatal(err)
		}
		want, err := CertifiedTree(int64(step), sid, root, recs)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != want.Digest() {
			t.Fatalf("step %d: cached tree differs", step)
		}
	}
}

// TestTreeComponentRequestStatus: request statuses given by components
// share the /request_status subtree with the signing requests; an id
// given twice is an error.
func TestTreeComponentRequestStatus(t *testing.T) {
	recs := map[string]*RequestRecord{"sign-request": {Status: StatusReceived, Height: 1}}
	extra := []certification.PathValue{
		{Path: [][]byte{[]byte("request_status"), []byte("canister-msg"), []byte("status")}, Value: []byte("replied")},
		{Path: [][]byte{[]byte("request_status"), []byte("canister-msg"), []byte("reply")}, Value: []byte("DIDL")},
		{Path: [][]byte{[]byte("canister"), []byte("c1"), []byte("certified_data")}, Value: []byte{}},
	}
	tree, err := CertifiedTree(1, []byte("subnet"), []byte("key"), recs, extra...)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{"request_status/sign-request/status": "received",
		"request_status/canister-msg/status": "replied", "request_status/canister-msg/reply": "DIDL"} {
		st, v := certification.Lookup(tree, certification.Path(strings.Split(path, "/")...))
		if st != certification.Found || string(v) != want {
			t.Errorf("%s: %v %q", path, st, v)
		}
	}
	// A cache gives the trees built afresh as statuses change.
	var cache TreeCache
	for _, status := range []string{"processing", "processing", "replied"} {
		extra[0].Value = []byte(status)
		cached, err := cache.Build(1, []byte("subnet"), []byte("key"), recs, extra...)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := CertifiedTree(1, []byte("subnet"), []byte("key"), recs, extra...)
		if err != nil {
			t.Fatal(err)
		}
		if cached.Digest() != fresh.Digest() {
			t.Fatalf("cached tree differs at status %s", status)
		}
	}
	dup := append(extra, certification.PathValue{Path: [][]byte{[]byte("request_status"), []byte("sign-request"), []byte("status")}, Value: []byte("x")})
	if _, err := CertifiedTree(1, []byte("subnet"), []byte("key"), recs, dup...); err == nil {
		t.Fatal("a request id given twice builds")
	}
}
