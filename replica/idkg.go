package replica

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/internal/group"
	ged "github.com/chainkey/chainkey/internal/group/ed25519"
	gsecp "github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/replica/subnet"
)

// The key lifecycle of the canister-signature keys, driven through blocks:
//
//	key:          Random (masked) -> ReshareOfMasked (unmasked key x)
//	ECDSA presig: κ RandomUnmasked, λ Random -> κ·λ, x·λ UnmaskedTimesMasked
//	Schnorr:      nonce RandomUnmasked
//
// Every transcript is a job in the replicated state (the rules of the
// jobs are in package subnet). Each node deals for
// every open job (package idkg; openings encrypted to each receiver with
// HPKE and the envelope signed with the node key) and submits the dealing
// as a transaction; every node verifies it publicly when the block is
// executed. When a job has its collection threshold of dealings, every
// node creates the same transcript and, locally, decrypts its openings and
// computes its share, kept in a 0600 file. A bad opening leads to a
// complaint (idkgcomplaint.go).

func keyGroup(keyID string) group.Group {
	if strings.HasPrefix(keyID, "schnorr:ed25519:") {
		return ged.Group()
	}
	return gsecp.Group()
}

// idkgState is the node's view of the IDKG machinery: configurations,
// recreated transcripts, its secret keys.
type idkgState struct {
	a       *app
	signKey *dkg.NodeSigningKey
	encKey  *dkg.EncryptionKey
	// dealSeed keys the randomness of this node's dealings (dealingRand).
	dealSeed []byte
	consumed *consumptionLog
	// opener decrypts this node's openings, one decapsulation per sealing
	// context of a dealer.
	opener *dkg.ShareOpener
	// cfgs are the IDKG configurations by group and committee size.
	cfgMu sync.Mutex
	cfgs  map[cfgKey]*idkg.Config

	mu          sync.Mutex
	verified    map[[32]byte]bool // dealings (by envelope digest) that passed verification
	opened      map[openedKey]*openedDealing
	transcripts map[string]*idkg.Transcript
	openings    map[string]*idkg.Opening
	forgotten   map[string]bool             // transcripts whose shares were deleted after use
	forgetOrder []string                    // forgotten ids, a ring of maxForgotten
	forgetNext  int                         // oldest entry of forgetOrder once full
	shares      map[string][]byte           // request id -> signature share already made
	complain    map[string]subnet.Complaint // complaints to submit
	sent        map[string]uint64           // complaint messages submitted, at height
}

func (a *app) initIDKG() error {
	s := &idkgState{a: a, cfgs: map[cfgKey]*idkg.Config{}, verified: map[[32]byte]bool{},
		opened:      map[openedKey]*openedDealing{},
		transcripts: map[string]*idkg.Transcript{}, openings: map[string]*idkg.Opening{}, forgotten: map[string]bool{}, shares: map[string][]byte{}}
	for _, g := range []group.Group{gsecp.Group(), ged.Group()} {
		if _, err := s.configOf(g, s.size()); err != nil {
			return err
		}
	}
	raw, err := readSecretFile(a.cfg.secretPath(nodeSigningKeyFile))
	if err != nil {
		return err
	}
	s.signKey = new(dkg.NodeSigningKey)
	if err := s.signKey.UnmarshalBinary(raw); err != nil {
		return fmt.Errorf("replica: node signing key: %w", err)
	}
	if s.dealSeed, err = hkdf.Extract(sha256.New, raw, []byte(dealingSeedLabel)); err != nil {
		return fmt.Errorf("replica: dealing seed: %w", err)
	}
	clear(raw)
	if raw, err = readSecretFile(a.cfg.secretPath(encryptionKeyFile)); err != nil {
		return err
	}
	s.encKey = new(dkg.EncryptionKey)
	if err := s.encKey.UnmarshalBinary(raw); err != nil {
		return fmt.Errorf("replica: encryption key: %w", err)
	}
	s.opener = dkg.NewShareOpener(s.encKey)
	clear(raw)
	if me := a.me(); me >= 0 && !s.signKey.PublicKey().Equal(s.nodeKeys()[me]) {
		return errors.New("replica: node signing key does not match the registry")
	}
	// Shares are recomputed from the committed transcripts after a restart
	// and dealt openings from the dealing seed: files of an older layout
	// that kept them go.
	for _, d := range []string{"idkg", "idkg-dealt"} {
		if err := os.RemoveAll(a.cfg.secretPath(d)); err != nil {
			return fmt.Errorf("replica: remove old share files: %w", err)
		}
	}
	if s.consumed, err = openConsumptionLog(filepath.Join(a.cfg.Home, secretsDir)); err != nil {
		return err
	}
	a.idkg = s
	for _, k := range a.gen.KeyIDs {
		a.engines[k] = &thresholdEngine{keyID: k, idkg: s,
			committed: func() *subnet.State { cs, _ := a.committed(); return cs }}
	}
	return nil
}

// cfgKey names an IDKG configuration: a group and a committee size.
type cfgKey struct {
	group string
	n     int
}

// configOf returns the IDKG configuration of group g for n receivers.
func (s *idkgState) configOf(g group.Group, n int) (*idkg.Config, error) {
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	k := cfgKey{g.Name(), n}
	if c := s.cfgs[k]; c != nil {
		return c, nil
	}
	c, err := idkg.NewConfig(g, n)
	if err != nil {
		return nil, fmt.Errorf("replica: idkg config: %w", err)
	}
	s.cfgs[k] = c
	return c, nil
}

// cfgFor returns the IDKG configuration of keyID's group for the
// current committee.
func (s *idkgState) cfgFor(keyID string) *idkg.Config {
	c, err := s.configOf(keyGroup(keyID), s.size())
	if err != nil {
		panic(err) // sizes are bounded by the registry rules
	}
	return c
}

// size, nodeKeys and encKeys describe the current committee; me is this
// node's index in it (-1: not a member).
func (s *idkgState) size() int                           { return s.a.committee().n() }
func (s *idkgState) nodeKeys() []dkg.NodePublicKey       { return s.a.committee().nodePub }
func (s *idkgState) encKeys() []*dkg.EncryptionPublicKey { return s.a.committee().encPub }
func (s *idkgState) me() int                             { return s.a.me() }

// transcript returns (recreating it if needed) the committed transcript id.
func (s *idkgState) transcript(id []byte) (*idkg.Transcript, error) {
	s.mu.Lock()
	t := s.transcripts[string(id)]
	s.mu.Unlock()
	if t != nil {
		return t, nil
	}
	v, ok, err := s.a.st.getCommitted(append([]byte(subnet.PrefixTranscript), id...))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("replica: unknown transcript %q", id)
	}
	var rec subnet.TranscriptRec
	if err := subnet.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("replica: transcript %q: %w", id, err)
	}
	cfg, err := s.recConfig(&rec)
	if err != nil {
		return nil, err
	}
	op, err := s.operation(rec.Kind, rec.Input, rec.Input2)
	if err != nil {
		return nil, err
	}
	var ds []*idkg.Dealing
	for _, raw := range rec.Dealings {
		d, _, err := s.openCommitted(cfg, raw)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	t, _, err = idkg.CreateTranscript(cfg, id, op, ds)
	if err != nil {
		return nil, fmt.Errorf("replica: recreate transcript %q: %w", id, err)
	}
	s.mu.Lock()
	s.transcripts[string(id)] = t
	s.mu.Unlock()
	return t, nil
}

func (s *idkgState) operation(kind uint8, in1, in2 []byte) (*idkg.Operation, error) {
	switch idkg.Kind(kind) {
	case idkg.Random:
		return idkg.NewRandom(s.size()), nil
	case idkg.RandomUnmasked:
		return idkg.NewRandomUnmasked(s.size()), nil
	case idkg.ReshareOfMasked, idkg.ReshareOfUnmasked:
		t, err := s.transcript(in1)
		if err != nil {
			return nil, err
		}
		if idkg.Kind(kind) == idkg.ReshareOfMasked {
			return idkg.NewReshareOfMasked(t), nil
		}
		return idkg.NewReshareOfUnmasked(t), nil
	case idkg.UnmaskedTimesMasked:
		t1, err := s.transcript(in1)
		if err != nil {
			return nil, err
		}
		t2, err := s.transcript(in2)
		if err != nil {
			return nil, err
		}
		return idkg.NewUnmaskedTimesMasked(t1, t2), nil
	}
	return nil, fmt.Errorf("replica: unknown transcript kind %d", kind)
}

// openedKey names a signed dealing envelope decoded under one group.
type openedKey struct {
	group  string
	digest [32]byte
}

// openedDealing is a signed dealing envelope whose signature this node has
// checked, decoded. Decoded dealings are never modified.
type openedDealing struct {
	d   *idkg.Dealing
	cts [][]byte
	// unchecked: decoded from a committed transcript without checking
	// the signature again (openCommitted).
	unchecked bool
}

// maxOpened bounds the node's cache of decoded dealings.
const maxOpened = 1 << 12

// openDealing decodes a signed dealing and checks its signature. The
// result is kept by envelope digest, so that a node checks the signature
// of and decodes each dealing once although it reads it at several steps
// (admission, execution, transcript creation, its opening).
func (s *idkgState) openDealing(cfg *idkg.Config, raw []byte) (*idkg.Dealing, [][]byte, error) {
	k := openedKey{group: cfg.Group().Name(), digest: sha256.Sum256(raw)}
	s.mu.Lock()
	o := s.opened[k]
	s.mu.Unlock()
	if o != nil && !o.unchecked {
		return o.d, o.cts, nil
	}
	var env dkg.Envelope
	if err := env.UnmarshalBinary(raw); err != nil {
		return nil, nil, fmt.Errorf("replica: dealing envelope: %w", err)
	}
	if int(env.Signer) >= s.size() {
		return nil, nil, errors.New("replica: dealing from unknown dealer")
	}
	d, cts, err := cfg.OpenSignedDealing(&env, s.nodeKeys()[env.Signer])
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	if len(s.opened) >= maxOpened {
		clear(s.opened)
	}
	s.opened[k] = &openedDealing{d: d, cts: cts}
	s.mu.Unlock()
	return d, cts, nil
}

// applyProtocol executes an IDKG protocol message: a dealing
// (subnet.ApplyIDKGDealing) or a complaint message.
func (e *exec) applyProtocol(t *subnet.ProtocolTx) (uint32, error) {
	s := e.a.idkg
	if s == nil || !subnet.IsIDKGKind(t.Kind) {
		return codeInvalid, errf("unsupported protocol message")
	}
	if t.Kind != subnet.ProtoIDKGDealing {
		return e.applyIDKGComplaintMsg(t)
	}
	mode := subnet.Execute
	switch {
	case e.admit:
		mode = subnet.Admit
	case e.dry:
		mode = subnet.Check
	}
	out, err := subnet.ApplyIDKGDealing(e.cs, e, e, e.seen, s, e.keyPlan(), t, mode, subnet.DealingEvents{
		Convicted: func(dealer uint32, job *subnet.Job) {
			e.a.log.Warn("node convicted of a bad dealing", "node", dealer, "transcript", string(job.ID))
		},
		Lifecycle: func(ev int, job *subnet.Job) {
			switch ev {
			case subnet.KeyReady:
				e.a.log.Info("master key ready", "key", job.KeyID)
			case subnet.KeyReshared:
				e.a.log.Info("master key reshared", "key", job.KeyID, "transcript", string(job.ID))
			}
		},
	})
	if err != nil {
		return codeInvalid, err
	}
	switch out {
	case subnet.DealingLate:
		e.countDealing("late")
		return codeIgnored, nil
	case subnet.DealingBad:
		e.countDealing("bad")
	case subnet.DealingUsed:
		e.countDealing("used")
	}
	return codeOK, nil
}

// Operation, Transcript, Verified, MarkVerified and Made make idkgState
// the subnet.IDKGTranscripts of the dealing rules.
func (s *idkgState) Operation(kind uint8, in1, in2 []byte) (*idkg.Operation, error) {
	return s.operation(kind, in1, in2)
}

func (s *idkgState) Transcript(id []byte) (*idkg.Transcript, error) { return s.transcript(id) }

func (s *idkgState) Verified(digest [32]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.verified[digest]
}

func (s *idkgState) MarkVerified(digest [32]byte) {
	s.mu.Lock()
	if len(s.verified) > 1<<16 {
		clear(s.verified)
	}
	s.verified[digest] = true
	s.mu.Unlock()
}

func (s *idkgState) Made(id []byte, t *idkg.Transcript) {
	s.mu.Lock()
	s.transcripts[string(id)] = t
	s.mu.Unlock()
	s.a.metrics.dkgRounds.Inc()
}

// countDealing counts a dealing executed in a block (not in admission
// checks).
func (e *exec) countDealing(result string) {
	if !e.dry && e.a.metrics != nil {
		e.a.metrics.dealings.WithLabelValues(result).Inc()
	}
}

// keyPlan is the genesis' key schedule (subnet.KeyPlan).
func (e *exec) keyPlan() subnet.KeyPlan {
	return subnet.KeyPlan{ChainID: e.a.chainID, N: len(subnet.Committee(e.cs, e.a.genRecs)), KeyIDs: e.a.gen.KeyIDs,
		PresignatureTarget: e.a.gen.PresignatureTarget, ReshareInterval: e.a.gen.ReshareInterval}
}

// newJob opens a transcript job (subnet.NewJob).
func (e *exec) newJob(keyID string, role uint8, kind idkg.Kind, in1, in2 []byte, presig uint64) {
	subnet.NewJob(e.cs, e.keyPlan(), keyID, role, kind, in1, in2, presig)
}

// ---- node-local: dealing and openings ----

// opening returns this node's share of a committed transcript, decrypting
// and combining it the first time. Shares are kept in memory only: they
// can always be computed again from the committed transcript and this
// node's encryption key, and a presignature's shares are never computed
// again once it is in the consumption log (SignShare).
func (s *idkgState) opening(id []byte) (*idkg.Opening, error) {
	s.mu.Lock()
	o, gone := s.openings[string(id)], s.forgotten[string(id)]
	s.mu.Unlock()
	if gone {
		return nil, fmt.Errorf("replica: share of transcript %q was used and deleted", id)
	}
	if o != nil {
		return o, nil
	}
	t, err := s.transcript(id)
	if err != nil {
		return nil, err
	}
	v, ok, err := s.a.st.getCommitted(append([]byte(subnet.PrefixTranscript), id...))
	if err != nil || !ok {
		return nil, fmt.Errorf("replica: transcript %q not committed", id)
	}
	var rec subnet.TranscriptRec
	if err := subnet.Unmarshal(v, &rec); err != nil {
		return nil, err
	}
	cfg, err := s.recConfig(&rec)
	if err != nil {
		return nil, err
	}
	me := s.me()
	if me < 0 || me >= cfg.Receivers() {
		return nil, fmt.Errorf("replica: this node holds no share of transcript %q", id)
	}
	ops := map[int]*idkg.Opening{}
	ds := make([]*idkg.Dealing, len(rec.Dealings))
	mine := make([][]byte, len(rec.Dealings))
	for i, raw := range rec.Dealings {
		d, cts, err := s.openCommitted(cfg, raw)
		if err != nil {
			return nil, err
		}
		ds[i], mine[i] = d, cts[me]
	}
	// All openings with one batch check; if it fails, one at a time.
	if all, err := cfg.DecryptOpeningsWith(me, s.opener, ds, mine); err == nil {
		for i, d := range ds {
			ops[d.Dealer] = all[i]
		}
	} else {
		for i, d := range ds {
			op, err := cfg.DecryptOpeningWith(d, me, s.opener, mine[i])
			if err != nil {
				// A bad opening: the dealer's answer to this node's
				// complaint, or the other receivers' openings, replace it.
				if op, err = s.recoverShare(cfg, id, d); err != nil {
					for _, o := range ops {
						o.Zeroize()
					}
					return nil, err
				}
			}
			ops[d.Dealer] = op
		}
	}
	o, err = t.ComputeOpening(me, ops)
	for _, op := range ops {
		op.Zeroize()
	}
	if err != nil {
		return nil, fmt.Errorf("replica: compute opening of %q: %w", id, err)
	}
	s.mu.Lock()
	if s.forgotten[string(id)] {
		// Used and deleted meanwhile (computed ahead by warm while a
		// signature consumed it): leave nothing behind.
		s.mu.Unlock()
		o.Zeroize()
		return nil, fmt.Errorf("replica: share of transcript %q was used and deleted", id)
	}
	s.openings[string(id)] = o
	s.mu.Unlock()
	return o, nil
}

// forget wipes this node's share of a transcript and refuses to compute it
// again in this process (after a restart the consumption log refuses it).
func (s *idkgState) forget(id []byte) {
	s.mu.Lock()
	if o := s.openings[string(id)]; o != nil {
		o.Zeroize()
		delete(s.openings, string(id))
	}
	if !s.forgotten[string(id)] {
		s.forgotten[string(id)] = true
		// Remembered for the last maxForgotten transcripts: by then the
		// transcript has long left the state (dropPresignature), so no
		// share of it can be computed again.
		if len(s.forgetOrder) < maxForgotten {
			s.forgetOrder = append(s.forgetOrder, string(id))
		} else {
			delete(s.forgotten, s.forgetOrder[s.forgetNext])
			s.forgetOrder[s.forgetNext] = string(id)
			s.forgetNext = (s.forgetNext + 1) % maxForgotten
		}
	}
	s.mu.Unlock()
}

// maxForgotten bounds the transcripts forget remembers.
const maxForgotten = 1 << 16

// jobInputs returns the operation of a transcript and this node's openings
// of its input transcripts.
func (s *idkgState) jobInputs(kind uint8, in1, in2 []byte) (*idkg.Operation, []*idkg.Opening, error) {
	op, err := s.operation(kind, in1, in2)
	if err != nil {
		return nil, nil, err
	}
	var inputs []*idkg.Opening
	for _, in := range [][]byte{in1, in2} {
		if in == nil {
			continue
		}
		o, err := s.opening(in)
		if err != nil {
			return nil, nil, err
		}
		inputs = append(inputs, o)
	}
	return op, inputs, nil
}

// sealers runs the KEM once per receiver for the dealings this node makes
// in one round (see dkg.ShareSealer).
func (s *idkgState) sealers(enc []*dkg.EncryptionPublicKey) ([]*dkg.ShareSealer, error) {
	out := make([]*dkg.ShareSealer, len(enc))
	for j := range out {
		var err error
		if out[j], err = dkg.NewShareSealer(enc[j], uint32(s.me()), uint32(j)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// deal makes this node's signed dealing for a job, its openings sealed
// with sealers (one per receiver, from sealers).
func (s *idkgState) deal(job *subnet.Job, sealers []*dkg.ShareSealer) ([]byte, error) {
	cfg, err := s.configOf(keyGroup(job.KeyID), len(sealers))
	if err != nil {
		return nil, err
	}
	kind := s.a.liar().idkgDealingKind(job.Kind)
	op, inputs, err := s.jobInputs(kind, job.Input, job.Input2)
	if err != nil {
		return nil, err
	}
	// Deterministic randomness: the openings need not be kept to answer
	// complaints (dealtOpening makes the same dealing again), and a node
	// that deals again after a restart sends the same dealing.
	d, openings, err := idkg.Deal(cfg, job.ID, op, s.me(), inputs, s.dealingRand(job.ID, kind, job.Input, job.Input2, job.Salt))
	if err != nil {
		return nil, fmt.Errorf("replica: deal %q: %w", job.ID, err)
	}
	s.a.liar().idkgOpenings(openings, s.me())
	var cts [][]byte
	if err == nil {
		cts, err = idkg.EncryptOpeningsWith(d, openings, sealers)
	}
	for _, o := range openings {
		o.Zeroize()
	}
	if err != nil {
		return nil, err
	}
	env, err := idkg.SignDealing(s.signKey, d, cts)
	if err != nil {
		return nil, err
	}
	return env.MarshalBinary()
}

// warm computes, ahead of signing, this node's shares of the transcripts
// of available presignatures and of the master keys, and the transcripts'
// commitments, so that ExtendVote only combines values.
func (s *idkgState) warm(cs *subnet.State, quit <-chan struct{}) {
	s.warmPending(cs, quit)
	var ids [][]byte
	for _, k := range s.a.gen.KeyIDs {
		if id := cs.KeyTr[k]; id != nil {
			ids = append(ids, id)
		}
		for _, p := range cs.Presigs[k] {
			ids = append(ids, p.Kappa, p.Lambda, p.KappaLambda, p.KeyLambda, p.KeyTr)
		}
	}
	s.warmIDs(ids, quit)
}

// warmPending computes this node's shares of the presignatures assigned to
// pending requests (taken from the stock as soon as they were complete
// when requests wait), so that ExtendVote, on the consensus path, finds
// them ready.
func (s *idkgState) warmPending(cs *subnet.State, quit <-chan struct{}) {
	var ids [][]byte
	for i := range cs.Pending {
		if r := cs.Pending[i].PresigRec; r != nil {
			ids = append(ids, r.Kappa, r.Lambda, r.KappaLambda, r.KeyLambda, r.KeyTr)
		}
	}
	s.warmIDs(ids, quit)
}

func (s *idkgState) warmIDs(ids [][]byte, quit <-chan struct{}) {
	for _, id := range ids {
		if id == nil {
			continue
		}
		select {
		case <-quit:
			return
		default:
		}
		s.mu.Lock()
		_, done := s.openings[string(id)]
		done = done || s.forgotten[string(id)]
		s.mu.Unlock()
		if done {
			continue
		}
		if t, err := s.transcript(id); err == nil {
			t.Commitment()
		}
		if _, err := s.opening(id); err != nil {
			s.a.log.Debug("share of transcript", "transcript", string(id), "err", err)
		}
	}
}
