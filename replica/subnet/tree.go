package subnet

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/chainkey/chainkey/certification"
)

// ReplyBlob is the reply recorded in the certified tree for a replied
// signing request: CBOR {1: signature, 2: public key}.
type ReplyBlob struct {
	Signature []byte `cbor:"1,keyasint"`
	PublicKey []byte `cbor:"2,keyasint"`
}

// CertifiedTree builds the IC-style hash tree of the state at a height:
//
//	/time                          LEB128 block time in nanoseconds
//	/subnet/<id>/public_key        DER root public key
//	/request_status/<id>/status    "received" | "replied" | "rejected"
//	/request_status/<id>/reply     reply blob (replied)
//	/request_status/<id>/reject_message
//	/bitcoin/<network>/state_hash  SHA-256 of the Bitcoin canister state (extra)
//
// Requests stay in the tree until their ingress expiry, as on the IC. The
// /request_status level is a crit-bit forest of the request ids
// (certification.CritBitForest) when they all have one length, which lets
// a component keep it between heights (BuildNodes); every other level is
// balanced, as BuildTree makes it.
func CertifiedTree(timeNS int64, subnetID []byte, rootKeyDER []byte, records map[string]*RequestRecord, extra ...certification.PathValue) (certification.HashTree, error) {
	return new(TreeCache).Build(timeNS, subnetID, rootKeyDER, records, extra...)
}

// TreeCache keeps the subtree of every request between heights: a
// request's subtree changes once or twice in its life (received, then
// replied or rejected), so a height hashes only the new ones and the forks
// above them, not every request until its expiry.
type TreeCache struct {
	mu   sync.Mutex
	subs map[string]cachedRequest
	// comp caches the request subtrees that components give as leaves.
	comp map[string]cachedLeaves
}

// cachedLeaves is a component's request subtree and the leaves it was
// built from.
type cachedLeaves struct {
	leaves []certification.PathValue
	node   certification.Labeled
}

func sameLeaves(a, b []certification.PathValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Value, b[i].Value) || len(a[i].Path) != len(b[i].Path) {
			return false
		}
		for j := range a[i].Path {
			if !bytes.Equal(a[i].Path[j], b[i].Path[j]) {
				return false
			}
		}
	}
	return true
}

type cachedRequest struct {
	status, reject string
	height         uint64
	sig, pub       []byte
	node           certification.Labeled // request id -> its subtree
}

func (c *cachedRequest) matches(r *RequestRecord) bool {
	return c.status == r.Status && c.height == r.Height && c.reject == r.Reject &&
		bytes.Equal(c.sig, r.Signature) && bytes.Equal(c.pub, r.PublicKey)
}

// Build builds the tree of a height (see CertifiedTree), reusing the
// subtrees of requests unchanged since the last call. It is safe for
// concurrent use.
func (c *TreeCache) Build(timeNS int64, subnetID []byte, rootKeyDER []byte, records map[string]*RequestRecord, extra ...certification.PathValue) (certification.HashTree, error) {
	return c.BuildNodes(timeNS, subnetID, rootKeyDER, records, nil, extra...)
}

// BuildNodes is Build with further request statuses given as a set of
// labeled subtrees (label: the request id), as Components.TreeParts
// returns them: the tree is the one Build gives when those statuses come
// as /request_status leaves in extra. The set is kept between heights by
// its component, so a height costs the statuses that changed.
func (c *TreeCache) BuildNodes(timeNS int64, subnetID []byte, rootKeyDER []byte, records map[string]*RequestRecord, statuses *certification.LabelTrie, extra ...certification.PathValue) (certification.HashTree, error) {
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
			case StatusReplied:
				blob, err := Marshal(ReplyBlob{Signature: r.Signature, PublicKey: r.PublicKey})
				if err != nil {
					return nil, err
				}
				leaves = append(leaves, certification.PathValue{Path: [][]byte{[]byte("reply")}, Value: blob})
			case StatusRejected:
				leaves = append(leaves, certification.PathValue{Path: [][]byte{[]byte("reject_message")}, Value: []byte(r.Reject)})
			}
			t, err := certification.BuildTree(leaves)
			if err != nil {
				return nil, fmt.Errorf("subnet: build state tree: %w", err)
			}
			sub = cachedRequest{status: r.Status, reject: r.Reject, height: r.Height, sig: r.Signature, pub: r.PublicKey,
				node: certification.NewLabeled([]byte(id), t)}
		}
		subs[id] = sub
		ids = append(ids, id)
	}
	c.subs = subs
	// Request statuses from components (canister messages) join the
	// signing requests' subtree.
	extra, more, err := c.requestStatusNodes(extra, subs)
	if err != nil {
		return nil, err
	}
	for id := range more {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	nodes := make([]certification.Labeled, len(ids))
	for i, id := range ids {
		if n, ok := more[id]; ok {
			nodes[i] = n
			continue
		}
		nodes[i] = subs[id].node
	}
	var requests certification.HashTree
	switch {
	case statuses.Len() == 0:
		if len(nodes) > 0 {
			var err error
			if requests, err = requestForest(nodes); err != nil {
				return nil, err
			}
		}
	default:
		set := statuses
		for _, n := range nodes {
			if _, dup := set.Get(n.Label); dup {
				return nil, fmt.Errorf("subnet: build state tree: request %x given twice", short(n.Label))
			}
			next, err := set.Set(n)
			if err != nil {
				// Labels of other lengths: the forest of the whole list.
				all := mergeLabeled(nodes, statuses.Nodes())
				for i := 1; i < len(all); i++ {
					if bytes.Equal(all[i-1].Label, all[i].Label) {
						return nil, fmt.Errorf("subnet: build state tree: request %x given twice", short(all[i].Label))
					}
				}
				if requests, err = requestForest(all); err != nil {
					return nil, err
				}
				break
			}
			set = next
		}
		if requests == nil {
			requests = set.Tree()
		}
	}
	var subtrees []certification.PathTree
	if requests != nil {
		subtrees = append(subtrees, certification.PathTree{Path: [][]byte{[]byte("request_status")}, Tree: requests})
	}
	entries = append(entries, extra...)
	t, err := certification.BuildTreeWith(entries, subtrees)
	if err != nil {
		return nil, fmt.Errorf("subnet: build state tree: %w", err)
	}
	return t, nil
}

// requestStatusNodes takes the /request_status/<id>/... entries out of
// extra and builds one labeled subtree per request id; an id that is also
// a signing request's is an error.
func (c *TreeCache) requestStatusNodes(extra []certification.PathValue, taken map[string]cachedRequest) ([]certification.PathValue, map[string]certification.Labeled, error) {
	var rest []certification.PathValue
	byID := map[string][]certification.PathValue{}
	for _, e := range extra {
		if len(e.Path) >= 3 && string(e.Path[0]) == "request_status" {
			id := string(e.Path[1])
			byID[id] = append(byID[id], certification.PathValue{Path: e.Path[2:], Value: e.Value})
			continue
		}
		rest = append(rest, e)
	}
	if len(byID) == 0 {
		c.comp = nil
		return extra, nil, nil
	}
	out := make(map[string]certification.Labeled, len(byID))
	cache := make(map[string]cachedLeaves, len(byID))
	for id, leaves := range byID {
		if _, dup := taken[id]; dup {
			return nil, nil, fmt.Errorf("subnet: build state tree: request %x given twice", short([]byte(id)))
		}
		if old, ok := c.comp[id]; ok && sameLeaves(old.leaves, leaves) {
			out[id], cache[id] = old.node, old
			continue
		}
		t, err := certification.BuildTree(leaves)
		if err != nil {
			return nil, nil, fmt.Errorf("subnet: build state tree: %w", err)
		}
		out[id] = certification.NewLabeled([]byte(id), t)
		cache[id] = cachedLeaves{leaves: leaves, node: out[id]}
	}
	c.comp = cache
	return rest, out, nil
}

// mergeLabeled merges two lists of labeled nodes sorted by label.
func mergeLabeled(a, b []certification.Labeled) []certification.Labeled {
	if len(a) == 0 {
		return b
	}
	out := make([]certification.Labeled, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || i < len(a) && bytes.Compare(a[i].Label, b[j].Label) < 0 {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// requestForest joins the request statuses: in the shape of a crit-bit
// tree (certification.LabelTrie) when their ids have one length, as
// request ids (32 bytes) do, so that components can keep it between
// heights; balanced otherwise.
func requestForest(nodes []certification.Labeled) (certification.HashTree, error) {
	same := true
	for _, n := range nodes {
		same = same && len(n.Label) == len(nodes[0].Label)
	}
	var t certification.HashTree
	var err error
	if same {
		t, err = certification.CritBitForest(nodes)
	} else {
		t, err = certification.Forest(nodes)
	}
	if err != nil {
		return nil, fmt.Errorf("subnet: build state tree: %w", err)
	}
	return t, nil
}
