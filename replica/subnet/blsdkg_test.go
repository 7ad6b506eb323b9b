package subnet

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/chainkey/chainkey/dkg"
)

// dkgNet is a subnet of n nodes with deterministic node keys, for the
// key-generation rules.
type dkgNet struct {
	m    DKGMembers
	sign []*dkg.NodeSigningKey
	rng  *rand.ChaCha8
}

func newDKGNet(t *testing.T, n int) *dkgNet {
	t.Helper()
	var seed [32]byte
	d := &dkgNet{m: DKGMembers{ChainID: "test-chain"}, rng: rand.NewChaCha8(seed)}
	for i := range n {
		sk, err := dkg.NewNodeSigningKey(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		ek, err := dkg.GenerateEncryptionKey(d.rng)
		if err != nil {
			t.Fatal(err)
		}
		d.sign = append(d.sign, sk)
		d.m.NodePub = append(d.m.NodePub, sk.PublicKey())
		d.m.EncPub = append(d.m.EncPub, ek.PublicKey())
	}
	return d
}

func (d *dkgNet) epoch(t *testing.T, e uint64) *DKGEpoch {
	t.Helper()
	ep, err := NewDKGEpoch(d.m, e, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// protocolTx wraps env as node sender's ProtocolTx of kind.
func protocolTx(t *testing.T, kind uint8, sender uint32, env *dkg.Envelope) *ProtocolTx {
	t.Helper()
	body, err := env.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return &ProtocolTx{Kind: kind, Sender: sender, Body: body}
}

// dealing is node i's fresh dealing for the key purpose of ep.
func (d *dkgNet) dealing(t *testing.T, ep *DKGEpoch, purpose string, i int) *ProtocolTx {
	t.Helper()
	dl, err := dkg.NewDealer(ep.Configs[purpose], i, d.sign[i])
	if err != nil {
		t.Fatal(err)
	}
	env, err := dl.Deal(nil, d.rng)
	if err != nil {
		t.Fatal(err)
	}
	return protocolTx(t, ProtoDKGDealing, uint32(i), env)
}

// TestDKGMsgKeyLayout pins the state keys of the agreed messages: they
// are part of the state that resumed subnets read back.
func TestDKGMsgKeyLayout(t *testing.T) {
	got := hex.EncodeToString(DKGMsgKey(3, "beacon", 0x0102, 7))
	want := hex.EncodeToString([]byte("g/")) + "0000000000000003" + "01" + "0000000000000102" + "00000007"
	if got != want {
		t.Fatalf("key %s, want %s", got, want)
	}
	if !bytes.HasPrefix(DKGMsgKey(3, "cert", 1, 1), DKGMsgPrefix(3)) || bytes.HasPrefix(DKGMsgKey(4, "cert", 1, 1), DKGMsgPrefix(3)) {
		t.Fatal("message keys outside their epoch's prefix")
	}
	// Within a key, messages sort by height, then position in the block.
	order := [][]byte{DKGMsgKey(0, "cert", 1, 2), DKGMsgKey(0, "cert", 1, 10), DKGMsgKey(0, "cert", 2, 1)}
	for i := 1; i < len(order); i++ {
		if bytes.Compare(order[i-1], order[i]) >= 0 {
			t.Fatalf("key %d does not sort after key %d", i, i-1)
		}
	}
}

func TestCheckDKGMsg(t *testing.T) {
	d := newDKGNet(t, 4)
	ep := d.epoch(t, 0)
	good := d.dealing(t, ep, "cert", 1)
	// Node 1's dealing signed again by a key that is not node 1's.
	var env dkg.Envelope
	if err := env.UnmarshalBinary(good.Body); err != nil {
		t.Fatal(err)
	}
	stranger, err := dkg.NewNodeSigningKey(bytes.Repeat([]byte{0xee}, 32))
	if err != nil {
		t.Fatal(err)
	}
	resigned, err := dkg.SignEnvelope(stranger, env.Kind, env.SessionID, env.Signer, env.Body)
	if err != nil {
		t.Fatal(err)
	}
	forged := protocolTx(t, ProtoDKGDealing, 1, resigned)
	tests := []struct {
		name string
		tx   *ProtocolTx
		ok   bool
	}{
		{"valid dealing", good, true},
		{"sender is not the signer", &ProtocolTx{Kind: good.Kind, Sender: 2, Body: good.Body}, false},
		{"signer outside the subnet", func() *ProtocolTx {
			big := newDKGNet(t, 5)
			eb, err := NewDKGEpoch(big.m, 0, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			return big.dealing(t, eb, "cert", 4)
		}(), false},
		{"signed by another key", forged, false},
		{"not an envelope", &ProtocolTx{Kind: ProtoDKGDealing, Sender: 1, Body: []byte{1, 2, 3}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := CheckDKGMsg(tc.tx, d.m.NodePub)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%v", err, tc.ok)
			}
			if err == nil && env.Signer != tc.tx.Sender {
				t.Fatalf("envelope of %d", env.Signer)
			}
		})
	}
}

func TestDKGTarget(t *testing.T) {
	d := newDKGNet(t, 4)
	ep0, ep1 := d.epoch(t, 0), d.epoch(t, 1)
	cert := d.dealing(t, ep0, "cert", 0)
	beacon := d.dealing(t, ep0, "beacon", 0)
	tests := []struct {
		name string
		cs   State
		ep   *DKGEpoch
		tx   *ProtocolTx
		want string // "" for ignored
	}{
		{"genesis, cert", State{}, ep0, cert, "cert"},
		{"genesis, beacon", State{}, ep0, beacon, "beacon"},
		{"no epoch in progress", State{}, nil, cert, ""},
		{"keys ready, no resharing", State{BLSReady: true}, ep0, cert, ""},
		{"resharing another epoch", State{BLSReady: true, BLSResharing: true, BLSEpoch: 1}, ep0, cert, ""},
		{"message of an older epoch", State{BLSReady: true, BLSResharing: true, BLSEpoch: 1}, ep1, cert, ""},
		{"resharing, its epoch", State{BLSReady: true, BLSResharing: true, BLSEpoch: 1}, ep1, d.dealing(t, ep1, "beacon", 2), "beacon"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := CheckDKGMsg(tc.tx, d.m.NodePub)
			if err != nil {
				t.Fatal(err)
			}
			p, ok := DKGTarget(&tc.cs, tc.ep, env)
			if p != tc.want || ok != (tc.want != "") {
				t.Fatalf("target %q %v, want %q", p, ok, tc.want)
			}
		})
	}
}

func TestCompleteDKG(t *testing.T) {
	type msg struct {
		height  uint64
		purpose string
		dealer  int
	}
	all := func(h uint64, dealers ...int) []msg {
		var out []msg
		for _, i := range dealers {
			for _, p := range BLSPurposes {
				out = append(out, msg{h, p, i})
			}
		}
		return out
	}
	tests := []struct {
		name      string
		cs        State
		msgs      []msg
		height    uint64
		done      bool
		convicted []string
	}{
		{name: "no dealings", height: 10},
		{name: "complaint window open", msgs: all(1, 0, 1, 2, 3), height: 3},
		{name: "all dealt", msgs: all(1, 0, 1, 2, 3), height: 4, done: true},
		{name: "too few dealers", msgs: all(1, 0, 1), height: 10},
		{name: "equivocating dealer", msgs: append(all(1, 0, 1, 2, 3), msg{2, "cert", 3}), height: 10, done: true,
			convicted: []string{"dkg/0/cert/3"}},
		{name: "resharing keeps the previous keys", cs: State{BLSReady: true, BLSResharing: true,
			CertPub: []byte("old cert"), BeaconPub: []byte("old beacon")}, msgs: all(1, 0, 1, 2, 3), height: 4, done: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDKGNet(t, 4)
			ep := d.epoch(t, 0)
			for _, m := range tc.msgs {
				if err := ep.Add(m.purpose, m.height, d.dealing(t, ep, m.purpose, m.dealer)); err != nil {
					t.Fatal(err)
				}
			}
			cs := tc.cs
			cs.Convicted = map[uint32]uint64{}
			old := cs
			seen := map[string]bool{}
			done, convicted, err := CompleteDKG(&cs, ep, tc.height, seen)
			if err != nil || done != tc.done {
				t.Fatalf("done %v, %v; want %v", done, err, tc.done)
			}
			var keys []string
			for _, c := range convicted {
				keys = append(keys, c.ConvictionKey())
				if !cs.DKGConvicted[c.ConvictionKey()] || cs.Convicted[uint32(c.Dealer)] == 0 {
					t.Fatalf("conviction %+v not in the state", c)
				}
			}
			if fmt.Sprint(keys) != fmt.Sprint(tc.convicted) {
				t.Fatalf("convicted %v, want %v", keys, tc.convicted)
			}
			// A conviction is recorded once.
			if _, again, _ := CompleteDKG(cs.Clone(), ep, tc.height, map[string]bool{}); len(again) != 0 {
				t.Fatalf("convicted again: %v", again)
			}
			if !done {
				if cs.BLSReady != old.BLSReady || cs.CertPub != nil && !bytes.Equal(cs.CertPub, old.CertPub) {
					t.Fatal("an incomplete epoch changed the keys")
				}
				return
			}
			if !cs.BLSReady || cs.BLSResharing || cs.BLSKeyHeight != tc.height || len(cs.CertPub) == 0 || len(cs.BeaconPub) == 0 {
				t.Fatalf("completed state %+v", cs)
			}
			// A resharing keeps the keys it replaced; the genesis DKG has none.
			if !bytes.Equal(cs.PrevCertPub, old.CertPub) || !bytes.Equal(cs.PrevBeaconPub, old.BeaconPub) {
				t.Fatalf("previous keys %q %q, want %q %q", cs.PrevCertPub, cs.PrevBeaconPub, old.CertPub, old.BeaconPub)
			}
		})
	}
}

// TestReplayDKG checks that the stored messages of an epoch rebuild its
// sessions: a node restarted from the state reaches the same keys.
func TestReplayDKG(t *testing.T) {
	d := newDKGNet(t, 4)
	ep := d.epoch(t, 0)
	st := NewMemStorage()
	w := NewOverlay(st)
	seq := uint32(0)
	for i := range 4 {
		for _, p := range BLSPurposes {
			tx := d.dealing(t, ep, p, i)
			if err := ep.Add(p, 1, tx); err != nil {
				t.Fatal(err)
			}
			seq++
			enc, err := Marshal(tx)
			if err != nil {
				t.Fatal(err)
			}
			w.Set(DKGMsgKey(0, p, 1, seq), enc)
		}
	}
	w.Set(DKGMsgKey(1, "cert", 1, 1), []byte("another epoch"))
	st.Apply(w)
	again := d.epoch(t, 0)
	if err := ReplayDKG(st, 0, func(p string, h uint64, tx *ProtocolTx) {
		if err := again.Add(p, h, tx); err != nil {
			t.Fatal(err)
		}
	}); err != nil {
		t.Fatal(err)
	}
	var a, b State
	if done, _, err := CompleteDKG(&a, ep, 4, map[string]bool{}); !done || err != nil {
		t.Fatal(done, err)
	}
	if done, _, err := CompleteDKG(&b, again, 4, map[string]bool{}); !done || err != nil {
		t.Fatal(done, err)
	}
	if !bytes.Equal(a.CertPub, b.CertPub) || !bytes.Equal(a.BeaconPub, b.BeaconPub) {
		t.Fatal("replayed epoch made other keys")
	}
	if err := ReplayDKG(st, 1, func(string, uint64, *ProtocolTx) {}); err == nil {
		t.Fatal("undecodable stored message replayed")
	}
	w = NewOverlay(st)
	if err := DropDKGMsgs(st, w, 0); err != nil {
		t.Fatal(err)
	}
	st.Apply(w)
	n := 0
	st.Scan([]byte(PrefixDKGMsg), func(k, _ []byte) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d messages left, want the other epoch's 1", n)
	}
}

func TestScheduleReshare(t *testing.T) {
	tests := []struct {
		name     string
		cs       State
		height   uint64
		interval uint64
		want     bool
	}{
		{"due", State{BLSReady: true, BLSEpoch: 2}, 100, 50, true},
		{"not a multiple", State{BLSReady: true}, 101, 50, false},
		{"no interval", State{BLSReady: true}, 100, 0, false},
		{"keys not ready", State{}, 100, 50, false},
		{"already resharing", State{BLSReady: true, BLSResharing: true}, 100, 50, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := tc.cs
			if got := ScheduleReshare(&cs, tc.height, tc.interval); got != tc.want {
				t.Fatalf("got %v", got)
			}
			if tc.want && (cs.BLSEpoch != tc.cs.BLSEpoch+1 || !cs.BLSResharing) {
				t.Fatalf("state %+v", cs)
			}
			if !tc.want && (cs.BLSEpoch != tc.cs.BLSEpoch || cs.BLSResharing != tc.cs.BLSResharing) {
				t.Fatal("state changed")
			}
		})
	}
}
