package dkg_test

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/cryptotest"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// behaviour is a node's role in a simulated session.
type behaviour int

const (
	honest behaviour = iota
	// Dealers.
	advBadShare        // one receiver gets a wrong share; opens it with that wrong share
	advCommitMismatch  // commitment to another polynomial than the shares; opens its real shares
	advEquivocate      // signs two different dealings
	advSilent          // deals nothing
	advIgnoreComplaint // one bad share, never opens
	advWrongOpening    // one bad share, opens with a random scalar
	advBadPoK          // proof of knowledge does not verify
	// Receivers.
	advFalseComplaint // complains against every honest dealer
)

func (b behaviour) String() string {
	return [...]string{"honest", "bad-share", "commit-mismatch", "equivocate", "silent",
		"ignore-complaint", "wrong-opening", "bad-pok", "false-complaint"}[b]
}

// expected is the conviction reason each Byzantine dealer must get.
var expected = map[behaviour]dkg.Reason{
	advBadShare:        dkg.ReasonBadOpening,
	advCommitMismatch:  dkg.ReasonBadOpening,
	advEquivocate:      dkg.ReasonEquivocation,
	advIgnoreComplaint: dkg.ReasonNoOpening,
	advWrongOpening:    dkg.ReasonBadOpening,
	advBadPoK:          dkg.ReasonInvalidDealing,
}

// committee is a set of nodes with their keys.
type committee struct {
	signs []*dkg.NodeSigningKey
	encs  []*dkg.EncryptionKey
	pubs  []dkg.NodePublicKey
	infos []dkg.ReceiverInfo
}

func newCommittee(tb testing.TB, n int, rng io.Reader) *committee {
	c := &committee{}
	for range n {
		s, err := dkg.GenerateNodeSigningKey(rng)
		if err != nil {
			tb.Fatal(err)
		}
		e, err := dkg.GenerateEncryptionKey(rng)
		if err != nil {
			tb.Fatal(err)
		}
		c.signs = append(c.signs, s)
		c.encs = append(c.encs, e)
		c.pubs = append(c.pubs, s.PublicKey())
		c.infos = append(c.infos, dkg.ReceiverInfo{SigningKey: s.PublicKey(), EncryptionKey: e.PublicKey()})
	}
	return c
}

// simResult is what a simulated session produced.
type simResult struct {
	cfg         *dkg.Config
	transcript  *dkg.Transcript
	shares      map[int]*dkg.SecretShare // of honest receivers
	convictions []dkg.Conviction
	silent      []int
	answered    []dkg.AnsweredComplaint
}

// simulate runs one session: dealers deal (height 1), receivers complain
// (height 2), dealers open (height 3), transcript at height 4 (Deadline 1).
// "Consensus" delivers each round's messages to every honest node in one
// agreed, shuffled order. dealerB and receiverB give Byzantine behaviours;
// oldShares are the dealers' shares when resharing.
func simulate(tb testing.TB, cfg *dkg.Config, dealers, receivers *committee, dealerB, receiverB map[int]behaviour, oldShares map[int]*dkg.SecretShare, rng *rand.ChaCha8) *simResult {
	tb.Helper()
	g := cfg.Group
	shuffle := func(m []*dkg.Envelope) {
		r := rand.New(rng)
		r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
	}
	// Every receiver that is not Byzantine keeps a Session and a Receiver.
	var honestR []int
	sessions := map[int]*dkg.Session{}
	recv := map[int]*dkg.Receiver{}
	for i := range receivers.signs {
		if receiverB[i] != honest {
			continue
		}
		honestR = append(honestR, i)
		s, err := dkg.NewSession(cfg)
		if err != nil {
			tb.Fatal(err)
		}
		r, err := dkg.NewReceiver(cfg, i, receivers.signs[i], receivers.encs[i])
		if err != nil {
			tb.Fatal(err)
		}
		sessions[i], recv[i] = s, r
	}
	deliver := func(height uint64, msgs []*dkg.Envelope, add func(*dkg.Session, uint64, *dkg.Envelope) error, mustAccept func(*dkg.Envelope) bool) {
		for _, i := range honestR {
			for _, m := range msgs {
				if err := add(sessions[i], height, m); err != nil && mustAccept(m) {
					tb.Fatalf("node %d refused %s from %d at height %d: %v", i, m.Kind, m.Signer, height, err)
				}
			}
		}
	}

	// Round 1: dealings.
	dealerObjs := map[int]*dkg.Dealer{}
	badValue := map[int]group.Scalar{} // the wrong share a Byzantine dealer sent
	victim := func(j int) int { return (j + 1) % len(receivers.signs) }
	var dealings []*dkg.Envelope
	honestMsg := map[*dkg.Envelope]bool{}
	for j := range dealers.signs {
		b := dealerB[j]
		if b == advSilent {
			continue
		}
		d, err := dkg.NewDealer(cfg, j, dealers.signs[j])
		if err != nil {
			tb.Fatal(err)
		}
		dealerObjs[j] = d
		var secret group.Scalar
		if oldShares != nil {
			secret = oldShares[j].Value()
		}
		var env *dkg.Envelope
		switch b {
		case honest:
			env, err = d.Deal(secret, rng)
			honestMsg[env] = true
		case advBadShare, advIgnoreComplaint, advWrongOpening:
			env, err = d.DealTampered(secret, rng, dkg.Tamper{Share: func(i int, s group.Scalar) {
				if i == victim(j) {
					s.Add(s, g.NewScalar().SetUint64(1))
					badValue[j] = g.NewScalar().Set(s)
				}
			}})
		case advCommitMismatch:
			env, err = d.DealTampered(secret, rng, dkg.Tamper{Commitment: func(c *poly.Commitment) *poly.Commitment {
				other, _ := poly.Random(g, c.Len()-1, nil, rng)
				oc := other.Commit()
				pts := slices.Clone(oc.Points())
				pts[0] = c.Constant() // keep the constant term (and so the PoK / resharing link) valid
				nc, _ := poly.NewCommitment(g, pts)
				return nc
			}})
		case advEquivocate:
			env, err = d.DealTampered(secret, rng, dkg.Tamper{})
			if err == nil {
				var env2 *dkg.Envelope
				env2, err = d.DealTampered(secret, rng, dkg.Tamper{})
				dealings = append(dealings, env2)
			}
		case advBadPoK:
			if oldShares != nil {
				// No proof in a resharing: break the link to the old share instead.
				env, err = d.DealTampered(g.NewScalar().SetUint64(7), rng, dkg.Tamper{})
			} else {
				env, err = d.DealTampered(secret, rng, dkg.Tamper{BadPoK: true})
			}
		}
		if err != nil {
			tb.Fatalf("dealer %d (%v): %v", j, b, err)
		}
		dealings = append(dealings, env)
	}
	shuffle(dealings)
	deliver(1, dealings, (*dkg.Session).AddDealing, func(m *dkg.Envelope) bool { return honestMsg[m] })

	// Round 2: complaints.
	ref := sessions[honestR[0]]
	var complaints []*dkg.Envelope
	for _, i := range honestR {
		cs, err := recv[i].VerifyDealings(sessions[i])
		if err != nil {
			tb.Fatal(err)
		}
		complaints = append(complaints, cs...)
	}
	for i, b := range receiverB {
		if b != advFalseComplaint {
			continue
		}
		for _, j := range ref.Dealers() {
			if dealerB[j] != honest {
				continue
			}
			_, h, _ := ref.Dealing(j)
			c, err := dkg.NewComplaint(receivers.signs[i], cfg.SessionID, i, j, h)
			if err != nil {
				tb.Fatal(err)
			}
			complaints = append(complaints, c)
		}
	}
	shuffle(complaints)
	deliver(2, complaints, (*dkg.Session).AddComplaint, func(*dkg.Envelope) bool { return true })

	// Round 3: openings.
	var openings []*dkg.Envelope
	honestOpen := map[*dkg.Envelope]bool{}
	for _, ce := range complaints {
		c, err := dkg.VerifyComplaint(cfg, ce)
		if err != nil {
			tb.Fatal(err)
		}
		d := dealerObjs[c.Dealer]
		var o *dkg.Envelope
		switch dealerB[c.Dealer] {
		case honest:
			o, err = d.Open(ce)
			honestOpen[o] = true
		case advBadShare:
			if v, ok := badValue[c.Dealer]; ok && c.Complainer == victim(c.Dealer) {
				o, err = dkg.NewOpening(dealers.signs[c.Dealer], cfg.SessionID, c.Dealer, c.Complainer, c.DealingHash, dkg.SharePayload{Scalars: []group.Scalar{v}})
			} else {
				o, err = d.Open(ce)
			}
		case advCommitMismatch:
			o, err = d.Open(ce) // its real share, which the commitment does not match
		case advWrongOpening:
			o, err = dkg.NewOpening(dealers.signs[c.Dealer], cfg.SessionID, c.Dealer, c.Complainer, c.DealingHash, dkg.SharePayload{Scalars: []group.Scalar{g.NewScalar().SetUint64(42)}})
		default: // ignore the complaint (or already convicted)
			continue
		}
		if err != nil {
			tb.Fatalf("dealer %d opening for %d: %v", c.Dealer, c.Complainer, err)
		}
		openings = append(openings, o)
	}
	shuffle(openings)
	deliver(3, openings, (*dkg.Session).AddOpening, func(m *dkg.Envelope) bool { return honestOpen[m] })

	// Height 4: transcript at every honest node; all must agree.
	res := &simResult{cfg: cfg, shares: map[int]*dkg.SecretShare{}}
	var first []byte
	for _, i := range honestR {
		s := sessions[i]
		tr, err := s.Transcript(4)
		if err != nil {
			tb.Fatalf("node %d transcript: %v", i, err)
		}
		b, err := tr.MarshalBinary()
		if err != nil {
			tb.Fatal(err)
		}
		if first == nil {
			first = b
			res.transcript = tr
			res.convictions = s.Convictions()
			res.silent = s.Silent()
			res.answered = s.AnsweredComplaints()
		} else {
			if !bytes.Equal(first, b) {
				tb.Fatalf("node %d computed a different transcript", i)
			}
			if fmt.Sprint(s.Convictions()) != fmt.Sprint(res.convictions) {
				tb.Fatalf("node %d convicted differently: %v vs %v", i, s.Convictions(), res.convictions)
			}
		}
		share, err := recv[i].SecretShare(s, tr)
		if err != nil {
			tb.Fatalf("node %d secret share: %v", i, err)
		}
		res.shares[i] = share
	}
	return res
}

// checkAdversaries verifies that every Byzantine node was caught and named.
func checkAdversaries(tb testing.TB, res *simResult, dealerB, receiverB map[int]behaviour) {
	tb.Helper()
	got := map[int]dkg.Reason{}
	for _, c := range res.convictions {
		got[c.Dealer] = c.Reason
		if err := dkg.CheckConviction(res.cfg, c); err != nil {
			tb.Errorf("conviction of %d: %v", c.Dealer, err)
		}
		// Evidence against another dealer, or with a message dropped, fails.
		wrong := c
		wrong.Dealer = (c.Dealer + 1) % len(res.cfg.Dealers)
		if dkg.CheckConviction(res.cfg, wrong) == nil {
			tb.Errorf("evidence against %d also convicts %d", c.Dealer, wrong.Dealer)
		}
		short := c
		short.Evidence = c.Evidence[:len(c.Evidence)-1]
		if dkg.CheckConviction(res.cfg, short) == nil {
			tb.Errorf("truncated evidence against %d accepted", c.Dealer)
		}
	}
	for j, b := range dealerB {
		switch {
		case b == advSilent:
			if !slices.Contains(res.silent, j) {
				tb.Errorf("silent dealer %d not reported", j)
			}
		case b != honest:
			if got[j] != expected[b] {
				tb.Errorf("dealer %d (%v): conviction %v, want %v", j, b, got[j], expected[b])
			}
			if slices.Contains(res.transcript.Dealers(), j) {
				tb.Errorf("Byzantine dealer %d included", j)
			}
		}
	}
	for j := range got {
		if dealerB[j] == honest {
			tb.Errorf("honest dealer %d convicted: %v", j, got[j])
		}
	}
	for i, b := range receiverB {
		if b != advFalseComplaint {
			continue
		}
		found := false
		for _, a := range res.answered {
			found = found || a.Complainer == i
		}
		if !found {
			tb.Errorf("false complainer %d not reported", i)
		}
	}
}

// checkShares interpolates every t-subset window of the honest shares and
// compares with the public key and public key shares.
func checkShares(tb testing.TB, g group.Group, res *simResult) {
	tb.Helper()
	if err := shareError(g, res); err != nil {
		tb.Fatal(err)
	}
}

func shareError(g group.Group, res *simResult) error {
	tr := res.transcript
	t := tr.Threshold()
	idx := slices.Sorted(func(yield func(int) bool) {
		for i := range res.shares {
			if !yield(i) {
				return
			}
		}
	})
	if len(idx) < t {
		return fmt.Errorf("%d honest shares for threshold %d", len(idx), t)
	}
	for start := 0; start+t <= len(idx); start++ {
		sub := idx[start : start+t]
		ys := make([]group.Scalar, t)
		for k, i := range sub {
			ys[k] = res.shares[i].Value()
		}
		x, err := poly.InterpolateScalar(g, sub, ys)
		if err != nil {
			return err
		}
		if !g.NewPoint().ScalarBaseMult(x).Equal(tr.PublicKey()) {
			return fmt.Errorf("shares %v do not interpolate to the public key", sub)
		}
	}
	for _, i := range idx {
		pk, err := tr.PublicKeyShare(i)
		if err != nil {
			return err
		}
		if !g.NewPoint().ScalarBaseMult(res.shares[i].Value()).Equal(pk) {
			return fmt.Errorf("share %d does not match its public key share", i)
		}
	}
	return nil
}

func sessionConfig(g group.Group, id string, dealers, receivers *committee, t int, prev *poly.Commitment) *dkg.Config {
	return &dkg.Config{
		Group: g, SessionID: []byte(id), Dealers: dealers.pubs, Receivers: receivers.infos,
		Threshold: t, Previous: prev, Deadline: 1,
	}
}

// setDeterministic makes crypto/rand (used by HPKE encapsulation)
// deterministic for the test.
func setDeterministic(t *testing.T, seed uint64) *rand.ChaCha8 {
	cryptotest.SetGlobalRandom(t, seed)
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(s)
}
