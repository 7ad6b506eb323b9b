package rerandomize_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/ed25519"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
	"github.com/chainkey/chainkey/internal/rerandomize"
)

// TestPinned pins t, δ and R for fixed inputs of each scheme (K = 7·G, key
// = 11·G, t = 5). The values were computed by the ECDSA and Schnorr
// signers' own code before it moved here; a change to any of them changes
// every threshold signature.
func TestPinned(t *testing.T) {
	hash := sha256.Sum256([]byte("message"))
	for _, c := range []struct {
		name     string
		scheme   rerandomize.Scheme
		g        group.Group
		msg, aux []byte
		delta, r string
		tweak    string
	}{
		{"ecdsa", rerandomize.ECDSA(), secp256k1.Group(), hash[:], nil,
			"a36016573ee31d28d68c2ed9e42b6002184c4224708fbb2a3b3d1cc1191965b6",
			"030333dfd98d701345ab3832bb58c6123e0103ca1b7de012cd6493b6d1066a1f19",
			"0000000000000000000000000000000000000000000000000000000000000005"},
		{"bip340 with taproot root", rerandomize.Schnorr("bip340secp256k1"), secp256k1.Group(), []byte("message"), hash[:],
			"348c87fde7288a206cb12a5640344b92892e555a58ba8404eebb93a2eff02c25",
			"02a142e2c70e2bc24d05a4756b37d88e4576d7b26e79bbcd198aed4db6e0345adb",
			"0000000000000000000000000000000000000000000000000000000000000005"},
		{"ed25519", rerandomize.Schnorr("ed25519"), ed25519.Group(), []byte("message"), nil,
			"247e8c4bb9c63694d98b58b8b480090f5a147cff91d9007e85939f17008e4706",
			"ed1d054f40be8f033de7bc066efff290da0a993e97fde92c1225cd8e5fd47a9e",
			"0500000000000000000000000000000000000000000000000000000000000000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := c.g
			req := &rerandomize.Request{
				PresignatureID: []byte("pre1"),
				Randomness:     bytes.Repeat([]byte{1}, 32),
				Message:        c.msg,
				Nonce:          g.NewPoint().ScalarBaseMult(g.NewScalar().SetUint64(7)),
				Key:            g.NewPoint().ScalarBaseMult(g.NewScalar().SetUint64(11)),
				Tweak:          g.NewScalar().SetUint64(5).Bytes(),
				Aux:            c.aux,
			}
			n, err := c.scheme.Rerandomize(g, req)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(n.Tweak.Bytes()); got != c.tweak {
				t.Errorf("tweak %s, want %s", got, c.tweak)
			}
			if got := hex.EncodeToString(n.Delta.Bytes()); got != c.delta {
				t.Errorf("δ %s, want %s", got, c.delta)
			}
			if got := hex.EncodeToString(n.R.Bytes()); got != c.r {
				t.Errorf("R %s, want %s", got, c.r)
			}
			// R = K + δ·G.
			want := g.NewPoint().Add(req.Nonce, g.NewPoint().ScalarBaseMult(n.Delta))
			if !n.R.Equal(want) {
				t.Error("R ≠ K + δ·G")
			}
		})
	}
}

// TestBindsEveryInput checks that changing any input, or binding an empty
// auxiliary input instead of none, changes δ.
func TestBindsEveryInput(t *testing.T) {
	g := secp256k1.Group()
	s := rerandomize.Schnorr("bip340secp256k1")
	base := func() *rerandomize.Request {
		return &rerandomize.Request{
			PresignatureID: []byte("pre1"), Randomness: make([]byte, 32), Message: []byte("m"),
			Nonce: g.Generator(), Key: g.NewPoint().Add(g.Generator(), g.Generator()),
			Tweak: g.NewScalar().SetUint64(3).Bytes(),
		}
	}
	ref, err := s.Rerandomize(g, base())
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*rerandomize.Request){
		"id":         func(r *rerandomize.Request) { r.PresignatureID = []byte("pre2") },
		"randomness": func(r *rerandomize.Request) { r.Randomness[0] = 1 },
		"message":    func(r *rerandomize.Request) { r.Message = []byte("n") },
		"nonce":      func(r *rerandomize.Request) { r.Nonce = r.Key },
		"key":        func(r *rerandomize.Request) { r.Key = g.Generator() },
		"tweak":      func(r *rerandomize.Request) { r.Tweak = g.NewScalar().SetUint64(4).Bytes() },
		"empty aux":  func(r *rerandomize.Request) { r.Aux = []byte{} },
	} {
		req := base()
		change(req)
		n, err := s.Rerandomize(g, req)
		if err != nil {
			t.Fatal(name, err)
		}
		if n.Delta.Equal(ref.Delta) {
			t.Errorf("%s: δ unchanged", name)
		}
	}
	if _, err := rerandomize.ECDSA().Rerandomize(g, base()); err != nil {
		t.Fatal(err)
	}
}

// TestRejectsBadTweak checks that a tweak that is not a canonical scalar of
// the group is refused.
func TestRejectsBadTweak(t *testing.T) {
	g := secp256k1.Group()
	for name, tweak := range map[string][]byte{
		"not below n": bytes.Repeat([]byte{0xff}, 32),
		"short":       make([]byte, 31),
		"long":        make([]byte, 33),
	} {
		req := &rerandomize.Request{PresignatureID: []byte("p"), Randomness: make([]byte, 32),
			Nonce: g.Generator(), Key: g.Generator(), Tweak: tweak}
		if _, err := rerandomize.ECDSA().Rerandomize(g, req); err == nil {
			t.Errorf("%s tweak accepted", name)
		}
	}
}
