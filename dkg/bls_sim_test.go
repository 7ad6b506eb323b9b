package dkg_test

import (
	"slices"
	"testing"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/thresholdsig"
)

// blsSign signs msg with the shares of the given nodes and combines them.
func blsSign(tb testing.TB, t int, shares map[int]*dkg.SecretShare, nodes []int, msg []byte) []byte {
	tb.Helper()
	var sigs [][]byte
	for _, i := range nodes {
		v := shares[i].Value()
		sk, err := thresholdsig.NewSecretKeyShare(i, v)
		v.Zeroize()
		if err != nil {
			tb.Fatal(err)
		}
		s, err := thresholdsig.SignShare(sk, msg)
		if err != nil {
			tb.Fatal(err)
		}
		sigs = append(sigs, s)
	}
	sig, err := thresholdsig.Combine(t, nodes, sigs)
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// TestThresholdBLS makes a BLS key by DKG with Byzantine dealers, signs
// with the shares and verifies under the group key; reshares it to a new
// committee with a new threshold and checks that new shares sign under the
// same key while a mix of old and new shares does not.
func TestThresholdBLS(t *testing.T) {
	g := bls12381.G2()
	rng := setDeterministic(t, 5)
	old := newCommittee(t, 7, rng)
	db := map[int]behaviour{1: advBadShare, 4: advEquivocate}
	cfg := sessionConfig(g, "bls/epoch-1", old, old, dkg.HighThreshold(7), nil)
	res := simulate(t, cfg, old, old, db, nil, nil, rng)
	checkAdversaries(t, res, db, nil)

	pc, err := thresholdsig.NewPublicCoefficients(res.transcript.PublicPolynomial())
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("\x0dic-state-root" + "root hash")
	honestOld := slices.Sorted(mapKeys(res.shares))
	t1 := res.transcript.Threshold()
	sig := blsSign(t, t1, res.shares, honestOld[:t1], msg)
	if err := thresholdsig.Verify(pc.PublicKey(), msg, sig); err != nil {
		t.Fatalf("signature by DKG shares: %v", err)
	}
	if len(honestOld) > t1 {
		sig2 := blsSign(t, t1, res.shares, honestOld[len(honestOld)-t1:], msg)
		if string(sig2) != string(sig) {
			t.Fatal("different signer sets gave different signatures")
		}
	}

	// Reshare 7 → 10 (threshold 5 → 7), one Byzantine old holder.
	next := newCommittee(t, 10, rng)
	db2 := map[int]behaviour{0: advWrongOpening}
	cfg2 := sessionConfig(g, "bls/epoch-2", old, next, dkg.HighThreshold(10), res.transcript.PublicPolynomial())
	res2 := simulate(t, cfg2, old, next, db2, nil, res.shares, rng)
	checkAdversaries(t, res2, db2, nil)
	pc2, err := thresholdsig.NewPublicCoefficients(res2.transcript.PublicPolynomial())
	if err != nil {
		t.Fatal(err)
	}
	if string(pc2.PublicKey().Bytes()) != string(pc.PublicKey().Bytes()) {
		t.Fatal("resharing changed the public key")
	}
	t2 := res2.transcript.Threshold()
	nodes := slices.Sorted(mapKeys(res2.shares))[:t2]
	sig3 := blsSign(t, t2, res2.shares, nodes, msg)
	if err := thresholdsig.Verify(pc.PublicKey(), msg, sig3); err != nil {
		t.Fatalf("signature by reshared shares: %v", err)
	}
	if string(sig3) != string(sig) {
		t.Fatal("reshared key signs differently")
	}
	// Old shares are useless with the new ones: replace one new share by
	// the old share of the same index.
	mixed := map[int]*dkg.SecretShare{}
	for _, i := range nodes {
		mixed[i] = res2.shares[i]
	}
	mixed[nodes[0]] = res.shares[nodes[0]]
	bad := blsSign(t, t2, mixed, nodes, msg)
	if err := thresholdsig.Verify(pc.PublicKey(), msg, bad); err == nil {
		t.Fatal("a mix of old and new shares signed")
	}
}

func mapKeys[V any](m map[int]V) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
