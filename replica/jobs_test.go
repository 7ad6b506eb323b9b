package replica

import (
	"slices"
	"testing"
	"time"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/replica/subnet"
)

// TestChosenDealers checks who is asked to deal for a presignature
// transcript: as many nodes as it needs, taken in turn from the nodes in
// the last commit that are not barred; every node when too few are left,
// for master keys, and once the job has waited subnet.OpenToAll heights.
func TestChosenDealers(t *testing.T) {
	a := &app{chainID: "c", genRecs: make([]subnet.NodeRecord, 7), idkg: &idkgState{}} // f = 2
	run := func(live []uint32, banned map[uint32]bool, kind idkg.Kind, presig uint64) subnet.Job {
		ex := a.newExec(&subnet.State{Height: 10, Live: live, IDKGBanned: banned}, time.Now(), true)
		ex.newJob("k", subnet.RoleKappa, kind, nil, nil, presig)
		return ex.cs.Jobs[0]
	}
	all := []uint32{0, 1, 2, 3, 4, 5, 6}
	if j := run(all, nil, idkg.Random, 1); len(j.Chosen) != 3 {
		t.Errorf("random transcript, n = 7: %v chosen, want f+1 = 3", j.Chosen)
	}
	if j := run(all, nil, idkg.UnmaskedTimesMasked, 1); len(j.Chosen) != 5 {
		t.Errorf("product transcript, n = 7: %v chosen, want 2f+1 = 5", j.Chosen)
	}
	j := run([]uint32{0, 2, 3, 5, 6}, map[uint32]bool{5: true}, idkg.Random, 1)
	for _, c := range j.Chosen {
		if c == 1 || c == 4 || c == 5 {
			t.Errorf("chosen %v include a node missing from the commit or barred", j.Chosen)
		}
	}
	if len(j.Chosen) != 3 || !slices.IsSorted(j.Chosen) {
		t.Errorf("chosen %v", j.Chosen)
	}
	if j := run([]uint32{0, 2, 3, 6}, map[uint32]bool{6: true}, idkg.UnmaskedTimesMasked, 1); j.Chosen != nil {
		t.Errorf("3 usable nodes for a product needing 5: chosen %v, want everyone", j.Chosen)
	}
	if j := run(all, nil, idkg.Random, 0); j.Chosen != nil {
		t.Errorf("master key transcript: chosen %v, want everyone", j.Chosen)
	}
	if j := run(nil, nil, idkg.Random, 1); j.Chosen != nil {
		t.Errorf("no commit yet: chosen %v, want everyone", j.Chosen)
	}
	// Successive jobs take turns.
	ex := a.newExec(&subnet.State{Height: 10, Live: all}, time.Now(), true)
	for range 7 {
		ex.newJob("k", subnet.RoleKappa, idkg.Random, nil, nil, 1)
	}
	dealt := map[uint32]int{}
	for _, j := range ex.cs.Jobs {
		for _, c := range j.Chosen {
			dealt[c]++
		}
	}
	for i := range uint32(7) {
		if dealt[i] != 3 {
			t.Errorf("node %d chosen for %d of 7 jobs, want 3", i, dealt[i])
		}
	}
	// mayDeal: chosen nodes at once, the others after subnet.OpenToAll heights.
	j = ex.cs.Jobs[0]
	other := uint32(0)
	for slices.Contains(j.Chosen, other) {
		other++
	}
	if !j.MayDeal(j.Chosen[0], j.Opened) || j.MayDeal(other, j.Opened+subnet.OpenToAll-1) || !j.MayDeal(other, j.Opened+subnet.OpenToAll) {
		t.Error("mayDeal does not follow the chosen set and the wait")
	}
}

// TestForgetBounded checks that forgotten transcripts are remembered up to
// maxForgotten, oldest dropped first.
func TestForgetBounded(t *testing.T) {
	s := &idkgState{openings: map[string]*idkg.Opening{}, forgotten: map[string]bool{}}
	id := func(i int) []byte { return []byte{byte(i >> 16), byte(i >> 8), byte(i)} }
	for i := range maxForgotten + 10 {
		s.forget(id(i))
		s.forget(id(i)) // twice: counted once
	}
	if len(s.forgotten) != maxForgotten {
		t.Fatalf("%d remembered, want %d", len(s.forgotten), maxForgotten)
	}
	if s.forgotten[string(id(9))] || !s.forgotten[string(id(10))] || !s.forgotten[string(id(maxForgotten+9))] {
		t.Fatal("not the newest maxForgotten remembered")
	}
}
