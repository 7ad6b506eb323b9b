package subnet

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/idkg"
)

// TestIDKGKeyLayout pins the IDKG state keys: resumed subnets read them.
func TestIDKGKeyLayout(t *testing.T) {
	for _, c := range []struct{ got, want []byte }{
		{TranscriptKey([]byte("c/k/1/2")), []byte("t/c/k/1/2")},
		{DealingKey([]byte("c/k/1/2"), 3), append([]byte("d/c/k/1/2/"), 0, 0, 0, 3)},
		{IDKGPairKey(PrefixIDKGCompl, []byte("x"), 1, 2), append([]byte("ic/x/"), 0, 0, 0, 1, 0, 0, 0, 2)},
	} {
		if hex.EncodeToString(c.got) != hex.EncodeToString(c.want) {
			t.Errorf("key %q, want %q", c.got, c.want)
		}
	}
	if b, err := Marshal(TranscriptRec{KeyID: "k", Kind: 1, Dealings: [][]byte{{7}}}); err != nil || hex.EncodeToString(b) != "a301616b020105814107" {
		t.Errorf("transcript record %x %v", b, err)
	}
}

func TestScheduleKeys(t *testing.T) {
	plan := KeyPlan{ChainID: "c", N: 4, KeyIDs: []string{"ecdsa:k", "schnorr:bip340:k"}, PresignatureTarget: 2, ReshareInterval: 10}
	ready := map[string][]byte{"ecdsa:k": []byte("kx"), "schnorr:bip340:k": []byte("ks")}
	tests := []struct {
		name string
		cs   State
		want string // roles of the new jobs, in order
	}{
		{"genesis", State{Height: 1}, "ecdsa:k/1 schnorr:bip340:k/1"},
		{"started, no key yet", State{Height: 2, KeysStarted: true}, ""},
		{"keys ready: presignatures up to the target", State{Height: 3, KeysStarted: true, KeyTr: ready},
			"ecdsa:k/3 ecdsa:k/4 ecdsa:k/3 ecdsa:k/4 schnorr:bip340:k/7 schnorr:bip340:k/7"},
		{"stock full", State{Height: 3, KeysStarted: true, KeyTr: ready,
			Presigs: map[string][]PresigRec{"ecdsa:k": {{}, {}}, "schnorr:bip340:k": {{}, {}}}}, ""},
		{"resharing due", State{Height: 20, KeysStarted: true, KeyTr: ready,
			Presigs: map[string][]PresigRec{"ecdsa:k": {{}, {}}, "schnorr:bip340:k": {{}, {}}}},
			"ecdsa:k/8 schnorr:bip340:k/8"},
		{"resharing already running", State{Height: 20, KeysStarted: true, KeyTr: ready,
			Jobs:    []Job{{KeyID: "ecdsa:k", Role: RoleReshare}},
			Presigs: map[string][]PresigRec{"ecdsa:k": {{}, {}}, "schnorr:bip340:k": {{}, {}}}},
			"schnorr:bip340:k/8"},
		{"waiting requests raise the stock", State{Height: 3, KeysStarted: true, KeyTr: ready,
			Pending: []PendingRequest{{KeyID: "schnorr:bip340:k"}},
			Presigs: map[string][]PresigRec{"ecdsa:k": {{}, {}}, "schnorr:bip340:k": {{}, {}}}},
			"schnorr:bip340:k/7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := tc.cs
			before := len(cs.Jobs)
			ScheduleKeys(&cs, plan)
			got := ""
			for _, j := range cs.Jobs[before:] {
				if got != "" {
					got += " "
				}
				got += fmt.Sprintf("%s/%d", j.KeyID, j.Role)
				if j.Opened != cs.Height || !bytes.HasPrefix(j.ID, []byte("c/"+j.KeyID+"/")) || !bytes.HasSuffix(j.ID, []byte(fmt.Sprintf("/%d", j.Role))) {
					t.Fatalf("job %+v", j)
				}
			}
			if got != tc.want {
				t.Fatalf("new jobs %q, want %q", got, tc.want)
			}
			if !cs.KeysStarted {
				t.Fatal("keys not started")
			}
		})
	}
}

func TestCompleteJob(t *testing.T) {
	plan := KeyPlan{ChainID: "c", N: 4}
	bad := errors.New("public key changed")
	tests := []struct {
		name     string
		cs       State
		job      Job
		reshare  error
		event    int
		err      bool
		newRoles string
		check    func(*State) bool
	}{
		{name: "masked key is reshared unmasked", job: Job{ID: []byte("m"), KeyID: "ecdsa:k", Role: RoleKeyMasked},
			newRoles: "2", check: func(cs *State) bool { return string(cs.Jobs[0].Input) == "m" }},
		{name: "key ready", job: Job{ID: []byte("x"), KeyID: "ecdsa:k", Role: RoleKey}, event: KeyReady,
			check: func(cs *State) bool { return string(cs.KeyTr["ecdsa:k"]) == "x" }},
		{name: "resharing keeps the key", cs: State{KeyTr: map[string][]byte{"ecdsa:k": []byte("x")}},
			job: Job{ID: []byte("y"), KeyID: "ecdsa:k", Role: RoleReshare}, event: KeyReshared,
			check: func(cs *State) bool { return string(cs.KeyTr["ecdsa:k"]) == "y" }},
		{name: "resharing that changed the key", cs: State{KeyTr: map[string][]byte{"ecdsa:k": []byte("x")}},
			job: Job{ID: []byte("y"), KeyID: "ecdsa:k", Role: RoleReshare}, reshare: bad, err: true,
			check: func(cs *State) bool { return string(cs.KeyTr["ecdsa:k"]) == "x" }},
		{name: "κ and λ open the products", cs: State{KeyTr: map[string][]byte{"ecdsa:k": []byte("x")},
			Building: []PresigRec{{ID: 5, KeyID: "ecdsa:k", Kappa: []byte("κ")}}},
			job: Job{ID: []byte("λ"), KeyID: "ecdsa:k", Role: RoleLambda, Presig: 5}, newRoles: "5 6",
			check: func(cs *State) bool { return string(cs.Building[0].KeyTr) == "x" && string(cs.Jobs[1].Input) == "x" }},
		{name: "ECDSA presignature complete", cs: State{Building: []PresigRec{{ID: 5, KeyID: "ecdsa:k", KappaLambda: []byte("a")}}},
			job:   Job{ID: []byte("b"), KeyID: "ecdsa:k", Role: RoleKeyLambda, Presig: 5},
			check: func(cs *State) bool { return len(cs.Building) == 0 && len(cs.Presigs["ecdsa:k"]) == 1 }},
		{name: "Schnorr presignature complete", cs: State{Building: []PresigRec{{ID: 1, KeyID: "schnorr:bip340:k"}}},
			job: Job{ID: []byte("n"), KeyID: "schnorr:bip340:k", Role: RoleNonce, Presig: 1},
			check: func(cs *State) bool {
				return len(cs.Building) == 0 && string(cs.Presigs["schnorr:bip340:k"][0].Kappa) == "n"
			}},
		{name: "presignature no longer built", job: Job{ID: []byte("n"), KeyID: "schnorr:bip340:k", Role: RoleNonce, Presig: 9},
			check: func(cs *State) bool { return len(cs.Presigs) == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := tc.cs
			ev, err := CompleteJob(&cs, plan, tc.job, func() error {
				if tc.job.Role != RoleReshare {
					t.Fatal("public key checked for another role")
				}
				return tc.reshare
			})
			if (err != nil) != tc.err || ev != tc.event {
				t.Fatalf("event %d, %v", ev, err)
			}
			roles := ""
			for _, j := range cs.Jobs {
				if roles != "" {
					roles += " "
				}
				roles += fmt.Sprint(j.Role)
			}
			if roles != tc.newRoles {
				t.Fatalf("new jobs %q, want %q", roles, tc.newRoles)
			}
			if tc.check != nil && !tc.check(&cs) {
				t.Fatalf("state %+v", cs)
			}
		})
	}
	// The products of an ECDSA presignature deal from 2f+1 chosen nodes.
	cs := State{Live: []uint32{0, 1, 2, 3}, KeyTr: map[string][]byte{"ecdsa:k": []byte("x")},
		Building: []PresigRec{{ID: 5, KeyID: "ecdsa:k", Kappa: []byte("κ")}}}
	CompleteJob(&cs, plan, Job{ID: []byte("λ"), KeyID: "ecdsa:k", Role: RoleLambda, Presig: 5}, nil)
	if len(cs.Jobs) != 2 || len(cs.Jobs[0].Chosen) != 3 || cs.Jobs[0].Kind != uint8(idkg.UnmaskedTimesMasked) {
		t.Fatalf("product jobs %+v", cs.Jobs)
	}
}

func TestComplaintDeadlines(t *testing.T) {
	tid := []byte("c/k/1/3")
	complaint := func(dealer, complainer uint32, deadline uint64, convicted bool) Complaint {
		return Complaint{Transcript: tid, Dealer: dealer, Complainer: complainer, Deadline: deadline, Convicted: convicted}
	}
	tests := []struct {
		name      string
		open      []Complaint
		final     bool // the transcript is still in the state
		height    uint64
		convicted []uint32
		left      int
	}{
		{"before the deadline", []Complaint{complaint(2, 0, 10, false)}, true, 9, nil, 1},
		{"at the deadline", []Complaint{complaint(2, 0, 10, false)}, true, 10, []uint32{2}, 1},
		{"two complaints, one conviction", []Complaint{complaint(2, 0, 10, false), complaint(2, 1, 10, false)}, true, 10, []uint32{2}, 2},
		{"already convicted", []Complaint{complaint(2, 0, 10, true)}, true, 10, nil, 1},
		{"transcript gone", []Complaint{complaint(2, 0, 10, false)}, false, 10, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := NewMemStorage()
			w := NewOverlay(st)
			if tc.final {
				w.Set(TranscriptKey(tid), []byte{0xa0})
			}
			w.Set(IDKGPairKey(PrefixIDKGCompl, tid, 2, 0), []byte("complaint"))
			w.Set(DealingKey([]byte("open"), 2), []byte("dealing"))
			cs := State{Complaints: append([]Complaint(nil), tc.open...), Convicted: map[uint32]uint64{},
				Jobs: []Job{{ID: []byte("open"), Dealers: []uint32{1, 2}}}}
			var got []uint32
			ComplaintDeadlines(&cs, w, w, map[string]bool{}, 4, tc.height, func(c Complaint) { got = append(got, c.Dealer) })
			if fmt.Sprint(got) != fmt.Sprint(tc.convicted) || len(cs.Complaints) != tc.left {
				t.Fatalf("convicted %v, %d complaints left", got, len(cs.Complaints))
			}
			if len(got) == 0 {
				return
			}
			if cs.Convicted[2] != 1 || !cs.IDKGBanned[2] || !cs.Complaints[0].Convicted || !DealingConvicted(&cs, tid, 2) {
				t.Fatalf("conviction not in the state: %+v", cs)
			}
			if fmt.Sprint(cs.Jobs[0].Dealers) != "[1]" {
				t.Fatalf("open job keeps the convicted dealer: %v", cs.Jobs[0].Dealers)
			}
			if _, ok, _ := w.Get(DealingKey([]byte("open"), 2)); ok {
				t.Fatal("convicted dealer's dealing kept")
			}
			// The evidence is the complaint, recorded once.
			if ConvictIDKGDealer(&cs, w, w, map[string]bool{}, tid, 2, nil) || cs.Convicted[2] != 1 {
				t.Fatal("convicted twice")
			}
		})
	}
}
