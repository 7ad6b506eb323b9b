package transcript_test

import (
	"testing"

	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/transcript"
)

func TestLengthPrefixingSeparatesSplits(t *testing.T) {
	g := secp256k1.Group()
	a := transcript.New("test")
	a.AppendBytes("x", []byte("ab"))
	a.AppendBytes("y", []byte("c"))
	b := transcript.New("test")
	b.AppendBytes("x", []byte("a"))
	b.AppendBytes("y", []byte("bc"))
	if a.Challenge("c", g).Equal(b.Challenge("c", g)) {
		t.Fatal("different splits of the same bytes gave the same challenge")
	}
}

func TestChallengesDependOnEverything(t *testing.T) {
	g := secp256k1.Group()
	base := func(protocol, label string, v uint64) *transcript.Transcript {
		tr := transcript.New(protocol)
		tr.AppendUint64(label, v)
		return tr
	}
	ref := base("p", "l", 1).Challenge("c", g)
	for name, tr := range map[string]*transcript.Transcript{
		"protocol": base("q", "l", 1),
		"label":    base("p", "m", 1),
		"value":    base("p", "l", 2),
	} {
		if tr.Challenge("c", g).Equal(ref) {
			t.Errorf("changing the %s did not change the challenge", name)
		}
	}
	if base("p", "l", 1).Challenge("d", g).Equal(ref) {
		t.Error("challenge label is not bound")
	}
	if !base("p", "l", 1).Challenge("c", g).Equal(ref) {
		t.Error("challenge is not deterministic")
	}
}

func TestRepeatedChallengesDiffer(t *testing.T) {
	g := secp256k1.Group()
	tr := transcript.New("p")
	c1 := tr.Challenge("c", g)
	c2 := tr.Challenge("c", g)
	if c1.Equal(c2) {
		t.Fatal("second challenge equals the first")
	}
	cl := transcript.New("p")
	cl.Challenge("c", g)
	fork := cl.Clone()
	if !fork.Challenge("c", g).Equal(cl.Challenge("c", g)) {
		t.Fatal("clone diverged from the original")
	}
}
