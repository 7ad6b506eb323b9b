package subnet

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Bounds of canister HTTPS outcalls in the replicated state and in what
// peers send.
const (
	// MaxOutcallsPending bounds the outcalls waiting for agreement (the
	// IC's limit of in-flight requests per subnet).
	MaxOutcallsPending = 500
	// MaxOutcallSharesPerExt bounds the outcall hashes in one vote
	// extension.
	MaxOutcallSharesPerExt = MaxOutcallsPending
	// MaxOutcallTxBytes bounds a transaction carrying an agreed outcall
	// response: the largest response the IC allows (2,000,000 bytes,
	// headers included) with room for the nodes' signed hashes.
	MaxOutcallTxBytes = 2_000_000 + 64<<10
	// OutcallDeadlineNS is how long (block time) an outcall may wait for
	// agreement before it is rejected: the IC's timeout of a canister
	// HTTP request in consensus.
	OutcallDeadlineNS = int64(5 * 60 * 1e9)
)

// OutcallHeader is one HTTP header of an outcall's request or response.
type OutcallHeader struct {
	Name  string `cbor:"1,keyasint"`
	Value string `cbor:"2,keyasint"`
}

// OutcallRequest is what a canister asked of the management canister's
// http_request, validated by the canister component: every node performs
// it and runs the canister's transform on the response.
type OutcallRequest struct {
	Caller           []byte          `cbor:"1,keyasint"`
	URL              string          `cbor:"2,keyasint"`
	Method           string          `cbor:"3,keyasint"` // GET, HEAD or POST
	Headers          []OutcallHeader `cbor:"4,keyasint"`
	Body             []byte          `cbor:"5,keyasint"`
	MaxResponseBytes uint64          `cbor:"6,keyasint"`
	// TransformMethod is the caller's query method run on each node's
	// response (empty: none) with TransformContext.
	TransformMethod  string `cbor:"7,keyasint"`
	TransformContext []byte `cbor:"8,keyasint"`
	// NonReplicated (is_replicated = opt false): only the node
	// OutcallNode designates performs the request, and its outcome is
	// delivered without agreement among the nodes.
	NonReplicated bool `cbor:"9,keyasint,omitempty"`
}

// PendingOutcall is an accepted outcall waiting for the nodes to agree on
// its (transformed) response.
type PendingOutcall struct {
	ID      []byte          `cbor:"1,keyasint"`
	Height  uint64          `cbor:"2,keyasint"` // height it was accepted at
	Timeout int64           `cbor:"3,keyasint"` // block time (ns) it is rejected at
	Request *OutcallRequest `cbor:"4,keyasint"`
}

// OutcallResponse is the outcome of an outcall on one node, the value the
// nodes agree on: the Candid http_request_result the canister receives
// (Reply) or a reject (Code and Message, Reply empty).
type OutcallResponse struct {
	Reply   []byte `cbor:"1,keyasint"`
	Code    uint64 `cbor:"2,keyasint"`
	Message string `cbor:"3,keyasint"`
}

// EncodeOutcallResponse encodes an outcall outcome in its one encoding.
func EncodeOutcallResponse(r *OutcallResponse) []byte {
	b, err := Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("subnet: encode outcall response: %v", err)) // plain struct: cannot fail
	}
	return b
}

// DecodeOutcallResponse decodes an outcall outcome strictly.
func DecodeOutcallResponse(b []byte) (*OutcallResponse, error) {
	var r OutcallResponse
	if err := Unmarshal(b, &r); err != nil {
		return nil, errf("decode outcall response: %w", err)
	}
	if err := canonical(b, &r); err != nil {
		return nil, errf("decode outcall response: %w", err)
	}
	if len(r.Reply) > 0 && (r.Code != 0 || r.Message != "") {
		return nil, errf("outcall response is both a reply and a reject")
	}
	return &r, nil
}

// OutcallHash is the hash the nodes report for an encoded outcall
// outcome.
func OutcallHash(encoded []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("chainkey-outcall-response"))
	h.Write(encoded)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// OutcallSignBytes is what a node signs with its node signing key to
// report the hash of its outcome of outcall id on chain chainID.
func OutcallSignBytes(chainID string, id, hash []byte) []byte {
	b := []byte("chainkey-outcall-share")
	b = binary.BigEndian.AppendUint32(b, uint32(len(chainID)))
	b = append(b, chainID...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(id)))
	b = append(b, id...)
	return append(b, hash...)
}

// OutcallShare is a node's report in its vote extension: the hash of its
// outcome of one pending outcall, signed with its node signing key.
type OutcallShare struct {
	ID   []byte `cbor:"1,keyasint"`
	Hash []byte `cbor:"2,keyasint"`
	Sig  []byte `cbor:"3,keyasint"`
}

// OutcallVote is a node's signed hash as a block carries it.
type OutcallVote struct {
	Node uint32 `cbor:"1,keyasint"`
	Hash []byte `cbor:"2,keyasint"`
	Sig  []byte `cbor:"3,keyasint"`
}

// OutcallTx settles a pending outcall: Response, the encoded outcome that
// a quorum of Votes reported, or (Response empty) Votes that leave no
// outcome able to reach a quorum, which rejects the call.
type OutcallTx struct {
	ID       []byte        `cbor:"1,keyasint"`
	Response []byte        `cbor:"2,keyasint"`
	Votes    []OutcallVote `cbor:"3,keyasint"`
}

// OutcallQuorum is the number of matching reports an outcome needs on a
// subnet of n nodes: n - f with f = (n-1)/3 faulty nodes tolerated.
func OutcallQuorum(n int) int { return n - (n-1)/3 }

// OutcallPendingIndex returns the index in cs.Outcalls of outcall id, or
// -1.
func (s *State) OutcallPendingIndex(id []byte) int {
	for i := range s.Outcalls {
		if bytes.Equal(s.Outcalls[i].ID, id) {
			return i
		}
	}
	return -1
}

// AcceptOutcall queues a canister's validated outcall at the height in
// progress; it is rejected at block time nowNS+OutcallDeadlineNS if the
// nodes have not agreed by then.
func AcceptOutcall(cs *State, id []byte, nowNS int64, r *OutcallRequest) error {
	if cs.OutcallPendingIndex(id) >= 0 {
		return fmt.Errorf("subnet: outcall %x: %w", short(id), ErrDuplicate)
	}
	if len(cs.Outcalls) >= MaxOutcallsPending {
		return errf("outcall %x: %d outcalls pending", short(id), len(cs.Outcalls))
	}
	cs.Outcalls = append(cs.Outcalls, PendingOutcall{ID: slices.Clone(id), Height: cs.Height + 1, Timeout: nowNS + OutcallDeadlineNS, Request: r})
	cs.OutcallRequests++
	return nil
}

// ExpireOutcalls removes the outcalls whose timeout is at or before the
// block time nowNS and returns them (the shell rejects them).
func ExpireOutcalls(cs *State, nowNS int64) []PendingOutcall {
	var out []PendingOutcall
	keep := cs.Outcalls[:0:0]
	for _, p := range cs.Outcalls {
		if p.Timeout <= nowNS {
			out = append(out, p)
			continue
		}
		keep = append(keep, p)
	}
	if out != nil {
		cs.Outcalls = keep
	}
	return out
}

// OutcallNode is the node of a subnet of n nodes that performs the
// non-replicated outcall id: drawn from the hash of the id (unique per
// call), so that every node knows it without communication and a
// canister cannot choose it.
func OutcallNode(id []byte, n int) uint32 {
	if n <= 0 {
		return 0
	}
	h := sha256.Sum256(append([]byte("chainkey-outcall-node"), id...))
	return uint32(binary.BigEndian.Uint64(h[:8]) % uint64(n))
}

// Outcall reject codes, as the IC's (SYS_FATAL, SYS_TRANSIENT).
const (
	OutcallSysFatal     = 1
	OutcallSysTransient = 2
)

// ApplyOutcall checks an OutcallTx against the state in progress and
// settles the outcall: n is the subnet size and verify checks node's
// signature on its share. It removes the outcall from cs.Outcalls and
// returns it with the outcome the canister receives: the agreed response,
// or the IC's reject when no response can reach a quorum.
func ApplyOutcall(cs *State, chainID string, n int, t *OutcallTx, verify func(node uint32, msg, sig []byte) bool) (*PendingOutcall, *OutcallResponse, error) {
	i := cs.OutcallPendingIndex(t.ID)
	if i < 0 {
		return nil, nil, errf("outcall %x is not pending", short(t.ID))
	}
	if len(t.Votes) > n {
		return nil, nil, errf("outcall %x: %d votes from %d nodes", short(t.ID), len(t.Votes), n)
	}
	counts := map[string]int{}
	for k, v := range t.Votes {
		if int(v.Node) >= n || k > 0 && t.Votes[k-1].Node >= v.Node {
			return nil, nil, errf("outcall %x: votes not from distinct nodes in order", short(t.ID))
		}
		if len(v.Hash) != 32 || !verify(v.Node, OutcallSignBytes(chainID, t.ID, v.Hash), v.Sig) {
			return nil, nil, errf("outcall %x: bad vote of node %d", short(t.ID), v.Node)
		}
		counts[string(v.Hash)]++
	}
	q := OutcallQuorum(n)
	p := cs.Outcalls[i]
	if p.Request != nil && p.Request.NonReplicated {
		// One vote, of the designated node, for the response carried.
		node := OutcallNode(p.ID, n)
		if len(t.Votes) != 1 || t.Votes[0].Node != node || len(t.Response) == 0 {
			return nil, nil, errf("outcall %x: a non-replicated outcall is settled by node %d's signed response alone", short(t.ID), node)
		}
		q = 1
	}
	var resp *OutcallResponse
	if len(t.Response) > 0 {
		r, err := DecodeOutcallResponse(t.Response)
		if err != nil {
			return nil, nil, fmt.Errorf("subnet: outcall %x: %w", short(t.ID), err)
		}
		h := OutcallHash(t.Response)
		if counts[string(h[:])] < q {
			return nil, nil, errf("outcall %x: %d of %d nodes report the response", short(t.ID), counts[string(h[:])], q)
		}
		resp = r
	} else {
		missing := n - len(t.Votes)
		for _, c := range counts {
			if c+missing >= q {
				return nil, nil, errf("outcall %x: a response can still reach a quorum", short(t.ID))
			}
		}
		resp = &OutcallResponse{Code: OutcallSysTransient, Message: NoConsensusMessage(p.ID, p.Timeout, counts)}
	}
	cs.Outcalls = slices.Delete(slices.Clone(cs.Outcalls), i, i+1)
	cs.OutcallReplied++
	return &p, resp, nil
}

// NoConsensusMessage is the IC's reject message of an outcall whose
// nodes reported different responses: the request id, its timeout and
// each reported hash with its count, most reported first.
func NoConsensusMessage(id []byte, timeoutNS int64, counts map[string]int) string {
	type hc struct {
		h string
		c int
	}
	var hs []hc
	for h, c := range counts {
		hs = append(hs, hc{h, c})
	}
	slices.SortFunc(hs, func(a, b hc) int {
		if a.c != b.c {
			return cmp.Compare(b.c, a.c)
		}
		return strings.Compare(a.h, b.h)
	})
	parts := make([]string, len(hs))
	for k, x := range hs {
		parts[k] = fmt.Sprintf("[%s: %d]", hex.EncodeToString([]byte(x.h)), x.c)
	}
	return fmt.Sprintf("No consensus could be reached. Replicas had different responses. Details: request_id: %d, timeout: %d, hashes: %s",
		OutcallNumber(id), timeoutNS, strings.Join(parts, ", "))
}

// OutcallNumber is the number the IC shows as an outcall's request_id:
// the last eight bytes of its id (the canister component's call number).
func OutcallNumber(id []byte) uint64 {
	if len(id) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(id[len(id)-8:])
}
