package canisters

import (
	"encoding/binary"
	"testing"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

// TestDelegatedSender: a call signed by a session key that the sender's
// key delegates to runs as the sender; a chain for another canister, a
// changed chain and an expired one do not.
func TestDelegatedSender(t *testing.T) {
	h := newHarness(t)
	can := h.create(counterWasm(t))
	other := h.create(counterWasm(t))
	session, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	delegated := func(to principal.Principal, expiration uint64, targets []principal.Principal) *Message {
		t.Helper()
		d, err := ingress.SignDelegation(aliceKey, session.PublicKeyDER(), expiration, targets)
		if err != nil {
			t.Fatal(err)
		}
		h.nonce++
		m := &Message{Kind: KindCall, Sender: alice.Bytes(), Canister: to.Bytes(), Method: "inc",
			Nonce: binary.BigEndian.AppendUint64(nil, h.nonce), Expiry: h.now() + 60_000_000_000,
			SenderPubKey: aliceKey.PublicKeyDER(), Delegations: DelegationsOf([]ingress.Delegation{d})}
		if m.SenderSig, err = ingress.SignRequestID(session, m.ID()); err != nil {
			t.Fatal(err)
		}
		return m
	}
	later := h.now() + 3_600_000_000_000
	m := delegated(can, later, []principal.Principal{can})
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	h.replied(h.block(m)[0])
	if v := h.query(can, "get"); v != 1 {
		t.Fatalf("value %d", v)
	}
	if r := h.record(m.ID()); string(r.Sender) != string(alice.Bytes()) {
		t.Fatalf("record sender %x", r.Sender)
	}
	if err := delegated(other, later, []principal.Principal{can}).Validate(); err == nil {
		t.Fatal("a call outside the delegation's targets validated")
	}
	bad := delegated(can, later, nil)
	bad.Delegations[0].Expiration++
	if err := bad.Validate(); err == nil {
		t.Fatal("a changed delegation validated")
	}
	expired := delegated(can, h.now()-1, nil)
	if err := expired.Validate(); err != nil {
		t.Fatal(err) // the signatures are fine; the round refuses it
	}
	if err := h.c.Admit(expired, h.now()); err == nil {
		t.Fatal("the mempool admitted an expired delegation")
	}
	h.block(expired)
	if h.c.Status(func() []byte { id := expired.ID(); return id[:] }()) != nil {
		t.Fatal("a message with an expired delegation was received")
	}
}
