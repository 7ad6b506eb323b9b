package replica

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
)

// newSimMembership is newSimSubnet for a subnet whose genesis has n
// members and which has joiners more homes: nodes that follow the chain
// from genesis as non-validators (Config.Index JoiningIndex) until a
// registry change adds them. Every node executes registry changes.
func newSimMembership(t *testing.T, n, joiners int, tweak func(*Config)) *simSubnet {
	t.Helper()
	s := &simSubnet{t: t, dir: t.TempDir(), inPool: map[string]bool{}, start: time.Now().UTC().Truncate(time.Millisecond)}
	s.tweak = func(c *Config) {
		c.membership = true
		if tweak != nil {
			tweak(c)
		}
	}
	if err := writeSubnetConfig(s.dir, n+joiners, nil, subnetOptions{presignatureTarget: 2, timeoutCommitMS: 50}); err != nil {
		t.Fatal(err)
	}
	if err := excludeJoiners(s.dir, n+joiners, joiners); err != nil {
		t.Fatal(err)
	}
	gen, err := cmttypes.GenesisDocFromFile(filepath.Join(s.dir, "node0", cometDir, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	s.nodes = make([]*simNode, n+joiners)
	for range n + joiners {
		s.kv = append(s.kv, newMemKV())
	}
	for i := range s.nodes {
		s.open(i)
	}
	s.chainID, s.maxBytes = gen.ChainID, gen.ConsensusParams.Block.MaxBytes
	s.power = map[string]int64{}
	for _, v := range gen.Validators {
		s.power[string(v.Address)] = v.Power
	}
	for _, nd := range s.nodes {
		s.initChain(nd)
	}
	t.Cleanup(func() {
		for _, nd := range s.nodes {
			if nd.up {
				s.close(nd)
			}
		}
	})
	return s
}

// change signs a registry change with the subnet's operator key and
// submits it to node i.
func (s *simSubnet) change(i int, c *subnet.RegistryChange) {
	s.t.Helper()
	op, err := LoadOperatorKey(OperatorKeyPath(s.dir))
	if err != nil {
		s.t.Fatal(err)
	}
	c.ChainID = s.chainID
	tx, err := subnet.SignRegistryChange(op, c)
	if err != nil {
		s.t.Fatal(err)
	}
	if !s.submit(i, subnet.EncodeTx(&subnet.Tx{Registry: tx})) {
		s.t.Fatalf("node %d refuses registry change %d", i, c.Version)
	}
}

// switched reports whether every live node has committed a committee of
// n members with no change pending.
func (s *simSubnet) switched(n int) func() bool {
	return func() bool {
		for _, nd := range s.live() {
			cs := s.state(nd.i)
			if len(cs.Members) != n || subnet.ChangePending(cs) {
				return false
			}
		}
		return true
	}
}

// certifies runs k heights and fails unless certification and the
// beacon advanced at every one of them.
func (s *simSubnet) certifies(k int) {
	s.t.Helper()
	nd := s.live()[0]
	before := s.state(nd.i)
	s.steps(k)
	after := s.state(nd.i)
	if after.LastCertified < before.LastCertified+uint64(k)-1 || after.BeaconRound < before.BeaconRound+uint64(k)-1 {
		s.t.Fatalf("certified %d, beacon round %d after %d heights from certified %d, beacon round %d",
			after.LastCertified, after.BeaconRound, k, before.LastCertified, before.BeaconRound)
	}
}

// TestSimMembershipChange runs a registry change through the node: a
// fifth node that followed the chain as a non-validator is added (4 → 5)
// while node 2 deals bad BLS shares in every epoch, then node 1 is
// removed (5 → 4, re-indexed). Through both, the root key, the ECDSA and
// Schnorr public keys and the vetKD public key stay the same; after the
// first, the new node's shares are needed (node 0 down: certification
// needs four of the five, and a signature is requested through the new
// node); after the second, the removed node holds no share, its old
// certification share verifies in no slot, and the subnet goes on
// without it.
func TestSimMembershipChange(t *testing.T) {
	if testing.Short() {
		t.Skip("long simulation")
	}
	const (
		ecdsaKey   = "ecdsa:secp256k1:dfx_test_key"
		schnorrKey = "schnorr:bip340secp256k1:dfx_test_key"
	)
	s := newSimMembership(t, 4, 1, lying(2, faults{BadDealings: true}))
	s.run(300, "keys", s.keysReady)
	root := s.nodes[0].app.keys(s.state(0)).rootKey
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("before the change"))
	_, ecdsa0 := s.sign(0, caller, ecdsaKey, h[:])
	_, schnorr0 := s.sign(0, caller, schnorrKey, h[:])
	vk0 := vetkdPublicKeys(t, s.nodes[0])
	if s.nodes[4].app.me() != -1 || s.nodes[4].app.certShare != nil {
		t.Fatal("the joining node holds shares before it joined")
	}

	// 4 -> 5.
	rec, err := NodeInfo(s.nodes[4].cfg.Home, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.submit(0, subnet.EncodeTx(&subnet.Tx{Registry: &subnet.RegistryTx{Change: []byte{0xa0}, Signature: make([]byte, 64)}})) {
		t.Fatal("a registry change with a bad signature was admitted")
	}
	added := s.height()
	s.change(0, &subnet.RegistryChange{Version: 1, Add: &rec})
	s.run(300, "switch to five nodes", s.switched(5))
	switchAt := s.height()
	for _, nd := range s.nodes {
		if got := nd.app.committee().n(); got != 5 {
			t.Fatalf("node %d: committee of %d", nd.i, got)
		}
	}
	if s.nodes[4].app.me() != 4 || s.nodes[4].app.certShare == nil {
		t.Fatalf("new node: index %d, share %v", s.nodes[4].app.me(), s.nodes[4].app.certShare != nil)
	}
	cs := s.state(0)
	if !cs.DKGConvicted[fmt.Sprintf("dkg/%d/cert/2", cs.SwitchEpoch)] {
		t.Fatalf("the lying dealer was not convicted in the membership epoch %d: %v", cs.SwitchEpoch, cs.DKGConvicted)
	}
	// CometBFT adds the new validator two heights after the switch.
	s.steps(2)
	if !s.isValidator(s.nodes[4]) {
		t.Fatal("the new node is not a validator two heights after the switch")
	}
	// Node 0 down: the four others, the new one among them, certify.
	s.crash(0)
	s.certifies(4)
	s.run(100, "presignatures of the new committee", s.keysReady)
	h = sha256.Sum256([]byte("after 4 -> 5"))
	_, r := s.sign(4, caller, ecdsaKey, h[:])
	checkSignature(t, ecdsaKey, h[:], r)
	signedAt := s.height()
	if string(r.PublicKey) != string(ecdsa0.PublicKey) {
		t.Fatal("ECDSA public key changed by the membership change")
	}
	_, r = s.sign(4, caller, schnorrKey, h[:])
	checkSignature(t, schnorrKey, h[:], r)
	if string(r.PublicKey) != string(schnorr0.PublicKey) {
		t.Fatal("Schnorr public key changed by the membership change")
	}
	// Convictions are kept by index: the liar is index 2 until node 1
	// leaves (it deals in that epoch as index 2), index 1 after the
	// switch; no other index's count may grow from the switch on.
	onlyLiar := func(what string, liar uint32, frozen map[uint32]uint64) {
		t.Helper()
		for _, nd := range s.live() {
			for k, v := range s.state(nd.i).Convicted {
				if k != liar && v > frozen[k] {
					t.Fatalf("%s: node %d holds %d convictions against honest index %d", what, nd.i, v, k)
				}
			}
		}
	}
	onlyLiar("after 4 -> 5", 2, nil)
	t.Logf("4 -> 5: change agreed after height %d, switch at %d (%d heights), the new node signs by height %d (%d heights, %v of block time)",
		added, switchAt, switchAt-added, signedAt, signedAt-added, time.Duration(signedAt-added)*simStep)
	s.restart(0)

	// 5 -> 4: node 1 leaves; nodes 2..4 move down one index.
	old := s.nodes[1].app
	oldShare := append([]byte(nil), old.certShare...)
	removed := s.height()
	s.change(3, &subnet.RegistryChange{Version: 2, Remove: old.nodeID})
	s.run(300, "switch to four nodes", s.switched(4))
	t.Logf("5 -> 4: change agreed after height %d, switch at %d (%d heights)", removed, s.height(), s.height()-removed)
	atSwitch := maps.Clone(s.state(0).Convicted)
	if old.me() != -1 || old.certShare != nil {
		t.Fatalf("removed node: index %d, holds a share %v", old.me(), old.certShare != nil)
	}
	if _, err := os.Stat(old.cfg.secretPath(certShareFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("removed node's share file: %v", err)
	}
	if s.nodes[4].app.me() != 3 || s.nodes[2].app.me() != 1 {
		t.Fatalf("re-indexed: node 4 at %d, node 2 at %d", s.nodes[4].app.me(), s.nodes[2].app.me())
	}
	cs = s.state(0)
	msg := []byte("removed node's share")
	sig, err := old.bls.SignShare(oldShare, msg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if old.bls.VerifyShare(cs.CertPub, i, msg, sig) == nil {
			t.Fatalf("the removed node's old share verifies in slot %d", i)
		}
	}
	s.steps(2)
	if s.isValidator(s.nodes[1]) {
		t.Fatal("the removed node is still a validator two heights after the switch")
	}
	s.crash(1)
	s.certifies(4)
	s.run(100, "presignatures of the smaller committee", s.keysReady)
	h = sha256.Sum256([]byte("after 5 -> 4"))
	_, r = s.sign(3, caller, ecdsaKey, h[:])
	checkSignature(t, ecdsaKey, h[:], r)
	if string(r.PublicKey) != string(ecdsa0.PublicKey) {
		t.Fatal("ECDSA public key changed by the removal")
	}
	onlyLiar("after 5 -> 4", 1, atSwitch)
	for _, nd := range s.live() {
		if got := nd.app.keys(s.state(nd.i)).rootKey; string(got) != string(root) {
			t.Fatalf("node %d: root key changed", nd.i)
		}
		if got := vetkdPublicKeys(t, nd); got != vk0 {
			t.Fatalf("node %d: vetKD public key changed", nd.i)
		}
	}
}

// vetkdPublicKeys returns the vetKD public keys a canister derives for a
// fixed caller and context, joined.
func vetkdPublicKeys(t *testing.T, nd *simNode) string {
	t.Helper()
	var out []string
	for _, k := range nd.app.gen.VetKDKeyIDs {
		pk, err := (&Node{app: nd.app}).VetKDPublicKey(context.Background(), k, principal.Anonymous(), []byte("membership"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%x", pk))
	}
	return strings.Join(out, ",")
}

// TestSimMembershipCrash kills nodes during a membership change: node 3
// (a dealer) as soon as the change is agreed, the joining node once the
// BLS epoch to the next committee runs. Each restarts from its store and
// replays the blocks it missed (the epoch's messages and the resharing
// transcripts are in the state): the joining node during the epoch, node
// 3 after the switch. Both then hold shares of the new committee's keys:
// with node 0 down, the four others certify and sign.
func TestSimMembershipCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("long simulation")
	}
	s := newSimMembership(t, 4, 1, nil)
	s.run(300, "keys", s.keysReady)
	rec, err := NodeInfo(s.nodes[4].cfg.Home, "", "")
	if err != nil {
		t.Fatal(err)
	}
	s.change(1, &subnet.RegistryChange{Version: 1, Add: &rec})
	s.run(20, "change agreed", func() bool { return subnet.ChangePending(s.state(0)) })
	s.crash(3)
	s.run(100, "membership epoch", func() bool { return s.state(0).MembershipEpoch != 0 })
	s.crash(4)
	s.steps(1)
	s.restart(4)
	s.run(300, "switch to five nodes", s.switched(5))
	s.restart(3)
	for _, nd := range s.nodes {
		if nd.app.committee().n() != 5 || nd.app.certShare == nil {
			t.Fatalf("node %d after restart: committee of %d, share %v", nd.i, nd.app.committee().n(), nd.app.certShare != nil)
		}
		if nd.app.shareEpoch != subnet.KeyEpoch(s.state(nd.i)) {
			t.Fatalf("node %d: shares of epoch %d, keys of %d", nd.i, nd.app.shareEpoch, subnet.KeyEpoch(s.state(nd.i)))
		}
	}
	s.steps(2)
	s.crash(0)
	s.certifies(4)
	s.run(100, "presignatures", s.keysReady)
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("after crashes during the change"))
	_, r := s.sign(3, caller, "ecdsa:secp256k1:dfx_test_key", h[:])
	checkSignature(t, "ecdsa:secp256k1:dfx_test_key", h[:], r)
}
