package ingress

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/chainkey/chainkey/principal"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// fuzzSeedHTTPEnvelopes returns real HTTP envelopes: each request type,
// anonymous and signed by every key type, with and without delegations.
func fuzzSeedHTTPEnvelopes(tb testing.TB) [][]byte {
	ed, err := NewEd25519Signer(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		tb.Fatal(err)
	}
	k1, err := NewSecp256k1Signer(secp256k1.PrivKeyFromBytes(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		tb.Fatal(err)
	}
	p256, err := GenerateP256()
	if err != nil {
		tb.Fatal(err)
	}
	const exp = 1_800_000_000_000_000_000
	contents := []Content{
		{RequestType: RequestTypeCall, IngressExpiry: exp, Nonce: []byte("n"), CanisterID: principal.FromCanisterIndex(1), MethodName: "inc", Arg: []byte("DIDL\x00\x00")},
		{RequestType: RequestTypeQuery, IngressExpiry: exp, CanisterID: principal.Management(), MethodName: "q", Arg: []byte{}},
		{RequestType: RequestTypeReadState, IngressExpiry: exp, Paths: [][][]byte{{[]byte("time")}, {[]byte("request_status"), make([]byte, 32), []byte("reply")}}},
	}
	var out [][]byte
	add := func(e *HTTPEnvelope, err error) {
		if err != nil {
			tb.Fatal(err)
		}
		b, err := e.Marshal()
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	d, err := SignDelegation(k1, ed.PublicKeyDER(), exp, []principal.Principal{principal.FromCanisterIndex(1)})
	if err != nil {
		tb.Fatal(err)
	}
	for _, c := range contents {
		add(NewHTTPEnvelope(c, nil, nil, nil))
		for _, k := range []Signer{ed, k1, p256} {
			add(NewHTTPEnvelope(c, k, nil, nil))
		}
		add(NewHTTPEnvelope(c, ed, k1.PublicKeyDER(), []Delegation{d}))
	}
	return out
}

// FuzzParseHTTPEnvelope feeds arbitrary bytes to the HTTP interface's
// envelope decoder. What it accepts must re-encode to an envelope that
// decodes to the same request (same request id, same authentication
// outcome), and authentication must never panic.
func FuzzParseHTTPEnvelope(f *testing.F) {
	for _, s := range fuzzSeedHTTPEnvelopes(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseHTTPEnvelope(b)
		if err != nil {
			return
		}
		id1, _, err1 := e.Authenticate(httpNow)
		again, err := e.Marshal()
		if err != nil {
			t.Fatalf("accepted envelope does not re-encode: %v", err)
		}
		e2, err := ParseHTTPEnvelope(again)
		if err != nil {
			t.Fatalf("re-encoded envelope refused: %v", err)
		}
		id2, _, err2 := e2.Authenticate(httpNow)
		if id1 != id2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("round trip changed the request: %x/%v vs %x/%v", id1, err1, id2, err2)
		}
		third, _ := e2.Marshal()
		if !bytes.Equal(again, third) {
			t.Fatal("encoding is not stable")
		}
	})
}
