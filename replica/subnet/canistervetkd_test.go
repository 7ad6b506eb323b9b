package subnet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

// TestCanisterVetKDRequest: a canister's derivation request joins the
// pending list without a record, is derived for the canister as caller,
// and its combined encrypted key leaves the list without touching the
// records; unknown keys, bad transport keys and repeated ids are refused.
func TestCanisterVetKDRequest(t *testing.T) {
	x := newVetKDFixture(t)
	canister := []byte{0, 0, 0, 0, 0, 0, 0, 16, 1, 1}
	req := &CanisterVetKD{Caller: canister, Context: []byte("ctx"), Input: []byte("alice"), TransportPublicKey: x.tsk.PublicKey().Bytes()}
	id := []byte("chainkey-canister-vetkd/\x00\x00\x00\x00\x00\x00\x00\x07")
	if err := AcceptCanisterVetKDRequest(x.cs, id, "bls12_381_g2:other", req); err == nil {
		t.Fatal("unknown key accepted")
	}
	bad := *req
	bad.TransportPublicKey = bytes.Repeat([]byte{0xaa}, 48)
	if err := AcceptCanisterVetKDRequest(x.cs, id, testVetKDKey, &bad); err == nil {
		t.Fatal("invalid transport key accepted")
	}
	if len(x.cs.VetKDPending) != 0 || x.cs.VetKDRequests != 0 {
		t.Fatal("refused request is pending")
	}
	if err := AcceptCanisterVetKDRequest(x.cs, id, testVetKDKey, req); err != nil {
		t.Fatal(err)
	}
	if err := AcceptCanisterVetKDRequest(x.cs, id, testVetKDKey, req); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("repeated id: %v", err)
	}
	if len(x.cs.VetKDPending) != 1 || x.cs.VetKDRequests != 1 || x.cs.VetKDPending[0].Height != x.cs.Height+1 {
		t.Fatalf("pending %+v", x.cs.VetKDPending)
	}
	r, err := VetKDRequestOf(&x.cs.VetKDPending[0])
	if err != nil || !bytes.Equal(r.CanisterID, canister) || !bytes.Equal(r.Input, req.Input) || !bytes.Equal(r.Context, req.Context) {
		t.Fatalf("request %+v: %v", r, err)
	}
	replies := CombineVetKD(x.cs, NewVetKDDerivation, x.votes(t, 0), map[int]bool{})
	if len(replies) != 1 {
		t.Fatalf("replies %v", replies)
	}
	recs := memRecords{}
	if err := ApplyVetKDReply(x.cs, recs, NewVetKDDerivation, replies[0]); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 || len(x.cs.VetKDPending) != 0 || x.cs.VetKDReplied != 1 {
		t.Fatalf("records %d, pending %d, replied %d", len(recs), len(x.cs.VetKDPending), x.cs.VetKDReplied)
	}
	pc, err := thresholdsig.ParsePublicCoefficients(x.cs.VetKDPub[testVetKDKey])
	if err != nil {
		t.Fatal(err)
	}
	mk, err := vetkd.ParseMasterPublicKey(pc.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ek, err := vetkd.ParseEncryptedKey(replies[0].Signature)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.tsk.Decrypt(ek, vetkd.DerivePublicKey(mk, canister, req.Context), req.Input); err != nil {
		t.Fatalf("not the canister's key: %v", err)
	}
}
