package subnet

import (
	"slices"

	"github.com/chainkey/chainkey/principal"
)

// CanisterSign is a signing request a canister made by calling the
// management canister (sign_with_ecdsa, sign_with_schnorr): the canister
// is the caller for key derivation, as on the Internet Computer.
type CanisterSign struct {
	Caller  []byte   `cbor:"1,keyasint"`
	Path    [][]byte `cbor:"2,keyasint"`
	Message []byte   `cbor:"3,keyasint"`
	Taproot []byte   `cbor:"4,keyasint,omitempty"`
	// HasTaproot distinguishes an empty BIP341 merkle root (key-path
	// tweak) from none.
	HasTaproot bool `cbor:"5,keyasint,omitempty"`
}

func (c *CanisterSign) input(p *PendingRequest) (*SignInput, error) {
	caller, err := principal.FromBytes(c.Caller)
	if err != nil {
		return nil, errf("canister request %x: caller: %v", short(p.ID), err)
	}
	in := &SignInput{RequestID: p.ID, KeyID: p.KeyID, Caller: caller, Path: c.Path, Message: c.Message,
		Presig: p.PresigRec, Randomness: p.Randomness}
	if c.HasTaproot {
		in.Taproot = c.Taproot
		if in.Taproot == nil {
			in.Taproot = []byte{}
		}
	}
	return in, nil
}

// AcceptCanisterRequest queues a canister's signing request at the height
// in progress: it joins cs.Pending like a caller's request and waits for
// its presignature, but has no record (its reply goes to the canister).
func AcceptCanisterRequest(cs *State, id []byte, keyID string, c *CanisterSign) {
	cs.Pending = append(cs.Pending, PendingRequest{ID: slices.Clone(id), Height: cs.Height + 1, KeyID: keyID, Canister: c})
	cs.Requests++
}
