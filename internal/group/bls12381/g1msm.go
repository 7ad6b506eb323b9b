package bls12381

import (
	"encoding/binary"
	"math/big"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
)

// G1 multi-scalar multiplication for a few points (variable time, public
// scalars): Straus' interleaved method over the GLV endomorphism
// φ(x, y) = (ω·x, y) = λ·(x, y) of G1, with λ = z² − 1 for the curve
// parameter z. Since λ² + λ + 1 = r, every scalar k < r splits exactly as
// k = k1 + k2·λ with k1 = k mod λ and k2 = ⌊k/λ⌋, both below 2^128 and
// non-negative. Each half is written in width-5 NAF; the odd multiples
// P, 3P, …, 15P of every point are made affine with one inversion (φ of
// them costs one multiplication each), so the main loop runs about 128
// doublings and mixed additions only. It is single-threaded; for the small
// n of threshold signing it is faster than a bucket method.

var (
	g1Lambda, _ = new(big.Int).SetString("228988810152649578064853576960394133503", 10)
	g1Omega     = func() fp.Element {
		var w fp.Element
		if _, err := w.SetString("4002409555221667392624310435006688643935503118305586438271171395842971157480381377015405980053539358417135540939436"); err != nil {
			panic(err)
		}
		return w
	}()
)

const (
	g1Window = 5
	g1Digits = 131 // a width-5 NAF of a value below 2^129
)

type g1Half struct {
	tab    *[1 << (g1Window - 2)]bls.G1Affine
	digits [g1Digits]int8
	n      int
}

// g1MSM sets r = Σ k[i]·P[i].
func g1MSM(r *bls.G1Jac, scalars []*Scalar, points []*bls.G1Jac) {
	const tl = 1 << (g1Window - 2)
	jac := make([]bls.G1Jac, 0, tl*len(points))
	halves := make([]g1Half, 0, 2*len(points))
	k := new(big.Int)
	q := new(big.Int)
	for i, p := range points {
		if p.Z.IsZero() || scalars[i].IsZero() {
			continue
		}
		var p2 bls.G1Jac
		p2.Double(p)
		jac = append(jac, *p)
		for j := 1; j < tl; j++ {
			t := jac[len(jac)-1]
			t.AddAssign(&p2)
			jac = append(jac, t)
		}
		k.SetBytes(scalars[i].Bytes())
		q.QuoRem(k, g1Lambda, k) // k2 = q, k1 = k
		var h1, h2 g1Half
		h1.n = g1WNAF(k, &h1.digits)
		h2.n = g1WNAF(q, &h2.digits)
		halves = append(halves, h1, h2)
	}
	r.X.SetOne()
	r.Y.SetOne()
	r.Z.SetZero()
	if len(halves) == 0 {
		return
	}
	aff := bls.BatchJacobianToAffineG1(jac)
	tabs := make([][tl]bls.G1Affine, len(halves))
	top := 0
	for i := 0; i < len(halves); i += 2 {
		t1, t2 := &tabs[i], &tabs[i+1]
		copy(t1[:], aff[(i/2)*tl:])
		for j := range t1 {
			t2[j].X.Mul(&t1[j].X, &g1Omega)
			t2[j].Y = t1[j].Y
		}
		halves[i].tab, halves[i+1].tab = t1, t2
		top = max(top, halves[i].n, halves[i+1].n)
	}
	var neg bls.G1Affine
	for i := top - 1; i >= 0; i-- {
		r.DoubleAssign()
		for j := range halves {
			h := &halves[j]
			d := h.digits[i]
			switch {
			case d > 0:
				r.AddMixed(&h.tab[d>>1])
			case d < 0:
				neg.Neg(&h.tab[(-d)>>1])
				r.AddMixed(&neg)
			}
		}
	}
}

// g1WNAF writes the width-5 NAF of 0 ≤ v < 2^129 (least significant digit
// first) to d and returns its length. Variable time.
func g1WNAF(v *big.Int, d *[g1Digits]int8) int {
	var b [24]byte
	v.FillBytes(b[:])
	l := [4]uint64{binary.BigEndian.Uint64(b[16:]), binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[:8])}
	n := 0
	for l != [4]uint64{} {
		if l[0]&1 == 1 {
			x := int64(l[0] & (1<<g1Window - 1))
			if x >= 1<<(g1Window-1) {
				x -= 1 << g1Window
			}
			d[n] = int8(x)
			if x > 0 {
				l[0] -= uint64(x) // l[0] ≥ x: the low bits equal x
			} else {
				var c uint64
				l[0], c = add64(l[0], uint64(-x))
				for i := 1; i < len(l) && c != 0; i++ {
					l[i], c = add64(l[i], c)
				}
			}
		}
		for i := 0; i < len(l)-1; i++ {
			l[i] = l[i]>>1 | l[i+1]<<63
		}
		l[len(l)-1] >>= 1
		n++
	}
	return n
}

func add64(x, y uint64) (uint64, uint64) {
	s := x + y
	if s < x {
		return s, 1
	}
	return s, 0
}
