package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"
)

func (n *testNode) post(path string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/cbor")
	w := httptest.NewRecorder()
	n.server.ServeHTTP(w, r)
	return w
}

func (n *testNode) get(path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	n.server.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

func (n *testNode) expiry() uint64 { return uint64(n.clock.now().Add(4 * time.Minute).UnixNano()) }

func (n *testNode) callContent(method string, arg []byte) ingress.Content {
	nonce := sha256.Sum256([]byte(method + time.Now().String()))
	return ingress.Content{RequestType: ingress.RequestTypeCall, IngressExpiry: n.expiry(), Nonce: nonce[:16],
		CanisterID: n.canister, MethodName: method, Arg: arg}
}

func (n *testNode) readStateContent(paths ...[][]byte) ingress.Content {
	return ingress.Content{RequestType: ingress.RequestTypeReadState, IngressExpiry: n.expiry(), Paths: paths}
}

func envelope(t testing.TB, key ingress.Signer, c ingress.Content) []byte {
	t.Helper()
	e, err := ingress.NewHTTPEnvelope(c, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// idOf returns the request id of c as sent by key (nil: anonymous).
func idOf(key ingress.Signer, c ingress.Content) [32]byte {
	if key == nil {
		c.Sender = principal.Anonymous()
	} else {
		c.Sender = ingress.Sender(key)
	}
	return c.RequestID()
}

func newKey(t testing.TB) *ingress.Ed25519Signer {
	t.Helper()
	k, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func expect(t *testing.T, w *httptest.ResponseRecorder, status int, text string) {
	t.Helper()
	if w.Code != status || !strings.Contains(w.Body.String(), text) {
		t.Fatalf("got %d %q, want %d containing %q", w.Code, w.Body.String(), status, text)
	}
}

// verifyCert parses and verifies a certificate under the subnet's key.
func (n *testNode) verifyCert(t *testing.T, b []byte) *certification.Certificate {
	t.Helper()
	c, err := certification.ParseCertificate(b)
	if err != nil {
		t.Fatal(err)
	}
	root, err := thresholdsig.ParseDERPublicKey(n.subnet.RootKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := certification.Verify(c, root, certification.VerifyOptions{MaxAge: 5 * time.Minute, Now: n.clock.now()}); err != nil {
		t.Fatal(err)
	}
	return c
}

func natArg(t *testing.T, b []byte) int64 {
	t.Helper()
	v, err := candid.Unmarshal(b, []*candid.Type{candid.Prim(candid.KindNat)})
	if err != nil {
		t.Fatal(err)
	}
	return v[0].(*big.Int).Int64()
}

func (n *testNode) path(version, kind, endpoint string) string {
	return fmt.Sprintf("/api/%s/%s/%s/%s", version, kind, n.canister, endpoint)
}

func TestStatus(t *testing.T) {
	n := newTestNode(t, httpapi.Config{ImplVersion: "test"})
	w := n.get("/api/v2/status")
	expect(t, w, 200, "")
	st, err := httpapi.ParseStatusResponse(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(st.RootKey, n.subnet.RootKey()) || len(st.RootKey) != 133 || st.ReplicaHealthStatus != "healthy" || st.ImplVersion != "test" {
		t.Fatalf("status %+v", st)
	}
	if !bytes.HasPrefix(w.Body.Bytes(), []byte{0xd9, 0xd9, 0xf7}) {
		t.Fatal("status body lacks the self-describe tag")
	}
}

func TestSyncCallCertificate(t *testing.T) {
	n := newTestNode(t, httpapi.Config{})
	key := newKey(t)
	for i, v := range []string{"v3", "v4"} {
		c := n.callContent("inc", nil)
		w := n.post(n.path(v, "canister", "call"), envelope(t, key, c))
		expect(t, w, 200, "")
		resp, err := httpapi.ParseCallResponse(w.Body.Bytes())
		if err != nil || resp.Status != "replied" {
			t.Fatalf("%s: %+v %v", v, resp, err)
		}
		cert := n.verifyCert(t, resp.Certificate)
		id := idOf(key, c)
		st, val := cert.Lookup([]byte("request_status"), id[:], []byte("status"))
		_, reply := cert.Lookup([]byte("request_status"), id[:], []byte("reply"))
		if st != certification.Found || string(val) != "replied" || natArg(t, reply) != int64(i+1) {
			t.Fatalf("%s: status %v %q reply %x", v, st, val, reply)
		}
	}
}

func TestSubnetCall(t *testing.T) {
	n := newTestNode(t, httpapi.Config{})
	key := newKey(t)
	c := n.callContent("inc", nil)
	w := n.post("/api/v4/subnet/"+n.subnet.SubnetID().String()+"/call", envelope(t, key, c))
	expect(t, w, 200, "")
	resp, err := httpapi.ParseCallResponse(w.Body.Bytes())
	if err != nil || resp.Status != "replied" {
		t.Fatalf("%+v %v", resp, err)
	}
	id := idOf(key, c)
	if _, v := n.verifyCert(t, resp.Certificate).Lookup([]byte("request_status"), id[:], []byte("reply")); natArg(t, v) != 1 {
		t.Fatalf("reply %x", v)
	}
	// Its status is readable through the subnet's read_state.
	w = n.post("/api/v3/subnet/"+n.subnet.SubnetID().String()+"/read_state", envelope(t, key, n.readStateContent([][]byte{[]byte("request_status"), id[:], []byte("status")})))
	expect(t, w, 200, "")
}

func TestSyncWaitersBound(t *testing.T) {
	n := newTestNode(t, httpapi.Config{MaxSyncWaiters: -1})
	key := newKey(t)
	c := n.callContent("inc", nil)
	expect(t, n.post(n.path("v3", "canister", "call"), envelope(t, key, c)), 202, "")
	id := idOf(key, c)
	w := n.post(n.path("v3", "canister", "read_state"), envelope(t, key, n.readStateContent([][]byte{[]byte("request_status"), id[:], []byte("status")})))
	expect(t, w, 200, "")
	r, _ := httpapi.ParseReadStateResponse(w.Body.Bytes())
	if _, v := n.verifyCert(t, r.Certificate).Lookup([]byte("request_status"), id[:], []byte("status")); string(v) != "replied" {
		t.Fatalf("status %q", v)
	}
}

func TestEffectiveCanisterID(t *testing.T) {
	rec := func(field string, p principal.Principal) []byte {
		b, err := candid.Marshal([]*candid.Type{candid.RecordType(candid.F(field, candid.Prim(candid.KindPrincipal)), candid.F("mode", candid.Prim(candid.KindNat8)))},
			[]candid.Value{candid.Record{Fields: []candid.FieldValue{{ID: candid.Hash(field), Value: p}, {ID: candid.Hash("mode"), Value: uint8(1)}}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b := principal.FromCanisterIndex(4), principal.FromCanisterIndex(5)
	mgmt := principal.Management()
	for _, tc := range []struct {
		typ, method string
		canister    principal.Principal
		arg         []byte
		want        principal.Principal
		anyOK, bad  bool
	}{
		{"call", "inc", a, nil, a, false, false},
		{"query", "read", b, nil, b, false, false},
		{"call", "provisional_create_canister_with_cycles", mgmt, []byte("DIDL\x00\x00"), principal.Principal{}, true, false},
		{"call", "install_code", mgmt, rec("canister_id", a), a, false, false},
		{"call", "install_chunked_code", mgmt, rec("target_canister", b), b, false, false},
		{"call", "install_chunked_code", mgmt, rec("canister_id", b), principal.Principal{}, false, true},
		{"query", "canister_status", mgmt, rec("canister_id", a), a, false, false},
		{"call", "raw_rand", mgmt, []byte("DIDL\x00\x00"), principal.Principal{}, false, true},
		{"call", "raw_rand", mgmt, []byte("not candid"), principal.Principal{}, false, true},
	} {
		c := &ingress.Content{RequestType: tc.typ, CanisterID: tc.canister, MethodName: tc.method, Arg: tc.arg}
		got, anyOK, err := httpapi.EffectiveCanisterID(c)
		if (err != nil) != tc.bad || anyOK != tc.anyOK || got != tc.want {
			t.Errorf("%s %s: %v %v %v, want %v %v bad=%v", tc.typ, tc.method, got, anyOK, err, tc.want, tc.anyOK, tc.bad)
		}
	}
}

func TestCORS(t *testing.T) {
	n := newTestNode(t, httpapi.Config{})
	w := httptest.NewRecorder()
	n.server.ServeHTTP(w, httptest.NewRequest(http.MethodOptions, n.path("v3", "canister", "call"), nil))
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Fatalf("preflight: %d %v", w.Code, w.Header())
	}
	if n.get("/api/v2/status").Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatal("status lacks Access-Control-Allow-Origin")
	}
}

func TestAsyncCallAndPolling(t *testing.T) {
	n := newTestNode(t, httpapi.Config{SyncCallTimeout: 50 * time.Millisecond})
	n.subnet.SetManual(true)
	key := newKey(t)
	c := n.callContent("inc", nil)
	env := envelope(t, key, c)
	id := idOf(key, c)
	expect(t, n.post(n.path("v2", "canister", "call"), env), 202, "")
	// Synchronous call of the same request while it is still received:
	// not submitted again, answered 202.
	expect(t, n.post(n.path("v3", "canister", "call"), env), 202, "Duplicate request")
	rs := func() *certification.Certificate {
		w := n.post(n.path("v2", "canister", "read_state"), envelope(t, key, n.readStateContent([][]byte{[]byte("request_status"), id[:]})))
		expect(t, w, 200, "")
		r, err := httpapi.ParseReadStateResponse(w.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return n.verifyCert(t, r.Certificate)
	}
	if _, v := rs().Lookup([]byte("request_status"), id[:], []byte("status")); string(v) != "received" {
		t.Fatalf("status %q, want received", v)
	}
	// A synchronous call that times out answers 202.
	c2 := n.callContent("inc", nil)
	expect(t, n.post(n.path("v3", "canister", "call"), envelope(t, key, c2)), 202, "")
	if err := n.subnet.Step(); err != nil {
		t.Fatal(err)
	}
	cert := rs()
	if _, v := cert.Lookup([]byte("request_status"), id[:], []byte("status")); string(v) != "replied" {
		t.Fatalf("status %q, want replied", v)
	}
	if n.subnet.Submits() != 2 {
		t.Fatalf("%d submissions, want 2", n.subnet.Submits())
	}
	// The replay of a finished call is not executed again; v3 gets the
	// certificate of the first execution.
	w := n.post(n.path("v3", "canister", "call"), env)
	expect(t, w, 200, "")
	resp, _ := httpapi.ParseCallResponse(w.Body.Bytes())
	_, reply := n.verifyCert(t, resp.Certificate).Lookup([]byte("request_status"), id[:], []byte("reply"))
	if natArg(t, reply) != 1 || n.subnet.Submits() != 2 {
		t.Fatalf("replay: reply %d, %d submissions", natArg(t, reply), n.subnet.Submits())
	}
	expect(t, n.post(n.path("v2", "canister", "call"), env), 202, "")
	if n.subnet.Submits() != 2 {
		t.Fatal("v2 replay was submitted")
	}
}

// TestSyncCallWakesOnCertification checks that a waiting synchronous call
// answers when the state it waits for is certified.
func TestSyncCallWakesOnCertification(t *testing.T) {
	n := newTestNode(t, httpapi.Config{SyncCallTimeout: time.Minute})
	n.subnet.SetManual(true)
	done := make(chan *httptest.ResponseRecorder)
	env := envelope(t, newKey(t), n.callContent("inc", nil))
	go func() { done <- n.post(n.path("v3", "canister", "call"), env) }()
	for n.subnet.Submits() == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := n.subnet.Step(); err != nil {
		t.Fatal(err)
	}
	w := <-done
	expect(t, w, 200, "")
}

func TestQuerySigned(t *testing.T) {
	n := newTestNode(t, httpapi.Config{})
	key := newKey(t)
	for _, v := range []string{"v2", "v3"} {
		for _, method := range []string{"read", "inc"} { // inc is not a query: a reject
			c := n.callContent(method, nil)
			c.RequestType = ingress.RequestTypeQuery
			w := n.post(n.path(v, "canister", "query"), envelope(t, key, c))
			expect(t, w, 200, "")
			r, err := httpapi.ParseQueryResponse(w.Body.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if (method == "read") != (r.Status == "replied") || len(r.Signatures) != 1 {
				t.Fatalf("%s %s: %+v", v, method, r)
			}
			sig := r.Signatures[0]
			if !bytes.Equal(sig.Identity, n.server.NodeID().Bytes()) {
				t.Fatal("signature identity is not the node id")
			}
			der := httpapi.Ed25519DER(n.nodeKey.Public().(ed25519.PublicKey))
			if err := httpapi.VerifyQuerySignature(r, idOf(key, c), sig, der); err != nil {
				t.Fatal(err)
			}
			// The signature covers the request id and the timestamp.
			other := idOf(key, c)
			other[0] ^= 1
			if httpapi.VerifyQuerySignature(r, other, sig, der) == nil {
				t.Fatal("signature verifies for another request")
			}
			sig.Timestamp++
			if httpapi.VerifyQuerySignature(r, idOf(key, c), sig, der) == nil {
				t.Fatal("signature verifies for another timestamp")
			}
		}
	}
}

func TestNonReplicatedRejection(t *testing.T) {
	n := newTestNode(t, httpapi.Config{})
	c := n.callContent("provisional_create_canister_with_cycles", []byte("DIDL\x00\x00"))
	c.CanisterID = principal.Management()
	for v, status := range map[string]string{"v2": "", "v3": "non_replicated_rejection"} {
		c.Nonce = []byte(v)
		w := n.post("/api/"+v+"/canister/aaaaa-aa/call", envelope(t, newKey(t), c))
		expect(t, w, 200, "")
		r, err := httpapi.ParseCallResponse(w.Body.Bytes())
		if err != nil || r.Status != status || r.RejectCode != 3 || r.ErrorCode != "IC0302" || r.RejectMessage == "" {
			t.Fatalf("%s: %+v %v", v, r, err)
		}
	}
}

// TestRefusals checks the answers to bad requests: status codes and texts
// as the Internet Computer's replica gives them, and a healthy server
// afterwards.
func TestRefusals(t *testing.T) {
	n := newTestNode(t, httpapi.Config{MaxRequestSize: 64 << 10})
	key, other := newKey(t), newKey(t)
	signed := func(c ingress.Content) []byte { return envelope(t, key, c) }
	call := n.callContent("inc", nil)

	// Wrong sender signature.
	e, _ := ingress.NewHTTPEnvelope(call, key, nil, nil)
	e.SenderSig[0] ^= 1
	bad, _ := e.Marshal()
	expect(t, n.post(n.path("v3", "canister", "call"), bad), 400, "Failed to authenticate request 0x")
	// A key that is not the sender's.
	e, _ = ingress.NewHTTPEnvelope(call, key, nil, nil)
	e.SenderPubKey = other.PublicKeyDER()
	bad, _ = e.Marshal()
	expect(t, n.post(n.path("v3", "canister", "call"), bad), 400, "self-authenticating")

	// Expired, and too far in the future.
	old := call
	old.IngressExpiry = uint64(n.clock.now().Add(-time.Second).UnixNano())
	expect(t, n.post(n.path("v3", "canister", "call"), signed(old)), 400, "Invalid request expiry")
	far := call
	far.IngressExpiry = uint64(n.clock.now().Add(time.Hour).UnixNano())
	far.RequestType = ingress.RequestTypeQuery
	expect(t, n.post(n.path("v2", "canister", "query"), signed(far)), 400, "Invalid request expiry")

	// Oversized body.
	big := call
	big.Arg = make([]byte, 70<<10)
	expect(t, n.post(n.path("v3", "canister", "call"), signed(big)), 413, "too large")

	// Malformed CBOR and wrong request types at every endpoint.
	endpoints := []string{
		n.path("v2", "canister", "call"), n.path("v3", "canister", "call"), n.path("v4", "canister", "call"),
		"/api/v4/subnet/" + n.subnet.SubnetID().String() + "/call",
		n.path("v2", "canister", "query"), n.path("v3", "canister", "query"),
		n.path("v2", "canister", "read_state"), n.path("v3", "canister", "read_state"),
		"/api/v2/subnet/" + n.subnet.SubnetID().String() + "/read_state",
		"/api/v3/subnet/" + n.subnet.SubnetID().String() + "/read_state",
	}
	wrongType := signed(n.readStateContent([][]byte{[]byte("time")}))
	for _, p := range endpoints {
		for _, body := range [][]byte{nil, {0xff}, {0xd9, 0xd9, 0xf7, 0xa1}, []byte("{\"content\":1}"), {0xa1, 0x61, 0x78, 0x01}} {
			expect(t, n.post(p, body), 400, "Could not parse body as")
		}
		if strings.HasSuffix(p, "read_state") {
			expect(t, n.post(p, signed(call)), 400, "expected \"read_state\"")
		} else {
			expect(t, n.post(p, wrongType), 400, "Could not parse body as")
		}
		// Content type.
		r := httptest.NewRequest(http.MethodPost, p, bytes.NewReader(signed(call)))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		n.server.ServeHTTP(w, r)
		expect(t, w, 400, "Unexpected content-type")
	}
	expect(t, n.post("/api/v2/canister/not-a-principal/call", signed(call)), 400, "Could not parse the effective canister id")

	// Wrong effective canister id, and one outside the subnet's ranges.
	expect(t, n.post("/api/v3/canister/"+principal.FromCanisterIndex(2).String()+"/call", signed(call)), 400,
		"does not match effective canister id in URL")
	outside := principal.FromCanisterIndex(1 << 30)
	oc := call
	oc.CanisterID = outside
	expect(t, n.post("/api/v3/canister/"+outside.String()+"/call", signed(oc)), 400, "not in the canister ranges")
	// A management canister call whose argument names another canister.
	mc := call
	mc.CanisterID, mc.MethodName = principal.Management(), "canister_status"
	mc.Arg, _ = candid.Marshal([]*candid.Type{candid.RecordType(candid.F("canister_id", candid.Prim(candid.KindPrincipal)))},
		[]candid.Value{candid.Record{Fields: []candid.FieldValue{{ID: candid.Hash("canister_id"), Value: principal.FromCanisterIndex(5)}}}})
	expect(t, n.post(n.path("v3", "canister", "call"), signed(mc)), 400, "does not match effective canister id in URL")
	// Wrong subnet id.
	expect(t, n.post("/api/v4/subnet/"+principal.FromCanisterIndex(1).String()+"/call", signed(call)), 400, "is not this node's subnet")
	expect(t, n.post("/api/v3/subnet/"+principal.FromCanisterIndex(1).String()+"/read_state", wrongType), 400, "is not this node's subnet")

	// Delegation targets that do not include the canister.
	session := newKey(t)
	d, _ := ingress.SignDelegation(key, session.PublicKeyDER(), n.expiry(), []principal.Principal{principal.FromCanisterIndex(9)})
	de, err := ingress.NewHTTPEnvelope(call, session, key.PublicKeyDER(), []ingress.Delegation{d})
	if err != nil {
		t.Fatal(err)
	}
	db, _ := de.Marshal()
	expect(t, n.post(n.path("v3", "canister", "call"), db), 403, "delegation targets")

	// request_status of another sender's call.
	expect(t, n.post(n.path("v3", "canister", "call"), signed(call)), 200, "")
	id := idOf(key, call)
	expect(t, n.post(n.path("v2", "canister", "read_state"), envelope(t, other, n.readStateContent([][]byte{[]byte("request_status"), id[:]}))),
		403, "Request IDs must be for requests signed by the caller.")
	expect(t, n.post(n.path("v2", "canister", "read_state"), envelope(t, nil, n.readStateContent([][]byte{[]byte("request_status"), id[:], []byte("reply")}))),
		403, "Request IDs must be for requests signed by the caller.")
	// The sender itself may.
	expect(t, n.post(n.path("v2", "canister", "read_state"), signed(n.readStateContent([][]byte{[]byte("request_status"), id[:], []byte("reply")}))), 200, "")
	// Other path rules.
	other32 := make([]byte, 32)
	for _, tc := range []struct {
		path   string
		paths  [][][]byte
		status int
		text   string
	}{
		{n.path("v2", "canister", "read_state"), [][][]byte{{[]byte("request_status"), id[:]}, {[]byte("request_status"), other32}}, 400, "single request ID"},
		{n.path("v2", "canister", "read_state"), [][][]byte{{[]byte("request_status"), id[:8]}}, 400, "32 bytes"},
		{n.path("v2", "canister", "read_state"), [][][]byte{{[]byte("canister"), principal.FromCanisterIndex(2).Bytes(), []byte("module_hash")}}, 400, "does not match requested principal id"},
		{n.path("v2", "canister", "read_state"), [][][]byte{{[]byte("canister"), n.canister.Bytes(), []byte("certified_data")}}, 404, "Invalid path requested."},
		{n.path("v2", "canister", "read_state"), [][][]byte{{[]byte("canister"), n.canister.Bytes(), []byte("metadata"), []byte("secret")}}, 403, "controllers"},
		{n.path("v2", "canister", "read_state"), [][][]byte{{[]byte("nothing")}}, 404, "Invalid path requested."},
		{"/api/v3/subnet/" + n.subnet.SubnetID().String() + "/read_state", [][][]byte{{[]byte("canister"), n.canister.Bytes(), []byte("module_hash")}}, 404, "Invalid path requested."},
		{n.path("v2", "canister", "read_state"), [][][]byte{{[]byte("canister"), n.canister.Bytes(), []byte("module_hash")}, {[]byte("subnet")}, {[]byte("canister_ranges"), n.subnet.SubnetID().Bytes()}}, 200, ""},
		{"/api/v3/subnet/" + n.subnet.SubnetID().String() + "/read_state", [][][]byte{{[]byte("subnet"), n.subnet.SubnetID().Bytes(), []byte("public_key")}}, 200, ""},
	} {
		t.Run(fmt.Sprintf("%x", tc.paths), func(t *testing.T) {
			expect(t, n.post(tc.path, signed(n.readStateContent(tc.paths...))), tc.status, tc.text)
		})
	}

	// Unhealthy: 503 for requests, the status endpoint still answers.
	n.subnet.SetHealthy(false)
	expect(t, n.post(n.path("v3", "canister", "call"), signed(n.callContent("inc", nil))), 503, "unhealthy")
	st, _ := httpapi.ParseStatusResponse(n.get("/api/v2/status").Body.Bytes())
	if st.ReplicaHealthStatus == "healthy" {
		t.Fatal("unhealthy node reports healthy")
	}
	n.subnet.SetHealthy(true)

	// Healthy afterwards: a good call still works.
	w := n.post(n.path("v3", "canister", "call"), signed(n.callContent("inc", nil)))
	expect(t, w, 200, "")
	// And wrong methods get 405, unknown paths 404.
	expect(t, n.get(n.path("v3", "canister", "call")), 405, "")
	expect(t, n.post("/api/v1/canister/x/call", nil), 404, "")
}
