package subnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
)

// IDKGTranscripts is what executing IDKG dealings needs from the node
// beyond IDKGDealings: its cache of transcripts (to build a job's
// operation from its committed input transcripts) and its memory of
// dealings already verified. None of it is secret.
type IDKGTranscripts interface {
	IDKGDealings
	// Operation is the operation of a transcript of kind with input
	// transcripts in1 and in2.
	Operation(kind uint8, in1, in2 []byte) (*idkg.Operation, error)
	// Transcript is the committed transcript id.
	Transcript(id []byte) (*idkg.Transcript, error)
	// Verified reports whether the dealing whose envelope has digest
	// passed verification before; MarkVerified records that it did.
	Verified(digest [32]byte) bool
	MarkVerified(digest [32]byte)
	// Made is told of the transcript made for job id.
	Made(id []byte, t *idkg.Transcript)
}

// DealingEvents are told what executing a dealing did beyond its job.
type DealingEvents struct {
	// Convicted: dealer signed a publicly wrong dealing for job.
	Convicted func(dealer uint32, job *Job)
	// Lifecycle: job's transcript was made and CompleteJob reported
	// event (JobDone, KeyReady, KeyReshared).
	Lifecycle func(event int, job *Job)
}

// Outcomes of ApplyIDKGDealing.
const (
	DealingLate     = iota // for no open job or not needed: ignored
	DealingAdmitted        // verified for admission to the mempool
	DealingBad             // signed by its dealer and publicly wrong: dealer convicted
	DealingUsed            // counted towards its job
)

// DealingMode says how far ApplyIDKGDealing goes: Execute applies the
// dealing to the height; Check verifies and changes cs only (a proposal
// check, writes discarded by the caller); Admit verifies against the
// committed state and stops before any change.
type DealingMode int

// Modes of ApplyIDKGDealing.
const (
	Execute DealingMode = iota
	Check
	Admit
)

// ApplyIDKGDealing executes a dealing transaction for an open job of cs.
// A dealing whose envelope is signed by its dealer but which fails public
// verification convicts the dealer; it does not make the block invalid
// (an error is returned only for an invalid transaction). When the job
// has its collection threshold of dealings, its transcript is made and
// the key lifecycle moves on (CompleteJob). r reads and w writes the
// state as the execution sees it; seen holds the evidence keys of the
// block; ev is told of convictions and lifecycle events.
func ApplyIDKGDealing(cs *State, r Getter, w Writer, seen map[string]bool, ts IDKGTranscripts, plan KeyPlan,
	t *ProtocolTx, mode DealingMode, ev DealingEvents) (int, error) {
	nodePub := ts.NodeKeys()
	var env dkg.Envelope
	if err := env.UnmarshalBinary(t.Body); err != nil {
		return DealingLate, fmt.Errorf("subnet: dealing envelope: %w", err)
	}
	if int(env.Signer) >= len(nodePub) || env.Signer != t.Sender {
		return DealingLate, errf("dealing sender mismatch")
	}
	digest := sha256.Sum256(t.Body)
	known := ts.Verified(digest)
	ji := -1
	for i := range cs.Jobs {
		if bytes.Equal(cs.Jobs[i].ID, env.SessionID) {
			ji = i
			break
		}
	}
	if ji < 0 || slices.Contains(cs.Jobs[ji].Dealers, env.Signer) || cs.IDKGBanned[env.Signer] {
		// A late dealing for a finished transcript, or one not needed.
		if !known {
			if err := env.Verify(nodePub[env.Signer]); err != nil {
				return DealingLate, fmt.Errorf("subnet: dealing signature: %w", err)
			}
		}
		return DealingLate, nil
	}
	job := &cs.Jobs[ji]
	cfg, _, err := jobConfig(ts, cs, plan, job)
	if err != nil {
		return DealingLate, err
	}
	var (
		d       *idkg.Dealing
		openErr error
	)
	if !known {
		// One signature check (OpenDealing checks it and keeps the
		// decoded dealing): when opening fails, tell a bad signature (an
		// invalid transaction) from a signed but malformed dealing.
		if d, openErr = ts.OpenDealing(cfg, t.Body); openErr != nil {
			if err := env.Verify(nodePub[env.Signer]); err != nil {
				return DealingLate, fmt.Errorf("subnet: dealing signature: %w", err)
			}
		}
	}
	op, err := ts.Operation(job.Kind, job.Input, job.Input2)
	if err != nil {
		return DealingLate, err
	}
	if !known {
		err := openErr
		if err == nil && d == nil {
			err = errors.New("subnet: dealing not decoded")
		}
		if err == nil {
			err = idkg.VerifyDealing(cfg, job.ID, op, d)
		}
		if err == nil {
			ts.MarkVerified(digest)
		}
		known = err == nil
	}
	if mode == Admit {
		// Admission to the mempool reads the committed state only.
		return DealingAdmitted, nil
	}
	if !known {
		// Signed by its dealer and publicly wrong: proof of misbehaviour.
		k := append([]byte(PrefixEvidence+"dealing/"), env.SessionID...)
		k = binary.BigEndian.AppendUint32(k, env.Signer)
		if !seen[string(k)] {
			seen[string(k)] = true
			cs.Convicted[env.Signer]++
			ev.Convicted(env.Signer, job)
		}
		return DealingBad, nil
	}
	job.Dealers = append(job.Dealers, env.Signer)
	w.Set(DealingKey(job.ID, env.Signer), t.Body)
	if len(job.Dealers) >= op.CollectionThreshold() {
		if err := completeDealtJob(cs, r, w, ts, plan, ji, op, mode, ev); err != nil {
			return DealingLate, err
		}
	}
	return DealingUsed, nil
}

// completeDealtJob turns a job with enough dealings into a transcript,
// records it (TranscriptRec) in place of the job's dealings, and moves
// the key lifecycle on.
func completeDealtJob(cs *State, r Getter, w Writer, ts IDKGTranscripts, plan KeyPlan, ji int, op *idkg.Operation,
	mode DealingMode, ev DealingEvents) error {
	job := cs.Jobs[ji]
	cs.Jobs = slices.Delete(cs.Jobs, ji, ji+1)
	if mode != Execute {
		return nil
	}
	rec := TranscriptRec{KeyID: job.KeyID, Kind: job.Kind, Input: job.Input, Input2: job.Input2, Salt: job.Salt}
	var ds []*idkg.Dealing
	dealers := slices.Clone(job.Dealers)
	slices.Sort(dealers)
	cfg, n, err := jobConfig(ts, cs, plan, &job)
	if err != nil {
		return err
	}
	recordReceivers(ts, &rec, n)
	for _, d := range dealers {
		raw, ok, err := r.Get(DealingKey(job.ID, d))
		if err != nil || !ok {
			return fmt.Errorf("subnet: dealing %d of %q missing", d, job.ID)
		}
		dl, err := ts.OpenDealing(cfg, raw)
		if err != nil {
			return err
		}
		ds = append(ds, dl)
		rec.Dealings = append(rec.Dealings, raw)
		w.Delete(DealingKey(job.ID, d))
	}
	t, _, err := idkg.CreateTranscript(cfg, job.ID, op, ds)
	if err != nil {
		return fmt.Errorf("subnet: create transcript %q: %w", job.ID, err)
	}
	enc, err := Marshal(rec)
	if err != nil {
		return err
	}
	w.Set(TranscriptKey(job.ID), enc)
	ts.Made(job.ID, t)
	event, err := CompleteJob(cs, plan, job, func() error {
		old, err := ts.Transcript(cs.KeyTr[job.KeyID])
		if err != nil {
			return err
		}
		p1, err1 := old.PublicValue()
		p2, err2 := t.PublicValue()
		if err1 != nil || err2 != nil || !p1.Equal(p2) {
			return fmt.Errorf("subnet: resharing of %s changed the public key", job.KeyID)
		}
		return nil
	})
	ev.Lifecycle(event, &job)
	return err
}
