package rpc

import (
	"context"
	"errors"

	"github.com/chainkey/chainkey/proto/chainkeypb"
	"github.com/chainkey/chainkey/replica/api"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RegistrySubmitter is implemented by a node that takes membership
// changes (package replica's Node).
type RegistrySubmitter interface {
	// SubmitRegistryChange checks a registry change signed by the
	// operator key against the committed registry and puts it in the
	// mempool; it returns the version the change makes.
	SubmitRegistryChange(ctx context.Context, change, signature []byte) (uint64, error)
}

// SubmitRegistryChange implements chainkeypb.ChainKeyServer.
func (s *Server) SubmitRegistryChange(ctx context.Context, req *chainkeypb.SubmitRegistryChangeRequest) (*chainkeypb.SubmitRegistryChangeResponse, error) {
	rs, ok := s.backend.(RegistrySubmitter)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "submit registry change: this node takes no membership changes")
	}
	v, err := rs.SubmitRegistryChange(ctx, req.GetChange(), req.GetSignature())
	if errors.Is(err, api.ErrRegistryChangeRefused) {
		s.log.Info("request refused", "op", "submit registry change", "err", err)
		return nil, status.Error(codes.FailedPrecondition, "submit registry change: "+err.Error())
	}
	if err != nil {
		return nil, s.refuse("submit registry change", err)
	}
	return &chainkeypb.SubmitRegistryChangeResponse{Version: v}, nil
}

// SubmitRegistryChange submits a signed registry change (as printed by
// chainkey subnet add-node or remove-node) and returns the version it
// makes once agreed.
func (c *Client) SubmitRegistryChange(ctx context.Context, change, signature []byte) (uint64, error) {
	r, err := c.pb.SubmitRegistryChange(ctx, &chainkeypb.SubmitRegistryChangeRequest{Change: change, Signature: signature})
	if err != nil {
		return 0, err
	}
	return r.GetVersion(), nil
}
