package subnet

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
)

// outcallNodes are four node signing keys and their verifier.
func outcallNodes(t *testing.T) ([]ed25519.PrivateKey, func(uint32, []byte, []byte) bool) {
	t.Helper()
	var keys []ed25519.PrivateKey
	var pubs []ed25519.PublicKey
	for range 4 {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys, pubs = append(keys, priv), append(pubs, pub)
	}
	return keys, func(n uint32, msg, sig []byte) bool { return int(n) < len(pubs) && ed25519.Verify(pubs[n], msg, sig) }
}

func outcallVote(chain string, keys []ed25519.PrivateKey, node uint32, id, content []byte) OutcallVote {
	h := OutcallHash(content)
	return OutcallVote{Node: node, Hash: h[:], Sig: ed25519.Sign(keys[node], OutcallSignBytes(chain, id, h[:]))}
}

// TestApplyOutcall: with n = 4 (quorum 3) a response settles the outcall
// only with three matching signed hashes; one liar's hash, a response
// only the liar reports, forged or repeated votes, and a claim of no
// consensus while a response can still reach the quorum are refused.
func TestApplyOutcall(t *testing.T) {
	const chain = "test-chain"
	keys, verify := outcallNodes(t)
	id := []byte("chainkey-canister-http/\x00\x00\x00\x00\x00\x00\x00\x07")
	fresh := func() *State {
		cs := &State{}
		if err := AcceptOutcall(cs, id, 1000, &OutcallRequest{URL: "https://x", Method: "GET"}); err != nil {
			t.Fatal(err)
		}
		return cs
	}
	good := EncodeOutcallResponse(&OutcallResponse{Reply: []byte("DIDL-good")})
	lie := EncodeOutcallResponse(&OutcallResponse{Reply: []byte("DIDL-lie")})
	v := func(node uint32, content []byte) OutcallVote { return outcallVote(chain, keys, node, id, content) }
	bad := []struct {
		name string
		tx   OutcallTx
	}{
		{"two of four", OutcallTx{ID: id, Response: good, Votes: []OutcallVote{v(0, good), v(1, good), v(3, lie)}}},
		{"the liar's response", OutcallTx{ID: id, Response: lie, Votes: []OutcallVote{v(0, good), v(1, good), v(2, good), v(3, lie)}}},
		{"a repeated vote", OutcallTx{ID: id, Response: good, Votes: []OutcallVote{v(0, good), v(1, good), v(1, good)}}},
		{"a forged vote", OutcallTx{ID: id, Response: good, Votes: []OutcallVote{v(0, good), v(1, good), {Node: 2, Hash: v(2, good).Hash, Sig: v(3, good).Sig}}}},
		{"no consensus while possible", OutcallTx{ID: id, Votes: []OutcallVote{v(0, good), v(1, good), v(3, lie)}}},
		{"an unknown outcall", OutcallTx{ID: []byte("other"), Response: good, Votes: []OutcallVote{v(0, good), v(1, good), v(2, good)}}},
	}
	for _, c := range bad {
		cs := fresh()
		if _, _, err := ApplyOutcall(cs, chain, 4, &c.tx, verify); err == nil {
			t.Fatalf("%s: accepted", c.name)
		}
		if len(cs.Outcalls) != 1 {
			t.Fatalf("%s: the outcall is gone", c.name)
		}
	}
	cs := fresh()
	p, r, err := ApplyOutcall(cs, chain, 4, &OutcallTx{ID: id, Response: good, Votes: []OutcallVote{v(0, good), v(2, good), v(3, good)}}, verify)
	if err != nil || string(r.Reply) != "DIDL-good" || string(p.ID) != string(id) || len(cs.Outcalls) != 0 {
		t.Fatalf("agreed response: %v %+v", err, r)
	}
	other := EncodeOutcallResponse(&OutcallResponse{Reply: []byte("DIDL-other")})
	cs = fresh()
	_, r, err = ApplyOutcall(cs, chain, 4, &OutcallTx{ID: id, Votes: []OutcallVote{v(0, good), v(1, good), v(2, lie), v(3, other)}}, verify)
	if err != nil || r.Code != OutcallSysTransient || !strings.HasPrefix(r.Message, "No consensus could be reached. Replicas had different responses. Details: request_id: 7, timeout: ") ||
		!strings.Contains(r.Message, ": 2], [") {
		t.Fatalf("no consensus: %v %+v", err, r)
	}
}

// TestExpireOutcalls: an outcall is rejected once block time reaches its
// timeout, not before.
func TestExpireOutcalls(t *testing.T) {
	cs := &State{}
	if err := AcceptOutcall(cs, []byte("a"), 0, &OutcallRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := ExpireOutcalls(cs, OutcallDeadlineNS-1); len(got) != 0 || len(cs.Outcalls) != 1 {
		t.Fatal("expired early")
	}
	if got := ExpireOutcalls(cs, OutcallDeadlineNS); len(got) != 1 || len(cs.Outcalls) != 0 {
		t.Fatal("not expired at its timeout")
	}
}

// TestApplyNonReplicatedOutcall: a non-replicated outcall is settled by
// the designated node's signed response alone, whatever the others would
// report; the response of another node, a vote under the designated
// node's name signed with another key, extra votes and a no-consensus
// claim are refused.
func TestApplyNonReplicatedOutcall(t *testing.T) {
	const chain = "test-chain"
	keys, verify := outcallNodes(t)
	id := []byte("chainkey-canister-http/\x00\x00\x00\x00\x00\x00\x00\x09")
	d := OutcallNode(id, 4)
	other := (d + 1) % 4
	fresh := func() *State {
		cs := &State{}
		if err := AcceptOutcall(cs, id, 1000, &OutcallRequest{URL: "https://x", Method: "GET", NonReplicated: true}); err != nil {
			t.Fatal(err)
		}
		return cs
	}
	mine := EncodeOutcallResponse(&OutcallResponse{Reply: []byte("DIDL-designated")})
	theirs := EncodeOutcallResponse(&OutcallResponse{Reply: []byte("DIDL-other")})
	v := func(node uint32, content []byte) OutcallVote { return outcallVote(chain, keys, node, id, content) }
	forged := v(other, theirs)
	forged.Node = d
	bad := []struct {
		name string
		tx   OutcallTx
	}{
		{"another node's response", OutcallTx{ID: id, Response: theirs, Votes: []OutcallVote{v(other, theirs)}}},
		{"a forged vote of the designated node", OutcallTx{ID: id, Response: theirs, Votes: []OutcallVote{forged}}},
		{"two votes", OutcallTx{ID: id, Response: mine, Votes: sortVotes(v(d, mine), v(other, mine))}},
		{"a response other than the signed one", OutcallTx{ID: id, Response: theirs, Votes: []OutcallVote{v(d, mine)}}},
		{"no consensus", OutcallTx{ID: id, Votes: []OutcallVote{v(d, mine)}}},
	}
	for _, c := range bad {
		cs := fresh()
		if _, _, err := ApplyOutcall(cs, chain, 4, &c.tx, verify); err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if len(cs.Outcalls) != 1 {
			t.Errorf("%s: outcall removed", c.name)
		}
	}
	cs := fresh()
	p, resp, err := ApplyOutcall(cs, chain, 4, &OutcallTx{ID: id, Response: mine, Votes: []OutcallVote{v(d, mine)}}, verify)
	if err != nil || string(resp.Reply) != "DIDL-designated" || !p.Request.NonReplicated || len(cs.Outcalls) != 0 {
		t.Fatalf("designated response: %v %+v", err, resp)
	}
	// The designated node spreads over the nodes.
	seen := map[uint32]bool{}
	for k := range 64 {
		seen[OutcallNode([]byte{byte(k)}, 4)] = true
	}
	if len(seen) != 4 {
		t.Fatalf("OutcallNode reaches %d of 4 nodes", len(seen))
	}
}

func sortVotes(a, b OutcallVote) []OutcallVote {
	if a.Node > b.Node {
		a, b = b, a
	}
	return []OutcallVote{a, b}
}

func ExampleOutcallNode() {
	// Every node computes the same performer of a non-replicated outcall.
	id := []byte("chainkey-canister-http/\x00\x00\x00\x00\x00\x00\x00\x2a")
	fmt.Println(OutcallNode(id, 4) < 4, OutcallNode(id, 4) == OutcallNode(id, 4))
	// Output: true true
}
