package subnet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
)

// keysOnly is an IDKGDealings that knows the node keys and no dealing.
type keysOnly []dkg.NodePublicKey

func (k keysOnly) NodeKeys() []dkg.NodePublicKey { return k }
func (keysOnly) Config(string) *idkg.Config      { return nil }
func (keysOnly) OpenDealing(*idkg.Config, []byte) (*idkg.Dealing, error) {
	return nil, errors.New("no dealings here")
}

// TestIDKGComplaintEnvelope checks what every complaint message must be
// before its content is looked at: signed by its sender, one of the
// subnet's nodes. Messages about a transcript the state does not hold are
// valid but change nothing.
func TestIDKGComplaintEnvelope(t *testing.T) {
	var keys []*dkg.NodeSigningKey
	var pubs keysOnly
	for i := range 4 {
		k, err := dkg.NewNodeSigningKey(bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		keys, pubs = append(keys, k), append(pubs, k.PublicKey())
	}
	stranger, err := dkg.NewNodeSigningKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	complaint := func(key *dkg.NodeSigningKey, complainer, dealer int) []byte {
		env, err := dkg.NewComplaint(key, []byte("tr"), complainer, dealer, [32]byte{1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := env.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := complaint(keys[0], 0, 2)
	tests := []struct {
		name   string
		tx     ProtocolTx
		valid  bool
		change bool
	}{
		{"unknown transcript", ProtocolTx{Kind: ProtoIDKGComplaint, Sender: 0, Body: good}, true, false},
		{"sender is not the signer", ProtocolTx{Kind: ProtoIDKGComplaint, Sender: 1, Body: good}, false, false},
		{"signed by a stranger", ProtocolTx{Kind: ProtoIDKGComplaint, Sender: 0, Body: complaint(stranger, 0, 2)}, false, false},
		{"signer outside the subnet", ProtocolTx{Kind: ProtoIDKGComplaint, Sender: 7, Body: complaint(keys[0], 7, 2)}, false, false},
		{"about oneself", ProtocolTx{Kind: ProtoIDKGComplaint, Sender: 2, Body: complaint(keys[2], 2, 2)}, false, false},
		{"about a dealer outside the subnet", ProtocolTx{Kind: ProtoIDKGComplaint, Sender: 0, Body: complaint(keys[0], 0, 9)}, false, false},
		{"truncated", ProtocolTx{Kind: ProtoIDKGComplaint, Sender: 0, Body: good[:len(good)-1]}, false, false},
		{"not a complaint kind", ProtocolTx{Kind: ProtoDKGComplaint, Sender: 0, Body: good}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := NewMemStorage()
			w := NewOverlay(st)
			cs := &State{Convicted: map[uint32]uint64{}}
			applied, err := ApplyIDKGComplaintMsg(cs, w, w, map[string]bool{}, pubs, &tc.tx, func(IDKGConviction) {
				t.Fatal("conviction")
			})
			if (err == nil) != tc.valid || applied != tc.change {
				t.Fatalf("applied %v, err %v; want valid %v, change %v", applied, err, tc.valid, tc.change)
			}
			if len(cs.Complaints) != 0 || w.WritesDigest() != NewOverlay(st).WritesDigest() {
				t.Fatal("state changed")
			}
		})
	}
}
