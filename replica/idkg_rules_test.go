package replica

import (
	"fmt"
	"testing"
	"time"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/replica/subnet"
)

// checkComplaintRules runs complaint messages about an honest dealing
// against node 0's committed state, without writing: the checks and the
// outcomes of an answer, a wrong answer and a missed deadline.
func checkComplaintRules(t *testing.T, apps []*app) {
	a := apps[0]
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
	dkey := apps[dealer].idkg.signKey
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
		if got := run(fresh(), subnet.ProtoIDKGComplaint, c.sender, c.body); got != c.want {
			t.Errorf("complaint %s: code %d, want %d", c.name, got, c.want)
		}
	}
	o, err := apps[dealer].idkg.dealtOpening(cfg, d, complainer)
	if err != nil {
		t.Fatal(err)
	}
	answer := body(dkg.NewOpening(dkey, tid, dealer, complainer, d.Hash(), payloadOfOpening(o)))
	other, err := apps[dealer].idkg.dealtOpening(cfg, d, 1)
	if err != nil {
		t.Fatal(err)
	}
	wrong := body(dkg.NewOpening(dkey, tid, dealer, complainer, d.Hash(), payloadOfOpening(other)))
	if got := run(fresh(), subnet.ProtoIDKGOpening, dealer, answer); got != codeIgnored {
		t.Errorf("opening with no complaint: code %d", got)
	}
	// Answered correctly: resolved, nobody convicted.
	ex := fresh()
	run(ex, subnet.ProtoIDKGComplaint, complainer, good)
	if got := run(ex, subnet.ProtoIDKGOpening, dealer, answer); got != codeOK || len(ex.cs.Complaints) != len(cs.Complaints) {
		t.Errorf("answer: code %d, %d complaints open", got, len(ex.cs.Complaints))
	}
	ex.complaintDeadlines(cs.Height + 1 + subnet.IDKGAnswerBlocks)
	if ex.cs.Convicted[dealer] != cs.Convicted[dealer] {
		t.Error("a dealer that answered was convicted")
	}
	// Answered wrongly: convicted and barred.
	ex = fresh()
	run(ex, subnet.ProtoIDKGComplaint, complainer, good)
	if got := run(ex, subnet.ProtoIDKGOpening, dealer, wrong); got != codeOK || ex.cs.Convicted[dealer] != cs.Convicted[dealer]+1 || !ex.cs.IDKGBanned[dealer] {
		t.Errorf("wrong answer: code %d, convicted %d", got, ex.cs.Convicted[dealer])
	}
	// Not answered: convicted at the deadline, not before.
	ex = fresh()
	run(ex, subnet.ProtoIDKGComplaint, complainer, good)
	ex.complaintDeadlines(cs.Height + subnet.IDKGAnswerBlocks)
	if ex.cs.Convicted[dealer] != cs.Convicted[dealer] {
		t.Error("convicted before the deadline")
	}
	ex.complaintDeadlines(cs.Height + 1 + subnet.IDKGAnswerBlocks)
	if ex.cs.Convicted[dealer] != cs.Convicted[dealer]+1 || !ex.cs.Complaints[len(ex.cs.Complaints)-1].Convicted {
		t.Error("not convicted at the deadline")
	}
	// Then receivers reveal; a wrong receiver opening convicts its sender.
	mine, err := apps[1].idkg.dealtOpening(cfg, d, 1) // node 1 is not the dealer: no file
	if err == nil {
		mine.Zeroize()
		t.Error("a non-dealer has dealt openings")
	}
	rev := body(idkg.NewReceiverOpening(apps[1].idkg.signKey, d, 1, other))
	if got := run(ex, subnet.ProtoIDKGReceiverOpening, 1, rev); got != codeOK {
		t.Errorf("receiver opening: code %d", got)
	}
	lie := body(idkg.NewReceiverOpening(apps[2].idkg.signKey, d, 2, other))
	if got := run(ex, subnet.ProtoIDKGReceiverOpening, 2, lie); got != codeOK || ex.cs.Convicted[2] != cs.Convicted[2]+1 {
		t.Errorf("wrong receiver opening: code %d, convicted %d", got, ex.cs.Convicted[2])
	}
	o.Zeroize()
	other.Zeroize()
	t.Logf("complaint rules checked on %q", tid)
}

// victimHasShares reports whether node victim holds valid shares of the
// key and presignature transcripts, at least one of them with a dealing of
// dealer; detail says what is missing. A share that does not verify fails
// the test.
func victimHasShares(t testing.TB, a *app, victim, dealer int) (ok bool, detail string) {
	t.Helper()
	s := a.idkg
	withDealer, bad := 0, ""
	cs, _ := a.committed()
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
	return bad == "" && withDealer > 0, fmt.Sprintf("%d of %d transcripts with the bad dealer's dealing; %s", withDealer, len(ids), bad)
}

func countCommitted(t testing.TB, a *app, prefix string) int {
	t.Helper()
	n := 0
	if err := a.st.scanCommitted([]byte(prefix), func(k, v []byte) bool {
		n++
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return n
}
