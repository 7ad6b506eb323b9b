package ecdsa

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	decdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/derivation"
	"github.com/chainkey/chainkey/internal/group"
	gsecp "github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/poly"
	"github.com/chainkey/chainkey/internal/rerandomize"
)

// RerandomizeTag is the random-oracle domain from which δ is derived:
// "chainkey/tecdsa/rerandomize-presig-v1".
const RerandomizeTag = rerandomize.ECDSADomain

// HashLen is the length of the message hash that is signed.
const HashLen = 32

// RandomnessLen is the length of the per-request randomness.
const RandomnessLen = 32

// Errors.
var (
	// ErrPresignatureReused is returned when a presignature was already
	// consumed. ConsumptionLog implementations return it (wrapped).
	ErrPresignatureReused = errors.New("ecdsa: presignature already used")
	// ErrInvalidShare is returned (wrapped) for a signature share that does
	// not match the presignature's commitments.
	ErrInvalidShare = errors.New("ecdsa: invalid signature share")
)

func curve() group.Group { return gsecp.Group() }

// Presignature is the public part of a presignature: its id and the four
// transcripts, all agreed by consensus. It is bound to one key transcript.
type Presignature struct {
	ID                                    []byte
	KeyID                                 []byte
	Kappa, Lambda, KappaLambda, KeyLambda *idkg.Transcript

	keyCommitment *idkg.Commitment
}

func sameIDs(got [][]byte, want ...[]byte) bool {
	return slices.EqualFunc(got, want, func(a, b []byte) bool { return bytes.Equal(a, b) })
}

// NewPresignature checks that the transcripts form a presignature for key:
// κ unmasked, λ masked, κλ the product of κ and λ, xλ the product of the key
// and λ, all over secp256k1 with the key's receivers and threshold.
func NewPresignature(id []byte, key, kappa, lambda, kappaLambda, keyLambda *idkg.Transcript) (*Presignature, error) {
	if len(id) == 0 {
		return nil, errors.New("ecdsa: empty presignature id")
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	for _, t := range []*idkg.Transcript{kappa, lambda, kappaLambda, keyLambda} {
		if t == nil || t.Group().Name() != gsecp.Name || t.Receivers != key.Receivers || t.Threshold != key.Threshold {
			return nil, errors.New("ecdsa: presignature transcript does not match the key's subnet")
		}
	}
	switch {
	case kappa.Masked():
		return nil, errors.New("ecdsa: κ must be unmasked")
	case !lambda.Masked():
		return nil, errors.New("ecdsa: λ must be masked")
	case kappaLambda.Kind != idkg.UnmaskedTimesMasked || !sameIDs(kappaLambda.Inputs, kappa.ID, lambda.ID):
		return nil, errors.New("ecdsa: κλ is not the product of κ and λ")
	case keyLambda.Kind != idkg.UnmaskedTimesMasked || !sameIDs(keyLambda.Inputs, key.ID, lambda.ID):
		return nil, errors.New("ecdsa: xλ is not the product of the key and λ")
	}
	return &Presignature{ID: bytes.Clone(id), KeyID: bytes.Clone(key.ID),
		Kappa: kappa, Lambda: lambda, KappaLambda: kappaLambda, KeyLambda: keyLambda,
		keyCommitment: key.Commitment()}, nil
}

func checkKey(key *idkg.Transcript) error {
	if key == nil || key.Masked() || key.Group().Name() != gsecp.Name {
		return errors.New("ecdsa: the key transcript must be an unmasked secp256k1 transcript")
	}
	return nil
}

// PresignatureShare is one node's secret part of a presignature: its
// openings of λ, κλ and xλ. It is consumed by SignShare, which wipes it.
type PresignatureShare struct {
	id                             []byte
	receiver                       int
	lambda, kappaLambda, keyLambda *idkg.Opening
	used                           bool
}

// NewPresignatureShare returns receiver's share of the presignature from
// its openings of λ, κλ and xλ, as idkg.Transcript.ComputeOpening returned
// them from openings checked against their dealings. Only their shape is
// checked here, so that the product transcripts' commitments need not be
// computed (Presignature's transcripts compute them when a signature share
// has to be verified); use the transcripts' VerifyOpening for a full check.
func NewPresignatureShare(p *Presignature, receiver int, lambda, kappaLambda, keyLambda *idkg.Opening) (*PresignatureShare, error) {
	if receiver < 0 || receiver >= p.Lambda.Receivers {
		return nil, fmt.Errorf("ecdsa: receiver %d out of range", receiver)
	}
	for _, o := range []*idkg.Opening{lambda, kappaLambda, keyLambda} {
		if o == nil || o.Value == nil || o.Mask == nil {
			return nil, errors.New("ecdsa: presignature opening missing or not masked")
		}
	}
	return &PresignatureShare{id: bytes.Clone(p.ID), receiver: receiver,
		lambda: lambda, kappaLambda: kappaLambda, keyLambda: keyLambda}, nil
}

// ID returns the presignature's id.
func (s *PresignatureShare) ID() []byte { return bytes.Clone(s.id) }

// Zeroize wipes the secret openings; the share can no longer sign.
func (s *PresignatureShare) Zeroize() {
	s.lambda.Zeroize()
	s.kappaLambda.Zeroize()
	s.keyLambda.Zeroize()
	s.used = true
}

// String redacts the share.
func (s *PresignatureShare) String() string {
	return fmt.Sprintf("ecdsa.PresignatureShare(%x, receiver %d, REDACTED)", s.id, s.receiver)
}

// GoString redacts the share.
func (s *PresignatureShare) GoString() string { return s.String() }

// Format redacts the share for every verb.
func (s *PresignatureShare) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// ConsumptionLog records, durably, which presignatures a node has used.
// The node provides it (typically a key in its crash-safe store).
type ConsumptionLog interface {
	// Consume records that the presignature with this id is used. It must
	// be atomic and durable (synced) before it returns nil, and it must
	// return an error wrapping ErrPresignatureReused if the id was already
	// consumed — also after a restart.
	Consume(id []byte) error
}

// Request is one signing request, agreed by consensus.
type Request struct {
	// MessageHash is the 32-byte hash to sign (sign_with_ecdsa's
	// message_hash).
	MessageHash []byte
	// Caller is the requesting canister's principal bytes; it is
	// prepended to the derivation path.
	Caller []byte
	// DerivationPath is the request's derivation path.
	DerivationPath [][]byte
	// Randomness is the per-request value fixed only after the request
	// and the presignature were (the random beacon of a later round).
	Randomness []byte
}

func (r *Request) check() error {
	if len(r.MessageHash) != HashLen {
		return fmt.Errorf("ecdsa: message hash is %d bytes, want %d", len(r.MessageHash), HashLen)
	}
	if len(r.Randomness) != RandomnessLen {
		return fmt.Errorf("ecdsa: randomness is %d bytes, want %d", len(r.Randomness), RandomnessLen)
	}
	if len(r.DerivationPath) > 255 {
		return errors.New("ecdsa: derivation path longer than 255 elements")
	}
	return nil
}

// DerivePublicKey returns the caller's key for path (ecdsa_public_key):
// the 33-byte compressed key and chain code derived from the key
// transcript's public key and the zero master chain code.
func DerivePublicKey(key *idkg.Transcript, caller []byte, path [][]byte) (*derivation.Key, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	pk, _ := key.PublicValue()
	return derivation.Secp256k1(pk.Bytes(), derivation.ZeroChainCode(), derivation.CanisterPath(caller, path))
}

// signingContext holds the public values of one request.
type signingContext struct {
	g                    group.Group
	tweak, delta, rho    group.Scalar
	theta                group.Scalar
	r                    group.Point
	derived              []byte
	threshold, receivers int
}

func newContext(key *idkg.Transcript, p *Presignature, req *Request) (*signingContext, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if !bytes.Equal(p.KeyID, key.ID) || p.keyCommitment == nil || !p.keyCommitment.Equal(key.Commitment()) {
		return nil, errors.New("ecdsa: presignature made for another key")
	}
	g := curve()
	dk, err := DerivePublicKey(key, req.Caller, req.DerivationPath)
	if err != nil {
		return nil, err
	}
	k, _ := p.Kappa.PublicValue()
	pk, _ := key.PublicValue()
	nonce, err := rerandomize.ECDSA().Rerandomize(g, &rerandomize.Request{PresignatureID: p.ID,
		Randomness: req.Randomness, Message: req.MessageHash, Nonce: k, Key: pk, Tweak: dk.Tweak})
	if err != nil {
		return nil, fmt.Errorf("ecdsa: %w", err)
	}
	tweak, delta, r := nonce.Tweak, nonce.Delta, nonce.R
	rx, _ := r.(*gsecp.Point).AffineX()
	rho := g.ScalarFromBigInt(new(big.Int).SetBytes(rx))
	if rho.IsZero() {
		return nil, errors.New("ecdsa: r = 0")
	}
	e := g.ScalarFromBigInt(new(big.Int).SetBytes(req.MessageHash))
	theta := g.NewScalar().Mul(rho, tweak)
	theta.Add(theta, e)
	return &signingContext{g: g, tweak: tweak, delta: delta, rho: rho, theta: theta, r: r,
		derived: dk.PublicKey, threshold: key.Threshold, receivers: key.Receivers}, nil
}

// SignatureShare is one node's signature share: openings of the numerator
// ν and the denominator μ (values and Pedersen masks). It is public.
type SignatureShare struct {
	Signer      int
	Numerator   *idkg.Opening
	Denominator *idkg.Opening
}

// MarshalBinary returns the share's encoding: signer (4 bytes) and four
// 32-byte scalars.
func (s *SignatureShare) MarshalBinary() ([]byte, error) {
	out := []byte{byte(s.Signer >> 24), byte(s.Signer >> 16), byte(s.Signer >> 8), byte(s.Signer)}
	out = append(out, idkg.EncodeOpening(s.Numerator)...)
	return append(out, idkg.EncodeOpening(s.Denominator)...), nil
}

// UnmarshalSignatureShare strictly decodes a signature share.
func UnmarshalSignatureShare(b []byte) (*SignatureShare, error) {
	g := curve()
	if len(b) != 4+4*g.ScalarLen() {
		return nil, fmt.Errorf("ecdsa: signature share is %d bytes, want %d", len(b), 4+4*g.ScalarLen())
	}
	signer := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if signer >= poly.MaxIndex {
		return nil, errors.New("ecdsa: signer out of range")
	}
	num, err := idkg.DecodeOpening(g, idkg.Pedersen, b[4:4+2*g.ScalarLen()])
	if err != nil {
		return nil, fmt.Errorf("ecdsa: share numerator: %w", err)
	}
	den, err := idkg.DecodeOpening(g, idkg.Pedersen, b[4+2*g.ScalarLen():])
	if err != nil {
		return nil, fmt.Errorf("ecdsa: share denominator: %w", err)
	}
	return &SignatureShare{Signer: signer, Numerator: num, Denominator: den}, nil
}

// SignShare makes this node's signature share for req with the
// presignature p and the node's share of it.
//
// The contract with the node: before anything else SignShare calls
// log.Consume(p.ID); if that fails it returns the error and computes
// nothing. After computing the share it wipes ps (so the same in-memory
// share cannot sign twice) and only then returns the share. The node must
// delete its stored copy of ps (or have Consume's record make it unusable)
// before it sends the share, and must never sign with p again, even when the
// combination of this request's shares fails: a failed request takes a new
// presignature.
func SignShare(key *idkg.Transcript, p *Presignature, ps *PresignatureShare, req *Request, log ConsumptionLog) (*SignatureShare, error) {
	if ps == nil || ps.used {
		return nil, fmt.Errorf("ecdsa: sign: %w", ErrPresignatureReused)
	}
	if !bytes.Equal(ps.id, p.ID) {
		return nil, errors.New("ecdsa: sign: presignature share of another presignature")
	}
	ctx, err := newContext(key, p, req)
	if err != nil {
		return nil, err
	}
	if log == nil {
		return nil, errors.New("ecdsa: sign: no consumption log")
	}
	if err := log.Consume(p.ID); err != nil {
		return nil, fmt.Errorf("ecdsa: sign with presignature %x: %w", p.ID, err)
	}
	defer ps.Zeroize()
	g := ctx.g
	lin := func(a group.Scalar, x *idkg.Opening, b group.Scalar, y *idkg.Opening) *idkg.Opening {
		v := g.NewScalar().Mul(a, x.Value)
		v.Add(v, g.NewScalar().Mul(b, y.Value))
		m := g.NewScalar().Mul(a, x.Mask)
		m.Add(m, g.NewScalar().Mul(b, y.Mask))
		return &idkg.Opening{Value: v, Mask: m}
	}
	one := g.NewScalar().SetUint64(1)
	return &SignatureShare{
		Signer:      ps.receiver,
		Numerator:   lin(ctx.theta, ps.lambda, ctx.rho, ps.keyLambda),
		Denominator: lin(ctx.delta, ps.lambda, one, ps.kappaLambda),
	}, nil
}

// VerifyShare checks a signature share against the presignature's
// commitments: ν_i·G + ν'_i·H = θ·Λ(x_i) + ρ·XΛ(x_i) and
// μ_i·G + μ'_i·H = δ·Λ(x_i) + KΛ(x_i).
func VerifyShare(key *idkg.Transcript, p *Presignature, req *Request, s *SignatureShare) error {
	ctx, err := newContext(key, p, req)
	if err != nil {
		return err
	}
	return ctx.verifyShare(p, s)
}

func (ctx *signingContext) verifyShare(p *Presignature, s *SignatureShare) error {
	if s == nil || s.Numerator == nil || s.Denominator == nil || s.Numerator.Mask == nil || s.Denominator.Mask == nil {
		return fmt.Errorf("%w: malformed", ErrInvalidShare)
	}
	if s.Signer < 0 || s.Signer >= ctx.receivers {
		return fmt.Errorf("%w: signer %d out of range", ErrInvalidShare, s.Signer)
	}
	g := ctx.g
	h := p.Lambda.Config().H()
	// Public shares at the signer's index: the commitments evaluated with
	// small scalars x^k, then one multi-scalar multiplication per equation.
	lam, err := p.Lambda.PublicShare(s.Signer)
	if err != nil {
		return err
	}
	xl, err := p.KeyLambda.PublicShare(s.Signer)
	if err != nil {
		return err
	}
	kl, err := p.KappaLambda.PublicShare(s.Signer)
	if err != nil {
		return err
	}
	neg := func(a group.Scalar) group.Scalar { return g.NewScalar().Neg(a) }
	// ν·G + ν'·H − θ·Λ_i − ρ·XΛ_i = O
	num, err := g.MultiScalarMult([]group.Scalar{s.Numerator.Mask, neg(ctx.theta), neg(ctx.rho)}, []group.Point{h, lam, xl})
	if err != nil || !num.Add(num, idkg.PublicBaseMult(g, s.Numerator.Value)).IsIdentity() {
		return fmt.Errorf("%w: numerator of signer %d", ErrInvalidShare, s.Signer)
	}
	// μ·G + μ'·H − δ·Λ_i − KΛ_i = O
	den, err := g.MultiScalarMult([]group.Scalar{s.Denominator.Mask, neg(ctx.delta)}, []group.Point{h, lam})
	if err != nil {
		return fmt.Errorf("%w: denominator of signer %d", ErrInvalidShare, s.Signer)
	}
	den.Add(den, idkg.PublicBaseMult(g, s.Denominator.Value))
	if !den.Sub(den, kl).IsIdentity() {
		return fmt.Errorf("%w: denominator of signer %d", ErrInvalidShare, s.Signer)
	}
	return nil
}

// Signature is a combined ECDSA signature.
type Signature struct {
	// R and S are the 32-byte big-endian signature values; S is low
	// (at most n/2).
	R, S [32]byte
	// RecoveryID is Ethereum's v − 27: bit 0 is the parity of R's y, bit 1
	// is set if R.x ≥ n.
	RecoveryID byte
	// PublicKey is the derived 33-byte key the signature verifies under.
	PublicKey []byte
}

// Bytes returns r‖s (64 bytes), as sign_with_ecdsa returns it.
func (s *Signature) Bytes() []byte { return append(append([]byte{}, s.R[:]...), s.S[:]...) }

// Combine combines signature shares into a signature for req. It first
// combines the shares of the lowest signer indices and checks the resulting
// signature; only if that fails is every share verified, the invalid ones
// are returned as culprits and ignored, and the valid ones combined. It
// fails if fewer than f+1 valid shares remain; the presignature must then
// not be used again (see SignShare).
func Combine(key *idkg.Transcript, p *Presignature, req *Request, shares []*SignatureShare) (*Signature, []int, error) {
	ctx, err := newContext(key, p, req)
	if err != nil {
		return nil, nil, err
	}
	sig, culprits, err := idkg.CombineShares(idkg.ShareCombiner[*SignatureShare, *Signature]{
		Signer: func(s *SignatureShare) (int, bool) {
			if s == nil || s.Numerator == nil || s.Denominator == nil {
				return 0, false
			}
			return s.Signer, true
		},
		Receivers: ctx.receivers,
		Threshold: ctx.threshold,
		Combine:   func(v []*SignatureShare) (*Signature, error) { return ctx.combine(req, v) },
		Verify:    func(s *SignatureShare) error { return ctx.verifyShare(p, s) },
	}, shares)
	if err != nil {
		return nil, culprits, fmt.Errorf("ecdsa: %w", err)
	}
	return sig, culprits, nil
}

func (ctx *signingContext) combine(req *Request, shares []*SignatureShare) (*Signature, error) {
	g := ctx.g
	idx := make([]int, len(shares))
	nus := make([]group.Scalar, len(shares))
	mus := make([]group.Scalar, len(shares))
	for j, s := range shares {
		idx[j], nus[j], mus[j] = s.Signer, s.Numerator.Value, s.Denominator.Value
	}
	nu, err := poly.InterpolateScalar(g, idx, nus)
	if err != nil {
		return nil, err
	}
	mu, err := poly.InterpolateScalar(g, idx, mus)
	if err != nil {
		return nil, err
	}
	if mu.IsZero() {
		return nil, errors.New("ecdsa: zero denominator")
	}
	s := g.NewScalar().Mul(nu, g.NewScalar().Invert(mu))
	if s.IsZero() {
		return nil, errors.New("ecdsa: s = 0")
	}
	var sm secp256k1.ModNScalar
	sm.SetByteSlice(s.Bytes())
	even, _ := ctx.r.(*gsecp.Point).HasEvenY()
	var rec byte
	if !even {
		rec = 1
	}
	rx, _ := ctx.r.(*gsecp.Point).AffineX()
	if new(big.Int).SetBytes(rx).Cmp(g.Order()) >= 0 {
		rec |= 2
	}
	if sm.IsOverHalfOrder() {
		sm.Negate()
		rec ^= 1
	}
	sig := &Signature{RecoveryID: rec, PublicKey: bytes.Clone(ctx.derived)}
	copy(sig.R[:], ctx.rho.Bytes())
	sb := sm.Bytes()
	copy(sig.S[:], sb[:])
	if err := Verify(ctx.derived, req.MessageHash, sig.Bytes()); err != nil {
		return nil, fmt.Errorf("ecdsa: combined signature does not verify: %w", err)
	}
	return sig, nil
}

// RecoveryID returns the recovery id of a 64-byte r‖s signature on hash
// under the 33-byte compressed key publicKey: Ethereum's v − 27, bit 0 the
// parity of R's y, bit 1 set if R.x ≥ n. A certified reply holds only r‖s
// (as on the Internet Computer), so a node recovers the id when it answers:
// the candidate whose recovered key is publicKey. It fails if none is.
func RecoveryID(publicKey, hash, sig []byte) (byte, error) {
	if len(sig) != 64 {
		return 0, fmt.Errorf("ecdsa: recovery id: signature of %d bytes", len(sig))
	}
	compact := make([]byte, 65)
	copy(compact[1:], sig)
	for id := byte(0); id < 4; id++ {
		compact[0] = 27 + 4 + id // compressed key
		k, _, err := decdsa.RecoverCompact(compact, hash)
		if err == nil && bytes.Equal(k.SerializeCompressed(), publicKey) {
			return id, nil
		}
	}
	return 0, errors.New("ecdsa: recovery id: no candidate recovers the public key")
}

// Verify checks a 64-byte r‖s ECDSA signature on a 32-byte hash under a
// 33-byte compressed secp256k1 key. High-S signatures are rejected, as the
// signer only produces low-S ones.
func Verify(publicKey, hash, sig []byte) error {
	if len(hash) != HashLen {
		return fmt.Errorf("ecdsa: hash is %d bytes, want %d", len(hash), HashLen)
	}
	if len(sig) != 64 {
		return fmt.Errorf("ecdsa: signature is %d bytes, want 64", len(sig))
	}
	if len(publicKey) != secp256k1.PubKeyBytesLenCompressed {
		return errors.New("ecdsa: public key must be 33-byte SEC1 compressed")
	}
	pk, err := secp256k1.ParsePubKey(publicKey)
	if err != nil {
		return fmt.Errorf("ecdsa: public key: %w", err)
	}
	var r, s secp256k1.ModNScalar
	if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) || r.IsZero() || s.IsZero() {
		return errors.New("ecdsa: signature values out of range")
	}
	if s.IsOverHalfOrder() {
		return errors.New("ecdsa: high-S signature")
	}
	if !decdsa.NewSignature(&r, &s).Verify(hash, pk) {
		return errors.New("ecdsa: signature does not verify")
	}
	return nil
}
