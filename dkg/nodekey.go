package dkg

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	edgroup "github.com/chainkey/chainkey/internal/group/ed25519"
)

// NodePublicKey is a node's Ed25519 public signing key. Values built by
// ParseNodePublicKey are canonical encodings of points of prime order (the
// identity, small-order and non-canonical encodings are refused), so a node
// key cannot be chosen to make signatures ambiguous.
type NodePublicKey struct {
	key ed25519.PublicKey
}

// ParseNodePublicKey strictly decodes a 32-byte Ed25519 public key.
func ParseNodePublicKey(b []byte) (NodePublicKey, error) {
	if len(b) != ed25519.PublicKeySize {
		return NodePublicKey{}, fmt.Errorf("dkg: node public key of %d bytes, want %d", len(b), ed25519.PublicKeySize)
	}
	if _, err := edgroup.DecodePoint(b); err != nil {
		return NodePublicKey{}, fmt.Errorf("dkg: node public key: %w", err)
	}
	return NodePublicKey{key: append(ed25519.PublicKey{}, b...)}, nil
}

// Bytes returns the 32-byte encoding of the key.
func (k NodePublicKey) Bytes() []byte { return append([]byte{}, k.key...) }

// IsZero reports whether k is the zero value (no key).
func (k NodePublicKey) IsZero() bool { return len(k.key) == 0 }

// Equal reports whether both keys are the same.
func (k NodePublicKey) Equal(o NodePublicKey) bool { return bytes.Equal(k.key, o.key) }

// Verify checks an Ed25519 signature (RFC 8032, cofactorless as in
// crypto/ed25519) of msg under k.
func (k NodePublicKey) Verify(msg, sig []byte) bool {
	if len(k.key) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(k.key, msg, sig)
}

// NodeSigningKey is a node's Ed25519 private signing key. It is a secret:
// it formats as REDACTED and should be zeroised when dropped.
type NodeSigningKey struct {
	priv ed25519.PrivateKey
}

// GenerateNodeSigningKey reads a 32-byte seed from rand and derives a key.
func GenerateNodeSigningKey(rand io.Reader) (*NodeSigningKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("dkg: node key seed: %w", err)
	}
	defer clear(seed)
	return NewNodeSigningKey(seed)
}

// NewNodeSigningKey derives the key from a 32-byte RFC 8032 seed. This is
// also the key's at-rest encoding (see MarshalBinary).
func NewNodeSigningKey(seed []byte) (*NodeSigningKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("dkg: node key seed of %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	return &NodeSigningKey{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

// PublicKey returns the key's public half.
func (k *NodeSigningKey) PublicKey() NodePublicKey {
	return NodePublicKey{key: append(ed25519.PublicKey{}, k.priv.Public().(ed25519.PublicKey)...)}
}

// Sign signs msg.
func (k *NodeSigningKey) Sign(msg []byte) []byte { return ed25519.Sign(k.priv, msg) }

// MarshalBinary returns the 32-byte seed. It is secret: the node stores it
// in a file only its user can read (mode 0600).
func (k *NodeSigningKey) MarshalBinary() ([]byte, error) {
	return append([]byte{}, k.priv.Seed()...), nil
}

// UnmarshalBinary sets k from a 32-byte seed.
func (k *NodeSigningKey) UnmarshalBinary(b []byte) error {
	nk, err := NewNodeSigningKey(b)
	if err != nil {
		return err
	}
	*k = *nk
	return nil
}

// Zeroize overwrites the private key.
func (k *NodeSigningKey) Zeroize() { clear(k.priv) }

// String redacts the key.
func (k NodeSigningKey) String() string { return "dkg.NodeSigningKey(REDACTED)" }

// GoString redacts the key.
func (k NodeSigningKey) GoString() string { return k.String() }

// Format redacts the key for every verb.
func (k NodeSigningKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// Envelope is a message signed by a node: a kind tag (the message type and
// its version, for example KindDealing), the session id, the signer's index
// in its committee, an opaque body (the canonical encoding of the message)
// and an Ed25519 signature over all four. Dealings, complaints and openings
// travel in envelopes; other protocols (such as IDKG) may define their own
// kinds.
type Envelope struct {
	Kind      string
	SessionID []byte
	Signer    uint32
	Body      []byte
	Signature []byte
}

// Envelope kinds defined by this package.
const (
	KindDealing   = "chainkey/dkg/dealing-v1"
	KindComplaint = "chainkey/dkg/complaint-v1"
	KindOpening   = "chainkey/dkg/opening-v1"
)

// Limits on envelope fields.
const (
	MaxKindLen      = 64
	MaxSessionIDLen = 256
	MaxBodyLen      = MaxFieldLen
)

const envelopeSigDomain = "chainkey/dkg/envelope-signature-v1"

// signedMessage is the byte string the signature covers: a domain tag and
// every field, length-prefixed.
func (e *Envelope) signedMessage() []byte {
	var enc Encoder
	enc.Bytes([]byte(envelopeSigDomain))
	enc.Bytes([]byte(e.Kind))
	enc.Bytes(e.SessionID)
	enc.Uint32(e.Signer)
	enc.Bytes(e.Body)
	return enc.Output()
}

// SignEnvelope builds and signs an envelope.
func SignEnvelope(key *NodeSigningKey, kind string, sessionID []byte, signer uint32, body []byte) (*Envelope, error) {
	e := &Envelope{Kind: kind, SessionID: append([]byte{}, sessionID...), Signer: signer, Body: append([]byte{}, body...)}
	if err := e.checkShape(); err != nil {
		return nil, err
	}
	e.Signature = key.Sign(e.signedMessage())
	return e, nil
}

func (e *Envelope) checkShape() error {
	switch {
	case len(e.Kind) == 0 || len(e.Kind) > MaxKindLen:
		return fmt.Errorf("dkg: envelope kind of %d bytes", len(e.Kind))
	case len(e.SessionID) == 0 || len(e.SessionID) > MaxSessionIDLen:
		return fmt.Errorf("dkg: envelope session id of %d bytes", len(e.SessionID))
	case len(e.Body) > MaxBodyLen:
		return fmt.Errorf("dkg: envelope body of %d bytes", len(e.Body))
	}
	return nil
}

// ErrBadSignature is returned when an envelope's signature does not verify.
var ErrBadSignature = errors.New("dkg: bad envelope signature")

// Verify checks the envelope's shape and its signature under pub.
func (e *Envelope) Verify(pub NodePublicKey) error {
	if err := e.checkShape(); err != nil {
		return err
	}
	if !pub.Verify(e.signedMessage(), e.Signature) {
		return ErrBadSignature
	}
	return nil
}

// MarshalBinary returns the canonical encoding: kind, session id, signer,
// body and signature, each variable field with a 4-byte length prefix.
func (e *Envelope) MarshalBinary() ([]byte, error) {
	if err := e.checkShape(); err != nil {
		return nil, err
	}
	if len(e.Signature) != ed25519.SignatureSize {
		return nil, errors.New("dkg: envelope is not signed")
	}
	var enc Encoder
	enc.Bytes([]byte(e.Kind))
	enc.Bytes(e.SessionID)
	enc.Uint32(e.Signer)
	enc.Bytes(e.Body)
	enc.Fixed(e.Signature)
	return enc.Output(), nil
}

// UnmarshalBinary strictly decodes an envelope (it does not verify the
// signature; call Verify).
func (e *Envelope) UnmarshalBinary(b []byte) error {
	d := NewDecoder(b)
	kind := d.Bytes(MaxKindLen)
	sid := d.Bytes(MaxSessionIDLen)
	signer := d.Uint32()
	body := d.Bytes(MaxBodyLen)
	sig := d.Fixed(ed25519.SignatureSize)
	if err := d.Finish(); err != nil {
		return fmt.Errorf("dkg: decode envelope: %w", err)
	}
	ne := Envelope{Kind: string(kind), SessionID: sid, Signer: signer, Body: body, Signature: sig}
	if err := ne.checkShape(); err != nil {
		return err
	}
	*e = ne
	return nil
}

// Hash returns SHA-256 of the envelope's canonical encoding; complaints and
// openings name the dealing they refer to by this hash.
func (e *Envelope) Hash() [32]byte {
	b, err := e.MarshalBinary()
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}
