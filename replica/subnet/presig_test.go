package subnet

import "testing"

func TestAssignPresignatures(t *testing.T) {
	cs := &State{Beacon: []byte("beacon"),
		Pending: []PendingRequest{
			{ID: []byte("a"), Height: 3, KeyID: "k"},
			{ID: []byte("b"), Height: 4, KeyID: "k"},
			{ID: []byte("c"), Height: 3, KeyID: "none"},
			{ID: []byte("d"), Height: 5, KeyID: "k"},
		},
		Presigs: map[string][]PresigRec{"k": {{ID: 7, KeyID: "k"}, {ID: 8, KeyID: "k"}, {ID: 9, KeyID: "k"}}},
	}
	AssignPresignatures(cs, 5)
	// Requests of heights below 5 with stock get the oldest presignatures
	// in order; the one of height 5 and the one without stock wait.
	want := map[string]uint64{"a": 7, "b": 8}
	for _, p := range cs.Pending {
		if w, ok := want[string(p.ID)]; ok != (p.Randomness != nil) || p.Presig != w || (ok && p.PresigRec.ID != w) {
			t.Fatalf("request %s: presignature %d, randomness %x", p.ID, p.Presig, p.Randomness)
		}
	}
	if len(cs.Presigs["k"]) != 1 || cs.Presigs["k"][0].ID != 9 {
		t.Fatalf("stock left %v", cs.Presigs["k"])
	}
	if string(cs.Pending[0].Randomness) == string(cs.Pending[1].Randomness) {
		t.Fatal("two requests share their randomness")
	}
	// Assigned once: a later height changes nothing for them.
	a := cs.Pending[0]
	AssignPresignatures(cs, 6)
	if cs.Pending[0].Presig != a.Presig || string(cs.Pending[0].Randomness) != string(a.Randomness) || cs.Pending[3].Presig != 9 {
		t.Fatal("reassigned or not assigned")
	}
}
