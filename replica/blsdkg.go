package replica

import (
	"crypto/rand"
	"fmt"
	"sync"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/replica/subnet"
	"github.com/chainkey/chainkey/thresholdsig"
)

// The subnet's BLS keys (certification, threshold n−f, and random beacon,
// threshold f+1) are made at genesis, and reshared every ReshareInterval
// heights, by package dkg run through blocks. Every node deals in a
// transaction (shares HPKE-encrypted to each receiver, the dealing signed
// by its node key; when resharing, the constant term is its current
// share); receivers decrypt and verify their shares and complain in a
// transaction; an accused dealer answers with a signed opening. Every node
// feeds the agreed messages to its dkg.Session at their heights, so all
// reach the same convictions and the same transcript, and each then
// derives its new secret share (a 0600 file). A resharing keeps the group
// public key, so the subnet id and root key never change. Until the
// genesis keys exist the subnet runs without certification.
//
// Each run is an epoch: epoch 0 is the genesis DKG, epoch e > 0 the e-th
// resharing. The messages of the epoch in progress and of the one that
// made the current keys are kept in the state, so a node can rebuild the
// sessions, and its shares, after a restart.
//
// The replicated rules (which messages a block may carry, how they are
// recorded and fed to the sessions, what a completed epoch writes into
// the state) are in package subnet; this file is the node's part: its
// dealers and receivers, its dealings, complaints and answers, and its
// secret shares.

const (
	keyGenDKG    = "dkg"
	keyGenDealer = "bootstrap-dealer"
)

// dkgEpoch is one run of the two sessions: the agreed part
// (subnet.DKGEpoch, rebuilt from the stored messages) and this node's
// dealers and receivers (secret, in memory only).
type dkgEpoch struct {
	*subnet.DKGEpoch
	dealers   map[string]*dkg.Dealer
	receivers map[string]*dkg.Receiver
	dealt     map[string][]byte // this node's dealing message, until agreed
	// dealer and receiver are this node's indices among the epoch's
	// dealers and receivers (-1: not one); they differ in the epoch of
	// a membership change.
	dealer, receiver int
	// dealerKeys and receiverKeys check the senders of the epoch's
	// messages: dealings and openings come from dealers, complaints
	// from receivers.
	dealerKeys, receiverKeys []dkg.NodePublicKey
}

// blsDKG drives the BLS key epochs of one node.
type blsDKG struct {
	a          *app
	mu         sync.Mutex
	cur        *dkgEpoch // the epoch in progress, if any
	last       *dkgEpoch // the epoch that made the current keys, when known
	opened     map[string]bool
	complained map[string]bool
	answers    [][]byte // agreed complaints against this node, to answer
}

func (a *app) initBLSDKG() error {
	b := &blsDKG{a: a, opened: map[string]bool{}, complained: map[string]bool{}}
	a.bdkg = b
	cs := a.cs
	switch {
	case !cs.BLSReady:
		ep, err := b.newEpoch(cs, 0, nil)
		if err != nil {
			return err
		}
		b.cur = ep
	case cs.BLSResharing:
		ep, err := b.newEpoch(cs, cs.BLSEpoch, currentKeys(cs))
		if err != nil {
			return err
		}
		b.cur = ep
	default:
		return nil
	}
	return b.replay(b.cur)
}

// currentKeys are the public coefficients of cs's keys by purpose: what
// a resharing starting at cs reshares.
func currentKeys(cs *subnet.State) map[string][]byte {
	m := map[string][]byte{"cert": cs.CertPub, "beacon": cs.BeaconPub}
	for k, v := range cs.VetKDPub {
		m[k] = v
	}
	return m
}

// previousKeys are the public coefficients the last resharing of cs
// started from, by purpose.
func previousKeys(cs *subnet.State) map[string][]byte {
	m := map[string][]byte{"cert": cs.PrevCertPub, "beacon": cs.PrevBeaconPub}
	for k, v := range cs.PrevVetKDPub {
		m[k] = v
	}
	return m
}

// newEpoch sets up the sessions of an epoch of cs and this node's
// receivers; prev are the public coefficients being reshared, by purpose
// (nil for the genesis DKG). The dealers and receivers are those of
// subnet.EpochCommittees: the current committee to the next one in the
// epoch of a membership change.
func (b *blsDKG) newEpoch(cs *subnet.State, epoch uint64, prev map[string][]byte) (*dkgEpoch, error) {
	a := b.a
	s := a.idkg
	from, to := subnet.EpochCommittees(cs, a.genRecs, epoch)
	dm, err := subnet.Members(a.chainID, from)
	if err != nil {
		return nil, err
	}
	rm, err := subnet.Members(a.chainID, to)
	if err != nil {
		return nil, err
	}
	agreed, err := subnet.NewDKGEpochCommittees(dm, rm, epoch, prev, a.gen.VetKDKeyIDs)
	if err != nil {
		return nil, err
	}
	ep := &dkgEpoch{DKGEpoch: agreed, dealers: map[string]*dkg.Dealer{}, receivers: map[string]*dkg.Receiver{},
		dealt: map[string][]byte{}, dealer: subnet.MemberIndex(from, a.nodeID), receiver: subnet.MemberIndex(to, a.nodeID),
		dealerKeys: dm.NodePub, receiverKeys: rm.NodePub}
	if ep.receiver < 0 {
		return ep, nil // this node receives no share of these keys
	}
	for _, p := range ep.Purposes {
		r, err := dkg.NewReceiver(ep.Configs[p], ep.receiver, s.signKey, s.encKey)
		if err != nil {
			return nil, fmt.Errorf("replica: %s key generation: %w", p, err)
		}
		ep.receivers[p] = r
	}
	return ep, nil
}

// senderKeys returns the node keys of the senders of a key generation
// message of kind in ep: its receivers for a complaint, its dealers
// otherwise (the current committee when no epoch runs).
func (b *blsDKG) senderKeys(ep *dkgEpoch, kind uint8) []dkg.NodePublicKey {
	switch {
	case ep == nil:
		return b.a.idkg.nodeKeys()
	case kind == subnet.ProtoDKGComplaint:
		return ep.receiverKeys
	}
	return ep.dealerKeys
}

// replay feeds an epoch's stored messages to its sessions, in their
// agreed order, so the sessions are as before a restart.
func (b *blsDKG) replay(ep *dkgEpoch) error {
	return subnet.ReplayEpoch(b.a.st.committed(), ep.DKGEpoch, func(purpose string, h uint64, t *subnet.ProtocolTx) {
		b.add(ep, purpose, h, t)
	})
}

// add feeds an agreed message to a session. Messages the session refuses
// change nothing.
func (b *blsDKG) add(ep *dkgEpoch, purpose string, height uint64, t *subnet.ProtocolTx) {
	b.mu.Lock()
	err := ep.Add(purpose, height, t)
	b.mu.Unlock()
	if err != nil {
		b.a.log.Debug("key generation message refused", "purpose", purpose, "kind", t.Kind, "err", err)
	}
}

// applyDKG executes a key-generation message: it is recorded and fed to
// its session (during FinalizeBlock only; proposals check the signature).
// Messages of no running session are valid but ignored.
func (e *exec) applyDKG(t *subnet.ProtocolTx) (uint32, error) {
	b := e.a.bdkg
	if b == nil {
		return codeInvalid, errf("this subnet runs no key generation")
	}
	b.mu.Lock()
	ep := b.cur
	b.mu.Unlock()
	env, err := subnet.CheckDKGMsg(t, b.senderKeys(ep, t.Kind))
	if err != nil {
		return codeInvalid, err
	}
	var agreed *subnet.DKGEpoch
	if ep != nil {
		agreed = ep.DKGEpoch
	}
	p, ok := subnet.DKGTarget(e.cs, agreed, env)
	if !ok {
		return codeIgnored, nil
	}
	if e.dry {
		return codeOK, nil
	}
	// The key orders messages by height and position in the block, so a
	// replay after a restart feeds the session in the same order.
	e.dkgSeq++
	e.set(ep.MsgKey(p, e.cs.Height+1, e.dkgSeq), encodeProtocol(t))
	b.add(ep, p, e.cs.Height+1, t)
	if t.Kind == subnet.ProtoDKGComplaint {
		if c, err := dkg.DecodeComplaint(env); err == nil && c.Dealer == ep.dealer {
			b.mu.Lock()
			b.answers = append(b.answers, encodeProtocol(t))
			b.mu.Unlock()
		}
	}
	return codeOK, nil
}

func encodeProtocol(t *subnet.ProtocolTx) []byte {
	b, err := subnet.Marshal(t)
	if err != nil {
		panic(err)
	}
	return b
}

// finishDKG completes the epoch in progress when both sessions have a
// transcript (the new public coefficients enter the state; certification
// uses them from the next height on), and starts a resharing every
// ReshareInterval heights.
func (e *exec) finishDKG(height uint64) error {
	b := e.a.bdkg
	if b == nil {
		return nil
	}
	cs := e.cs
	b.mu.Lock()
	ep := b.cur
	b.mu.Unlock()
	done := false
	if ep != nil && subnet.DKGRunning(cs, ep.Epoch) {
		var err error
		if done, err = e.tryComplete(ep, height); err != nil {
			return err
		}
		if !done {
			return nil
		}
	}
	if err := e.membershipStep(height, done); err != nil {
		return err
	}
	if subnet.ScheduleReshare(cs, height, e.a.gen.ReshareInterval) && !e.dry {
		nep, err := b.newEpoch(cs, cs.BLSEpoch, currentKeys(cs))
		if err != nil {
			return err
		}
		b.mu.Lock()
		b.cur = nep
		b.mu.Unlock()
		e.a.log.Info("resharing the BLS keys", "epoch", cs.BLSEpoch, "height", height)
	}
	return nil
}

func (e *exec) tryComplete(ep *dkgEpoch, height uint64) (bool, error) {
	b := e.a.bdkg
	b.mu.Lock()
	done, convicted, err := subnet.CompleteDKG(e.cs, ep.DKGEpoch, height, e.seen)
	b.mu.Unlock()
	for _, c := range convicted {
		e.a.log.Warn("node convicted in key generation", "node", c.Dealer, "key", c.Purpose, "epoch", c.Epoch, "reason", c.Reason)
	}
	if err != nil || !done {
		return false, err
	}
	if !e.dry {
		b.mu.Lock()
		b.last, b.cur = ep, nil
		b.mu.Unlock()
		e.a.metrics.dkgRounds.Add(2)
		// The messages of the epoch before are no longer needed.
		if ep.Epoch > 0 {
			subnet.DropDKGMsgs(e.a.st.committed(), e, ep.Epoch-1)
		}
		e.a.log.Info("subnet BLS keys ready", "epoch", ep.Epoch, "height", height)
	}
	return true, nil
}

// secretShares derives this node's shares of the keys made by ep, which
// completed at height, by purpose.
func (b *blsDKG) secretShares(ep *dkgEpoch, height uint64) (map[string][]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string][]byte{}
	if ep.receiver < 0 {
		return nil, fmt.Errorf("replica: this node received no share of key epoch %d", ep.Epoch)
	}
	for _, p := range ep.Purposes {
		s, r := ep.Sessions[p], ep.receivers[p]
		if _, err := r.VerifyDealings(s); err != nil {
			return nil, err
		}
		tr, err := s.Transcript(height)
		if err != nil {
			return nil, err
		}
		sh, err := r.SecretShare(s, tr)
		if err != nil {
			return nil, fmt.Errorf("replica: %s key share: %w", p, err)
		}
		ks, err := thresholdsig.NewSecretKeyShare(sh.Index(), sh.Value())
		sh.Zeroize()
		if err != nil {
			return nil, err
		}
		raw, err := ks.MarshalBinary()
		ks.Zeroize()
		if err != nil {
			return nil, err
		}
		out[p] = raw
	}
	return out, nil
}

// epochFor returns the sessions of the epoch that made cs's keys,
// rebuilding them from the stored messages if needed.
func (b *blsDKG) epochFor(cs *subnet.State) (*dkgEpoch, error) {
	k := subnet.KeyEpoch(cs)
	b.mu.Lock()
	if b.last != nil && b.last.Epoch == k {
		ep := b.last
		b.mu.Unlock()
		return ep, nil
	}
	b.mu.Unlock()
	var prev map[string][]byte
	if k > 0 {
		prev = previousKeys(cs)
	}
	ep, err := b.newEpoch(cs, k, prev)
	if err != nil {
		return nil, err
	}
	if err := b.replay(ep); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.last = ep
	b.mu.Unlock()
	return ep, nil
}

// work is the node-local part, run after each commit: deal once per
// session (resharing: the current share is the dealt secret), complain
// about bad shares, answer complaints against this node. It returns the
// transactions to submit.
func (b *blsDKG) work(cs *subnet.State) [][]byte {
	var out [][]byte
	b.mu.Lock()
	ep := b.cur
	b.mu.Unlock()
	if ep == nil || !subnet.DKGRunning(cs, ep.Epoch) || (ep.dealer < 0 && ep.receiver < 0) {
		return nil
	}
	me, recv := ep.dealer, ep.receiver
	var secrets map[string]group.Scalar
	if ep.Epoch > 0 && me >= 0 {
		cert, beacon, epoch := b.a.blsSharesEpoch()
		if cert == nil || epoch != ep.Epoch-1 {
			return nil // shares of the keys being reshared not loaded yet
		}
		secrets = map[string]group.Scalar{}
		held := map[string][]byte{"cert": cert, "beacon": beacon}
		for k, v := range b.a.vetkdSharesOf(ep.Epoch - 1) {
			held[k] = v
		}
		for p, raw := range held {
			var sk thresholdsig.SecretKeyShare
			if err := sk.UnmarshalBinary(raw); err != nil {
				return nil
			}
			secrets[p] = sk.Scalar()
			sk.Zeroize()
		}
		defer func() {
			for _, s := range secrets {
				s.Zeroize()
			}
		}()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range ep.Purposes {
		s, cfg := ep.Sessions[p], ep.Configs[p]
		if me >= 0 {
			out = append(out, b.dealWork(ep, p, me, secrets[p])...)
		}
		if recv < 0 {
			continue // not a receiver of this epoch: nothing to check
		}
		complaints, err := ep.receivers[p].VerifyDealings(s)
		if err == nil {
			for _, c := range complaints {
				out = append(out, b.msg(subnet.ProtoDKGComplaint, recv, c))
			}
		}
		if lie := b.a.cfg.lie; lie != nil {
			for _, dealer := range s.Dealers() {
				_, h, ok := s.Dealing(dealer)
				k := fmt.Sprintf("%d/%s/%d", ep.Epoch, p, dealer)
				if ok && dealer != me && lie.complainAbout(dealer) && !b.complained[k] {
					b.complained[k] = true
					if c, err := dkg.NewComplaint(b.a.idkg.signKey, cfg.SessionID, recv, dealer, h); err == nil {
						out = append(out, b.msg(subnet.ProtoDKGComplaint, recv, c))
					}
				}
			}
		}
	}
	return out
}

// dealWork returns this node's dealing message for session p of ep, dealer
// me, dealing secret (nil: a fresh one), unless it was agreed; b.mu is
// held.
func (b *blsDKG) dealWork(ep *dkgEpoch, p string, me int, secret group.Scalar) [][]byte {
	s, cfg := ep.Sessions[p], ep.Configs[p]
	_, _, agreed := s.Dealing(me)
	path := b.a.cfg.secretPath(fmt.Sprintf("dkg-%d-%s.dealing", ep.Epoch, p))
	if ep.dealt[p] == nil {
		// Dealt before a restart: send the same dealing again, never a
		// second one (that would be equivocation).
		if raw, err := readSecretFile(path); err == nil {
			ep.dealt[p] = raw
		}
	}
	switch {
	case agreed:
		return nil
	case ep.dealt[p] != nil:
		return [][]byte{ep.dealt[p]} // not agreed yet: submit again
	}
	d, err := dkg.NewDealer(cfg, me, b.a.idkg.signKey)
	if err != nil {
		return nil
	}
	env, err := b.a.liar().dkgDealing(cfg, me, b.a.idkg.signKey)
	if env == nil && err == nil {
		env, err = d.Deal(secret, rand.Reader)
	}
	if err != nil {
		b.a.log.Error("key generation dealing", "key", p, "epoch", ep.Epoch, "err", err)
		return nil
	}
	m := b.msg(subnet.ProtoDKGDealing, me, env)
	if err := writeSecretFile(path, m); err != nil {
		b.a.log.Error("record key generation dealing", "err", err)
		return nil
	}
	ep.dealers[p] = d
	ep.dealt[p] = m
	return [][]byte{m}
}

// drainAnswers answers the agreed complaints against this node's dealings.
func (b *blsDKG) drainAnswers() [][]byte {
	b.mu.Lock()
	pending := b.answers
	b.answers = nil
	ep := b.cur
	b.mu.Unlock()
	if ep == nil {
		return nil
	}
	var out [][]byte
	for _, raw := range pending {
		if m := b.answer(ep, raw); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// answer opens this node's dealing to answer an agreed complaint.
func (b *blsDKG) answer(ep *dkgEpoch, raw []byte) []byte {
	var t subnet.ProtocolTx
	if subnet.Unmarshal(raw, &t) != nil || t.Kind != subnet.ProtoDKGComplaint {
		return nil
	}
	var env dkg.Envelope
	if env.UnmarshalBinary(t.Body) != nil {
		return nil
	}
	p, ok := ep.PurposeOf(&env)
	if !ok {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	d := ep.dealers[p]
	if d == nil || b.opened[string(t.Body)] {
		return nil
	}
	o, err := d.Open(&env)
	if err != nil {
		return nil
	}
	b.opened[string(t.Body)] = true
	return b.msg(subnet.ProtoDKGOpening, ep.dealer, o)
}

func (b *blsDKG) msg(kind uint8, sender int, env *dkg.Envelope) []byte {
	body, err := env.MarshalBinary()
	if err != nil {
		return nil
	}
	return subnet.EncodeTx(&subnet.Tx{Protocol: &subnet.ProtocolTx{Kind: kind, Sender: uint32(sender), Body: body}})
}

// sharesMatch reports whether the secret shares match the public
// coefficients of the state (a signature share on a test message verifies).
func (a *app) sharesMatch(cs *subnet.State, cert, beacon []byte) bool {
	msg := []byte("chainkey share check")
	for _, kv := range [][2][]byte{{cs.CertPub, cert}, {cs.BeaconPub, beacon}} {
		sig, err := a.bls.SignShare(kv[1], msg)
		if err != nil || a.bls.VerifyShare(kv[0], a.me(), msg, sig) != nil {
			return false
		}
	}
	return true
}
