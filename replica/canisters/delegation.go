package canisters

import (
	"errors"
	"fmt"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

// Delegation is one link of a sender_delegation chain as a message carries
// it (ingress.Delegation with principals as bytes).
type Delegation struct {
	PubKey     []byte   `cbor:"1,keyasint"`
	Expiration uint64   `cbor:"2,keyasint"`
	Targets    [][]byte `cbor:"3,keyasint,omitempty"`
	// HasTargets distinguishes an empty target list from none.
	HasTargets bool   `cbor:"4,keyasint,omitempty"`
	Signature  []byte `cbor:"5,keyasint"`
}

// DelegationsOf converts an envelope's delegation chain for a message.
func DelegationsOf(ds []ingress.Delegation) []Delegation {
	var out []Delegation
	for _, d := range ds {
		m := Delegation{PubKey: d.PubKey, Expiration: d.Expiration, Signature: d.Signature, HasTargets: d.Targets != nil}
		for _, p := range d.Targets {
			m.Targets = append(m.Targets, p.Bytes())
		}
		out = append(out, m)
	}
	return out
}

// verifyDelegated checks a call whose sender signs through a delegation
// chain: the chain's signatures from the sender's key to the key that
// signed the request id, and the canister among every link's targets.
// The links' expirations are checked against the round's time when the
// message is received (delegationsValidAt), not here: validity must not
// depend on a node's clock.
func (m *Message) verifyDelegated(sender principal.Principal) error {
	if m.Kind != KindCall {
		return errors.New("canisters: a delegated sender may only make calls")
	}
	canister, err := principal.FromBytes(m.Canister)
	if err != nil {
		return fmt.Errorf("canisters: canister id: %w", err)
	}
	env := &ingress.HTTPEnvelope{
		Content: ingress.Content{RequestType: ingress.RequestTypeCall, Sender: sender, IngressExpiry: m.Expiry,
			Nonce: m.Nonce, CanisterID: canister, MethodName: m.Method, Arg: nonNil(m.Arg)},
		SenderPubKey: m.SenderPubKey, SenderSig: m.SenderSig,
	}
	for i, d := range m.Delegations {
		link := ingress.Delegation{PubKey: d.PubKey, Expiration: d.Expiration, Signature: d.Signature}
		if d.HasTargets {
			link.Targets = []principal.Principal{}
		} else if len(d.Targets) > 0 {
			return fmt.Errorf("canisters: delegation %d: targets without the flag", i)
		}
		for _, b := range d.Targets {
			p, err := principal.FromBytes(b)
			if err != nil {
				return fmt.Errorf("canisters: delegation %d target: %w", i, err)
			}
			link.Targets = append(link.Targets, p)
		}
		env.Delegations = append(env.Delegations, link)
	}
	if env.Content.RequestID() != m.ID() {
		return errors.New("canisters: delegated message: content and id disagree")
	}
	// Time zero: every expiration passes here (see above).
	_, targets, err := env.Authenticate(time.Unix(0, 0))
	if err != nil {
		return fmt.Errorf("canisters: message of %s: %w", sender, err)
	}
	if !targets.Allows(canister) {
		return fmt.Errorf("canisters: message of %s: %w", sender, ingress.ErrTargetNotAllowed)
	}
	return nil
}

// delegationsValidAt reports whether every link of the message's chain is
// unexpired at nowNS.
func (m *Message) delegationsValidAt(nowNS uint64) bool {
	for _, d := range m.Delegations {
		if d.Expiration < nowNS {
			return false
		}
	}
	return true
}
