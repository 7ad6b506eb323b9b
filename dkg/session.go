package dkg

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/chainkey/chainkey/internal/group"
)

// Reason says why a dealer was convicted.
type Reason int

// Conviction reasons. Each is proven by signed evidence that every node
// holds (the messages were agreed by consensus).
const (
	// ReasonInvalidDealing: a dealing signed by the dealer fails public
	// verification (encoding, commitment size, proof of knowledge, or the
	// resharing link to the old public polynomial).
	ReasonInvalidDealing Reason = iota + 1
	// ReasonEquivocation: the dealer signed two different dealings for the
	// same session.
	ReasonEquivocation
	// ReasonNoOpening: a complaint against the dealing was not answered by
	// a valid opening within the deadline.
	ReasonNoOpening
	// ReasonBadOpening: the dealer's signed opening does not match its
	// commitment.
	ReasonBadOpening
)

// String names the reason.
func (r Reason) String() string {
	switch r {
	case ReasonInvalidDealing:
		return "invalid-dealing"
	case ReasonEquivocation:
		return "equivocation"
	case ReasonNoOpening:
		return "no-opening"
	case ReasonBadOpening:
		return "bad-opening"
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

// Conviction records a dealer proven faulty; its dealing is excluded.
type Conviction struct {
	Dealer int
	Reason Reason
	// Height is the agreed block height at which the fault was established.
	Height uint64
	// Evidence holds the signed messages that prove the fault (the
	// dealing(s), and the complaint and opening where relevant).
	Evidence []*Envelope
}

// String describes the conviction.
func (c Conviction) String() string {
	return fmt.Sprintf("dealer %d convicted at height %d: %s", c.Dealer, c.Height, c.Reason)
}

// AnsweredComplaint records a complaint that a valid opening answered. It
// convicts nobody: either the complainer lied or the dealer's ciphertext
// was bad and its opening repaired it, which no one else can tell apart
// (HPKE decryption is not publicly provable). It costs one round.
type AnsweredComplaint struct {
	Complainer int
	Dealer     int
	Height     uint64
}

// ErrNotEnoughDealings is returned by Session.Transcript when fewer than
// Config.RequiredDealings dealings are settled.
var ErrNotEnoughDealings = errors.New("dkg: not enough settled dealings")

type dealingState struct {
	env        *Envelope
	dealing    *Dealing
	hash       [32]byte
	height     uint64
	complaints map[int]*complaintState // by complainer
}

type complaintState struct {
	env      *Envelope
	height   uint64
	answered bool
	share    group.Scalar // public once opened
}

// Session is the agreed, public state of one DKG or resharing session. Every
// node feeds its Session the same messages at the same heights (as ordered
// by consensus), so every honest node reaches the same convictions and the
// same Transcript. Session does no I/O and keeps no secrets.
type Session struct {
	cfg        *Config
	height     uint64
	order      []int // dealers in the order their dealings were agreed
	dealings   map[int]*dealingState
	convicted  map[int]*Conviction
	convOrder  []int
	answered   []AnsweredComplaint
	transcript *Transcript
}

// NewSession starts the agreed state of the session described by cfg.
func NewSession(cfg *Config) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Session{cfg: cfg, dealings: map[int]*dealingState{}, convicted: map[int]*Conviction{}}, nil
}

// Config returns the session's configuration.
func (s *Session) Config() *Config { return s.cfg }

func (s *Session) convict(dealer int, reason Reason, evidence ...*Envelope) {
	if _, ok := s.convicted[dealer]; ok {
		return
	}
	s.convicted[dealer] = &Conviction{Dealer: dealer, Reason: reason, Height: s.height, Evidence: evidence}
	s.convOrder = append(s.convOrder, dealer)
}

// Advance moves the session to an agreed height, convicting every dealer
// with a complaint whose opening deadline has passed. Heights never go back.
func (s *Session) Advance(height uint64) error {
	if height < s.height {
		return fmt.Errorf("dkg: height %d before current height %d", height, s.height)
	}
	s.height = height
	for _, dealer := range s.order {
		ds := s.dealings[dealer]
		if _, ok := s.convicted[dealer]; ok || len(ds.complaints) == 0 {
			continue
		}
		for _, c := range sortedComplaints(ds) {
			if !c.answered && height > c.height+s.cfg.Deadline {
				s.convict(dealer, ReasonNoOpening, ds.env, c.env)
				break
			}
		}
	}
	return nil
}

// sortedComplaints returns ds's complaints by complainer index.
func sortedComplaints(ds *dealingState) []*complaintState {
	out := make([]*complaintState, 0, len(ds.complaints))
	for _, i := range slices.Sorted(maps.Keys(ds.complaints)) {
		out = append(out, ds.complaints[i])
	}
	return out
}

// AddDealing processes an agreed dealing at the given height. It returns an
// error, and changes nothing, when the envelope proves nothing (wrong
// session, unknown dealer, bad signature). A signed but invalid dealing,
// or a second different dealing by the same dealer, convicts the dealer
// (see Convictions) and returns nil. A repeated identical dealing is
// ignored.
func (s *Session) AddDealing(height uint64, env *Envelope) error {
	if err := s.Advance(height); err != nil {
		return err
	}
	d, err := VerifyDealing(s.cfg, env)
	if err != nil && !errors.Is(err, ErrInvalidDealing) {
		return err
	}
	dealer := int(env.Signer)
	if _, ok := s.convicted[dealer]; ok {
		return nil
	}
	if prev, ok := s.dealings[dealer]; ok {
		if prev.hash == env.Hash() || string(prev.env.Body) == string(env.Body) {
			return nil // the same dealing again (possibly re-signed)
		}
		s.convict(dealer, ReasonEquivocation, prev.env, env)
		return nil
	}
	if err != nil {
		s.convict(dealer, ReasonInvalidDealing, env)
		// Remember it so a second dealing is still seen as equivocation.
		s.dealings[dealer] = &dealingState{env: env, hash: env.Hash(), height: height}
		return nil
	}
	s.dealings[dealer] = &dealingState{env: env, dealing: d, hash: env.Hash(), height: height, complaints: map[int]*complaintState{}}
	s.order = append(s.order, dealer)
	return nil
}

// AddComplaint processes an agreed complaint at the given height. A
// complaint is accepted when it is signed by its receiver, names a dealing
// the session holds, and arrives within Deadline blocks of that dealing;
// otherwise an error is returned and nothing changes. Repeated complaints
// and complaints against convicted dealers are ignored.
func (s *Session) AddComplaint(height uint64, env *Envelope) error {
	if err := s.Advance(height); err != nil {
		return err
	}
	c, err := VerifyComplaint(s.cfg, env)
	if err != nil {
		return err
	}
	ds, ok := s.dealings[c.Dealer]
	if !ok || ds.hash != c.DealingHash {
		return fmt.Errorf("dkg: complaint by %d names no agreed dealing of %d", c.Complainer, c.Dealer)
	}
	if _, ok := s.convicted[c.Dealer]; ok {
		return nil
	}
	if height > ds.height+s.cfg.Deadline {
		return fmt.Errorf("dkg: complaint by %d against %d after the complaint window", c.Complainer, c.Dealer)
	}
	if _, ok := ds.complaints[c.Complainer]; ok {
		return nil
	}
	ds.complaints[c.Complainer] = &complaintState{env: env, height: height}
	return nil
}

// AddOpening processes an agreed opening at the given height. An opening
// answers a pending complaint when it is signed by the dealer, names the
// same dealing and recipient, arrives within Deadline blocks of the
// complaint and matches the commitment; then the complaint is answered and
// the share becomes public. A signed opening that does not match the
// commitment convicts the dealer. Unsolicited or late openings return an
// error and change nothing.
func (s *Session) AddOpening(height uint64, env *Envelope) error {
	if err := s.Advance(height); err != nil {
		return err
	}
	o, err := VerifyOpening(s.cfg, env)
	if err != nil {
		return err
	}
	if _, ok := s.convicted[o.Dealer]; ok {
		return nil
	}
	ds, ok := s.dealings[o.Dealer]
	if !ok || ds.hash != o.DealingHash {
		return fmt.Errorf("dkg: opening by %d names no agreed dealing", o.Dealer)
	}
	cs, ok := ds.complaints[o.Recipient]
	if !ok {
		return fmt.Errorf("dkg: opening by %d for %d answers no complaint", o.Dealer, o.Recipient)
	}
	if cs.answered {
		return nil
	}
	if height > cs.height+s.cfg.Deadline {
		return fmt.Errorf("dkg: opening by %d for %d after the deadline", o.Dealer, o.Recipient)
	}
	if err := o.Check(ds.dealing.Verifier()); err != nil {
		s.convict(o.Dealer, ReasonBadOpening, ds.env, cs.env, env)
		return nil
	}
	cs.answered = true
	cs.share = o.Share.Scalars[0]
	s.answered = append(s.answered, AnsweredComplaint{Complainer: o.Recipient, Dealer: o.Dealer, Height: height})
	return nil
}

// Convictions returns the convicted dealers in the order they were
// convicted.
func (s *Session) Convictions() []Conviction {
	out := make([]Conviction, 0, len(s.convOrder))
	for _, d := range s.convOrder {
		out = append(out, *s.convicted[d])
	}
	return out
}

// Convicted reports whether dealer has been convicted, and why.
func (s *Session) Convicted(dealer int) (Reason, bool) {
	c, ok := s.convicted[dealer]
	if !ok {
		return 0, false
	}
	return c.Reason, true
}

// AnsweredComplaints returns the complaints answered by valid openings.
func (s *Session) AnsweredComplaints() []AnsweredComplaint {
	return append([]AnsweredComplaint(nil), s.answered...)
}

// Silent returns the dealers from whom no dealing has been agreed.
func (s *Session) Silent() []int {
	var out []int
	for i := range s.cfg.Dealers {
		if _, ok := s.dealings[i]; !ok {
			out = append(out, i)
		}
	}
	return out
}

// Dealing returns dealer's agreed, publicly valid and unconvicted dealing
// and its envelope hash.
func (s *Session) Dealing(dealer int) (*Dealing, [32]byte, bool) {
	ds, ok := s.dealings[dealer]
	if !ok || ds.dealing == nil {
		return nil, [32]byte{}, false
	}
	if _, bad := s.convicted[dealer]; bad {
		return nil, [32]byte{}, false
	}
	return ds.dealing, ds.hash, true
}

// Dealers returns the dealers with a valid, unconvicted dealing, in agreed
// order.
func (s *Session) Dealers() []int {
	var out []int
	for _, d := range s.order {
		if _, bad := s.convicted[d]; !bad {
			out = append(out, d)
		}
	}
	return out
}

// openedShare returns recipient's share of dealer's dealing if an opening
// published it.
func (s *Session) openedShare(dealer, recipient int) (group.Scalar, bool) {
	ds, ok := s.dealings[dealer]
	if !ok || ds.complaints == nil {
		return nil, false
	}
	cs, ok := ds.complaints[recipient]
	if !ok || !cs.answered {
		return nil, false
	}
	return cs.share, true
}

// settled reports whether dealer's dealing may enter a transcript at the
// current height: valid, unconvicted, its complaint window closed and
// every complaint answered.
func (s *Session) settled(dealer int) bool {
	ds := s.dealings[dealer]
	if _, bad := s.convicted[dealer]; bad || ds.dealing == nil {
		return false
	}
	if s.height <= ds.height+s.cfg.Deadline {
		return false
	}
	for _, c := range ds.complaints {
		if !c.answered {
			return false
		}
	}
	return true
}

// Transcript computes the session's transcript at an agreed height. It
// includes the first RequiredDealings dealings, in agreed order, that are
// settled: publicly valid, not convicted, agreed more than Deadline blocks
// earlier (so every receiver could complain) and with every complaint
// answered. Every honest node calling it at the same height with the same
// agreed messages gets the same transcript. Once computed the transcript is
// fixed: later calls return it unchanged. A dealing agreed at height h is
// certainly settled (or its dealer convicted) from height h+2·Deadline+1
// on, so a driver that wants to wait for the dealings agreed up to height
// h calls Transcript at that height or later.
func (s *Session) Transcript(height uint64) (*Transcript, error) {
	if s.transcript != nil {
		return s.transcript, nil
	}
	if err := s.Advance(height); err != nil {
		return nil, err
	}
	need := s.cfg.RequiredDealings()
	var included []int
	for _, d := range s.order {
		if len(included) == need {
			break
		}
		if s.settled(d) {
			included = append(included, d)
		}
	}
	if len(included) < need {
		return nil, fmt.Errorf("%w: %d of %d at height %d", ErrNotEnoughDealings, len(included), need, height)
	}
	commitments := make([]*Dealing, len(included))
	for k, d := range included {
		commitments[k] = s.dealings[d].dealing
	}
	tr, err := combine(s.cfg, included, commitments)
	if err != nil {
		return nil, err
	}
	s.transcript = tr
	return tr, nil
}
