package subnet

import (
	"bytes"
	"errors"
	"testing"
)

// sigOf is a stand-in group signature: the verifier accepts exactly
// "sig" ‖ pub ‖ msg.
func sigOf(pub, msg []byte) []byte { return append(append([]byte("sig"), pub...), msg...) }

type fakeVerifier struct{}

func (fakeVerifier) Verify(pub, msg, sig []byte) error {
	if !bytes.Equal(sig, sigOf(pub, msg)) {
		return errors.New("bad signature")
	}
	return nil
}

func TestApplyCert(t *testing.T) {
	pub := []byte("cert-key")
	base := NewMemStorage()
	o := NewOverlay(base)
	root := [32]byte{7}
	RecordRoot(o, 3, root)
	base.Apply(o)
	for _, c := range []struct {
		name string
		pub  []byte
		tx   *CertTx
		ok   bool
	}{
		{"valid", pub, &CertTx{Height: 3, Sig: sigOf(pub, CertMessage(root[:]))}, true},
		{"already certified", pub, &CertTx{Height: 2, Sig: sigOf(pub, CertMessage(root[:]))}, false},
		{"future height", pub, &CertTx{Height: 5, Sig: sigOf(pub, CertMessage(root[:]))}, false},
		{"no root", pub, &CertTx{Height: 4, Sig: sigOf(pub, CertMessage(root[:]))}, false},
		{"no keys", nil, &CertTx{Height: 3, Sig: sigOf(pub, CertMessage(root[:]))}, false},
		{"bad signature", pub, &CertTx{Height: 3, Sig: sigOf(pub, CertMessage([]byte("other")))}, false},
	} {
		cs := &State{Height: 4, LastCertified: 2}
		w := NewOverlay(base)
		err := ApplyCert(cs, base, w, fakeVerifier{}, c.pub, c.tx)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		sig, written, _ := w.Get(HeightKey(PrefixCertSig, 3))
		if c.ok != (cs.LastCertified == 3 && written && bytes.Equal(sig, c.tx.Sig)) {
			t.Errorf("%s: certified %d, signature written %v", c.name, cs.LastCertified, written)
		}
	}
}

func TestApplyBeacon(t *testing.T) {
	pub := []byte("beacon-key")
	prev := GenesisBeacon("chain")
	for _, c := range []struct {
		name string
		pub  []byte
		tx   *BeaconTx
		ok   bool
	}{
		{"valid", pub, &BeaconTx{Round: 1, Sig: sigOf(pub, BeaconMessage("chain", 1, prev))}, true},
		{"skips a round", pub, &BeaconTx{Round: 2, Sig: sigOf(pub, BeaconMessage("chain", 2, prev))}, false},
		{"other chain", pub, &BeaconTx{Round: 1, Sig: sigOf(pub, BeaconMessage("other", 1, prev))}, false},
		{"no keys", nil, &BeaconTx{Round: 1, Sig: sigOf(pub, BeaconMessage("chain", 1, prev))}, false},
	} {
		cs := &State{Beacon: prev}
		w := NewOverlay(NewMemStorage())
		err := ApplyBeacon(cs, w, fakeVerifier{}, "chain", c.pub, c.tx)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		v, written, _ := w.Get(HeightKey(PrefixBeacon, 1))
		if c.ok != (cs.BeaconRound == 1 && written && bytes.Equal(v, BeaconValue(c.tx.Sig)) && bytes.Equal(cs.Beacon, v)) {
			t.Errorf("%s: round %d, value written %v", c.name, cs.BeaconRound, written)
		}
	}
}

func TestRecordRootRetains(t *testing.T) {
	base := NewMemStorage()
	for h := uint64(1); h <= RetainHeights+2; h++ {
		o := NewOverlay(base)
		RecordRoot(o, h, [32]byte{byte(h)})
		o.Set(HeightKey(PrefixCertSig, h), []byte{1})
		base.Apply(o)
	}
	n := 0
	base.Scan([]byte(PrefixRoot), func(k, _ []byte) bool { n++; return true })
	if n != RetainHeights {
		t.Fatalf("%d roots kept, want %d", n, RetainHeights)
	}
	if _, ok, _ := base.Get(HeightKey(PrefixRoot, 2)); ok {
		t.Fatal("root of height 2 kept")
	}
	if _, ok, _ := base.Get(HeightKey(PrefixCertSig, 1)); ok {
		t.Fatal("certification of height 1 kept")
	}
}

type fakeExtChecks struct{ sigOK, bad bool }

func (f fakeExtChecks) ExtSignatureOK(int, int64, int64, []byte, []byte) bool { return f.sigOK }
func (f fakeExtChecks) BadShare(int, *VoteExt) bool                           { return f.bad }

func TestApplyEvidence(t *testing.T) {
	base := NewMemStorage()
	o := NewOverlay(base)
	o.Set(EvidenceKey(2, 3), nil)
	base.Apply(o)
	ext := EncodeExt(&VoteExt{})
	for _, c := range []struct {
		name   string
		idx    int
		tx     *EvidenceTx
		checks fakeExtChecks
		dup    bool
		ok     bool
	}{
		{"proves a bad share", 1, &EvidenceTx{Height: 3, Extension: ext}, fakeExtChecks{true, true}, false, true},
		{"already convicted", 2, &EvidenceTx{Height: 3, Extension: ext}, fakeExtChecks{true, true}, true, false},
		{"future height", 1, &EvidenceTx{Height: 6, Extension: ext}, fakeExtChecks{true, true}, false, false},
		{"not signed by the node", 1, &EvidenceTx{Height: 3, Extension: ext}, fakeExtChecks{false, true}, false, false},
		{"shares are good", 1, &EvidenceTx{Height: 3, Extension: ext}, fakeExtChecks{true, false}, false, false},
		{"extension does not decode", 1, &EvidenceTx{Height: 3, Extension: []byte{0xa0}}, fakeExtChecks{true, true}, false, false},
	} {
		cs := &State{Height: 5}
		w := NewOverlay(base)
		seen := map[string]bool{}
		err := ApplyEvidence(cs, base, w, seen, c.idx, c.tx, c.checks)
		if (err == nil) != c.ok || errors.Is(err, ErrDuplicate) != c.dup {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		_, written, _ := w.Get(EvidenceKey(c.idx, 3))
		if c.ok && (cs.Convicted[uint32(c.idx)] != 1 || !written || w.Len() != 1) {
			t.Errorf("%s: convicted %v, recorded %v", c.name, cs.Convicted, written)
		}
		if !c.ok && (len(cs.Convicted) != 0 || w.Len() != 0) {
			t.Errorf("%s: state changed", c.name)
		}
		if c.ok {
			if err := ApplyEvidence(cs, base, w, seen, c.idx, c.tx, c.checks); !errors.Is(err, ErrDuplicate) {
				t.Errorf("%s: the same evidence twice in a block: %v", c.name, err)
			}
		}
	}
}
