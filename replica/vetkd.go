package replica

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/replica/subnet"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

// The vetKD master keys (genesis VetKDKeyIDs) are made by the BLS key
// generation, as further sessions of the same epochs: dealt at genesis
// and reshared with the certification and beacon keys, threshold n−f,
// public coefficients in State.VetKDPub. This file is the node's part of
// vetKD: its secret shares of the master keys, its encrypted key shares
// for pending derivation requests, the proposer's combination, and the
// Node API. The replicated rules are in package subnet (vetkd.go).

// maxVetKDDerivations bounds the node's cache of prepared derivations.
const maxVetKDDerivations = 4096

// vetkdNode is the node's vetKD material.
type vetkdNode struct {
	mu sync.Mutex
	// shares are this node's secret shares of the master keys (by key
	// id) of key epoch epoch.
	shares map[string][]byte
	epoch  uint64
	// derivs caches the prepared derivation of a request under given
	// public coefficients; pcs the parsed coefficients.
	derivs map[string]*vetkd.Derivation
	pcs    map[string]*thresholdsig.PublicCoefficients
}

func newVetKDNode() *vetkdNode {
	return &vetkdNode{derivs: map[string]*vetkd.Derivation{}, pcs: map[string]*thresholdsig.PublicCoefficients{}}
}

// checkVetKDKeyIDs checks the genesis vetKD key ids: well-formed, no
// repeats, and made by key generation (a bootstrap-dealer subnet has
// none).
func checkVetKDKeyIDs(ids []string, keyGen string) error {
	if len(ids) != 0 && keyGen != keyGenDKG {
		return fmt.Errorf("replica: vetKD keys need key_gen %q", keyGenDKG)
	}
	for i, k := range ids {
		if err := ingress.CheckVetKDKeyID(k); err != nil {
			return fmt.Errorf("replica: genesis: %w", err)
		}
		if slices.Contains(ids[:i], k) {
			return fmt.Errorf("replica: genesis: vetKD key %s twice", k)
		}
	}
	return nil
}

// vetkdShareFile is the secret file of this node's share of a master key.
func vetkdShareFile(keyID string) string {
	return "vetkd-" + keyID[strings.LastIndexByte(keyID, ':')+1:] + ".share"
}

// coefficients returns the parsed public coefficients pub.
func (v *vetkdNode) coefficients(pub []byte) (*thresholdsig.PublicCoefficients, error) {
	v.mu.Lock()
	pc := v.pcs[string(pub)]
	v.mu.Unlock()
	if pc != nil {
		return pc, nil
	}
	pc, err := thresholdsig.ParsePublicCoefficients(pub)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.pcs) > 64 {
		clear(v.pcs)
	}
	v.pcs[string(pub)] = pc
	v.mu.Unlock()
	return pc, nil
}

// derive is the node's subnet.VetKDDeriver: the prepared derivation of a
// pending request under the master key of cs, cached.
func (a *app) derive(cs *subnet.State, p *subnet.PendingRequest) (*vetkd.Derivation, error) {
	v := a.vk
	pub := cs.VetKDPub[p.KeyID]
	if pub == nil {
		return nil, fmt.Errorf("replica: no vetKD key %s", p.KeyID)
	}
	k := string(p.ID) + string(pub)
	v.mu.Lock()
	d := v.derivs[k]
	v.mu.Unlock()
	if d != nil {
		return d, nil
	}
	pc, err := v.coefficients(pub)
	if err != nil {
		return nil, err
	}
	req, err := subnet.VetKDRequestOf(p)
	if err != nil {
		return nil, err
	}
	if d, err = vetkd.NewDerivation(pc, req); err != nil {
		return nil, err
	}
	v.mu.Lock()
	if len(v.derivs) >= maxVetKDDerivations {
		clear(v.derivs)
	}
	v.derivs[k] = d
	v.mu.Unlock()
	return d, nil
}

// vetkdSharesOf returns this node's master key shares if they are those
// of key epoch epoch.
func (a *app) vetkdSharesOf(epoch uint64) map[string][]byte {
	v := a.vk
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.epoch != epoch || v.shares == nil {
		return nil
	}
	return v.shares
}

// readVetKDShares reads this node's share files of the master keys of cs.
func (a *app) readVetKDShares(cs *subnet.State) (map[string][]byte, error) {
	out := map[string][]byte{}
	var errs []error
	for _, k := range a.gen.VetKDKeyIDs {
		raw, err := readSecretFile(a.cfg.secretPath(vetkdShareFile(k)))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[k] = raw
	}
	return out, errors.Join(errs...)
}

// vetkdSharesMatch reports whether the shares match the master keys of
// cs: each key of the state has a share, and an encrypted key share made
// with it verifies.
func (a *app) vetkdSharesMatch(cs *subnet.State, shares map[string][]byte) bool {
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		return false
	}
	defer tsk.Zeroize()
	for k, pub := range cs.VetKDPub {
		pc, err := a.vk.coefficients(pub)
		if err != nil {
			return false
		}
		d, err := vetkd.NewDerivation(pc, &vetkd.Request{CanisterID: []byte("chainkey share check"),
			Input: []byte{1}, TransportPublicKey: tsk.PublicKey().Bytes()})
		if err != nil {
			return false
		}
		var sk thresholdsig.SecretKeyShare
		if shares[k] == nil || sk.UnmarshalBinary(shares[k]) != nil {
			return false
		}
		share, err := d.CreateShare(rand.Reader, &sk)
		sk.Zeroize()
		if err != nil || d.VerifyShare(a.me(), share) != nil {
			return false
		}
	}
	return true
}

// setVetKDShares installs this node's master key shares of key epoch
// epoch, writing them to their files when write is set.
func (a *app) setVetKDShares(shares map[string][]byte, epoch uint64, write bool) error {
	if write {
		for k, raw := range shares {
			if err := writeSecretFile(a.cfg.secretPath(vetkdShareFile(k)), raw); err != nil {
				return err
			}
		}
	}
	v := a.vk
	v.mu.Lock()
	for _, raw := range v.shares {
		clear(raw)
	}
	v.shares, v.epoch = shares, epoch
	v.mu.Unlock()
	return nil
}

// vetkdShares makes this node's encrypted key shares for the derivation
// requests pending in the committed state cs, with its master key shares
// of key epoch epoch.
func (a *app) vetkdShares(cs *subnet.State, epoch uint64) []subnet.SignShare {
	if len(cs.VetKDPending) == 0 {
		return nil
	}
	held := a.vetkdSharesOf(epoch)
	var out []subnet.SignShare
	lie, _ := a.liar().(interface{ vetkdShare([]byte) []byte })
	for i := range cs.VetKDPending {
		p := &cs.VetKDPending[i]
		if len(out) >= subnet.MaxVetKDSharesPerExt {
			break
		}
		raw := held[p.KeyID]
		if raw == nil {
			continue
		}
		d, err := a.derive(cs, p)
		if err != nil {
			continue
		}
		var sk thresholdsig.SecretKeyShare
		if err := sk.UnmarshalBinary(raw); err != nil {
			continue
		}
		share, err := d.CreateShare(rand.Reader, &sk)
		sk.Zeroize()
		if err != nil {
			a.log.Error("vetKD key share", "request", shortHex(p.ID), "key", p.KeyID, "err", err)
			continue
		}
		if lie != nil {
			share = lie.vetkdShare(share)
		}
		out = append(out, subnet.SignShare{RequestID: p.ID, Share: share})
	}
	return out
}

// applyVetKD executes a caller's derivation request.
func (e *exec) applyVetKD(t *subnet.VetKDTx) (uint32, string) {
	err := subnet.AcceptVetKDRequest(e.cs, e, e, e.seen, t.Envelope, e.now, maxIngressExpiry)
	switch {
	case err == nil:
		return codeOK, ""
	case errors.Is(err, subnet.ErrUnknownKey):
		return codeUnknownKey, err.Error()
	case errors.Is(err, subnet.ErrRejected):
		// Recorded as rejected: the block may carry it.
		return codeUnknownKey, err.Error()
	case errors.Is(err, subnet.ErrDuplicate):
		return codeDuplicate, api.ErrDuplicateRequest.Error()
	case errors.Is(err, ingress.ErrExpired):
		return codeExpired, err.Error()
	default:
		return codeInvalid, err.Error()
	}
}

// applyVetKDReply executes a combined encrypted key: every node checks it
// against the request's derived public key.
func (e *exec) applyVetKDReply(t *subnet.ReplyTx) (uint32, error) {
	can := e.canisterVetKDPending(t.RequestID)
	if err := subnet.ApplyVetKDReply(e.cs, e, e.a.derive, t); err != nil {
		return codeInvalid, err
	}
	e.canisterVetKDKey(can, t.Signature)
	return codeOK, nil
}

// checkVetKDTx admits a derivation request to the mempool.
func (a *app) checkVetKDTx(t *subnet.VetKDTx) (uint32, string) {
	env, err := ingress.ParseEnvelope(t.Envelope)
	if err != nil {
		return codeInvalid, err.Error()
	}
	c, id, err := env.VerifyVetKD(time.Now(), maxIngressExpiry)
	if err != nil {
		if errors.Is(err, ingress.ErrExpired) {
			return codeExpired, err.Error()
		}
		return codeInvalid, err.Error()
	}
	if a.lookupRecord(id[:]) != nil {
		return codeDuplicate, api.ErrDuplicateRequest.Error()
	}
	if !slices.Contains(a.gen.VetKDKeyIDs, c.KeyID) {
		return codeUnknownKey, fmt.Sprintf("unknown key %s", c.KeyID)
	}
	if _, err := vetkd.ParseTransportPublicKey(c.TransportPublicKey); err != nil {
		return codeInvalid, err.Error()
	}
	return codeOK, ""
}

// extHasBadVetKDShare reports whether ext holds an encrypted key share
// for a pending derivation request that does not verify.
func (a *app) extHasBadVetKDShare(idx int, ext *subnet.VoteExt) bool {
	cs, _ := a.committed()
	return subnet.BadVetKDShare(cs, a.derive, idx, ext)
}

// vetkdKey returns the public coefficients of the vetKD master key keyID,
// distinguishing unknown keys from keys still being created.
func (a *app) vetkdKey(keyID string) (*thresholdsig.PublicCoefficients, error) {
	if !slices.Contains(a.gen.VetKDKeyIDs, keyID) {
		return nil, fmt.Errorf("%w: %s", api.ErrUnknownKey, keyID)
	}
	cs, _ := a.committed()
	pub := cs.VetKDPub[keyID]
	if pub == nil {
		return nil, fmt.Errorf("%w: key %s is being created", api.ErrNotReady, keyID)
	}
	return a.vk.coefficients(pub)
}

// vetkdPublicKey returns the derived public key of caller and context
// under the master key keyID.
func (a *app) vetkdPublicKey(keyID string, caller principal.Principal, context []byte) ([]byte, error) {
	pc, err := a.vetkdKey(keyID)
	if err != nil {
		return nil, err
	}
	mk, err := vetkd.NewMasterPublicKey(pc.PublicKey().Point())
	if err != nil {
		return nil, fmt.Errorf("replica: vetKD key %s: %w", keyID, err)
	}
	return vetkd.DerivePublicKey(mk, caller.Bytes(), context).Bytes(), nil
}

// VetKDPublicKey returns the derived public key of caller and context
// under the vetKD master key keyID (the caller's principal in a canister
// id's place), the reply of vetkd_public_key.
func (n *Node) VetKDPublicKey(ctx context.Context, keyID string, caller principal.Principal, context []byte) ([]byte, error) {
	return n.app.vetkdPublicKey(keyID, caller, context)
}

// VetKDDeriveKey submits a verified derivation request and waits until
// its encrypted key is in a certified height.
func (n *Node) VetKDDeriveKey(ctx context.Context, req *api.VetKDRequest) (*api.VetKDResult, error) {
	c, id := req.Content(), req.ID()
	if _, err := n.app.vetkdKey(c.KeyID); err != nil {
		return nil, err
	}
	raw := subnet.EncodeTx(&subnet.Tx{VetKD: &subnet.VetKDTx{Envelope: req.Envelope().Marshal()}})
	r, cert, err := n.submitRequest(ctx, "vetKD", id, c.IngressExpiry, raw)
	if err != nil {
		return nil, err
	}
	return &api.VetKDResult{EncryptedKey: r.Signature, PublicKey: r.PublicKey, Certificate: cert, Height: r.Height}, nil
}

var _ api.VetKDNode = (*Node)(nil)
