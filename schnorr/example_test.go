package schnorr_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	mrand "math/rand/v2"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/schnorr"
)

// Example signs a message with a threshold Ed25519 key of a 4-node subnet.
// BIP340 works the same way with schnorr.BIP340 (and, for taproot, a
// Request.TaprootMerkleRoot).
func Example() {
	rand := mrand.NewChaCha8([32]byte{3})
	n := 4
	alg := schnorr.Ed25519
	cfg, _ := idkg.NewConfig(alg.Group(), n)
	// Each transcript is made in one process here, without the encryption,
	// signatures and agreement a subnet adds (see idkg.EncryptOpenings).
	masked := idkgtest.MustRunPlain(cfg, []byte("key/random"), idkg.NewRandom(n), nil, rand)
	key := idkgtest.MustRunPlain(cfg, []byte("key"), idkg.NewReshareOfMasked(masked.Transcript),
		idkgtest.PerDealer(masked.Openings), rand)
	nonce := idkgtest.MustRunPlain(cfg, []byte("pre1"), idkg.NewRandomUnmasked(n), nil, rand)
	pre, err := schnorr.NewPresignature([]byte("pre1"), alg, key.Transcript, nonce.Transcript)
	if err != nil {
		panic(err)
	}
	beacon := sha256.Sum256([]byte("random beacon of a later round"))
	req := &schnorr.Request{Message: []byte("hello"), Caller: []byte{1, 1}, Randomness: beacon[:]}
	var shares []*schnorr.SignatureShare
	for i := 1; i < 4; i++ {
		ps, err := schnorr.NewPresignatureShare(pre, i, nonce.Openings[i])
		if err != nil {
			panic(err)
		}
		sh, err := schnorr.SignShare(key.Transcript, key.Openings[i], pre, ps, req, memLog{})
		if err != nil {
			panic(err)
		}
		shares = append(shares, sh)
	}
	sig, _, err := schnorr.Combine(key.Transcript, pre, req, shares)
	if err != nil {
		panic(err)
	}
	pub, _ := schnorr.DerivePublicKey(alg, key.Transcript, req.Caller, nil)
	fmt.Println("crypto/ed25519 accepts:", ed25519.Verify(pub.PublicKey, req.Message, sig.Bytes))
	// Output: crypto/ed25519 accepts: true
}
