package idkg_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/ed25519"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
)

func network(t testing.TB, g group.Group, n int, seed uint64) *idkgtest.Network {
	t.Helper()
	cfg, err := idkg.NewConfig(g, n)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := idkgtest.New(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	return nw
}

// reconstruct interpolates value and mask from the first threshold live openings.
func reconstruct(t *testing.T, g group.Group, tr *idkg.Transcript, os []*idkg.Opening) (group.Scalar, group.Scalar) {
	t.Helper()
	var idx []int
	var vs, ms []group.Scalar
	for i, o := range os {
		if o == nil || len(idx) == tr.Threshold {
			continue
		}
		idx = append(idx, i)
		vs = append(vs, o.Value)
		if o.Mask != nil {
			ms = append(ms, o.Mask)
		}
	}
	v, err := poly.InterpolateScalar(g, idx, vs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 {
		return v, nil
	}
	m, err := poly.InterpolateScalar(g, idx, ms)
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}

func TestTranscriptPipeline(t *testing.T) {
	for _, g := range []group.Group{secp256k1.Group(), ed25519.Group()} {
		for _, n := range []int{4, 7} {
			nw := network(t, g, n, uint64(n))
			cfg := nw.Cfg
			h := cfg.H()
			masked, err := nw.Run([]byte("key-random"), idkg.NewRandom(n), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !masked.Transcript.Masked() {
				t.Fatal("Random transcript is not masked")
			}
			if _, err := masked.Transcript.PublicValue(); err == nil {
				t.Fatal("masked transcript revealed a public value")
			}
			x, rx := reconstruct(t, g, masked.Transcript, masked.Openings)
			wantC := g.NewPoint().Add(g.NewPoint().ScalarBaseMult(x), g.NewPoint().ScalarMult(rx, h))
			if !wantC.Equal(masked.Transcript.Commitment().Constant()) {
				t.Fatalf("%s n=%d: masked openings do not match", g.Name(), n)
			}
			key, err := nw.Run([]byte("key-unmasked"), idkg.NewReshareOfMasked(masked.Transcript), idkgtest.PerDealer(masked.Openings))
			if err != nil {
				t.Fatal(err)
			}
			pk, _ := key.Transcript.PublicValue()
			if !pk.Equal(g.NewPoint().ScalarBaseMult(x)) {
				t.Fatalf("%s n=%d: ReshareOfMasked changed the value", g.Name(), n)
			}
			// Reshare to a larger subnet: the public key never changes.
			bigCfg, _ := idkg.NewConfig(g, 7)
			big, _ := idkgtest.New(bigCfg, 99)
			big.Nodes = big.Nodes[:7]
			re, err := big.Run([]byte("key-reshare"), idkg.NewReshareOfUnmasked(key.Transcript), func(d int) []*idkg.Opening {
				if d >= n {
					return nil
				}
				return []*idkg.Opening{key.Openings[d]}
			})
			if err != nil {
				t.Fatal(err)
			}
			pk2, _ := re.Transcript.PublicValue()
			if !pk2.Equal(pk) {
				t.Fatal("resharing changed the public key")
			}
			// Product of an unmasked random value and a masked one.
			kappa, err := nw.Run([]byte("kappa"), idkg.NewRandomUnmasked(n), nil)
			if err != nil {
				t.Fatal(err)
			}
			lambda, err := nw.Run([]byte("lambda"), idkg.NewRandom(n), nil)
			if err != nil {
				t.Fatal(err)
			}
			prod, err := nw.Run([]byte("kappa-lambda"), idkg.NewUnmaskedTimesMasked(kappa.Transcript, lambda.Transcript),
				idkgtest.PerDealer(kappa.Openings, lambda.Openings))
			if err != nil {
				t.Fatal(err)
			}
			k, _ := reconstruct(t, g, kappa.Transcript, kappa.Openings)
			l, _ := reconstruct(t, g, lambda.Transcript, lambda.Openings)
			kl, _ := reconstruct(t, g, prod.Transcript, prod.Openings)
			if !kl.Equal(g.NewScalar().Mul(k, l)) {
				t.Fatalf("%s n=%d: product transcript does not share κ·λ", g.Name(), n)
			}
			// The product commitment (computed on first use) matches every share.
			for i, o := range prod.Openings {
				if err := prod.Transcript.VerifyOpening(i, o); err != nil {
					t.Fatalf("%s n=%d: product share %d: %v", g.Name(), n, i, err)
				}
			}
			bad := &idkg.Opening{Value: g.NewScalar().Add(prod.Openings[0].Value, g.NewScalar().SetUint64(1)), Mask: prod.Openings[0].Mask}
			if prod.Transcript.VerifyOpening(0, bad) == nil {
				t.Fatal("wrong product share accepted")
			}
			if got := len(prod.Transcript.Dealings); got != 2*cfg.Faults()+1 {
				t.Fatalf("product made of %d dealings, want 2f+1", got)
			}
		}
	}
}

func TestFaultyDealers(t *testing.T) {
	g := secp256k1.Group()
	nw := network(t, g, 7, 5)
	// f = 2: one dealer sends a bad opening, one a bad dealing.
	lambdaOK, err := nw.Run([]byte("l"), idkg.NewRandom(7), nil)
	if err != nil {
		t.Fatal(err)
	}
	kappaOK, err := nw.Run([]byte("k"), idkg.NewRandomUnmasked(7), nil)
	if err != nil {
		t.Fatal(err)
	}
	nw.Nodes[1].Fault = idkgtest.BadOpening
	nw.Nodes[4].Fault = idkgtest.BadProof
	for _, tc := range []struct {
		name   string
		op     *idkg.Operation
		inputs func(int) []*idkg.Opening
	}{
		{"random", idkg.NewRandom(7), nil},
		{"random-unmasked", idkg.NewRandomUnmasked(7), nil},
		{"reshare-masked", idkg.NewReshareOfMasked(lambdaOK.Transcript), idkgtest.PerDealer(lambdaOK.Openings)},
		{"reshare-unmasked", idkg.NewReshareOfUnmasked(kappaOK.Transcript), idkgtest.PerDealer(kappaOK.Openings)},
		{"product", idkg.NewUnmaskedTimesMasked(kappaOK.Transcript, lambdaOK.Transcript),
			idkgtest.PerDealer(kappaOK.Openings, lambdaOK.Openings)},
	} {
		res, err := nw.Run([]byte("faulty-"+tc.name), tc.op, tc.inputs)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(res.Culprits, []int{1, 4}) {
			t.Errorf("%s: culprits %v, want [1 4]", tc.name, res.Culprits)
		}
		for _, d := range res.Transcript.Dealings {
			if d.Dealer == 1 || d.Dealer == 4 {
				t.Errorf("%s: faulty dealing %d included", tc.name, d.Dealer)
			}
		}
	}
	// With f crashed nodes the transcripts still complete.
	nw.Nodes[1].Fault, nw.Nodes[4].Fault = idkgtest.Crashed, idkgtest.Crashed
	if _, err := nw.Run([]byte("crashed"), idkg.NewRandom(7), nil); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDealingRejects(t *testing.T) {
	g := secp256k1.Group()
	nw := network(t, g, 4, 7)
	cfg := nw.Cfg
	kappa, _ := nw.Run([]byte("k"), idkg.NewRandomUnmasked(4), nil)
	lambda, _ := nw.Run([]byte("l"), idkg.NewRandom(4), nil)
	lambda2, _ := nw.Run([]byte("l2"), idkg.NewRandom(4), nil)
	op := idkg.NewUnmaskedTimesMasked(kappa.Transcript, lambda.Transcript)
	id := []byte("prod")
	d, _, err := idkg.Deal(cfg, id, op, 2, []*idkg.Opening{kappa.Openings[2], lambda.Openings[2]}, nw.Rand)
	if err != nil {
		t.Fatal(err)
	}
	if err := idkg.VerifyDealing(cfg, id, op, d); err != nil {
		t.Fatal(err)
	}
	clone := func() *idkg.Dealing {
		b, _ := d.MarshalBinary()
		c, err := idkg.UnmarshalDealing(g, b)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := map[string]func(*idkg.Dealing) ([]byte, *idkg.Operation){
		"other transcript id": func(c *idkg.Dealing) ([]byte, *idkg.Operation) { return []byte("prod2"), op },
		"dealer claims another index": func(c *idkg.Dealing) ([]byte, *idkg.Operation) {
			c.Dealer = 3
			return id, op
		},
		"dealer out of range": func(c *idkg.Dealing) ([]byte, *idkg.Operation) {
			c.Dealer = 4
			return id, op
		},
		"short commitment": func(c *idkg.Dealing) ([]byte, *idkg.Operation) {
			c.Commitment.Points = c.Commitment.Points[:1]
			return id, op
		},
		"identity in commitment": func(c *idkg.Dealing) ([]byte, *idkg.Operation) {
			c.Commitment.Points[1] = g.NewPoint()
			return id, op
		},
		"missing proof": func(c *idkg.Dealing) ([]byte, *idkg.Operation) {
			c.Proof = nil
			return id, op
		},
		"constant changed": func(c *idkg.Dealing) ([]byte, *idkg.Operation) {
			c.Commitment.Points[0].Add(c.Commitment.Points[0], g.Generator())
			return id, op
		},
		"wrong kind": func(c *idkg.Dealing) ([]byte, *idkg.Operation) {
			c.Kind = idkg.Random
			return id, op
		},
		"product of other inputs": func(c *idkg.Dealing) ([]byte, *idkg.Operation) {
			return id, idkg.NewUnmaskedTimesMasked(kappa.Transcript, lambda2.Transcript)
		},
	}
	for name, f := range cases {
		c := clone()
		tid, o := f(c)
		if err := idkg.VerifyDealing(cfg, tid, o, c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEncodingStrict(t *testing.T) {
	g := secp256k1.Group()
	nw := network(t, g, 4, 8)
	lambda, _ := nw.Run([]byte("l"), idkg.NewRandom(4), nil)
	op := idkg.NewReshareOfMasked(lambda.Transcript)
	d, openings, err := idkg.Deal(nw.Cfg, []byte("r"), op, 0, []*idkg.Opening{lambda.Openings[0]}, nw.Rand)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.MarshalBinary()
	d2, err := idkg.UnmarshalDealing(g, b)
	if err != nil || idkg.VerifyDealing(nw.Cfg, []byte("r"), op, d2) != nil {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := idkg.UnmarshalDealing(g, b[:len(b)-1]); err == nil {
		t.Error("truncated dealing accepted")
	}
	if _, err := idkg.UnmarshalDealing(g, append(bytes.Clone(b), 0)); err == nil {
		t.Error("oversized dealing accepted")
	}
	if _, err := idkg.UnmarshalDealing(ed25519.Group(), b); err == nil {
		t.Error("dealing decoded in the wrong group")
	}
	// Opening encodings.
	ob := idkg.EncodeOpening(openings[1])
	if _, err := idkg.DecodeOpening(g, idkg.Feldman, ob); err != nil {
		t.Fatal(err)
	}
	if _, err := idkg.DecodeOpening(g, idkg.Pedersen, ob); err == nil {
		t.Error("Feldman opening decoded as Pedersen")
	}
	over := bytes.Clone(g.Order().Bytes())
	if _, err := idkg.DecodeOpening(g, idkg.Feldman, over); err == nil {
		t.Error("out-of-range opening accepted")
	}
}

func TestRecoverOpening(t *testing.T) {
	g := ed25519.Group()
	nw := network(t, g, 7, 9)
	cfg := nw.Cfg
	d, os, err := idkg.Deal(cfg, []byte("x"), idkg.NewRandom(7), 3, nil, nw.Rand)
	if err != nil {
		t.Fatal(err)
	}
	revealed := map[int]*idkg.Opening{}
	for j := 1; j < 7; j++ {
		revealed[j] = os[j]
	}
	revealed[2] = &idkg.Opening{Value: g.NewScalar().SetUint64(1), Mask: os[2].Mask} // a lying receiver
	// Receiver openings travel signed.
	env, err := idkg.NewReceiverOpening(nw.Nodes[5].Signing, d, 5, os[5])
	if err != nil {
		t.Fatal(err)
	}
	if who, _, err := cfg.VerifyReceiverOpening(d, env, nw.Nodes[5].Signing.PublicKey()); err != nil || who != 5 {
		t.Fatalf("receiver opening: %v", err)
	}
	if _, _, err := cfg.VerifyReceiverOpening(d, env, nw.Nodes[4].Signing.PublicKey()); err == nil {
		t.Error("receiver opening under another key accepted")
	}
	got, culprits, err := cfg.RecoverOpening(d, 0, revealed)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Value.Equal(os[0].Value) || !got.Mask.Equal(os[0].Mask) {
		t.Fatal("recovered the wrong opening")
	}
	if !slices.Equal(culprits, []int{2}) {
		t.Fatalf("culprits %v", culprits)
	}
	few := map[int]*idkg.Opening{1: os[1], 2: os[2]}
	if _, _, err := cfg.RecoverOpening(d, 0, few); err == nil {
		t.Fatal("recovered from too few openings")
	}
}

func TestBatchOpenings(t *testing.T) {
	for _, g := range []group.Group{secp256k1.Group(), ed25519.Group()} {
		nw := network(t, g, 4, 10)
		cfg := nw.Cfg
		keys := make([]*dkg.EncryptionPublicKey, 4)
		for i, nd := range nw.Nodes {
			keys[i] = nd.Enc.PublicKey()
		}
		var ds []*idkg.Dealing
		var cts [][]byte
		var mine []*idkg.Opening
		for d := 0; d < 4; d++ {
			dl, os, err := idkg.Deal(cfg, []byte("batch"), idkg.NewRandom(4), d, nil, nw.Rand)
			if err != nil {
				t.Fatal(err)
			}
			if d == 2 {
				os[1] = &idkg.Opening{Value: os[1].Value, Mask: g.NewScalar().Add(os[1].Mask, g.NewScalar().SetUint64(1))}
			}
			c, err := idkg.EncryptOpenings(dl, os, keys)
			if err != nil {
				t.Fatal(err)
			}
			ds, cts, mine = append(ds, dl), append(cts, c[1]), append(mine, os[1])
		}
		if _, err := cfg.DecryptOpenings(1, nw.Nodes[1].Enc, ds[:2], cts[:2]); err != nil {
			t.Fatalf("%s: good batch: %v", g.Name(), err)
		}
		_, err := cfg.DecryptOpenings(1, nw.Nodes[1].Enc, ds, cts)
		if err == nil || !strings.Contains(err.Error(), "dealing 2") {
			t.Fatalf("%s: bad opening in batch: %v", g.Name(), err)
		}
		if cfg.VerifyOpenings(1, ds, mine) == nil {
			t.Fatal("bad batch accepted")
		}
		if cfg.VerifyOpenings(0, ds[:2], mine[:2]) == nil {
			t.Fatal("openings accepted for another receiver")
		}
		// Wrong receiver's key cannot decrypt.
		if _, err := cfg.DecryptOpenings(1, nw.Nodes[0].Enc, ds[:1], cts[:1]); err == nil {
			t.Fatal("decrypted with another receiver's key")
		}
	}
}

func TestOpeningRedacted(t *testing.T) {
	g := secp256k1.Group()
	o := &idkg.Opening{Value: g.NewScalar().SetUint64(0x1234567), Mask: g.NewScalar().SetUint64(0x7654321)}
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%v %+v %#v %x %s", o, o, o, o, o), fmt.Sprintf("%v", *o)} {
		if strings.Contains(s, "1234567") || strings.Contains(s, "7654321") {
			t.Fatalf("opening printed: %s", s)
		}
	}
	o.Zeroize()
	if !o.Value.IsZero() || !o.Mask.IsZero() {
		t.Fatal("Zeroize left data")
	}
}

// TestVerifyMemo checks that remembering a successful verification never
// hides a later change of the dealing or a different operation.
func TestVerifyMemo(t *testing.T) {
	g := secp256k1.Group()
	nw := network(t, g, 4, 15)
	kappa, _ := nw.Run([]byte("k"), idkg.NewRandomUnmasked(4), nil)
	lambda, _ := nw.Run([]byte("l"), idkg.NewRandom(4), nil)
	lambda2, _ := nw.Run([]byte("l2"), idkg.NewRandom(4), nil)
	op := idkg.NewUnmaskedTimesMasked(kappa.Transcript, lambda.Transcript)
	d, _, err := idkg.Deal(nw.Cfg, []byte("p"), op, 1, []*idkg.Opening{kappa.Openings[1], lambda.Openings[1]}, nw.Rand)
	if err != nil {
		t.Fatal(err)
	}
	if err := idkg.VerifyDealing(nw.Cfg, []byte("p"), op, d); err != nil {
		t.Fatal(err)
	}
	if idkg.VerifyDealing(nw.Cfg, []byte("p"), idkg.NewUnmaskedTimesMasked(kappa.Transcript, lambda2.Transcript), d) == nil {
		t.Fatal("memo accepted the dealing for another operation")
	}
	d.Proof.Responses[1] = g.NewScalar().Add(d.Proof.Responses[1], g.NewScalar().SetUint64(1))
	if idkg.VerifyDealing(nw.Cfg, []byte("p"), op, d) == nil {
		t.Fatal("memo hid a tampered proof")
	}
}

// TestSealedOpenings checks the openings of several dealings sealed by one
// dealer with one KEM run per receiver: they travel in signed dealings,
// decrypt alone and in a batch, and a bad one is named.
func TestSealedOpenings(t *testing.T) {
	g := secp256k1.Group()
	nw := network(t, g, 4, 11)
	cfg := nw.Cfg
	const dealer = 2
	sealers := make([]*dkg.ShareSealer, 4)
	for i, nd := range nw.Nodes {
		var err error
		if sealers[i], err = dkg.NewShareSealer(nd.Enc.PublicKey(), dealer, uint32(i)); err != nil {
			t.Fatal(err)
		}
	}
	var (
		ds   []*idkg.Dealing
		mine [][]byte
	)
	for k := range 3 {
		tid := []byte{'t', byte(k)}
		dl, os, err := idkg.Deal(cfg, tid, idkg.NewRandom(4), dealer, nil, nw.Rand)
		if err != nil {
			t.Fatal(err)
		}
		if k == 2 {
			os[1] = &idkg.Opening{Value: os[1].Value, Mask: g.NewScalar().Add(os[1].Mask, g.NewScalar().SetUint64(1))}
		}
		cts, err := idkg.EncryptOpeningsWith(dl, os, sealers)
		if err != nil {
			t.Fatal(err)
		}
		env, err := idkg.SignDealing(nw.Nodes[dealer].Signing, dl, cts)
		if err != nil {
			t.Fatal(err)
		}
		d2, cts2, err := cfg.OpenSignedDealing(env, nw.Nodes[dealer].Signing.PublicKey())
		if err != nil {
			t.Fatalf("signed dealing with sealed openings: %v", err)
		}
		ds, mine = append(ds, d2), append(mine, cts2[1])
	}
	o := dkg.NewShareOpener(nw.Nodes[1].Enc)
	if _, err := cfg.DecryptOpeningWith(ds[0], 1, o, mine[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.DecryptOpening(ds[1], 1, nw.Nodes[1].Enc, mine[1]); err != nil {
		t.Fatalf("sealed opening without an opener: %v", err)
	}
	if _, err := cfg.DecryptOpeningsWith(1, o, ds[:2], mine[:2]); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.DecryptOpeningWith(ds[2], 1, o, mine[2]); err == nil {
		t.Fatal("bad sealed opening accepted")
	}
	if _, err := cfg.DecryptOpeningsWith(1, o, ds, mine); err == nil || !strings.Contains(err.Error(), "dealing 2") {
		t.Fatalf("bad opening in a sealed batch: %v", err)
	}
	// Another receiver's ciphertext, or another dealing's, does not open.
	if _, err := cfg.DecryptOpeningWith(ds[0], 1, o, mine[1]); err == nil {
		t.Fatal("opened another dealing's ciphertext")
	}
	if _, err := cfg.DecryptOpeningWith(ds[0], 0, dkg.NewShareOpener(nw.Nodes[0].Enc), mine[0]); err == nil {
		t.Fatal("opened another receiver's ciphertext")
	}
}
