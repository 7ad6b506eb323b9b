package replica

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
	btcschnorr "github.com/btcsuite/btcd/btcec/v2/schnorr"

	"github.com/chainkey/chainkey/bitcoin/regtest"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/replica/subnet"
)

// The tests below drive four replicas through the key and signing
// protocols block by block with simSubnet: no CometBFT, no sockets, no
// waiting on timers. The live-CometBFT tests (fault_*_test.go,
// replica_test.go) keep what needs the real consensus engine and
// processes: restarts through CometBFT's handshake, P2P, the Node API.

// checkSignature checks a replied record's signature with an independent
// implementation of the key's scheme.
func checkSignature(t *testing.T, keyID string, hash []byte, r *subnet.RequestRecord) {
	t.Helper()
	switch keyID {
	case "ecdsa:secp256k1:dfx_test_key", "ecdsa:secp256k1:test_key_1":
		pk, err := btcec.ParsePubKey(r.PublicKey)
		if err != nil || len(r.Signature) != 64 {
			t.Fatalf("%s: key %v, signature of %d bytes", keyID, err, len(r.Signature))
		}
		var rr, ss btcec.ModNScalar
		rr.SetByteSlice(r.Signature[:32])
		ss.SetByteSlice(r.Signature[32:])
		if !btcecdsa.NewSignature(&rr, &ss).Verify(hash, pk) {
			t.Fatalf("%s: btcec rejects the signature", keyID)
		}
	case "schnorr:bip340secp256k1:dfx_test_key":
		pk, err := btcschnorr.ParsePubKey(r.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := btcschnorr.ParseSignature(r.Signature)
		if err != nil || !sig.Verify(hash, pk) {
			t.Fatalf("%s: btcec rejects the BIP340 signature: %v", keyID, err)
		}
	case "schnorr:ed25519:dfx_test_key":
		if !ed25519.Verify(r.PublicKey, hash, r.Signature) {
			t.Fatalf("%s: crypto/ed25519 rejects the signature", keyID)
		}
	default:
		t.Fatalf("no check for %s", keyID)
	}
}

// convicted returns the convictions in node i's committed state.
func (s *simSubnet) convicted(i int) map[uint32]uint64 { return s.state(i).Convicted }

// waitConvicted runs the subnet until every live node other than liar
// holds something against liar, and fails if anyone else is convicted.
func (s *simSubnet) waitConvicted(liar uint32, max int) {
	s.t.Helper()
	s.run(max, fmt.Sprintf("conviction of node %d", liar), func() bool {
		for _, nd := range s.live() {
			if uint32(nd.cfg.Index) == liar {
				continue
			}
			c := s.convicted(nd.cfg.Index)
			for k, why := range c {
				if k != liar && why > 0 {
					s.t.Fatalf("node %d convicted honest node %d", nd.cfg.Index, k)
				}
			}
			if c[liar] == 0 {
				return false
			}
		}
		return true
	})
}

func TestSimKeysAndSigning(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	s.run(200, "keys", s.keysReady)
	t.Logf("keys and presignatures at height %d", s.height())
	caller, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte("chainkey"))
	for i, k := range GenesisKeyIDs {
		_, r := s.sign(i%4, caller, k, hash[:])
		checkSignature(t, k, hash[:], r)
	}
	if c := s.convicted(0); len(c) != 0 {
		t.Fatalf("honest subnet convicted %v", c)
	}
}

func (s *simSubnet) apps() []*app {
	out := make([]*app, len(s.nodes))
	for i, nd := range s.nodes {
		out[i] = nd.app
	}
	return out
}

// TestSimFalseComplaints: a node that complains about valid key
// generation dealings convicts nobody, and the keys are made.
func TestSimFalseComplaints(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, lying(2, faults{BadComplaints: true}))
	s.run(200, "keys", s.keysReady)
	for i := range s.nodes {
		if c := s.convicted(i); len(c) != 0 {
			t.Fatalf("node %d convicted %v after false complaints", i, c)
		}
	}
}

// TestSimLyingSigner: a node sending bad signature shares is convicted,
// and the signatures the subnet returns are still valid.
func TestSimLyingSigner(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, lying(0, faults{BadSignShares: true}))
	s.run(200, "keys", s.keysReady)
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("liar"))
	for _, k := range []string{"ecdsa:secp256k1:dfx_test_key", "schnorr:ed25519:dfx_test_key"} {
		_, r := s.sign(1, caller, k, h[:])
		checkSignature(t, k, h[:], r)
	}
	s.waitConvicted(0, 20)
}

// TestSimLyingDealer: a node whose key generation dealings are publicly
// wrong is convicted and the keys are made from the other nodes' dealings.
func TestSimLyingDealer(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, lying(3, faults{BadDealings: true}))
	s.run(200, "keys", s.keysReady)
	s.waitConvicted(3, 20)
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("after a bad dealer"))
	_, r := s.sign(0, caller, "schnorr:bip340secp256k1:dfx_test_key", h[:])
	checkSignature(t, "schnorr:bip340secp256k1:dfx_test_key", h[:], r)
}

// TestSimLyingCertifier: a node sending bad certification and beacon
// shares is convicted by evidence in a block, and certification and the
// beacon go on.
func TestSimLyingCertifier(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, lying(1, faults{BadCertShares: true}))
	s.run(200, "keys", s.keysReady)
	s.waitConvicted(1, 20)
	before := s.state(0)
	s.steps(5)
	after := s.state(0)
	if after.LastCertified < before.Height || after.BeaconRound < before.BeaconRound+5 {
		t.Fatalf("certified %d, beacon round %d after height %d (beacon round %d)", after.LastCertified, after.BeaconRound, before.Height, before.BeaconRound)
	}
}

// TestSimIDKGBadShareComplaint: a dealer encrypts a wrong IDKG opening to
// one honest node. The node complains in a block, the dealer does not
// answer by the deadline and is convicted, the other receivers reveal
// their openings, and the victim recovers valid shares of every
// transcript it holds; ECDSA and Schnorr signatures stay valid and nobody
// else is convicted.
func TestSimIDKGBadShareComplaint(t *testing.T) {
	const bad, victim = 1, 2
	s := newSimSubnet(t, 4, subnetOptions{}, lying(bad, faults{BadIDKGShares: true}))
	s.run(200, "keys", s.keysReady)
	s.waitConvicted(bad, 60)
	var detail string
	s.run(60, "victim's shares", func() bool {
		var ok bool
		ok, detail = victimHasShares(t, s.nodes[victim].app, victim, bad)
		return ok
	})
	t.Log(detail)
	// The recovery went through the receivers' openings in blocks.
	if countCommitted(t, s.nodes[victim].app, subnet.PrefixIDKGReveal) == 0 {
		t.Fatal("no receiver openings in the state")
	}
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("after a bad IDKG share"))
	for _, k := range []string{"ecdsa:secp256k1:dfx_test_key", "schnorr:ed25519:dfx_test_key"} {
		_, r := s.sign(victim, caller, k, h[:])
		checkSignature(t, k, h[:], r)
	}
	s.waitConvicted(bad, 1)
	cs := s.state(0)
	if !cs.IDKGBanned[bad] || len(cs.IDKGBanned) != 1 {
		t.Fatalf("barred dealers %v, want only %d", cs.IDKGBanned, bad)
	}
	for _, j := range cs.Jobs {
		for _, d := range j.Dealers {
			if d == bad {
				t.Fatalf("open job %q holds the convicted dealer's dealing", j.ID)
			}
		}
	}
	checkComplaintRules(t, s.apps())
}

// TestSimIDKGBadShareAnswered: a dealer that encrypted a wrong opening
// but answers the complaint with the right one is not convicted (it looks
// the same as a false complaint), and the victim takes the answered
// opening.
func TestSimIDKGBadShareAnswered(t *testing.T) {
	const dealer, victim = 1, 2
	s := newSimSubnet(t, 4, subnetOptions{}, lying(dealer, faults{BadIDKGShares: true, AnswerIDKGComplaints: true}))
	s.run(200, "keys", s.keysReady)
	var detail string
	s.run(60, "victim's shares", func() bool {
		var ok bool
		ok, detail = victimHasShares(t, s.nodes[victim].app, victim, dealer)
		return ok
	})
	t.Log(detail)
	if countCommitted(t, s.nodes[victim].app, subnet.PrefixIDKGAnswer) == 0 {
		t.Fatal("no dealer answers in the state")
	}
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("answered"))
	_, r := s.sign(victim, caller, "schnorr:bip340secp256k1:dfx_test_key", h[:])
	checkSignature(t, "schnorr:bip340secp256k1:dfx_test_key", h[:], r)
	for i := range s.nodes {
		for k, v := range s.convicted(i) {
			if v > 0 {
				t.Fatalf("node %d convicted node %d", i, k)
			}
		}
	}
}

// TestSimCrashedNode: a node crashes while a request is pending; the other
// three answer it, and the node restarts from its store, replays the
// blocks it missed to the same app hashes, holds the reply and signs with
// its shares.
func TestSimCrashedNode(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	s.run(200, "keys", s.keysReady)
	s.crash(2)
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("crashed"))
	env, r := s.sign(0, caller, "ecdsa:secp256k1:dfx_test_key", h[:])
	checkSignature(t, "ecdsa:secp256k1:dfx_test_key", h[:], r)
	s.steps(3)
	s.restart(2)
	_, id, _ := env.DecodeSignContent()
	if got := s.nodes[2].app.lookupRecord(id[:]); got == nil || string(got.Signature) != string(r.Signature) {
		t.Fatalf("restarted node's record %+v", got)
	}
	_, r = s.sign(2, caller, "schnorr:ed25519:dfx_test_key", h[:])
	checkSignature(t, "schnorr:ed25519:dfx_test_key", h[:], r)
}

// TestSimCrashDuringKeyGeneration: a node crashes in the middle of the
// genesis key generation and comes back; the keys are made and it signs.
func TestSimCrashDuringKeyGeneration(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, nil)
	s.steps(2)
	s.crash(1)
	s.steps(2)
	s.restart(1)
	s.run(200, "keys", s.keysReady)
	caller, _ := ingress.GenerateEd25519()
	h := sha256.Sum256([]byte("dkg"))
	_, r := s.sign(1, caller, "ecdsa:secp256k1:test_key_1", h[:])
	checkSignature(t, "ecdsa:secp256k1:test_key_1", h[:], r)
}

// TestSimCrashBetweenFinalizeAndCommit: a node dies with a finalized but
// uncommitted height; reopened, it replays the height to the same app hash.
func TestSimCrashBetweenFinalizeAndCommit(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, lying(2, faults{CrashAfterBlock: 4}))
	s.steps(6)
	if s.nodes[2].up {
		t.Fatal("node 2 did not crash")
	}
	s.tweak = nil
	s.restart(2)
	if got := s.state(2).Height; got != 6 {
		t.Fatalf("restarted node at height %d, want 6", got)
	}
	s.steps(2)
}

// TestSimResharing: the BLS keys and the master keys are reshared every
// few heights; the root key and the derived public keys stay, and
// presignatures made before and after a resharing sign.
func TestSimResharing(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{reshareInterval: 8}, nil)
	s.run(200, "keys", s.keysReady)
	const k = "ecdsa:secp256k1:dfx_test_key"
	caller, _ := ingress.GenerateEd25519()
	root := s.nodes[0].app.keys(s.state(0)).rootKey
	_, first := s.sign(0, caller, k, make([]byte, 32))
	keyTr, certPub := string(s.state(0).KeyTr[k]), string(s.state(0).CertPub)
	s.run(60, "resharing", func() bool {
		cs := s.state(0)
		return string(cs.KeyTr[k]) != keyTr && string(cs.CertPub) != certPub && cs.BLSEpoch >= 2 && !cs.BLSResharing
	})
	s.run(60, "presignatures", s.keysReady)
	for i := range s.nodes {
		if got := s.nodes[i].app.keys(s.state(i)).rootKey; string(got) != string(root) {
			t.Fatalf("node %d: root key changed by resharing", i)
		}
	}
	h := sha256.Sum256([]byte("reshare"))
	_, r := s.sign(3, caller, k, h[:])
	checkSignature(t, k, h[:], r)
	if string(r.PublicKey) != string(first.PublicKey) {
		t.Fatal("derived public key changed by resharing")
	}
	for i := range s.nodes {
		if c := s.convicted(i); len(c) != 0 {
			t.Fatalf("node %d convicted %v", i, c)
		}
	}
}

// TestSimBitcoinComponent: Bitcoin payloads reach the canister of every
// node through the component registry: a valid payload is accepted and
// applied alike everywhere (same app hash, same /bitcoin state hash in the
// certified tree), a second payload in one block and an invalid one are
// refused, and a node restarted from disk has the canister state.
func TestSimBitcoinComponent(t *testing.T) {
	s := newSimSubnet(t, 4, subnetOptions{}, func(c *Config) { c.Bitcoin = &BitcoinConfig{Network: "regtest"} })
	s.steps(2)
	c := regtest.NewChain(time.Unix(1_700_000_000, 0))
	p1 := subnet.EncodeBitcoinPayload(&subnet.BitcoinPayload{Blocks: [][]byte{regtest.BlockBytes(c.Next(regtest.NewKey(1).Script, 50e8))}})
	p2 := subnet.EncodeBitcoinPayload(&subnet.BitcoinPayload{Blocks: [][]byte{regtest.BlockBytes(c.Next(regtest.NewKey(1).Script, 50e8))}})
	if s.accepts([][]byte{p1, p1}) {
		t.Fatal("two Bitcoin payloads in one block accepted")
	}
	if s.accepts([][]byte{p2}) {
		t.Fatal("a payload whose block does not connect accepted")
	}
	if !s.accepts([][]byte{p1}) {
		t.Fatal("valid payload refused")
	}
	before := s.nodes[0].app.btc.StateHash()
	s.extra = [][]byte{p1}
	s.steps(1)
	for _, nd := range s.nodes {
		h, tip, ok := (&Node{app: nd.app}).BitcoinStateHash()
		if !ok || h == before || h != nd.app.btc.StateHash() || tip != 1 {
			t.Fatalf("node %d: canister state hash %x (before %x), tip %d", nd.cfg.Index, h, before, tip)
		}
		var leaves []certification.PathValue
		for _, l := range nd.app.components.Leaves() {
			if string(l.Path[0]) == "bitcoin" { // not the ckBTC canisters' leaves
				leaves = append(leaves, l)
			}
		}
		if len(leaves) != 1 || string(leaves[0].Value) != string(h[:]) {
			t.Fatalf("node %d: certified Bitcoin leaves %v", nd.cfg.Index, leaves)
		}
	}
	s.extra = [][]byte{p2}
	s.steps(1)
	s.crash(3)
	s.steps(1)
	s.restart(3)
	if _, tip, _ := (&Node{app: s.nodes[3].app}).BitcoinStateHash(); tip != 2 {
		t.Fatalf("restarted node's canister at tip %d, want 2", tip)
	}
}
