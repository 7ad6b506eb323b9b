package replica

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"

	"github.com/chainkey/chainkey/certification"
)

// chainState is the small, always-loaded part of the replicated state,
// stored under keyCore. Bulk data (roots, beacons, requests, replies) lives
// under its own keys.
type chainState struct {
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
	Pending []pendingRequest `cbor:"8,keyasint"`
	// Requests counts accepted signing requests.
	Requests uint64 `cbor:"9,keyasint"`
	// Replied counts signing requests answered with a signature.
	Replied uint64 `cbor:"10,keyasint"`
	// NextPresig is the last presignature id allocated.
	NextPresig uint64 `cbor:"11,keyasint"`
	// KeysStarted is set once the genesis key transcripts were opened.
	KeysStarted bool `cbor:"12,keyasint"`
	// Jobs are the IDKG transcripts being dealt.
	Jobs []idkgJob `cbor:"13,keyasint"`
	// NextJob numbers transcript ids.
	NextJob uint64 `cbor:"14,keyasint"`
	// KeyTr is, per key id, the unmasked master key transcript.
	KeyTr map[string][]byte `cbor:"15,keyasint"`
	// Building are presignatures in production; Presigs the available ones.
	Building []presigRec            `cbor:"16,keyasint"`
	Presigs  map[string][]presigRec `cbor:"17,keyasint"`
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
	Complaints []idkgComplaint `cbor:"27,keyasint,omitempty"`
	// IDKGBanned are the dealers convicted of a bad IDKG dealing: their
	// dealings are no longer accepted.
	IDKGBanned map[uint32]bool `cbor:"28,keyasint,omitempty"`
	// Live are the nodes whose votes are in the last commit (from the
	// block, so agreed), in index order; empty at the first height.
	Live []uint32 `cbor:"29,keyasint,omitempty"`
}

// pendingRequest is an accepted signing request waiting for shares.
type pendingRequest struct {
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
	PresigRec *presigRec `cbor:"8,keyasint"`
}

func (s *chainState) clone() *chainState {
	c := *s
	c.AppHash = slices.Clone(s.AppHash)
	c.Beacon = slices.Clone(s.Beacon)
	c.Convicted = make(map[uint32]uint64, len(s.Convicted))
	for k, v := range s.Convicted {
		c.Convicted[k] = v
	}
	c.Pending = slices.Clone(s.Pending)
	c.Live = slices.Clone(s.Live)
	c.Jobs = make([]idkgJob, len(s.Jobs))
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
	c.Presigs = make(map[string][]presigRec, len(s.Presigs))
	for k, v := range s.Presigs {
		c.Presigs[k] = slices.Clone(v)
	}
	return &c
}

func (s *chainState) pendingIndex(id []byte) int {
	for i := range s.Pending {
		if bytes.Equal(s.Pending[i].ID, id) {
			return i
		}
	}
	return -1
}

// State keys.
const (
	keyCore        = "s/core"
	prefixRoot     = "r/" // r/<height> -> certified state root
	prefixCertSig  = "c/" // c/<height> -> certification signature
	prefixBeacon   = "b/" // b/<round> -> beacon value
	prefixStatus   = "q/" // q/<request id> -> requestRecord
	prefixExpiry   = "x/" // x/<expiry><request id> -> empty (replay index)
	prefixEvidence = "e/" // e/<index>/<height> -> empty
	retainHeights  = 256  // roots and signatures kept for this many heights
	retainRounds   = 256
)

// requestRecord is the status of a signing request, kept until its ingress
// expiry (the replay window).
type requestRecord struct {
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
	statusReceived = "received"
	statusReplied  = "replied"
	statusRejected = "rejected"
)

func statusKey(id []byte) []byte { return append([]byte(prefixStatus), id...) }

func expiryKey(expiry uint64, id []byte) []byte {
	return append(heightKey(prefixExpiry, expiry), id...)
}

// replyBlob is the reply recorded in the certified tree for a replied
// signing request: CBOR {1: signature, 2: public key}.
type replyBlob struct {
	Signature []byte `cbor:"1,keyasint"`
	PublicKey []byte `cbor:"2,keyasint"`
}

// certifiedTree builds the IC-style hash tree of the state at a height:
//
//	/time                          LEB128 block time in nanoseconds
//	/subnet/<id>/public_key        DER root public key
//	/request_status/<id>/status    "received" | "replied" | "rejected"
//	/request_status/<id>/reply     reply blob (replied)
//	/request_status/<id>/reject_message
//	/bitcoin/<network>/state_hash  SHA-256 of the Bitcoin canister state (extra)
//
// Requests stay in the tree until their ingress expiry, as on the IC.
func certifiedTree(timeNS int64, subnetID []byte, rootKeyDER []byte, records map[string]*requestRecord, extra ...certification.PathValue) (certification.HashTree, error) {
	return new(treeCache).build(timeNS, subnetID, rootKeyDER, records, extra...)
}

// treeCache keeps the subtree of every request between heights: a
// request's subtree changes once or twice in its life (received, then
// replied or rejected), so a height hashes only the new ones and the forks
// above them, not every request until its expiry.
type treeCache struct {
	mu   sync.Mutex
	subs map[string]cachedRequest
}

type cachedRequest struct {
	status, reject string
	height         uint64
	sig, pub       []byte
	node           certification.Labeled // request id -> its subtree
}

func (c *cachedRequest) matches(r *requestRecord) bool {
	return c.status == r.Status && c.height == r.Height && c.reject == r.Reject &&
		bytes.Equal(c.sig, r.Signature) && bytes.Equal(c.pub, r.PublicKey)
}

func (c *treeCache) build(timeNS int64, subnetID []byte, rootKeyDER []byte, records map[string]*requestRecord, extra ...certification.PathValue) (certification.HashTree, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	entries := []certification.PathValue{
		{Path: [][]byte{[]byte("time")}, Value: certification.AppendLEB128(nil, uint64(timeNS))},
		{Path: [][]byte{[]byte("subnet"), subnetID, []byte("public_key")}, Value: rootKeyDER},
	}
	subs := make(map[string]cachedRequest, len(records))
	ids := make([]string, 0, len(records))
	for id, r := range records {
		sub, ok := c.subs[id]
		if !ok || !sub.matches(r) {
			leaves := []certification.PathValue{{Path: [][]byte{[]byte("status")}, Value: []byte(r.Status)}}
			switch r.Status {
			case statusReplied:
				blob, err := encMode.Marshal(replyBlob{Signature: r.Signature, PublicKey: r.PublicKey})
				if err != nil {
					return nil, err
				}
				leaves = append(leaves, certification.PathValue{Path: [][]byte{[]byte("reply")}, Value: blob})
			case statusRejected:
				leaves = append(leaves, certification.PathValue{Path: [][]byte{[]byte("reject_message")}, Value: []byte(r.Reject)})
			}
			t, err := certification.BuildTree(leaves)
			if err != nil {
				return nil, fmt.Errorf("replica: build state tree: %w", err)
			}
			sub = cachedRequest{status: r.Status, reject: r.Reject, height: r.Height, sig: r.Signature, pub: r.PublicKey,
				node: certification.NewLabeled([]byte(id), t)}
		}
		subs[id] = sub
		ids = append(ids, id)
	}
	c.subs = subs
	slices.Sort(ids)
	nodes := make([]certification.Labeled, len(ids))
	for i, id := range ids {
		nodes[i] = subs[id].node
	}
	var subtrees []certification.PathTree
	if len(nodes) > 0 {
		requests, err := certification.Forest(nodes)
		if err != nil {
			return nil, fmt.Errorf("replica: build state tree: %w", err)
		}
		subtrees = append(subtrees, certification.PathTree{Path: [][]byte{[]byte("request_status")}, Tree: requests})
	}
	entries = append(entries, extra...)
	t, err := certification.BuildTreeWith(entries, subtrees)
	if err != nil {
		return nil, fmt.Errorf("replica: build state tree: %w", err)
	}
	return t, nil
}

func shortHex(b []byte) string {
	if len(b) > 6 {
		b = b[:6]
	}
	return hex.EncodeToString(b)
}
