package replica

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/replica/subnet"
)

func testRecord(t *testing.T, i int) subnet.NodeRecord {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := dkg.GenerateNodeSigningKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := dkg.GenerateEncryptionKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return subnet.NodeRecord{NodeID: fmt.Sprintf("%040x", i+1), ConsensusKey: pub,
		NodeKey: sk.PublicKey().Bytes(), EncKey: ek.PublicKey().Bytes(), P2P: fmt.Sprintf("127.0.0.1:%d", 26656+i)}
}

// The committee, the node's index in it and the validator addresses
// follow the committed state: the genesis members until a switch, the
// switched committee after it; a node that left has index -1.
func TestCommitteeFromState(t *testing.T) {
	var recs []subnet.NodeRecord
	for i := range 5 {
		recs = append(recs, testRecord(t, i))
	}
	gen := recs[:4]
	a := &app{genRecs: gen, nodeID: gen[1].NodeID}
	cs := &subnet.State{}
	if err := a.refreshCommittee(cs); err != nil {
		t.Fatal(err)
	}
	if c := a.committee(); c.n() != 4 || a.me() != 1 || len(c.nodePub) != 4 || len(c.encPub) != 4 {
		t.Fatalf("genesis committee: n %d, me %d", c.n(), a.me())
	}
	addr := cmted25519.PubKey(gen[3].ConsensusKey).Address()
	if i, ok := a.committee().byAddr[string(addr)]; !ok || i != 3 {
		t.Fatalf("validator address of member 3 -> %d, %v", i, ok)
	}

	// A change pending does not change the committee yet.
	cs.NextMembers, cs.RegistryVersion = recs, 1
	if err := a.refreshCommittee(cs); err != nil || a.committee().n() != 4 {
		t.Fatalf("pending change: %v, n %d", err, a.committee().n())
	}

	// 4 -> 5: the fifth node is a member with index 4.
	if _, err := subnet.SwitchCommittee(cs, gen, 10); err != nil {
		t.Fatal(err)
	}
	if err := a.refreshCommittee(cs); err != nil {
		t.Fatal(err)
	}
	if c := a.committee(); c.n() != 5 || a.me() != 1 || c.switchHeight != 10 {
		t.Fatalf("after 4->5: n %d, me %d, switch %d", c.n(), a.me(), c.switchHeight)
	}
	joiner := &app{genRecs: gen, nodeID: recs[4].NodeID}
	if err := joiner.refreshCommittee(cs); err != nil || joiner.me() != 4 {
		t.Fatalf("joining node: %v, me %d", err, joiner.me())
	}

	// 5 -> 4 removing node 1: it is no member; node 2 becomes index 1.
	cs.NextMembers = subnet.NextCommittee(cs.Members, &subnet.RegistryChange{Remove: gen[1].NodeID})
	if _, err := subnet.SwitchCommittee(cs, gen, 20); err != nil {
		t.Fatal(err)
	}
	if err := a.refreshCommittee(cs); err != nil {
		t.Fatal(err)
	}
	if c := a.committee(); c.n() != 4 || a.me() != -1 {
		t.Fatalf("removed node: n %d, me %d", c.n(), a.me())
	}
	if _, ok := a.committee().byAddr[string(cmted25519.PubKey(gen[1].ConsensusKey).Address())]; ok {
		t.Fatal("removed node's validator still in the committee")
	}
	b := &app{genRecs: gen, nodeID: gen[2].NodeID}
	if err := b.refreshCommittee(cs); err != nil || b.me() != 1 {
		t.Fatalf("node 2 after removal of node 1: %v, me %d", err, b.me())
	}

	// A node of no genesis membership cannot start from the genesis.
	stranger := &app{genRecs: gen, nodeID: hex.EncodeToString(make([]byte, 20))}
	if err := stranger.refreshCommittee(&subnet.State{}); err == nil {
		t.Fatal("a stranger started as a genesis member")
	}
}
