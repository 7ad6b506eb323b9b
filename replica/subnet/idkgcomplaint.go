package subnet

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
)

// IDKGDealings is what the IDKG complaint rules need from the node: the
// members' node keys, the configuration of a key's group, and its cache
// of checked and decoded dealings. None of it is secret.
type IDKGDealings interface {
	// NodeKeys are the members' node signing keys, by index.
	NodeKeys() []dkg.NodePublicKey
	// Config is the IDKG configuration of keyID's group.
	Config(keyID string) *idkg.Config
	// OpenDealing checks the signature of a signed dealing envelope and
	// decodes it.
	OpenDealing(cfg *idkg.Config, raw []byte) (*idkg.Dealing, error)
}

// IDKGConviction reports a node convicted by a complaint message: a
// dealer (wrong answer to a complaint) or a receiver (wrong opening of a
// convicted dealer's dealing).
type IDKGConviction struct {
	Node       uint32
	Transcript []byte
	Receiver   bool // a receiver's wrong opening, not a dealer's lie
	Why        string
}

// FinalDealing returns the dealing of dealer in the final transcript tid
// as r holds it, with the configuration of its key and its signed
// envelope; a nil dealing if there is no such transcript or dealing.
func FinalDealing(r Getter, ds IDKGDealings, tid []byte, dealer uint32) (*idkg.Config, *idkg.Dealing, []byte, error) {
	v, ok, err := r.Get(TranscriptKey(tid))
	if err != nil {
		return nil, nil, nil, err
	}
	if !ok {
		return nil, nil, nil, nil
	}
	var rec TranscriptRec
	if err := Unmarshal(v, &rec); err != nil {
		return nil, nil, nil, fmt.Errorf("subnet: transcript %q: %w", tid, err)
	}
	cfg, err := recConfig(ds, &rec)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, raw := range rec.Dealings {
		var env dkg.Envelope
		if env.UnmarshalBinary(raw) != nil || env.Signer != dealer {
			continue
		}
		d, err := ds.OpenDealing(cfg, raw)
		if err != nil {
			return nil, nil, nil, err
		}
		return cfg, d, raw, nil
	}
	return cfg, nil, nil, nil
}

// Revealed counts the receiver openings of dealer's dealing in tid that r
// holds (n is the subnet's size).
func Revealed(r Getter, n int, tid []byte, dealer uint32) int {
	c := 0
	for j := range n {
		if _, ok, _ := r.Get(IDKGPairKey(PrefixIDKGReveal, tid, dealer, uint32(j))); ok {
			c++
		}
	}
	return c
}

// ApplyIDKGComplaintMsg executes a complaint about a dealing of a final
// transcript, the dealer's answer, or a receiver's opening of a convicted
// dealer's dealing (t.Kind ProtoIDKGComplaint, ProtoIDKGOpening,
// ProtoIDKGReceiverOpening). r reads and w writes the state as the
// execution sees it; seen holds the evidence keys of the block; convicted
// is told of each new conviction. It returns false for a valid message
// that is no longer needed, and an error for an invalid one (the
// transaction is refused).
func ApplyIDKGComplaintMsg(cs *State, r Getter, w Writer, seen map[string]bool, ds IDKGDealings, t *ProtocolTx,
	convicted func(IDKGConviction)) (bool, error) {
	nodePub := ds.NodeKeys()
	n := len(nodePub)
	var env dkg.Envelope
	if err := env.UnmarshalBinary(t.Body); err != nil {
		return false, fmt.Errorf("subnet: idkg complaint message: %w", err)
	}
	if int(env.Signer) >= n || env.Signer != t.Sender {
		return false, errf("idkg complaint message sender mismatch")
	}
	if err := env.Verify(nodePub[env.Signer]); err != nil {
		return false, fmt.Errorf("subnet: idkg complaint message: %w", err)
	}
	tid := env.SessionID
	switch t.Kind {
	case ProtoIDKGComplaint:
		c, err := dkg.DecodeComplaint(&env)
		if err != nil {
			return false, fmt.Errorf("subnet: idkg complaint: %w", err)
		}
		if c.Dealer >= n || c.Dealer == c.Complainer {
			return false, errf("idkg complaint about dealer %d", c.Dealer)
		}
		dealer, complainer := uint32(c.Dealer), uint32(c.Complainer)
		cfg, d, _, err := FinalDealing(r, ds, tid, dealer)
		if err != nil {
			return false, err
		}
		if d == nil {
			return false, nil
		}
		if h := d.Hash(); h != c.DealingHash {
			return false, errf("idkg complaint names another dealing")
		}
		if ComplaintIndex(cs, tid, dealer, complainer) >= 0 || len(cs.Complaints) >= MaxIDKGComplaints {
			return false, nil
		}
		if cs.IDKGBanned[dealer] && Revealed(r, n, tid, dealer) >= cfg.Threshold() {
			return false, nil // the complainer can recover its opening already
		}
		if _, ok, _ := r.Get(IDKGPairKey(PrefixIDKGAnswer, tid, dealer, complainer)); ok {
			return false, nil
		}
		w.Set(IDKGPairKey(PrefixIDKGCompl, tid, dealer, complainer), t.Body)
		cs.Complaints = append(cs.Complaints, Complaint{Transcript: slices.Clone(tid), Dealer: dealer,
			Complainer: complainer, Hash: c.DealingHash[:], Deadline: cs.Height + 1 + IDKGAnswerBlocks,
			Convicted: cs.IDKGBanned[dealer]})
		return true, nil

	case ProtoIDKGOpening:
		dealer := env.Signer
		cfg, d, _, err := FinalDealing(r, ds, tid, dealer)
		if err != nil {
			return false, err
		}
		if d == nil {
			return false, nil
		}
		v := cfg.ShareVerifier(d)
		o, err := dkg.DecodeOpening(cfg.Group(), v.PayloadScalars(), &env)
		if err != nil {
			return false, fmt.Errorf("subnet: idkg dealer opening: %w", err)
		}
		defer o.Share.Zeroize()
		if o.Recipient >= n {
			return false, errf("idkg dealer opening for receiver %d", o.Recipient)
		}
		ci := ComplaintIndex(cs, tid, dealer, uint32(o.Recipient))
		if ci < 0 || cs.Complaints[ci].Convicted {
			return false, nil
		}
		if !bytes.Equal(o.DealingHash[:], cs.Complaints[ci].Hash) {
			return false, errf("idkg dealer opening names another dealing")
		}
		if err := o.Check(v); err != nil {
			// Signed by the dealer and wrong: the signed opening is the
			// evidence.
			if ConvictIDKGDealer(cs, r, w, seen, tid, dealer, t.Body) {
				convicted(IDKGConviction{Node: dealer, Transcript: tid, Why: "wrong opening"})
			}
			return true, nil
		}
		w.Set(IDKGPairKey(PrefixIDKGAnswer, tid, dealer, uint32(o.Recipient)), t.Body)
		cs.Complaints = slices.Delete(cs.Complaints, ci, ci+1)
		return true, nil

	case ProtoIDKGReceiverOpening:
		opener := env.Signer
		dec := dkg.NewDecoder(env.Body)
		dealer := dec.Uint32()
		if dec.Err() != nil || int(dealer) >= n {
			return false, errf("idkg receiver opening: bad dealer")
		}
		if opener == dealer || !DealingConvicted(cs, tid, dealer) {
			return false, nil
		}
		key := IDKGPairKey(PrefixIDKGReveal, tid, dealer, opener)
		if _, ok, _ := r.Get(key); ok {
			return false, nil
		}
		cfg, d, _, err := FinalDealing(r, ds, tid, dealer)
		if err != nil {
			return false, err
		}
		if d == nil {
			return false, nil
		}
		_, o, err := cfg.VerifyReceiverOpening(d, &env, nodePub[opener])
		if errors.Is(err, dkg.ErrShareMismatch) {
			k := IDKGPairKey(PrefixEvidence+"idkg-reveal/", tid, dealer, opener)
			if !seen[string(k)] {
				seen[string(k)] = true
				if _, ok, _ := r.Get(k); !ok {
					w.Set(k, t.Body)
					cs.Convicted[opener]++
					convicted(IDKGConviction{Node: opener, Transcript: tid, Receiver: true, Why: "wrong receiver opening"})
				}
			}
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("subnet: idkg receiver opening: %w", err)
		}
		o.Zeroize()
		w.Set(key, t.Body)
		if Revealed(r, n, tid, dealer) >= cfg.Threshold() {
			// Every complainer can now recover its opening.
			cs.Complaints = slices.DeleteFunc(cs.Complaints, func(c Complaint) bool {
				return c.Dealer == dealer && bytes.Equal(c.Transcript, tid)
			})
		}
		return true, nil
	}
	return false, errf("unsupported protocol message")
}
