package canisters

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
)

// Candid types of the management canister methods the component answers
// (ic.did).
type ecdsaCurve struct {
	candid.IsVariant
	Secp256k1 *candid.Null `candid:"secp256k1"`
}

type ecdsaKeyID struct {
	Curve ecdsaCurve `candid:"curve"`
	Name  string     `candid:"name"`
}

type schnorrAlgorithm struct {
	candid.IsVariant
	BIP340  *candid.Null `candid:"bip340secp256k1"`
	Ed25519 *candid.Null `candid:"ed25519"`
}

type schnorrKeyID struct {
	Algorithm schnorrAlgorithm `candid:"algorithm"`
	Name      string           `candid:"name"`
}

type ecdsaPublicKeyArgs struct {
	CanisterID     *principal.Principal `candid:"canister_id"`
	DerivationPath [][]byte             `candid:"derivation_path"`
	KeyID          ecdsaKeyID           `candid:"key_id"`
}

type schnorrPublicKeyArgs struct {
	CanisterID     *principal.Principal `candid:"canister_id"`
	DerivationPath [][]byte             `candid:"derivation_path"`
	KeyID          schnorrKeyID         `candid:"key_id"`
}

type publicKeyResult struct {
	PublicKey []byte `candid:"public_key"`
	ChainCode []byte `candid:"chain_code"`
}

type signWithECDSAArgs struct {
	MessageHash    []byte     `candid:"message_hash"`
	DerivationPath [][]byte   `candid:"derivation_path"`
	KeyID          ecdsaKeyID `candid:"key_id"`
}

type bip341 struct {
	MerkleRootHash []byte `candid:"merkle_root_hash"`
}

type schnorrAux struct {
	candid.IsVariant
	BIP341 *bip341 `candid:"bip341"`
}

type signWithSchnorrArgs struct {
	Message        []byte       `candid:"message"`
	DerivationPath [][]byte     `candid:"derivation_path"`
	KeyID          schnorrKeyID `candid:"key_id"`
	Aux            *schnorrAux  `candid:"aux"`
}

type signatureResult struct {
	Signature []byte `candid:"signature"`
}

type createResult struct {
	CanisterID principal.Principal `candid:"canister_id"`
}

func encodeSignature(sig []byte) ([]byte, error) {
	return candid.Encode(signatureResult{Signature: sig})
}

func (k ecdsaKeyID) String() string { return "ecdsa:secp256k1:" + k.Name }

func (k schnorrKeyID) String() string {
	if k.Algorithm.Ed25519 != nil {
		return "schnorr:ed25519:" + k.Name
	}
	return "schnorr:bip340secp256k1:" + k.Name
}

// Bounds of signing arguments, as the IC's, and of the signing queue.
const (
	maxPathElements = 255
	maxSchnorrMsg   = 32 << 10
	// MaxPendingSigns bounds the canisters' signing calls waiting for a
	// signature; beyond it a call is rejected with code 2 (transient),
	// as the IC rejects calls to a full signature queue.
	MaxPendingSigns = 500
)

// management answers a canister's call to the management canister
// (aaaaa-aa): the threshold key methods and raw_rand; others are rejected.
func (c *Component) management(o *outCall) {
	caller := mustPrincipal(o.From)
	reject := func(code int, format string, a ...any) {
		c.g.Queue = append(c.g.Queue, task{Call: o.ID, Resp: &response{Code: uint64(code), Message: fmt.Sprintf(format, a...), Refund: o.Cycles}})
	}
	reply := func(v any) {
		b, err := candid.Encode(v)
		if err != nil {
			reject(execution.RejectCanisterError, "management canister: %v", err)
			return
		}
		c.g.Queue = append(c.g.Queue, task{Call: o.ID, Resp: &response{Reply: b, Refund: o.Cycles}})
	}
	badArg := func(err error) {
		reject(execution.RejectCanisterReject, "management canister: %s: bad argument: %v", o.Method, err)
	}
	if c.managementVetKD(o) {
		return
	}
	if c.managementStopStart(o) || c.managementMore(o) || c.managementBitcoin(o) {
		return
	}
	if c.managementHTTP(o) {
		return
	}
	keys := c.cfg.Keys
	switch o.Method {
	case "raw_rand":
		c.g.Rands = append(c.g.Rands, randWait{Call: o.ID, Round: c.round.BeaconRound})
	case "ecdsa_public_key", "schnorr_public_key":
		var keyID string
		var path [][]byte
		var of *principal.Principal
		if o.Method == "ecdsa_public_key" {
			var a ecdsaPublicKeyArgs
			if err := candid.Decode(o.Arg, &a); err != nil {
				badArg(err)
				return
			}
			keyID, path, of = a.KeyID.String(), a.DerivationPath, a.CanisterID
		} else {
			var a schnorrPublicKeyArgs
			if err := candid.Decode(o.Arg, &a); err != nil {
				badArg(err)
				return
			}
			keyID, path, of = a.KeyID.String(), a.DerivationPath, a.CanisterID
		}
		if len(path) > maxPathElements {
			reject(execution.RejectCanisterReject, "derivation path too long")
			return
		}
		who := caller
		if of != nil {
			who = *of
		}
		if keys == nil || !keys.HasKey(keyID) {
			reject(execution.RejectCanisterReject, "unknown key %s", keyID)
			return
		}
		pub, code, err := keys.PublicKey(keyID, who, path)
		if err != nil {
			reject(execution.RejectCanisterReject, "public key of %s: %v", keyID, err)
			return
		}
		reply(publicKeyResult{PublicKey: pub, ChainCode: code})
	case "sign_with_ecdsa", "sign_with_schnorr":
		req := SignRequest{ID: signRequestID(o.ID), Caller: caller}
		if o.Method == "sign_with_ecdsa" {
			var a signWithECDSAArgs
			if err := candid.Decode(o.Arg, &a); err != nil {
				badArg(err)
				return
			}
			if len(a.MessageHash) != 32 {
				reject(execution.RejectCanisterReject, "message_hash must be 32 bytes")
				return
			}
			req.KeyID, req.Path, req.Message = a.KeyID.String(), a.DerivationPath, a.MessageHash
		} else {
			var a signWithSchnorrArgs
			if err := candid.Decode(o.Arg, &a); err != nil {
				badArg(err)
				return
			}
			if len(a.Message) > maxSchnorrMsg {
				reject(execution.RejectCanisterReject, "message too long")
				return
			}
			req.KeyID, req.Path, req.Message = a.KeyID.String(), a.DerivationPath, a.Message
			if a.Aux != nil && a.Aux.BIP341 != nil {
				if a.KeyID.Algorithm.BIP340 == nil {
					reject(execution.RejectCanisterReject, "bip341 aux with a key that is not bip340secp256k1")
					return
				}
				req.Taproot = nonNil(a.Aux.BIP341.MerkleRootHash)
			}
		}
		if len(req.Path) > maxPathElements {
			reject(execution.RejectCanisterReject, "derivation path too long")
			return
		}
		if keys == nil || !keys.HasKey(req.KeyID) {
			reject(execution.RejectCanisterReject, "unknown key %s", req.KeyID)
			return
		}
		if len(c.g.Signs) >= MaxPendingSigns {
			reject(execution.RejectSysTransient, "the signature queue is full")
			return
		}
		if c.feesOn() {
			base := c.cfg.Exec.Fees.SchnorrSignature
			if o.Method == "sign_with_ecdsa" {
				base = c.cfg.Exec.Fees.ECDSASignature
			}
			fee := scaledFee(&c.cfg.Exec.Fees, base)
			if o.Cycles < fee {
				reject(execution.RejectCanisterReject, "%s costs %d cycles, %d attached", o.Method, fee, o.Cycles)
				return
			}
			// The rest is refunded with the signature.
			o.Cycles -= fee
		}
		c.g.Signs[string(req.ID)] = o.ID
		c.signOut = append(c.signOut, req)
	default:
		reject(execution.RejectDestinationInvalid, "management canister method %q is not available to canisters on this subnet", o.Method)
	}
}

// readyRands answers the raw_rand calls made before the beacon's current
// round: 32 bytes from the beacon value, domain-separated per call.
func (c *Component) readyRands(in RoundInput) {
	keep := c.g.Rands[:0]
	for _, r := range c.g.Rands {
		if in.BeaconRound <= r.Round || len(in.Beacon) == 0 {
			keep = append(keep, r)
			continue
		}
		h := sha256.New()
		h.Write([]byte("chainkey-raw-rand"))
		h.Write(binary.BigEndian.AppendUint64(nil, in.BeaconRound))
		h.Write(in.Beacon)
		h.Write(binary.BigEndian.AppendUint64(nil, r.Call))
		b, err := candid.Encode(h.Sum(nil))
		if err != nil {
			b = nil
		}
		c.g.Queue = append(c.g.Queue, task{Call: r.Call, Resp: &response{Reply: b}})
		c.gdirty = true
	}
	if len(keep) != len(c.g.Rands) {
		c.g.Rands = slices.Clone(keep)
	}
}

// operate executes a controller operation from an ingress message.
func (c *Component) operate(m *Message, sender principal.Principal) (reply []byte, code int, msg string) {
	if m.Kind == KindCreate {
		var s fullSettings
		if len(m.Controllers) > 0 {
			ctrls := []principal.Principal{sender}
			for _, b := range m.Controllers {
				ctrls = append(ctrls, mustPrincipal(b))
			}
			s.Controllers = &ctrls
		}
		return c.createCanister(sender, &s, m.Cycles, nil, true)
	}
	key := string(m.Canister)
	e, ok := c.cans[key]
	if !ok {
		return nil, execution.RejectDestinationInvalid, fmt.Sprintf("canister %s not found", mustPrincipal(m.Canister))
	}
	if !slices.Contains(e.controllers, sender) {
		return nil, execution.RejectCanisterError, fmt.Sprintf("%s is not a controller of %s", sender, e.id)
	}
	c.dirty[key] = true
	run := execution.Message{Arg: m.Arg, Caller: sender, Time: c.round.TimeNS}
	install := func(f func(*execution.Prepared, execution.Compiled) (*execution.Result, error)) (int, string) {
		p, compiled, err := c.modules.Get(m.Wasm)
		if err != nil {
			return execution.RejectCanisterError, fmt.Sprintf("invalid module: %v", err)
		}
		r, err := f(p, compiled)
		c.charge(r)
		if err != nil {
			return execution.RejectCanisterError, err.Error()
		}
		if r != nil && r.Trap != nil {
			return execution.RejectCanisterError, r.RejectMessage
		}
		return 0, ""
	}
	switch m.Kind {
	case KindInstall:
		if e.can.Prepared() != nil {
			return nil, execution.RejectCanisterError, fmt.Sprintf("canister %s already has a module; reinstall or upgrade it", e.id)
		}
		code, msg = install(func(p *execution.Prepared, cm execution.Compiled) (*execution.Result, error) {
			return e.can.InstallCompiled(p, cm, run)
		})
	case KindReinstall:
		code, msg = install(func(p *execution.Prepared, cm execution.Compiled) (*execution.Result, error) {
			return e.can.InstallCompiled(p, cm, run)
		})
		if code == 0 {
			e.epoch++
		}
	case KindUpgrade:
		if e.can.Prepared() == nil {
			return nil, execution.RejectCanisterError, fmt.Sprintf("canister %s is empty", e.id)
		}
		code, msg = install(func(p *execution.Prepared, cm execution.Compiled) (*execution.Result, error) {
			return e.can.UpgradeCompiled(p, cm, run, m.KeepMemory)
		})
	case KindUninstall:
		e.can.Uninstall()
		e.epoch++
	case KindStop:
		e.can.SetStatus(execution.Stopped)
	case KindStart:
		e.can.SetStatus(execution.Running)
	case KindDelete:
		if e.can.State().Status != execution.Stopped {
			return nil, execution.RejectCanisterError, fmt.Sprintf("canister %s must be stopped before it is deleted", e.id)
		}
		e.can.Close()
		delete(c.cans, key)
		c.deleted[key] = e
		c.hashValid = false
	}
	if code != 0 {
		return nil, code, msg
	}
	c.operated(e, m.Kind, sender)
	return emptyCandid, 0, ""
}
