package replica

import (
	"crypto/ed25519"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/replica/subnet"
)

// TestIDKGBadShareComplaint: a dealer encrypts a wrong IDKG opening to one
// honest node. The node complains in a block, the dealer does not answer
// by the deadline and is convicted, the other receivers reveal their
// openings, and the victim recovers valid shares of every transcript it
// holds; ECDSA and Schnorr signatures stay valid and nobody else is
// convicted.
func TestIDKGBadShareComplaint(t *testing.T) {
	const liar, victim = 1, 2
	ts := newTestSubnet(t, 4, func(c *Config) {
		if c.Index == liar {
			c.Faults.BadIDKGShares = true
		}
	})
	ts.waitStock(120 * time.Second)
	ts.waitConvicted(liar, 90*time.Second)

	// The victim ends with valid shares of the key and of the available
	// presignatures, among them transcripts with the liar's dealing.
	victimShares(t, ts, victim, liar)
	// The recovery went through the receivers' openings in blocks.
	if countCommitted(t, ts.nodes[victim], prefixIDKGReveal) == 0 {
		t.Fatal("no receiver openings in the state")
	}

	h := sha256.Sum256([]byte("after a bad IDKG share"))
	for _, k := range []string{"ecdsa:secp256k1:dfx_test_key", "schnorr:ed25519:dfx_test_key"} {
		res := signOne(t, ts.nodes[victim], k, h[:])
		switch k {
		case "ecdsa:secp256k1:dfx_test_key":
			pk, err := btcec.ParsePubKey(res.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			var r, s btcec.ModNScalar
			r.SetByteSlice(res.Signature[:32])
			s.SetByteSlice(res.Signature[32:])
			if !btcecdsa.NewSignature(&r, &s).Verify(h[:], pk) {
				t.Fatalf("%s: btcec rejects the signature", k)
			}
		default:
			if !ed25519.Verify(res.PublicKey, h[:], res.Signature) {
				t.Fatalf("%s: crypto/ed25519 rejects the signature", k)
			}
		}
	}
	// Only the liar is convicted (the victim's signing shares were valid).
	ts.waitConvicted(liar, 30*time.Second)
	cs, _ := ts.nodes[0].app.snapshot()
	if !cs.IDKGBanned[liar] || len(cs.IDKGBanned) != 1 {
		t.Fatalf("barred dealers %v, want only %d", cs.IDKGBanned, liar)
	}
	for _, j := range cs.Jobs {
		for _, d := range j.Dealers {
			if d == liar {
				t.Fatalf("open job %q holds the convicted dealer's dealing", j.ID)
			}
		}
	}
	checkComplaintRules(t, ts)
}

// checkComplaintRules runs complaint messages about an honest dealing
// against node 0's committed state, without writing: the checks and the
// outcomes of an answer, a wrong answer and a missed deadline.
func checkComplaintRules(t *testing.T, ts *testSubnet) {
	a := ts.nodes[0].app
	cs, _ := a.snapshot()
	var tid []byte
	var d *idkg.Dealing
	const dealer, complainer = 3, 0
	for _, k := range GenesisKeyIDs {
		if _, dd, _, _ := a.idkg.committedDealing(cs.KeyTr[k], dealer); dd != nil {
			tid, d = cs.KeyTr[k], dd
			break
		}
		for _, p := range cs.Presigs[k] {
			if _, dd, _, _ := a.idkg.committedDealing(p.Kappa, dealer); dd != nil && tid == nil {
				tid, d = p.Kappa, dd
			}
		}
	}
	if d == nil {
		t.Log("no transcript with a dealing of node 3: rules not checked")
		return
	}
	cfg, _, _, _ := a.idkg.committedDealing(tid, dealer)
	key := a.idkg.signKey
	dkey := ts.nodes[dealer].app.idkg.signKey
	body := func(env *dkg.Envelope, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		b, err := env.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	run := func(ex *exec, kind uint8, sender int, b []byte) uint32 {
		code, _ := ex.applyProtocol(&subnet.ProtocolTx{Kind: kind, Sender: uint32(sender), Body: b})
		return code
	}
	fresh := func() *exec { return a.newExec(cs.Clone(), time.Now(), true) }
	good := body(dkg.NewComplaint(key, tid, complainer, dealer, d.Hash()))
	for _, c := range []struct {
		name   string
		sender int
		body   []byte
		want   uint32
	}{
		{"valid", complainer, good, codeOK},
		{"other sender", 1, good, codeInvalid},
		{"truncated", complainer, good[:len(good)-1], codeInvalid},
		{"another dealing", complainer, body(dkg.NewComplaint(key, tid, complainer, dealer, [32]byte{1})), codeInvalid},
		{"about oneself", dealer, body(dkg.NewComplaint(dkey, tid, dealer, dealer, d.Hash())), codeInvalid},
		{"unknown transcript", complainer, body(dkg.NewComplaint(key, []byte("none"), complainer, dealer, d.Hash())), codeIgnored},
	} {
		if got := run(fresh(), protoIDKGComplaint, c.sender, c.body); got != c.want {
			t.Errorf("complaint %s: code %d, want %d", c.name, got, c.want)
		}
	}
	o, err := ts.nodes[dealer].app.idkg.dealtOpening(cfg, d, complainer)
	if err != nil {
		t.Fatal(err)
	}
	answer := body(dkg.NewOpening(dkey, tid, dealer, complainer, d.Hash(), payloadOfOpening(o)))
	other, err := ts.nodes[dealer].app.idkg.dealtOpening(cfg, d, 1)
	if err != nil {
		t.Fatal(err)
	}
	wrong := body(dkg.NewOpening(dkey, tid, dealer, complainer, d.Hash(), payloadOfOpening(other)))
	if got := run(fresh(), protoIDKGOpening, dealer, answer); got != codeIgnored {
		t.Errorf("opening with no complaint: code %d", got)
	}
	// Answered correctly: resolved, nobody convicted.
	ex := fresh()
	run(ex, protoIDKGComplaint, complainer, good)
	if got := run(ex, protoIDKGOpening, dealer, answer); got != codeOK || len(ex.cs.Complaints) != len(cs.Complaints) {
		t.Errorf("answer: code %d, %d complaints open", got, len(ex.cs.Complaints))
	}
	ex.complaintDeadlines(cs.Height + 1 + idkgAnswerBlocks)
	if ex.cs.Convicted[dealer] != cs.Convicted[dealer] {
		t.Error("a dealer that answered was convicted")
	}
	// Answered wrongly: convicted and barred.
	ex = fresh()
	run(ex, protoIDKGComplaint, complainer, good)
	if got := run(ex, protoIDKGOpening, dealer, wrong); got != codeOK || ex.cs.Convicted[dealer] != cs.Convicted[dealer]+1 || !ex.cs.IDKGBanned[dealer] {
		t.Errorf("wrong answer: code %d, convicted %d", got, ex.cs.Convicted[dealer])
	}
	// Not answered: convicted at the deadline, not before.
	ex = fresh()
	run(ex, protoIDKGComplaint, complainer, good)
	ex.complaintDeadlines(cs.Height + idkgAnswerBlocks)
	if ex.cs.Convicted[dealer] != cs.Convicted[dealer] {
		t.Error("convicted before the deadline")
	}
	ex.complaintDeadlines(cs.Height + 1 + idkgAnswerBlocks)
	if ex.cs.Convicted[dealer] != cs.Convicted[dealer]+1 || !ex.cs.Complaints[len(ex.cs.Complaints)-1].Convicted {
		t.Error("not convicted at the deadline")
	}
	// Then receivers reveal; a wrong receiver opening convicts its sender.
	mine, err := ts.nodes[1].app.idkg.dealtOpening(cfg, d, 1) // node 1 is not the dealer: no file
	if err == nil {
		mine.Zeroize()
		t.Error("a non-dealer has dealt openings")
	}
	rev := body(idkg.NewReceiverOpening(ts.nodes[1].app.idkg.signKey, d, 1, other))
	if got := run(ex, protoIDKGReceiverOpening, 1, rev); got != codeOK {
		t.Errorf("receiver opening: code %d", got)
	}
	lie := body(idkg.NewReceiverOpening(ts.nodes[2].app.idkg.signKey, d, 2, other))
	if got := run(ex, protoIDKGReceiverOpening, 2, lie); got != codeOK || ex.cs.Convicted[2] != cs.Convicted[2]+1 {
		t.Errorf("wrong receiver opening: code %d, convicted %d", got, ex.cs.Convicted[2])
	}
	o.Zeroize()
	other.Zeroize()
	t.Logf("complaint rules checked on %q", tid)
}

// victimShares waits until node victim holds valid shares of the key and
// presignature transcripts, at least one of them with a dealing of dealer.
func victimShares(t *testing.T, ts *testSubnet, victim, dealer int) {
	t.Helper()
	s := ts.nodes[victim].app.idkg
	deadline := time.Now().Add(60 * time.Second)
	for {
		withDealer, bad := 0, ""
		cs, _ := ts.nodes[victim].app.snapshot()
		var ids [][]byte
		for _, k := range GenesisKeyIDs {
			ids = append(ids, cs.KeyTr[k])
			for _, p := range cs.Presigs[k] {
				ids = append(ids, p.Kappa, p.Lambda, p.KappaLambda, p.KeyLambda)
			}
		}
		for _, id := range ids {
			if id == nil {
				continue
			}
			tr, err := s.transcript(id)
			if err != nil {
				t.Fatal(err)
			}
			o, err := s.opening(id)
			if err != nil {
				bad = err.Error()
				continue
			}
			if err := tr.VerifyOpening(victim, o); err != nil {
				t.Fatalf("victim's share of %q: %v", id, err)
			}
			if _, d, _, _ := s.committedDealing(id, uint32(dealer)); d != nil {
				withDealer++
			}
		}
		if bad == "" && withDealer > 0 {
			t.Logf("victim holds valid shares of %d transcripts, %d with the bad dealer's dealing", len(ids), withDealer)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("victim lacks shares (%d transcripts with the bad dealer's dealing): %s", withDealer, bad)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func countCommitted(t *testing.T, nd *Node, prefix string) int {
	t.Helper()
	n := 0
	if err := nd.app.st.scanCommitted([]byte(prefix), func(k, v []byte) bool {
		n++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIDKGBadShareAnswered: a dealer that encrypted a wrong opening but
// answers the complaint with the right one is not convicted (it looks the
// same as a false complaint), and the victim takes the answered opening.
func TestIDKGBadShareAnswered(t *testing.T) {
	const dealer, victim = 1, 2
	ts := newTestSubnet(t, 4, func(c *Config) {
		if c.Index == dealer {
			c.Faults.BadIDKGShares = true
			c.Faults.AnswerIDKGComplaints = true
		}
	})
	ts.waitStock(120 * time.Second)
	victimShares(t, ts, victim, dealer)
	if countCommitted(t, ts.nodes[victim], prefixIDKGAnswer) == 0 {
		t.Fatal("no dealer answers in the state")
	}
	h := sha256.Sum256([]byte("answered"))
	signOne(t, ts.nodes[victim], "schnorr:bip340secp256k1:dfx_test_key", h[:])
	for i, nd := range ts.nodes {
		cs, _ := nd.app.snapshot()
		for k, v := range cs.Convicted {
			if v > 0 {
				t.Fatalf("node %d convicted node %d", i, k)
			}
		}
	}
}
