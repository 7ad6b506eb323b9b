package replica

import (
	"bytes"
	"errors"

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
	SignShare(in *subnet.SignInput) ([]byte, error)
	// VerifyShare checks node index's share.
	VerifyShare(in *subnet.SignInput, index int, share []byte) error
	// CombineVerified combines shares into a signature that verifies under
	// the derived key, naming the bad shares.
	CombineVerified(in *subnet.SignInput, shares map[int][]byte) (sig []byte, bad []int, err error)
	// Verify checks a combined signature under the derived key.
	Verify(in *subnet.SignInput, sig []byte) error
	// Threshold is the number of shares needed.
	Threshold() int
	// ReplyKey is the public key returned with the signature: the one it
	// verifies under.
	ReplyKey(in *subnet.SignInput) ([]byte, error)
}

// applySign accepts a signing request: the envelope is verified again at
// the block time, replays within the expiry window are refused, and the
// request waits for a presignature.
func (e *exec) applySign(t *subnet.SignTx) (uint32, string) {
	known := func(keyID string) bool { _, ok := e.a.engines[keyID]; return ok }
	err := subnet.AcceptRequest(e.cs, e, e, e.seen, known, t.Envelope, e.now, maxIngressExpiry)
	switch {
	case err == nil:
		return codeOK, ""
	case errors.Is(err, subnet.ErrUnknownKey):
		return codeUnknownKey, err.Error()
	case errors.Is(err, subnet.ErrDuplicate):
		return codeDuplicate, api.ErrDuplicateRequest.Error()
	case errors.Is(err, ingress.ErrExpired):
		return codeExpired, err.Error()
	default:
		return codeInvalid, err.Error()
	}
}

// signer returns the engine of a key id as the core's Signer, nil if the
// subnet has no such key.
func (a *app) signer(keyID string) subnet.Signer {
	if eng, ok := a.engines[keyID]; ok {
		return eng
	}
	return nil
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
		in, err := subnet.SignInputOf(p)
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
		in, err := subnet.SignInputOf(p)
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
	p, err := subnet.ApplyReply(e.cs, e, e.a.signer, t)
	if err != nil {
		return codeInvalid, err
	}
	e.canisterSignature(p, t.Signature)
	e.dropPresignature(p)
	return codeOK, nil
}

// extHasBadSignShare reports whether ext holds a signing share for a
// pending request that does not verify.
func (a *app) extHasBadSignShare(idx int, ext *subnet.VoteExt) bool {
	cs, _ := a.committed()
	return subnet.BadSignShare(cs, a.signer, idx, ext)
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
		e.del(append([]byte(subnet.PrefixTranscript), id...))
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
