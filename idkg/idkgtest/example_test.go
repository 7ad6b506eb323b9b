package idkgtest_test

import (
	"fmt"

	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// ExampleRunPlain makes a key the way the Internet Computer does (a masked
// Random transcript, then ReshareOfMasked) in one process.
func ExampleRunPlain() {
	cfg, err := idkg.NewConfig(secp256k1.Group(), 4)
	if err != nil {
		panic(err)
	}
	rand := idkgtest.Seeded(1)
	masked, err := idkgtest.RunPlain(cfg, []byte("key/random"), idkg.NewRandom(4), nil, rand)
	if err != nil {
		panic(err)
	}
	key, err := idkgtest.RunPlain(cfg, []byte("key"), idkg.NewReshareOfMasked(masked.Transcript),
		idkgtest.PerDealer(masked.Openings), rand)
	if err != nil {
		panic(err)
	}
	fmt.Println("dealings:", len(key.Dealings), "receivers' shares:", len(key.Openings), "masked:", key.Transcript.Masked())
	// Output: dealings: 4 receivers' shares: 4 masked: false
}
