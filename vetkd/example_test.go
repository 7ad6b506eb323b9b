package vetkd_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/chainkey/chainkey/vetkd"
)

// A 4-node subnet (threshold 3) answers vetkd_derive_key for a canister: the
// caller sends a transport public key, each node returns an encrypted key
// share, the shares combine into the encrypted key, and only the caller can
// decrypt it into the vetKey, a BLS signature on the input under the public
// key vetkd_public_key returns.
func Example() {
	pc, shares, err := thresholdsig.Deal(4, 3, rand.Reader) // the subnet's master key
	if err != nil {
		panic(err)
	}

	// The caller.
	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	req := &vetkd.Request{
		CanisterID:         []byte{0, 0, 0, 0, 0, 0x10, 0, 5, 1, 1},
		Context:            []byte("notes"),
		Input:              []byte("alice"),
		TransportPublicKey: tsk.PublicKey().Bytes(),
	}

	// The subnet: every node creates its share; node 2 sends garbage.
	d, err := vetkd.NewDerivation(pc, req)
	if err != nil {
		panic(err)
	}
	received := map[int][]byte{}
	for i, sk := range shares {
		share, err := d.CreateShare(rand.Reader, sk)
		if err != nil {
			panic(err)
		}
		received[i] = share
	}
	received[0] = bytes.Repeat([]byte{0x80}, vetkd.EncryptedKeySize)
	ek, bad, err := d.Combine(received)
	if err != nil {
		panic(err)
	}
	fmt.Println("bad shares from nodes:", bad)
	fmt.Println("encrypted key bytes:", len(ek.Bytes()))

	// The caller derives the public key offline and decrypts.
	master, err := vetkd.ParseMasterPublicKey(pc.PublicKey().Bytes())
	if err != nil {
		panic(err)
	}
	dpk := vetkd.DerivePublicKey(master, req.CanisterID, req.Context)
	fmt.Println("public key bytes:", len(dpk.Bytes()), dpk.Equal(d.PublicKey()))
	key, err := tsk.Decrypt(ek, dpk, req.Input)
	if err != nil {
		panic(err)
	}
	aes, err := key.DeriveSymmetricKey("my-app-notes-aes", 32)
	if err != nil {
		panic(err)
	}
	fmt.Println("vetKey bytes:", len(key.Bytes()), "AES key bytes:", len(aes))
	// Output:
	// bad shares from nodes: [0]
	// encrypted key bytes: 192
	// public key bytes: 96 true
	// vetKey bytes: 48 AES key bytes: 32
}

// The public key of a canister's context under the Internet Computer's
// key_1 vetKD master key, computed offline as vetkd_public_key would return
// it.
func ExampleDerivePublicKey() {
	mb, _ := hex.DecodeString("a9caf9ae8af0c7c7272f8a122133e2e0c7c0899b75e502bda9e109ca8193ded3" +
		"ef042ed96db1125e1bdaad77d8cc60d917e122fe2501c45b96274f43705edf0c" +
		"fd455bc66c3c060faa2fcd15486e76351edf91fecb993797273bbc8beaa47404")
	master, err := vetkd.ParseMasterPublicKey(mb)
	if err != nil {
		panic(err)
	}
	canister, _ := hex.DecodeString("00000000013001f90101")
	dpk := vetkd.DerivePublicKey(master, canister, []byte("notes"))
	fmt.Printf("%x\n", dpk.Bytes()[:24])
	// Output: b857a38f89df185ccbbfd0b7fd43c28b1ecc15c202207d6b
}
