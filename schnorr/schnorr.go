package schnorr

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"math/big"

	"filippo.io/edwards25519"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/derivation"
	"github.com/chainkey/chainkey/internal/group"
	ged "github.com/chainkey/chainkey/internal/group/ed25519"
	gsecp "github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
	"github.com/chainkey/chainkey/internal/rerandomize"
)

// Algorithm is a threshold Schnorr variant.
type Algorithm uint8

const (
	// BIP340 is BIP340 Schnorr over secp256k1 (bip340secp256k1).
	BIP340 Algorithm = 1
	// Ed25519 is RFC 8032 Ed25519 (ed25519).
	Ed25519 Algorithm = 2
)

// String returns the Internet Computer's name of the algorithm.
func (a Algorithm) String() string {
	switch a {
	case BIP340:
		return "bip340secp256k1"
	case Ed25519:
		return "ed25519"
	}
	return fmt.Sprintf("Algorithm(%d)", uint8(a))
}

// Group returns the algorithm's group.
func (a Algorithm) Group() group.Group {
	if a == Ed25519 {
		return ged.Group()
	}
	return gsecp.Group()
}

func (a Algorithm) valid() bool { return a == BIP340 || a == Ed25519 }

// Errors.
var (
	// ErrPresignatureReused is returned when a presignature was already
	// consumed. ConsumptionLog implementations return it (wrapped).
	ErrPresignatureReused = errors.New("schnorr: presignature already used")
	// ErrInvalidShare is returned (wrapped) for a bad signature share.
	ErrInvalidShare = errors.New("schnorr: invalid signature share")
)

// RandomnessLen is the length of the per-request randomness.
const RandomnessLen = 32

// ConsumptionLog records, durably, which presignatures a node has used; see
// ecdsa.ConsumptionLog for the contract, which is the same.
type ConsumptionLog interface {
	// Consume durably records that the presignature id is used, and
	// returns an error wrapping ErrPresignatureReused if it already was.
	Consume(id []byte) error
}

// Presignature is the public part of a Schnorr presignature: the nonce
// transcript (RandomUnmasked), bound to one key transcript.
type Presignature struct {
	ID        []byte
	Algorithm Algorithm
	KeyID     []byte
	Nonce     *idkg.Transcript

	keyCommitment *idkg.Commitment
}

func checkKey(alg Algorithm, key *idkg.Transcript) error {
	if !alg.valid() {
		return fmt.Errorf("schnorr: unknown algorithm %v", alg)
	}
	if key == nil || key.Masked() || key.Group().Name() != alg.Group().Name() {
		return fmt.Errorf("schnorr: the key must be an unmasked %s transcript", alg.Group().Name())
	}
	return nil
}

// NewPresignature checks that nonce is an unmasked transcript of key's
// group, receivers and threshold and returns the presignature.
func NewPresignature(id []byte, alg Algorithm, key, nonce *idkg.Transcript) (*Presignature, error) {
	if len(id) == 0 {
		return nil, errors.New("schnorr: empty presignature id")
	}
	if err := checkKey(alg, key); err != nil {
		return nil, err
	}
	if nonce == nil || nonce.Kind != idkg.RandomUnmasked || nonce.Group().Name() != key.Group().Name() ||
		nonce.Receivers != key.Receivers || nonce.Threshold != key.Threshold {
		return nil, errors.New("schnorr: the nonce must be a RandomUnmasked transcript of the key's subnet")
	}
	return &Presignature{ID: bytes.Clone(id), Algorithm: alg, KeyID: bytes.Clone(key.ID), Nonce: nonce,
		keyCommitment: key.Commitment()}, nil
}

// PresignatureShare is a node's secret nonce share κ_i. SignShare wipes it.
type PresignatureShare struct {
	id       []byte
	receiver int
	nonce    *idkg.Opening
	used     bool
}

// NewPresignatureShare checks receiver's nonce opening and returns its
// presignature share.
func NewPresignatureShare(p *Presignature, receiver int, nonce *idkg.Opening) (*PresignatureShare, error) {
	if receiver < 0 || receiver >= p.Nonce.Receivers {
		return nil, fmt.Errorf("schnorr: receiver %d out of range", receiver)
	}
	if err := p.Nonce.VerifyOpening(receiver, nonce); err != nil {
		return nil, fmt.Errorf("schnorr: nonce opening: %w", err)
	}
	return &PresignatureShare{id: bytes.Clone(p.ID), receiver: receiver, nonce: nonce}, nil
}

// Zeroize wipes the nonce share; it can no longer sign.
func (s *PresignatureShare) Zeroize() { s.nonce.Zeroize(); s.used = true }

// String redacts the share.
func (s *PresignatureShare) String() string {
	return fmt.Sprintf("schnorr.PresignatureShare(%x, receiver %d, REDACTED)", s.id, s.receiver)
}

// GoString redacts the share.
func (s *PresignatureShare) GoString() string { return s.String() }

// Format redacts the share for every verb.
func (s *PresignatureShare) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// Request is one signing request, agreed by consensus.
type Request struct {
	// Message is the message to sign (any length).
	Message []byte
	// Caller is the requesting canister's principal bytes.
	Caller []byte
	// DerivationPath is the request's derivation path.
	DerivationPath [][]byte
	// Randomness is the per-request value fixed only after the request.
	Randomness []byte
	// TaprootMerkleRoot, for BIP340 only, requests a signature under the
	// BIP341 output key: nil for none, empty for key-path-only, or the
	// 32-byte script tree root (sign_with_schnorr's aux bip341).
	TaprootMerkleRoot []byte
}

// DerivePublicKey returns the caller's key for path (schnorr_public_key):
// a 33-byte compressed key for BIP340 (the untweaked BIP341 internal key)
// or a 32-byte key for Ed25519, with its chain code.
func DerivePublicKey(alg Algorithm, key *idkg.Transcript, caller []byte, path [][]byte) (*derivation.Key, error) {
	if err := checkKey(alg, key); err != nil {
		return nil, err
	}
	pk, _ := key.PublicValue()
	full := derivation.CanisterPath(caller, path)
	if alg == Ed25519 {
		return derivation.Ed25519(pk.Bytes(), derivation.ZeroChainCode(), full)
	}
	return derivation.Secp256k1(pk.Bytes(), derivation.ZeroChainCode(), full)
}

// signingContext holds the public values of one request.
type signingContext struct {
	alg                  Algorithm
	g                    group.Group
	delta, e, c          group.Scalar
	a, b                 group.Scalar // ±1
	r                    group.Point  // final nonce point (even y for BIP340)
	pub                  []byte       // key the signature verifies under
	threshold, receivers int
}

func taggedHash(tag string, parts ...[]byte) []byte {
	th := sha256.Sum256([]byte(tag))
	h := sha256.New()
	h.Write(th[:])
	h.Write(th[:])
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func newContext(key *idkg.Transcript, p *Presignature, req *Request) (*signingContext, error) {
	alg := p.Algorithm
	if err := checkKey(alg, key); err != nil {
		return nil, err
	}
	if !bytes.Equal(p.KeyID, key.ID) || !p.keyCommitment.Equal(key.Commitment()) {
		return nil, errors.New("schnorr: presignature made for another key")
	}
	if len(req.Randomness) != RandomnessLen {
		return nil, fmt.Errorf("schnorr: randomness is %d bytes, want %d", len(req.Randomness), RandomnessLen)
	}
	if len(req.DerivationPath) > 255 {
		return nil, errors.New("schnorr: derivation path longer than 255 elements")
	}
	if req.TaprootMerkleRoot != nil && (alg != BIP340 || (len(req.TaprootMerkleRoot) != 0 && len(req.TaprootMerkleRoot) != 32)) {
		return nil, errors.New("schnorr: taproot merkle root must be empty or 32 bytes, and only for BIP340")
	}
	g := alg.Group()
	dk, err := DerivePublicKey(alg, key, req.Caller, req.DerivationPath)
	if err != nil {
		return nil, err
	}
	derived, err := g.DecodePoint(dk.PublicKey)
	if err != nil {
		return nil, err
	}
	k, _ := p.Nonce.PublicValue()
	master, _ := key.PublicValue()
	nonce, err := rerandomize.Schnorr(alg.String()).Rerandomize(g, &rerandomize.Request{PresignatureID: p.ID,
		Randomness: req.Randomness, Message: req.Message, Nonce: k, Key: master, Tweak: dk.Tweak,
		Aux: req.TaprootMerkleRoot})
	if err != nil {
		return nil, fmt.Errorf("schnorr: %w", err)
	}
	tweak, delta, r := nonce.Tweak, nonce.Delta, nonce.R
	one := g.NewScalar().SetUint64(1)
	ctx := &signingContext{alg: alg, g: g, delta: delta, a: g.NewScalar().Set(one), b: g.NewScalar().Set(one),
		c: tweak, threshold: key.Threshold, receivers: key.Receivers}
	if alg == Ed25519 {
		ctx.r = r
		ctx.pub = derived.Bytes()
		h := sha512.New()
		h.Write(r.Bytes())
		h.Write(ctx.pub)
		h.Write(req.Message)
		es, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
		ctx.e = ged.NewScalarFromEdwards(es)
		return ctx, nil
	}
	// BIP340: the secret of P' = P + t·G is x + t; negate if P' has odd y.
	q := derived
	if even, _ := q.(*gsecp.Point).HasEvenY(); !even {
		ctx.a.Neg(ctx.a)
		ctx.c.Neg(ctx.c)
		q = g.NewPoint().Neg(q)
	}
	if req.TaprootMerkleRoot != nil {
		px, _ := q.(*gsecp.Point).AffineX()
		tt := taggedHash("TapTweak", px, req.TaprootMerkleRoot)
		tts, err := g.DecodeScalar(tt)
		if err != nil {
			return nil, errors.New("schnorr: taproot tweak out of range")
		}
		q = g.NewPoint().Add(q, idkg.PublicBaseMult(g, tts))
		if q.IsIdentity() {
			return nil, errors.New("schnorr: taproot output key is the identity")
		}
		ctx.c.Add(ctx.c, tts)
		if even, _ := q.(*gsecp.Point).HasEvenY(); !even {
			ctx.a.Neg(ctx.a)
			ctx.c.Neg(ctx.c)
			q = g.NewPoint().Neg(q)
		}
	}
	if even, _ := r.(*gsecp.Point).HasEvenY(); !even {
		ctx.b.Neg(ctx.b)
		r = g.NewPoint().Neg(r)
	}
	ctx.r = r
	qx, _ := q.(*gsecp.Point).AffineX()
	rx, _ := r.(*gsecp.Point).AffineX()
	ctx.pub = qx
	ctx.e = g.ScalarFromBigInt(new(big.Int).SetBytes(taggedHash("BIP0340/challenge", rx, qx, req.Message)))
	return ctx, nil
}

// SignatureShare is one node's signature share s_i. It is public.
type SignatureShare struct {
	Signer int
	Value  group.Scalar
}

// MarshalBinary returns the signer (4 bytes big-endian) and the scalar.
func (s *SignatureShare) MarshalBinary() ([]byte, error) {
	out := []byte{byte(s.Signer >> 24), byte(s.Signer >> 16), byte(s.Signer >> 8), byte(s.Signer)}
	return append(out, s.Value.Bytes()...), nil
}

// UnmarshalSignatureShare strictly decodes a share of alg.
func UnmarshalSignatureShare(alg Algorithm, b []byte) (*SignatureShare, error) {
	if !alg.valid() {
		return nil, errors.New("schnorr: unknown algorithm")
	}
	g := alg.Group()
	if len(b) != 4+g.ScalarLen() {
		return nil, fmt.Errorf("schnorr: signature share is %d bytes, want %d", len(b), 4+g.ScalarLen())
	}
	signer := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if signer >= poly.MaxIndex {
		return nil, errors.New("schnorr: signer out of range")
	}
	v, err := g.DecodeScalar(b[4:])
	if err != nil {
		return nil, fmt.Errorf("schnorr: share value: %w", err)
	}
	return &SignatureShare{Signer: signer, Value: v}, nil
}

// SignShare makes this node's signature share for req from its share of the
// key (keyShare, its opening of the key transcript) and of the
// presignature. It calls log.Consume(p.ID) before anything secret is used
// and wipes ps before returning; the node deletes ps from storage before
// sending the share and never uses p again, even if the combination fails
// (the contract of ecdsa.SignShare).
func SignShare(key *idkg.Transcript, keyShare *idkg.Opening, p *Presignature, ps *PresignatureShare, req *Request, log ConsumptionLog) (*SignatureShare, error) {
	if ps == nil || ps.used {
		return nil, fmt.Errorf("schnorr: sign: %w", ErrPresignatureReused)
	}
	if !bytes.Equal(ps.id, p.ID) {
		return nil, errors.New("schnorr: sign: presignature share of another presignature")
	}
	ctx, err := newContext(key, p, req)
	if err != nil {
		return nil, err
	}
	if keyShare == nil || keyShare.Value == nil {
		return nil, errors.New("schnorr: sign: missing key share")
	}
	if log == nil {
		return nil, errors.New("schnorr: sign: no consumption log")
	}
	if err := log.Consume(p.ID); err != nil {
		return nil, fmt.Errorf("schnorr: sign with presignature %x: %w", p.ID, err)
	}
	defer ps.Zeroize()
	g := ctx.g
	// s_i = b·(κ_i + δ) + e·(a·x_i + c)
	k := g.NewScalar().Add(ps.nonce.Value, ctx.delta)
	k.Mul(k, ctx.b)
	x := g.NewScalar().Mul(ctx.a, keyShare.Value)
	x.Add(x, ctx.c)
	x.Mul(x, ctx.e)
	s := g.NewScalar().Add(k, x)
	k.Zeroize()
	x.Zeroize()
	return &SignatureShare{Signer: ps.receiver, Value: s}, nil
}

// VerifyShare checks s_i·G = b·(K_i + δ·G) + e·(a·X_i + c·G).
func VerifyShare(key *idkg.Transcript, p *Presignature, req *Request, s *SignatureShare) error {
	ctx, err := newContext(key, p, req)
	if err != nil {
		return err
	}
	return ctx.verifyShare(key, p, s)
}

func (ctx *signingContext) verifyShare(key *idkg.Transcript, p *Presignature, s *SignatureShare) error {
	if s == nil || s.Value == nil {
		return fmt.Errorf("%w: malformed", ErrInvalidShare)
	}
	if s.Signer < 0 || s.Signer >= ctx.receivers {
		return fmt.Errorf("%w: signer %d out of range", ErrInvalidShare, s.Signer)
	}
	g := ctx.g
	// s_i·G − (b·δ + e·c)·G − b·K_i − e·a·X_i = O, with K_i and X_i the
	// public shares (commitments evaluated with small scalars).
	ki, err := p.Nonce.PublicShare(s.Signer)
	if err != nil {
		return err
	}
	xi, err := key.PublicShare(s.Signer)
	if err != nil {
		return err
	}
	gc := g.NewScalar().Mul(ctx.b, ctx.delta)
	gc.Add(gc, g.NewScalar().Mul(ctx.e, ctx.c))
	gc.Sub(s.Value, gc)
	ea := g.NewScalar().Mul(ctx.e, ctx.a)
	sum := g.NewPoint().VarTimeScalarMult(ea.Neg(ea), xi)
	if ctx.b.Equal(g.NewScalar().SetUint64(1)) {
		sum.Sub(sum, ki)
	} else {
		sum.Add(sum, ki)
	}
	if !sum.Add(sum, idkg.PublicBaseMult(g, gc)).IsIdentity() {
		return fmt.Errorf("%w: signer %d", ErrInvalidShare, s.Signer)
	}
	return nil
}

// Signature is a combined Schnorr signature.
type Signature struct {
	// Bytes is the 64-byte signature: R.x‖s for BIP340, R‖s for Ed25519.
	Bytes []byte
	// PublicKey is the key it verifies under: the 32-byte x-only (possibly
	// taproot-tweaked) key for BIP340, the 32-byte key for Ed25519.
	PublicKey []byte
}

// Combine combines signature shares for req, as ecdsa.Combine does: it
// combines the f+1 shares of lowest signer index and verifies the result;
// only if that fails is every share checked, bad ones named as culprits
// and ignored.
func Combine(key *idkg.Transcript, p *Presignature, req *Request, shares []*SignatureShare) (*Signature, []int, error) {
	ctx, err := newContext(key, p, req)
	if err != nil {
		return nil, nil, err
	}
	sig, culprits, err := idkg.CombineShares(idkg.ShareCombiner[*SignatureShare, *Signature]{
		Signer: func(s *SignatureShare) (int, bool) {
			if s == nil || s.Value == nil {
				return 0, false
			}
			return s.Signer, true
		},
		Receivers: ctx.receivers,
		Threshold: ctx.threshold,
		Combine:   func(v []*SignatureShare) (*Signature, error) { return ctx.combine(req, v) },
		Verify:    func(s *SignatureShare) error { return ctx.verifyShare(key, p, s) },
	}, shares)
	if err != nil {
		return nil, culprits, fmt.Errorf("schnorr: %w", err)
	}
	return sig, culprits, nil
}

func (ctx *signingContext) combine(req *Request, shares []*SignatureShare) (*Signature, error) {
	idx := make([]int, len(shares))
	vals := make([]group.Scalar, len(shares))
	for j, s := range shares {
		idx[j], vals[j] = s.Signer, s.Value
	}
	s, err := poly.InterpolateScalar(ctx.g, idx, vals)
	if err != nil {
		return nil, err
	}
	var sig []byte
	if ctx.alg == Ed25519 {
		sig = append(ctx.r.Bytes(), s.Bytes()...)
		if !ed25519.Verify(ctx.pub, req.Message, sig) {
			return nil, errors.New("schnorr: combined Ed25519 signature does not verify")
		}
	} else {
		rx, _ := ctx.r.(*gsecp.Point).AffineX()
		sig = append(rx, s.Bytes()...)
		if err := VerifyBIP340(ctx.pub, req.Message, sig); err != nil {
			return nil, fmt.Errorf("schnorr: combined signature: %w", err)
		}
	}
	return &Signature{Bytes: sig, PublicKey: bytes.Clone(ctx.pub)}, nil
}

// VerifyBIP340 verifies a BIP340 signature (64 bytes) on a message of any
// length under a 32-byte x-only public key, exactly as BIP340's Verify.
func VerifyBIP340(publicKey, msg, sig []byte) error {
	g := gsecp.Group()
	if len(publicKey) != 32 {
		return fmt.Errorf("schnorr: BIP340 public key is %d bytes, want 32", len(publicKey))
	}
	if len(sig) != 64 {
		return fmt.Errorf("schnorr: BIP340 signature is %d bytes, want 64", len(sig))
	}
	// lift_x: the point with x = pk and even y; rejects x ≥ p and x not on
	// the curve.
	p, err := g.DecodePoint(append([]byte{2}, publicKey...))
	if err != nil {
		return fmt.Errorf("schnorr: BIP340 public key: %w", err)
	}
	s, err := g.DecodeScalar(sig[32:])
	if err != nil {
		return errors.New("schnorr: BIP340 s out of range")
	}
	e := g.ScalarFromBigInt(new(big.Int).SetBytes(taggedHash("BIP0340/challenge", sig[:32], publicKey, msg)))
	r := g.NewPoint().VarTimeScalarMult(g.NewScalar().Neg(e), p)
	r.Add(r, idkg.PublicBaseMult(g, s))
	if r.IsIdentity() {
		return errors.New("schnorr: BIP340 R is infinite")
	}
	if even, _ := r.(*gsecp.Point).HasEvenY(); !even {
		return errors.New("schnorr: BIP340 R has odd y")
	}
	if rx, _ := r.(*gsecp.Point).AffineX(); !bytes.Equal(rx, sig[:32]) {
		return errors.New("schnorr: BIP340 signature does not verify")
	}
	return nil
}

// VerifyEd25519 verifies an RFC 8032 Ed25519 signature (crypto/ed25519).
func VerifyEd25519(publicKey, msg, sig []byte) error {
	if len(publicKey) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return errors.New("schnorr: Ed25519 key or signature of the wrong length")
	}
	if !ed25519.Verify(publicKey, msg, sig) {
		return errors.New("schnorr: Ed25519 signature does not verify")
	}
	return nil
}
