package secp256k1

import "github.com/decred/dcrd/dcrec/secp256k1/v4"

// msmWindow is the width of the wNAF digits of the multi-scalar
// multiplication: digits are odd and in (−2^(w−1), 2^(w−1)), so each point
// needs the table P, 3P, …, 15P.
const msmWindow = 5

// msmGLV sets r = Σ k[i]·P[i] in variable time (public scalars only) with
// Straus' interleaved method over the GLV split: every k[i] becomes
// k1 + k2·λ with halves of about 128 bits, each written in width-5 NAF, so
// the 2n half-scalars share about 129 doublings and cost about 22 table
// additions each. The tables (odd multiples of every P[i], and their images
// under φ, which cost one field multiplication each) are converted to affine
// form with a single field inversion, so that every addition in the main
// loop is a mixed one. Points must be normalized; r may not alias them.
func msmGLV(k []*secp256k1.ModNScalar, pts []*secp256k1.JacobianPoint, r *secp256k1.JacobianPoint) {
	type half struct {
		tab    *[8]secp256k1.JacobianPoint
		digits [msmDigits]int8
		n      int
		neg    bool
		split  bool // the k1 half of a split scalar; k2 follows it
	}
	const tableLen = 1 << (msmWindow - 2)
	// Room for both tables of every point, allocated once: the halves
	// keep pointers into it.
	tabs := make([][8]secp256k1.JacobianPoint, 0, 2*len(k))
	halves := make([]half, 0, 2*len(k))
	var zs []*secp256k1.JacobianPoint
	for i := range k {
		if k[i].IsZero() || isInfinity(pts[i]) {
			continue
		}
		tabs = append(tabs, [8]secp256k1.JacobianPoint{})
		t := &tabs[len(tabs)-1]
		if kl := scalarLimbs(k[i]); kl[1]|kl[2]|kl[3] == 0 {
			// A short scalar (such as a power of a node index):
			// plain NAF on the point itself, no table, no split.
			t[0].Set(pts[i])
			h := half{tab: t}
			h.n = wnaf(k[i], &h.digits, 2)
			halves = append(halves, h)
			continue
		}
		var p2 secp256k1.JacobianPoint
		t[0].Set(pts[i])
		secp256k1.DoubleNonConst(&t[0], &p2)
		for j := 1; j < tableLen; j++ {
			secp256k1.AddNonConst(&t[j-1], &p2, &t[j])
		}
		for j := range t {
			zs = append(zs, &t[j])
		}
		k1, k2 := splitK(k[i])
		h1 := half{tab: t, split: true}
		h1.neg = k1.IsOverHalfOrder()
		if h1.neg {
			k1.Negate()
		}
		h1.n = wnaf(&k1, &h1.digits, msmWindow)
		h2 := half{}
		h2.neg = k2.IsOverHalfOrder()
		if h2.neg {
			k2.Negate()
		}
		h2.n = wnaf(&k2, &h2.digits, msmWindow)
		halves = append(halves, h1, h2)
	}
	if len(halves) == 0 {
		r.X.Zero()
		r.Y.Zero()
		r.Z.Zero()
		return
	}
	batchAffine(zs)
	// φ tables: (β·x, y) of the affine odd multiples.
	for h := 0; h < len(halves); h++ {
		if !halves[h].split {
			continue
		}
		tabs = append(tabs, [8]secp256k1.JacobianPoint{})
		t := &tabs[len(tabs)-1]
		for j, q := range halves[h].tab {
			t[j].Set(&q)
			t[j].X.Mul(&endoBeta).Normalize()
		}
		halves[h+1].tab = t
	}
	top := 0
	for j := range halves {
		top = max(top, halves[j].n)
	}
	var acc, q secp256k1.JacobianPoint
	for i := top - 1; i >= 0; i-- {
		secp256k1.DoubleNonConst(&acc, &acc)
		for j := range halves {
			h := &halves[j]
			d := h.digits[i]
			if d == 0 {
				continue
			}
			neg := h.neg
			if d < 0 {
				d, neg = -d, !neg
			}
			q.Set(&h.tab[d>>1])
			if neg {
				q.Y.Negate(1).Normalize()
			}
			secp256k1.AddNonConst(&acc, &q, &acc)
		}
	}
	r.Set(&acc)
	canon(r)
}

// msmDigits bounds the length of a width-5 NAF of a value below 2^256.
const msmDigits = 258

// wnaf writes the width-w NAF of k (least significant digit first; w ≤ 7)
// to d and returns its length. It runs in variable time.
func wnaf(k *secp256k1.ModNScalar, d *[msmDigits]int8, w uint) int {
	l := scalarLimbs(k)
	var v [5]uint64
	copy(v[:], l[:])
	n := 0
	for v != [5]uint64{} {
		if v[0]&1 == 1 {
			x := int64(v[0] & (1<<w - 1))
			if x >= 1<<(w-1) {
				x -= 1 << w
			}
			d[n] = int8(x)
			// v −= x (x odd, |x| < 2^(w−1)), keeping v ≥ 0.
			if x > 0 {
				var b uint64
				v[0], b = sub64(v[0], uint64(x), 0)
				for i := 1; i < len(v) && b != 0; i++ {
					v[i], b = sub64(v[i], 0, b)
				}
			} else {
				var c uint64
				v[0], c = add64(v[0], uint64(-x), 0)
				for i := 1; i < len(v) && c != 0; i++ {
					v[i], c = add64(v[i], 0, c)
				}
			}
		}
		for i := 0; i < len(v)-1; i++ {
			v[i] = v[i]>>1 | v[i+1]<<63
		}
		v[len(v)-1] >>= 1
		n++
	}
	return n
}

// batchAffine rewrites the given non-identity Jacobian points in affine
// form (Z = 1) with one field inversion (Montgomery's trick). The pointers
// must be distinct. Variable time; public points only.
func batchAffine(ps []*secp256k1.JacobianPoint) {
	if len(ps) == 0 {
		return
	}
	prefix := make([]secp256k1.FieldVal, len(ps))
	prefix[0].Set(&ps[0].Z)
	for i := 1; i < len(ps); i++ {
		prefix[i].Mul2(&prefix[i-1], &ps[i].Z)
	}
	var inv, zi, zi2 secp256k1.FieldVal
	inv.Set(&prefix[len(ps)-1]).Normalize()
	inv.Inverse()
	for i := len(ps) - 1; i >= 0; i-- {
		j := ps[i]
		if i > 0 {
			zi.Mul2(&inv, &prefix[i-1]) // 1/Z_i
			inv.Mul(&j.Z)               // 1/(Z_0·…·Z_{i−1})
		} else {
			zi.Set(&inv)
		}
		zi2.SquareVal(&zi)
		j.X.Mul(&zi2).Normalize()
		j.Y.Mul(&zi2).Mul(&zi).Normalize()
		j.Z.SetInt(1)
	}
}
