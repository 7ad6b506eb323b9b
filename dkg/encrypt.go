package dkg

import (
	"crypto/hpke"
	"errors"
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
)

// The share-encryption suite: HPKE (RFC 9180) base mode with the hybrid
// post-quantum KEM ML-KEM-768 + X25519 (X-Wing, draft-ietf-hpke-pq),
// HKDF-SHA256 and AES-256-GCM.
var (
	shareKEM  = hpke.MLKEM768X25519()
	shareKDF  = hpke.HKDFSHA256()
	shareAEAD = hpke.AES256GCM()
)

// Sizes of the share-encryption encodings.
const (
	// EncryptionPublicKeyLen is the length of an encoded EncryptionPublicKey.
	EncryptionPublicKeyLen = 1216
	// EncryptionKeyLen is the length of an encoded EncryptionKey (a seed).
	EncryptionKeyLen = 32
	// encLen is the length of the KEM encapsulation in a ciphertext.
	encLen = 1120
	// aeadOverhead is the AEAD tag length.
	aeadOverhead = 16
	// MaxPayloadScalars bounds the scalars in one SharePayload.
	MaxPayloadScalars = 2
)

const shareInfoDomain = "chainkey/dkg/share-encryption-v1"

// EncryptionPublicKey is a node's public share-encryption key (X-Wing).
type EncryptionPublicKey struct {
	pk hpke.PublicKey
}

// ParseEncryptionPublicKey strictly decodes a 1216-byte X-Wing public key.
func ParseEncryptionPublicKey(b []byte) (*EncryptionPublicKey, error) {
	if len(b) != EncryptionPublicKeyLen {
		return nil, fmt.Errorf("dkg: encryption public key of %d bytes, want %d", len(b), EncryptionPublicKeyLen)
	}
	pk, err := shareKEM.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("dkg: encryption public key: %w", err)
	}
	return &EncryptionPublicKey{pk: pk}, nil
}

// Bytes returns the 1216-byte encoding of the key.
func (k *EncryptionPublicKey) Bytes() []byte { return k.pk.Bytes() }

// EncryptionKey is a node's secret share-decryption key. It is a secret:
// it formats as REDACTED; its at-rest encoding is MarshalBinary, which the
// node writes to a file of mode 0600.
type EncryptionKey struct {
	seed []byte
	sk   hpke.PrivateKey
}

// GenerateEncryptionKey reads a 32-byte seed from rand and derives the key
// pair from it (RFC 9180 DeriveKeyPair).
func GenerateEncryptionKey(rand io.Reader) (*EncryptionKey, error) {
	seed := make([]byte, EncryptionKeyLen)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("dkg: encryption key seed: %w", err)
	}
	sk, err := shareKEM.DeriveKeyPair(seed)
	if err != nil {
		return nil, fmt.Errorf("dkg: derive encryption key: %w", err)
	}
	return &EncryptionKey{seed: seed, sk: sk}, nil
}

// PublicKey returns the key's public half.
func (k *EncryptionKey) PublicKey() *EncryptionPublicKey {
	return &EncryptionPublicKey{pk: k.sk.PublicKey()}
}

// MarshalBinary returns the 32-byte seed the key was derived from.
func (k *EncryptionKey) MarshalBinary() ([]byte, error) {
	if len(k.seed) != EncryptionKeyLen {
		return nil, errors.New("dkg: empty encryption key")
	}
	return append([]byte{}, k.seed...), nil
}

// UnmarshalBinary sets k from a 32-byte seed.
func (k *EncryptionKey) UnmarshalBinary(b []byte) error {
	if len(b) != EncryptionKeyLen {
		return fmt.Errorf("dkg: encryption key of %d bytes, want %d", len(b), EncryptionKeyLen)
	}
	sk, err := shareKEM.DeriveKeyPair(b)
	if err != nil {
		return fmt.Errorf("dkg: derive encryption key: %w", err)
	}
	k.seed, k.sk = append([]byte{}, b...), sk
	return nil
}

// Zeroize overwrites the seed and drops the key.
func (k *EncryptionKey) Zeroize() {
	clear(k.seed)
	k.seed, k.sk = nil, nil
}

// String redacts the key.
func (k EncryptionKey) String() string { return "dkg.EncryptionKey(REDACTED)" }

// GoString redacts the key.
func (k EncryptionKey) GoString() string { return k.String() }

// Format redacts the key for every verb.
func (k EncryptionKey) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// SharePayload is the plaintext of one encrypted share: one scalar for a
// Feldman sharing, two (value and blinding) for a Pedersen sharing. It is
// secret and redacts when printed.
type SharePayload struct {
	Scalars []group.Scalar
}

// String redacts the payload.
func (p SharePayload) String() string {
	return fmt.Sprintf("dkg.SharePayload(%d scalars, REDACTED)", len(p.Scalars))
}

// GoString redacts the payload.
func (p SharePayload) GoString() string { return p.String() }

// Format redacts the payload for every verb.
func (p SharePayload) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// Zeroize overwrites every scalar.
func (p SharePayload) Zeroize() {
	for _, s := range p.Scalars {
		if s != nil {
			s.Zeroize()
		}
	}
}

// MarshalBinary encodes the payload as a count byte followed by the
// canonical scalars.
func (p SharePayload) MarshalBinary() ([]byte, error) {
	if len(p.Scalars) == 0 || len(p.Scalars) > MaxPayloadScalars {
		return nil, fmt.Errorf("dkg: payload of %d scalars", len(p.Scalars))
	}
	var enc Encoder
	enc.Uint8(uint8(len(p.Scalars)))
	for _, s := range p.Scalars {
		enc.Scalar(s)
	}
	return enc.Output(), nil
}

// DecodeSharePayload strictly decodes a payload of exactly want scalars of g.
func DecodeSharePayload(g group.Group, want int, b []byte) (SharePayload, error) {
	if want < 1 || want > MaxPayloadScalars {
		return SharePayload{}, fmt.Errorf("dkg: payload of %d scalars requested", want)
	}
	d := NewDecoder(b)
	if n := d.Uint8(); d.Err() == nil && int(n) != want {
		return SharePayload{}, fmt.Errorf("dkg: payload has %d scalars, want %d", n, want)
	}
	ss := make([]group.Scalar, want)
	for i := range ss {
		ss[i] = d.Scalar(g)
	}
	if err := d.Finish(); err != nil {
		SharePayload{Scalars: ss}.Zeroize()
		return SharePayload{}, fmt.Errorf("dkg: decode payload: %w", err)
	}
	return SharePayload{Scalars: ss}, nil
}

// ShareContext is what an encrypted share is bound to: the session, the
// dealer, the recipient and any extra context the protocol chooses (dkg
// binds the dealing's kind and commitment). It becomes the HPKE info string,
// so a ciphertext decrypts only in exactly this context.
type ShareContext struct {
	SessionID []byte
	Dealer    uint32
	Recipient uint32
	Extra     []byte
}

func (c *ShareContext) info() []byte {
	var enc Encoder
	enc.Bytes([]byte(shareInfoDomain))
	enc.Bytes(c.SessionID)
	enc.Uint32(c.Dealer)
	enc.Uint32(c.Recipient)
	enc.Bytes(c.Extra)
	return enc.Output()
}

// EncryptShare encrypts payload to pk, bound to ctx. The ciphertext is the
// HPKE encapsulation followed by the AEAD ciphertext; its randomness comes
// from Go's crypto/rand (crypto/hpke takes no reader).
func EncryptShare(pk *EncryptionPublicKey, ctx *ShareContext, payload SharePayload) ([]byte, error) {
	pt, err := payload.MarshalBinary()
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	ct, err := hpke.Seal(pk.pk, shareKDF, shareAEAD, ctx.info(), pt)
	if err != nil {
		return nil, fmt.Errorf("dkg: encrypt share for %d: %w", ctx.Recipient, err)
	}
	return ct, nil
}

// CiphertextLen returns the length of the ciphertext of a payload of
// scalars scalars of g.
func CiphertextLen(g group.Group, scalars int) int {
	return encLen + 1 + scalars*g.ScalarLen() + aeadOverhead
}

// DecryptShare decrypts ct (an EncryptShare or a sealed ciphertext, see
// ShareSealer) with sk in context ctx and strictly decodes a payload of
// exactly want scalars of g.
func DecryptShare(sk *EncryptionKey, ctx *ShareContext, g group.Group, want int, ct []byte) (SharePayload, error) {
	return openShare(sk, nil, ctx, g, want, ct)
}
