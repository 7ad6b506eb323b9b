package api

import (
	"context"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

// VetKDNode is what a node offers for vetKD: public keys and encrypted
// key derivation under the subnet's vetKD master keys. It is separate from
// Node so that implementations without vetKD need not change; adapters
// check for it with a type assertion.
type VetKDNode interface {
	// VetKDPublicKey returns the 96-byte derived public key of caller
	// (in a canister id's place) and context under master key keyID, the
	// reply of vetkd_public_key.
	VetKDPublicKey(ctx context.Context, keyID string, caller principal.Principal, context []byte) ([]byte, error)
	// VetKDDeriveKey executes a verified derivation request and blocks
	// until the encrypted key is combined, checked by every node and
	// certified, or ctx ends.
	VetKDDeriveKey(ctx context.Context, req *VetKDRequest) (*VetKDResult, error)
}

// VetKDRequest is a caller's derivation request whose envelope was
// verified as VerifySignRequest verifies a signing request. Only
// VerifyVetKDRequest makes one.
type VetKDRequest struct {
	env     *ingress.Envelope
	content *ingress.VetKDContent
	id      [32]byte
}

// VerifyVetKDRequest verifies env at time now, allowing expiries up to
// maxExpiry ahead. Its errors are package ingress's.
func VerifyVetKDRequest(env *ingress.Envelope, now time.Time, maxExpiry time.Duration) (*VetKDRequest, error) {
	c, id, err := env.VerifyVetKD(now, maxExpiry)
	if err != nil {
		return nil, err
	}
	return &VetKDRequest{env: env, content: c, id: id}, nil
}

// Envelope returns the request's envelope.
func (r *VetKDRequest) Envelope() *ingress.Envelope { return r.env }

// Content returns the request's decoded content.
func (r *VetKDRequest) Content() *ingress.VetKDContent { return r.content }

// ID returns the request id.
func (r *VetKDRequest) ID() [32]byte { return r.id }

// VetKDResult is the answer to a derivation request.
type VetKDResult struct {
	// EncryptedKey is the 192-byte encrypted vetKey (C1 ‖ C2 ‖ C3), the
	// reply of vetkd_derive_key.
	EncryptedKey []byte
	// PublicKey is the derived public key the decrypted key verifies
	// under.
	PublicKey []byte
	// Certificate is an IC certificate whose tree holds
	// /request_status/<request id>/reply, the CBOR map {1: encrypted key,
	// 2: derived public key}, and /time.
	Certificate []byte
	// Height is the height the reply was recorded at.
	Height uint64
}
