package subnet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/thresholdsig"
)

// The subnet's BLS keys (certification, threshold n−f, and random beacon,
// threshold f+1) are made at genesis and reshared every reshare interval
// by package dkg run through blocks. Each run is an epoch: epoch 0 is the
// genesis DKG, epoch e > 0 the e-th resharing. The rules here are the
// replicated part: which messages a block may carry, where they are
// recorded, how they feed the agreed sessions, and what a completed epoch
// writes into the State. Decrypting a node's own shares, dealing and
// answering complaints need the node's keys and stay with the node.

// Kinds of BLS key-generation ProtocolTx.
const (
	ProtoDKGDealing   = 2
	ProtoDKGComplaint = 3
	ProtoDKGOpening   = 4
)

const (
	// PrefixDKGMsg keys the agreed key-generation messages:
	// g/<epoch><purpose><height><seq> -> ProtocolTx.
	PrefixDKGMsg = "g/"
	// DKGDeadline is the number of blocks for complaints and for openings.
	DKGDeadline = 2
)

// BLSPurposes are the two BLS keys, in a fixed order: their index is the
// purpose byte of a message key.
var BLSPurposes = [2]string{"cert", "beacon"}

// PurposeIndex is the purpose byte of key p in a message key.
func PurposeIndex(p string) byte {
	if p == "beacon" {
		return 1
	}
	return 0
}

// DKGPurposes are the keys an epoch generates, in their fixed order: the
// BLS keys, then the vetKD master keys vetkd (key ids, in configuration
// order). A key's position is the purpose byte of its message keys.
func DKGPurposes(vetkd []string) []string {
	return append(BLSPurposes[:len(BLSPurposes):len(BLSPurposes)], vetkd...)
}

// IsVetKDPurpose reports whether purpose p is a vetKD master key.
func IsVetKDPurpose(p string) bool { return p != "cert" && p != "beacon" }

// DKGMsgPrefix is the prefix of the stored messages of an epoch.
func DKGMsgPrefix(epoch uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(PrefixDKGMsg), epoch)
}

// DKGMsgKey is the state key of the seq-th key-generation message of the
// block at height, for key purpose of epoch. Keys sort in agreed order.
func DKGMsgKey(epoch uint64, purpose string, height uint64, seq uint32) []byte {
	k := append(DKGMsgPrefix(epoch), PurposeIndex(purpose))
	k = binary.BigEndian.AppendUint64(k, height)
	return binary.BigEndian.AppendUint32(k, seq)
}

// DKGMembers are the subnet's nodes as key generation sees them: their
// node signing keys (dealers) and encryption keys (receivers), by index.
type DKGMembers struct {
	ChainID string
	NodePub []dkg.NodePublicKey
	EncPub  []*dkg.EncryptionPublicKey
}

// DKGEpoch is the agreed part of one key-generation epoch: the
// configuration and session of each key. Every node feeds it the same
// messages at the same heights and so reaches the same convictions and
// transcripts. It is not safe for concurrent use.
type DKGEpoch struct {
	Epoch    uint64
	Configs  map[string]*dkg.Config
	Sessions map[string]*dkg.Session
	// Purposes are the keys of the epoch in their fixed order (see
	// DKGPurposes).
	Purposes []string
}

// NewDKGEpoch sets up the sessions of an epoch of the BLS keys alone;
// prevCert and prevBeacon are the public coefficients being reshared (nil
// for the genesis DKG).
func NewDKGEpoch(m DKGMembers, epoch uint64, prevCert, prevBeacon []byte) (*DKGEpoch, error) {
	return NewDKGEpochKeys(m, epoch, map[string][]byte{"cert": prevCert, "beacon": prevBeacon}, nil)
}

// NewDKGEpochKeys sets up the sessions of an epoch of the BLS keys and
// the vetKD master keys vetkd (key ids, threshold n−f like the
// certification key: every key in G2). prev holds, by purpose, the
// public coefficients being reshared; a purpose without them is dealt
// afresh (the genesis DKG).
func NewDKGEpochKeys(m DKGMembers, epoch uint64, prev map[string][]byte, vetkd []string) (*DKGEpoch, error) {
	return NewDKGEpochCommittees(m, m, epoch, prev, vetkd)
}

// NewDKGEpochCommittees is NewDKGEpochKeys for an epoch whose dealers
// (the committee holding the keys) and receivers (the committee that
// will) differ, as in the epoch of a membership change: the thresholds
// are the receivers'.
func NewDKGEpochCommittees(m, to DKGMembers, epoch uint64, prev map[string][]byte, vetkd []string) (*DKGEpoch, error) {
	if len(to.NodePub) != len(to.EncPub) || len(m.NodePub) == 0 || len(to.NodePub) == 0 {
		return nil, errf("key generation committees of %d and %d nodes", len(m.NodePub), len(to.NodePub))
	}
	n := len(to.NodePub)
	f := (n - 1) / 3
	ep := &DKGEpoch{Epoch: epoch, Configs: map[string]*dkg.Config{}, Sessions: map[string]*dkg.Session{},
		Purposes: DKGPurposes(vetkd)}
	if len(ep.Purposes) > 256 {
		return nil, errf("%d keys in one key generation epoch", len(ep.Purposes))
	}
	recv := make([]dkg.ReceiverInfo, n)
	for i := range recv {
		recv[i] = dkg.ReceiverInfo{SigningKey: to.NodePub[i], EncryptionKey: to.EncPub[i]}
	}
	for _, p := range ep.Purposes {
		if ep.Configs[p] != nil {
			return nil, errf("key %s twice in one key generation epoch", p)
		}
		t, prev, sid := n-f, prev[p], fmt.Sprintf("%s/bls-%s/%d", m.ChainID, p, epoch)
		switch {
		case p == "beacon":
			t = f + 1
		case IsVetKDPurpose(p):
			sid = fmt.Sprintf("%s/vetkd-%s/%d", m.ChainID, p, epoch)
		}
		cfg := &dkg.Config{Group: bls12381.G2(), SessionID: []byte(sid),
			Dealers: m.NodePub, Receivers: recv, Threshold: t, Deadline: DKGDeadline}
		if prev != nil {
			pc, err := thresholdsig.ParsePublicCoefficients(prev)
			if err != nil {
				return nil, fmt.Errorf("subnet: %s key to reshare: %w", p, err)
			}
			cfg.Previous = pc.Commitment()
		}
		sess, err := dkg.NewSession(cfg)
		if err != nil {
			return nil, fmt.Errorf("subnet: %s key generation: %w", p, err)
		}
		ep.Configs[p], ep.Sessions[p] = cfg, sess
	}
	return ep, nil
}

// PurposeOf returns the key whose session of ep a message belongs to.
func (ep *DKGEpoch) PurposeOf(env *dkg.Envelope) (string, bool) {
	for _, p := range ep.Purposes {
		if bytes.Equal(env.SessionID, ep.Configs[p].SessionID) {
			return p, true
		}
	}
	return "", false
}

// Add feeds an agreed message of the block at height to the session of
// purpose. A message the session refuses (late, repeated, proven bad)
// changes nothing; the error says why.
func (ep *DKGEpoch) Add(purpose string, height uint64, t *ProtocolTx) error {
	var env dkg.Envelope
	if err := env.UnmarshalBinary(t.Body); err != nil {
		return fmt.Errorf("subnet: key generation envelope: %w", err)
	}
	s := ep.Sessions[purpose]
	switch t.Kind {
	case ProtoDKGDealing:
		return s.AddDealing(height, &env)
	case ProtoDKGComplaint:
		return s.AddComplaint(height, &env)
	case ProtoDKGOpening:
		return s.AddOpening(height, &env)
	}
	return errf("key generation message of kind %d", t.Kind)
}

// MsgKey is the state key of the seq-th key-generation message of the
// block at height for key purpose of ep (see DKGMsgKey; the purpose byte
// is the key's position in ep.Purposes).
func (ep *DKGEpoch) MsgKey(purpose string, height uint64, seq uint32) []byte {
	k := append(DKGMsgPrefix(ep.Epoch), byte(slices.Index(ep.Purposes, purpose)))
	k = binary.BigEndian.AppendUint64(k, height)
	return binary.BigEndian.AppendUint32(k, seq)
}

// ReplayEpoch feeds the messages of ep's epoch stored in st to add, in
// their agreed order, with the purposes of ep (see ReplayDKG).
func ReplayEpoch(st Storage, ep *DKGEpoch, add func(purpose string, height uint64, t *ProtocolTx)) error {
	return replayDKG(st, ep.Epoch, ep.Purposes, add)
}

// ReplayDKG feeds ep the messages of its epoch stored in st, in their
// agreed order, so its sessions are as they were before a restart. add
// is called for each message (ep.Add, under the caller's lock).
func ReplayDKG(st Storage, epoch uint64, add func(purpose string, height uint64, t *ProtocolTx)) error {
	return replayDKG(st, epoch, BLSPurposes[:], add)
}

func replayDKG(st Storage, epoch uint64, purposes []string, add func(purpose string, height uint64, t *ProtocolTx)) error {
	var replayErr error
	err := st.Scan(DKGMsgPrefix(epoch), func(k, v []byte) bool {
		rest := k[len(PrefixDKGMsg)+8:]
		if len(rest) < 1+8+4 {
			return true
		}
		if int(rest[0]) >= len(purposes) {
			return true
		}
		purpose := purposes[rest[0]]
		h := binary.BigEndian.Uint64(rest[1:9])
		var t ProtocolTx
		if err := Unmarshal(v, &t); err != nil {
			replayErr = err
			return false
		}
		add(purpose, h, &t)
		return true
	})
	if err == nil {
		err = replayErr
	}
	return err
}

// CheckDKGMsg checks what every block carrying a key-generation message
// must satisfy: a well-formed envelope, signed by the node that sends it
// (nodePub by index). It returns the envelope.
func CheckDKGMsg(t *ProtocolTx, nodePub []dkg.NodePublicKey) (*dkg.Envelope, error) {
	var env dkg.Envelope
	if err := env.UnmarshalBinary(t.Body); err != nil {
		return nil, fmt.Errorf("subnet: key generation envelope: %w", err)
	}
	if int(env.Signer) >= len(nodePub) || env.Signer != t.Sender {
		return nil, errf("key generation message sender mismatch")
	}
	if err := env.Verify(nodePub[env.Signer]); err != nil {
		return nil, fmt.Errorf("subnet: key generation message: %w", err)
	}
	return &env, nil
}

// DKGRunning reports whether cs has key generation of epoch in progress:
// the genesis DKG before the keys exist, or a resharing.
func DKGRunning(cs *State, epoch uint64) bool {
	return (!cs.BLSReady || cs.BLSResharing) && epoch == cs.BLSEpoch
}

// DKGTarget returns the key whose session of ep a checked message env
// belongs to, or false if the message belongs to no running session (a
// valid message that is ignored). ep is the node's epoch in progress (nil
// if none).
func DKGTarget(cs *State, ep *DKGEpoch, env *dkg.Envelope) (string, bool) {
	if ep == nil || !DKGRunning(cs, ep.Epoch) {
		return "", false
	}
	return ep.PurposeOf(env)
}

// Conviction is a dealer convicted in key generation.
type Conviction struct {
	Epoch   uint64
	Purpose string
	Dealer  int
	Reason  string
}

// ConvictionKey is the key of cs.DKGConvicted recording a conviction.
func (c Conviction) ConvictionKey() string {
	return fmt.Sprintf("dkg/%d/%s/%d", c.Epoch, c.Purpose, c.Dealer)
}

// CompleteDKG records the convictions of ep's sessions in cs (once each:
// seen holds those recorded earlier in the block) and, when both sessions
// have a transcript at height, completes the epoch: the new public
// coefficients enter cs (the previous ones are kept for resharing
// checks), and the keys date from height. It returns whether the epoch
// completed and the convictions newly recorded.
func CompleteDKG(cs *State, ep *DKGEpoch, height uint64, seen map[string]bool) (bool, []Conviction, error) {
	pubs := map[string][]byte{}
	var convicted []Conviction
	for _, p := range ep.Purposes {
		s := ep.Sessions[p]
		for _, c := range s.Convictions() {
			cv := Conviction{Epoch: ep.Epoch, Purpose: p, Dealer: int(c.Dealer), Reason: c.Reason.String()}
			k := cv.ConvictionKey()
			if !seen[k] && !cs.DKGConvicted[k] {
				seen[k] = true
				if cs.DKGConvicted == nil {
					cs.DKGConvicted = map[string]bool{}
				}
				cs.DKGConvicted[k] = true
				if cs.Convicted == nil {
					cs.Convicted = map[uint32]uint64{}
				}
				cs.Convicted[uint32(c.Dealer)]++
				convicted = append(convicted, cv)
			}
		}
		tr, err := s.Transcript(height)
		if errors.Is(err, dkg.ErrNotEnoughDealings) {
			return false, convicted, nil
		}
		if err != nil {
			return false, convicted, fmt.Errorf("subnet: %s key transcript: %w", p, err)
		}
		pc, err := thresholdsig.NewPublicCoefficients(tr.PublicPolynomial())
		if err != nil {
			return false, convicted, fmt.Errorf("subnet: %s key: %w", p, err)
		}
		pubs[p] = pc.Bytes()
	}
	if cs.BLSReady {
		cs.PrevCertPub, cs.PrevBeaconPub = cs.CertPub, cs.BeaconPub
		cs.PrevVetKDPub = cs.VetKDPub
	}
	cs.BLSReady, cs.BLSResharing = true, false
	cs.CertPub, cs.BeaconPub = pubs["cert"], pubs["beacon"]
	cs.VetKDPub = nil
	for _, p := range ep.Purposes {
		if IsVetKDPurpose(p) {
			if cs.VetKDPub == nil {
				cs.VetKDPub = map[string][]byte{}
			}
			cs.VetKDPub[p] = pubs[p]
		}
	}
	cs.BLSKeyHeight = height
	return true, convicted, nil
}

// DropDKGMsgs deletes the stored messages of epoch from w (st is the
// committed state): once an epoch completes, those of the epoch before
// are no longer needed.
func DropDKGMsgs(st Storage, w Writer, epoch uint64) error {
	var old [][]byte
	err := st.Scan(DKGMsgPrefix(epoch), func(k, _ []byte) bool {
		old = append(old, bytes.Clone(k))
		return true
	})
	for _, k := range old {
		w.Delete(k)
	}
	return err
}

// ScheduleReshare starts a resharing of the BLS keys at height if one is
// due (every interval heights, keys ready and none in progress): the
// epoch advances and cs marks it in progress. It reports whether it did.
func ScheduleReshare(cs *State, height, interval uint64) bool {
	if !cs.BLSReady || cs.BLSResharing || interval == 0 || height%interval != 0 || ChangePending(cs) {
		return false
	}
	cs.BLSEpoch++
	cs.BLSResharing = true
	return true
}
