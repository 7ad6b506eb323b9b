// Package service hosts the Bitcoin canister state for a node: a
// concurrency-safe Canister around canister.State, the chainkey.bitcoin.v1
// Bitcoin gRPC service that mirrors the canister API, a Forwarder that
// hands transactions to the adapter, and the Driver that pulls successor
// blocks from an adapter's BtcService and applies them.
//
// The node's block proposer does what Driver.Step does, split in two:
// FetchSuccessors on the proposer (its payload is the returned blocks and
// next headers), then Canister.Apply on every node once the block is final
// (Canister.Check is the payload validation).
package service

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
	apb "github.com/chainkey/chainkey/proto/btcservicepb"
)

// Forwarder sends a checked transaction to the Bitcoin network.
type Forwarder interface {
	Forward(ctx context.Context, rawTx []byte) error
}

// AdapterForwarder forwards transactions to an adapter's BtcService.
type AdapterForwarder struct{ Client apb.BtcServiceClient }

// Forward implements Forwarder.
func (f AdapterForwarder) Forward(ctx context.Context, rawTx []byte) error {
	_, err := f.Client.SendTransaction(ctx, &apb.BtcServiceSendTransactionRequest{Transaction: rawTx})
	if err != nil {
		return fmt.Errorf("service: forward transaction: %w", err)
	}
	return nil
}

// Canister guards a canister.State for concurrent readers and one writer.
type Canister struct {
	mu  sync.RWMutex
	st  *canister.State
	fwd Forwarder
}

// NewCanister wraps st; transactions go to fwd (may be nil: then
// SendTransaction fails with Unavailable).
func NewCanister(st *canister.State, fwd Forwarder) *Canister {
	return &Canister{st: st, fwd: fwd}
}

// Read runs f with the state under a read lock; f must not keep st.
func (c *Canister) Read(f func(st *canister.State)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	f(c.st)
}

// Request returns the anchor and processed hashes to send to the adapter.
func (c *Canister) Request() (anchor chainhash.Hash, processed []chainhash.Hash) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.SuccessorsRequest()
}

// Check validates a successor payload without applying it.
func (c *Canister) Check(blocks [][]byte) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.CheckSuccessors(blocks)
}

// Apply applies a successor payload (see canister.State.ApplySuccessors).
func (c *Canister) Apply(blocks, next [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.ApplySuccessors(blocks, next)
}

// StateHash returns the SHA-256 of the serialised state.
func (c *Canister) StateHash() [32]byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.Hash()
}

// MaxSuccessorsMessageSize is the largest GetSuccessors answer accepted:
// one maximal block (4 MB of weight can serialise to almost 4 MB) plus next
// headers, beyond gRPC's 4 MiB default.
const MaxSuccessorsMessageSize = 8 << 20

// FetchSuccessors asks an adapter for the successors of anchor.
func FetchSuccessors(ctx context.Context, client apb.BtcServiceClient, anchor chainhash.Hash, processed []chainhash.Hash) (blocks, next [][]byte, err error) {
	req := &apb.BtcServiceGetSuccessorsRequest{Anchor: anchor[:], ProcessedBlockHashes: make([][]byte, len(processed))}
	for i := range processed {
		req.ProcessedBlockHashes[i] = processed[i][:]
	}
	res, err := client.GetSuccessors(ctx, req, grpc.MaxCallRecvMsgSize(MaxSuccessorsMessageSize))
	if err != nil {
		return nil, nil, fmt.Errorf("service: get successors: %w", err)
	}
	return res.GetBlocks(), res.GetNext(), nil
}

// Driver feeds a Canister from an adapter.
type Driver struct {
	Client   apb.BtcServiceClient
	Canister *Canister
}

// Step does one round: it asks the adapter for successors of the
// canister's anchor and applies them. It returns the number of blocks
// received and the number of next headers announced. An adapter still
// syncing headers (Unavailable) gives 0, 0, nil.
func (d *Driver) Step(ctx context.Context) (blocks, next int, err error) {
	anchor, processed := d.Canister.Request()
	bs, nx, err := FetchSuccessors(ctx, d.Client, anchor, processed)
	if status.Code(errors.Unwrap(err)) == codes.Unavailable {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	if err := d.Canister.Apply(bs, nx); err != nil {
		return 0, 0, err
	}
	return len(bs), len(nx), nil
}

// Server implements the chainkey.bitcoin.v1 Bitcoin service over a
// Canister. Errors are gRPC statuses carrying a bpb.ApiError detail that
// names the Internet Computer's error variant.
type Server struct {
	bpb.UnimplementedBitcoinServer
	c *Canister
}

// NewServer returns a Bitcoin service for c.
func NewServer(c *Canister) *Server { return &Server{c: c} }

// NetworkToProto converts a chain.Network.
func NetworkToProto(n chain.Network) bpb.Network {
	switch n {
	case chain.Mainnet:
		return bpb.Network_NETWORK_MAINNET
	case chain.Testnet:
		return bpb.Network_NETWORK_TESTNET
	case chain.Regtest:
		return bpb.Network_NETWORK_REGTEST
	}
	return bpb.Network_NETWORK_UNSPECIFIED
}

func apiError(code codes.Code, e *bpb.ApiError) error {
	st, err := status.New(code, e.GetMessage()).WithDetails(e)
	if err != nil {
		return status.Error(code, e.GetMessage())
	}
	return st.Err()
}

// ApiErrorFrom extracts the ApiError detail of a status error, if any.
func ApiErrorFrom(err error) (*bpb.ApiError, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return nil, false
	}
	for _, d := range st.Proto().GetDetails() {
		var e bpb.ApiError
		if anypb.UnmarshalTo(d, &e, protoUnmarshalOptions) == nil {
			return &e, true
		}
	}
	return nil, false
}

func (s *Server) checkNetwork(n bpb.Network) error {
	var want bpb.Network
	s.c.Read(func(st *canister.State) { want = NetworkToProto(st.Network()) })
	if n != want {
		return apiError(codes.InvalidArgument, &bpb.ApiError{Kind: bpb.ApiError_KIND_WRONG_NETWORK, Expected: want,
			Message: fmt.Sprintf("this service serves %s, not %s", want, n)})
	}
	return nil
}

func mapError(err error) error {
	var (
		ma *canister.MalformedAddressError
		wn *canister.AddressForWrongNetworkError
		mc *canister.MinConfirmationsTooLargeError
		ut *canister.UnknownTipBlockHashError
		mp *canister.MalformedPageError
		bh *canister.BlockHeadersError
		mt *canister.MalformedTransactionError
	)
	e := &bpb.ApiError{Message: err.Error()}
	code := codes.InvalidArgument
	switch {
	case errors.As(err, &ma):
		e.Kind = bpb.ApiError_KIND_MALFORMED_ADDRESS
	case errors.As(err, &wn):
		e.Kind, e.Expected = bpb.ApiError_KIND_ADDRESS_FOR_WRONG_NETWORK, NetworkToProto(wn.Expected)
	case errors.As(err, &mc):
		e.Kind, e.Given, e.Max = bpb.ApiError_KIND_MIN_CONFIRMATIONS_TOO_LARGE, mc.Given, mc.Max
	case errors.As(err, &ut):
		e.Kind, e.TipBlockHash, code = bpb.ApiError_KIND_UNKNOWN_TIP_BLOCK_HASH, ut.TipBlockHash[:], codes.NotFound
	case errors.As(err, &mp):
		e.Kind = bpb.ApiError_KIND_MALFORMED_PAGE
	case errors.As(err, &bh):
		switch bh.Kind {
		case "StartHeightDoesNotExist":
			e.Kind = bpb.ApiError_KIND_START_HEIGHT_DOES_NOT_EXIST
		case "EndHeightDoesNotExist":
			e.Kind = bpb.ApiError_KIND_END_HEIGHT_DOES_NOT_EXIST
		default:
			e.Kind = bpb.ApiError_KIND_START_HEIGHT_LARGER_THAN_END_HEIGHT
		}
	case errors.As(err, &mt):
		e.Kind = bpb.ApiError_KIND_MALFORMED_TRANSACTION
	default:
		return status.Error(codes.Internal, err.Error())
	}
	return apiError(code, e)
}

// GetUtxos implements bitcoin_get_utxos.
func (s *Server) GetUtxos(_ context.Context, req *bpb.GetUtxosRequest) (*bpb.GetUtxosResponse, error) {
	if err := s.checkNetwork(req.GetNetwork()); err != nil {
		return nil, err
	}
	var f canister.UtxosFilter
	switch x := req.GetFilter().(type) {
	case *bpb.GetUtxosRequest_MinConfirmations:
		mc := x.MinConfirmations
		f.MinConfirmations = &mc
	case *bpb.GetUtxosRequest_Page:
		f.Page = x.Page
		if f.Page == nil {
			f.Page = []byte{}
		}
	}
	var res *canister.UtxosResponse
	var err error
	s.c.Read(func(st *canister.State) { res, err = st.GetUtxos(req.GetAddress(), f) })
	if err != nil {
		return nil, mapError(err)
	}
	out := &bpb.GetUtxosResponse{TipBlockHash: res.TipBlockHash[:], TipHeight: res.TipHeight, NextPage: res.NextPage,
		Utxos: make([]*bpb.Utxo, len(res.Utxos))}
	for i, u := range res.Utxos {
		txid := u.OutPoint.Hash
		out.Utxos[i] = &bpb.Utxo{Outpoint: &bpb.OutPoint{Txid: txid[:], Vout: u.OutPoint.Index}, Value: u.Value, Height: u.Height}
	}
	return out, nil
}

// GetBalance implements bitcoin_get_balance.
func (s *Server) GetBalance(_ context.Context, req *bpb.GetBalanceRequest) (*bpb.GetBalanceResponse, error) {
	if err := s.checkNetwork(req.GetNetwork()); err != nil {
		return nil, err
	}
	var bal uint64
	var err error
	s.c.Read(func(st *canister.State) { bal, err = st.GetBalance(req.GetAddress(), req.GetMinConfirmations()) })
	if err != nil {
		return nil, mapError(err)
	}
	return &bpb.GetBalanceResponse{Balance: bal}, nil
}

// GetCurrentFeePercentiles implements bitcoin_get_current_fee_percentiles.
func (s *Server) GetCurrentFeePercentiles(_ context.Context, req *bpb.GetCurrentFeePercentilesRequest) (*bpb.GetCurrentFeePercentilesResponse, error) {
	if err := s.checkNetwork(req.GetNetwork()); err != nil {
		return nil, err
	}
	var fees []uint64
	s.c.Read(func(st *canister.State) { fees = st.FeePercentiles() })
	return &bpb.GetCurrentFeePercentilesResponse{MillisatoshiPerVbyte: fees}, nil
}

// GetBlockHeaders implements bitcoin_get_block_headers.
func (s *Server) GetBlockHeaders(_ context.Context, req *bpb.GetBlockHeadersRequest) (*bpb.GetBlockHeadersResponse, error) {
	if err := s.checkNetwork(req.GetNetwork()); err != nil {
		return nil, err
	}
	var tip uint32
	var hs [][]byte
	var err error
	s.c.Read(func(st *canister.State) { tip, hs, err = st.BlockHeaders(req.GetStartHeight(), req.EndHeight) })
	if err != nil {
		return nil, mapError(err)
	}
	return &bpb.GetBlockHeadersResponse{TipHeight: tip, BlockHeaders: hs}, nil
}

// SendTransaction implements bitcoin_send_transaction: the transaction must
// decode; it is then forwarded to the adapter.
func (s *Server) SendTransaction(ctx context.Context, req *bpb.SendTransactionRequest) (*bpb.SendTransactionResponse, error) {
	if err := s.checkNetwork(req.GetNetwork()); err != nil {
		return nil, err
	}
	if _, err := canister.CheckTransaction(req.GetTransaction()); err != nil {
		return nil, mapError(err)
	}
	if s.c.fwd == nil {
		return nil, status.Error(codes.Unavailable, "no Bitcoin adapter to forward to")
	}
	if err := s.c.fwd.Forward(ctx, req.GetTransaction()); err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	return &bpb.SendTransactionResponse{}, nil
}
