package ingress

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/chainkey/chainkey/principal"
	"github.com/fxamacker/cbor/v2"
)

// MaxEnvelopeSize is the largest encoded envelope ParseEnvelope accepts.
const MaxEnvelopeSize = 64 << 10

// Limits on the content of a request.
const (
	MaxNonceSize           = 32   // bytes, as on the Internet Computer
	MaxDerivationPathLen   = 255  // elements, as on the Internet Computer
	MaxDerivationPathBytes = 8192 // total bytes of all path elements
	MaxMessageSize         = 32 << 10
)

// RequestTypeSign is the request_type of a signing request.
const RequestTypeSign = "sign"

// Errors returned (wrapped) by ParseEnvelope and Verify.
var (
	ErrMalformed      = errors.New("malformed request")
	ErrBadPublicKey   = errors.New("unsupported or invalid sender public key")
	ErrBadSignature   = errors.New("invalid sender signature")
	ErrSenderMismatch = errors.New("sender is not the self-authenticating principal of the sender public key")
	ErrAnonymous      = errors.New("anonymous sender cannot sign requests")
	ErrExpired        = errors.New("request expired")
	ErrExpiryTooFar   = errors.New("request expiry too far in the future")
)

// domainRequest is the domain separator of sender signatures: "\x0Aic-request".
var domainRequest = []byte("\x0aic-request")

// selfDescribeTag is CBOR tag 55799 ("self-described CBOR").
var selfDescribeTag = []byte{0xd9, 0xd9, 0xf7}

// Envelope is a signed request.
type Envelope struct {
	Content      []byte // canonical CBOR of the content map
	SenderPubKey []byte // DER SubjectPublicKeyInfo of the sender's key
	SenderSig    []byte // signature of "\x0Aic-request" || request id
}

type envelopeWire struct {
	Content      cbor.RawMessage `cbor:"content"`
	SenderPubKey []byte          `cbor:"sender_pubkey"`
	SenderSig    []byte          `cbor:"sender_sig"`
}

// signContentWire is the content map of a signing request. Field order is
// irrelevant: the encoder sorts keys canonically.
type signContentWire struct {
	RequestType       string   `cbor:"request_type"`
	Sender            []byte   `cbor:"sender"`
	IngressExpiry     uint64   `cbor:"ingress_expiry"`
	Nonce             []byte   `cbor:"nonce,omitempty"`
	KeyID             string   `cbor:"key_id"`
	DerivationPath    [][]byte `cbor:"derivation_path"`
	MessageHash       []byte   `cbor:"message_hash"`
	TaprootMerkleRoot *[]byte  `cbor:"taproot_merkle_root,omitempty"`
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.EncOptions{
		Sort:          cbor.SortCoreDeterministic,
		NilContainers: cbor.NilContainerAsEmpty,
		ShortestFloat: cbor.ShortestFloat16,
	}.EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxNestedLevels:   8,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Marshal returns the envelope's encoding: CBOR tag 55799 around the map
// {content, sender_pubkey, sender_sig}.
func (e *Envelope) Marshal() []byte {
	b, err := encMode.Marshal(envelopeWire{
		Content:      cbor.RawMessage(e.Content),
		SenderPubKey: e.SenderPubKey,
		SenderSig:    e.SenderSig,
	})
	if err != nil {
		// Content is not valid CBOR; emit it anyway so that the receiver
		// rejects it, rather than hiding the caller's mistake.
		return append(bytes.Clone(selfDescribeTag), e.Content...)
	}
	return append(bytes.Clone(selfDescribeTag), b...)
}

// ParseEnvelope decodes an envelope strictly: it must be exactly the
// encoding Marshal produces for a content map in canonical form.
func ParseEnvelope(b []byte) (*Envelope, error) {
	if len(b) > MaxEnvelopeSize {
		return nil, fmt.Errorf("ingress: envelope of %d bytes exceeds %d: %w", len(b), MaxEnvelopeSize, ErrMalformed)
	}
	if !bytes.HasPrefix(b, selfDescribeTag) {
		return nil, fmt.Errorf("ingress: envelope lacks CBOR tag 55799: %w", ErrMalformed)
	}
	var w envelopeWire
	if err := decMode.Unmarshal(b[len(selfDescribeTag):], &w); err != nil {
		return nil, fmt.Errorf("ingress: decode envelope: %v: %w", err, ErrMalformed)
	}
	if len(w.Content) == 0 || w.SenderPubKey == nil || w.SenderSig == nil {
		return nil, fmt.Errorf("ingress: envelope lacks content, sender_pubkey or sender_sig: %w", ErrMalformed)
	}
	e := &Envelope{Content: bytes.Clone(w.Content), SenderPubKey: w.SenderPubKey, SenderSig: w.SenderSig}
	if !bytes.Equal(e.Marshal(), b) {
		return nil, fmt.Errorf("ingress: envelope is not in canonical form: %w", ErrMalformed)
	}
	return e, nil
}

// SignContent is the content of a signing request.
type SignContent struct {
	Sender         principal.Principal
	IngressExpiry  uint64 // nanoseconds since the Unix epoch
	Nonce          []byte // optional, at most MaxNonceSize bytes
	KeyID          string // e.g. "ecdsa:secp256k1:dfx_test_key"
	DerivationPath [][]byte
	// MessageHash is the 32-byte hash to sign for ECDSA, and the message
	// itself for BIP340 and Ed25519 (any length up to MaxMessageSize).
	MessageHash []byte
	// TaprootMerkleRoot is nil for no BIP341 tweak; non-nil (empty for a
	// key-path-only output, or 32 bytes) to sign under the BIP341-tweaked
	// key. Only allowed with schnorr:bip340secp256k1 keys.
	TaprootMerkleRoot []byte
}

func (c *SignContent) wire() *signContentWire {
	w := &signContentWire{
		RequestType:    RequestTypeSign,
		Sender:         c.Sender.Bytes(),
		IngressExpiry:  c.IngressExpiry,
		Nonce:          c.Nonce,
		KeyID:          c.KeyID,
		DerivationPath: c.DerivationPath,
		MessageHash:    c.MessageHash,
	}
	if w.DerivationPath == nil {
		w.DerivationPath = [][]byte{}
	}
	for i := range w.DerivationPath {
		if w.DerivationPath[i] == nil {
			w.DerivationPath[i] = []byte{}
		}
	}
	if c.TaprootMerkleRoot != nil {
		r := c.TaprootMerkleRoot
		w.TaprootMerkleRoot = &r
	}
	return w
}

// contentMap returns the content as the map HashOfMap hashes.
func (w *signContentWire) contentMap() map[string]any {
	m := map[string]any{
		"request_type":    w.RequestType,
		"sender":          w.Sender,
		"ingress_expiry":  w.IngressExpiry,
		"key_id":          w.KeyID,
		"derivation_path": w.DerivationPath,
		"message_hash":    w.MessageHash,
	}
	if len(w.Nonce) > 0 {
		m["nonce"] = w.Nonce
	}
	if w.TaprootMerkleRoot != nil {
		m["taproot_merkle_root"] = *w.TaprootMerkleRoot
	}
	return m
}

// RequestID returns the request id of c: the representation-independent
// hash of its content map.
func (c *SignContent) RequestID() [32]byte {
	id, err := HashOfMap(c.wire().contentMap())
	if err != nil {
		panic(err) // all field types are supported
	}
	return id
}

// validate checks the field limits of a signing request.
func (c *SignContent) validate() error {
	if len(c.Nonce) > MaxNonceSize {
		return fmt.Errorf("nonce of %d bytes exceeds %d", len(c.Nonce), MaxNonceSize)
	}
	if len(c.DerivationPath) > MaxDerivationPathLen {
		return fmt.Errorf("derivation path of %d elements exceeds %d", len(c.DerivationPath), MaxDerivationPathLen)
	}
	total := 0
	for _, p := range c.DerivationPath {
		total += len(p)
	}
	if total > MaxDerivationPathBytes {
		return fmt.Errorf("derivation path of %d bytes exceeds %d", total, MaxDerivationPathBytes)
	}
	k, err := ParseKeyID(c.KeyID)
	if err != nil {
		return err
	}
	switch k.Algorithm {
	case AlgorithmECDSASecp256k1:
		if len(c.MessageHash) != 32 {
			return fmt.Errorf("message_hash of %d bytes, ECDSA needs exactly 32", len(c.MessageHash))
		}
	default:
		if len(c.MessageHash) > MaxMessageSize {
			return fmt.Errorf("message of %d bytes exceeds %d", len(c.MessageHash), MaxMessageSize)
		}
	}
	if c.TaprootMerkleRoot != nil {
		if k.Algorithm != AlgorithmBIP340Secp256k1 {
			return fmt.Errorf("taproot_merkle_root is only allowed with bip340secp256k1 keys, not %s", k.Algorithm)
		}
		if n := len(c.TaprootMerkleRoot); n != 0 && n != 32 {
			return fmt.Errorf("taproot_merkle_root of %d bytes, want 0 or 32", n)
		}
	}
	return nil
}

// NewSignEnvelope builds and signs a signing request with key. If c.Sender
// is the zero principal it is set to the key's self-authenticating
// principal; otherwise it must be that principal. The anonymous principal
// cannot sign.
func NewSignEnvelope(key Signer, c *SignContent) (*Envelope, error) {
	sender, err := envelopeSender(key, c.Sender)
	if err != nil {
		return nil, fmt.Errorf("ingress: new sign envelope: %w", err)
	}
	cc := *c
	cc.Sender = sender
	if err := cc.validate(); err != nil {
		return nil, fmt.Errorf("ingress: new sign envelope: %w", err)
	}
	w := cc.wire()
	return sealEnvelope(key, w, w.contentMap())
}

// envelopeSender resolves the sender of a new envelope signed with key:
// the zero principal becomes the key's self-authenticating principal, any
// other sender must be it, and the anonymous principal cannot sign.
func envelopeSender(key Signer, sender principal.Principal) (principal.Principal, error) {
	self := principal.SelfAuthenticating(key.PublicKeyDER())
	switch sender {
	case principal.Anonymous():
		return sender, ErrAnonymous
	case principal.Principal{}, self:
		return self, nil
	default:
		return sender, fmt.Errorf("sender %s: %w", sender, ErrSenderMismatch)
	}
}

// sealEnvelope encodes the content wire w, signs the request id of its
// content map m with key and returns the envelope.
func sealEnvelope(key Signer, w any, m map[string]any) (*Envelope, error) {
	content, err := encMode.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("ingress: encode content: %w", err)
	}
	id, err := HashOfMap(m)
	if err != nil {
		return nil, fmt.Errorf("ingress: request id: %w", err)
	}
	sig, err := key.Sign(append(bytes.Clone(domainRequest), id[:]...))
	if err != nil {
		return nil, fmt.Errorf("ingress: sign request: %w", err)
	}
	e := &Envelope{Content: content, SenderPubKey: key.PublicKeyDER(), SenderSig: sig}
	if len(e.Marshal()) > MaxEnvelopeSize {
		return nil, fmt.Errorf("ingress: envelope exceeds %d bytes", MaxEnvelopeSize)
	}
	return e, nil
}

// DecodeSignContent decodes the content of a signing request strictly,
// without checking signature or expiry, and returns it with its request
// id. Use Verify to accept a request.
func (e *Envelope) DecodeSignContent() (*SignContent, [32]byte, error) {
	var w signContentWire
	if err := decMode.Unmarshal(e.Content, &w); err != nil {
		return nil, [32]byte{}, fmt.Errorf("ingress: decode content: %v: %w", err, ErrMalformed)
	}
	again, err := encMode.Marshal(&w)
	if err != nil || !bytes.Equal(again, e.Content) {
		return nil, [32]byte{}, fmt.Errorf("ingress: content is not in canonical form or lacks a field: %w", ErrMalformed)
	}
	if w.RequestType != RequestTypeSign {
		return nil, [32]byte{}, fmt.Errorf("ingress: request_type %q, want %q: %w", w.RequestType, RequestTypeSign, ErrMalformed)
	}
	sender, err := principal.FromBytes(w.Sender)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("ingress: sender: %v: %w", err, ErrMalformed)
	}
	c := &SignContent{
		Sender:         sender,
		IngressExpiry:  w.IngressExpiry,
		Nonce:          w.Nonce,
		KeyID:          w.KeyID,
		DerivationPath: w.DerivationPath,
		MessageHash:    w.MessageHash,
	}
	if w.TaprootMerkleRoot != nil {
		c.TaprootMerkleRoot = *w.TaprootMerkleRoot
		if c.TaprootMerkleRoot == nil {
			c.TaprootMerkleRoot = []byte{}
		}
	}
	if err := c.validate(); err != nil {
		return nil, [32]byte{}, fmt.Errorf("ingress: %v: %w", err, ErrMalformed)
	}
	id, err := HashOfMap(w.contentMap())
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("ingress: request id: %w", err)
	}
	return c, id, nil
}

// Verify accepts a signing request: it decodes the content strictly, checks
// that the sender is not anonymous and is the self-authenticating principal
// of SenderPubKey, that SenderSig is a valid signature of the request id
// under SenderPubKey, and that now <= expiry <= now+maxExpiry. It returns
// the content and the request id.
func (e *Envelope) Verify(now time.Time, maxExpiry time.Duration) (*SignContent, [32]byte, error) {
	c, id, err := e.DecodeSignContent()
	if err != nil {
		return nil, id, err
	}
	if err := e.verifySender(c.Sender, id, c.IngressExpiry, now, maxExpiry); err != nil {
		return nil, id, err
	}
	return c, id, nil
}

// verifySender checks what Verify checks beyond decoding: a sender that
// is not anonymous and is the self-authenticating principal of
// SenderPubKey, its signature of the request id, and the expiry.
func (e *Envelope) verifySender(sender principal.Principal, id [32]byte, expiry uint64, now time.Time, maxExpiry time.Duration) error {
	if sender == principal.Anonymous() {
		return fmt.Errorf("ingress: verify: %w", ErrAnonymous)
	}
	if sender != principal.SelfAuthenticating(e.SenderPubKey) {
		return fmt.Errorf("ingress: verify: sender %s: %w", sender, ErrSenderMismatch)
	}
	if err := verifySenderSig(e.SenderPubKey, append(bytes.Clone(domainRequest), id[:]...), e.SenderSig); err != nil {
		return fmt.Errorf("ingress: verify: %w", err)
	}
	if err := CheckExpiry(expiry, now, maxExpiry); err != nil {
		return fmt.Errorf("ingress: verify: %w", err)
	}
	return nil
}

// CheckExpiry checks now <= expiry <= now+maxExpiry, with expiry in
// nanoseconds since the Unix epoch.
func CheckExpiry(expiry uint64, now time.Time, maxExpiry time.Duration) error {
	n := now.UnixNano()
	if n < 0 {
		n = 0
	}
	if expiry < uint64(n) {
		return fmt.Errorf("%w: expiry %s is before %s", ErrExpired,
			time.Unix(0, int64(min(expiry, 1<<63-1))).UTC().Format(time.RFC3339Nano), now.UTC().Format(time.RFC3339Nano))
	}
	if expiry-uint64(n) > uint64(maxExpiry) {
		return fmt.Errorf("%w: expiry is %s ahead, at most %s allowed", ErrExpiryTooFar,
			time.Duration(min(expiry-uint64(n), 1<<63-1)), maxExpiry)
	}
	return nil
}

// Expiry returns the ingress_expiry value for a request valid for d from
// now.
func Expiry(now time.Time, d time.Duration) uint64 {
	return uint64(now.Add(d).UnixNano())
}
