package subnet

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

// State keys of signing requests.
const (
	PrefixStatus = "q/" // q/<request id> -> RequestRecord
	PrefixExpiry = "x/" // x/<expiry><request id> -> empty (replay index)
)

// StatusKey is the state key of a request's record.
func StatusKey(id []byte) []byte { return append([]byte(PrefixStatus), id...) }

// ExpiryKey is the replay-index key of a request: it sorts by expiry.
func ExpiryKey(expiry uint64, id []byte) []byte {
	return append(HeightKey(PrefixExpiry, expiry), id...)
}

// ErrUnknownKey marks a signing request for a key the subnet does not
// have: it is recorded as rejected.
var ErrUnknownKey = errors.New("subnet: unknown key id")

// SignInput is everything agreed about one signing request.
type SignInput struct {
	RequestID  []byte
	KeyID      string
	Caller     principal.Principal
	Path       [][]byte // the caller's path, without the caller principal
	Message    []byte
	Taproot    []byte
	Presig     *PresigRec
	Randomness []byte // fixed by consensus after the request was accepted
}

// SignInputOf decodes a pending request.
func SignInputOf(p *PendingRequest) (*SignInput, error) {
	if c := p.Canister; c != nil {
		return c.input(p)
	}
	env, err := ingress.ParseEnvelope(p.Envelope)
	if err != nil {
		return nil, err
	}
	c, _, err := env.DecodeSignContent()
	if err != nil {
		return nil, err
	}
	return &SignInput{RequestID: p.ID, KeyID: c.KeyID, Caller: c.Sender, Path: c.DerivationPath, Message: c.MessageHash,
		Taproot: c.TaprootMerkleRoot, Presig: p.PresigRec, Randomness: p.Randomness}, nil
}

// Signer is what the core needs of a master key's threshold signing scheme
// (packages ecdsa and schnorr over idkg, in the node): checks only.
type Signer interface {
	// VerifyShare checks node index's share.
	VerifyShare(in *SignInput, index int, share []byte) error
	// Verify checks a combined signature under the derived key.
	Verify(in *SignInput, sig []byte) error
	// ReplyKey is the public key returned with the signature: the one it
	// verifies under.
	ReplyKey(in *SignInput) ([]byte, error)
}

// Records are the request records a height reads and writes: the
// committed ones and those changed earlier in the height.
type Records interface {
	// Record returns the record of request id, or nil.
	Record(id []byte) *RequestRecord
	// PutRecord records r as request id's record in the height.
	PutRecord(id []byte, r *RequestRecord)
}

// AcceptRequest accepts a caller's signing request (an ingress envelope)
// at block time now: the envelope is verified again, a request id seen in
// the block or recorded and not expired is refused (ErrDuplicate), and the
// request joins cs.Pending if signer knows its key, else it is recorded as
// rejected and the error wraps ErrUnknownKey. The record and the replay
// index go to recs and w. An expired request's error wraps
// ingress.ErrExpired.
func AcceptRequest(cs *State, w Writer, recs Records, seen map[string]bool, known func(keyID string) bool,
	envelope []byte, now time.Time, maxExpiry time.Duration) error {
	if len(envelope) > MaxEnvelopeBytes {
		return errf("envelope too large")
	}
	env, err := ingress.ParseEnvelope(envelope)
	if err != nil {
		return err
	}
	c, id, err := env.Verify(now, maxExpiry)
	if err != nil {
		return err
	}
	if seen[string(id[:])] || recs.Record(id[:]) != nil {
		return fmt.Errorf("subnet: request %x: %w", id[:6], ErrDuplicate)
	}
	seen[string(id[:])] = true
	rec := &RequestRecord{Status: StatusReceived, Height: cs.Height + 1, Expiry: c.IngressExpiry, KeyID: c.KeyID}
	if !known(c.KeyID) {
		rec.Status, rec.Reject, err = StatusRejected, fmt.Sprintf("unknown key %s", c.KeyID), ErrUnknownKey
	} else {
		cs.Pending = append(cs.Pending, PendingRequest{ID: id[:], Height: cs.Height + 1, KeyID: c.KeyID,
			Envelope: slices.Clone(envelope), Expiry: c.IngressExpiry})
		cs.Requests++
	}
	recs.PutRecord(id[:], rec)
	w.Set(ExpiryKey(c.IngressExpiry, id[:]), nil)
	if err != nil {
		return fmt.Errorf("%w: %s", err, rec.Reject)
	}
	return nil
}

// ApplyReply answers a pending request with a combined signature that
// verifies under the request's derived key (signer returns the scheme of a
// key id, nil if unknown): the record becomes replied, with the signature
// and the key, and the request leaves cs.Pending. It returns the request,
// whose presignature the caller drops.
func ApplyReply(cs *State, recs Records, signer func(keyID string) Signer, t *ReplyTx) (*PendingRequest, error) {
	i := cs.PendingIndex(t.RequestID)
	if i < 0 {
		return nil, errf("reply for request %x that is not pending", short(t.RequestID))
	}
	p := cs.Pending[i]
	s := signer(p.KeyID)
	if s == nil || p.Randomness == nil {
		return nil, errf("reply for request %x not ready", short(t.RequestID))
	}
	in, err := SignInputOf(&p)
	if err != nil {
		return nil, err
	}
	if err := s.Verify(in, t.Signature); err != nil {
		return nil, fmt.Errorf("subnet: reply for %x: %w", short(t.RequestID), err)
	}
	pub, err := s.ReplyKey(in)
	if err != nil {
		return nil, err
	}
	if p.Canister != nil {
		// A canister's request: the signature goes to its callback.
		cs.Pending = slices.Delete(cs.Pending, i, i+1)
		cs.Replied++
		return &p, nil
	}
	rec := recs.Record(p.ID)
	if rec == nil {
		return nil, errf("no record for request %x", short(p.ID))
	}
	r := *rec
	r.Status, r.Height, r.Signature, r.PublicKey = StatusReplied, cs.Height+1, slices.Clone(t.Signature), pub
	recs.PutRecord(p.ID, &r)
	cs.Pending = slices.Delete(cs.Pending, i, i+1)
	cs.Replied++
	return &p, nil
}

// BadSignShare reports whether ext holds a signing share of node idx, for
// a request pending in cs, that does not verify.
func BadSignShare(cs *State, signer func(keyID string) Signer, idx int, ext *VoteExt) bool {
	for _, sh := range ext.SignShares {
		i := cs.PendingIndex(sh.RequestID)
		if i < 0 {
			continue
		}
		p := &cs.Pending[i]
		s := signer(p.KeyID)
		if s == nil || p.Randomness == nil {
			continue
		}
		in, err := SignInputOf(p)
		if err != nil {
			continue
		}
		if s.VerifyShare(in, idx, sh.Share) != nil {
			return true
		}
	}
	return false
}

func short(b []byte) []byte { return b[:min(len(b), 6)] }

// ExpireRequests removes the requests whose ingress expiry is before
// nowNS (block time, nanoseconds) from the replay index, the records and
// cs.Pending: their replay window is over, and they leave the certified
// tree. It reads the committed replay index from st, deletes through w,
// calls drop for each expired record id, and returns the expired requests
// that were still pending (their presignatures are the caller's to drop).
func ExpireRequests(cs *State, st Storage, w Writer, drop func(id []byte), nowNS int64) ([]PendingRequest, error) {
	var expired [][]byte
	if err := st.Scan([]byte(PrefixExpiry), func(k, _ []byte) bool {
		if len(k) < len(PrefixExpiry)+8 {
			return true
		}
		if HeightOf(k, PrefixExpiry) >= uint64(nowNS) {
			return false
		}
		expired = append(expired, slices.Clone(k))
		return true
	}); err != nil {
		return nil, err
	}
	var pending []PendingRequest
	for _, k := range expired {
		id := k[len(PrefixExpiry)+8:]
		w.Delete(k)
		w.Delete(StatusKey(id))
		drop(id)
		if i := cs.PendingIndex(id); i >= 0 {
			pending = append(pending, cs.Pending[i])
			cs.Pending = slices.Delete(cs.Pending, i, i+1)
		}
		if i := cs.VetKDPendingIndex(id); i >= 0 {
			cs.VetKDPending = slices.Delete(cs.VetKDPending, i, i+1)
		}
	}
	return pending, nil
}
