package subnet

import (
	"bytes"
	"crypto/rand"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

const testVetKDKey = "bls12_381_g2:k"

// vetkdFixture is a 4-node master key (threshold 3) in a State.
type vetkdFixture struct {
	cs     *State
	shares []*thresholdsig.SecretKeyShare
	tsk    *vetkd.TransportSecretKey
	caller ingress.Signer
	now    time.Time
}

func newVetKDFixture(t *testing.T) *vetkdFixture {
	t.Helper()
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	return &vetkdFixture{cs: &State{Height: 9, VetKDPub: map[string][]byte{testVetKDKey: pc.Bytes()}}, shares: shares,
		tsk: tsk, caller: caller, now: time.Unix(1_700_000_000, 0)}
}

func (x *vetkdFixture) envelope(t *testing.T, keyID string, input, tpk []byte) ([]byte, []byte) {
	t.Helper()
	env, err := ingress.NewVetKDEnvelope(x.caller, &ingress.VetKDContent{IngressExpiry: ingress.Expiry(x.now, time.Minute),
		KeyID: keyID, Context: []byte("ctx"), Input: input, TransportPublicKey: tpk})
	if err != nil {
		t.Fatal(err)
	}
	_, id, err := env.DecodeVetKDContent()
	if err != nil {
		t.Fatal(err)
	}
	return env.Marshal(), id[:]
}

// accept accepts a valid request and returns its id.
func (x *vetkdFixture) accept(t *testing.T, recs memRecords, input []byte) []byte {
	t.Helper()
	env, id := x.envelope(t, testVetKDKey, input, x.tsk.PublicKey().Bytes())
	if err := AcceptVetKDRequest(x.cs, NewOverlay(NewMemStorage()), recs, map[string]bool{}, env, x.now, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	return id
}

// votes are the vote extensions of every node with its share for the
// pending request i; liars' shares are for another input.
func (x *vetkdFixture) votes(t *testing.T, i int, liars ...int) []ExtVote {
	t.Helper()
	d, err := NewVetKDDerivation(x.cs, &x.cs.VetKDPending[i])
	if err != nil {
		t.Fatal(err)
	}
	p := x.cs.VetKDPending[i]
	lie := p
	lieEnv, _ := x.envelope(t, testVetKDKey, []byte("lie"), x.tsk.PublicKey().Bytes())
	lie.Envelope = lieEnv
	dl, err := NewVetKDDerivation(x.cs, &lie)
	if err != nil {
		t.Fatal(err)
	}
	var out []ExtVote
	for j, sk := range x.shares {
		dd := d
		if slices.Contains(liars, j) {
			dd = dl
		}
		sh, err := dd.CreateShare(rand.Reader, sk)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ExtVote{Index: j, Ext: &VoteExt{KeyEpoch: KeyEpoch(x.cs), VetKDShares: []SignShare{{RequestID: p.ID, Share: sh}}}})
	}
	return out
}

func TestAcceptVetKDRequest(t *testing.T) {
	x := newVetKDFixture(t)
	recs := memRecords{}
	w := NewOverlay(NewMemStorage())
	seen := map[string]bool{}
	tpk := x.tsk.PublicKey().Bytes()
	good, goodID := x.envelope(t, testVetKDKey, []byte("in"), tpk)
	unknown, unknownID := x.envelope(t, "bls12_381_g2:other", []byte("in"), tpk)
	notPoint, notPointID := x.envelope(t, testVetKDKey, []byte("in"), make([]byte, 48))
	signEnv, _ := envelope(t, "ecdsa:secp256k1:k", x.now, time.Minute)
	forged := bytes.Clone(good)
	forged[len(forged)-1] ^= 1
	for _, c := range []struct {
		name string
		env  []byte
		want error
	}{
		{"valid", good, nil},
		{"replay", good, ErrDuplicate},
		{"unknown key", unknown, ErrUnknownKey},
		{"transport key not a point", notPoint, ErrRejected},
		{"signing request", signEnv, ingress.ErrMalformed},
		{"bad caller signature", forged, errAnyVetKD},
	} {
		err := AcceptVetKDRequest(x.cs, w, recs, seen, c.env, x.now, 5*time.Minute)
		switch {
		case c.want == nil && err != nil, c.want != nil && err == nil:
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		case c.want != nil && c.want != errAnyVetKD && !errors.Is(err, c.want):
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if len(x.cs.VetKDPending) != 1 || !bytes.Equal(x.cs.VetKDPending[0].ID, goodID) || x.cs.VetKDRequests != 1 {
		t.Fatalf("pending %v", x.cs.VetKDPending)
	}
	for _, id := range [][]byte{unknownID, notPointID} {
		if r := recs.Record(id); r == nil || r.Status != StatusRejected {
			t.Fatalf("refused request recorded as %+v", r)
		}
	}
}

var errAnyVetKD = errors.New("any error")

func TestCombineVetKD(t *testing.T) {
	x := newVetKDFixture(t)
	recs := memRecords{}
	id := x.accept(t, recs, []byte("alice"))
	// Node 2 lies: its share is for another input. It is named, and the
	// other three shares combine.
	votes := x.votes(t, 0, 2)
	bad := map[int]bool{}
	replies := CombineVetKD(x.cs, NewVetKDDerivation, votes, bad)
	if len(replies) != 1 || !bytes.Equal(replies[0].RequestID, id) {
		t.Fatalf("replies %v", replies)
	}
	if !bad[2] || len(bad) != 1 {
		t.Fatalf("bad %v, want node 2", bad)
	}
	for i, v := range votes {
		if got := BadVetKDShare(x.cs, NewVetKDDerivation, v.Index, v.Ext); got != (i == 2) {
			t.Fatalf("BadVetKDShare(node %d) = %v", i, got)
		}
	}
	// A share of another key epoch proves nothing.
	other := *votes[2].Ext
	other.KeyEpoch++
	if BadVetKDShare(x.cs, NewVetKDDerivation, 2, &other) {
		t.Fatal("share of another epoch convicts")
	}
	// Two liars leave fewer than t valid shares: no reply.
	if r := CombineVetKD(x.cs, NewVetKDDerivation, x.votes(t, 0, 1, 3), map[int]bool{}); len(r) != 0 {
		t.Fatal("combined with two bad shares of four")
	}

	// A tampered key is refused; the combined one is the caller's key.
	tampered := bytes.Clone(replies[0].Signature)
	copy(tampered[144:], tampered[:48])
	if err := ApplyVetKDReply(x.cs, recs, NewVetKDDerivation, &ReplyTx{RequestID: id, Signature: tampered}); err == nil {
		t.Fatal("tampered encrypted key accepted")
	}
	if err := ApplyVetKDReply(x.cs, recs, NewVetKDDerivation, replies[0]); err != nil {
		t.Fatal(err)
	}
	r := recs.Record(id)
	if r.Status != StatusReplied || len(x.cs.VetKDPending) != 0 || x.cs.VetKDReplied != 1 {
		t.Fatalf("record %+v, pending %d", r, len(x.cs.VetKDPending))
	}
	ek, err := vetkd.ParseEncryptedKey(r.Signature)
	if err != nil {
		t.Fatal(err)
	}
	dpk, err := vetkd.ParseDerivedPublicKey(r.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.tsk.Decrypt(ek, dpk, []byte("alice")); err != nil {
		t.Fatal(err)
	}
	if err := ApplyVetKDReply(x.cs, recs, NewVetKDDerivation, replies[0]); err == nil {
		t.Fatal("second reply accepted")
	}
}

// TestExpireVetKDRequests: an expired derivation request leaves the
// pending list with its record.
func TestExpireVetKDRequests(t *testing.T) {
	x := newVetKDFixture(t)
	st := NewMemStorage()
	recs := memRecords{}
	env, id := x.envelope(t, testVetKDKey, []byte("in"), x.tsk.PublicKey().Bytes())
	w := NewOverlay(st)
	if err := AcceptVetKDRequest(x.cs, w, recs, map[string]bool{}, env, x.now, 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	st.Apply(w)
	var dropped [][]byte
	if _, err := ExpireRequests(x.cs, st, NewOverlay(st), func(id []byte) { dropped = append(dropped, id) },
		x.now.Add(2*time.Minute).UnixNano()); err != nil {
		t.Fatal(err)
	}
	if len(x.cs.VetKDPending) != 0 || len(dropped) != 1 || !bytes.Equal(dropped[0], id) {
		t.Fatalf("pending %d, dropped %x", len(x.cs.VetKDPending), dropped)
	}
}

// TestDKGEpochVetKDKeys: an epoch with vetKD keys has a session per key
// (threshold n−f, its own session id), stores their messages under their
// position, replays them, and a completed epoch writes the keys'
// coefficients into the State.
func TestDKGEpochVetKDKeys(t *testing.T) {
	d := newDKGNet(t, 4)
	keys := []string{"bls12_381_g2:a", "bls12_381_g2:b"}
	ep, err := NewDKGEpochKeys(d.m, 0, nil, keys)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ep.Purposes, []string{"cert", "beacon", keys[0], keys[1]}) {
		t.Fatalf("purposes %v", ep.Purposes)
	}
	for _, k := range keys {
		if c := ep.Configs[k]; c.Threshold != 3 || string(c.SessionID) != "test-chain/vetkd-"+k+"/0" {
			t.Fatalf("%s: threshold %d, session %q", k, c.Threshold, c.SessionID)
		}
	}
	if k := ep.MsgKey(keys[1], 1, 1); k[len(PrefixDKGMsg)+8] != 3 || !bytes.Equal(ep.MsgKey("beacon", 1, 1), DKGMsgKey(0, "beacon", 1, 1)) {
		t.Fatal("message key purpose bytes")
	}
	if _, err := NewDKGEpochKeys(d.m, 0, nil, []string{"bls12_381_g2:a", "bls12_381_g2:a"}); err == nil {
		t.Fatal("a key twice in one epoch")
	}
	st := NewMemStorage()
	w := NewOverlay(st)
	seq := uint32(0)
	for i := range 4 {
		for _, p := range ep.Purposes {
			tx := d.dealing(t, ep, p, i)
			if err := ep.Add(p, 1, tx); err != nil {
				t.Fatal(err)
			}
			seq++
			enc, _ := Marshal(tx)
			w.Set(ep.MsgKey(p, 1, seq), enc)
		}
	}
	st.Apply(w)
	again, _ := NewDKGEpochKeys(d.m, 0, nil, keys)
	if err := ReplayEpoch(st, again, func(p string, h uint64, tx *ProtocolTx) {
		if err := again.Add(p, h, tx); err != nil {
			t.Fatal(err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	var a, b State
	if done, _, err := CompleteDKG(&a, ep, 4, map[string]bool{}); !done || err != nil {
		t.Fatal(done, err)
	}
	if done, _, err := CompleteDKG(&b, again, 4, map[string]bool{}); !done || err != nil {
		t.Fatal(done, err)
	}
	for _, k := range keys {
		if a.VetKDPub[k] == nil || !bytes.Equal(a.VetKDPub[k], b.VetKDPub[k]) {
			t.Fatalf("%s: replayed epoch made another key", k)
		}
		pc, err := thresholdsig.ParsePublicCoefficients(a.VetKDPub[k])
		if err != nil || pc.Threshold() != 3 {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if bytes.Equal(a.VetKDPub[keys[0]], a.VetKDPub[keys[1]]) || bytes.Equal(a.VetKDPub[keys[0]], a.CertPub) {
		t.Fatal("keys of one epoch are not independent")
	}
}

// TestVetKDExtShape: encrypted key shares must be 192 bytes, and an
// extension without them encodes as before.
func TestVetKDExtShape(t *testing.T) {
	e := &VoteExt{CertHeight: 1, VetKDShares: []SignShare{{RequestID: []byte("r"), Share: make([]byte, 191)}}}
	if CheckExtShape(e, len(EncodeExt(e)), 5) == nil {
		t.Fatal("short vetKD share accepted")
	}
	e.VetKDShares[0].Share = make([]byte, vetkd.EncryptedKeySize)
	b := EncodeExt(e)
	if CheckExtShape(e, len(b), 5) != nil {
		t.Fatal("vetKD share refused")
	}
	if got, err := DecodeExt(b); err != nil || len(got.VetKDShares) != 1 {
		t.Fatalf("decode: %v", err)
	}
	plain := &VoteExt{CertHeight: 1}
	if bytes.Contains(EncodeExt(plain), []byte{0x14}) {
		t.Fatal("an extension without vetKD shares carries their key")
	}
}
