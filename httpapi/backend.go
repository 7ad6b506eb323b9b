package httpapi

import (
	"context"
	"fmt"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

// Backend is the node as the HTTP interface sees it. Its methods are called
// concurrently from request handlers and must be safe for that.
type Backend interface {
	// RootKey returns the DER form (133 bytes) of the BLS key the subnet's
	// certificates verify under.
	RootKey() []byte
	// SubnetID returns the id of the node's subnet.
	SubnetID() principal.Principal
	// CanisterRanges returns the canister ranges of the subnet.
	CanisterRanges() []certification.CanisterRange
	// Healthy reports whether the node serves requests.
	Healthy() bool
	// Submit hands an authenticated update call to the subnet. A *Reject
	// refuses it before execution (non_replicated_rejection); an error
	// wrapping ingress.ErrDuplicate says the subnet already has a request
	// with that id (the node must refuse ids it has queued but not yet
	// certified, too); any other error is the node's failure. The subnet
	// must not start a call whose ingress_expiry has passed by its own
	// (block) time, and must keep its status until that expiry
	// (ingress.StatusTable does both).
	Submit(ctx context.Context, call *Call) error
	// Query evaluates a query call on the node's latest state and returns
	// its reply, or a reject.
	Query(ctx context.Context, call *Call) ([]byte, *Reject)
	// RequestStatus returns the status of a call in the latest certified
	// state.
	RequestStatus(id [32]byte) (ingress.CallStatus, bool)
	// ReadState returns a certificate of the latest certified state whose
	// tree reveals every value under the given paths, and /time.
	ReadState(paths [][][]byte) (*certification.Certificate, error)
	// Certified returns a channel that is closed when a newer certified
	// state becomes available.
	Certified() <-chan struct{}
	// MetadataReadable reports whether sender may read the custom section
	// name of canister's module through /canister/<id>/metadata/<name>: yes
	// unless the section exists, is private, and sender is not a
	// controller.
	MetadataReadable(canister principal.Principal, name string, sender principal.Principal) bool
}

// Call is an authenticated call or query.
type Call struct {
	Content           ingress.Content
	RequestID         [32]byte
	EffectiveCanister principal.Principal
	// SubnetCall is set for calls to /api/v4/subnet/<id>/call.
	SubnetCall bool
	// Envelope is the authenticated request as it arrived (sender key,
	// signature, delegations), for a node whose peers verify the sender
	// again.
	Envelope *ingress.HTTPEnvelope
}

// Reject is a refusal: a reject code of the interface specification
// ("Reject codes"), a message and the replica's error code ("IC0503").
type Reject struct {
	Code      uint64
	Message   string
	ErrorCode string
}

// Reject codes of the interface specification.
const (
	RejectSysFatal           = 1
	RejectSysTransient       = 2
	RejectDestinationInvalid = 3
	RejectCanisterReject     = 4
	RejectCanisterError      = 5
	RejectSysUnknown         = 6
)

// Error implements error.
func (r *Reject) Error() string {
	return fmt.Sprintf("reject code %d (%s): %s", r.Code, r.ErrorCode, r.Message)
}
