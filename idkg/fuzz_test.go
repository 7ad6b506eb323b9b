package idkg_test

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/ed25519"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// fuzzRounds runs one transcript of each of the five operations over g with
// four nodes and returns the network and the dealings and openings made.
func fuzzRounds(tb testing.TB, g group.Group) (*idkgtest.Network, []*idkg.Dealing, []*idkg.Opening) {
	cfg, err := idkg.NewConfig(g, 4)
	if err != nil {
		tb.Fatal(err)
	}
	nw, err := idkgtest.New(cfg, 11)
	if err != nil {
		tb.Fatal(err)
	}
	var dealings []*idkg.Dealing
	var openings []*idkg.Opening
	run := func(id string, op *idkg.Operation, inputs ...*idkgtest.Result) *idkgtest.Result {
		res, err := nw.Run([]byte(id), op, func(d int) []*idkg.Opening {
			var in []*idkg.Opening
			for _, r := range inputs {
				in = append(in, r.Openings[d])
			}
			return in
		})
		if err != nil {
			tb.Fatal(err)
		}
		dealings = append(dealings, res.Transcript.Dealings...)
		openings = append(openings, res.Openings[0])
		return res
	}
	masked := run("random", idkg.NewRandom(4))
	unmasked := run("random-unmasked", idkg.NewRandomUnmasked(4))
	run("reshare-masked", idkg.NewReshareOfMasked(masked.Transcript), masked)
	run("reshare-unmasked", idkg.NewReshareOfUnmasked(unmasked.Transcript), unmasked)
	run("product", idkg.NewUnmaskedTimesMasked(unmasked.Transcript, masked.Transcript), unmasked, masked)
	return nw, dealings, openings
}

var fuzzGroups = []group.Group{secp256k1.Group(), ed25519.Group()}

// FuzzDealing feeds arbitrary bytes to the dealing, proof and opening
// decoders of both groups. What they accept must re-encode to the same
// bytes; an accepted dealing must name a known operation, carry a non-empty
// commitment of the kind the operation uses and exactly the proof it needs.
func FuzzDealing(f *testing.F) {
	for _, g := range fuzzGroups {
		_, dealings, openings := fuzzRounds(f, g)
		for _, d := range dealings {
			b, err := d.MarshalBinary()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
			if d.Proof != nil {
				f.Add(d.Proof.Bytes())
			}
		}
		for _, o := range openings {
			f.Add(idkg.EncodeOpening(o))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, g := range fuzzGroups {
			if d, err := idkg.UnmarshalDealing(g, b); err == nil {
				again, err := d.MarshalBinary()
				if err != nil || !bytes.Equal(again, b) {
					t.Fatalf("accepted dealing re-encodes differently (%v)", err)
				}
				if d.Kind < idkg.Random || d.Kind > idkg.RandomUnmasked {
					t.Fatalf("accepted a dealing of unknown operation %v", d.Kind)
				}
				if len(d.Commitment.Points) == 0 {
					t.Fatalf("accepted a dealing with an empty commitment")
				}
				masked := d.Kind == idkg.Random || d.Kind == idkg.UnmaskedTimesMasked
				if masked != (d.Commitment.Kind == idkg.Pedersen) {
					t.Fatalf("accepted a %v commitment for %v", d.Commitment.Kind, d.Kind)
				}
				needProof := d.Kind == idkg.ReshareOfMasked || d.Kind == idkg.UnmaskedTimesMasked
				if needProof != (d.Proof != nil) {
					t.Fatalf("accepted %v with proof %v", d.Kind, d.Proof != nil)
				}
			}
			for n := 1; n <= 2; n++ {
				if p, err := idkg.DecodeProof(g, b, n); err == nil && !bytes.Equal(p.Bytes(), b) {
					t.Fatalf("accepted proof re-encodes differently")
				}
			}
			for _, k := range []idkg.CommitmentKind{idkg.Feldman, idkg.Pedersen} {
				if o, err := idkg.DecodeOpening(g, k, b); err == nil && !bytes.Equal(idkg.EncodeOpening(o), b) {
					t.Fatalf("accepted opening re-encodes differently")
				}
			}
		}
	})
}

// FuzzSignedDealing feeds arbitrary envelope bodies, correctly signed by
// the dealer or the opener, to OpenSignedDealing and VerifyReceiverOpening,
// the two decoders of IDKG messages a node receives from its peers. An
// accepted signed dealing must re-encode to the same body, with one
// ciphertext of the exact length per receiver; an accepted receiver opening
// must re-encode to the same body and match the dealing's commitment.
func FuzzSignedDealing(f *testing.F) {
	g := secp256k1.Group()
	nw, dealings, _ := fuzzRounds(f, g)
	cfg := nw.Cfg
	keys := make([]*dkg.EncryptionPublicKey, len(nw.Nodes))
	for i, nd := range nw.Nodes {
		keys[i] = nd.Enc.PublicKey()
	}
	// A fresh masked and unmasked dealing by dealer 1, with their
	// ciphertexts and the openings receiver 2 would publish.
	type seedDealing struct {
		d       *idkg.Dealing
		opening *idkg.Opening
	}
	var seeds []seedDealing
	for _, op := range []*idkg.Operation{idkg.NewRandom(4), idkg.NewRandomUnmasked(4)} {
		d, openings, err := idkg.Deal(cfg, []byte("fuzz-transcript"), op, 1, nil, nw.Rand)
		if err != nil {
			f.Fatal(err)
		}
		cts, err := idkg.EncryptOpenings(d, openings, keys)
		if err != nil {
			f.Fatal(err)
		}
		env, err := idkg.SignDealing(nw.Nodes[1].Signing, d, cts)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), env.Body)
		ro, err := idkg.NewReceiverOpening(nw.Nodes[2].Signing, d, 2, openings[2])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(2*len(seeds)+1), ro.Body)
		seeds = append(seeds, seedDealing{d, openings[2]})
	}
	for _, d := range dealings[:2] {
		b, _ := d.MarshalBinary()
		var enc dkg.Encoder
		enc.Bytes(b)
		enc.Uint32(0)
		f.Add(uint8(0), enc.Output())
	}
	dealer, opener := nw.Nodes[1].Signing, nw.Nodes[2].Signing
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		if which%2 == 0 {
			env, err := dkg.SignEnvelope(dealer, idkg.KindSignedDealing, []byte("fuzz-transcript"), 1, body)
			if err != nil {
				return
			}
			d, cts, err := cfg.OpenSignedDealing(env, dealer.PublicKey())
			if err != nil {
				return
			}
			again, err := idkg.SignDealing(dealer, d, cts)
			if err != nil || !bytes.Equal(again.Body, body) {
				t.Fatalf("accepted signed dealing re-encodes differently (%v)", err)
			}
			scalars := 1
			if d.Commitment.Kind == idkg.Pedersen {
				scalars = 2
			}
			for j, ct := range cts {
				if n := dkg.CiphertextLen(g, scalars); len(ct) != n && len(ct) != n+dkg.SealOverhead {
					t.Fatalf("accepted ciphertext %d of %d bytes", j, len(ct))
				}
			}
			return
		}
		sd := seeds[int(which/2)%len(seeds)]
		env, err := dkg.SignEnvelope(opener, idkg.KindReceiverOpening, sd.d.TranscriptID, 2, body)
		if err != nil {
			return
		}
		who, o, err := cfg.VerifyReceiverOpening(sd.d, env, opener.PublicKey())
		if err != nil {
			return
		}
		again, err := idkg.NewReceiverOpening(opener, sd.d, who, o)
		if err != nil || !bytes.Equal(again.Body, body) {
			t.Fatalf("accepted receiver opening re-encodes differently (%v)", err)
		}
		if !bytes.Equal(idkg.EncodeOpening(o), idkg.EncodeOpening(sd.opening)) {
			t.Fatalf("accepted an opening other than the receiver's")
		}
	})
}

// TestOpenSignedDealingCiphertextLength checks that a correctly signed
// dealing whose ciphertexts have a length no share encrypts to (here: one
// empty, one a byte short) is refused when it is opened, before any
// receiver tries to decrypt it.
func TestOpenSignedDealingCiphertextLength(t *testing.T) {
	g := secp256k1.Group()
	cfg, err := idkg.NewConfig(g, 4)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := idkgtest.New(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]*dkg.EncryptionPublicKey, 4)
	for i, nd := range nw.Nodes {
		keys[i] = nd.Enc.PublicKey()
	}
	d, openings, err := idkg.Deal(cfg, []byte("t"), idkg.NewRandom(4), 0, nil, nw.Rand)
	if err != nil {
		t.Fatal(err)
	}
	cts, err := idkg.EncryptOpenings(d, openings, keys)
	if err != nil {
		t.Fatal(err)
	}
	signer := nw.Nodes[0].Signing
	for _, bad := range []func([][]byte) [][]byte{
		func(c [][]byte) [][]byte { c[1] = nil; return c },
		func(c [][]byte) [][]byte { c[2] = c[2][:len(c[2])-1]; return c },
		func(c [][]byte) [][]byte { c[3] = append(c[3], 0); return c },
	} {
		env, err := idkg.SignDealing(signer, d, bad(append([][]byte(nil), cts...)))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := cfg.OpenSignedDealing(env, signer.PublicKey()); err == nil {
			t.Error("signed dealing with a ciphertext of the wrong length accepted")
		}
	}
	env, err := idkg.SignDealing(signer, d, cts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := cfg.OpenSignedDealing(env, signer.PublicKey()); err != nil {
		t.Fatalf("honest signed dealing: %v", err)
	}
}

// TestUnmarshalDealingStrictKind checks that a dealing naming no known
// operation, or carrying an empty commitment, is refused: both used to
// decode (an unknown kind as a Feldman dealing without proof).
func TestUnmarshalDealingStrictKind(t *testing.T) {
	g := secp256k1.Group()
	cfg, err := idkg.NewConfig(g, 4)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := idkg.Deal(cfg, []byte("t"), idkg.NewRandomUnmasked(4), 0, nil, idkgtest.Seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := d.MarshalBinary()
	if _, err := idkg.UnmarshalDealing(g, good); err != nil {
		t.Fatal(err)
	}
	for _, k := range []idkg.Kind{0, 6, 48, 255} {
		bad := &idkg.Dealing{TranscriptID: d.TranscriptID, Kind: k, Dealer: d.Dealer, Commitment: d.Commitment}
		b, _ := bad.MarshalBinary()
		if _, err := idkg.UnmarshalDealing(g, b); err == nil {
			t.Errorf("dealing of operation %v accepted", k)
		}
	}
	empty := &idkg.Dealing{TranscriptID: d.TranscriptID, Kind: d.Kind, Dealer: d.Dealer,
		Commitment: &idkg.Commitment{Kind: idkg.Feldman}}
	b, _ := empty.MarshalBinary()
	if _, err := idkg.UnmarshalDealing(g, b); err == nil {
		t.Error("dealing with an empty commitment accepted")
	}
}
