package ingress

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/chainkey/chainkey/principal"
)

// RequestTypeVetKD is the request_type of a vetKD key derivation request.
const RequestTypeVetKD = "vetkd_derive_key"

// VetKDCurve is the algorithm part of a vetKD key id, as the Internet
// Computer names it: "bls12_381_g2:NAME".
const VetKDCurve = "bls12_381_g2"

// Limits on a derivation request.
const (
	// MaxVetKDContextSize bounds the derivation context.
	MaxVetKDContextSize = 8192
	// MaxVetKDInputSize bounds the input a key is derived for.
	MaxVetKDInputSize = 32 << 10
	// TransportPublicKeySize is the length of a transport public key: a
	// compressed BLS12-381 G1 point.
	TransportPublicKeySize = 48
)

// VetKDContent is the content of a vetKD key derivation request: the key
// of (sender, context, input) under master key KeyID, encrypted to
// TransportPublicKey.
type VetKDContent struct {
	Sender        principal.Principal
	IngressExpiry uint64 // nanoseconds since the Unix epoch
	Nonce         []byte // optional, at most MaxNonceSize bytes
	// KeyID names the master key, e.g. "bls12_381_g2:dfx_test_key".
	KeyID              string
	Context            []byte
	Input              []byte
	TransportPublicKey []byte
}

type vetkdContentWire struct {
	RequestType        string `cbor:"request_type"`
	Sender             []byte `cbor:"sender"`
	IngressExpiry      uint64 `cbor:"ingress_expiry"`
	Nonce              []byte `cbor:"nonce,omitempty"`
	KeyID              string `cbor:"key_id"`
	Context            []byte `cbor:"context"`
	Input              []byte `cbor:"input"`
	TransportPublicKey []byte `cbor:"transport_public_key"`
}

func (c *VetKDContent) wire() *vetkdContentWire {
	w := &vetkdContentWire{RequestType: RequestTypeVetKD, Sender: c.Sender.Bytes(), IngressExpiry: c.IngressExpiry,
		Nonce: c.Nonce, KeyID: c.KeyID, Context: c.Context, Input: c.Input, TransportPublicKey: c.TransportPublicKey}
	for _, b := range []*[]byte{&w.Context, &w.Input, &w.TransportPublicKey} {
		if *b == nil {
			*b = []byte{}
		}
	}
	return w
}

func (w *vetkdContentWire) contentMap() map[string]any {
	m := map[string]any{
		"request_type":         w.RequestType,
		"sender":               w.Sender,
		"ingress_expiry":       w.IngressExpiry,
		"key_id":               w.KeyID,
		"context":              w.Context,
		"input":                w.Input,
		"transport_public_key": w.TransportPublicKey,
	}
	if len(w.Nonce) > 0 {
		m["nonce"] = w.Nonce
	}
	return m
}

// RequestID returns the request id of c: the representation-independent
// hash of its content map.
func (c *VetKDContent) RequestID() [32]byte {
	id, err := HashOfMap(c.wire().contentMap())
	if err != nil {
		panic(err) // all field types are supported
	}
	return id
}

// CheckVetKDKeyID checks a vetKD key id: "bls12_381_g2:NAME" with NAME 1
// to MaxKeyNameLen characters from [A-Za-z0-9_-].
func CheckVetKDKeyID(s string) error {
	name, ok := strings.CutPrefix(s, VetKDCurve+":")
	if !ok {
		return fmt.Errorf("ingress: vetKD key id %q: want %s:NAME", s, VetKDCurve)
	}
	if len(name) == 0 || len(name) > MaxKeyNameLen {
		return fmt.Errorf("ingress: vetKD key id %q: name of %d characters, want 1 to %d", s, len(name), MaxKeyNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("ingress: vetKD key id %q: invalid character %q in name", s, r)
		}
	}
	return nil
}

func (c *VetKDContent) validate() error {
	if len(c.Nonce) > MaxNonceSize {
		return fmt.Errorf("nonce of %d bytes exceeds %d", len(c.Nonce), MaxNonceSize)
	}
	if err := CheckVetKDKeyID(c.KeyID); err != nil {
		return err
	}
	if len(c.Context) > MaxVetKDContextSize {
		return fmt.Errorf("context of %d bytes exceeds %d", len(c.Context), MaxVetKDContextSize)
	}
	if len(c.Input) > MaxVetKDInputSize {
		return fmt.Errorf("input of %d bytes exceeds %d", len(c.Input), MaxVetKDInputSize)
	}
	if len(c.TransportPublicKey) != TransportPublicKeySize {
		return fmt.Errorf("transport public key of %d bytes, want %d", len(c.TransportPublicKey), TransportPublicKeySize)
	}
	return nil
}

// NewVetKDEnvelope builds and signs a derivation request with key, as
// NewSignEnvelope does for a signing request: a zero c.Sender becomes the
// key's self-authenticating principal, any other must be it.
func NewVetKDEnvelope(key Signer, c *VetKDContent) (*Envelope, error) {
	sender, err := envelopeSender(key, c.Sender)
	if err != nil {
		return nil, fmt.Errorf("ingress: new vetKD envelope: %w", err)
	}
	cc := *c
	cc.Sender = sender
	if err := cc.validate(); err != nil {
		return nil, fmt.Errorf("ingress: new vetKD envelope: %w", err)
	}
	w := cc.wire()
	return sealEnvelope(key, w, w.contentMap())
}

// DecodeVetKDContent decodes the content of a derivation request
// strictly, without checking signature or expiry, and returns it with its
// request id. Use VerifyVetKD to accept a request.
func (e *Envelope) DecodeVetKDContent() (*VetKDContent, [32]byte, error) {
	var w vetkdContentWire
	if err := decMode.Unmarshal(e.Content, &w); err != nil {
		return nil, [32]byte{}, fmt.Errorf("ingress: decode content: %v: %w", err, ErrMalformed)
	}
	again, err := encMode.Marshal(&w)
	if err != nil || !bytes.Equal(again, e.Content) {
		return nil, [32]byte{}, fmt.Errorf("ingress: content is not in canonical form or lacks a field: %w", ErrMalformed)
	}
	if w.RequestType != RequestTypeVetKD {
		return nil, [32]byte{}, fmt.Errorf("ingress: request_type %q, want %q: %w", w.RequestType, RequestTypeVetKD, ErrMalformed)
	}
	sender, err := principal.FromBytes(w.Sender)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("ingress: sender: %v: %w", err, ErrMalformed)
	}
	c := &VetKDContent{Sender: sender, IngressExpiry: w.IngressExpiry, Nonce: w.Nonce, KeyID: w.KeyID,
		Context: w.Context, Input: w.Input, TransportPublicKey: w.TransportPublicKey}
	if err := c.validate(); err != nil {
		return nil, [32]byte{}, fmt.Errorf("ingress: %v: %w", err, ErrMalformed)
	}
	id, err := HashOfMap(w.contentMap())
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("ingress: request id: %w", err)
	}
	return c, id, nil
}

// VerifyVetKD accepts a derivation request as Verify accepts a signing
// request: strict decoding, a sender that is not anonymous and is the
// self-authenticating principal of SenderPubKey, a valid sender
// signature of the request id, and now <= expiry <= now+maxExpiry.
func (e *Envelope) VerifyVetKD(now time.Time, maxExpiry time.Duration) (*VetKDContent, [32]byte, error) {
	c, id, err := e.DecodeVetKDContent()
	if err != nil {
		return nil, id, err
	}
	if err := e.verifySender(c.Sender, id, c.IngressExpiry, now, maxExpiry); err != nil {
		return nil, id, err
	}
	return c, id, nil
}
