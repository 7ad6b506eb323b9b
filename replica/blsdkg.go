package replica

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/thresholdsig"
)

// The genesis key generation of the subnet's BLS keys (certification,
// threshold n−f, and random beacon, threshold f+1) runs package dkg through
// blocks: every node deals (its shares HPKE-encrypted to each receiver,
// the dealing signed by its node key) in a transaction; receivers decrypt
// and verify their shares and complain in a transaction; an accused dealer
// answers with a signed opening. Every node feeds the agreed messages to
// its dkg.Session at their heights, so all reach the same convictions and
// the same transcript; each node then derives its secret share (a 0600
// file). Until both keys exist the subnet runs without certification.

const (
	protoDKGDealing   = 2
	protoDKGComplaint = 3
	protoDKGOpening   = 4
	prefixDKGMsg      = "g/" // g/<purpose><height><seq> -> envelope
	dkgDeadline       = 2    // blocks for complaints and for openings
	keyGenDKG         = "dkg"
	keyGenDealer      = "bootstrap-dealer"
)

// blsPurposes are the two BLS keys, in a fixed order.
var blsPurposes = []string{"cert", "beacon"}

// blsDKG holds the node's DKG sessions (agreed state, rebuilt from the
// stored messages) and its dealer and receiver (secret, in memory).
type blsDKG struct {
	a          *app
	mu         sync.Mutex
	cfgs       map[string]*dkg.Config
	sessions   map[string]*dkg.Session
	dealers    map[string]*dkg.Dealer
	receivers  map[string]*dkg.Receiver
	opened     map[string]bool // complaints already answered by this node
	complained map[string]bool
	answers    [][]byte // agreed complaints against this node, to answer
	dealt      map[string][]byte
}

// drainAnswers answers the agreed complaints against this node's dealings.
func (b *blsDKG) drainAnswers() [][]byte {
	b.mu.Lock()
	pending := b.answers
	b.answers = nil
	b.mu.Unlock()
	var out [][]byte
	for _, raw := range pending {
		if m := b.answer(raw); m != nil {
			out = append(out, m)
		}
	}
	return out
}

func (a *app) initBLSDKG() error {
	b := &blsDKG{a: a, cfgs: map[string]*dkg.Config{}, sessions: map[string]*dkg.Session{},
		dealers: map[string]*dkg.Dealer{}, receivers: map[string]*dkg.Receiver{}, opened: map[string]bool{}, complained: map[string]bool{}, dealt: map[string][]byte{}}
	s := a.idkg
	n := len(a.members)
	f := faultBound(n)
	var recv []dkg.ReceiverInfo
	for i := range a.members {
		recv = append(recv, dkg.ReceiverInfo{SigningKey: s.nodePub[i], EncryptionKey: s.encPub[i]})
	}
	for _, p := range blsPurposes {
		t := n - f
		if p == "beacon" {
			t = f + 1
		}
		cfg := &dkg.Config{Group: bls12381.G2(), SessionID: []byte(a.chainID + "/bls-" + p + "/0"),
			Dealers: s.nodePub, Receivers: recv, Threshold: t, Deadline: dkgDeadline}
		sess, err := dkg.NewSession(cfg)
		if err != nil {
			return fmt.Errorf("replica: %s key generation: %w", p, err)
		}
		r, err := dkg.NewReceiver(cfg, a.cfg.Index, s.signKey, s.encKey)
		if err != nil {
			return fmt.Errorf("replica: %s key generation: %w", p, err)
		}
		b.cfgs[p], b.sessions[p], b.receivers[p] = cfg, sess, r
	}
	a.bdkg = b
	// Replay the agreed messages so the sessions are as before a restart.
	var replayErr error
	err := a.st.scanCommitted([]byte(prefixDKGMsg), func(k, v []byte) bool {
		rest := k[len(prefixDKGMsg):]
		if len(rest) < 1+8+4 {
			return true
		}
		purpose := blsPurposes[rest[0]%2]
		h := binary.BigEndian.Uint64(rest[1:9])
		var t protocolTx
		if err := decMode.Unmarshal(v, &t); err != nil {
			replayErr = err
			return false
		}
		b.add(purpose, h, &t)
		return true
	})
	if err == nil {
		err = replayErr
	}
	return err
}

func purposeIndex(p string) byte {
	if p == "beacon" {
		return 1
	}
	return 0
}

// add feeds an agreed message to a session. Messages the session refuses
// change nothing.
func (b *blsDKG) add(purpose string, height uint64, t *protocolTx) {
	var env dkg.Envelope
	if env.UnmarshalBinary(t.Body) != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.sessions[purpose]
	var err error
	switch t.Kind {
	case protoDKGDealing:
		err = s.AddDealing(height, &env)
	case protoDKGComplaint:
		err = s.AddComplaint(height, &env)
	case protoDKGOpening:
		err = s.AddOpening(height, &env)
	}
	if err != nil {
		b.a.log.Debug("key generation message refused", "purpose", purpose, "kind", t.Kind, "err", err)
	}
}

// purposeOf returns the session a message belongs to.
func (b *blsDKG) purposeOf(env *dkg.Envelope) (string, bool) {
	for _, p := range blsPurposes {
		if string(env.SessionID) == string(b.cfgs[p].SessionID) {
			return p, true
		}
	}
	return "", false
}

// applyDKG executes a key-generation message: it is recorded and fed to
// its session (during FinalizeBlock only; proposals check the signature).
func (e *exec) applyDKG(t *protocolTx) (uint32, error) {
	b := e.a.bdkg
	if b == nil {
		return codeInvalid, errf("no key generation in progress")
	}
	var env dkg.Envelope
	if err := env.UnmarshalBinary(t.Body); err != nil {
		return codeInvalid, fmt.Errorf("replica: key generation envelope: %w", err)
	}
	p, ok := b.purposeOf(&env)
	if !ok || int(env.Signer) >= len(e.a.members) || env.Signer != t.Sender {
		return codeInvalid, errf("key generation message for no session")
	}
	if err := env.Verify(e.a.idkg.nodePub[env.Signer]); err != nil {
		return codeInvalid, fmt.Errorf("replica: key generation message: %w", err)
	}
	if e.cs.BLSReady {
		return codeIgnored, nil // late: the keys exist
	}
	if e.dry {
		return codeOK, nil
	}
	// The key orders messages by height and position in the block, so a
	// replay after a restart feeds the session in the same order.
	e.dkgSeq++
	k := []byte(prefixDKGMsg)
	k = append(k, purposeIndex(p))
	k = binary.BigEndian.AppendUint64(k, e.cs.Height+1)
	k = binary.BigEndian.AppendUint32(k, e.dkgSeq)
	e.set(k, encodeProtocol(t))
	b.add(p, e.cs.Height+1, t)
	if t.Kind == protoDKGComplaint {
		if c, err := dkg.DecodeComplaint(&env); err == nil && c.Dealer == e.a.cfg.Index {
			b.mu.Lock()
			b.answers = append(b.answers, encodeProtocol(t))
			b.mu.Unlock()
		}
	}
	return codeOK, nil
}

func encodeProtocol(t *protocolTx) []byte {
	b, err := encMode.Marshal(t)
	if err != nil {
		panic(err)
	}
	return b
}

// finishDKG tries to complete both sessions at this height. Once both have
// a transcript the public coefficients enter the state and certification
// starts at the next height.
func (e *exec) finishDKG(height uint64) error {
	b := e.a.bdkg
	if b == nil || e.cs.BLSReady {
		return nil
	}
	pubs := map[string][]byte{}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range blsPurposes {
		s := b.sessions[p]
		for _, c := range s.Convictions() {
			k := fmt.Sprintf("dkg/%s/%d", p, c.Dealer)
			if !e.seen[k] && !e.cs.DKGConvicted[k] {
				e.seen[k] = true
				if e.cs.DKGConvicted == nil {
					e.cs.DKGConvicted = map[string]bool{}
				}
				e.cs.DKGConvicted[k] = true
				e.cs.Convicted[uint32(c.Dealer)]++
				e.a.log.Warn("node convicted in key generation", "node", c.Dealer, "key", p, "reason", c.Reason.String())
			}
		}
		tr, err := s.Transcript(height)
		if errors.Is(err, dkg.ErrNotEnoughDealings) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("replica: %s key transcript: %w", p, err)
		}
		pc, err := thresholdsig.NewPublicCoefficients(tr.PublicPolynomial())
		if err != nil {
			return fmt.Errorf("replica: %s key: %w", p, err)
		}
		pubs[p] = pc.Bytes()
	}
	e.cs.BLSReady = true
	e.cs.CertPub, e.cs.BeaconPub = pubs["cert"], pubs["beacon"]
	e.a.metrics.dkgRounds.Add(2)
	e.a.log.Info("subnet BLS keys generated", "height", height)
	return nil
}

// secretShare derives and stores this node's shares once the keys exist.
func (b *blsDKG) secretShares() (cert, beacon []byte, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string][]byte{}
	for _, p := range blsPurposes {
		s, r := b.sessions[p], b.receivers[p]
		if _, err := r.VerifyDealings(s); err != nil {
			return nil, nil, err
		}
		tr, err := s.Transcript(0)
		if err != nil {
			return nil, nil, err
		}
		sh, err := r.SecretShare(s, tr)
		if err != nil {
			return nil, nil, fmt.Errorf("replica: %s key share: %w", p, err)
		}
		ks, err := thresholdsig.NewSecretKeyShare(sh.Index(), sh.Value())
		sh.Zeroize()
		if err != nil {
			return nil, nil, err
		}
		raw, err := ks.MarshalBinary()
		ks.Zeroize()
		if err != nil {
			return nil, nil, err
		}
		out[p] = raw
	}
	return out["cert"], out["beacon"], nil
}

// work is the node-local part, run after each commit: deal once, complain
// about bad shares, answer complaints against this node. It returns the
// transactions to submit.
func (b *blsDKG) work() [][]byte {
	me := b.a.cfg.Index
	var out [][]byte
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range blsPurposes {
		s, cfg := b.sessions[p], b.cfgs[p]
		_, _, agreed := s.Dealing(me)
		if !agreed && b.dealt[p] != nil {
			out = append(out, b.dealt[p]) // not agreed yet: submit again
		}
		if !agreed && b.dealers[p] == nil {
			d, err := dkg.NewDealer(cfg, me, b.a.idkg.signKey)
			if err != nil {
				continue
			}
			var env *dkg.Envelope
			if b.a.cfg.Faults.BadDealings {
				env, err = badDKGDealing(cfg, me, b.a.idkg.signKey)
			} else {
				env, err = d.Deal(nil, rand.Reader)
			}
			if err != nil {
				b.a.log.Error("key generation dealing", "key", p, "err", err)
				continue
			}
			b.dealers[p] = d
			b.dealt[p] = b.msg(protoDKGDealing, env)
			out = append(out, b.dealt[p])
		}
		complaints, err := b.receivers[p].VerifyDealings(s)
		if err == nil {
			for _, c := range complaints {
				out = append(out, b.msg(protoDKGComplaint, c))
			}
		}
		if b.a.cfg.Faults.BadComplaints {
			for _, dealer := range s.Dealers() {
				_, h, ok := s.Dealing(dealer)
				k := fmt.Sprintf("%s/%d", p, dealer)
				if ok && dealer != me && !b.complained[k] {
					b.complained[k] = true
					if c, err := dkg.NewComplaint(b.a.idkg.signKey, cfg.SessionID, me, dealer, h); err == nil {
						out = append(out, b.msg(protoDKGComplaint, c))
					}
				}
			}
		}
	}
	return out
}

// answer opens this node's dealing to answer an agreed complaint.
func (b *blsDKG) answer(raw []byte) []byte {
	var t protocolTx
	if decMode.Unmarshal(raw, &t) != nil || t.Kind != protoDKGComplaint {
		return nil
	}
	var env dkg.Envelope
	if env.UnmarshalBinary(t.Body) != nil {
		return nil
	}
	p, ok := b.purposeOf(&env)
	if !ok {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.dealers[p]
	if d == nil || b.opened[string(t.Body)] {
		return nil
	}
	o, err := d.Open(&env)
	if err != nil {
		return nil
	}
	b.opened[string(t.Body)] = true
	return b.msg(protoDKGOpening, o)
}

func (b *blsDKG) msg(kind uint8, env *dkg.Envelope) []byte {
	body, err := env.MarshalBinary()
	if err != nil {
		return nil
	}
	return encodeTx(&tx{Protocol: &protocolTx{Kind: kind, Sender: uint32(b.a.cfg.Index), Body: body}})
}

// badDKGDealing is the test fault: a dealing signed by this node whose
// proof of knowledge is for another session, so it fails public
// verification.
func badDKGDealing(cfg *dkg.Config, me int, key *dkg.NodeSigningKey) (*dkg.Envelope, error) {
	other := *cfg
	other.SessionID = append([]byte("wrong/"), cfg.SessionID...)
	d, err := dkg.NewDealer(&other, me, key)
	if err != nil {
		return nil, err
	}
	env, err := d.Deal(nil, rand.Reader)
	if err != nil {
		return nil, err
	}
	return dkg.SignEnvelope(key, env.Kind, cfg.SessionID, env.Signer, env.Body)
}
