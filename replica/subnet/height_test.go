package subnet

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// fakeHeight is a HeightEnd over an overlay that logs the node's steps.
type fakeHeight struct {
	*Overlay
	steps   []string
	plan    *KeyPlan
	dkgErr  error
	rootErr error
}

func (f *fakeHeight) DropRecord(id []byte) { f.steps = append(f.steps, "drop "+string(id)) }
func (f *fakeHeight) DropPresignature(p *PendingRequest) {
	f.steps = append(f.steps, fmt.Sprintf("presig %d", p.PresigRec.ID))
}
func (f *fakeHeight) FinishDKG(h uint64) error {
	f.steps = append(f.steps, fmt.Sprintf("dkg %d", h))
	return f.dkgErr
}
func (f *fakeHeight) KeyPlan() (KeyPlan, bool) {
	if f.plan == nil {
		return KeyPlan{}, false
	}
	return *f.plan, true
}
func (f *fakeHeight) IDKGConvicted(c Complaint) {
	f.steps = append(f.steps, fmt.Sprintf("convicted %d", c.Dealer))
}
func (f *fakeHeight) CertifiedRoot(cs *State) ([32]byte, error) {
	f.steps = append(f.steps, fmt.Sprintf("tree %d jobs", len(cs.Jobs)))
	return [32]byte{byte(cs.Height)}, f.rootErr
}

func TestEndHeight(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		plan    *KeyPlan
		dkgErr  error
		rootErr error
		steps   string
		err     error
	}{
		{"no IDKG", nil, nil, nil, "dkg 7, tree 0 jobs", nil},
		{"IDKG keys", &KeyPlan{ChainID: "c", N: 4, KeyIDs: []string{"schnorr:bip340:k"}}, nil, nil,
			"dkg 7, convicted 2, tree 1 jobs", nil},
		{"key generation fails", nil, boom, nil, "dkg 7", boom},
		{"tree fails", nil, nil, boom, "dkg 7, tree 0 jobs", boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := NewMemStorage()
			w := NewOverlay(st)
			w.Set(TranscriptKey([]byte("tr")), []byte{0xa0})
			st.Apply(w)
			f := &fakeHeight{Overlay: NewOverlay(st), plan: tc.plan, dkgErr: tc.dkgErr, rootErr: tc.rootErr}
			cs := &State{Height: 6, AppHash: []byte("prev"), Convicted: map[uint32]uint64{},
				Complaints: []Complaint{{Transcript: []byte("tr"), Dealer: 2, Complainer: 1, Deadline: 7}}}
			err := EndHeight(cs, 7, 1234, map[string]bool{}, f)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if got := strings.Join(f.steps, ", "); got != tc.steps {
				t.Fatalf("steps %q, want %q", got, tc.steps)
			}
			if cs.Height != 7 || cs.TimeNS != 1234 {
				t.Fatalf("height %d time %d", cs.Height, cs.TimeNS)
			}
			if err != nil {
				return
			}
			want, err := AppHash([]byte("prev"), 7, f.WritesDigest(), cs, [32]byte{7})
			if err != nil || !bytes.Equal(cs.AppHash, want) {
				t.Fatalf("app hash %x, want %x (%v)", cs.AppHash, want, err)
			}
		})
	}
}
