package idkg_test

import (
	"fmt"
	mrand "math/rand/v2"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// deal runs one transcript among n nodes in one process: every node deals,
// checks every dealing and its own opening, and the transcript is combined.
// (A node receives the openings encrypted: see EncryptOpenings.)
func deal(cfg *idkg.Config, id string, op *idkg.Operation, inputs func(int) []*idkg.Opening, rand *mrand.ChaCha8) (*idkg.Transcript, []*idkg.Opening) {
	n := cfg.Receivers()
	var dealings []*idkg.Dealing
	openings := make([][]*idkg.Opening, op.DealerCount())
	for d := 0; d < op.DealerCount(); d++ {
		var in []*idkg.Opening
		if inputs != nil {
			in = inputs(d)
		}
		dl, os, err := idkg.Deal(cfg, []byte(id), op, d, in, rand)
		if err != nil {
			panic(err)
		}
		if err := idkg.VerifyDealing(cfg, []byte(id), op, dl); err != nil {
			panic(err)
		}
		dealings, openings[d] = append(dealings, dl), os
	}
	tr, _, err := idkg.CreateTranscript(cfg, []byte(id), op, dealings)
	if err != nil {
		panic(err)
	}
	shares := make([]*idkg.Opening, n)
	for j := range shares {
		mine := map[int]*idkg.Opening{}
		for _, dl := range tr.Dealings {
			mine[dl.Dealer] = openings[dl.Dealer][j]
		}
		if shares[j], err = tr.ComputeOpening(j, mine); err != nil {
			panic(err)
		}
	}
	return tr, shares
}

// Example creates a key the way the Internet Computer does: a masked Random
// transcript, then ReshareOfMasked, which reveals only the public key.
func Example() {
	rand := mrand.NewChaCha8([32]byte{1})
	cfg, err := idkg.NewConfig(secp256k1.Group(), 4)
	if err != nil {
		panic(err)
	}
	masked, maskedShares := deal(cfg, "key/random", idkg.NewRandom(4), nil, rand)
	key, _ := deal(cfg, "key/unmasked", idkg.NewReshareOfMasked(masked),
		func(d int) []*idkg.Opening { return []*idkg.Opening{maskedShares[d]} }, rand)
	pk, _ := key.PublicValue()
	fmt.Println("masked:", masked.Masked(), "unmasked:", !key.Masked())
	fmt.Println("threshold:", key.Threshold, "of", key.Receivers, "public key bytes:", len(pk.Bytes()))
	// Output:
	// masked: true unmasked: true
	// threshold: 2 of 4 public key bytes: 33
}
