package ingress_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/fxamacker/cbor/v2"
)

func vetkdContent(now time.Time) *ingress.VetKDContent {
	return &ingress.VetKDContent{IngressExpiry: ingress.Expiry(now, time.Minute), Nonce: []byte("n"),
		KeyID: "bls12_381_g2:dfx_test_key", Context: []byte("ctx"), Input: []byte("alice"),
		TransportPublicKey: bytes.Repeat([]byte{0xa0}, 48)}
}

func TestVetKDEnvelope(t *testing.T) {
	key, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	c := vetkdContent(now)
	env, err := ingress.NewVetKDEnvelope(key, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ingress.ParseEnvelope(env.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	dec, id, err := got.VerifyVetKD(now, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c.Sender = ingress.Sender(key)
	if id != c.RequestID() || dec.Sender != c.Sender || !bytes.Equal(dec.Input, c.Input) || !bytes.Equal(dec.Context, c.Context) ||
		!bytes.Equal(dec.TransportPublicKey, c.TransportPublicKey) || dec.KeyID != c.KeyID {
		t.Fatalf("decoded %+v", dec)
	}
	// A derivation request is no signing request and the other way round.
	if _, _, err := got.DecodeSignContent(); !errors.Is(err, ingress.ErrMalformed) {
		t.Fatalf("vetKD request decodes as a signing request: %v", err)
	}
	sign, err := ingress.NewSignEnvelope(key, &ingress.SignContent{IngressExpiry: c.IngressExpiry, KeyID: "ecdsa:secp256k1:k",
		MessageHash: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sign.DecodeVetKDContent(); !errors.Is(err, ingress.ErrMalformed) {
		t.Fatalf("signing request decodes as a vetKD request: %v", err)
	}
	// Expired, and signed by another key.
	if _, _, err := got.VerifyVetKD(now.Add(2*time.Minute), 5*time.Minute); !errors.Is(err, ingress.ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	other, _ := ingress.GenerateEd25519()
	forged := *got
	forged.SenderPubKey = other.PublicKeyDER()
	if _, _, err := forged.VerifyVetKD(now, 5*time.Minute); !errors.Is(err, ingress.ErrSenderMismatch) {
		t.Fatalf("another key: %v", err)
	}
	// The content names another caller: the signature no longer matches
	// or the sender is not the key's.
	var m map[string]any
	if err := cbor.Unmarshal(got.Content, &m); err != nil {
		t.Fatal(err)
	}
	m["sender"] = principal.SelfAuthenticating(other.PublicKeyDER()).Bytes()
	mod := *got
	if mod.Content, err = cbor.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if _, _, err := mod.VerifyVetKD(now, 5*time.Minute); err == nil {
		t.Fatal("request under another caller's principal accepted")
	}
	if _, err := ingress.NewVetKDEnvelope(key, &ingress.VetKDContent{Sender: principal.SelfAuthenticating(other.PublicKeyDER()),
		IngressExpiry: c.IngressExpiry, KeyID: c.KeyID, TransportPublicKey: c.TransportPublicKey}); !errors.Is(err, ingress.ErrSenderMismatch) {
		t.Fatalf("envelope for another caller: %v", err)
	}
}

func TestVetKDContentLimits(t *testing.T) {
	key, _ := ingress.GenerateEd25519()
	now := time.Now()
	for name, mod := range map[string]func(*ingress.VetKDContent){
		"signing key id":       func(c *ingress.VetKDContent) { c.KeyID = "ecdsa:secp256k1:dfx_test_key" },
		"empty key name":       func(c *ingress.VetKDContent) { c.KeyID = "bls12_381_g2:" },
		"bad key name":         func(c *ingress.VetKDContent) { c.KeyID = "bls12_381_g2:a b" },
		"short transport key":  func(c *ingress.VetKDContent) { c.TransportPublicKey = c.TransportPublicKey[:47] },
		"no transport key":     func(c *ingress.VetKDContent) { c.TransportPublicKey = nil },
		"long context":         func(c *ingress.VetKDContent) { c.Context = make([]byte, ingress.MaxVetKDContextSize+1) },
		"long input":           func(c *ingress.VetKDContent) { c.Input = make([]byte, ingress.MaxVetKDInputSize+1) },
		"long nonce":           func(c *ingress.VetKDContent) { c.Nonce = make([]byte, ingress.MaxNonceSize+1) },
		"anonymous (no error)": nil,
	} {
		c := vetkdContent(now)
		if mod == nil {
			c.Sender = principal.Anonymous()
			if _, err := ingress.NewVetKDEnvelope(key, c); !errors.Is(err, ingress.ErrAnonymous) {
				t.Errorf("anonymous: %v", err)
			}
			continue
		}
		mod(c)
		if _, err := ingress.NewVetKDEnvelope(key, c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := ingress.CheckVetKDKeyID("bls12_381_g2:" + strings.Repeat("k", ingress.MaxKeyNameLen)); err != nil {
		t.Fatal(err)
	}
}

func ExampleNewVetKDEnvelope() {
	key, err := ingress.GenerateEd25519()
	if err != nil {
		panic(err)
	}
	now := time.Now()
	env, err := ingress.NewVetKDEnvelope(key, &ingress.VetKDContent{
		IngressExpiry:      ingress.Expiry(now, 4*time.Minute),
		KeyID:              "bls12_381_g2:dfx_test_key",
		Context:            []byte("notes"),
		Input:              []byte("alice"),
		TransportPublicKey: make([]byte, ingress.TransportPublicKeySize), // the caller's G1 point
	})
	if err != nil {
		panic(err)
	}
	got, err := ingress.ParseEnvelope(env.Marshal())
	if err != nil {
		panic(err)
	}
	c, _, err := got.VerifyVetKD(now, 5*time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Sender == ingress.Sender(key), c.KeyID, string(c.Input))
	// Output: true bls12_381_g2:dfx_test_key alice
}
