// Package rpc serves a chainkey node over gRPC (service chainkey.v1.ChainKey,
// generated code in proto/chainkeypb) and provides the matching client.
//
// Signing requests arrive as signed ingress envelopes (package ingress). The
// server parses and verifies each envelope before it reaches consensus:
// strict decoding, the sender's signature, the sender being the
// self-authenticating principal of the sender's key, and the expiry window.
// A request that fails is answered at once with a gRPC status and never
// enters a block. This is the node's one check of the envelope before
// consensus: the server hands the node an api.SignRequest, which only
// verification makes, and the node remembers it for its mempool. Every
// node re-verifies every envelope it executes, with the block time, so
// this early check is an optimisation and a clear error for the caller,
// not the security boundary.
//
// Errors map to gRPC codes as follows:
//
//	malformed envelope or content, bad key id     InvalidArgument
//	bad signature, sender not the key's principal,
//	anonymous sender                               Unauthenticated
//	expired, or expiry too far ahead               InvalidArgument (re-sign with a fresh expiry)
//	replay of an executed or pending request       AlreadyExists
//	unknown key id                                 NotFound
//	node not ready (keys not generated yet, ...)   Unavailable
//	caller cancelled / deadline                    Canceled / DeadlineExceeded
//	anything else                                  Internal
package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/proto/chainkeypb"
	"github.com/chainkey/chainkey/replica/api"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// DefaultMaxExpiry is how far in the future a request's expiry may lie, as
// on the Internet Computer (5 minutes).
const DefaultMaxExpiry = 5 * time.Minute

// ServerOptions configures a Server. The zero value is usable.
type ServerOptions struct {
	// MaxExpiry bounds how far ahead a request's expiry may be; zero means
	// DefaultMaxExpiry.
	MaxExpiry time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per refused or failed request; nil
	// discards.
	Logger *slog.Logger
}

// Server implements chainkeypb.ChainKeyServer on a node (api.Node:
// package replica's Node, or a test double).
type Server struct {
	chainkeypb.UnimplementedChainKeyServer
	backend   api.Node
	maxExpiry time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// NewServer returns a Server for the node b.
func NewServer(b api.Node, opt ServerOptions) *Server {
	s := &Server{backend: b, maxExpiry: opt.MaxExpiry, now: opt.Now, log: opt.Logger}
	if s.maxExpiry <= 0 {
		s.maxExpiry = DefaultMaxExpiry
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// NewGRPCServer returns a grpc.Server with the ChainKey service of b and
// server reflection registered. Messages larger than an envelope (plus
// framing) are refused by gRPC itself.
func NewGRPCServer(b api.Node, opt ServerOptions, grpcOpts ...grpc.ServerOption) *grpc.Server {
	grpcOpts = append([]grpc.ServerOption{grpc.MaxRecvMsgSize(ingress.MaxEnvelopeSize + 1024)}, grpcOpts...)
	g := grpc.NewServer(grpcOpts...)
	chainkeypb.RegisterChainKeyServer(g, NewServer(b, opt))
	reflection.Register(g)
	return g
}

// Sign implements chainkeypb.ChainKeyServer.
func (s *Server) Sign(ctx context.Context, req *chainkeypb.SignRequest) (*chainkeypb.SignResponse, error) {
	env, err := ingress.ParseEnvelope(req.GetEnvelope())
	if err != nil {
		return nil, s.refuse("sign", err)
	}
	r, err := api.VerifySignRequest(env, s.now(), s.maxExpiry)
	if err != nil {
		return nil, s.refuse("sign", err)
	}
	c, id := r.Content(), r.ID()
	res, err := s.backend.Sign(ctx, r)
	if err != nil {
		s.log.Info("sign failed", "request_id", fmt.Sprintf("%x", id), "sender", c.Sender.String(), "key_id", c.KeyID, "err", err)
		return nil, toStatus("sign", err)
	}
	return &chainkeypb.SignResponse{
		Signature:   res.Signature,
		PublicKey:   res.PublicKey,
		Certificate: res.Certificate,
		Height:      res.Height,
		RequestId:   id[:],
		RecoveryId:  uint32(res.RecoveryID),
	}, nil
}

// PublicKey implements chainkeypb.ChainKeyServer.
func (s *Server) PublicKey(ctx context.Context, req *chainkeypb.PublicKeyRequest) (*chainkeypb.PublicKeyResponse, error) {
	if _, err := ingress.ParseKeyID(req.GetKeyId()); err != nil {
		return nil, s.refuse("public key", fmt.Errorf("%w: %v", ingress.ErrMalformed, err))
	}
	caller, err := principal.FromBytes(req.GetCaller())
	if err != nil {
		return nil, s.refuse("public key", fmt.Errorf("%w: caller: %v", ingress.ErrMalformed, err))
	}
	path := req.GetDerivationPath()
	if len(path) > ingress.MaxDerivationPathLen {
		return nil, s.refuse("public key", fmt.Errorf("%w: derivation path of %d elements exceeds %d", ingress.ErrMalformed, len(path), ingress.MaxDerivationPathLen))
	}
	total := 0
	for _, p := range path {
		total += len(p)
	}
	if total > ingress.MaxDerivationPathBytes {
		return nil, s.refuse("public key", fmt.Errorf("%w: derivation path of %d bytes exceeds %d", ingress.ErrMalformed, total, ingress.MaxDerivationPathBytes))
	}
	pub, cc, err := s.backend.PublicKey(ctx, req.GetKeyId(), caller, path)
	if err != nil {
		return nil, toStatus("public key", err)
	}
	return &chainkeypb.PublicKeyResponse{PublicKey: pub, ChainCode: cc}, nil
}

// Status implements chainkeypb.ChainKeyServer.
func (s *Server) Status(ctx context.Context, _ *chainkeypb.StatusRequest) (*chainkeypb.StatusResponse, error) {
	st, err := s.backend.Status(ctx)
	if err != nil {
		return nil, toStatus("status", err)
	}
	out := &chainkeypb.StatusResponse{
		SubnetId:          st.SubnetID.Bytes(),
		SubnetIdText:      st.SubnetID.String(),
		Height:            st.Height,
		RootKeyDer:        st.RootKeyDER,
		KeyIds:            st.KeyIDs,
		PresignatureStock: map[string]int64{},
		CertifiedHeight:   st.CertifiedHeight,
		KeyGen:            st.KeyGen,
		Convicted:         map[int32]uint64{},
	}
	for _, m := range st.Members {
		out.Members = append(out.Members, &chainkeypb.Member{Index: int32(m.Index), NodeId: m.NodeID, Address: m.Address, Grpc: m.GRPC, Up: m.Up})
	}
	for k, v := range st.Convicted {
		out.Convicted[int32(k)] = v
	}
	out.CupHeight, out.RetainHeight, out.BlockBase, out.DiskBytes = st.CUPHeight, st.RetainHeight, st.BlockBase, st.DiskBytes
	out.RegistryVersion, out.MembershipChangePending = st.RegistryVersion, st.MembershipPending
	for k, v := range st.PresignatureStock {
		out.PresignatureStock[k] = int64(v)
	}
	return out, nil
}

func (s *Server) refuse(op string, err error) error {
	s.log.Info("request refused", "op", op, "err", err)
	return toStatus(op, err)
}

// toStatus maps an error to a gRPC status error with a one-line message.
func toStatus(op string, err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, ingress.ErrBadSignature), errors.Is(err, ingress.ErrSenderMismatch), errors.Is(err, ingress.ErrAnonymous):
		code = codes.Unauthenticated
	case errors.Is(err, ingress.ErrExpired), errors.Is(err, ingress.ErrExpiryTooFar), errors.Is(err, api.ErrExpired):
		code = codes.InvalidArgument
	case errors.Is(err, ingress.ErrMalformed), errors.Is(err, ingress.ErrBadPublicKey):
		code = codes.InvalidArgument
	case errors.Is(err, api.ErrDuplicateRequest):
		code = codes.AlreadyExists
	case errors.Is(err, api.ErrUnknownKey):
		code = codes.NotFound
	case errors.Is(err, api.ErrNotReady):
		code = codes.Unavailable
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	if st, ok := status.FromError(err); ok && code == codes.Internal {
		return st.Err()
	}
	return status.Errorf(code, "%s: %v", op, err)
}
