package subnet

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/thresholdsig"
)

// regNode is a node with its secrets, for the registry tests.
type regNode struct {
	rec  NodeRecord
	sign *dkg.NodeSigningKey
	enc  *dkg.EncryptionKey
}

func newRegNode(t testing.TB, rng *rand.ChaCha8, i int) regNode {
	t.Helper()
	var seed [32]byte
	_, _ = rng.Read(seed[:])
	sk, err := dkg.NewNodeSigningKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	ek, err := dkg.GenerateEncryptionKey(rng)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = rng.Read(seed[:])
	cons := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	id := make([]byte, 20)
	_, _ = rng.Read(id)
	return regNode{sign: sk, enc: ek, rec: NodeRecord{NodeID: hex.EncodeToString(id), ConsensusKey: cons,
		NodeKey: sk.PublicKey().Bytes(), EncKey: ek.PublicKey().Bytes(), P2P: fmt.Sprintf("127.0.0.1:%d", 26656+i)}}
}

func records(ns []regNode) []NodeRecord {
	out := make([]NodeRecord, len(ns))
	for i, n := range ns {
		out[i] = n.rec
	}
	return out
}

// regSubnet is a subnet whose key generation the test plays through the
// replicated rules, every node dealing and decrypting its shares.
type regSubnet struct {
	t    *testing.T
	rng  *rand.ChaCha8
	op   ed25519.PrivateKey
	plan RegistryPlan
	kp   KeyPlan
	cs   *State
	all  map[string]regNode // every node ever, by node id
	// shares and beacon are each holder's certification and beacon key
	// shares by node id; prevShares the certification shares before the
	// last epoch.
	shares, beacon, prevShares map[string]*dkg.SecretShare
	height                     uint64
}

func newRegSubnet(t *testing.T, n int) *regSubnet {
	var seed [32]byte
	seed[0] = byte(n)
	s := &regSubnet{t: t, rng: rand.NewChaCha8(seed), all: map[string]regNode{}, shares: map[string]*dkg.SecretShare{}}
	s.op = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	var gen []NodeRecord
	for i := range n {
		nd := newRegNode(t, s.rng, i)
		s.all[nd.rec.NodeID] = nd
		gen = append(gen, nd.rec)
	}
	s.plan = RegistryPlan{ChainID: "test-chain", OperatorKey: s.op.Public().(ed25519.PublicKey), Genesis: gen,
		KeyIDs: []string{"ecdsa:k"}}
	s.kp = KeyPlan{ChainID: "test-chain", N: n, KeyIDs: s.plan.KeyIDs}
	s.cs = &State{Convicted: map[uint32]uint64{}}
	s.runEpoch(nil)
	s.cs.KeyTr = map[string][]byte{"ecdsa:k": []byte("key-0")}
	return s
}

// runEpoch runs the BLS epoch cs.BLSEpoch between the committees
// EpochCommittees names: every dealer deals (resharing its share when
// the keys exist), except that the dealers in lie deal a fresh secret
// instead; every receiver keeps its certification key share.
func (s *regSubnet) runEpoch(lie map[int]bool) (done bool) {
	t := s.t
	dealers, receivers := EpochCommittees(s.cs, s.plan.Genesis, s.cs.BLSEpoch)
	dm, err := Members(s.plan.ChainID, dealers)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := Members(s.plan.ChainID, receivers)
	if err != nil {
		t.Fatal(err)
	}
	var prev map[string][]byte
	if s.cs.BLSReady {
		prev = map[string][]byte{"cert": s.cs.CertPub, "beacon": s.cs.BeaconPub}
	}
	ep, err := NewDKGEpochCommittees(dm, rm, s.cs.BLSEpoch, prev, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.height++
	start := s.height
	beacon := map[string]*dkg.SecretShare{}
	for _, p := range ep.Purposes {
		for j, d := range dealers {
			dl, err := dkg.NewDealer(ep.Configs[p], j, s.all[d.NodeID].sign)
			if err != nil {
				t.Fatal(err)
			}
			var secret group.Scalar
			if prev != nil {
				share := s.shares[d.NodeID]
				if p == "beacon" {
					share = s.beacon[d.NodeID]
				}
				secret = share.Value()
			}
			envs := []*dkg.Envelope{}
			env, err := dl.Deal(secret, s.rng)
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, env)
			if lie[j] {
				// The liar equivocates: a second, different dealing.
				dl2, _ := dkg.NewDealer(ep.Configs[p], j, s.all[d.NodeID].sign)
				if env, err = dl2.Deal(secret, s.rng); err != nil {
					t.Fatal(err)
				}
				envs = append(envs, env)
			}
			for _, env := range envs {
				body, _ := env.MarshalBinary()
				tx := &ProtocolTx{Kind: ProtoDKGDealing, Sender: uint32(j), Epoch: ep.Epoch, Body: body}
				if err := ep.Add(p, start, tx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	s.height = start + 2*DKGDeadline + 1
	cur := s.cs.Clone()
	done, _, err = CompleteDKG(cur, ep, s.height, map[string]bool{})
	if err != nil || !done {
		t.Fatalf("epoch %d: done %v, %v", ep.Epoch, done, err)
	}
	newShares := map[string]*dkg.SecretShare{}
	for i, r := range receivers {
		nd := s.all[r.NodeID]
		for _, p := range ep.Purposes {
			rc, err := dkg.NewReceiver(ep.Configs[p], i, nd.sign, nd.enc)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rc.VerifyDealings(ep.Sessions[p]); err != nil {
				t.Fatal(err)
			}
			tr, err := ep.Sessions[p].Transcript(s.height)
			if err != nil {
				t.Fatal(err)
			}
			sh, err := rc.SecretShare(ep.Sessions[p], tr)
			if err != nil {
				t.Fatal(err)
			}
			if p == "cert" {
				newShares[r.NodeID] = sh
			} else {
				beacon[r.NodeID] = sh
			}
		}
	}
	s.prevShares, s.shares, s.beacon = s.shares, newShares, beacon
	s.cs = cur
	return true
}

// change signs c with the operator key and checks it.
func (s *regSubnet) change(c *RegistryChange) (*RegistryChange, error) {
	tx, err := SignRegistryChange(s.op, c)
	if err != nil {
		s.t.Fatal(err)
	}
	return CheckRegistryTx(s.cs, s.plan, tx)
}

// apply agrees c, completes the master key resharing jobs, runs the
// membership epoch with the liars and switches.
func (s *regSubnet) apply(c *RegistryChange, lie map[int]bool) []ValidatorUpdate {
	t := s.t
	got, err := s.change(c)
	if err != nil {
		t.Fatal(err)
	}
	ApplyRegistryChange(s.cs, s.plan, s.kp, got)
	if !ChangePending(s.cs) || ScheduleMembership(s.cs, s.plan.KeyIDs) {
		t.Fatal("the BLS epoch started before the master keys were reshared")
	}
	if _, err := s.change(&RegistryChange{ChainID: "test-chain", Version: got.Version + 1, Remove: s.plan.Genesis[0].NodeID}); err == nil {
		t.Fatal("a second change was accepted while one is pending")
	}
	for _, j := range slices.Clone(s.cs.Jobs) {
		if j.Role == RoleReshareNext {
			if _, err := CompleteJob(s.cs, s.kp, j, func() error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !ScheduleMembership(s.cs, s.plan.KeyIDs) || !IsMembershipEpoch(s.cs) {
		t.Fatal("the membership epoch did not start")
	}
	if ScheduleReshare(s.cs, 10, 10) {
		t.Fatal("a periodic resharing started during a membership change")
	}
	old := slices.Clone(Committee(s.cs, s.plan.Genesis))
	s.runEpoch(lie)
	ups, err := SwitchCommittee(s.cs, s.plan.Genesis, s.height)
	if err != nil {
		t.Fatal(err)
	}
	if d, r := EpochCommittees(s.cs, s.plan.Genesis, s.cs.SwitchEpoch); !slices.EqualFunc(d, old, sameRec) ||
		!slices.EqualFunc(r, s.cs.Members, sameRec) {
		t.Fatal("the switch epoch's committees are not the old and new ones")
	}
	if s.cs.KeyTr["ecdsa:k"] == nil || string(s.cs.KeyTr["ecdsa:k"]) == "key-0" || ChangePending(s.cs) {
		t.Fatalf("after the switch: key %q, pending %v", s.cs.KeyTr["ecdsa:k"], ChangePending(s.cs))
	}
	return ups
}

func sameRec(a, b NodeRecord) bool { return a.NodeID == b.NodeID }

// sign returns the combined certification signature of msg from the
// given current members' shares (by committee index), or an error.
func (s *regSubnet) sign(msg []byte, shares map[int]*dkg.SecretShare) ([]byte, []int, error) {
	pc, err := thresholdsig.ParsePublicCoefficients(s.cs.CertPub)
	if err != nil {
		s.t.Fatal(err)
	}
	sig := map[int][]byte{}
	for i, sh := range shares {
		k, err := thresholdsig.NewSecretKeyShare(i, sh.Value())
		if err != nil {
			s.t.Fatal(err)
		}
		if sig[i], err = thresholdsig.SignShare(k, msg); err != nil {
			s.t.Fatal(err)
		}
	}
	return thresholdsig.CombineVerified(pc, msg, sig)
}

func (s *regSubnet) rootKey() []byte {
	pc, err := thresholdsig.ParsePublicCoefficients(s.cs.CertPub)
	if err != nil {
		s.t.Fatal(err)
	}
	return pc.PublicKey().Bytes()
}

// TestMembershipChange adds a fifth node to a 4-node subnet and then
// removes a node, with a lying dealer in each resharing: the public keys
// never change, the new node's share signs with the others', and the
// removed node's share does not combine with the new committee's.
func TestMembershipChange(t *testing.T) {
	s := newRegSubnet(t, 4)
	root := s.rootKey()
	beaconKey := slices.Clone(s.cs.BeaconPub[:96])
	joiner := newRegNode(t, s.rng, 4)
	s.all[joiner.rec.NodeID] = joiner

	ups := s.apply(&RegistryChange{ChainID: "test-chain", Version: 1, Add: &joiner.rec}, map[int]bool{2: true})
	if len(ups) != 1 || !bytes.Equal(ups[0].PubKey, joiner.rec.ConsensusKey) || ups[0].Power != ValidatorPower {
		t.Fatalf("validator updates %+v", ups)
	}
	if len(s.cs.Members) != 5 || s.cs.RegistryVersion != 1 || !bytes.Equal(s.rootKey(), root) ||
		!bytes.Equal(s.cs.BeaconPub[:96], beaconKey) {
		t.Fatal("adding a node changed the keys or the committee is wrong")
	}
	if s.cs.DKGConvicted["dkg/1/cert/2"] != true {
		t.Fatalf("the lying dealer was not convicted: %v", s.cs.DKGConvicted)
	}
	if pc, _ := thresholdsig.ParsePublicCoefficients(s.cs.CertPub); pc.Threshold() != 4 {
		t.Fatalf("certification threshold %d for 5 nodes, want 4", pc.Threshold())
	}
	// The new node (index 4) signs with three others.
	msg := []byte("state root")
	byIdx := func(idx ...int) map[int]*dkg.SecretShare {
		m := map[int]*dkg.SecretShare{}
		for _, i := range idx {
			m[i] = s.shares[s.cs.Members[i].NodeID]
		}
		return m
	}
	sig, bad, err := s.sign(msg, byIdx(0, 1, 3, 4))
	if err != nil || len(bad) != 0 {
		t.Fatalf("new committee with the new node: %v (bad %v)", err, bad)
	}
	pc, _ := thresholdsig.ParsePublicCoefficients(s.cs.CertPub)
	if err := thresholdsig.Verify(pc.PublicKey(), msg, sig); err != nil {
		t.Fatal(err)
	}

	// Remove node 1; node 3 lies in the resharing.
	leaving := s.cs.Members[1]
	ups = s.apply(&RegistryChange{ChainID: "test-chain", Version: 2, Remove: leaving.NodeID}, map[int]bool{3: true})
	if len(ups) != 1 || !bytes.Equal(ups[0].PubKey, leaving.ConsensusKey) || ups[0].Power != 0 {
		t.Fatalf("validator updates %+v", ups)
	}
	if len(s.cs.Members) != 4 || MemberIndex(s.cs.Members, leaving.NodeID) >= 0 || !bytes.Equal(s.rootKey(), root) {
		t.Fatal("removing a node changed the key or the committee is wrong")
	}
	if _, bad, err := s.sign(msg, byIdx(0, 1, 2)); err != nil || len(bad) != 0 {
		t.Fatalf("new committee: %v (bad %v)", err, bad)
	}
	// The removed node's share, in any slot, is refused.
	old := s.prevShares[leaving.NodeID]
	for slot := range 4 {
		m := byIdx(0, 1, 2, 3)
		m[slot] = old
		delete(m, (slot+1)%4) // threshold 3: two honest shares and the old one
		_, bad, _ := s.sign(msg, m)
		if !slices.Contains(bad, slot) {
			t.Fatalf("the removed node's share in slot %d was not refused (bad %v)", slot, bad)
		}
	}
	// A replay of version 2 is refused.
	if _, err := s.change(&RegistryChange{ChainID: "test-chain", Version: 2, Remove: s.cs.Members[0].NodeID}); err == nil {
		t.Fatal("a replayed version was accepted")
	}
}

// TestCheckRegistryTx tries the changes every node must refuse.
func TestCheckRegistryTx(t *testing.T) {
	s := newRegSubnet(t, 4)
	fresh := newRegNode(t, s.rng, 9)
	member := s.plan.Genesis[2]
	with := func(f func(r *NodeRecord)) *NodeRecord {
		r := fresh.rec
		r.ConsensusKey, r.NodeKey, r.EncKey = slices.Clone(r.ConsensusKey), slices.Clone(r.NodeKey), slices.Clone(r.EncKey)
		f(&r)
		return &r
	}
	small := make([]byte, 32) // the identity point has small order
	small[0] = 1
	nonCanonical := bytes.Repeat([]byte{0xff}, 32)
	nonCanonical[31] = 0x7f
	cases := []struct {
		name string
		c    RegistryChange
		want string
	}{
		{"other subnet", RegistryChange{ChainID: "other", Version: 1, Add: &fresh.rec}, "for subnet"},
		{"version replayed", RegistryChange{ChainID: "test-chain", Version: 0, Add: &fresh.rec}, "version"},
		{"version skipped", RegistryChange{ChainID: "test-chain", Version: 2, Add: &fresh.rec}, "version"},
		{"nothing", RegistryChange{ChainID: "test-chain", Version: 1}, "exactly one"},
		{"both", RegistryChange{ChainID: "test-chain", Version: 1, Add: &fresh.rec, Remove: member.NodeID}, "exactly one"},
		{"remove non-member", RegistryChange{ChainID: "test-chain", Version: 1, Remove: fresh.rec.NodeID}, "not a member"},
		{"add member again", RegistryChange{ChainID: "test-chain", Version: 1, Add: &member}, "already a member"},
		{"member's consensus key", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.ConsensusKey = member.ConsensusKey })}, "consensus key of member"},
		{"member's node key", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.NodeKey = member.NodeKey })}, "node key of member"},
		{"member's encryption key", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.EncKey = member.EncKey })}, "encryption key of member"},
		{"upper-case node id", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.NodeID = strings.ToUpper(r.NodeID) })}, "node id"},
		{"short node id", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.NodeID = r.NodeID[:38] })}, "node id"},
		{"small-order consensus key", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.ConsensusKey = small })}, "small order"},
		{"non-canonical consensus key", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.ConsensusKey = nonCanonical })}, "consensus key"},
		{"short consensus key", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.ConsensusKey = r.ConsensusKey[:31] })}, "consensus key"},
		{"bad node key", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.NodeKey = r.NodeKey[1:] })}, "node key"},
		{"bad encryption key", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.EncKey = r.EncKey[1:] })}, "encryption key"},
		{"bad address", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.P2P = "no-port" })}, "address"},
		{"no address", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.P2P, r.GRPC = "", "" })}, "address"},
		{"bad API address", RegistryChange{ChainID: "test-chain", Version: 1,
			Add: with(func(r *NodeRecord) { r.GRPC = "host" })}, "address"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.change(&tc.c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	good := &RegistryChange{ChainID: "test-chain", Version: 1, Add: &fresh.rec}
	if _, err := s.change(good); err != nil {
		t.Fatalf("valid change refused: %v", err)
	}
	tx, _ := SignRegistryChange(s.op, good)
	t.Run("signature by another key", func(t *testing.T) {
		other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, 32))
		bad, _ := SignRegistryChange(other, good)
		if _, err := CheckRegistryTx(s.cs, s.plan, bad); err == nil || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("tampered change", func(t *testing.T) {
		b := slices.Clone(tx.Change)
		b[len(b)-1] ^= 1
		if _, err := CheckRegistryTx(s.cs, s.plan, &RegistryTx{Change: b, Signature: tx.Signature}); err == nil {
			t.Fatal("tampered change accepted")
		}
	})
	t.Run("no operator key", func(t *testing.T) {
		p := s.plan
		p.OperatorKey = nil
		if _, err := CheckRegistryTx(s.cs, p, tx); err == nil || !strings.Contains(err.Error(), "operator key") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("keys not ready", func(t *testing.T) {
		cs := s.cs.Clone()
		cs.BLSResharing = true
		if _, err := CheckRegistryTx(cs, s.plan, tx); err == nil {
			t.Fatal("accepted during a resharing")
		}
		cs = s.cs.Clone()
		cs.KeyTr = nil
		if _, err := CheckRegistryTx(cs, s.plan, tx); err == nil {
			t.Fatal("accepted before the master keys exist")
		}
	})
	t.Run("non-canonical encoding", func(t *testing.T) {
		// The same change with a trailing field order swapped does not
		// decode; a tx whose signature covers other bytes is refused.
		if _, err := DecodeRegistryChange(append(slices.Clone(tx.Change), 0)); err == nil {
			t.Fatal("trailing byte accepted")
		}
	})
	t.Run("remove to empty", func(t *testing.T) {
		p := s.plan
		p.Genesis = p.Genesis[:1]
		if _, err := s.changeWith(p, &RegistryChange{ChainID: "test-chain", Version: 1, Remove: p.Genesis[0].NodeID}); err == nil {
			t.Fatal("removing the last node accepted")
		}
	})
	// The transaction round-trips through the block encoding.
	raw := EncodeTx(&Tx{Registry: tx})
	back, err := DecodeTx(raw)
	if err != nil || back.Registry == nil || !bytes.Equal(back.Registry.Change, tx.Change) {
		t.Fatalf("decode tx: %v", err)
	}
}

func (s *regSubnet) changeWith(p RegistryPlan, c *RegistryChange) (*RegistryChange, error) {
	tx, err := SignRegistryChange(s.op, c)
	if err != nil {
		s.t.Fatal(err)
	}
	return CheckRegistryTx(s.cs, p, tx)
}

// TestValidatorUpdates checks the consensus engine's view of a change.
func TestValidatorUpdates(t *testing.T) {
	a := NodeRecord{NodeID: "a", ConsensusKey: []byte{1}}
	b := NodeRecord{NodeID: "b", ConsensusKey: []byte{2}}
	c := NodeRecord{NodeID: "c", ConsensusKey: []byte{3}}
	got := ValidatorUpdates([]NodeRecord{a, b}, []NodeRecord{a, c})
	want := []ValidatorUpdate{{PubKey: []byte{2}, Power: 0}, {PubKey: []byte{3}, Power: ValidatorPower}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("updates %v, want %v", got, want)
	}
	if len(ValidatorUpdates([]NodeRecord{a}, []NodeRecord{a})) != 0 {
		t.Fatal("updates for an unchanged committee")
	}
}

// FuzzDecodeRegistryChange checks that an accepted change re-encodes to
// the bytes the operator signed, and that a registry transaction decodes
// within a block transaction the same way.
func FuzzDecodeRegistryChange(f *testing.F) {
	rec := NodeRecord{NodeID: strings.Repeat("ab", 20), ConsensusKey: make([]byte, 32), NodeKey: []byte{1}, EncKey: []byte{2},
		P2P: "127.0.0.1:1", GRPC: "127.0.0.1:2"}
	for _, c := range []RegistryChange{{ChainID: "c", Version: 1, Add: &rec}, {ChainID: "c", Version: 2, Remove: rec.NodeID}} {
		b, _ := Marshal(&c)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeRegistryChange(b)
		if err == nil {
			re, _ := Marshal(c)
			if !bytes.Equal(re, b) {
				t.Fatalf("accepted %x re-encodes as %x", b, re)
			}
		}
		raw := EncodeTx(&Tx{Registry: &RegistryTx{Change: b, Signature: make([]byte, 64)}})
		tx, err := DecodeTx(raw)
		if err != nil || tx.Registry == nil || !bytes.Equal(tx.Registry.Change, b) {
			t.Fatalf("registry tx does not round-trip: %v", err)
		}
	})
}
