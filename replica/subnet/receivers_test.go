package subnet

import (
	"testing"

	"github.com/chainkey/chainkey/idkg"
)

type sizedDealings struct {
	IDKGDealings
	genesis int
	asked   []int
}

func (s *sizedDealings) ConfigN(keyID string, n int) (*idkg.Config, error) {
	s.asked = append(s.asked, n)
	return nil, nil
}
func (s *sizedDealings) GenesisSize() int { return s.genesis }

// A RoleReshareNext job is dealt to the next committee; every other job
// to the current one; a transcript records its receivers unless they are
// the genesis size.
func TestJobReceivers(t *testing.T) {
	cs := &State{}
	p := KeyPlan{N: 4}
	next := &Job{Role: RoleReshareNext, KeyID: "k"}
	other := &Job{Role: RoleKappa, KeyID: "k"}
	if JobReceivers(cs, p, next) != 4 || JobReceivers(cs, p, other) != 4 {
		t.Fatal("no change pending: the current committee receives")
	}
	cs.NextMembers = make([]NodeRecord, 5)
	if JobReceivers(cs, p, next) != 5 || JobReceivers(cs, p, other) != 4 {
		t.Fatal("4 -> 5 pending: the resharing to the next committee has 5 receivers")
	}
	ds := &sizedDealings{genesis: 4}
	if _, n, err := jobConfig(ds, cs, p, next); err != nil || n != 5 || ds.asked[0] != 5 {
		t.Fatalf("job config: %d, %v, %v", n, err, ds.asked)
	}
	var rec TranscriptRec
	recordReceivers(ds, &rec, 4)
	if rec.Receivers != 0 || RecReceivers(&rec, 4) != 4 {
		t.Fatalf("genesis size recorded as %d", rec.Receivers)
	}
	recordReceivers(ds, &rec, 5)
	if rec.Receivers != 5 || RecReceivers(&rec, 4) != 5 {
		t.Fatalf("5 receivers recorded as %d", rec.Receivers)
	}
	// Dealings without sized configurations refuse another size.
	if _, _, err := jobConfig(struct{ IDKGDealings }{}, cs, p, next); err == nil {
		t.Fatal("a fixed-size configuration used for 5 receivers")
	}
}
