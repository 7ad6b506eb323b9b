package subnet

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

// BenchmarkCombineVetKD is the proposer's work for one derivation request
// (CombineVetKD: every share verified, n−f combined, the result verified)
// with all n shares valid, and the check every node makes of the combined
// key in the block (ApplyVetKDReply's verification).
func BenchmarkCombineVetKD(b *testing.B) {
	for _, n := range []int{4, 13, 34} {
		f := (n - 1) / 3
		pc, shares, err := thresholdsig.Deal(n, n-f, rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		tsk, _ := vetkd.GenerateTransportSecretKey(rand.Reader)
		caller, _ := ingress.GenerateEd25519()
		now := time.Now()
		env, err := ingress.NewVetKDEnvelope(caller, &ingress.VetKDContent{IngressExpiry: ingress.Expiry(now, time.Minute),
			KeyID: testVetKDKey, Input: []byte("bench"), TransportPublicKey: tsk.PublicKey().Bytes()})
		if err != nil {
			b.Fatal(err)
		}
		cs := &State{VetKDPub: map[string][]byte{testVetKDKey: pc.Bytes()},
			VetKDPending: []PendingRequest{{ID: []byte("id"), KeyID: testVetKDKey, Envelope: env.Marshal()}}}
		d, err := NewVetKDDerivation(cs, &cs.VetKDPending[0])
		if err != nil {
			b.Fatal(err)
		}
		var votes []ExtVote
		for i, sk := range shares {
			sh, err := d.CreateShare(rand.Reader, sk)
			if err != nil {
				b.Fatal(err)
			}
			votes = append(votes, ExtVote{Index: i, Ext: &VoteExt{VetKDShares: []SignShare{{RequestID: []byte("id"), Share: sh}}}})
		}
		cached := func(*State, *PendingRequest) (*vetkd.Derivation, error) { return d, nil }
		var reply *ReplyTx
		b.Run(fmt.Sprintf("propose/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				r := CombineVetKD(cs, cached, votes, map[int]bool{})
				if len(r) != 1 {
					b.Fatal("no reply")
				}
				reply = r[0]
			}
		})
		b.Run(fmt.Sprintf("check/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				ek, err := vetkd.ParseEncryptedKey(reply.Signature)
				if err != nil || d.Verify(ek) != nil {
					b.Fatal("reply does not verify")
				}
			}
		})
	}
}
