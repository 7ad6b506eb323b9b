package dkg

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/chainkey/chainkey/internal/group"
)

// Sealed shares: many shares from one dealer to one recipient under one
// HPKE encapsulation.
//
// EncryptShare runs the KEM (ML-KEM-768 encapsulation and an X25519 key
// exchange) for every share. A dealer that deals for many transcripts at
// once instead opens one HPKE context per recipient (a ShareSealer) and
// encrypts each share with AES-256-GCM under its own key, exported from the
// context (RFC 9180, section 5.3) for the share's ShareContext and a
// sequence number. A sealed ciphertext is
//
//	encapsulation (1120 bytes) | sequence u32 | AES-256-GCM ciphertext
//
// with a zero nonce (every key encrypts one message) and the share context
// as additional data. Each ciphertext decrypts on its own (DecryptShare);
// a ShareOpener decapsulates each encapsulation only once.

// SealOverhead is how much longer a sealed ciphertext is than an
// EncryptShare ciphertext of the same payload.
const SealOverhead = 4

const sealInfoDomain = "chainkey/dkg/share-sealing-v1"

func sealInfo(dealer, recipient uint32) []byte {
	var enc Encoder
	enc.Bytes([]byte(sealInfoDomain))
	enc.Uint32(dealer)
	enc.Uint32(recipient)
	return enc.Output()
}

func sealKeyContext(seq uint32, ctx *ShareContext) string {
	return string(binary.BigEndian.AppendUint32(nil, seq)) + string(ctx.info())
}

// ShareSealer encrypts shares from one dealer to one recipient under a
// single HPKE encapsulation. It is not safe for concurrent use.
type ShareSealer struct {
	enc       []byte
	s         *hpke.Sender
	dealer    uint32
	recipient uint32
	seq       uint32
}

// NewShareSealer runs the KEM once for shares from dealer to recipient,
// whose public key is pk. Its randomness comes from crypto/rand.
func NewShareSealer(pk *EncryptionPublicKey, dealer, recipient uint32) (*ShareSealer, error) {
	enc, s, err := hpke.NewSender(pk.pk, shareKDF, shareAEAD, sealInfo(dealer, recipient))
	if err != nil {
		return nil, fmt.Errorf("dkg: seal shares for %d: %w", recipient, err)
	}
	return &ShareSealer{enc: enc, s: s, dealer: dealer, recipient: recipient}, nil
}

// Seal encrypts payload bound to ctx, whose dealer and recipient must be
// the sealer's.
func (s *ShareSealer) Seal(ctx *ShareContext, payload SharePayload) ([]byte, error) {
	if ctx.Dealer != s.dealer || ctx.Recipient != s.recipient {
		return nil, fmt.Errorf("dkg: sealer for %d->%d used for %d->%d", s.dealer, s.recipient, ctx.Dealer, ctx.Recipient)
	}
	if s.seq == math.MaxUint32 {
		return nil, errors.New("dkg: sealer exhausted")
	}
	seq := s.seq
	s.seq++
	pt, err := payload.MarshalBinary()
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	key, err := s.s.Export(sealKeyContext(seq, ctx), 32)
	if err != nil {
		return nil, fmt.Errorf("dkg: seal share for %d: %w", ctx.Recipient, err)
	}
	aead, err := newSealAEAD(key)
	clear(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(s.enc)+SealOverhead+len(pt)+aeadOverhead)
	out = append(out, s.enc...)
	out = binary.BigEndian.AppendUint32(out, seq)
	return aead.Seal(out, make([]byte, aead.NonceSize()), pt, ctx.info()), nil
}

func newSealAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("dkg: sealed share: %w", err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("dkg: sealed share: %w", err)
	}
	return a, nil
}

// ShareOpener decrypts shares with one secret key, remembering the HPKE
// contexts of the encapsulations it has seen so that the shares a dealer
// sealed together cost one decapsulation. It also decrypts EncryptShare
// ciphertexts. It is safe for concurrent use. Its contexts are as secret as
// the key.
type ShareOpener struct {
	sk   *EncryptionKey
	mu   sync.Mutex
	ctxs map[openerKey]*hpke.Recipient
}

type openerKey struct {
	enc               [32]byte // SHA-256 of the encapsulation
	dealer, recipient uint32
}

// maxOpenerContexts bounds the contexts a ShareOpener remembers.
const maxOpenerContexts = 1024

// NewShareOpener returns an opener for sk.
func NewShareOpener(sk *EncryptionKey) *ShareOpener {
	return &ShareOpener{sk: sk, ctxs: map[openerKey]*hpke.Recipient{}}
}

// Open decrypts ct (sealed or not) in context ctx and strictly decodes a
// payload of exactly want scalars of g.
func (o *ShareOpener) Open(ctx *ShareContext, g group.Group, want int, ct []byte) (SharePayload, error) {
	return openShare(o.sk, o, ctx, g, want, ct)
}

// Forget drops every remembered context.
func (o *ShareOpener) Forget() {
	o.mu.Lock()
	clear(o.ctxs)
	o.mu.Unlock()
}

func (o *ShareOpener) recipient(enc []byte, dealer, recipient uint32) (*hpke.Recipient, error) {
	k := openerKey{enc: sha256.Sum256(enc), dealer: dealer, recipient: recipient}
	o.mu.Lock()
	r := o.ctxs[k]
	o.mu.Unlock()
	if r != nil {
		return r, nil
	}
	r, err := hpke.NewRecipient(enc, o.sk.sk, shareKDF, shareAEAD, sealInfo(dealer, recipient))
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	if len(o.ctxs) >= maxOpenerContexts {
		clear(o.ctxs)
	}
	o.ctxs[k] = r
	o.mu.Unlock()
	return r, nil
}

// openShare decrypts an EncryptShare or a sealed ciphertext; o, if not
// nil, remembers HPKE contexts.
func openShare(sk *EncryptionKey, o *ShareOpener, ctx *ShareContext, g group.Group, want int, ct []byte) (SharePayload, error) {
	if sk == nil || sk.sk == nil {
		return SharePayload{}, errors.New("dkg: empty encryption key")
	}
	plain := CiphertextLen(g, want)
	switch len(ct) {
	case plain:
		pt, err := hpke.Open(sk.sk, shareKDF, shareAEAD, ctx.info(), ct)
		if err != nil {
			return SharePayload{}, fmt.Errorf("dkg: decrypt share from %d: %w", ctx.Dealer, err)
		}
		defer clear(pt)
		return DecodeSharePayload(g, want, pt)
	case plain + SealOverhead:
	default:
		return SharePayload{}, fmt.Errorf("dkg: share ciphertext of %d bytes, want %d or %d", len(ct), plain, plain+SealOverhead)
	}
	enc := ct[:encLen]
	seq := binary.BigEndian.Uint32(ct[encLen:])
	var (
		r   *hpke.Recipient
		err error
	)
	if o != nil {
		r, err = o.recipient(enc, ctx.Dealer, ctx.Recipient)
	} else {
		r, err = hpke.NewRecipient(enc, sk.sk, shareKDF, shareAEAD, sealInfo(ctx.Dealer, ctx.Recipient))
	}
	if err != nil {
		return SharePayload{}, fmt.Errorf("dkg: decrypt share from %d: %w", ctx.Dealer, err)
	}
	key, err := r.Export(sealKeyContext(seq, ctx), 32)
	if err != nil {
		return SharePayload{}, fmt.Errorf("dkg: decrypt share from %d: %w", ctx.Dealer, err)
	}
	aead, err := newSealAEAD(key)
	clear(key)
	if err != nil {
		return SharePayload{}, err
	}
	pt, err := aead.Open(nil, make([]byte, aead.NonceSize()), ct[encLen+SealOverhead:], ctx.info())
	if err != nil {
		return SharePayload{}, fmt.Errorf("dkg: decrypt share from %d: %w", ctx.Dealer, err)
	}
	defer clear(pt)
	return DecodeSharePayload(g, want, pt)
}
