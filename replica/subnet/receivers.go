package subnet

import (
	"fmt"

	"github.com/chainkey/chainkey/idkg"
)

// Receivers of IDKG transcripts. A job's transcript is dealt by the
// current committee to the current committee, except a RoleReshareNext
// job's, dealt to the next committee of a pending change (the master key
// as the next committee will hold it). TranscriptRec.Receivers records
// the number of receivers of every transcript whose receivers are not
// the genesis committee's size (0: the genesis size), so that a node
// recreates a transcript with its own configuration however often the
// committee changed since.

// ReceiverConfigs is implemented by the IDKGDealings of a subnet whose
// membership may change: IDKG configurations for any number of
// receivers.
type ReceiverConfigs interface {
	// ConfigN is the IDKG configuration of keyID's group for n
	// receivers.
	ConfigN(keyID string, n int) (*idkg.Config, error)
	// GenesisSize is the number of genesis members.
	GenesisSize() int
}

// JobReceivers returns the number of receivers of job's transcript: the
// next committee's size for a RoleReshareNext job of a pending change,
// the current committee's (p.N) otherwise.
func JobReceivers(cs *State, p KeyPlan, job *Job) int {
	if job.Role == RoleReshareNext && ChangePending(cs) {
		return len(cs.NextMembers)
	}
	return p.N
}

// RecReceivers returns the number of receivers of a stored transcript;
// genesis is the genesis committee's size.
func RecReceivers(rec *TranscriptRec, genesis int) int {
	if rec.Receivers != 0 {
		return int(rec.Receivers)
	}
	return genesis
}

// jobConfig returns the IDKG configuration of job's receivers and their
// number.
func jobConfig(ds IDKGDealings, cs *State, p KeyPlan, job *Job) (*idkg.Config, int, error) {
	n := JobReceivers(cs, p, job)
	rc, ok := ds.(ReceiverConfigs)
	if !ok {
		if n != p.N {
			return nil, 0, errf("job %q: no configuration for %d receivers", job.ID, n)
		}
		return ds.Config(job.KeyID), n, nil
	}
	c, err := rc.ConfigN(job.KeyID, n)
	if err != nil {
		return nil, 0, fmt.Errorf("subnet: job %q: %w", job.ID, err)
	}
	return c, n, nil
}

// recConfig returns the IDKG configuration of a stored transcript's
// receivers.
func recConfig(ds IDKGDealings, rec *TranscriptRec) (*idkg.Config, error) {
	rc, ok := ds.(ReceiverConfigs)
	if !ok {
		return ds.Config(rec.KeyID), nil
	}
	return rc.ConfigN(rec.KeyID, RecReceivers(rec, rc.GenesisSize()))
}

// recordReceivers sets rec.Receivers to n unless n is the genesis size.
func recordReceivers(ds IDKGDealings, rec *TranscriptRec, n int) {
	if rc, ok := ds.(ReceiverConfigs); ok && n != rc.GenesisSize() {
		rec.Receivers = uint32(n)
	}
}
