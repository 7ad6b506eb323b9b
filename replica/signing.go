package replica

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/api"
	"github.com/chainkey/chainkey/replica/subnet"
)

// keyEngine is what the node needs from a threshold signing scheme for one
// master key (packages ecdsa and schnorr over idkg). The node owns
// ordering, transport and storage; the engine owns the cryptography.
type keyEngine interface {
	// PublicKey derives the public key and chain code of caller's
	// derivation path (the caller principal is prepended, as on the IC).
	PublicKey(caller principal.Principal, path [][]byte) (pub, chainCode []byte, err error)
	// SignShare returns this node's signature share. An engine that uses
	// presignatures deletes the presignature share durably before it
	// returns, so a share for one presignature leaves the node at most once.
	SignShare(in *signInput) ([]byte, error)
	// VerifyShare checks node index's share.
	VerifyShare(in *signInput, index int, share []byte) error
	// CombineVerified combines shares into a signature that verifies under
	// the derived key, naming the bad shares.
	CombineVerified(in *signInput, shares map[int][]byte) (sig []byte, bad []int, err error)
	// Verify checks a combined signature under the derived key.
	Verify(in *signInput, sig []byte) error
	// Threshold is the number of shares needed.
	Threshold() int
	// ReplyKey is the public key returned with the signature: the one it
	// verifies under.
	ReplyKey(in *signInput) ([]byte, error)
}

// signInput is everything agreed about one signing request.
type signInput struct {
	RequestID  []byte
	KeyID      string
	Caller     principal.Principal
	Path       [][]byte // the caller's path, without the caller principal
	Message    []byte
	Taproot    []byte
	Presig     *subnet.PresigRec
	Randomness []byte // fixed by consensus after the request was accepted
}

// signInputOf decodes a pending request.
func signInputOf(p *subnet.PendingRequest) (*signInput, error) {
	env, err := ingress.ParseEnvelope(p.Envelope)
	if err != nil {
		return nil, err
	}
	c, _, err := env.DecodeSignContent()
	if err != nil {
		return nil, err
	}
	return &signInput{RequestID: p.ID, KeyID: c.KeyID, Caller: c.Sender, Path: c.DerivationPath, Message: c.MessageHash,
		Taproot: c.TaprootMerkleRoot, Presig: p.PresigRec, Randomness: p.Randomness}, nil
}

// applySign accepts a signing request: the envelope is verified again at
// the block time, replays within the expiry window are refused, and the
// request waits for a presignature.
func (e *exec) applySign(t *subnet.SignTx) (uint32, string) {
	if len(t.Envelope) > subnet.MaxEnvelopeBytes {
		return codeInvalid, "envelope too large"
	}
	env, err := ingress.ParseEnvelope(t.Envelope)
	if err != nil {
		return codeInvalid, err.Error()
	}
	c, id, err := env.Verify(e.now, maxIngressExpiry)
	if err != nil {
		if errors.Is(err, ingress.ErrExpired) {
			return codeExpired, err.Error()
		}
		return codeInvalid, err.Error()
	}
	if e.seen[string(id[:])] || e.record(id[:]) != nil {
		return codeDuplicate, api.ErrDuplicateRequest.Error()
	}
	e.seen[string(id[:])] = true
	rec := &subnet.RequestRecord{Status: subnet.StatusReceived, Height: e.cs.Height + 1, Expiry: c.IngressExpiry, KeyID: c.KeyID}
	code := codeOK
	if _, ok := e.a.engines[c.KeyID]; !ok {
		rec.Status, rec.Reject, code = subnet.StatusRejected, fmt.Sprintf("unknown key %s", c.KeyID), codeUnknownKey
	} else {
		e.cs.Pending = append(e.cs.Pending, subnet.PendingRequest{ID: id[:], Height: e.cs.Height + 1, KeyID: c.KeyID,
			Envelope: slices.Clone(t.Envelope), Expiry: c.IngressExpiry})
		e.cs.Requests++
	}
	e.putRecord(id[:], rec)
	e.set(expiryKey(c.IngressExpiry, id[:]), nil)
	return code, rec.Reject
}

// signShares makes this node's shares for the requests pending in the
// committed state that have their presignature.
func (a *app) signShares(cs *subnet.State) []subnet.SignShare {
	var out []subnet.SignShare
	for i := range cs.Pending {
		p := &cs.Pending[i]
		if p.Randomness == nil || len(out) >= subnet.MaxSharesPerExt {
			continue
		}
		eng := a.engines[p.KeyID]
		if eng == nil {
			continue
		}
		in, err := signInputOf(p)
		if err != nil {
			continue
		}
		share, err := eng.SignShare(in)
		if err != nil {
			a.log.Error("signature share", "request", shortHex(p.ID), "key", p.KeyID, "err", err)
			continue
		}
		share = a.liar().signShare(share)
		out = append(out, subnet.SignShare{RequestID: p.ID, Share: share})
	}
	return out
}

// combineReplies combines the signing shares of the last height's vote
// extensions into replies, marking nodes with bad shares.
func (a *app) combineReplies(cs *subnet.State, votes []extVote, bad map[int]bool) []*subnet.ReplyTx {
	var out []*subnet.ReplyTx
	for i := range cs.Pending {
		p := &cs.Pending[i]
		if p.Randomness == nil {
			continue
		}
		eng := a.engines[p.KeyID]
		if eng == nil {
			continue
		}
		shares := map[int][]byte{}
		for _, v := range votes {
			for _, s := range v.ext.SignShares {
				if bytes.Equal(s.RequestID, p.ID) {
					shares[v.index] = s.Share
					break
				}
			}
		}
		if len(shares) < eng.Threshold() {
			continue
		}
		in, err := signInputOf(p)
		if err != nil {
			continue
		}
		sig, badIdx, err := eng.CombineVerified(in, shares)
		for _, i := range badIdx {
			bad[i] = true
		}
		if err != nil {
			continue
		}
		out = append(out, &subnet.ReplyTx{RequestID: p.ID, Signature: sig})
		if len(out) >= subnet.MaxSignPerBlock {
			break
		}
	}
	return out
}

// applyReply records a combined signature after checking it under the
// derived key.
func (e *exec) applyReply(t *subnet.ReplyTx) (uint32, error) {
	i := e.cs.PendingIndex(t.RequestID)
	if i < 0 {
		return codeInvalid, errf("reply for request %s that is not pending", shortHex(t.RequestID))
	}
	p := e.cs.Pending[i]
	eng := e.a.engines[p.KeyID]
	if eng == nil || p.Randomness == nil {
		return codeInvalid, errf("reply for request %s not ready", shortHex(t.RequestID))
	}
	in, err := signInputOf(&p)
	if err != nil {
		return codeInvalid, err
	}
	if err := eng.Verify(in, t.Signature); err != nil {
		return codeInvalid, fmt.Errorf("replica: reply for %s: %w", shortHex(t.RequestID), err)
	}
	pub, err := eng.ReplyKey(in)
	if err != nil {
		return codeInvalid, err
	}
	rec := e.record(p.ID)
	if rec == nil {
		return codeInvalid, errf("no record for request %s", shortHex(p.ID))
	}
	r := *rec
	r.Status, r.Height, r.Signature, r.PublicKey = subnet.StatusReplied, e.cs.Height+1, slices.Clone(t.Signature), pub
	e.putRecord(p.ID, &r)
	e.cs.Pending = slices.Delete(e.cs.Pending, i, i+1)
	e.cs.Replied++
	e.dropPresignature(&p)
	return codeOK, nil
}

// extHasBadSignShare reports whether ext holds a signing share for a
// pending request that does not verify.
func (a *app) extHasBadSignShare(idx int, ext *subnet.VoteExt) bool {
	a.mu.Lock()
	cs := a.cs.Clone()
	a.mu.Unlock()
	for _, s := range ext.SignShares {
		i := cs.PendingIndex(s.RequestID)
		if i < 0 {
			continue
		}
		p := &cs.Pending[i]
		eng := a.engines[p.KeyID]
		if eng == nil || p.Randomness == nil {
			continue
		}
		in, err := signInputOf(p)
		if err != nil {
			continue
		}
		if eng.VerifyShare(in, idx, s.Share) != nil {
			return true
		}
	}
	return false
}

// dropPresignature removes a used presignature: its transcripts leave the
// state, and every node deletes its shares of them (whether or not it
// signed) and the share it sent.
func (e *exec) dropPresignature(p *subnet.PendingRequest) {
	if e.dry || p.PresigRec == nil || e.a.idkg == nil {
		return
	}
	s := e.a.idkg
	r := p.PresigRec
	for _, id := range [][]byte{r.Kappa, r.Lambda, r.KappaLambda, r.KeyLambda} {
		if id == nil {
			continue
		}
		e.del(append([]byte(prefixTranscript), id...))
		s.forget(id)
		s.mu.Lock()
		delete(s.transcripts, string(id))
		s.mu.Unlock()
	}
	s.mu.Lock()
	delete(s.shares, string(p.ID))
	s.mu.Unlock()
	s.consumed.Drop(presigID(r.KeyID, r.ID))
}
