package canisters

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// goCounter is a Go canister: inc adds one and replies with the value,
// get (a query) reads it, sign asks for a signature of its argument,
// anything else is rejected; Tick counts rounds.
type goCounter struct {
	n, ticks uint64
	seq      uint64
	out      []GoSignRequest
	sigs     [][]byte
}

func (g *goCounter) Update(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	switch method {
	case "inc":
		g.n++
		return le64(g.n), nil
	case "get":
		return le64(g.n), nil
	case "sign":
		g.seq++
		g.out = append(g.out, GoSignRequest{Seq: g.seq, KeyID: "ecdsa:secp256k1:dfx_test_key", Path: [][]byte{[]byte("p")}, Message: arg})
		return nil, nil
	case "fail":
		return nil, &GoReject{Code: execution.RejectCanisterReject, Message: "no"}
	case "panic":
		panic("boom")
	}
	return nil, errors.New("unknown method")
}

func (g *goCounter) Query(method string, arg []byte, caller principal.Principal, now uint64) ([]byte, error) {
	if method != "get" {
		return nil, &GoReject{Code: execution.RejectDestinationInvalid, Message: "no query " + method}
	}
	return le64(g.n), nil
}

func (g *goCounter) Marshal() ([]byte, error) {
	b := binary.BigEndian.AppendUint64(nil, g.n)
	b = binary.BigEndian.AppendUint64(b, g.ticks)
	return binary.BigEndian.AppendUint64(b, uint64(len(g.sigs))), nil
}

func (g *goCounter) Unmarshal(b []byte) error {
	if b == nil {
		g.n, g.ticks, g.sigs = 0, 0, nil
		return nil
	}
	if len(b) != 24 {
		return errors.New("bad state")
	}
	g.n, g.ticks = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
	g.sigs = make([][]byte, binary.BigEndian.Uint64(b[16:]))
	return nil
}

func (g *goCounter) StateHash() [32]byte {
	b, _ := g.Marshal()
	return sha256.Sum256(b)
}

func (g *goCounter) CertifiedData() []byte { return le64(g.n) }
func (g *goCounter) Tick(uint64)           { g.ticks++ }
func (g *goCounter) TakeSignRequests() []GoSignRequest {
	out := g.out
	g.out = nil
	return out
}
func (g *goCounter) DeliverSignature(seq uint64, sig []byte, err error) { g.sigs = append(g.sigs, sig) }

var goID = principal.FromCanisterIndex(1)

func newGoHarness(t *testing.T) (*harness, *goCounter) {
	h := newHarness(t)
	g := &goCounter{}
	if err := h.c.HostGo(goID, g); err != nil {
		t.Fatal(err)
	}
	return h, g
}

func TestGoCanister(t *testing.T) {
	h, g := newGoHarness(t)
	if err := h.c.HostGo(CanisterID(20), &goCounter{}); err == nil {
		t.Fatal("a Go canister inside the Wasm range was accepted")
	}
	ids := h.block(h.call(goID, "inc", nil), h.call(goID, "inc", nil), h.call(goID, "fail", nil), h.call(goID, "nope", nil),
		h.call(goID, "panic", nil))
	if got := h.replied(ids[1]); !bytes.Equal(got, le64(2)) {
		t.Fatalf("inc replied %x", got)
	}
	h.rejected(ids[2], execution.RejectCanisterReject)
	h.rejected(ids[3], execution.RejectCanisterError)
	if msg := h.rejected(ids[4], execution.RejectCanisterError); !strings.Contains(msg, "panicked: boom") {
		t.Fatalf("panic rejected with %q", msg)
	}
	if v := h.query(goID, "get"); v != 2 {
		t.Fatalf("get = %d", v)
	}
	if r := h.c.Query(goID, execution.Message{Method: "inc", Caller: alice}); r.RejectCode != execution.RejectDestinationInvalid {
		t.Fatalf("query of an update method: %+v", r)
	}
	if g.ticks != 1 {
		t.Fatalf("ticks %d after one round", g.ticks)
	}
	// A Wasm canister calls the Go canister.
	proxy := h.create(proxyWasm(t))
	ids = h.block(h.call(proxy, "forward", forwardArg(goID, "inc", nil)), h.call(proxy, "forward", forwardArg(goID, "fail", nil)))
	if got := h.replied(ids[0]); !bytes.Equal(got, le64(3)) {
		t.Fatalf("forwarded inc replied %x", got)
	}
	if got := h.replied(ids[1]); len(got) == 0 || got[0] != 0xee || got[1] != execution.RejectCanisterReject {
		t.Fatalf("forwarded fail replied %x", got)
	}
	// Certified data leaf.
	found := false
	for _, pv := range h.c.Leaves() {
		if len(pv.Path) == 3 && bytes.Equal(pv.Path[1], goID.Bytes()) && string(pv.Path[2]) == "certified_data" {
			found = bytes.Equal(pv.Value, le64(3))
		}
	}
	if !found {
		t.Fatal("no certified_data leaf of the Go canister with its value")
	}
	// Signing through the component's requests, with the canister as caller.
	h.block(h.call(goID, "sign", []byte("hash")))
	reqs := h.c.TakeSignRequests()
	if len(reqs) != 1 || reqs[0].Caller != goID || !IsSignRequestID(reqs[0].ID) || !bytes.Equal(reqs[0].Message, []byte("hash")) {
		t.Fatalf("sign requests %+v", reqs)
	}
	if !h.c.DeliverSignature(reqs[0].ID, []byte("sig")) || len(g.sigs) != 1 || string(g.sigs[0]) != "sig" {
		t.Fatal("signature not delivered to the Go canister")
	}
	h.block()
	// Reload from the writes: same state and hash.
	c2, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	g2 := &goCounter{}
	if err := c2.HostGo(goID, g2); err != nil {
		t.Fatal(err)
	}
	if err := c2.Load(h.st); err != nil {
		t.Fatal(err)
	}
	if g2.n != 3 || g2.ticks != g.ticks || len(g2.sigs) != 1 {
		t.Fatalf("reloaded %+v, want %+v", g2, g)
	}
	if c2.StateHash() != h.c.StateHash() {
		t.Fatal("state hash differs after reload")
	}
	// Snapshot and restore carry it too.
	c3, _ := New(testConfig())
	g3 := &goCounter{}
	_ = c3.HostGo(goID, g3)
	if err := c3.Restore(h.c.Snapshot()); err != nil {
		t.Fatal(err)
	}
	if g3.n != 3 || c3.StateHash() != h.c.StateHash() {
		t.Fatal("restore from snapshot differs")
	}
}
