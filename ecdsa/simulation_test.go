package ecdsa_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/chainkey/chainkey/ecdsa"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// role is a node's behaviour in the simulation.
type role int

const (
	honest role = iota
	crash
	badDealing // bad openings to one receiver
	badProof   // bad product / equal-openings proofs
	badShare   // tampered signature shares
	reuser     // tries to sign twice with one presignature
)

// TestSimulation runs the whole pipeline (key, presignatures, signing) with
// up to f faulty nodes of every kind and checks that signatures still come
// out, verify with outside code, and that every culprit is named.
func TestSimulation(t *testing.T) {
	scenarios := []struct {
		n     int
		roles map[int]role
	}{
		{4, map[int]role{2: crash}},
		{4, map[int]role{0: badDealing}},
		{4, map[int]role{3: badProof}},
		{4, map[int]role{1: badShare}},
		{7, map[int]role{1: crash, 5: badProof}},
		{7, map[int]role{0: badDealing, 6: badShare}},
		{7, map[int]role{2: badShare, 4: reuser}},
	}
	for si, sc := range scenarios {
		t.Run(fmt.Sprintf("n=%d/%v", sc.n, sc.roles), func(t *testing.T) {
			s := newSubnet(t, sc.n, uint64(1000+si))
			for i, r := range sc.roles {
				switch r {
				case crash:
					s.nw.Nodes[i].Fault = idkgtest.Crashed
				case badDealing:
					s.nw.Nodes[i].Fault = idkgtest.BadOpening
				case badProof:
					s.nw.Nodes[i].Fault = idkgtest.BadProof
				}
			}
			var wantDealCulprits []int
			for i, r := range sc.roles {
				if r == badDealing || r == badProof {
					wantDealCulprits = append(wantDealCulprits, i)
				}
			}
			slices.Sort(wantDealCulprits)
			for k := 0; k < 1; k++ {
				p, shares, culprits := s.presign(t)
				if !slices.Equal(culprits, wantDealCulprits) {
					t.Fatalf("presignature culprits %v, want %v", culprits, wantDealCulprits)
				}
				req := request(fmt.Sprintf("sim %d %d", si, k), "canister", "path")
				var sigShares []*ecdsa.SignatureShare
				var wantShareCulprits []int
				for i := 0; i < sc.n; i++ {
					if sc.roles[i] == crash {
						continue
					}
					sh, err := ecdsa.SignShare(s.key, p, shares[i], req, s.logs[i])
					if err != nil {
						t.Fatal(err)
					}
					if sc.roles[i] == badShare {
						sh.Numerator.Value.Add(sh.Numerator.Value, secp256k1.Group().NewScalar().SetUint64(1))
						wantShareCulprits = append(wantShareCulprits, i)
					}
					// Shares arrive in any order; put faulty ones first.
					if sc.roles[i] != honest {
						sigShares = append([]*ecdsa.SignatureShare{sh}, sigShares...)
					} else {
						sigShares = append(sigShares, sh)
					}
				}
				sig, culprits, err := ecdsa.Combine(s.key, p, req, sigShares)
				if err != nil {
					t.Fatal(err)
				}
				// Combine names the bad shares it had to look at; checking
				// every share on receipt names all of them.
				for _, c := range culprits {
					if !slices.Contains(wantShareCulprits, c) {
						t.Fatalf("honest signer %d named a culprit", c)
					}
				}
				var named []int
				for _, sh := range sigShares {
					if ecdsa.VerifyShare(s.key, p, req, sh) != nil {
						named = append(named, sh.Signer)
					}
				}
				slices.Sort(named)
				if !slices.Equal(named, wantShareCulprits) {
					t.Fatalf("share culprits %v, want %v", named, wantShareCulprits)
				}
				checkOutside(t, req, sig)
				// A second request assigned the same presignature (a faulty
				// proposer, or a reuser) gets no share from any node.
				for i := 0; i < sc.n; i++ {
					if sc.roles[i] == crash {
						continue
					}
					dup := *shares[i]
					_, err := ecdsa.SignShare(s.key, p, &dup, request("second", "canister"), s.logs[i])
					if !errors.Is(err, ecdsa.ErrPresignatureReused) {
						t.Fatalf("node %d signed twice with one presignature: %v", i, err)
					}
				}
			}
		})
	}
}
