package subnet

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// dealingNet is a 4-node subnet that makes real IDKG dealings, and the
// node-side cache the dealing rules read (IDKGTranscripts).
type dealingNet struct {
	cfg      *idkg.Config
	sign     []*dkg.NodeSigningKey
	pubs     []dkg.NodePublicKey
	enc      []*dkg.EncryptionPublicKey
	rng      *rand.ChaCha8
	verified map[[32]byte]bool
	made     map[string]*idkg.Transcript
}

func newDealingNet(t *testing.T) *dealingNet {
	t.Helper()
	cfg, err := idkg.NewConfig(secp256k1.Group(), 4)
	if err != nil {
		t.Fatal(err)
	}
	d := &dealingNet{cfg: cfg, rng: rand.NewChaCha8([32]byte{1}), verified: map[[32]byte]bool{}, made: map[string]*idkg.Transcript{}}
	for i := range 4 {
		sk, err := dkg.NewNodeSigningKey(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		ek, err := dkg.GenerateEncryptionKey(d.rng)
		if err != nil {
			t.Fatal(err)
		}
		d.sign, d.pubs, d.enc = append(d.sign, sk), append(d.pubs, sk.PublicKey()), append(d.enc, ek.PublicKey())
	}
	return d
}

func (d *dealingNet) NodeKeys() []dkg.NodePublicKey { return d.pubs }
func (d *dealingNet) Config(string) *idkg.Config    { return d.cfg }
func (d *dealingNet) OpenDealing(cfg *idkg.Config, raw []byte) (*idkg.Dealing, error) {
	var env dkg.Envelope
	if err := env.UnmarshalBinary(raw); err != nil {
		return nil, err
	}
	dl, _, err := cfg.OpenSignedDealing(&env, d.pubs[env.Signer])
	return dl, err
}
func (d *dealingNet) Operation(kind uint8, _, _ []byte) (*idkg.Operation, error) {
	if idkg.Kind(kind) != idkg.Random {
		return nil, errors.New("only random transcripts here")
	}
	return idkg.NewRandom(4), nil
}
func (d *dealingNet) Transcript(id []byte) (*idkg.Transcript, error) { return d.made[string(id)], nil }
func (d *dealingNet) Verified(h [32]byte) bool                       { return d.verified[h] }
func (d *dealingNet) MarkVerified(h [32]byte)                        { d.verified[h] = true }
func (d *dealingNet) Made(id []byte, t *idkg.Transcript)             { d.made[string(id)] = t }

// dealing is node i's dealing for transcript id, signed by signer.
func (d *dealingNet) dealing(t *testing.T, id []byte, i int, signer *dkg.NodeSigningKey) *ProtocolTx {
	t.Helper()
	dl, openings, err := idkg.Deal(d.cfg, id, idkg.NewRandom(4), i, nil, d.rng)
	if err != nil {
		t.Fatal(err)
	}
	var sealers []*dkg.ShareSealer
	for j := range 4 {
		s, err := dkg.NewShareSealer(d.enc[j], uint32(i), uint32(j))
		if err != nil {
			t.Fatal(err)
		}
		sealers = append(sealers, s)
	}
	cts, err := idkg.EncryptOpeningsWith(dl, openings, sealers)
	if err != nil {
		t.Fatal(err)
	}
	env, err := idkg.SignDealing(signer, dl, cts)
	if err != nil {
		t.Fatal(err)
	}
	body, err := env.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return &ProtocolTx{Kind: ProtoIDKGDealing, Sender: uint32(i), Body: body}
}

func TestApplyIDKGDealing(t *testing.T) {
	plan := KeyPlan{ChainID: "c", N: 4, KeyIDs: []string{"ecdsa:k"}}
	id := []byte("c/ecdsa:k/1/1")
	stranger, err := dkg.NewNodeSigningKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		dealer int
		liar   bool // signs with a key that is not its own
		other  bool // deals for another transcript id
		mode   DealingMode
		want   int
		err    bool
	}
	tests := []struct {
		name      string
		steps     []step
		jobsLeft  int
		convicted uint64
	}{
		{"one dealing", []step{{dealer: 1, want: DealingUsed}}, 1, 0},
		{"admission changes nothing", []step{{dealer: 1, mode: Admit, want: DealingAdmitted}}, 1, 0},
		{"twice from one dealer", []step{{dealer: 1, want: DealingUsed}, {dealer: 1, want: DealingLate}}, 1, 0},
		{"bad signature", []step{{dealer: 1, liar: true, err: true}}, 1, 0},
		{"publicly wrong dealing", []step{{dealer: 2, other: true, want: DealingBad}}, 1, 1},
		{"enough dealings make the key transcript", []step{{dealer: 0, want: DealingUsed}, {dealer: 1, want: DealingUsed},
			{dealer: 2, want: DealingLate}}, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDealingNet(t)
			st := NewMemStorage()
			w := NewOverlay(st)
			cs := &State{Convicted: map[uint32]uint64{}, Jobs: []Job{{ID: id, KeyID: "ecdsa:k", Role: RoleKeyMasked, Kind: uint8(idkg.Random)}}}
			var events []int
			ev := DealingEvents{Convicted: func(uint32, *Job) {}, Lifecycle: func(e int, _ *Job) { events = append(events, e) }}
			used := 0
			for _, s := range tc.steps {
				signer, forID := d.sign[s.dealer], id
				if s.liar {
					signer = stranger
				}
				if s.other {
					forID = []byte("another transcript")
				}
				tx := d.dealing(t, forID, s.dealer, signer)
				if s.other {
					// Claim the job's id in a correctly signed envelope.
					var env dkg.Envelope
					if err := env.UnmarshalBinary(tx.Body); err != nil {
						t.Fatal(err)
					}
					re, err := dkg.SignEnvelope(signer, env.Kind, id, env.Signer, env.Body)
					if err != nil {
						t.Fatal(err)
					}
					if tx.Body, err = re.MarshalBinary(); err != nil {
						t.Fatal(err)
					}
				}
				got, err := ApplyIDKGDealing(cs, w, w, map[string]bool{}, d, plan, tx, s.mode, ev)
				if (err != nil) != s.err || (err == nil && got != s.want) {
					t.Fatalf("dealer %d: outcome %d, %v; want %d", s.dealer, got, err, s.want)
				}
				if got == DealingUsed {
					used++
				}
			}
			if len(cs.Jobs) != tc.jobsLeft || cs.Convicted[2] != tc.convicted {
				t.Fatalf("jobs %+v, convicted %v", cs.Jobs, cs.Convicted)
			}
			need := idkg.NewRandom(4).CollectionThreshold()
			if used < need {
				if len(cs.Jobs[0].Dealers) != used {
					t.Fatalf("job dealers %v, want %d", cs.Jobs[0].Dealers, used)
				}
				return
			}
			// The key's masked transcript is made and recorded in place of
			// its dealings, and its unmasked resharing is opened.
			if cs.Jobs[0].Role != RoleKey || !bytes.Equal(cs.Jobs[0].Input, id) || d.made[string(id)] == nil {
				t.Fatalf("after the transcript: jobs %+v", cs.Jobs)
			}
			raw, ok, _ := w.Get(TranscriptKey(id))
			var rec TranscriptRec
			if !ok || Unmarshal(raw, &rec) != nil || len(rec.Dealings) != need {
				t.Fatalf("transcript record %x", raw)
			}
			for i := range 4 {
				if _, ok, _ := w.Get(DealingKey(id, uint32(i))); ok {
					t.Fatalf("dealing %d kept beside the transcript", i)
				}
			}
			if len(events) != 1 || events[0] != JobDone {
				t.Fatalf("events %v", events)
			}
		})
	}
}
