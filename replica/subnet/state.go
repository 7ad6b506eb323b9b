package subnet

import (
	"bytes"
	"maps"
	"slices"
)

// State is the small, always-loaded part of the replicated state,
// stored under one key (s/core). Bulk data (roots, beacons, requests, replies) lives
// under its own keys.
type State struct {
	Height        uint64 `cbor:"1,keyasint"`
	TimeNS        int64  `cbor:"2,keyasint"`
	AppHash       []byte `cbor:"3,keyasint"`
	BeaconRound   uint64 `cbor:"4,keyasint"`
	Beacon        []byte `cbor:"5,keyasint"` // value of BeaconRound
	LastCertified uint64 `cbor:"6,keyasint"`
	// Convicted counts proven misbehaviour per node index.
	Convicted map[uint32]uint64 `cbor:"7,keyasint"`
	// Pending are the signing requests waiting for their signature, in
	// the order they were accepted.
	Pending []PendingRequest `cbor:"8,keyasint"`
	// Requests counts accepted signing requests.
	Requests uint64 `cbor:"9,keyasint"`
	// Replied counts signing requests answered with a signature.
	Replied uint64 `cbor:"10,keyasint"`
	// NextPresig is the last presignature id allocated.
	NextPresig uint64 `cbor:"11,keyasint"`
	// KeysStarted is set once the genesis key transcripts were opened.
	KeysStarted bool `cbor:"12,keyasint"`
	// Jobs are the IDKG transcripts being dealt.
	Jobs []Job `cbor:"13,keyasint"`
	// NextJob numbers transcript ids.
	NextJob uint64 `cbor:"14,keyasint"`
	// KeyTr is, per key id, the unmasked master key transcript.
	KeyTr map[string][]byte `cbor:"15,keyasint"`
	// Building are presignatures in production; Presigs the available ones.
	Building []PresigRec            `cbor:"16,keyasint"`
	Presigs  map[string][]PresigRec `cbor:"17,keyasint"`
	// BLSReady is set when the key generation of the BLS keys finished;
	// CertPub and BeaconPub are then their public coefficients.
	BLSReady     bool            `cbor:"18,keyasint"`
	CertPub      []byte          `cbor:"19,keyasint"`
	BeaconPub    []byte          `cbor:"20,keyasint"`
	DKGConvicted map[string]bool `cbor:"21,keyasint"`
	// BLSEpoch is the key epoch in progress or last completed (0: genesis
	// DKG, e: e-th resharing); BLSResharing is set while one runs.
	BLSEpoch     uint64 `cbor:"22,keyasint"`
	BLSResharing bool   `cbor:"23,keyasint"`
	// PrevCertPub and PrevBeaconPub are the coefficients the last
	// resharing started from; BLSKeyHeight is the height it completed at.
	PrevCertPub   []byte `cbor:"24,keyasint"`
	PrevBeaconPub []byte `cbor:"25,keyasint"`
	BLSKeyHeight  uint64 `cbor:"26,keyasint"`
	// Complaints are the unresolved complaints about IDKG dealings.
	Complaints []Complaint `cbor:"27,keyasint,omitempty"`
	// IDKGBanned are the dealers convicted of a bad IDKG dealing: their
	// dealings are no longer accepted.
	IDKGBanned map[uint32]bool `cbor:"28,keyasint,omitempty"`
	// Live are the nodes whose votes are in the last commit (from the
	// block, so agreed), in index order; empty at the first height.
	Live []uint32 `cbor:"29,keyasint,omitempty"`
	// VetKDPub are, by key id, the public coefficients of the vetKD
	// master keys (made and reshared with the BLS keys); PrevVetKDPub
	// those the last resharing started from.
	VetKDPub     map[string][]byte `cbor:"40,keyasint,omitempty"`
	PrevVetKDPub map[string][]byte `cbor:"41,keyasint,omitempty"`
	// VetKDPending are the accepted vetKD derivation requests waiting
	// for their encrypted key, in the order they were accepted.
	VetKDPending []PendingRequest `cbor:"42,keyasint,omitempty"`
	// VetKDRequests and VetKDReplied count accepted and answered
	// derivation requests.
	VetKDRequests uint64 `cbor:"43,keyasint,omitempty"`
	VetKDReplied  uint64 `cbor:"44,keyasint,omitempty"`
	// CUP is the encoded CUPLeaf of the latest catch-up package, which
	// the certified tree carries at CUPPath (field 50 leaves room for
	// other fields before it).
	CUP []byte `cbor:"50,keyasint,omitempty"`
	// RegistryVersion is the version of the last registry change agreed
	// (0: the genesis membership).
	RegistryVersion uint64 `cbor:"70,keyasint,omitempty"`
	// Members is the current committee (empty: the genesis members);
	// PrevMembers the one before the last switch.
	Members     []NodeRecord `cbor:"71,keyasint,omitempty"`
	PrevMembers []NodeRecord `cbor:"72,keyasint,omitempty"`
	// NextMembers is the committee of a pending change, NextKeyTr the
	// master key transcripts reshared to it, MembershipEpoch the BLS
	// epoch dealing to it (0 until started).
	NextMembers     []NodeRecord      `cbor:"73,keyasint,omitempty"`
	NextKeyTr       map[string][]byte `cbor:"74,keyasint,omitempty"`
	MembershipEpoch uint64            `cbor:"75,keyasint,omitempty"`
	// SwitchEpoch is the BLS epoch that made the last switch, at
	// SwitchHeight.
	SwitchEpoch  uint64 `cbor:"76,keyasint,omitempty"`
	SwitchHeight uint64 `cbor:"77,keyasint,omitempty"`
	// Outcalls are the canisters' accepted HTTPS outcalls waiting for
	// the nodes to agree on their response, in the order they were
	// accepted; OutcallRequests and OutcallReplied count accepted and
	// settled ones.
	Outcalls        []PendingOutcall `cbor:"60,keyasint,omitempty"`
	OutcallRequests uint64           `cbor:"61,keyasint,omitempty"`
	OutcallReplied  uint64           `cbor:"62,keyasint,omitempty"`
}

// PendingRequest is an accepted signing request waiting for shares.
type PendingRequest struct {
	ID       []byte `cbor:"1,keyasint"`
	Height   uint64 `cbor:"2,keyasint"` // height it was accepted at
	KeyID    string `cbor:"3,keyasint"`
	Envelope []byte `cbor:"4,keyasint"`
	// Presig names the presignature assigned to the request.
	Presig uint64 `cbor:"5,keyasint"`
	Expiry uint64 `cbor:"6,keyasint"`
	// Randomness re-randomises the presignature; it is fixed by
	// consensus at a height after the request's.
	Randomness []byte `cbor:"7,keyasint"`
	// PresigRec names the transcripts of the assigned presignature.
	PresigRec *PresigRec `cbor:"8,keyasint"`
	// Canister is set for a canister's signing call (then Envelope is
	// empty and the request has no record or expiry).
	Canister *CanisterSign `cbor:"9,keyasint,omitempty"`
	// CanisterVetKD is set for a canister's vetkd_derive_key call (in
	// State.VetKDPending; then Envelope is empty and the request has no
	// record or expiry).
	CanisterVetKD *CanisterVetKD `cbor:"10,keyasint,omitempty"`
}

// Clone returns a copy of s that shares no mutable memory with it
// (byte slices that are never modified in place are shared).
func (s *State) Clone() *State {
	c := *s
	c.AppHash = slices.Clone(s.AppHash)
	c.Beacon = slices.Clone(s.Beacon)
	c.Convicted = make(map[uint32]uint64, len(s.Convicted))
	for k, v := range s.Convicted {
		c.Convicted[k] = v
	}
	c.Pending = slices.Clone(s.Pending)
	c.Live = slices.Clone(s.Live)
	c.Jobs = make([]Job, len(s.Jobs))
	for i, j := range s.Jobs {
		j.Dealers = slices.Clone(j.Dealers)
		c.Jobs[i] = j
	}
	c.KeyTr = make(map[string][]byte, len(s.KeyTr))
	for k, v := range s.KeyTr {
		c.KeyTr[k] = v
	}
	c.Building = slices.Clone(s.Building)
	c.DKGConvicted = make(map[string]bool, len(s.DKGConvicted))
	for k, v := range s.DKGConvicted {
		c.DKGConvicted[k] = v
	}
	c.Complaints = slices.Clone(s.Complaints)
	if s.IDKGBanned != nil {
		c.IDKGBanned = make(map[uint32]bool, len(s.IDKGBanned))
		for k, v := range s.IDKGBanned {
			c.IDKGBanned[k] = v
		}
	}
	c.VetKDPub, c.PrevVetKDPub = maps.Clone(s.VetKDPub), maps.Clone(s.PrevVetKDPub)
	c.VetKDPending = slices.Clone(s.VetKDPending)
	c.Members, c.PrevMembers, c.NextMembers = slices.Clone(s.Members), slices.Clone(s.PrevMembers), slices.Clone(s.NextMembers)
	c.NextKeyTr = maps.Clone(s.NextKeyTr)
	c.Outcalls = slices.Clone(s.Outcalls)
	c.Presigs = make(map[string][]PresigRec, len(s.Presigs))
	for k, v := range s.Presigs {
		c.Presigs[k] = slices.Clone(v)
	}
	return &c
}

// PendingIndex returns the index in Pending of the request id, or -1.
func (s *State) PendingIndex(id []byte) int {
	for i := range s.Pending {
		if bytes.Equal(s.Pending[i].ID, id) {
			return i
		}
	}
	return -1
}

// RequestRecord is the status of a signing request, kept until its ingress
// expiry (the replay window).
type RequestRecord struct {
	Status    string `cbor:"1,keyasint"` // received, replied, rejected
	Height    uint64 `cbor:"2,keyasint"` // height of the last status change
	Expiry    uint64 `cbor:"3,keyasint"`
	KeyID     string `cbor:"4,keyasint"`
	Signature []byte `cbor:"5,keyasint,omitempty"`
	PublicKey []byte `cbor:"6,keyasint,omitempty"`
	Reject    string `cbor:"7,keyasint,omitempty"`
}

// Request statuses, as the IC names them.
const (
	StatusReceived = "received"
	StatusReplied  = "replied"
	StatusRejected = "rejected"
)

// Job is a transcript being dealt.
type Job struct {
	ID      []byte   `cbor:"1,keyasint"`
	KeyID   string   `cbor:"2,keyasint"`
	Role    uint8    `cbor:"3,keyasint"`
	Kind    uint8    `cbor:"4,keyasint"`
	Input   []byte   `cbor:"5,keyasint,omitempty"`
	Input2  []byte   `cbor:"6,keyasint,omitempty"`
	Presig  uint64   `cbor:"7,keyasint,omitempty"`
	Dealers []uint32 `cbor:"8,keyasint"`
	// Opened is the height the job was opened at.
	Opened uint64 `cbor:"9,keyasint,omitempty"`
	// Chosen are the nodes asked to deal (as many as the transcript
	// needs); empty means every node. Once the job has been open for
	// OpenToAll heights every node deals.
	Chosen []uint32 `cbor:"10,keyasint,omitempty"`
	// Salt, from the agreed chain when the job was opened, enters every
	// node's dealing randomness (the node's dealing randomness).
	Salt []byte `cbor:"11,keyasint,omitempty"`
}

// OpenToAll is how many heights only a presignature job's chosen dealers
// deal; after that every node does (a chosen dealer crashed or lies).
const OpenToAll = 4

// MayDeal reports whether node me deals for the job at height h.
func (j *Job) MayDeal(me uint32, h uint64) bool {
	return len(j.Chosen) == 0 || slices.Contains(j.Chosen, me) || h >= j.Opened+OpenToAll
}

// PresigRec names the transcripts of a presignature.
type PresigRec struct {
	ID          uint64 `cbor:"1,keyasint"`
	KeyID       string `cbor:"2,keyasint"`
	Kappa       []byte `cbor:"3,keyasint,omitempty"` // ECDSA κ, Schnorr nonce
	Lambda      []byte `cbor:"4,keyasint,omitempty"`
	KappaLambda []byte `cbor:"5,keyasint,omitempty"`
	KeyLambda   []byte `cbor:"6,keyasint,omitempty"`
	// KeyTr is the key transcript the presignature is bound to (the key
	// is reshared from time to time; its public key never changes).
	KeyTr []byte `cbor:"7,keyasint,omitempty"`
}

// Complete reports whether every transcript of the presignature is
// final (ECDSA: κ·λ and x·λ; Schnorr: the nonce).
func (p *PresigRec) Complete(ecdsa bool) bool {
	if !ecdsa {
		return p.Kappa != nil
	}
	return p.KappaLambda != nil && p.KeyLambda != nil
}

// Complaint is an unresolved complaint about a dealing of a final
// transcript.
type Complaint struct {
	Transcript []byte `cbor:"1,keyasint"`
	Dealer     uint32 `cbor:"2,keyasint"`
	Complainer uint32 `cbor:"3,keyasint"`
	Hash       []byte `cbor:"4,keyasint"`
	Deadline   uint64 `cbor:"5,keyasint"`
	// Convicted is set once the dealer is convicted: the receivers then
	// reveal their openings of the dealing.
	Convicted bool `cbor:"6,keyasint,omitempty"`
}
