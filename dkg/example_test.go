package dkg_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
)

// Example runs a whole DKG for a 4-node subnet's BLS key (public key in G2,
// high threshold 3), driving the pure API as a node would: deal, agree,
// verify privately, complain (nobody needs to here), make the transcript,
// derive the shares.
func Example() {
	rng := rand.NewChaCha8([32]byte{1}) // a real node uses crypto/rand
	const n = 4
	signs := make([]*dkg.NodeSigningKey, n)
	encs := make([]*dkg.EncryptionKey, n)
	cfg := &dkg.Config{
		Group:     bls12381.G2(),
		SessionID: []byte("subnet-1/registry-7/certification-key"),
		Threshold: dkg.HighThreshold(n),
		Deadline:  1,
	}
	for i := range n {
		signs[i], _ = dkg.GenerateNodeSigningKey(rng)
		encs[i], _ = dkg.GenerateEncryptionKey(rng)
		cfg.Dealers = append(cfg.Dealers, signs[i].PublicKey())
		cfg.Receivers = append(cfg.Receivers, dkg.ReceiverInfo{SigningKey: signs[i].PublicKey(), EncryptionKey: encs[i].PublicKey()})
	}

	// Height 1: every node deals; consensus agrees on the dealings.
	var dealings []*dkg.Envelope
	for j := range n {
		d, _ := dkg.NewDealer(cfg, j, signs[j])
		env, err := d.Deal(nil, rng)
		if err != nil {
			panic(err)
		}
		d.Zeroize() // no complaints will come in this example
		dealings = append(dealings, env)
	}
	sessions := make([]*dkg.Session, n)
	receivers := make([]*dkg.Receiver, n)
	for i := range n {
		sessions[i], _ = dkg.NewSession(cfg)
		receivers[i], _ = dkg.NewReceiver(cfg, i, signs[i], encs[i])
		for _, env := range dealings {
			if err := sessions[i].AddDealing(1, env); err != nil {
				panic(err)
			}
		}
		complaints, _ := receivers[i].VerifyDealings(sessions[i])
		fmt.Printf("node %d: %d complaints\n", i, len(complaints))
	}

	// Height 3: the complaint window (Deadline blocks) is over.
	for i := range n {
		tr, err := sessions[i].Transcript(3)
		if err != nil {
			panic(err)
		}
		share, err := receivers[i].SecretShare(sessions[i], tr)
		if err != nil {
			panic(err)
		}
		fmt.Printf("node %d: %d dealings, threshold %d, %d-byte public key, share %v\n",
			i, len(tr.Dealers()), tr.Threshold(), len(tr.PublicKey().Bytes()), share)
		share.Zeroize()
	}
	// Output:
	// node 0: 0 complaints
	// node 1: 0 complaints
	// node 2: 0 complaints
	// node 3: 0 complaints
	// node 0: 3 dealings, threshold 3, 96-byte public key, share dkg.SecretShare(0, REDACTED)
	// node 1: 3 dealings, threshold 3, 96-byte public key, share dkg.SecretShare(1, REDACTED)
	// node 2: 3 dealings, threshold 3, 96-byte public key, share dkg.SecretShare(2, REDACTED)
	// node 3: 3 dealings, threshold 3, 96-byte public key, share dkg.SecretShare(3, REDACTED)
}

// ExampleShareSealer seals a dealer's shares of three transcripts for one
// recipient under a single KEM run; the recipient opens each share in its
// own context, decapsulating once.
func ExampleShareSealer() {
	rng := rand.NewChaCha8([32]byte{2})
	g := bls12381.G1()
	recipient, _ := dkg.GenerateEncryptionKey(rng)
	sealer, err := dkg.NewShareSealer(recipient.PublicKey(), 0, 1)
	if err != nil {
		panic(err)
	}
	opener := dkg.NewShareOpener(recipient)
	for _, session := range []string{"presig-1/kappa", "presig-1/lambda", "presig-2/kappa"} {
		s, _ := g.RandomScalar(rng)
		ctx := &dkg.ShareContext{SessionID: []byte(session), Dealer: 0, Recipient: 1}
		ct, err := sealer.Seal(ctx, dkg.SharePayload{Scalars: []group.Scalar{s}})
		if err != nil {
			panic(err)
		}
		got, err := opener.Open(ctx, g, 1, ct)
		if err != nil {
			panic(err)
		}
		fmt.Println(session, got.Scalars[0].Equal(s))
	}
	// Output:
	// presig-1/kappa true
	// presig-1/lambda true
	// presig-2/kappa true
}
