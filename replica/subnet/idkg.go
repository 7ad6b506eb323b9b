package subnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/chainkey/chainkey/idkg"
)

// The key lifecycle of the canister-signature keys runs through blocks as
// IDKG transcript jobs in the State:
//
//	key:          Random (masked) -> ReshareOfMasked (unmasked key x)
//	ECDSA presig: κ RandomUnmasked, λ Random -> κ·λ, x·λ UnmaskedTimesMasked
//	Schnorr:      nonce RandomUnmasked
//
// The rules here are the replicated ones: which jobs are opened and who is
// asked to deal, what a completed transcript moves on, the bookkeeping of
// complaints about dealings and the conviction of their dealers. Verifying
// dealings and making transcripts needs the node's cache of decoded
// dealings, and decrypting, dealing and answering complaints its keys:
// those stay with the node.

// Roles of IDKG jobs (Job.Role).
const (
	RoleKeyMasked uint8 = iota + 1
	RoleKey
	RoleKappa
	RoleLambda
	RoleKappaLambda
	RoleKeyLambda
	RoleNonce
	RoleReshare
)

// Kinds of IDKG ProtocolTx.
const (
	ProtoIDKGDealing         = 1 // a signed dealing for an open job
	ProtoIDKGComplaint       = 5 // dkg complaint envelope by a receiver
	ProtoIDKGOpening         = 6 // dkg opening envelope by the dealer
	ProtoIDKGReceiverOpening = 7 // idkg receiver opening envelope
)

// IsIDKGKind reports whether a ProtocolTx of kind k belongs to IDKG (the
// other kinds are the BLS key generation's).
func IsIDKGKind(k uint8) bool {
	return k == ProtoIDKGDealing || k == ProtoIDKGComplaint || k == ProtoIDKGOpening || k == ProtoIDKGReceiverOpening
}

// State keys of IDKG.
const (
	PrefixTranscript = "t/"  // t/<id> -> TranscriptRec
	PrefixDealing    = "d/"  // d/<id>/<dealer> -> signed dealing of an open job
	PrefixIDKGAnswer = "ia/" // ia/<tid>/<dealer><complainer> -> dealer opening envelope
	PrefixIDKGReveal = "ir/" // ir/<tid>/<dealer><opener> -> receiver opening envelope
	PrefixIDKGCompl  = "ic/" // ic/<tid>/<dealer><complainer> -> complaint envelope
)

const (
	// MinInFlight and MaxInFlight bound the presignatures in production
	// per key.
	MinInFlight = 4
	MaxInFlight = 128
	// IDKGAnswerBlocks is how many heights after its complaint a
	// dealer's opening must be in a block.
	IDKGAnswerBlocks = 6
	// MaxIDKGComplaints bounds the open complaints in the state.
	MaxIDKGComplaints = 1024
)

// TranscriptRec is a transcript as stored: enough to recreate it.
type TranscriptRec struct {
	KeyID    string   `cbor:"1,keyasint"`
	Kind     uint8    `cbor:"2,keyasint"`
	Input    []byte   `cbor:"3,keyasint,omitempty"`
	Input2   []byte   `cbor:"4,keyasint,omitempty"`
	Dealings [][]byte `cbor:"5,keyasint"`           // signed dealing envelopes
	Salt     []byte   `cbor:"6,keyasint,omitempty"` // the job's salt
	// Receivers is the number of receivers when it is not the genesis
	// committee's size (see RecReceivers).
	Receivers uint32 `cbor:"70,keyasint,omitempty"`
}

// TranscriptKey is the state key of transcript id's TranscriptRec.
func TranscriptKey(id []byte) []byte { return append([]byte(PrefixTranscript), id...) }

// DealingKey is the state key of dealer's dealing for the open job id.
func DealingKey(id []byte, dealer uint32) []byte {
	k := append([]byte(PrefixDealing), id...)
	k = append(k, '/')
	return binary.BigEndian.AppendUint32(k, dealer)
}

// IDKGPairKey is prefix ‖ tid ‖ '/' ‖ a ‖ b, the key of a complaint
// message about a's dealing in tid by or for b.
func IDKGPairKey(prefix string, tid []byte, a, b uint32) []byte {
	k := append([]byte(prefix), tid...)
	k = append(k, '/')
	k = binary.BigEndian.AppendUint32(k, a)
	return binary.BigEndian.AppendUint32(k, b)
}

// IsECDSA reports whether keyID names an ECDSA key (whose presignatures
// take four transcripts; a Schnorr presignature is one nonce).
func IsECDSA(keyID string) bool { return strings.HasPrefix(keyID, "ecdsa:") }

// KeyPlan is what the key schedule needs from the genesis: the chain,
// the subnet's size, its keys, their presignature stock and resharing
// interval (0: never).
type KeyPlan struct {
	ChainID            string
	N                  int
	KeyIDs             []string
	PresignatureTarget int
	ReshareInterval    uint64
}

// NewJob opens a transcript job with a fresh id. A presignature job asks
// only as many nodes as its transcript needs to deal, taken in turn from
// the nodes in the last commit that are not barred: every dealing made is
// then used, which saves a third (n = 4) to almost half (n = 13 and up)
// of the dealing and verification work. Master key jobs ask every node.
func NewJob(cs *State, p KeyPlan, keyID string, role uint8, kind idkg.Kind, in1, in2 []byte, presig uint64) {
	cs.NextJob++
	id := fmt.Sprintf("%s/%s/%d/%d", p.ChainID, keyID, cs.NextJob, role)
	salt := sha256.Sum256(slices.Concat([]byte("chainkey/idkg/job-salt"), cs.AppHash, cs.Beacon))
	job := Job{ID: []byte(id), KeyID: keyID, Role: role, Kind: uint8(kind),
		Input: in1, Input2: in2, Presig: presig, Opened: cs.Height, Salt: salt[:]}
	if presig != 0 {
		f := (p.N - 1) / 3
		need := f + 1
		if kind == idkg.UnmaskedTimesMasked {
			need = 2*f + 1
		}
		var live []uint32
		for _, i := range cs.Live {
			if !cs.IDKGBanned[i] {
				live = append(live, i)
			}
		}
		if len(live) >= need {
			start := int(cs.NextJob % uint64(len(live)))
			for k := range need {
				job.Chosen = append(job.Chosen, live[(start+k)%len(live)])
			}
			slices.Sort(job.Chosen)
		}
	}
	cs.Jobs = append(cs.Jobs, job)
}

// ScheduleKeys starts the genesis key transcripts, reshares every ready
// key every ReshareInterval heights, and keeps the presignature stock of
// every ready key at its target.
func ScheduleKeys(cs *State, p KeyPlan) {
	if !cs.KeysStarted {
		cs.KeysStarted = true
		for _, k := range p.KeyIDs {
			NewJob(cs, p, k, RoleKeyMasked, idkg.Random, nil, nil, 0)
		}
	}
	target := p.PresignatureTarget
	inFlight := min(max(MinInFlight, target), MaxInFlight)
	every := p.ReshareInterval
	for _, k := range p.KeyIDs {
		if cs.KeyTr[k] == nil {
			continue
		}
		if every > 0 && cs.Height%every == 0 {
			resharing := false
			for _, j := range cs.Jobs {
				if j.KeyID == k && j.Role == RoleReshare {
					resharing = true
				}
			}
			if !resharing {
				NewJob(cs, p, k, RoleReshare, idkg.ReshareOfUnmasked, cs.KeyTr[k], nil, 0)
			}
		}
		building := 0
		for _, b := range cs.Building {
			if b.KeyID == k {
				building++
			}
		}
		// Requests waiting for a presignature of k raise both bounds: under
		// load the stock is empty and production follows demand, up to
		// MaxInFlight.
		waiting := 0
		for i := range cs.Pending {
			if cs.Pending[i].KeyID == k && cs.Pending[i].PresigRec == nil {
				waiting++
			}
		}
		for building < min(inFlight+waiting, MaxInFlight) && len(cs.Presigs[k])+building < target+waiting {
			cs.NextPresig++
			b := PresigRec{ID: cs.NextPresig, KeyID: k, KeyTr: cs.KeyTr[k]}
			cs.Building = append(cs.Building, b)
			if IsECDSA(k) {
				NewJob(cs, p, k, RoleKappa, idkg.RandomUnmasked, nil, nil, b.ID)
				NewJob(cs, p, k, RoleLambda, idkg.Random, nil, nil, b.ID)
			} else {
				NewJob(cs, p, k, RoleNonce, idkg.RandomUnmasked, nil, nil, b.ID)
			}
			building++
		}
	}
}

// Lifecycle events that CompleteJob reports.
const (
	JobDone     = iota // nothing to report
	KeyReady           // a master key's first transcript is final
	KeyReshared        // a master key was reshared
)

// CompleteJob moves the key lifecycle on once job (already removed from
// cs.Jobs) has its transcript: the masked key is reshared unmasked, a key
// transcript becomes the key, a presignature collects its transcripts and
// joins the stock when complete. For a resharing, samePublicKey checks
// that the new transcript keeps the key's public key; it is not called
// for other roles.
func CompleteJob(cs *State, p KeyPlan, job Job, samePublicKey func() error) (int, error) {
	switch job.Role {
	case RoleKeyMasked:
		NewJob(cs, p, job.KeyID, RoleKey, idkg.ReshareOfMasked, job.ID, nil, 0)
	case RoleKey:
		if cs.KeyTr == nil {
			cs.KeyTr = map[string][]byte{}
		}
		cs.KeyTr[job.KeyID] = job.ID
		return KeyReady, nil
	case RoleReshare:
		if err := samePublicKey(); err != nil {
			return JobDone, err
		}
		cs.KeyTr[job.KeyID] = job.ID
		return KeyReshared, nil
	case RoleReshareNext:
		if err := samePublicKey(); err != nil {
			return JobDone, err
		}
		CompleteReshareNext(cs, job)
		return JobDone, nil
	default:
		bi := -1
		for i := range cs.Building {
			if cs.Building[i].ID == job.Presig && cs.Building[i].KeyID == job.KeyID {
				bi = i
			}
		}
		if bi < 0 {
			return JobDone, nil
		}
		b := &cs.Building[bi]
		switch job.Role {
		case RoleKappa, RoleNonce:
			b.Kappa = job.ID
		case RoleLambda:
			b.Lambda = job.ID
		case RoleKappaLambda:
			b.KappaLambda = job.ID
		case RoleKeyLambda:
			b.KeyLambda = job.ID
		}
		ecdsa := IsECDSA(job.KeyID)
		if ecdsa && (job.Role == RoleKappa || job.Role == RoleLambda) && b.Kappa != nil && b.Lambda != nil {
			b.KeyTr = cs.KeyTr[job.KeyID]
			NewJob(cs, p, job.KeyID, RoleKappaLambda, idkg.UnmaskedTimesMasked, b.Kappa, b.Lambda, b.ID)
			NewJob(cs, p, job.KeyID, RoleKeyLambda, idkg.UnmaskedTimesMasked, b.KeyTr, b.Lambda, b.ID)
		}
		if b.Complete(ecdsa) {
			if cs.Presigs == nil {
				cs.Presigs = map[string][]PresigRec{}
			}
			cs.Presigs[job.KeyID] = append(cs.Presigs[job.KeyID], *b)
			cs.Building = slices.Delete(cs.Building, bi, bi+1)
		}
	}
	return JobDone, nil
}

// Getter reads the state as an execution sees it: the committed state
// when checking, through the height's writes when executing a block.
type Getter interface {
	Get(key []byte) ([]byte, bool, error)
}

// ComplaintIndex returns the index in cs.Complaints of complainer's open
// complaint about dealer's dealing in tid, or -1.
func ComplaintIndex(cs *State, tid []byte, dealer, complainer uint32) int {
	for i, c := range cs.Complaints {
		if c.Dealer == dealer && c.Complainer == complainer && bytes.Equal(c.Transcript, tid) {
			return i
		}
	}
	return -1
}

// DealingConvicted reports whether dealer was convicted over its
// dealing in tid while complaints about it are open.
func DealingConvicted(cs *State, tid []byte, dealer uint32) bool {
	for _, c := range cs.Complaints {
		if c.Convicted && c.Dealer == dealer && bytes.Equal(c.Transcript, tid) {
			return true
		}
	}
	return false
}

// ConvictIDKGDealer convicts dealer of a lie about its dealing in tid
// (evidence: the complaint left unanswered, or the wrong signed opening):
// the complaints about that dealing are marked, the evidence recorded
// once (seen holds the evidence keys of the block), its dealings barred
// and dropped from the jobs still open. It reports whether the conviction
// is new.
func ConvictIDKGDealer(cs *State, r Getter, w Writer, seen map[string]bool, tid []byte, dealer uint32, evidence []byte) bool {
	for i := range cs.Complaints {
		if cs.Complaints[i].Dealer == dealer && bytes.Equal(cs.Complaints[i].Transcript, tid) {
			cs.Complaints[i].Convicted = true
		}
	}
	k := append([]byte(PrefixEvidence+"idkg/"), tid...)
	k = binary.BigEndian.AppendUint32(append(k, '/'), dealer)
	if seen[string(k)] {
		return false
	}
	seen[string(k)] = true
	if _, ok, _ := r.Get(k); ok {
		return false
	}
	w.Set(k, evidence)
	cs.Convicted[dealer]++
	if cs.IDKGBanned == nil {
		cs.IDKGBanned = map[uint32]bool{}
	}
	cs.IDKGBanned[dealer] = true
	for i := range cs.Jobs {
		j := &cs.Jobs[i]
		if at := slices.Index(j.Dealers, dealer); at >= 0 {
			j.Dealers = slices.Delete(j.Dealers, at, at+1)
			w.Delete(DealingKey(j.ID, dealer))
		}
	}
	return true
}

// ComplaintDeadlines convicts the dealers that did not answer a complaint
// by its deadline (n is the subnet's size). Complaints about transcripts
// deleted in the meantime (a presignature used) are dropped: nothing
// depends on them any more, and their answers could no longer be checked.
// convicted is called for each new conviction.
func ComplaintDeadlines(cs *State, r Getter, w Writer, seen map[string]bool, n int, height uint64, convicted func(c Complaint)) {
	cs.Complaints = slices.DeleteFunc(cs.Complaints, func(c Complaint) bool {
		_, ok, err := r.Get(TranscriptKey(c.Transcript))
		if err != nil || ok {
			return false
		}
		w.Delete(IDKGPairKey(PrefixIDKGCompl, c.Transcript, c.Dealer, c.Complainer))
		for j := range n {
			w.Delete(IDKGPairKey(PrefixIDKGReveal, c.Transcript, c.Dealer, uint32(j)))
		}
		return true
	})
	for i := range cs.Complaints {
		c := cs.Complaints[i]
		if c.Convicted || height < c.Deadline {
			continue
		}
		ev, _, _ := r.Get(IDKGPairKey(PrefixIDKGCompl, c.Transcript, c.Dealer, c.Complainer))
		if ConvictIDKGDealer(cs, r, w, seen, c.Transcript, c.Dealer, ev) {
			convicted(c)
		}
	}
}
