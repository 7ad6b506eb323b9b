package schnorr_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	mrand "math/rand/v2"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/schnorr"
)

func deal(cfg *idkg.Config, id string, op *idkg.Operation, inputs func(int) []*idkg.Opening, rand *mrand.ChaCha8) (*idkg.Transcript, []*idkg.Opening) {
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
		dealings, openings[d] = append(dealings, dl), os
	}
	tr, _, err := idkg.CreateTranscript(cfg, []byte(id), op, dealings)
	if err != nil {
		panic(err)
	}
	shares := make([]*idkg.Opening, cfg.Receivers())
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

// Example signs a message with a threshold Ed25519 key of a 4-node subnet.
// BIP340 works the same way with schnorr.BIP340 (and, for taproot, a
// Request.TaprootMerkleRoot).
func Example() {
	rand := mrand.NewChaCha8([32]byte{3})
	n := 4
	alg := schnorr.Ed25519
	cfg, _ := idkg.NewConfig(alg.Group(), n)
	masked, ms := deal(cfg, "key/random", idkg.NewRandom(n), nil, rand)
	key, ks := deal(cfg, "key", idkg.NewReshareOfMasked(masked), func(d int) []*idkg.Opening { return []*idkg.Opening{ms[d]} }, rand)
	nonce, ns := deal(cfg, "pre1", idkg.NewRandomUnmasked(n), nil, rand)
	pre, err := schnorr.NewPresignature([]byte("pre1"), alg, key, nonce)
	if err != nil {
		panic(err)
	}
	beacon := sha256.Sum256([]byte("random beacon of a later round"))
	req := &schnorr.Request{Message: []byte("hello"), Caller: []byte{1, 1}, Randomness: beacon[:]}
	var shares []*schnorr.SignatureShare
	for i := 1; i < 4; i++ {
		ps, err := schnorr.NewPresignatureShare(pre, i, ns[i])
		if err != nil {
			panic(err)
		}
		sh, err := schnorr.SignShare(key, ks[i], pre, ps, req, memLog{})
		if err != nil {
			panic(err)
		}
		shares = append(shares, sh)
	}
	sig, _, err := schnorr.Combine(key, pre, req, shares)
	if err != nil {
		panic(err)
	}
	pub, _ := schnorr.DerivePublicKey(alg, key, req.Caller, nil)
	fmt.Println("crypto/ed25519 accepts:", ed25519.Verify(pub.PublicKey, req.Message, sig.Bytes))
	// Output: crypto/ed25519 accepts: true
}
