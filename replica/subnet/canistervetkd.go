package subnet

import (
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/vetkd"
)

// CanisterVetKD is a derivation request a canister made by calling the
// management canister (vetkd_derive_key): the canister is the caller
// whose key is derived, as on the Internet Computer.
type CanisterVetKD struct {
	Caller             []byte `cbor:"1,keyasint"`
	Context            []byte `cbor:"2,keyasint"`
	Input              []byte `cbor:"3,keyasint"`
	TransportPublicKey []byte `cbor:"4,keyasint"`
}

func (c *CanisterVetKD) request() *vetkd.Request {
	return &vetkd.Request{CanisterID: c.Caller, Context: c.Context, Input: c.Input, TransportPublicKey: c.TransportPublicKey}
}

// AcceptCanisterVetKDRequest queues a canister's derivation request at the
// height in progress: it joins cs.VetKDPending like a caller's request but
// has no record or expiry (its reply goes to the canister). It refuses a
// key the state does not have and a transport public key that is not a
// valid G1 point; the shell then rejects the canister's call.
func AcceptCanisterVetKDRequest(cs *State, id []byte, keyID string, c *CanisterVetKD) error {
	if cs.VetKDPub[keyID] == nil {
		return errf("canister vetKD request %x: unknown key %s", short(id), keyID)
	}
	if _, err := vetkd.ParseTransportPublicKey(c.TransportPublicKey); err != nil {
		return fmt.Errorf("subnet: canister vetKD request %x: invalid transport public key: %w", short(id), err)
	}
	if cs.VetKDPendingIndex(id) >= 0 {
		return fmt.Errorf("subnet: canister vetKD request %x: %w", short(id), ErrDuplicate)
	}
	cs.VetKDPending = append(cs.VetKDPending, PendingRequest{ID: slices.Clone(id), Height: cs.Height + 1, KeyID: keyID, CanisterVetKD: c})
	cs.VetKDRequests++
	return nil
}
