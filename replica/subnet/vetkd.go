package subnet

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

// vetKD derivation requests follow signing requests: a caller's
// authenticated ingress envelope (VetKDTx) is accepted in a block and
// joins State.VetKDPending; every node puts its encrypted key share in
// its vote extension (VoteExt.VetKDShares, made with its share of the
// master key of the extension's key epoch); the next proposer checks
// every share, combines a threshold of valid ones into the encrypted key
// and puts it in its block (Tx.VetKDReply), where every node verifies it
// against the derived public key before the request is replied. A node
// whose share does not verify is convicted by evidence, as for signature
// shares. The caller's principal takes the canister id's place in the
// derivation.

// ErrRejected marks a request that is recorded as rejected (a transport
// public key that is not a valid G1 point): a block may carry it.
var ErrRejected = errors.New("subnet: request rejected")

// VetKDTx is a caller's derivation request: an ingress envelope of
// request type ingress.RequestTypeVetKD.
type VetKDTx struct {
	Envelope []byte `cbor:"1,keyasint"`
}

// VetKDPendingIndex returns the index in VetKDPending of the request id,
// or -1.
func (s *State) VetKDPendingIndex(id []byte) int {
	for i := range s.VetKDPending {
		if bytes.Equal(s.VetKDPending[i].ID, id) {
			return i
		}
	}
	return -1
}

// VetKDRequestOf decodes a pending derivation request into what the
// vetKD scheme derives: the caller's principal as the canister id.
func VetKDRequestOf(p *PendingRequest) (*vetkd.Request, error) {
	if c := p.CanisterVetKD; c != nil {
		return c.request(), nil
	}
	env, err := ingress.ParseEnvelope(p.Envelope)
	if err != nil {
		return nil, err
	}
	c, _, err := env.DecodeVetKDContent()
	if err != nil {
		return nil, err
	}
	return &vetkd.Request{CanisterID: c.Sender.Bytes(), Context: c.Context, Input: c.Input,
		TransportPublicKey: c.TransportPublicKey}, nil
}

// VetKDDeriver gives the derivation of a pending request under its
// master key as of the state cs (whose public coefficients are
// cs.VetKDPub[p.KeyID]); the node caches them.
type VetKDDeriver func(cs *State, p *PendingRequest) (*vetkd.Derivation, error)

// NewVetKDDerivation is the uncached VetKDDeriver: it parses the master
// key's public coefficients from cs and prepares the request.
func NewVetKDDerivation(cs *State, p *PendingRequest) (*vetkd.Derivation, error) {
	pub := cs.VetKDPub[p.KeyID]
	if pub == nil {
		return nil, errf("no vetKD key %s", p.KeyID)
	}
	pc, err := thresholdsig.ParsePublicCoefficients(pub)
	if err != nil {
		return nil, fmt.Errorf("subnet: vetKD key %s: %w", p.KeyID, err)
	}
	req, err := VetKDRequestOf(p)
	if err != nil {
		return nil, err
	}
	return vetkd.NewDerivation(pc, req)
}

// AcceptVetKDRequest accepts a caller's derivation request at block time
// now, as AcceptRequest accepts a signing request: the envelope is
// verified again, a duplicate is refused (ErrDuplicate), and the request
// joins cs.VetKDPending if the subnet has its key (cs.VetKDPub) and the
// transport public key is a valid G1 point; otherwise it is recorded as
// rejected (an unknown key's error wraps ErrUnknownKey).
func AcceptVetKDRequest(cs *State, w Writer, recs Records, seen map[string]bool, envelope []byte, now time.Time,
	maxExpiry time.Duration) error {
	if len(envelope) > MaxEnvelopeBytes {
		return errf("envelope too large")
	}
	env, err := ingress.ParseEnvelope(envelope)
	if err != nil {
		return err
	}
	c, id, err := env.VerifyVetKD(now, maxExpiry)
	if err != nil {
		return err
	}
	if seen[string(id[:])] || recs.Record(id[:]) != nil {
		return fmt.Errorf("subnet: request %x: %w", id[:6], ErrDuplicate)
	}
	seen[string(id[:])] = true
	rec := &RequestRecord{Status: StatusReceived, Height: cs.Height + 1, Expiry: c.IngressExpiry, KeyID: c.KeyID}
	_, tpkErr := vetkd.ParseTransportPublicKey(c.TransportPublicKey)
	switch {
	case cs.VetKDPub[c.KeyID] == nil:
		rec.Status, rec.Reject, err = StatusRejected, fmt.Sprintf("unknown key %s", c.KeyID), ErrUnknownKey
	case tpkErr != nil:
		rec.Status, rec.Reject, err = StatusRejected, "invalid transport public key", fmt.Errorf("%w: %v", ErrRejected, tpkErr)
	default:
		cs.VetKDPending = append(cs.VetKDPending, PendingRequest{ID: id[:], Height: cs.Height + 1, KeyID: c.KeyID,
			Envelope: slices.Clone(envelope), Expiry: c.IngressExpiry})
		cs.VetKDRequests++
	}
	recs.PutRecord(id[:], rec)
	w.Set(ExpiryKey(c.IngressExpiry, id[:]), nil)
	if err != nil {
		return fmt.Errorf("subnet: %s: %w", rec.Reject, err)
	}
	return nil
}

// ApplyVetKDReply answers a pending derivation request with a combined
// encrypted key that verifies (vetkd.Derivation.Verify) under the
// request's derived public key: the record becomes replied, with the
// encrypted key as its signature and the derived public key, and the
// request leaves cs.VetKDPending. A canister's request has no record: it
// only leaves cs.VetKDPending, and the shell delivers the key.
func ApplyVetKDReply(cs *State, recs Records, derive VetKDDeriver, t *ReplyTx) error {
	i := cs.VetKDPendingIndex(t.RequestID)
	if i < 0 {
		return errf("vetKD reply for request %x that is not pending", short(t.RequestID))
	}
	p := cs.VetKDPending[i]
	d, err := derive(cs, &p)
	if err != nil {
		return fmt.Errorf("subnet: vetKD reply for %x: %w", short(t.RequestID), err)
	}
	ek, err := vetkd.ParseEncryptedKey(t.Signature)
	if err != nil {
		return fmt.Errorf("subnet: vetKD reply for %x: %w", short(t.RequestID), err)
	}
	if err := d.Verify(ek); err != nil {
		return fmt.Errorf("subnet: vetKD reply for %x: %w", short(t.RequestID), err)
	}
	if p.CanisterVetKD != nil {
		// A canister's request: the encrypted key goes to its callback.
		cs.VetKDPending = slices.Delete(cs.VetKDPending, i, i+1)
		cs.VetKDReplied++
		return nil
	}
	rec := recs.Record(p.ID)
	if rec == nil {
		return errf("no record for request %x", short(p.ID))
	}
	r := *rec
	r.Status, r.Height, r.Signature, r.PublicKey = StatusReplied, cs.Height+1, slices.Clone(t.Signature), d.PublicKey().Bytes()
	recs.PutRecord(p.ID, &r)
	cs.VetKDPending = slices.Delete(cs.VetKDPending, i, i+1)
	cs.VetKDReplied++
	return nil
}

// CombineVetKD combines, for each pending derivation request, the
// encrypted key shares of votes made with the key epoch of cs into a
// reply, checking every share first (in one batch check; so a node
// sending bad shares is always caught) and marking in bad the nodes whose shares do not verify.
// Requests without a threshold of valid shares wait.
func CombineVetKD(cs *State, derive VetKDDeriver, votes []ExtVote, bad map[int]bool) []*ReplyTx {
	byReq := map[string]map[int][]byte{}
	for _, v := range votes {
		if v.Ext.KeyEpoch != KeyEpoch(cs) {
			continue
		}
		for _, sh := range v.Ext.VetKDShares {
			if byReq[string(sh.RequestID)] == nil {
				byReq[string(sh.RequestID)] = map[int][]byte{}
			}
			byReq[string(sh.RequestID)][v.Index] = sh.Share
		}
	}
	var out []*ReplyTx
	for i := range cs.VetKDPending {
		p := &cs.VetKDPending[i]
		shares := byReq[string(p.ID)]
		if len(shares) == 0 {
			continue
		}
		d, err := derive(cs, p)
		if err != nil {
			continue
		}
		for _, j := range d.BatchVerifyShares(shares) {
			bad[j] = true
			delete(shares, j)
		}
		if len(shares) < d.Threshold() {
			continue
		}
		ek, badIdx, err := d.Combine(shares)
		for _, j := range badIdx {
			bad[j] = true
		}
		if err != nil {
			continue
		}
		out = append(out, &ReplyTx{RequestID: slices.Clone(p.ID), Signature: ek.Bytes()})
	}
	return out
}

// BadVetKDShare reports whether ext, the vote extension of node idx,
// holds an encrypted key share for a request pending in cs that provably
// does not verify against the node's share of the master key of cs.
// Shares of another key epoch prove nothing.
func BadVetKDShare(cs *State, derive VetKDDeriver, idx int, ext *VoteExt) bool {
	if ext.KeyEpoch != KeyEpoch(cs) {
		return false
	}
	for _, sh := range ext.VetKDShares {
		i := cs.VetKDPendingIndex(sh.RequestID)
		if i < 0 {
			continue
		}
		d, err := derive(cs, &cs.VetKDPending[i])
		if err != nil {
			continue
		}
		if d.VerifyShare(idx, sh.Share) != nil {
			return true
		}
	}
	return false
}
