package dkg

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
)

// fuzzSessions is a fresh and a resharing session of four nodes in G2 (the
// group of the subnet's BLS keys), with real dealings, complaints and
// openings of both, made by the package's own dealers.
type fuzzSessions struct {
	fresh, reshare *Config
	envelopes      []*Envelope // dealings, complaints and openings
}

func newFuzzSessions(tb testing.TB) *fuzzSessions {
	g := bls12381.G2()
	rng := rand.NewChaCha8([32]byte{'f', 'u', 'z', 'z'})
	const n = 4
	var signs []*NodeSigningKey
	var pubs []NodePublicKey
	var infos []ReceiverInfo
	for range n {
		s, err := GenerateNodeSigningKey(rng)
		if err != nil {
			tb.Fatal(err)
		}
		e, err := GenerateEncryptionKey(rng)
		if err != nil {
			tb.Fatal(err)
		}
		signs = append(signs, s)
		pubs = append(pubs, s.PublicKey())
		infos = append(infos, ReceiverInfo{SigningKey: s.PublicKey(), EncryptionKey: e.PublicKey()})
	}
	old, err := poly.Random(g, 1, nil, rng)
	if err != nil {
		tb.Fatal(err)
	}
	fs := &fuzzSessions{
		fresh:   &Config{Group: g, SessionID: []byte("fuzz-fresh"), Dealers: pubs, Receivers: infos, Threshold: 2, Deadline: 1},
		reshare: &Config{Group: g, SessionID: []byte("fuzz-reshare"), Dealers: pubs, Receivers: infos, Threshold: 3, Previous: old.Commit(), Deadline: 1},
	}
	for _, cfg := range []*Config{fs.fresh, fs.reshare} {
		for j := range 2 {
			d, err := NewDealer(cfg, j, signs[j])
			if err != nil {
				tb.Fatal(err)
			}
			var secret group.Scalar
			if cfg.IsResharing() {
				secret = old.EvalAt(j)
			}
			env, err := d.Deal(secret, rng)
			if err != nil {
				tb.Fatal(err)
			}
			c, err := NewComplaint(signs[3], cfg.SessionID, 3, j, env.Hash())
			if err != nil {
				tb.Fatal(err)
			}
			o, err := d.Open(c)
			if err != nil {
				tb.Fatal(err)
			}
			fs.envelopes = append(fs.envelopes, env, c, o)
		}
	}
	// An opening of a two-scalar (Pedersen) share, as IDKG complaints use.
	k := secp256k1.Group()
	two := SharePayload{Scalars: []group.Scalar{k.NewScalar().SetUint64(5), k.NewScalar().SetUint64(7)}}
	o, err := NewOpening(signs[1], []byte("idkg-transcript"), 1, 2, [32]byte{1}, two)
	if err != nil {
		tb.Fatal(err)
	}
	fs.envelopes = append(fs.envelopes, o)
	return fs
}

// FuzzEnvelope feeds arbitrary bytes to the envelope decoder and, through
// it, to the complaint and opening decoders. Every accepted envelope,
// complaint body and opening body must re-encode to the same bytes.
func FuzzEnvelope(f *testing.F) {
	fs := newFuzzSessions(f)
	for _, e := range fs.envelopes {
		b, err := e.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	groups := []struct {
		g       group.Group
		scalars int
	}{{bls12381.G2(), 1}, {secp256k1.Group(), 1}, {secp256k1.Group(), 2}}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Envelope
		if err := e.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := e.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted envelope re-encodes differently (%v)", err)
		}
		if c, err := DecodeComplaint(&e); err == nil {
			var enc Encoder
			enc.Uint32(uint32(c.Dealer))
			enc.Fixed(c.DealingHash[:])
			if !bytes.Equal(enc.Output(), e.Body) || c.Complainer != int(e.Signer) {
				t.Fatalf("accepted complaint re-encodes differently")
			}
		}
		for _, gs := range groups {
			o, err := DecodeOpening(gs.g, gs.scalars, &e)
			if err != nil {
				continue
			}
			pb, err := o.Share.MarshalBinary()
			if err != nil {
				t.Fatalf("accepted opening does not encode: %v", err)
			}
			var enc Encoder
			enc.Uint32(uint32(o.Recipient))
			enc.Fixed(o.DealingHash[:])
			enc.Bytes(pb)
			if !bytes.Equal(enc.Output(), e.Body) || o.Dealer != int(e.Signer) {
				t.Fatalf("accepted opening re-encodes differently")
			}
		}
	})
}

// FuzzDealingBody feeds arbitrary dealing bodies to the decoder that runs
// on every dealing a peer sends once its signature checks. An accepted body
// must re-encode to the same bytes and have the session's shape: Threshold
// non-identity commitment points, one ciphertext of the exact length per
// receiver, and a proof of knowledge exactly when the key is fresh.
func FuzzDealingBody(f *testing.F) {
	fs := newFuzzSessions(f)
	for _, e := range fs.envelopes {
		if e.Kind == KindDealing {
			f.Add(e.Body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, cfg := range []*Config{fs.fresh, fs.reshare} {
			d, err := decodeDealingBody(cfg, 1, body)
			if err != nil {
				continue
			}
			g := cfg.Group
			if !bytes.Equal(d.encodeBody(g, d.encodePrefix(g)), body) {
				t.Fatalf("accepted dealing re-encodes differently")
			}
			if d.Commitment.Len() != cfg.Threshold || len(d.Ciphertexts) != len(cfg.Receivers) {
				t.Fatalf("accepted dealing of the wrong shape")
			}
			for _, p := range d.Commitment.Points() {
				if p.IsIdentity() {
					t.Fatalf("accepted the identity in a commitment")
				}
			}
			for _, ct := range d.Ciphertexts {
				if len(ct) != CiphertextLen(g, 1) {
					t.Fatalf("accepted a ciphertext of %d bytes", len(ct))
				}
			}
			if d.Resharing != cfg.IsResharing() || (d.PoK == nil) != d.Resharing {
				t.Fatalf("accepted a dealing of the wrong mode")
			}
		}
	})
}

// FuzzTranscript feeds arbitrary bytes to the transcript and secret-share
// decoders (what a node reads back from its own store and what it is given
// when it joins). Whatever they accept must re-encode to the same bytes.
func FuzzTranscript(f *testing.F) {
	fs := newFuzzSessions(f)
	g := bls12381.G2()
	s, err := NewSession(fs.fresh)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range fs.envelopes {
		if e.Kind == KindDealing && bytes.Equal(e.SessionID, fs.fresh.SessionID) {
			if err := s.AddDealing(1, e); err != nil {
				f.Fatal(err)
			}
		}
	}
	tr, err := s.Transcript(3)
	if err != nil {
		f.Fatal(err)
	}
	tb, err := tr.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tb)
	share, err := NewSecretShare(g, 3, g.NewScalar().SetUint64(12345))
	if err != nil {
		f.Fatal(err)
	}
	sb, err := share.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sb)
	f.Fuzz(func(t *testing.T, b []byte) {
		if tr, err := UnmarshalTranscript(g, b); err == nil {
			again, err := tr.MarshalBinary()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("accepted transcript re-encodes differently (%v)", err)
			}
			if tr.Threshold() < 1 || tr.Threshold() > tr.Receivers() {
				t.Fatalf("accepted threshold %d for %d receivers", tr.Threshold(), tr.Receivers())
			}
		}
		if s, err := UnmarshalSecretShare(g, b); err == nil {
			again, err := s.MarshalBinary()
			if err != nil || !bytes.Equal(again, b) {
				t.Fatalf("accepted secret share re-encodes differently (%v)", err)
			}
		}
	})
}
