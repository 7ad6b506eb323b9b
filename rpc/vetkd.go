package rpc

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/proto/chainkeypb"
	"github.com/chainkey/chainkey/replica/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// vetKD requests are served when the node implements api.VetKDNode;
// otherwise the methods answer Unimplemented. A derivation request is a
// signed envelope verified here before consensus, as a signing request is.

func (s *Server) vetkd() (api.VetKDNode, error) {
	v, ok := s.backend.(api.VetKDNode)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "vetKD: this node does not serve vetKD")
	}
	return v, nil
}

// VetKDPublicKey implements chainkeypb.ChainKeyServer.
func (s *Server) VetKDPublicKey(ctx context.Context, req *chainkeypb.VetKDPublicKeyRequest) (*chainkeypb.VetKDPublicKeyResponse, error) {
	v, err := s.vetkd()
	if err != nil {
		return nil, err
	}
	if err := ingress.CheckVetKDKeyID(req.GetKeyId()); err != nil {
		return nil, s.refuse("vetkd public key", fmt.Errorf("%w: %v", ingress.ErrMalformed, err))
	}
	caller, err := principal.FromBytes(req.GetCaller())
	if err != nil {
		return nil, s.refuse("vetkd public key", fmt.Errorf("%w: caller: %v", ingress.ErrMalformed, err))
	}
	if n := len(req.GetContext()); n > ingress.MaxVetKDContextSize {
		return nil, s.refuse("vetkd public key", fmt.Errorf("%w: context of %d bytes exceeds %d", ingress.ErrMalformed, n, ingress.MaxVetKDContextSize))
	}
	pub, err := v.VetKDPublicKey(ctx, req.GetKeyId(), caller, req.GetContext())
	if err != nil {
		return nil, toStatus("vetkd public key", err)
	}
	return &chainkeypb.VetKDPublicKeyResponse{PublicKey: pub}, nil
}

// VetKDDeriveKey implements chainkeypb.ChainKeyServer.
func (s *Server) VetKDDeriveKey(ctx context.Context, req *chainkeypb.VetKDDeriveKeyRequest) (*chainkeypb.VetKDDeriveKeyResponse, error) {
	v, err := s.vetkd()
	if err != nil {
		return nil, err
	}
	env, err := ingress.ParseEnvelope(req.GetEnvelope())
	if err != nil {
		return nil, s.refuse("vetkd derive key", err)
	}
	r, err := api.VerifyVetKDRequest(env, s.now(), s.maxExpiry)
	if err != nil {
		return nil, s.refuse("vetkd derive key", err)
	}
	c, id := r.Content(), r.ID()
	res, err := v.VetKDDeriveKey(ctx, r)
	if err != nil {
		s.log.Info("vetkd derive key failed", "request_id", fmt.Sprintf("%x", id), "sender", c.Sender.String(), "key_id", c.KeyID, "err", err)
		return nil, toStatus("vetkd derive key", err)
	}
	return &chainkeypb.VetKDDeriveKeyResponse{EncryptedKey: res.EncryptedKey, PublicKey: res.PublicKey,
		Certificate: res.Certificate, Height: res.Height, RequestId: id[:]}, nil
}

// VetKDPublicKey returns the vetKD public key derived for caller and
// context under keyID.
func (c *Client) VetKDPublicKey(ctx context.Context, keyID string, caller principal.Principal, context []byte) ([]byte, error) {
	res, err := c.pb.VetKDPublicKey(ctx, &chainkeypb.VetKDPublicKeyRequest{KeyId: keyID, Context: context, Caller: caller.Bytes()})
	if err != nil {
		return nil, err
	}
	return res.GetPublicKey(), nil
}

// VetKDArgs are the arguments of a derivation request.
type VetKDArgs struct {
	KeyID              string
	Context            []byte
	Input              []byte
	TransportPublicKey []byte
}

// NewVetKDEnvelope builds a signed derivation request for a with a fresh
// random nonce and an expiry DefaultRequestExpiry from now.
func (c *Client) NewVetKDEnvelope(a VetKDArgs) (*ingress.Envelope, error) {
	if c.signer == nil {
		return nil, fmt.Errorf("rpc: vetkd derive key: client has no identity")
	}
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return ingress.NewVetKDEnvelope(c.signer, &ingress.VetKDContent{IngressExpiry: ingress.Expiry(c.now(), DefaultRequestExpiry),
		Nonce: nonce, KeyID: a.KeyID, Context: a.Context, Input: a.Input, TransportPublicKey: a.TransportPublicKey})
}

// VetKDDeriveKey signs a derivation request for a and submits it.
func (c *Client) VetKDDeriveKey(ctx context.Context, a VetKDArgs) (*chainkeypb.VetKDDeriveKeyResponse, error) {
	env, err := c.NewVetKDEnvelope(a)
	if err != nil {
		return nil, err
	}
	return c.pb.VetKDDeriveKey(ctx, &chainkeypb.VetKDDeriveKeyRequest{Envelope: env.Marshal()})
}

// VerifyVetKDResponse checks, as VerifySignResponse does for a signature,
// that res carries a certificate valid under the subnet's root key
// stating that request requestID was replied to with exactly res's
// encrypted key and derived public key.
func VerifyVetKDResponse(res *chainkeypb.VetKDDeriveKeyResponse, rootKeyDER []byte, requestID [32]byte) error {
	return VerifySignResponse(&chainkeypb.SignResponse{Signature: res.GetEncryptedKey(), PublicKey: res.GetPublicKey(),
		Certificate: res.GetCertificate(), RequestId: res.GetRequestId()}, rootKeyDER, requestID)
}

// VetKDDeriveKeyEnvelope submits an already signed derivation request.
func (c *Client) VetKDDeriveKeyEnvelope(ctx context.Context, env *ingress.Envelope) (*chainkeypb.VetKDDeriveKeyResponse, error) {
	return c.pb.VetKDDeriveKey(ctx, &chainkeypb.VetKDDeriveKeyRequest{Envelope: env.Marshal()})
}
