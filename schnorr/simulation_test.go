package schnorr_test

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"testing"

	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/schnorr"
)

// TestSimulation runs key generation, presignatures and signing with f
// faulty nodes (crashed, bad dealings, bad shares) for both algorithms.
func TestSimulation(t *testing.T) {
	for _, alg := range []schnorr.Algorithm{schnorr.BIP340, schnorr.Ed25519} {
		for _, sc := range []struct {
			n                  int
			crashed, badDealer int
			badSigner          int
		}{{4, 3, -1, -1}, {4, -1, 0, -1}, {4, -1, -1, 0}, {7, 6, 0, 0}} {
			t.Run(fmt.Sprintf("%v/n=%d", alg, sc.n), func(t *testing.T) {
				s := newSubnet(t, alg, sc.n, uint64(sc.n*10+int(alg)))
				if sc.crashed >= 0 {
					s.nw.Nodes[sc.crashed].Fault = idkgtest.Crashed
				}
				if sc.badDealer >= 0 {
					s.nw.Nodes[sc.badDealer].Fault = idkgtest.BadOpening
				}
				p, shares, culprits := s.presign(t)
				if sc.badDealer >= 0 && !slices.Equal(culprits, []int{sc.badDealer}) {
					t.Fatalf("culprits %v, want [%d]", culprits, sc.badDealer)
				}
				req := request([]byte("simulated"), "canister")
				if alg == schnorr.BIP340 {
					req.TaprootMerkleRoot = []byte{}
				}
				var sigShares []*schnorr.SignatureShare
				for i := sc.n - 1; i >= 0; i-- {
					if i == sc.crashed {
						continue
					}
					sh, err := schnorr.SignShare(s.key, s.keyOpen[i], p, shares[i], req, s.logs[i])
					if err != nil {
						t.Fatal(err)
					}
					if i == sc.badSigner {
						sh.Value.Add(sh.Value, alg.Group().NewScalar().SetUint64(3))
					}
					sigShares = append(sigShares, sh)
				}
				sig, bad, err := schnorr.Combine(s.key, p, req, sigShares)
				if err != nil {
					t.Fatal(err)
				}
				if sc.badSigner >= 0 && sc.badSigner < s.key.Threshold && !slices.Equal(bad, []int{sc.badSigner}) {
					t.Fatalf("share culprits %v, want [%d]", bad, sc.badSigner)
				}
				ok := false
				if alg == schnorr.Ed25519 {
					ok = ed25519.Verify(sig.PublicKey, req.Message, sig.Bytes)
				} else {
					ok = schnorr.VerifyBIP340(sig.PublicKey, req.Message, sig.Bytes) == nil
				}
				if !ok {
					t.Fatal("signature does not verify")
				}
			})
		}
	}
}
