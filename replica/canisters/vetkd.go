package canisters

import (
	"encoding/binary"
	"fmt"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/vetkd"
)

// Candid types of the management canister's vetKD methods (ic.did).
type vetkdCurve struct {
	candid.IsVariant
	BLS12381G2 *candid.Null `candid:"bls12_381_g2"`
}

type vetkdKeyID struct {
	Curve vetkdCurve `candid:"curve"`
	Name  string     `candid:"name"`
}

// String is the key id as the subnet names it (ingress.VetKDCurve and
// the name).
func (k vetkdKeyID) String() string { return "bls12_381_g2:" + k.Name }

type vetkdPublicKeyArgs struct {
	CanisterID *principal.Principal `candid:"canister_id"`
	Context    []byte               `candid:"context"`
	KeyID      vetkdKeyID           `candid:"key_id"`
}

type vetkdPublicKeyResult struct {
	PublicKey []byte `candid:"public_key"`
}

type vetkdDeriveKeyArgs struct {
	Input              []byte     `candid:"input"`
	Context            []byte     `candid:"context"`
	TransportPublicKey []byte     `candid:"transport_public_key"`
	KeyID              vetkdKeyID `candid:"key_id"`
}

type vetkdDeriveKeyResult struct {
	EncryptedKey []byte `candid:"encrypted_key"`
}

// VetKDRequest is a canister's vetkd_derive_key call for the node's
// vetKD pipeline: the canister is the caller whose key is derived.
type VetKDRequest struct {
	ID                 []byte
	KeyID              string
	Caller             principal.Principal
	Context            []byte
	Input              []byte
	TransportPublicKey []byte
}

// vetkdRequestID is the id of a canister's derivation request: unique per
// management call, and distinct from signing request ids.
func vetkdRequestID(call uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte("chainkey-canister-vetkd/"), call)
}

// managementVetKD answers vetkd_public_key from the round's master keys
// (RoundInput.VetKDKeys) and queues vetkd_derive_key for the node's
// pipeline; it reports whether o.Method was one of them.
func (c *Component) managementVetKD(o *outCall) bool {
	if o.Method != "vetkd_public_key" && o.Method != "vetkd_derive_key" {
		return false
	}
	reject := func(code int, format string, a ...any) {
		c.g.Queue = append(c.g.Queue, task{Call: o.ID, Resp: &response{Code: uint64(code), Message: fmt.Sprintf(format, a...), Refund: o.Cycles}})
	}
	badArg := func(err error) {
		reject(execution.RejectCanisterReject, "management canister: %s: bad argument: %v", o.Method, err)
	}
	caller := mustPrincipal(o.From)
	if o.Method == "vetkd_public_key" {
		var a vetkdPublicKeyArgs
		if err := candid.Decode(o.Arg, &a); err != nil {
			badArg(err)
			return true
		}
		mk := c.round.VetKDKeys[a.KeyID.String()]
		if mk == nil {
			reject(execution.RejectCanisterReject, "vetkd_public_key: unknown vetKD key %s", a.KeyID)
			return true
		}
		who := caller
		if a.CanisterID != nil {
			who = *a.CanisterID
		}
		b, err := candid.Encode(vetkdPublicKeyResult{PublicKey: vetkd.DerivePublicKey(mk, who.Bytes(), a.Context).Bytes()})
		if err != nil {
			reject(execution.RejectCanisterError, "management canister: %v", err)
			return true
		}
		c.g.Queue = append(c.g.Queue, task{Call: o.ID, Resp: &response{Reply: b, Refund: o.Cycles}})
		return true
	}
	var a vetkdDeriveKeyArgs
	if err := candid.Decode(o.Arg, &a); err != nil {
		badArg(err)
		return true
	}
	keyID := a.KeyID.String()
	if c.round.VetKDKeys[keyID] == nil {
		reject(execution.RejectCanisterReject, "vetkd_derive_key: unknown vetKD key %s", keyID)
		return true
	}
	if _, err := vetkd.ParseTransportPublicKey(a.TransportPublicKey); err != nil {
		reject(execution.RejectCanisterReject, "vetkd_derive_key: invalid transport public key: %v", err)
		return true
	}
	if len(c.g.Signs) >= MaxPendingSigns {
		reject(execution.RejectSysTransient, "the vetKD request queue is full")
		return true
	}
	if c.feesOn() {
		fee := scaledFee(&c.cfg.Exec.Fees, c.cfg.Exec.Fees.VetKD)
		if o.Cycles < fee {
			reject(execution.RejectCanisterReject, "vetkd_derive_key costs %d cycles, %d attached", fee, o.Cycles)
			return true
		}
		// The rest is refunded with the encrypted key.
		o.Cycles -= fee
	}
	req := VetKDRequest{ID: vetkdRequestID(o.ID), KeyID: keyID, Caller: caller, Context: nonNil(a.Context),
		Input: nonNil(a.Input), TransportPublicKey: a.TransportPublicKey}
	// Canisters' derivation requests wait beside their signing requests.
	c.g.Signs[string(req.ID)] = o.ID
	c.vetkdOut = append(c.vetkdOut, req)
	return true
}

// TakeVetKDRequests returns the derivation requests the last round made
// (the shell hands them to the vetKD pipeline) and forgets them.
func (c *Component) TakeVetKDRequests() []VetKDRequest {
	out := c.vetkdOut
	c.vetkdOut = nil
	return out
}

// DeliverVetKDKey answers the derivation request id with its combined
// encrypted key; the canister's callback runs in the next round. It
// reports whether id was a canister's derivation request. A request the
// shell cannot serve is rejected with RejectSignature.
func (c *Component) DeliverVetKDKey(id, encryptedKey []byte) bool {
	call, ok := c.g.Signs[string(id)]
	if !ok {
		return false
	}
	delete(c.g.Signs, string(id))
	c.gdirty = true
	reply, err := candid.Encode(vetkdDeriveKeyResult{EncryptedKey: encryptedKey})
	if err != nil {
		c.ready = append(c.ready, task{Call: call, Resp: &response{Code: execution.RejectCanisterError, Message: err.Error()}})
		return true
	}
	var refund uint64
	if o := c.g.Calls[call]; o != nil {
		refund = o.Cycles // what the fee left of the attached cycles
	}
	c.ready = append(c.ready, task{Call: call, Resp: &response{Reply: reply, Refund: refund}})
	return true
}
