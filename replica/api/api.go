// Package api is the node API of a chainkey replica, defined once: the
// operations a node offers its callers, their results, the subnet status
// and the errors. Package replica's Node implements Node; package rpc
// adapts it to gRPC, and the IC HTTP interface adapts the same API. It
// holds no logic, so adapters and their test doubles need only this
// package.
package api

import (
	"context"
	"errors"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

// Errors of the node API. Implementations wrap them with detail; adapters
// map them to their protocol's codes with errors.Is.
var (
	// ErrDuplicateRequest: a request with the same request id was already
	// accepted and has not expired.
	ErrDuplicateRequest = errors.New("replica: duplicate request")
	// ErrExpired: the request's ingress expiry has passed (or is too far
	// in the future).
	ErrExpired = errors.New("replica: request expired")
	// ErrUnknownKey: the subnet has no key with this key id.
	ErrUnknownKey = errors.New("replica: unknown key id")
	// ErrNotReady: the subnet is still creating its keys, or the node is
	// not running.
	ErrNotReady = errors.New("replica: not ready")
	// ErrRegistryChangeRefused: a membership change fails the registry
	// rules against the committed registry.
	ErrRegistryChangeRefused = errors.New("replica: registry change refused")
)

// Node is what a node offers its callers.
type Node interface {
	// Sign executes a verified signing request and blocks until the
	// signature is combined and certified, or ctx ends.
	Sign(ctx context.Context, req *SignRequest) (*SignResult, error)
	// PublicKey returns the key keyID derived for caller and path, and its
	// chain code.
	PublicKey(ctx context.Context, keyID string, caller principal.Principal, path [][]byte) (publicKey, chainCode []byte, err error)
	// Status describes the subnet as the node sees it.
	Status(ctx context.Context) (*Status, error)
}

// SignRequest is a caller's signing request whose envelope was verified:
// strict decoding, the sender's signature, the sender being the
// self-authenticating principal of the sender's key, and the expiry
// window. Only VerifySignRequest makes one, so a node that receives one
// need not verify the envelope again before consensus (every node still
// verifies it at execution, with the block time).
type SignRequest struct {
	env     *ingress.Envelope
	content *ingress.SignContent
	id      [32]byte
}

// VerifySignRequest verifies env at time now, allowing expiries up to
// maxExpiry ahead. Its errors are package ingress's (ErrBadSignature,
// ErrExpired, ...).
func VerifySignRequest(env *ingress.Envelope, now time.Time, maxExpiry time.Duration) (*SignRequest, error) {
	c, id, err := env.Verify(now, maxExpiry)
	if err != nil {
		return nil, err
	}
	return &SignRequest{env: env, content: c, id: id}, nil
}

// Envelope returns the request's envelope.
func (r *SignRequest) Envelope() *ingress.Envelope { return r.env }

// Content returns the request's decoded content.
func (r *SignRequest) Content() *ingress.SignContent { return r.content }

// ID returns the request id (the representation-independent hash of the
// content).
func (r *SignRequest) ID() [32]byte { return r.id }

// SignResult is the answer to a signing request.
type SignResult struct {
	Signature []byte
	// PublicKey is the derived public key the signature verifies under.
	PublicKey []byte
	// RecoveryID is, for ECDSA, Ethereum's v − 27: bit 0 is the parity of
	// the y coordinate of the signature's R, bit 1 is set if R.x ≥ n. It
	// is zero for Schnorr signatures.
	RecoveryID uint8
	// Certificate is an IC certificate (package certification) whose tree
	// holds /request_status/<request id>/reply, the CBOR map
	// {1: signature, 2: public key}, and /time; it verifies under the
	// subnet's root key.
	Certificate []byte
	// Height is the height the reply was recorded at.
	Height uint64
}

// Status describes the subnet as one node sees it.
type Status struct {
	SubnetID          principal.Principal
	Height            uint64
	CertifiedHeight   uint64
	RootKeyDER        []byte
	Members           []Member
	KeyIDs            []string
	PresignatureStock map[string]int
	// KeyGen is how the threshold keys were created ("bootstrap-dealer" or "dkg").
	KeyGen string
	// Convicted counts, per node index, the proven faults of that node.
	Convicted map[int]uint64
	// CUPHeight is the height of the latest catch-up package the node
	// holds complete (0: none yet); RetainHeight is the height below
	// which CometBFT prunes its blocks (0: none pruned); BlockBase is the
	// lowest block the node still stores.
	CUPHeight, RetainHeight, BlockBase uint64
	// DiskBytes is the disk use of the node's directories by name
	// ("state", "blocks", "snapshots").
	DiskBytes map[string]int64
	// RegistryVersion is the committed registry version (0: genesis
	// membership); MembershipPending reports a change being carried out.
	RegistryVersion   uint64
	MembershipPending bool
}

// Member is one node of the subnet.
type Member struct {
	Index   int
	NodeID  string
	Address string // p2p host:port
	GRPC    string // gRPC host:port from the subnet configuration
	Up      bool   // this node, or a peer it is connected to
}
