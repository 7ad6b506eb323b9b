package vetkd

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"slices"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/thresholdsig"
)

// batchTag domain-separates the coefficients of a batch share check.
const batchTag = "chainkey/vetkd/batch-verify-shares-v1"

// BatchVerifyShares checks every encrypted key share, keyed by node index,
// and returns, in increasing order, the nodes whose shares are malformed
// or invalid: exactly those for which VerifyShare fails. The well-formed
// shares are first checked together, as one random linear combination of
// their equations (three pairings and three multi-scalar multiplications
// for any number of shares; the coefficients are a hash of every share, so
// no share can be chosen to cancel another's error); only if that fails is
// each checked alone.
func (d *Derivation) BatchVerifyShares(shares map[int][]byte) (bad []int) {
	indices := make([]int, 0, len(shares))
	for i := range shares {
		indices = append(indices, i)
	}
	slices.Sort(indices)
	var good []int
	var parsed []*EncryptedKey
	for _, i := range indices {
		if i < 0 || i >= thresholdsig.MaxNodes {
			bad = append(bad, i)
			continue
		}
		k, err := ParseEncryptedKey(shares[i])
		if err != nil {
			bad = append(bad, i)
			continue
		}
		good = append(good, i)
		parsed = append(parsed, k)
	}
	if len(good) == 0 || d.batchOK(good, parsed) {
		return bad
	}
	for j, i := range good {
		if d.verifyShare(i, parsed[j]) != nil {
			bad = append(bad, i)
		}
	}
	slices.Sort(bad)
	return bad
}

// batchOK checks, with ρ and w_i derived from a hash of everything,
// e(Σ w_i(ρ·C1_i + C3_i), g2) = e(ρ·g1 + tpk, Σ w_i·C2_i) · e(H, Σ w_i·K_i),
// the w_i-weighted product of each share's check (see checkEncrypted).
func (d *Derivation) batchOK(indices []int, shares []*EncryptedKey) bool {
	h := sha256.New()
	put := func(b []byte) {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(b))))
		h.Write(b)
	}
	put([]byte(batchTag))
	put(d.tpk.Bytes())
	put(d.dpk.Bytes())
	put(d.h.Bytes())
	for j, s := range shares {
		put(binary.BigEndian.AppendUint64(nil, uint64(indices[j])))
		put(s.Bytes())
	}
	seed := h.Sum(nil)
	coef := func(k uint64) group.Scalar {
		c := sha256.Sum256(binary.BigEndian.AppendUint64(slices.Clone(seed), k))
		s := g1().ScalarFromBigInt(new(big.Int).SetBytes(c[:16]))
		if s.IsZero() {
			s.SetUint64(1)
		}
		return s
	}
	rho := coef(0)
	m := len(shares)
	g1s := make([]group.Scalar, 0, 2*m)
	g1p := make([]group.Point, 0, 2*m)
	ws := make([]group.Scalar, m)
	c2s := make([]group.Point, m)
	keys := make([]group.Point, m)
	sumW := g1().NewScalar()
	for j, s := range shares {
		w := coef(uint64(j) + 1)
		ws[j] = w
		sumW.Add(sumW, w)
		g1s = append(g1s, g1().NewScalar().Mul(w, rho), w)
		g1p = append(g1p, s.c1, s.c3)
		c2s[j] = s.c2
		pk, err := d.pc.NodePublicKey(indices[j])
		if err != nil {
			return false
		}
		keys[j] = pk
	}
	a, err := g1().MultiScalarMult(g1s, g1p)
	if err != nil {
		return false
	}
	c2, err := g2().MultiScalarMult(ws, c2s)
	if err != nil {
		return false
	}
	// Σ w_i·K_i = Σ w_i·f(i+1)·g2 + (Σ w_i)·δ·g2.
	k, err := g2().MultiScalarMult(append(ws, sumW), append(keys, d.shift))
	if err != nil {
		return false
	}
	b := g1().NewPoint().VarTimeScalarMult(rho, g1().Generator())
	b.Add(b, d.tpk.p)
	ok, err := bls12381.PairingCheck([]group.Point{a, b, d.h}, []group.Point{g2().NewPoint().Neg(g2().Generator()), c2, k})
	return err == nil && ok
}
