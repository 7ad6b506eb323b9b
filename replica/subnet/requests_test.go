package subnet

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
)

// memRecords is Records in memory.
type memRecords map[string]*RequestRecord

func (m memRecords) Record(id []byte) *RequestRecord       { return m[string(id)] }
func (m memRecords) PutRecord(id []byte, r *RequestRecord) { m[string(id)] = r }

// fakeSigner accepts the signature "sig" ‖ request id and shares
// "share" ‖ index.
type fakeSigner struct{}

func (fakeSigner) VerifyShare(in *SignInput, index int, share []byte) error {
	if !bytes.Equal(share, []byte{'s', byte(index)}) {
		return errors.New("bad share")
	}
	return nil
}
func (fakeSigner) Verify(in *SignInput, sig []byte) error {
	if !bytes.Equal(sig, append([]byte("sig"), in.RequestID...)) {
		return errors.New("bad signature")
	}
	return nil
}
func (fakeSigner) ReplyKey(in *SignInput) ([]byte, error) { return []byte("derived"), nil }

func signers(keyID string) Signer {
	if keyID == "ecdsa:secp256k1:k" {
		return fakeSigner{}
	}
	return nil
}

func known(keyID string) bool { return signers(keyID) != nil }

func envelope(t *testing.T, keyID string, now time.Time, expiry time.Duration) ([]byte, []byte) {
	t.Helper()
	caller, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	env, err := ingress.NewSignEnvelope(caller, &ingress.SignContent{IngressExpiry: ingress.Expiry(now, expiry),
		KeyID: keyID, MessageHash: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	_, id, err := env.DecodeSignContent()
	if err != nil {
		t.Fatal(err)
	}
	return env.Marshal(), id[:]
}

func TestAcceptRequest(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	good, goodID := envelope(t, "ecdsa:secp256k1:k", now, time.Minute)
	unknown, unknownID := envelope(t, "ecdsa:secp256k1:other", now, time.Minute)
	late, _ := envelope(t, "ecdsa:secp256k1:k", now.Add(-time.Hour), time.Minute)
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	cs := &State{Height: 9}
	recs := memRecords{}
	w := NewOverlay(NewMemStorage())
	seen := map[string]bool{}
	for _, c := range []struct {
		name string
		env  []byte
		want error // nil, ErrDuplicate, ErrUnknownKey, ingress.ErrExpired, or errAny
	}{
		{"valid", good, nil},
		{"replay in the block", good, ErrDuplicate},
		{"unknown key", unknown, ErrUnknownKey},
		{"expired", late, ingress.ErrExpired},
		{"malformed", bad, errAny},
		{"too large", make([]byte, MaxEnvelopeBytes+1), errAny},
	} {
		err := AcceptRequest(cs, w, recs, seen, known, c.env, now, 5*time.Minute)
		switch {
		case c.want == nil && err != nil, c.want != nil && err == nil, c.want != nil && c.want != errAny && !errors.Is(err, c.want):
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if len(cs.Pending) != 1 || !bytes.Equal(cs.Pending[0].ID, goodID) || cs.Pending[0].Height != 10 || cs.Requests != 1 {
		t.Fatalf("pending %+v, requests %d", cs.Pending, cs.Requests)
	}
	if r := recs[string(goodID)]; r == nil || r.Status != StatusReceived {
		t.Fatalf("record %+v", r)
	}
	if r := recs[string(unknownID)]; r == nil || r.Status != StatusRejected || r.Reject == "" {
		t.Fatalf("unknown key's record %+v", r)
	}
	if w.Len() != 2 {
		t.Fatalf("%d writes, want the two replay-index keys", w.Len())
	}
	// A recorded request (a later block) is a replay too.
	if err := AcceptRequest(cs, w, recs, map[string]bool{}, known, good, now, 5*time.Minute); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("replay in a later block: %v", err)
	}
}

var errAny = errors.New("any error")

func TestApplyReply(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	env, id := envelope(t, "ecdsa:secp256k1:k", now, time.Minute)
	cs := &State{Height: 9}
	recs := memRecords{}
	if err := AcceptRequest(cs, NewOverlay(NewMemStorage()), recs, map[string]bool{}, known, env, now, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	good := &ReplyTx{RequestID: id, Signature: append([]byte("sig"), id...)}
	if _, err := ApplyReply(cs.Clone(), recs, signers, good); err == nil {
		t.Fatal("reply accepted before the request has its presignature")
	}
	cs.Presigs = map[string][]PresigRec{"ecdsa:secp256k1:k": {{ID: 1}}}
	AssignPresignatures(cs, 11)
	ext := &VoteExt{SignShares: []SignShare{{RequestID: id, Share: []byte{'s', 2}}}}
	if BadSignShare(cs, signers, 2, ext) || !BadSignShare(cs, signers, 3, ext) {
		t.Fatal("signing share check")
	}
	if _, err := ApplyReply(cs.Clone(), recs, signers, &ReplyTx{RequestID: id, Signature: []byte("forged")}); err == nil {
		t.Fatal("bad signature accepted")
	}
	if _, err := ApplyReply(cs.Clone(), recs, signers, &ReplyTx{RequestID: []byte("none"), Signature: good.Signature}); err == nil {
		t.Fatal("reply for no request accepted")
	}
	p, err := ApplyReply(cs, recs, signers, good)
	if err != nil || !bytes.Equal(p.ID, id) {
		t.Fatalf("reply: %v", err)
	}
	r := recs[string(id)]
	if len(cs.Pending) != 0 || cs.Replied != 1 || r.Status != StatusReplied || !bytes.Equal(r.Signature, good.Signature) || string(r.PublicKey) != "derived" || r.Height != 10 {
		t.Fatalf("after the reply: pending %d, replied %d, record %+v", len(cs.Pending), cs.Replied, r)
	}
	if _, err := ApplyReply(cs, recs, signers, good); err == nil {
		t.Fatal("second reply accepted")
	}
}

func TestExpireRequests(t *testing.T) {
	base := NewMemStorage()
	o := NewOverlay(base)
	for i, exp := range []uint64{100, 200, 300} {
		id := []byte{'r', byte(i)}
		o.Set(ExpiryKey(exp, id), nil)
		o.Set(StatusKey(id), []byte("record"))
	}
	base.Apply(o)
	cs := &State{Pending: []PendingRequest{{ID: []byte{'r', 1}}, {ID: []byte{'r', 2}}}}
	w := NewOverlay(base)
	var dropped []string
	pending, err := ExpireRequests(cs, base, w, func(id []byte) { dropped = append(dropped, string(id)) }, 250)
	if err != nil {
		t.Fatal(err)
	}
	// r0 (expired, not pending) and r1 (expired, pending) go; r2 stays.
	if len(dropped) != 2 || dropped[0] != "r\x00" || dropped[1] != "r\x01" {
		t.Fatalf("dropped %q", dropped)
	}
	if len(pending) != 1 || string(pending[0].ID) != "r\x01" || len(cs.Pending) != 1 || string(cs.Pending[0].ID) != "r\x02" {
		t.Fatalf("expired pending %v, left %v", pending, cs.Pending)
	}
	base.Apply(w)
	for _, k := range [][]byte{StatusKey([]byte{'r', 0}), StatusKey([]byte{'r', 1}), ExpiryKey(100, []byte{'r', 0})} {
		if _, ok, _ := base.Get(k); ok {
			t.Fatalf("%q kept", k)
		}
	}
	if _, ok, _ := base.Get(StatusKey([]byte{'r', 2})); !ok {
		t.Fatal("live request's record removed")
	}
	// An expiry equal to the block time is not past.
	if p, _ := ExpireRequests(cs, base, NewOverlay(base), func([]byte) {}, 300); len(p) != 0 {
		t.Fatal("request expiring at the block time removed")
	}
}
