package adapter

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/chainkey/chainkey/proto/btcservicepb"
)

// MaxProcessedHashes bounds processed_block_hashes in one request.
const MaxProcessedHashes = 100_000

// Server serves the Internet Computer's btc_service.v1.BtcService over an
// Adapter. Register it with pb.RegisterBtcServiceServer.
type Server struct {
	pb.UnimplementedBtcServiceServer
	a *Adapter
}

// NewServer returns a BtcService server for a.
func NewServer(a *Adapter) *Server { return &Server{a: a} }

func hashFrom(b []byte) (chainhash.Hash, error) {
	var h chainhash.Hash
	if len(b) != chainhash.HashSize {
		return h, fmt.Errorf("hash has %d bytes, want 32", len(b))
	}
	copy(h[:], b)
	return h, nil
}

// GetSuccessors implements BtcService.GetSuccessors. Malformed hashes give
// InvalidArgument; an adapter still syncing headers gives Unavailable.
func (s *Server) GetSuccessors(_ context.Context, req *pb.BtcServiceGetSuccessorsRequest) (*pb.BtcServiceGetSuccessorsResponse, error) {
	anchor, err := hashFrom(req.GetAnchor())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "anchor: %v", err)
	}
	if len(req.GetProcessedBlockHashes()) > MaxProcessedHashes {
		return nil, status.Errorf(codes.InvalidArgument, "too many processed block hashes (%d)", len(req.GetProcessedBlockHashes()))
	}
	processed := make([]chainhash.Hash, len(req.GetProcessedBlockHashes()))
	for i, b := range req.GetProcessedBlockHashes() {
		if processed[i], err = hashFrom(b); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "processed_block_hashes[%d]: %v", i, err)
		}
	}
	res, err := s.a.GetSuccessors(anchor, processed)
	if errors.Is(err, ErrNotSynced) {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pb.BtcServiceGetSuccessorsResponse{Blocks: res.Blocks, Next: res.Next}, nil
}

// SendTransaction implements BtcService.SendTransaction.
func (s *Server) SendTransaction(_ context.Context, req *pb.BtcServiceSendTransactionRequest) (*pb.BtcServiceSendTransactionResponse, error) {
	if _, err := s.a.SendTransaction(req.GetTransaction()); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pb.BtcServiceSendTransactionResponse{}, nil
}
