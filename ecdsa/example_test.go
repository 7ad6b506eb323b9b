package ecdsa_test

import (
	"crypto/sha256"
	"fmt"
	mrand "math/rand/v2"

	"github.com/chainkey/chainkey/ecdsa"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// Example signs a hash for a canister with a 4-node subnet: key generation,
// one presignature (κ, λ, κλ, xλ), one round of shares, combination.
func Example() {
	rand := mrand.NewChaCha8([32]byte{2})
	n := 4
	cfg, _ := idkg.NewConfig(secp256k1.Group(), n)
	// Each transcript is made in one process here, without the encryption,
	// signatures and agreement a subnet adds (see idkg.EncryptOpenings).
	masked := idkgtest.MustRunPlain(cfg, []byte("key/random"), idkg.NewRandom(n), nil, rand)
	key := idkgtest.MustRunPlain(cfg, []byte("key"), idkg.NewReshareOfMasked(masked.Transcript),
		idkgtest.PerDealer(masked.Openings), rand)

	kappa := idkgtest.MustRunPlain(cfg, []byte("pre1/kappa"), idkg.NewRandomUnmasked(n), nil, rand)
	lambda := idkgtest.MustRunPlain(cfg, []byte("pre1/lambda"), idkg.NewRandom(n), nil, rand)
	kl := idkgtest.MustRunPlain(cfg, []byte("pre1/kappa-lambda"), idkg.NewUnmaskedTimesMasked(kappa.Transcript, lambda.Transcript),
		idkgtest.PerDealer(kappa.Openings, lambda.Openings), rand)
	xl := idkgtest.MustRunPlain(cfg, []byte("pre1/key-lambda"), idkg.NewUnmaskedTimesMasked(key.Transcript, lambda.Transcript),
		idkgtest.PerDealer(key.Openings, lambda.Openings), rand)
	pre, err := ecdsa.NewPresignature([]byte("pre1"), key.Transcript, kappa.Transcript, lambda.Transcript, kl.Transcript, xl.Transcript)
	if err != nil {
		panic(err)
	}

	hash := sha256.Sum256([]byte("transaction"))
	beacon := sha256.Sum256([]byte("random beacon of a later round"))
	req := &ecdsa.Request{MessageHash: hash[:], Caller: []byte{0, 0, 0, 0, 0, 0, 0, 1, 1, 1},
		DerivationPath: [][]byte{[]byte("wallet")}, Randomness: beacon[:]}
	var shares []*ecdsa.SignatureShare
	for i := 0; i < 3; i++ { // 2f+1 nodes answer
		ps, err := ecdsa.NewPresignatureShare(pre, i, lambda.Openings[i], kl.Openings[i], xl.Openings[i])
		if err != nil {
			panic(err)
		}
		sh, err := ecdsa.SignShare(key.Transcript, pre, ps, req, memLog{})
		if err != nil {
			panic(err)
		}
		shares = append(shares, sh)
	}
	sig, culprits, err := ecdsa.Combine(key.Transcript, pre, req, shares)
	if err != nil {
		panic(err)
	}
	pub, _ := ecdsa.DerivePublicKey(key.Transcript, req.Caller, req.DerivationPath)
	fmt.Println("culprits:", len(culprits))
	fmt.Println("signature bytes:", len(sig.Bytes()))
	fmt.Println("verifies under ecdsa_public_key:", ecdsa.Verify(pub.PublicKey, hash[:], sig.Bytes()) == nil)
	// Output:
	// culprits: 0
	// signature bytes: 64
	// verifies under ecdsa_public_key: true
}
