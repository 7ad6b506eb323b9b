package replica

import (
	"crypto/rand"
	"slices"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
)

// faults makes a node lie, for tests that check the others convict it. It
// is the liar the fault tests inject (Config.lie); production nodes are
// honest.
type faults struct {
	BadCertShares bool // send invalid certification and beacon shares
	BadSignShares bool // send invalid signing shares
	BadDealings   bool // send invalid key-generation dealings
	BadComplaints bool // complain about valid dealings
	// BadIDKGShares makes the node, as an IDKG dealer, encrypt a wrong
	// opening to the next node (index+1 mod n) and ignore complaints.
	BadIDKGShares bool
	// AnswerIDKGComplaints makes a BadIDKGShares node answer complaints
	// with the right openings all the same.
	AnswerIDKGComplaints bool
	// CrashAfterBlock makes the node fail between FinalizeBlock and
	// Commit of this height, as if killed with the height unwritten.
	CrashAfterBlock uint64
	// BadVetKDShares makes the node send encrypted key shares that do
	// not verify.
	BadVetKDShares bool
}

// vetkdShare spoils the node's encrypted key share: C3 is replaced by C1,
// a valid point, so the share decodes but does not verify.
func (f faults) vetkdShare(share []byte) []byte {
	if f.BadVetKDShares && len(share) == 192 {
		share = slices.Clone(share)
		copy(share[144:], share[:48])
	}
	return share
}

// lying returns a Config tweak that makes node index lie as f says.
func lying(index int, f faults) func(*Config) {
	return func(c *Config) {
		if c.Index == index {
			c.lie = f
		}
	}
}

func (f faults) blsMessage(msg []byte) []byte {
	if f.BadCertShares {
		return append(slices.Clone(msg), 0xff)
	}
	return msg
}

func (f faults) signShare(share []byte) []byte {
	if f.BadSignShares && len(share) > 0 {
		share = slices.Clone(share)
		share[len(share)-1] ^= 1
	}
	return share
}

func (f faults) dkgDealing(cfg *dkg.Config, me int, key *dkg.NodeSigningKey) (*dkg.Envelope, error) {
	if !f.BadDealings {
		return nil, nil
	}
	return badDKGDealing(cfg, me, key)
}

func (f faults) complainAbout(int) bool { return f.BadComplaints }

// idkgDealingKind makes a publicly wrong dealing: the wrong kind of
// commitment.
func (f faults) idkgDealingKind(kind uint8) uint8 {
	if f.BadDealings {
		switch kind {
		case uint8(idkg.Random):
			return uint8(idkg.RandomUnmasked)
		case uint8(idkg.RandomUnmasked):
			return uint8(idkg.Random)
		}
	}
	return kind
}

// idkgOpenings gives the next node a wrong opening: another receiver's.
func (f faults) idkgOpenings(openings []*idkg.Opening, me int) {
	if !f.BadIDKGShares {
		return
	}
	n := len(openings)
	v := (me + 1) % n
	openings[v].Zeroize()
	openings[v] = openings[(v+1)%n]
}

func (f faults) answersComplaints() bool { return !f.BadIDKGShares || f.AnswerIDKGComplaints }

func (f faults) crashBeforeCommit(h uint64) bool {
	return f.CrashAfterBlock != 0 && h >= f.CrashAfterBlock
}

// badDKGDealing is the test fault: a dealing signed by this node whose
// proof of knowledge is for another session, so it fails public
// verification.
func badDKGDealing(cfg *dkg.Config, me int, key *dkg.NodeSigningKey) (*dkg.Envelope, error) {
	other := *cfg
	other.SessionID = append([]byte("wrong/"), cfg.SessionID...)
	other.Previous = nil
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
