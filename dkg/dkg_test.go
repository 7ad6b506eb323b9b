package dkg_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/internal/group/ed25519"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
)

func testRNG(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

func TestThresholds(t *testing.T) {
	for _, tc := range []struct{ n, f, high, low int }{
		{1, 0, 1, 1}, {4, 1, 3, 2}, {7, 2, 5, 3}, {13, 4, 9, 5}, {34, 11, 23, 12}, {16, 5, 11, 6},
	} {
		if dkg.Faults(tc.n) != tc.f || dkg.HighThreshold(tc.n) != tc.high || dkg.LowThreshold(tc.n) != tc.low {
			t.Errorf("n=%d: f=%d high=%d low=%d", tc.n, dkg.Faults(tc.n), dkg.HighThreshold(tc.n), dkg.LowThreshold(tc.n))
		}
	}
}

func TestConfigValidate(t *testing.T) {
	rng := testRNG(1)
	c := newCommittee(t, 4, rng)
	g := secp256k1.Group()
	good := func() *dkg.Config { return sessionConfig(g, "cfg", c, c, 3, nil) }
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	other, _ := poly.Random(ed25519.Group(), 1, nil, rng)
	bad := map[string]func(*dkg.Config){
		"no group":        func(c *dkg.Config) { c.Group = nil },
		"empty session":   func(c *dkg.Config) { c.SessionID = nil },
		"long session":    func(c *dkg.Config) { c.SessionID = make([]byte, 257) },
		"threshold 0":     func(c *dkg.Config) { c.Threshold = 0 },
		"threshold > n-f": func(c *dkg.Config) { c.Threshold = 4 },
		"zero deadline":   func(c *dkg.Config) { c.Deadline = 0 },
		"no dealers":      func(c *dkg.Config) { c.Dealers = nil },
		"zero dealer key": func(c *dkg.Config) { c.Dealers = []dkg.NodePublicKey{{}} },
		"receiver lacks key": func(c *dkg.Config) {
			c.Receivers = append([]dkg.ReceiverInfo{}, c.Receivers...)
			c.Receivers[2].EncryptionKey = nil
		},
		"previous other group": func(c *dkg.Config) { c.Previous = other.Commit() },
		"duplicate dealer key": func(c *dkg.Config) {
			c.Dealers = append([]dkg.NodePublicKey{}, c.Dealers...)
			c.Dealers[3] = c.Dealers[0]
		},
		"duplicate receiver signing key": func(c *dkg.Config) {
			c.Receivers = append([]dkg.ReceiverInfo{}, c.Receivers...)
			c.Receivers[1].SigningKey = c.Receivers[2].SigningKey
		},
		"duplicate receiver encryption key": func(c *dkg.Config) {
			c.Receivers = append([]dkg.ReceiverInfo{}, c.Receivers...)
			c.Receivers[1].EncryptionKey = c.Receivers[2].EncryptionKey
		},
		"old threshold > n-f": func(c *dkg.Config) {
			p, _ := poly.Random(g, 3, nil, rng)
			c.Previous = p.Commit()
		},
	}
	for name, mut := range bad {
		cfg := good()
		mut(cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := dkg.NewSession(cfg); err == nil {
			t.Errorf("%s: session accepted", name)
		}
	}
	// Required dealings.
	cfg := good()
	if cfg.RequiredDealings() != 3 {
		t.Errorf("required %d", cfg.RequiredDealings())
	}
	cfg.Threshold = 1
	if cfg.RequiredDealings() != 2 {
		t.Errorf("required %d for t=1 (need f+1)", cfg.RequiredDealings())
	}
}

func TestDecoderStrict(t *testing.T) {
	g := secp256k1.Group()
	var e dkg.Encoder
	e.Uint32(7)
	e.Bytes([]byte("abc"))
	e.Point(g.Generator())
	b := e.Output()
	read := func(b []byte) error {
		d := dkg.NewDecoder(b)
		d.Uint32()
		d.Bytes(10)
		d.Point(g)
		return d.Finish()
	}
	if err := read(b); err != nil {
		t.Fatal(err)
	}
	if err := read(append(bytes.Clone(b), 0)); !errors.Is(err, dkg.ErrTrailingBytes) {
		t.Errorf("trailing: %v", err)
	}
	for n := 0; n < len(b); n++ {
		if err := read(b[:n]); err == nil {
			t.Errorf("truncated to %d accepted", n)
		}
	}
	d := dkg.NewDecoder(b)
	d.Uint32()
	d.Bytes(2) // field longer than allowed
	if d.Finish() == nil {
		t.Error("oversized field accepted")
	}
	// Identity and off-curve points are refused.
	var e2 dkg.Encoder
	e2.Point(g.NewPoint())
	if d := dkg.NewDecoder(e2.Output()); d.Point(g) != nil || d.Finish() == nil {
		t.Error("identity point accepted")
	}
	// A huge list count is refused before allocation.
	var e3 dkg.Encoder
	e3.Uint32(1 << 30)
	if d := dkg.NewDecoder(e3.Output()); d.Points(g, 1<<20) != nil || d.Finish() == nil {
		t.Error("huge list accepted")
	}
}

func TestNodePublicKeyStrict(t *testing.T) {
	k, _ := dkg.GenerateNodeSigningKey(testRNG(2))
	pub := k.PublicKey()
	if _, err := dkg.ParseNodePublicKey(pub.Bytes()); err != nil {
		t.Fatal(err)
	}
	identity := make([]byte, 32)
	identity[0] = 1
	// A point of order 8 and a non-canonical encoding (y = p).
	order8, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	nonCanon, _ := hex.DecodeString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	for name, b := range map[string][]byte{
		"identity": identity, "order 8": order8, "non-canonical": nonCanon,
		"short": pub.Bytes()[:31], "long": append(pub.Bytes(), 0),
	} {
		if _, err := dkg.ParseNodePublicKey(b); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestEnvelope(t *testing.T) {
	rng := testRNG(3)
	k, _ := dkg.GenerateNodeSigningKey(rng)
	k2, _ := dkg.GenerateNodeSigningKey(rng)
	env, err := dkg.SignEnvelope(k, "test-kind", []byte("sid"), 5, []byte("body"))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(k.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := env.Verify(k2.PublicKey()); !errors.Is(err, dkg.ErrBadSignature) {
		t.Errorf("wrong key: %v", err)
	}
	b, _ := env.MarshalBinary()
	var got dkg.Envelope
	if err := got.UnmarshalBinary(b); err != nil || got.Verify(k.PublicKey()) != nil || got.Hash() != env.Hash() {
		t.Fatalf("round trip: %v", err)
	}
	if err := got.UnmarshalBinary(append(bytes.Clone(b), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	if err := got.UnmarshalBinary(b[:len(b)-1]); err == nil {
		t.Error("truncated accepted")
	}
	for name, mut := range map[string]func(e *dkg.Envelope){
		"kind":    func(e *dkg.Envelope) { e.Kind = "test-kinD" },
		"session": func(e *dkg.Envelope) { e.SessionID = []byte("sie") },
		"signer":  func(e *dkg.Envelope) { e.Signer = 6 },
		"body":    func(e *dkg.Envelope) { e.Body = []byte("bodY") },
		"sig":     func(e *dkg.Envelope) { e.Signature = bytes.Clone(e.Signature); e.Signature[0] ^= 1 },
		"nosig":   func(e *dkg.Envelope) { e.Signature = nil },
	} {
		c := *env
		mut(&c)
		if c.Verify(k.PublicKey()) == nil {
			t.Errorf("tampered %s accepted", name)
		}
	}
	if _, err := dkg.SignEnvelope(k, "", []byte("sid"), 0, nil); err == nil {
		t.Error("empty kind accepted")
	}
	if _, err := dkg.SignEnvelope(k, "k", nil, 0, nil); err == nil {
		t.Error("empty session accepted")
	}
}

func TestShareEncryption(t *testing.T) {
	rng := testRNG(4)
	g := bls12381.G2()
	sk, _ := dkg.GenerateEncryptionKey(rng)
	sk2, _ := dkg.GenerateEncryptionKey(rng)
	pk, err := dkg.ParseEncryptionPublicKey(sk.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := g.RandomScalar(rng)
	b, _ := g.RandomScalar(rng)
	ctx := &dkg.ShareContext{SessionID: []byte("s"), Dealer: 1, Recipient: 2, Extra: []byte("x")}
	for _, payload := range []dkg.SharePayload{{Scalars: []group.Scalar{a}}, {Scalars: []group.Scalar{a, b}}} {
		n := len(payload.Scalars)
		ct, err := dkg.EncryptShare(pk, ctx, payload)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != dkg.CiphertextLen(g, n) {
			t.Fatalf("ciphertext length %d", len(ct))
		}
		got, err := dkg.DecryptShare(sk, ctx, g, n, ct)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got.Scalars {
			if !got.Scalars[i].Equal(payload.Scalars[i]) {
				t.Fatal("wrong plaintext")
			}
		}
		wrongCtx := []*dkg.ShareContext{
			{SessionID: []byte("t"), Dealer: 1, Recipient: 2, Extra: []byte("x")},
			{SessionID: []byte("s"), Dealer: 0, Recipient: 2, Extra: []byte("x")},
			{SessionID: []byte("s"), Dealer: 1, Recipient: 3, Extra: []byte("x")},
			{SessionID: []byte("s"), Dealer: 1, Recipient: 2, Extra: []byte("y")},
		}
		for i, wc := range wrongCtx {
			if _, err := dkg.DecryptShare(sk, wc, g, n, ct); err == nil {
				t.Errorf("context %d: decrypted in the wrong context", i)
			}
		}
		if _, err := dkg.DecryptShare(sk2, ctx, g, n, ct); err == nil {
			t.Error("decrypted with the wrong key")
		}
		bad := bytes.Clone(ct)
		bad[len(bad)-1] ^= 1
		if _, err := dkg.DecryptShare(sk, ctx, g, n, bad); err == nil {
			t.Error("tampered ciphertext accepted")
		}
		if _, err := dkg.DecryptShare(sk, ctx, g, n, ct[:len(ct)-1]); err == nil {
			t.Error("truncated ciphertext accepted")
		}
		if _, err := dkg.DecryptShare(sk, ctx, g, 3-n, ct); err == nil {
			t.Error("wrong scalar count accepted")
		}
	}
	// Payloads are strict: out-of-range scalar, wrong count, trailing bytes.
	over := make([]byte, 1+32)
	over[0] = 1
	for i := 1; i < len(over); i++ {
		over[i] = 0xff
	}
	if _, err := dkg.DecodeSharePayload(g, 1, over); err == nil {
		t.Error("scalar ≥ order accepted")
	}
	good, _ := dkg.SharePayload{Scalars: []group.Scalar{a}}.MarshalBinary()
	if _, err := dkg.DecodeSharePayload(g, 1, append(good, 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	if _, err := dkg.DecodeSharePayload(g, 2, good); err == nil {
		t.Error("wrong count accepted")
	}
	if _, err := (dkg.SharePayload{}).MarshalBinary(); err == nil {
		t.Error("empty payload encoded")
	}
	// Keys: strict public key, seed round trip.
	if _, err := dkg.ParseEncryptionPublicKey(sk.PublicKey().Bytes()[1:]); err == nil {
		t.Error("short public key accepted")
	}
	seed, _ := sk.MarshalBinary()
	var sk3 dkg.EncryptionKey
	if err := sk3.UnmarshalBinary(seed); err != nil || !bytes.Equal(sk3.PublicKey().Bytes(), sk.PublicKey().Bytes()) {
		t.Fatal("encryption key round trip")
	}
	if err := sk3.UnmarshalBinary(seed[1:]); err == nil {
		t.Error("short seed accepted")
	}
	sk3.Zeroize()
	if _, err := dkg.DecryptShare(&sk3, ctx, g, 1, make([]byte, dkg.CiphertextLen(g, 1))); err == nil {
		t.Error("zeroised key decrypted")
	}
}

// fixture is one fresh session with all dealers honest.
type fixture struct {
	cfg     *dkg.Config
	c       *committee
	dealers []*dkg.Dealer
	envs    []*dkg.Envelope
}

func newFixture(t *testing.T, g group.Group, n, th int) *fixture {
	rng := testRNG(5)
	c := newCommittee(t, n, rng)
	f := &fixture{cfg: sessionConfig(g, "fixture", c, c, th, nil), c: c}
	for j := range n {
		d, err := dkg.NewDealer(f.cfg, j, c.signs[j])
		if err != nil {
			t.Fatal(err)
		}
		env, err := d.Deal(nil, rng)
		if err != nil {
			t.Fatal(err)
		}
		f.dealers = append(f.dealers, d)
		f.envs = append(f.envs, env)
	}
	return f
}

// resign re-signs a tampered body with the dealer's real key, so that the
// fault is attributable.
func (f *fixture) resign(t *testing.T, j int, body []byte) *dkg.Envelope {
	env, err := dkg.SignEnvelope(f.c.signs[j], dkg.KindDealing, f.cfg.SessionID, uint32(j), body)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestVerifyDealingNegative(t *testing.T) {
	g := secp256k1.Group()
	f := newFixture(t, g, 4, 3)
	env := f.envs[1]
	if _, err := dkg.VerifyDealing(f.cfg, env); err != nil {
		t.Fatal(err)
	}
	// Unattributable: the envelope proves nothing about the dealer.
	other := *f.cfg
	other.SessionID = []byte("other")
	unattributable := map[string]func() (*dkg.Config, *dkg.Envelope){
		"other session": func() (*dkg.Config, *dkg.Envelope) { return &other, env },
		"bad signature": func() (*dkg.Config, *dkg.Envelope) {
			e := *env
			e.Body = append(bytes.Clone(e.Body), 0)
			return f.cfg, &e
		},
		"unknown dealer": func() (*dkg.Config, *dkg.Envelope) {
			e, _ := dkg.SignEnvelope(f.c.signs[1], dkg.KindDealing, f.cfg.SessionID, 9, env.Body)
			return f.cfg, e
		},
		"signed by another node": func() (*dkg.Config, *dkg.Envelope) {
			e, _ := dkg.SignEnvelope(f.c.signs[2], dkg.KindDealing, f.cfg.SessionID, 1, env.Body)
			return f.cfg, e
		},
		"wrong kind": func() (*dkg.Config, *dkg.Envelope) {
			e, _ := dkg.SignEnvelope(f.c.signs[1], dkg.KindOpening, f.cfg.SessionID, 1, env.Body)
			return f.cfg, e
		},
	}
	for name, mk := range unattributable {
		cfg, e := mk()
		_, err := dkg.VerifyDealing(cfg, e)
		if err == nil || errors.Is(err, dkg.ErrInvalidDealing) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Attributable: the dealer signed something invalid.
	body := env.Body
	pl := g.PointLen()
	nameLen := 4 + len(g.Name())
	commitStart := nameLen + 1 + 4
	copyDealer := f.envs[2].Body // dealer 2's valid body, replayed by dealer 1
	identity := bytes.Clone(body)
	copy(identity[commitStart+pl:commitStart+2*pl], g.NewPoint().Bytes())
	wrongGroup := bytes.Clone(body)
	wrongGroup[5] ^= 1
	badCount := bytes.Clone(body)
	badCount[commitStart+3] = 2 // commitment of 2 points, threshold 3
	mode := bytes.Clone(body)
	mode[nameLen] = 1
	badPoK := bytes.Clone(body)
	badPoK[len(badPoK)-1] ^= 1
	bigZ := bytes.Clone(body)
	copy(bigZ[len(bigZ)-32:], bytes.Repeat([]byte{0xff}, 32))
	corrupt := bytes.Clone(body)
	corrupt[commitStart+4+pl+5] ^= 0x40
	attributable := map[string][]byte{
		"trailing byte":          append(bytes.Clone(body), 0),
		"truncated":              body[:len(body)-1],
		"identity in commitment": identity,
		"wrong group":            wrongGroup,
		"short commitment":       badCount,
		"resharing mode":         mode,
		"bad proof":              badPoK,
		"other dealer's dealing": copyDealer,
		"empty":                  nil,
	}
	for name, b := range attributable {
		_, err := dkg.VerifyDealing(f.cfg, f.resign(t, 1, b))
		if !errors.Is(err, dkg.ErrInvalidDealing) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A dealing replayed into another session (re-signed by its own dealer)
	// fails: the proof is bound to the session id.
	replayed, _ := dkg.SignEnvelope(f.c.signs[1], dkg.KindDealing, other.SessionID, 1, body)
	if _, err := dkg.VerifyDealing(&other, replayed); !errors.Is(err, dkg.ErrInvalidDealing) {
		t.Errorf("replayed into another session: %v", err)
	}
}

func TestSessionRules(t *testing.T) {
	g := ed25519.Group()
	f := newFixture(t, g, 4, 3)
	s, err := dkg.NewSession(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.envs[:3] {
		if err := s.AddDealing(10, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddDealing(9, f.envs[3]); err == nil {
		t.Error("height went back")
	}
	if _, err := s.Transcript(11); !errors.Is(err, dkg.ErrNotEnoughDealings) {
		t.Errorf("transcript inside the complaint window: %v", err)
	}
	r0, _ := dkg.NewReceiver(f.cfg, 0, f.c.signs[0], f.c.encs[0])
	cs, err := r0.VerifyDealings(s)
	if err != nil || len(cs) != 0 {
		t.Fatalf("honest dealings: %d complaints, %v", len(cs), err)
	}
	_, h0, _ := s.Dealing(0)
	// A complaint signed by someone else than the complainer is refused.
	forged, _ := dkg.NewComplaint(f.c.signs[1], f.cfg.SessionID, 2, 0, h0)
	if err := s.AddComplaint(11, forged); err == nil {
		t.Error("forged complaint accepted")
	}
	// A complaint about an unknown dealing is refused.
	unk, _ := dkg.NewComplaint(f.c.signs[2], f.cfg.SessionID, 2, 0, [32]byte{1})
	if err := s.AddComplaint(11, unk); err == nil {
		t.Error("complaint about an unknown dealing accepted")
	}
	// A (false) complaint by 2 against 0, answered.
	c, _ := dkg.NewComplaint(f.c.signs[2], f.cfg.SessionID, 2, 0, h0)
	if err := s.AddComplaint(11, c); err != nil {
		t.Fatal(err)
	}
	// A forged opening (signed by another node) must not convict dealer 0.
	junk := dkg.SharePayload{Scalars: []group.Scalar{g.NewScalar().SetUint64(5)}}
	fo, _ := dkg.NewOpening(f.c.signs[3], f.cfg.SessionID, 0, 2, h0, junk)
	if err := s.AddOpening(11, fo); err == nil {
		t.Error("forged opening accepted")
	}
	// An unsolicited opening is refused.
	uo, _ := dkg.NewOpening(f.c.signs[1], f.cfg.SessionID, 1, 2, [32]byte{}, junk)
	if err := s.AddOpening(11, uo); err == nil {
		t.Error("unsolicited opening accepted")
	}
	if _, ok := s.Convicted(0); ok {
		t.Fatal("dealer convicted by forged messages")
	}
	// Dealer 0 cannot open a complaint about another dealing.
	_, h1, _ := s.Dealing(1)
	c1, _ := dkg.NewComplaint(f.c.signs[2], f.cfg.SessionID, 2, 1, h1)
	if _, err := f.dealers[0].Open(c1); err == nil {
		t.Error("opened a complaint against another dealer")
	}
	o, err := f.dealers[0].Open(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddOpening(12, o); err != nil {
		t.Fatal(err)
	}
	if len(s.AnsweredComplaints()) != 1 {
		t.Fatal("answered complaint not reported")
	}
	// Evidence made of an honest dealer's messages convicts nobody.
	for _, fake := range []dkg.Conviction{
		{Dealer: 0, Reason: dkg.ReasonBadOpening, Evidence: []*dkg.Envelope{f.envs[0], c, o}},
		{Dealer: 0, Reason: dkg.ReasonInvalidDealing, Evidence: []*dkg.Envelope{f.envs[0]}},
		{Dealer: 0, Reason: dkg.ReasonEquivocation, Evidence: []*dkg.Envelope{f.envs[0], f.envs[0]}},
		{Dealer: 0, Reason: dkg.ReasonEquivocation, Evidence: []*dkg.Envelope{f.envs[0], f.envs[1]}},
		{Dealer: 0, Reason: dkg.ReasonNoOpening, Evidence: []*dkg.Envelope{f.envs[0], forged}},
		{Dealer: 0, Reason: dkg.Reason(99), Evidence: []*dkg.Envelope{f.envs[0]}},
	} {
		if err := dkg.CheckConviction(f.cfg, fake); err == nil {
			t.Errorf("fabricated %v evidence accepted", fake.Reason)
		}
	}
	// A late complaint (window of dealing 1 closed at 11) is refused.
	late, _ := dkg.NewComplaint(f.c.signs[3], f.cfg.SessionID, 3, 1, h1)
	if err := s.AddComplaint(12, late); err == nil {
		t.Error("late complaint accepted")
	}
	tr, err := s.Transcript(12)
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Dealers(); len(got) != 3 {
		t.Fatalf("dealers %v", got)
	}
	// The transcript is fixed once made.
	_ = s.AddDealing(13, f.envs[3])
	tr2, _ := s.Transcript(20)
	if !tr.Equal(tr2) {
		t.Error("transcript changed")
	}
	// Receiver 2 gets its share of dealing 0 from the opening.
	r2, _ := dkg.NewReceiver(f.cfg, 2, f.c.signs[2], f.c.encs[2])
	if _, err := r2.SecretShare(s, tr); err == nil {
		t.Error("share derived without having verified the dealings")
	}
	if _, err := r2.VerifyDealings(s); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.SecretShare(s, tr); err != nil {
		t.Fatal(err)
	}
	// A receiver with the wrong keys is refused.
	if _, err := dkg.NewReceiver(f.cfg, 1, f.c.signs[2], f.c.encs[2]); err == nil {
		t.Error("receiver with another node's keys accepted")
	}
	if _, err := dkg.NewDealer(f.cfg, 1, f.c.signs[2]); err == nil {
		t.Error("dealer with another node's key accepted")
	}
}

func TestLateOpeningConvicts(t *testing.T) {
	g := ed25519.Group()
	f := newFixture(t, g, 4, 2)
	s, _ := dkg.NewSession(f.cfg)
	for _, e := range f.envs {
		_ = s.AddDealing(1, e)
	}
	_, h, _ := s.Dealing(3)
	c, _ := dkg.NewComplaint(f.c.signs[0], f.cfg.SessionID, 0, 3, h)
	if err := s.AddComplaint(2, c); err != nil {
		t.Fatal(err)
	}
	o, _ := f.dealers[3].Open(c)
	_ = s.AddOpening(4, o) // too late: ignored
	if len(s.AnsweredComplaints()) != 0 {
		t.Error("late opening answered the complaint")
	}
	if r, ok := s.Convicted(3); !ok || r != dkg.ReasonNoOpening {
		t.Fatalf("conviction %v %v", r, ok)
	}
}

func TestTranscriptEncoding(t *testing.T) {
	g := bls12381.G2()
	f := newFixture(t, g, 4, 2)
	s, _ := dkg.NewSession(f.cfg)
	for _, e := range f.envs {
		_ = s.AddDealing(1, e)
	}
	tr, err := s.Transcript(3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := tr.MarshalBinary()
	got, err := dkg.UnmarshalTranscript(g, b)
	if err != nil || !got.Equal(tr) || !got.PublicKey().Equal(tr.PublicKey()) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := dkg.UnmarshalTranscript(g, append(bytes.Clone(b), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	if _, err := dkg.UnmarshalTranscript(bls12381.G1(), b); err == nil {
		t.Error("other group accepted")
	}
	for n := 0; n < len(b); n += 7 {
		if _, err := dkg.UnmarshalTranscript(g, b[:n]); err == nil {
			t.Errorf("truncated to %d accepted", n)
		}
	}
	// Dealers must be strictly ascending: make the second a duplicate.
	dup := bytes.Clone(b)
	off := 4 + len("chainkey/dkg/transcript-v1") + 4 + len(g.Name()) + 4 + len("fixture") + 1 + 4 + 4
	if int(binary.BigEndian.Uint32(b[off:])) != tr.Dealers()[0] {
		t.Fatal("test computes the wrong offset")
	}
	copy(dup[off+4:off+8], dup[off:off+4])
	if _, err := dkg.UnmarshalTranscript(g, dup); err == nil {
		t.Error("duplicate dealer accepted")
	}
	if _, err := tr.PublicKeyShare(4); err == nil {
		t.Error("public key share of a non-member")
	}
}

func TestBatchVerifyShares(t *testing.T) {
	g := secp256k1.Group()
	rng := testRNG(6)
	var checks []dkg.ShareCheck
	for j := range 5 {
		p, _ := poly.Random(g, 3, nil, rng)
		checks = append(checks, dkg.ShareCheck{Commitment: p.Commit(), Recipient: j, Share: p.EvalAt(j)})
	}
	if err := dkg.BatchVerifyShares(g, checks); err != nil {
		t.Fatal(err)
	}
	checks[3].Share.Add(checks[3].Share, g.NewScalar().SetUint64(1))
	if err := dkg.BatchVerifyShares(g, checks); !errors.Is(err, dkg.ErrShareMismatch) {
		t.Fatalf("bad share passed: %v", err)
	}
	checks[3].Recipient = -1
	if err := dkg.BatchVerifyShares(g, checks); err == nil {
		t.Fatal("negative index accepted")
	}
}

func TestSecretShareEncoding(t *testing.T) {
	g := bls12381.G2()
	v, _ := g.RandomScalar(testRNG(7))
	s, err := dkg.NewSecretShare(g, 3, v)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.MarshalBinary()
	got, err := dkg.UnmarshalSecretShare(g, b)
	if err != nil || got.Index() != 3 || !got.Value().Equal(v) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := dkg.UnmarshalSecretShare(g, append(bytes.Clone(b), 0)); err == nil {
		t.Error("trailing byte accepted")
	}
	if _, err := dkg.UnmarshalSecretShare(bls12381.G1(), b); err == nil {
		t.Error("other group accepted")
	}
	over := bytes.Clone(b)
	copy(over[len(over)-32:], bytes.Repeat([]byte{0xff}, 32))
	if _, err := dkg.UnmarshalSecretShare(g, over); err == nil {
		t.Error("scalar ≥ order accepted")
	}
	zero := bytes.Clone(b)
	copy(zero[len(zero)-32:], make([]byte, 32))
	if _, err := dkg.UnmarshalSecretShare(g, zero); err == nil {
		t.Error("zero share accepted")
	}
	if _, err := dkg.NewSecretShare(g, -1, v); err == nil {
		t.Error("negative index accepted")
	}
	s.Zeroize()
	if !s.Value().IsZero() {
		t.Error("not zeroised")
	}
}

// TestSecretsNeverPrinted formats every secret-holding type with every
// common verb and checks that no secret byte string shows up.
func TestSecretsNeverPrinted(t *testing.T) {
	g := secp256k1.Group()
	rng := testRNG(8)
	f := newFixture(t, g, 4, 2)
	v, _ := g.RandomScalar(rng)
	share, _ := dkg.NewSecretShare(g, 1, v)
	seed, _ := f.c.signs[0].MarshalBinary()
	encSeed, _ := f.c.encs[0].MarshalBinary()
	payload := dkg.SharePayload{Scalars: []group.Scalar{v}}
	r, _ := dkg.NewReceiver(f.cfg, 0, f.c.signs[0], f.c.encs[0])
	secrets := [][]byte{v.Bytes(), seed, encSeed, f.dealers[0].Poly().Coefficient(0).Bytes()}
	values := []any{share, f.c.signs[0], f.c.encs[0], payload, f.dealers[0], r, *share, *f.c.signs[0], *f.c.encs[0], *f.dealers[0], *r, &payload}
	for _, val := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			out := fmt.Sprintf(verb, val)
			if !strings.Contains(out, "REDACTED") {
				t.Errorf("%T with %s: %q not redacted", val, verb, out)
			}
			for _, sec := range secrets {
				for _, enc := range []string{hex.EncodeToString(sec), strings.ToUpper(hex.EncodeToString(sec)), string(sec), fmt.Sprint(sec)} {
					if strings.Contains(out, enc) {
						t.Errorf("%T with %s leaks a secret", val, verb)
					}
				}
			}
		}
	}
}

// TestEvalCommitment compares the Horner evaluation with poly's.
func TestEvalCommitment(t *testing.T) {
	rng := testRNG(12)
	for _, g := range []group.Group{ed25519.Group(), secp256k1.Group(), bls12381.G1(), bls12381.G2()} {
		for _, deg := range []int{0, 1, 4} {
			p, _ := poly.Random(g, deg, nil, rng)
			c := p.Commit()
			for _, i := range []int{0, 1, 2, 3, 6, 7, 14, 15, 99, 1000, poly.MaxIndex - 1} {
				got, err := dkg.EvalCommitment(c, i)
				if err != nil || !got.Equal(c.EvalAt(i)) {
					t.Fatalf("%s degree %d index %d: wrong evaluation", g.Name(), deg, i)
				}
			}
		}
		p, _ := poly.Random(g, 2, nil, rng)
		for _, i := range []int{-1, poly.MaxIndex} {
			if _, err := dkg.EvalCommitment(p.Commit(), i); err == nil {
				t.Errorf("%s: index %d accepted", g.Name(), i)
			}
		}
	}
}

func TestDealMisuse(t *testing.T) {
	g := ed25519.Group()
	f := newFixture(t, g, 4, 2)
	rng := testRNG(13)
	if _, err := f.dealers[0].Deal(nil, rng); err == nil {
		t.Error("dealt twice")
	}
	d, _ := dkg.NewDealer(f.cfg, 0, f.c.signs[0])
	if _, err := d.Deal(g.NewScalar().SetUint64(1), rng); err == nil {
		t.Error("fresh dealing with a secret")
	}
	if _, err := d.Open(f.envs[0]); err == nil {
		t.Error("opened before dealing")
	}
	if _, err := dkg.NewDealer(f.cfg, 4, f.c.signs[0]); err == nil {
		t.Error("dealer index out of range")
	}
	// Resharing needs the dealer's own, correct old share.
	s, _ := dkg.NewSession(f.cfg)
	for _, e := range f.envs {
		_ = s.AddDealing(1, e)
	}
	tr, err := s.Transcript(3)
	if err != nil {
		t.Fatal(err)
	}
	r1, _ := dkg.NewReceiver(f.cfg, 1, f.c.signs[1], f.c.encs[1])
	_, _ = r1.VerifyDealings(s)
	share1, err := r1.SecretShare(s, tr)
	if err != nil {
		t.Fatal(err)
	}
	cfg2 := sessionConfig(g, "reshare", f.c, f.c, 2, tr.PublicPolynomial())
	d0, _ := dkg.NewDealer(cfg2, 0, f.c.signs[0])
	if _, err := d0.Deal(nil, rng); err == nil {
		t.Error("resharing without a share")
	}
	if _, err := d0.Deal(share1.Value(), rng); err == nil {
		t.Error("resharing another holder's share")
	}
	d1, _ := dkg.NewDealer(cfg2, 1, f.c.signs[1])
	env, err := d1.Deal(share1.Value(), rng)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dkg.VerifyDealing(cfg2, env); err != nil {
		t.Fatal(err)
	}
	// A resharing dealing is invalid in a fresh session and vice versa.
	fresh := *f.cfg
	fresh.SessionID = cfg2.SessionID
	if _, err := dkg.VerifyDealing(&fresh, env); !errors.Is(err, dkg.ErrInvalidDealing) {
		t.Errorf("resharing dealing in a fresh session: %v", err)
	}
}

func TestNodeSigningKeyEncoding(t *testing.T) {
	k, _ := dkg.GenerateNodeSigningKey(testRNG(14))
	b, _ := k.MarshalBinary()
	var k2 dkg.NodeSigningKey
	if err := k2.UnmarshalBinary(b); err != nil || !k2.PublicKey().Equal(k.PublicKey()) {
		t.Fatal("round trip")
	}
	if err := k2.UnmarshalBinary(b[:31]); err == nil {
		t.Error("short seed accepted")
	}
	k2.Zeroize()
	if sig := k2.Sign([]byte("m")); k.PublicKey().Verify([]byte("m"), sig) {
		t.Error("zeroised key still signs")
	}
}
