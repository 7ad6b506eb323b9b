package replica

import (
	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
)

// liar is misbehaviour injected into a node by the fault tests (through
// an unexported Config field: production configurations cannot set it).
// Each method receives what an honest node sends and returns what this
// node sends instead; honest is the behaviour of every production node.
// The lying implementations live in the tests.
type liar interface {
	// blsMessage is the message the node signs for certification and
	// the beacon.
	blsMessage(msg []byte) []byte
	// signShare is the node's signing share.
	signShare(share []byte) []byte
	// dkgDealing returns a dealing to send instead of an honest one, or
	// nil.
	dkgDealing(cfg *dkg.Config, me int, key *dkg.NodeSigningKey) (*dkg.Envelope, error)
	// complainAbout reports whether to complain about a key generation
	// dealing that verified.
	complainAbout(dealer int) bool
	// idkgDealingKind is the kind of commitment the node deals for a
	// transcript of the given kind.
	idkgDealingKind(kind uint8) uint8
	// idkgOpenings may change the openings the node encrypts to the
	// receivers of its IDKG dealing.
	idkgOpenings(openings []*idkg.Opening, me int)
	// answersComplaints reports whether the node answers complaints
	// about its IDKG dealings.
	answersComplaints() bool
	// crashBeforeCommit reports whether the node dies between
	// FinalizeBlock and Commit of height, with the height unwritten.
	crashBeforeCommit(height uint64) bool
}

// honest is the behaviour of a node that does not lie.
type honest struct{}

func (honest) blsMessage(msg []byte) []byte  { return msg }
func (honest) signShare(share []byte) []byte { return share }
func (honest) dkgDealing(*dkg.Config, int, *dkg.NodeSigningKey) (*dkg.Envelope, error) {
	return nil, nil
}
func (honest) complainAbout(int) bool            { return false }
func (honest) idkgDealingKind(kind uint8) uint8  { return kind }
func (honest) idkgOpenings([]*idkg.Opening, int) {}
func (honest) answersComplaints() bool           { return true }
func (honest) crashBeforeCommit(uint64) bool     { return false }

// liar returns the node's behaviour: honest unless a test injected a liar.
func (a *app) liar() liar {
	if a.cfg.lie == nil {
		return honest{}
	}
	return a.cfg.lie
}
