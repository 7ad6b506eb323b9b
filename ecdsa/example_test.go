package ecdsa_test

import (
	"crypto/sha256"
	"fmt"
	mrand "math/rand/v2"

	"github.com/chainkey/chainkey/ecdsa"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// deal runs one IDKG transcript among all nodes in one process (without the
// encryption and complaints a real subnet adds; see idkg.EncryptOpenings).
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

func pair(a, b []*idkg.Opening) func(int) []*idkg.Opening {
	return func(d int) []*idkg.Opening { return []*idkg.Opening{a[d], b[d]} }
}

// Example signs a hash for a canister with a 4-node subnet: key generation,
// one presignature (κ, λ, κλ, xλ), one round of shares, combination.
func Example() {
	rand := mrand.NewChaCha8([32]byte{2})
	n := 4
	cfg, _ := idkg.NewConfig(secp256k1.Group(), n)
	masked, ms := deal(cfg, "key/random", idkg.NewRandom(n), nil, rand)
	key, ks := deal(cfg, "key", idkg.NewReshareOfMasked(masked), func(d int) []*idkg.Opening { return []*idkg.Opening{ms[d]} }, rand)

	kappa, kss := deal(cfg, "pre1/kappa", idkg.NewRandomUnmasked(n), nil, rand)
	lambda, lss := deal(cfg, "pre1/lambda", idkg.NewRandom(n), nil, rand)
	kl, klss := deal(cfg, "pre1/kappa-lambda", idkg.NewUnmaskedTimesMasked(kappa, lambda), pair(kss, lss), rand)
	xl, xlss := deal(cfg, "pre1/key-lambda", idkg.NewUnmaskedTimesMasked(key, lambda), pair(ks, lss), rand)
	pre, err := ecdsa.NewPresignature([]byte("pre1"), key, kappa, lambda, kl, xl)
	if err != nil {
		panic(err)
	}

	hash := sha256.Sum256([]byte("transaction"))
	beacon := sha256.Sum256([]byte("random beacon of a later round"))
	req := &ecdsa.Request{MessageHash: hash[:], Caller: []byte{0, 0, 0, 0, 0, 0, 0, 1, 1, 1},
		DerivationPath: [][]byte{[]byte("wallet")}, Randomness: beacon[:]}
	var shares []*ecdsa.SignatureShare
	for i := 0; i < 3; i++ { // 2f+1 nodes answer
		ps, err := ecdsa.NewPresignatureShare(pre, i, lss[i], klss[i], xlss[i])
		if err != nil {
			panic(err)
		}
		sh, err := ecdsa.SignShare(key, pre, ps, req, memLog{})
		if err != nil {
			panic(err)
		}
		shares = append(shares, sh)
	}
	sig, culprits, err := ecdsa.Combine(key, pre, req, shares)
	if err != nil {
		panic(err)
	}
	pub, _ := ecdsa.DerivePublicKey(key, req.Caller, req.DerivationPath)
	fmt.Println("culprits:", len(culprits))
	fmt.Println("signature bytes:", len(sig.Bytes()))
	fmt.Println("verifies under ecdsa_public_key:", ecdsa.Verify(pub.PublicKey, hash[:], sig.Bytes()) == nil)
	// Output:
	// culprits: 0
	// signature bytes: 64
	// verifies under ecdsa_public_key: true
}
