package replica

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/replica/subnet"
)

// Complaints about IDKG dealings, with the machinery of package dkg.
//
// A receiver computes its share of a transcript lazily; when its decrypted
// opening of one of the transcript's dealings fails the check against the
// dealing's commitment, it signs a complaint (dkg.NewComplaint, naming the
// dealing's hash) and submits it. Executed in a block, a valid complaint
// opens a record with a deadline of subnet.IDKGAnswerBlocks heights:
//
//   - the dealer answers with its signed opening of the complainer's share
//     (dkg.NewOpening). If it matches the commitment, the complaint is
//     resolved and the complainer takes the opening from the state; if it
//     does not, or no answer is in a block by the deadline, the dealer is
//     convicted;
//   - once the dealer is convicted, every other receiver publishes its own
//     opening of that dealing (idkg.NewReceiverOpening); with Threshold valid
//     ones in blocks the complainer recovers its opening (RecoverOpening).
//     A receiver opening that is signed but wrong convicts its sender.
//
// A convicted dealer's dealings are dropped from every open job and no
// longer accepted, so transcripts not yet final are made without it; a
// transcript already final keeps the dealing and its complainers recover
// their shares from the receivers' openings. Receivers reveal openings only
// after the dealer is convicted: a false complaint about an honest dealer
// costs that dealer one public share of its own dealing, never its secret.
//
// The execution of these messages is replicated and lives in package
// subnet (ApplyIDKGComplaintMsg, ComplaintDeadlines); this file is the
// node's part: recovering its shares, complaining, answering, revealing.

// applyIDKGComplaintMsg executes a complaint, a dealer's answer or a
// receiver's opening (subnet.ApplyIDKGComplaintMsg).
func (e *exec) applyIDKGComplaintMsg(t *subnet.ProtocolTx) (uint32, error) {
	applied, err := subnet.ApplyIDKGComplaintMsg(e.cs, e, e, e.seen, e.a.idkg, t, func(c subnet.IDKGConviction) {
		if c.Receiver {
			e.a.log.Warn("node convicted of a wrong receiver opening", "node", c.Node, "transcript", string(c.Transcript))
			return
		}
		e.a.log.Warn("node convicted of a bad IDKG dealing", "node", c.Node, "transcript", string(c.Transcript), "why", c.Why)
	})
	switch {
	case err != nil:
		return codeInvalid, err
	case !applied:
		return codeIgnored, nil
	}
	return codeOK, nil
}

// NodeKeys, Config and OpenDealing make idkgState the
// subnet.IDKGDealings of the complaint rules.
func (s *idkgState) NodeKeys() []dkg.NodePublicKey    { return s.nodeKeys() }
func (s *idkgState) Config(keyID string) *idkg.Config { return s.cfgFor(keyID) }
func (s *idkgState) OpenDealing(cfg *idkg.Config, raw []byte) (*idkg.Dealing, error) {
	d, _, err := s.openDealing(cfg, raw)
	return d, err
}

// get reads the state as this execution sees it: the committed state
// for a check, the height's overlay when executing a block.
func (e *exec) get(k []byte) ([]byte, bool, error) {
	if e.dry {
		return e.a.st.getCommitted(k)
	}
	return e.a.st.get(k)
}

// Get makes exec the subnet.Getter of the IDKG rules.
func (e *exec) Get(k []byte) ([]byte, bool, error) { return e.get(k) }

// complaintDeadlines convicts the dealers that did not answer a complaint
// by its deadline (subnet.ComplaintDeadlines).
func (e *exec) complaintDeadlines(height uint64) {
	subnet.ComplaintDeadlines(e.cs, e, e, e.seen, e.a.idkg.size(), height, e.IDKGConvicted)
}

// ---- node-local: complaining, answering, revealing ----

// dealingSeedLabel separates the dealing seed from every other use of the
// node signing key.
const dealingSeedLabel = "chainkey idkg dealing randomness v1"

// dealingRand returns the randomness of this node's dealing for a
// transcript: AES-256-CTR keyed by HKDF-SHA256 of the node's dealing seed
// over the transcript id, its kind, its inputs and the job's salt. The
// state numbers transcripts, so ids never repeat within a chain; the salt
// (the previous app hash and the random beacon when the job was opened)
// makes them differ between chains, also when a node's state is wiped and
// its keys kept, so no two dealings ever share randomness.
func (s *idkgState) dealingRand(tid []byte, kind uint8, in1, in2, salt []byte) io.Reader {
	info := []byte{kind}
	for _, b := range [][]byte{tid, in1, in2, salt} {
		info = binary.BigEndian.AppendUint32(info, uint32(len(b)))
		info = append(info, b...)
	}
	key, err := hkdf.Expand(sha256.New, s.dealSeed, string(info), 32)
	if err != nil {
		panic("replica: hkdf: " + err.Error()) // 32 bytes never exceed HKDF's limit
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("replica: aes: " + err.Error())
	}
	return cipher.StreamReader{S: cipher.NewCTR(block, make([]byte, aes.BlockSize)), R: zeroReader{}}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// dealtOpening returns receiver's opening of this node's dealing d of a
// committed transcript, to answer a complaint: the dealing is made again
// with the same randomness and must come out the same. It fails once the
// transcript's inputs were used and wiped (their presignature was consumed).
func (s *idkgState) dealtOpening(cfg *idkg.Config, d *idkg.Dealing, receiver int) (*idkg.Opening, error) {
	if d.Dealer != s.me() {
		return nil, fmt.Errorf("replica: dealing of %q is node %d's, not this node's", d.TranscriptID, d.Dealer)
	}
	v, ok, err := s.a.st.getCommitted(append([]byte(subnet.PrefixTranscript), d.TranscriptID...))
	if err != nil || !ok {
		return nil, fmt.Errorf("replica: transcript %q not committed", d.TranscriptID)
	}
	var rec subnet.TranscriptRec
	if err := subnet.Unmarshal(v, &rec); err != nil {
		return nil, err
	}
	op, inputs, err := s.jobInputs(rec.Kind, rec.Input, rec.Input2)
	if err != nil {
		return nil, err
	}
	again, openings, err := idkg.Deal(cfg, d.TranscriptID, op, d.Dealer, inputs, s.dealingRand(d.TranscriptID, rec.Kind, rec.Input, rec.Input2, rec.Salt))
	if err != nil {
		return nil, fmt.Errorf("replica: deal %q again: %w", d.TranscriptID, err)
	}
	defer func() {
		for _, o := range openings {
			o.Zeroize()
		}
	}()
	if again.Hash() != d.Hash() || receiver < 0 || receiver >= len(openings) {
		return nil, fmt.Errorf("replica: dealing of %q cannot be made again", d.TranscriptID)
	}
	o := openings[receiver]
	openings[receiver] = nil
	return o, nil
}

// recoverShare returns this node's opening of dealing d of the final
// transcript tid whose encrypted opening failed its check: the dealer's
// answer to its complaint, or the recovery from the other receivers'
// openings. Without either it queues a complaint.
func (s *idkgState) recoverShare(cfg *idkg.Config, tid []byte, d *idkg.Dealing) (*idkg.Opening, error) {
	me := s.me()
	dealer := uint32(d.Dealer)
	if raw, ok, err := s.a.st.getCommitted(subnet.IDKGPairKey(subnet.PrefixIDKGAnswer, tid, dealer, uint32(me))); err == nil && ok {
		var env dkg.Envelope
		if env.UnmarshalBinary(raw) == nil {
			v := cfg.ShareVerifier(d)
			if do, err := dkg.DecodeOpening(cfg.Group(), v.PayloadScalars(), &env); err == nil {
				o := &idkg.Opening{Value: do.Share.Scalars[0]}
				if len(do.Share.Scalars) == 2 {
					o.Mask = do.Share.Scalars[1]
				}
				if cfg.VerifyDealingOpening(d, me, o) == nil {
					return o, nil
				}
				o.Zeroize()
			}
		}
	}
	revealed := map[int]*idkg.Opening{}
	defer func() {
		for _, o := range revealed {
			o.Zeroize()
		}
	}()
	for j := range s.size() {
		raw, ok, err := s.a.st.getCommitted(subnet.IDKGPairKey(subnet.PrefixIDKGReveal, tid, dealer, uint32(j)))
		if err != nil || !ok {
			continue
		}
		var env dkg.Envelope
		if env.UnmarshalBinary(raw) != nil {
			continue
		}
		if _, o, err := cfg.VerifyReceiverOpening(d, &env, s.nodeKeys()[j]); err == nil {
			revealed[j] = o
		}
	}
	if len(revealed) >= cfg.Threshold() {
		o, _, err := cfg.RecoverOpening(d, me, revealed)
		if err == nil {
			return o, nil
		}
	}
	s.mu.Lock()
	if s.complain == nil {
		s.complain = map[string]subnet.Complaint{}
	}
	s.complain[string(subnet.IDKGPairKey("", tid, dealer, uint32(me)))] = subnet.Complaint{Transcript: slices.Clone(tid), Dealer: dealer,
		Complainer: uint32(me), Hash: func() []byte { h := d.Hash(); return h[:] }()}
	s.mu.Unlock()
	return nil, fmt.Errorf("replica: my opening of %q from dealer %d is bad; complaint filed", tid, dealer)
}

// complaintWork returns the complaint messages this node has to submit
// for the committed state cs: its own complaints, its answers as a dealer,
// and its openings of dealings whose dealer was convicted.
func (s *idkgState) complaintWork(cs *subnet.State) [][]byte {
	if s.me() < 0 {
		return nil
	}
	me := uint32(s.me())
	var out [][]byte
	msg := func(kind uint8, env *dkg.Envelope) {
		body, err := env.MarshalBinary()
		if err != nil {
			return
		}
		out = append(out, subnet.EncodeTx(&subnet.Tx{Protocol: &subnet.ProtocolTx{Kind: kind, Sender: me, Body: body}}))
	}
	open := map[string]bool{}
	for _, c := range cs.Complaints {
		open[string(subnet.IDKGPairKey("", c.Transcript, c.Dealer, c.Complainer))] = true
	}
	s.mu.Lock()
	var mine []subnet.Complaint
	for k, c := range s.complain {
		if !open[k] {
			mine = append(mine, c)
		}
		delete(s.complain, k)
	}
	if s.sent == nil {
		s.sent = map[string]uint64{}
	}
	due := func(k string) bool {
		if last, ok := s.sent[k]; ok && cs.Height < last+3 {
			return false
		}
		s.sent[k] = cs.Height
		return true
	}
	var answer, reveal []subnet.Complaint
	for _, c := range cs.Complaints {
		switch {
		case !c.Convicted && c.Dealer == me && s.a.liar().answersComplaints():
			if due(string(subnet.IDKGPairKey("a", c.Transcript, c.Dealer, c.Complainer))) {
				answer = append(answer, c)
			}
		case c.Convicted && c.Dealer != me && c.Complainer != me:
			if due(string(subnet.IDKGPairKey("r", c.Transcript, c.Dealer, 0))) {
				reveal = append(reveal, c)
			}
		}
	}
	if len(s.sent) > 1<<14 {
		clear(s.sent)
	}
	s.mu.Unlock()
	for _, c := range mine {
		var h [32]byte
		copy(h[:], c.Hash)
		if env, err := dkg.NewComplaint(s.signKey, c.Transcript, int(me), int(c.Dealer), h); err == nil {
			s.a.log.Info("complaint about an IDKG dealing", "dealer", c.Dealer, "transcript", string(c.Transcript))
			msg(subnet.ProtoIDKGComplaint, env)
		}
	}
	for _, c := range answer {
		cfg, d, _, err := s.committedDealing(c.Transcript, c.Dealer)
		if err != nil || d == nil {
			continue
		}
		o, err := s.dealtOpening(cfg, d, int(c.Complainer))
		if err != nil {
			s.a.log.Warn("cannot answer a complaint", "transcript", string(c.Transcript), "err", err)
			continue
		}
		env, err := dkg.NewOpening(s.signKey, c.Transcript, int(me), int(c.Complainer), d.Hash(), payloadOfOpening(o))
		o.Zeroize()
		if err == nil {
			msg(subnet.ProtoIDKGOpening, env)
		}
	}
	for _, c := range reveal {
		if _, ok, _ := s.a.st.getCommitted(subnet.IDKGPairKey(subnet.PrefixIDKGReveal, c.Transcript, c.Dealer, me)); ok {
			continue
		}
		cfg, d, raw, err := s.committedDealing(c.Transcript, c.Dealer)
		if err != nil || d == nil {
			continue
		}
		_, cts, err := s.openDealing(cfg, raw)
		if err != nil {
			continue
		}
		o, err := cfg.DecryptOpeningWith(d, int(me), s.opener, cts[me])
		if err != nil {
			continue // this node got a bad opening too: it complains instead
		}
		env, err := idkg.NewReceiverOpening(s.signKey, d, int(me), o)
		o.Zeroize()
		if err == nil {
			msg(subnet.ProtoIDKGReceiverOpening, env)
		}
	}
	return out
}

// payloadOfOpening is an opening as dkg's share payload: value, and mask
// for a Pedersen sharing.
func payloadOfOpening(o *idkg.Opening) dkg.SharePayload {
	p := dkg.SharePayload{Scalars: []group.Scalar{o.Value}}
	if o.Mask != nil {
		p.Scalars = append(p.Scalars, o.Mask)
	}
	return p
}

// committedDealing is subnet.FinalDealing against the committed state.
func (s *idkgState) committedDealing(tid []byte, dealer uint32) (*idkg.Config, *idkg.Dealing, []byte, error) {
	v, ok, err := s.a.st.getCommitted(append([]byte(subnet.PrefixTranscript), tid...))
	if err != nil || !ok {
		return nil, nil, nil, err
	}
	var rec subnet.TranscriptRec
	if err := subnet.Unmarshal(v, &rec); err != nil {
		return nil, nil, nil, err
	}
	cfg, err := s.recConfig(&rec)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, raw := range rec.Dealings {
		var env dkg.Envelope
		if env.UnmarshalBinary(raw) != nil || env.Signer != dealer {
			continue
		}
		d, _, err := s.openDealing(cfg, raw)
		return cfg, d, raw, err
	}
	return cfg, nil, nil, nil
}
