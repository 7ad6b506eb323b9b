package subnet

import (
	"bytes"
	"errors"
	"testing"
)

// fakeShares is a stand-in share scheme: node i's share on msg is
// "share" ‖ i ‖ msg; any two good shares combine to sigOf(pub, msg).
type fakeShares struct{ fakeVerifier }

func shareOf(i int, msg []byte) []byte { return append([]byte{'s', byte(i)}, msg...) }

func (fakeShares) VerifyShare(pub []byte, i int, msg, share []byte) error {
	if !bytes.Equal(share, shareOf(i, msg)) {
		return errors.New("bad share")
	}
	return nil
}

func (f fakeShares) BatchVerifyShares(pub, msg []byte, shares map[int][]byte) ([]int, error) {
	var bad []int
	for i, s := range shares {
		if f.VerifyShare(pub, i, msg, s) != nil {
			bad = append(bad, i)
		}
	}
	if bad != nil {
		return bad, errors.New("bad shares")
	}
	return nil, nil
}

func (f fakeShares) CombineVerified(pub, msg []byte, shares map[int][]byte) ([]byte, []int, error) {
	if len(shares) < 2 {
		return nil, nil, errors.New("too few shares")
	}
	return sigOf(pub, msg), nil, nil
}

func TestCombineCertAndBeacon(t *testing.T) {
	certPub, beaconPub := []byte("cert"), []byte("beacon")
	base := NewMemStorage()
	o := NewOverlay(base)
	roots := map[uint64][32]byte{4: {4}, 5: {5}}
	for h, r := range roots {
		RecordRoot(o, h, r)
	}
	base.Apply(o)
	cs := &State{Height: 5, LastCertified: 3, BeaconRound: 9, Beacon: []byte("prev")}
	certShare := func(i int, h uint64) []byte { r := roots[h]; return shareOf(i, CertMessage(r[:])) }
	beaconShare := func(i int) []byte { return shareOf(i, BeaconMessage("chain", 10, cs.Beacon)) }
	for _, c := range []struct {
		name       string
		votes      []ExtVote
		certHeight uint64 // 0: no certification
		beacon     bool
		bad        []int
	}{
		{"all good", []ExtVote{
			{0, &VoteExt{CertHeight: 5, CertShare: certShare(0, 5), BeaconRound: 10, BeaconShare: beaconShare(0)}},
			{1, &VoteExt{CertHeight: 5, CertShare: certShare(1, 5), BeaconRound: 10, BeaconShare: beaconShare(1)}},
		}, 5, true, nil},
		{"a liar is caught though enough others are good", []ExtVote{
			{0, &VoteExt{CertHeight: 5, CertShare: certShare(0, 5), BeaconRound: 10, BeaconShare: beaconShare(0)}},
			{1, &VoteExt{CertHeight: 5, CertShare: certShare(1, 5), BeaconRound: 10, BeaconShare: beaconShare(1)}},
			{2, &VoteExt{CertHeight: 5, CertShare: certShare(3, 5), BeaconRound: 10, BeaconShare: beaconShare(3)}},
		}, 5, true, []int{2}},
		{"too few for the latest height, enough for the one before", []ExtVote{
			{0, &VoteExt{CertHeight: 5, CertShare: certShare(0, 5)}},
			{1, &VoteExt{CertHeight: 4, CertShare: certShare(1, 4)}},
			{2, &VoteExt{CertHeight: 4, CertShare: certShare(2, 4)}},
		}, 4, false, nil},
		{"already certified, other epoch, wrong round", []ExtVote{
			{0, &VoteExt{CertHeight: 3, CertShare: certShare(0, 5), BeaconRound: 9, BeaconShare: beaconShare(0)}},
			{1, &VoteExt{CertHeight: 5, CertShare: certShare(1, 5), KeyEpoch: 1, BeaconRound: 10, BeaconShare: beaconShare(1)}},
		}, 0, false, nil},
	} {
		bad := map[int]bool{}
		ct := CombineCert(cs, base, fakeShares{}, certPub, c.votes, bad)
		bt := CombineBeacon(cs, fakeShares{}, "chain", beaconPub, c.votes, bad)
		switch {
		case c.certHeight == 0 && ct != nil, c.certHeight != 0 && (ct == nil || ct.Height != c.certHeight):
			t.Errorf("%s: certification %+v", c.name, ct)
		case c.beacon != (bt != nil):
			t.Errorf("%s: beacon %+v", c.name, bt)
		case len(bad) != len(c.bad):
			t.Errorf("%s: bad %v, want %v", c.name, bad, c.bad)
		}
		for _, i := range c.bad {
			if !bad[i] {
				t.Errorf("%s: node %d not marked bad", c.name, i)
			}
		}
		// What is combined applies.
		if ct != nil {
			if err := ApplyCert(cs.Clone(), base, NewOverlay(base), fakeVerifier{}, certPub, ct); err != nil {
				t.Errorf("%s: combined certification does not apply: %v", c.name, err)
			}
		}
		if bt != nil {
			if err := ApplyBeacon(cs.Clone(), NewOverlay(base), fakeVerifier{}, "chain", beaconPub, bt); err != nil {
				t.Errorf("%s: combined beacon does not apply: %v", c.name, err)
			}
		}
	}
	if CombineCert(cs, base, fakeShares{}, nil, []ExtVote{{0, &VoteExt{CertHeight: 5, CertShare: certShare(0, 5)}}, {1, &VoteExt{CertHeight: 5, CertShare: certShare(1, 5)}}}, map[int]bool{}) != nil {
		t.Error("certification combined before the keys exist")
	}
}

func TestBadBLSShare(t *testing.T) {
	certPub, beaconPub := []byte("cert"), []byte("beacon")
	base := NewMemStorage()
	o := NewOverlay(base)
	RecordRoot(o, 4, [32]byte{4})
	o.Set(HeightKey(PrefixBeacon, 6), []byte("six"))
	base.Apply(o)
	cs := &State{Height: 5, BeaconRound: 7}
	root := [32]byte{4}
	for _, c := range []struct {
		name string
		ext  *VoteExt
		bad  bool
	}{
		{"good shares", &VoteExt{CertHeight: 4, CertShare: shareOf(1, CertMessage(root[:])), BeaconRound: 7, BeaconShare: shareOf(1, BeaconMessage("chain", 7, []byte("six")))}, false},
		{"bad certification share", &VoteExt{CertHeight: 4, CertShare: shareOf(2, CertMessage(root[:]))}, true},
		{"bad beacon share", &VoteExt{BeaconRound: 7, BeaconShare: shareOf(1, BeaconMessage("chain", 7, []byte("five")))}, true},
		{"bad first beacon share", &VoteExt{BeaconRound: 1, BeaconShare: shareOf(1, []byte("x"))}, true},
		{"root no longer known: proves nothing", &VoteExt{CertHeight: 2, CertShare: []byte("x")}, false},
		{"another key epoch: proves nothing", &VoteExt{CertHeight: 4, CertShare: []byte("x"), KeyEpoch: 3}, false},
	} {
		if got := BadBLSShare(cs, base, fakeShares{}, "chain", certPub, beaconPub, 1, c.ext); got != c.bad {
			t.Errorf("%s: bad share %v, want %v", c.name, got, c.bad)
		}
	}
	if BadBLSShare(cs, base, fakeShares{}, "chain", nil, nil, 1, &VoteExt{CertHeight: 4, CertShare: []byte("x")}) {
		t.Error("a share proves a fault before the keys exist")
	}
}
