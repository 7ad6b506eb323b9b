package rerandomize

import (
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/transcript"
)

// Scheme is one signature scheme's random oracle for δ: its transcript
// domain and the labels under which the request's message, the
// presignature's nonce and the optional auxiliary input are absorbed.
type Scheme struct {
	// Domain is the transcript's protocol tag, for example
	// "chainkey/tecdsa/rerandomize-presig-v1".
	Domain string
	// MessageLabel labels Request.Message ("message-hash" for ECDSA, which
	// signs a hash; "message" for Schnorr).
	MessageLabel string
	// NonceLabel labels Request.Nonce ("kappa" for ECDSA, "nonce" for
	// Schnorr).
	NonceLabel string
	// AuxLabel labels Request.Aux when it is not nil (Schnorr's
	// "taproot-merkle-root").
	AuxLabel string
}

// ECDSADomain is threshold ECDSA's domain (ecdsa.RerandomizeTag).
const ECDSADomain = "chainkey/tecdsa/rerandomize-presig-v1"

// ECDSA returns threshold ECDSA's scheme: the message hash is bound as
// "message-hash" and K as "kappa".
func ECDSA() Scheme {
	return Scheme{Domain: ECDSADomain, MessageLabel: "message-hash", NonceLabel: "kappa"}
}

// Schnorr returns the scheme of the threshold Schnorr variant named alg
// ("bip340secp256k1" or "ed25519"): the message is bound as "message", K as
// "nonce" and the BIP341 taproot tree root, if any, as
// "taproot-merkle-root".
func Schnorr(alg string) Scheme {
	return Scheme{Domain: "chainkey/tschnorr/" + alg + "/rerandomize-presig-v1",
		MessageLabel: "message", NonceLabel: "nonce", AuxLabel: "taproot-merkle-root"}
}

// Request holds the public values one signing request fixes.
type Request struct {
	// PresignatureID is the id of the presignature used.
	PresignatureID []byte
	// Randomness is the value fixed after the request and the
	// presignature.
	Randomness []byte
	// Message is what is signed: the message or its hash.
	Message []byte
	// Nonce is the presignature's public nonce K.
	Nonce group.Point
	// Key is the master public key (the key transcript's public value).
	Key group.Point
	// Tweak is the canonical encoding of the derivation tweak t of the
	// requested key (derivation.Key.Tweak).
	Tweak []byte
	// Aux, if not nil, is absorbed last under Scheme.AuxLabel; an empty
	// non-nil value is absorbed too.
	Aux []byte
}

// Nonce is a presignature's nonce re-randomised for one request.
type Nonce struct {
	// Tweak is the derivation tweak t, decoded.
	Tweak group.Scalar
	// Delta is the re-randomiser δ.
	Delta group.Scalar
	// R is K + δ·G, never the identity.
	R group.Point
}

// Rerandomize decodes the request's tweak, derives δ from the scheme's
// random oracle over the request and returns t, δ and R = K + δ·G. It fails
// if the tweak is not a canonical scalar of g or if R is the identity. All
// inputs are public; δ·G is computed in variable time.
func (s Scheme) Rerandomize(g group.Group, req *Request) (*Nonce, error) {
	tweak, err := g.DecodeScalar(req.Tweak)
	if err != nil {
		return nil, fmt.Errorf("rerandomize: derivation tweak: %w", err)
	}
	ro := transcript.New(s.Domain)
	ro.AppendBytes("presignature-id", req.PresignatureID)
	ro.AppendBytes("randomness", req.Randomness)
	ro.AppendBytes(s.MessageLabel, req.Message)
	ro.AppendPoint(s.NonceLabel, g, req.Nonce)
	ro.AppendPoint("key", g, req.Key)
	ro.AppendScalar("key-tweak", g, tweak)
	if req.Aux != nil {
		ro.AppendBytes(s.AuxLabel, req.Aux)
	}
	delta := ro.Challenge("delta", g)
	r := g.NewPoint().Add(req.Nonce, idkg.PublicBaseMult(g, delta))
	if r.IsIdentity() {
		return nil, errors.New("rerandomize: re-randomised nonce is the identity")
	}
	return &Nonce{Tweak: tweak, Delta: delta, R: r}, nil
}
