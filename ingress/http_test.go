package ingress

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/principal"
	"github.com/fxamacker/cbor/v2"
)

// TestRequestIDSpecExample checks the example of the interface
// specification ("Request ids").
func TestRequestIDSpecExample(t *testing.T) {
	c := Content{
		RequestType:   RequestTypeCall,
		Sender:        principal.Anonymous(),
		IngressExpiry: 1685570400000000000,
		CanisterID:    mustPrincipal(t, []byte{0, 0, 0, 0, 0, 0, 0x04, 0xd2}),
		MethodName:    "hello",
		Arg:           []byte("DIDL\x00\xfd*"),
	}
	id := c.RequestID()
	if got, want := hex.EncodeToString(id[:]), "1d1091364d6bb8a6c16b203ee75467d59ead468f523eb058880ae8ec80e2b101"; got != want {
		t.Fatalf("request id %s, want %s", got, want)
	}
}

func mustPrincipal(t *testing.T, b []byte) principal.Principal {
	t.Helper()
	p, err := principal.FromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var httpNow = time.Unix(1_800_000_000, 0)

func callContent() Content {
	return Content{
		RequestType:   RequestTypeCall,
		IngressExpiry: uint64(httpNow.Add(4 * time.Minute).UnixNano()),
		Nonce:         []byte("0123456789abcdef"),
		CanisterID:    principal.FromCanisterIndex(7),
		MethodName:    "inc",
		Arg:           []byte("DIDL\x00\x00"),
	}
}

func httpSigners(t *testing.T) map[string]Signer {
	t.Helper()
	ed, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	k1, err := GenerateSecp256k1()
	if err != nil {
		t.Fatal(err)
	}
	p256, err := GenerateP256()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Signer{"ed25519": ed, "secp256k1": k1, "p256": p256}
}

func TestHTTPEnvelopeRoundTrip(t *testing.T) {
	for name, key := range httpSigners(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range []Content{
				callContent(),
				{RequestType: RequestTypeQuery, IngressExpiry: callContent().IngressExpiry, CanisterID: principal.Management(), MethodName: "q", Arg: []byte{}},
				{RequestType: RequestTypeReadState, IngressExpiry: callContent().IngressExpiry, Paths: [][][]byte{{[]byte("time")}, {[]byte("request_status"), make([]byte, 32)}}},
			} {
				e, err := NewHTTPEnvelope(c, key, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				b, err := e.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				back, err := ParseHTTPEnvelope(b)
				if err != nil {
					t.Fatalf("%s: %v", c.RequestType, err)
				}
				id, targets, err := back.Authenticate(httpNow)
				if err != nil {
					t.Fatalf("%s: %v", c.RequestType, err)
				}
				if id != e.Content.RequestID() || targets != nil {
					t.Fatalf("%s: id or targets changed", c.RequestType)
				}
				if back.Content.Sender != Sender(key) {
					t.Fatalf("sender %s, want %s", back.Content.Sender, Sender(key))
				}
				// A changed content byte breaks the signature.
				back.Content.IngressExpiry++
				if _, _, err := back.Authenticate(httpNow); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("tampered: %v, want ErrBadSignature", err)
				}
			}
		})
	}
}

func TestHTTPEnvelopeAnonymous(t *testing.T) {
	e, err := NewHTTPEnvelope(callContent(), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.Marshal()
	back, err := ParseHTTPEnvelope(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := back.Authenticate(httpNow); err != nil {
		t.Fatal(err)
	}
	back.SenderSig = make([]byte, 64)
	if _, _, err := back.Authenticate(httpNow); !errors.Is(err, ErrUnexpectedSigning) {
		t.Fatalf("anonymous with signature: %v", err)
	}
	// A named sender without key.
	c := callContent()
	c.Sender = principal.SelfAuthenticating([]byte("k"))
	e = &HTTPEnvelope{Content: c}
	if _, _, err := e.Authenticate(httpNow); !errors.Is(err, ErrMissingSignature) {
		t.Fatalf("unsigned: %v", err)
	}
}

func TestHTTPEnvelopeSenderMismatch(t *testing.T) {
	s := httpSigners(t)
	e, err := NewHTTPEnvelope(callContent(), s["ed25519"], nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Another key signs for the first key's principal.
	other := s["secp256k1"]
	e.SenderPubKey = other.PublicKeyDER()
	id := e.Content.RequestID()
	e.SenderSig, _ = other.Sign(append(bytes.Clone(domainRequest), id[:]...))
	if _, _, err := e.Authenticate(httpNow); !errors.Is(err, ErrSenderMismatch) {
		t.Fatalf("got %v, want ErrSenderMismatch", err)
	}
}

func TestDelegations(t *testing.T) {
	s := httpSigners(t)
	root, mid, session := s["secp256k1"], s["p256"], s["ed25519"]
	exp := uint64(httpNow.Add(time.Hour).UnixNano())
	a, b := principal.FromCanisterIndex(7), principal.FromCanisterIndex(8)
	d1, err := SignDelegation(root, mid.PublicKeyDER(), exp, []principal.Principal{a, b})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := SignDelegation(mid, session.PublicKeyDER(), exp, []principal.Principal{a})
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewHTTPEnvelope(callContent(), session, root.PublicKeyDER(), []Delegation{d1, d2})
	if err != nil {
		t.Fatal(err)
	}
	wire, _ := e.Marshal()
	back, err := ParseHTTPEnvelope(wire)
	if err != nil {
		t.Fatal(err)
	}
	_, targets, err := back.Authenticate(httpNow)
	if err != nil {
		t.Fatal(err)
	}
	if back.Content.Sender != Sender(root) {
		t.Fatalf("sender is not the root key's principal")
	}
	if !targets.Allows(a) || targets.Allows(b) {
		t.Fatalf("targets %v: want only %s", targets, a)
	}

	// Expired delegation.
	if _, _, err := back.Authenticate(httpNow.Add(2 * time.Hour)); !errors.Is(err, ErrBadDelegation) {
		t.Fatalf("expired: %v", err)
	}
	// A delegation signed by the wrong key.
	bad, _ := SignDelegation(session, session.PublicKeyDER(), exp, nil)
	e2, err := NewHTTPEnvelope(callContent(), session, root.PublicKeyDER(), []Delegation{bad})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e2.Authenticate(httpNow); !errors.Is(err, ErrBadDelegation) {
		t.Fatalf("wrong delegator: %v", err)
	}
	// A cycle: root → session → root.
	c1, _ := SignDelegation(root, session.PublicKeyDER(), exp, nil)
	c2, _ := SignDelegation(session, root.PublicKeyDER(), exp, nil)
	e3, err := NewHTTPEnvelope(callContent(), root, root.PublicKeyDER(), []Delegation{c1, c2})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e3.Authenticate(httpNow); !errors.Is(err, ErrBadDelegation) || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("cycle: %v", err)
	}
	// Too many delegations.
	long := make([]Delegation, MaxDelegations+1)
	for i := range long {
		long[i] = d1
	}
	e4 := &HTTPEnvelope{Content: e.Content, SenderPubKey: e.SenderPubKey, SenderSig: e.SenderSig, Delegations: long}
	wire, _ = e4.Marshal()
	if _, err := ParseHTTPEnvelope(wire); !errors.Is(err, ErrMalformed) {
		t.Fatalf("21 delegations: %v", err)
	}
}

func TestCheckIngressExpiry(t *testing.T) {
	n := uint64(httpNow.UnixNano())
	for _, tc := range []struct {
		expiry uint64
		want   error
	}{
		{n, nil},
		{n + uint64(MaxIngressTTL+PermittedDrift), nil},
		{n - 1, ErrExpired},
		{n + uint64(MaxIngressTTL+PermittedDrift) + 1, ErrExpiryTooFar},
		{0, ErrExpired},
		{^uint64(0), ErrExpiryTooFar},
	} {
		err := CheckIngressExpiry(tc.expiry, httpNow)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("expiry %d: %v, want %v", tc.expiry, err, tc.want)
		}
	}
}

// encodeMap encodes a map with the keys in the given order, as clients
// that do not sort keys write them.
func encodeRaw(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseHTTPEnvelopeStrict(t *testing.T) {
	good := map[string]any{
		"request_type": "call", "canister_id": []byte{}, "method_name": "m", "arg": []byte{},
		"sender": []byte{4}, "ingress_expiry": uint64(1),
	}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	env := func(content any) []byte {
		return append([]byte{0xd9, 0xd9, 0xf7}, encodeRaw(t, map[string]any{"content": content})...)
	}
	if _, err := ParseHTTPEnvelope(env(good)); err != nil {
		t.Fatalf("good envelope: %v", err)
	}
	// Without the self-describe tag too.
	if _, err := ParseHTTPEnvelope(encodeRaw(t, map[string]any{"content": good})); err != nil {
		t.Fatalf("untagged envelope: %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":              {},
		"not a map":          env("x"),
		"unknown field":      env(with("extra", uint64(1))),
		"no sender":          env(with("sender", nil)),
		"no arg":             env(with("arg", nil)),
		"text canister_id":   env(with("canister_id", "aaaaa-aa")),
		"long nonce":         env(with("nonce", make([]byte, 33))),
		"unknown type":       env(with("request_type", "sign")),
		"paths in call":      env(with("paths", [][][]byte{})),
		"long sender":        env(with("sender", make([]byte, 30))),
		"negative expiry":    env(with("ingress_expiry", int64(-1))),
		"trailing bytes":     append(env(good), 0),
		"unknown envelope":   append([]byte{0xd9, 0xd9, 0xf7}, encodeRaw(t, map[string]any{"content": good, "x": 1})...),
		"inner tag":          append([]byte{0xd9, 0xd9, 0xf7}, encodeRaw(t, map[string]any{"content": cbor.Tag{Number: 42, Content: good}})...),
		"too many paths":     env(map[string]any{"request_type": "read_state", "sender": []byte{4}, "ingress_expiry": uint64(1), "paths": make([][][]byte, MaxReadStatePaths+1)}),
		"read_state no path": env(map[string]any{"request_type": "read_state", "sender": []byte{4}, "ingress_expiry": uint64(1)}),
		"oversized":          make([]byte, MaxHTTPEnvelopeSize+1),
	} {
		if _, err := ParseHTTPEnvelope(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	// Duplicate keys: hand-written CBOR {content: {...}, content: {...}}.
	one := encodeRaw(t, good)
	dup := append([]byte{0xa2, 0x67}, "content"...)
	dup = append(dup, one...)
	dup = append(append(dup, 0x67), "content"...)
	dup = append(dup, one...)
	if _, err := ParseHTTPEnvelope(dup); !errors.Is(err, ErrMalformed) {
		t.Errorf("duplicate key: %v", err)
	}
}

func TestStatusTable(t *testing.T) {
	tab := NewStatusTable()
	c := callContent()
	c.Sender = principal.Anonymous()
	now := uint64(httpNow.UnixNano())
	c.IngressExpiry = now + uint64(MaxIngressTTL+PermittedDrift)
	id := c.RequestID()
	if err := tab.Receive(id, &c, c.CanisterID); err != nil {
		t.Fatal(err)
	}
	if err := tab.Receive(id, &c, c.CanisterID); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("replay: %v", err)
	}
	if err := tab.Processing(id, c.IngressExpiry+1); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired call started: %v", err)
	}
	if err := tab.Processing(id, now); err != nil {
		t.Fatal(err)
	}
	if err := tab.Reply(id, []byte("r"), now); err != nil {
		t.Fatal(err)
	}
	if err := tab.Reject(id, 4, "x", "", now); err == nil {
		t.Fatal("replied call rejected")
	}
	st, _ := tab.Get(id)
	if st.Status != StatusReplied || string(st.Reply) != "r" || len(tab.Leaves()) != 2 {
		t.Fatalf("status %+v", st)
	}
	tab.Prune(now + uint64(ResponseRetention) - 1)
	if st, _ = tab.Get(id); st.Status != StatusReplied {
		t.Fatalf("done too early: %s", st.Status)
	}
	tab.Prune(now + uint64(ResponseRetention))
	if st, _ = tab.Get(id); st.Status != StatusDone || st.Reply != nil || len(tab.Leaves()) != 1 {
		t.Fatalf("after retention: %+v", st)
	}
	// Still a duplicate until the expiry passes.
	if err := tab.Receive(id, &c, c.CanisterID); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("replay of a done call: %v", err)
	}
	if n := tab.Prune(c.IngressExpiry + 1); n != 1 || tab.Len() != 0 {
		t.Fatalf("pruned %d, %d left", n, tab.Len())
	}
}
