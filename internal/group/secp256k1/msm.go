package secp256k1

import "github.com/decred/dcrd/dcrec/secp256k1/v4"

// msmWindow is the width of the wNAF digits of the multi-scalar
// multiplication: digits are odd and in (−2^(w−1), 2^(w−1)), so each point
// needs the table P, 3P, …, 15P.
const msmWindow = 5

// msmTableLen is the number of odd multiples in an MSM table.
const msmTableLen = 1 << (msmWindow - 2)

// msmGLV sets r = Σ k[i]·P[i] in variable time (public scalars only) with
// Straus' interleaved method over the GLV split: every k[i] becomes
// k1 + k2·λ with halves of about 128 bits, each written in width-5 NAF, so
// the 2n half-scalars share about 129 doublings and cost about 22 table
// additions each. The tables (odd multiples of every P[i], and their images
// under φ, which cost one field multiplication each) are converted to affine
// form with a single field inversion, so that every addition in the main
// loop is a mixed one. The arithmetic is the package's own (field.go,
// jacPoint); points are converted from decred's form once. Points must be
// normalized; r may not alias them.
func msmGLV(k []*secp256k1.ModNScalar, pts []*secp256k1.JacobianPoint, r *secp256k1.JacobianPoint) {
	type half struct {
		tab    *[msmTableLen]affinePoint
		digits [msmDigits]int8
		n      int
		neg    bool
		split  bool // the k1 half of a split scalar; k2 follows it
	}
	// Room for both tables of every point, allocated once: the halves
	// keep pointers into it.
	tabs := make([][msmTableLen]affinePoint, 0, 2*len(k))
	halves := make([]half, 0, 2*len(k))
	jac := make([]jacPoint, 0, msmTableLen*len(k))
	for i := range k {
		if k[i].IsZero() || isInfinity(pts[i]) {
			continue
		}
		tabs = append(tabs, [msmTableLen]affinePoint{})
		t := &tabs[len(tabs)-1]
		var p jacPoint
		p.fromDecred(pts[i])
		if kl := scalarLimbs(k[i]); kl[1]|kl[2]|kl[3] == 0 {
			// A short scalar (such as a power of a node index):
			// plain NAF on the point itself, no split; its table
			// holds only P.
			jac = append(jac, p)
			for range msmTableLen - 1 {
				jac = append(jac, jacPoint{x: p.x, y: p.y, z: p.z})
			}
			h := half{tab: t}
			h.n = wnaf(k[i], &h.digits, 2)
			halves = append(halves, h)
			continue
		}
		var p2 jacPoint
		p2.double(&p)
		jac = append(jac, p)
		for j := 1; j < msmTableLen; j++ {
			var q jacPoint
			q.add(&jac[len(jac)-1], &p2)
			jac = append(jac, q)
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
	// The table of the j-th point (in the order of tabs) is
	// jac[msmTableLen·j:]; every entry is a non-identity point (an odd
	// multiple of a point of prime order).
	batchToAffine(jac, func(i int) *affinePoint { return &tabs[i/msmTableLen][i%msmTableLen] })
	// φ tables: (β·x, y) of the affine odd multiples.
	for h := 0; h < len(halves); h++ {
		if !halves[h].split {
			continue
		}
		tabs = append(tabs, [msmTableLen]affinePoint{})
		t := &tabs[len(tabs)-1]
		for j, q := range halves[h].tab {
			t[j].x.mul(&q.x, &feBeta)
			t[j].y = q.y
		}
		halves[h+1].tab = t
	}
	top := 0
	for j := range halves {
		top = max(top, halves[j].n)
	}
	acc := jacPoint{inf: true}
	var q affinePoint
	for i := top - 1; i >= 0; i-- {
		acc.double(&acc)
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
			q = h.tab[d>>1]
			if neg {
				q.y.neg(&q.y)
			}
			acc.addAffine(&acc, &q)
		}
	}
	acc.toDecred(r)
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

// batchAffine rewrites the given non-identity decred Jacobian points in
// affine form (Z = 1) with one field inversion (Montgomery's trick). The
// pointers must be distinct. Variable time; public points only.
func batchAffine(ps []*secp256k1.JacobianPoint) {
	if len(ps) == 0 {
		return
	}
	jac := make([]jacPoint, len(ps))
	for i, p := range ps {
		jac[i].fromDecred(p)
	}
	aff := make([]affinePoint, len(ps))
	batchToAffine(jac, func(i int) *affinePoint { return &aff[i] })
	for i, p := range ps {
		aff[i].x.toFieldVal(&p.X)
		aff[i].y.toFieldVal(&p.Y)
		p.Z.SetInt(1)
	}
}

// batchToAffine writes the affine form of the non-identity points ps[i]
// to out(i), with one field inversion (Montgomery's trick). ps is used as
// scratch space. Variable time; public points only.
func batchToAffine(ps []jacPoint, out func(int) *affinePoint) {
	if len(ps) == 0 {
		return
	}
	// Store the prefix products Z_0·…·Z_i in the points' x while their x
	// is kept aside in the output.
	var acc fe
	acc.setOne()
	prefix := make([]fe, len(ps))
	for i := range ps {
		acc.mul(&acc, &ps[i].z)
		prefix[i] = acc
	}
	var inv, zi, zi2 fe
	inv.inverse(&acc)
	for i := len(ps) - 1; i >= 0; i-- {
		j := &ps[i]
		if i > 0 {
			zi.mul(&inv, &prefix[i-1]) // 1/Z_i
			inv.mul(&inv, &j.z)        // 1/(Z_0·…·Z_{i−1})
		} else {
			zi = inv
		}
		zi2.square(&zi)
		o := out(i)
		o.x.mul(&j.x, &zi2)
		o.y.mul(&j.y, &zi2)
		o.y.mul(&o.y, &zi)
		o.x.normalize()
		o.y.normalize()
	}
}

// jacPoint is a point in Jacobian coordinates (X/Z², Y/Z³) for the
// variable-time code (msmGLV and table construction); inf marks the
// identity, whose coordinates are meaningless.
type jacPoint struct {
	x, y, z fe
	inf     bool
}

// fromDecred sets v to the decred point j.
func (v *jacPoint) fromDecred(j *secp256k1.JacobianPoint) {
	if isInfinity(j) {
		*v = jacPoint{inf: true}
		return
	}
	v.x.fromFieldVal(&j.X)
	v.y.fromFieldVal(&j.Y)
	v.z.fromFieldVal(&j.Z)
	v.inf = false
}

// toDecred sets j to v, normalized; the identity becomes (0, 0, 0).
func (v *jacPoint) toDecred(j *secp256k1.JacobianPoint) {
	if v.inf {
		j.X.Zero()
		j.Y.Zero()
		j.Z.Zero()
		return
	}
	v.x.toFieldVal(&j.X)
	v.y.toFieldVal(&j.Y)
	v.z.toFieldVal(&j.Z)
}

// double sets v = 2p (formulas dbl-2009-l of the Explicit-Formulas
// Database for a = 0: 2 multiplications and 5 squarings). No point of
// secp256k1 has y = 0, so the double of a finite point is finite. v may
// alias p.
func (v *jacPoint) double(p *jacPoint) {
	if p.inf {
		v.inf = true
		return
	}
	var a, b, c, d, e, f, x3, y3, z3 fe
	a.square(&p.x)     // A = X1²
	b.square(&p.y)     // B = Y1²
	c.square(&b)       // C = B²
	d.add(&p.x, &b)    // X1+B
	d.square(&d)       // (X1+B)²
	d.sub(&d, &a)      //
	d.sub(&d, &c)      //
	d.double(&d)       // D = 2((X1+B)²−A−C)
	e.mulInt(&a, 3)    // E = 3A
	f.square(&e)       // F = E²
	z3.mul(&p.y, &p.z) //
	z3.double(&z3)     // Z3 = 2·Y1·Z1
	x3.double(&d)      //
	x3.sub(&f, &x3)    // X3 = F−2D
	y3.sub(&d, &x3)    //
	y3.mul(&y3, &e)    // E·(D−X3)
	c.mulInt(&c, 8)    //
	y3.sub(&y3, &c)    // Y3 = E·(D−X3)−8C
	v.x, v.y, v.z, v.inf = x3, y3, z3, false
}

// addAffine sets v = p + q for an affine q (formulas madd with Z2 = 1:
// 8 multiplications and 3 squarings). It handles p = O, p = q and p = −q.
// v may alias p.
func (v *jacPoint) addAffine(p *jacPoint, q *affinePoint) {
	if p.inf {
		v.x, v.y, v.inf = q.x, q.y, false
		v.z.setOne()
		return
	}
	var z1z1, u2, s2, h, r fe
	z1z1.square(&p.z)   // Z1²
	u2.mul(&q.x, &z1z1) // U2 = X2·Z1²
	s2.mul(&q.y, &z1z1) //
	s2.mul(&s2, &p.z)   // S2 = Y2·Z1³
	h.sub(&u2, &p.x)    // H = U2−X1
	r.sub(&s2, &p.y)    // R = S2−Y1
	if h.isZero() {
		if r.isZero() { // p = q
			var t jacPoint
			t.x, t.y = q.x, q.y
			t.z.setOne()
			v.double(&t)
			return
		}
		v.inf = true // p = −q
		return
	}
	v.addFinish(p.x, p.y, p.z, &h, &r, nil)
}

// add sets v = p + q for Jacobian p and q (formulas add with Z1, Z2
// arbitrary: 12 multiplications and 4 squarings). It handles identities,
// p = q and p = −q. v may alias p or q.
func (v *jacPoint) add(p, q *jacPoint) {
	switch {
	case p.inf:
		*v = *q
		return
	case q.inf:
		*v = *p
		return
	}
	var z1z1, z2z2, u1, u2, s1, s2, h, r fe
	z1z1.square(&p.z)
	z2z2.square(&q.z)
	u1.mul(&p.x, &z2z2) // U1 = X1·Z2²
	u2.mul(&q.x, &z1z1) // U2 = X2·Z1²
	s1.mul(&p.y, &z2z2)
	s1.mul(&s1, &q.z) // S1 = Y1·Z2³
	s2.mul(&q.y, &z1z1)
	s2.mul(&s2, &p.z) // S2 = Y2·Z1³
	h.sub(&u2, &u1)   // H = U2−U1
	r.sub(&s2, &s1)   // R = S2−S1
	if h.isZero() {
		if r.isZero() {
			v.double(p)
			return
		}
		v.inf = true
		return
	}
	v.addFinish(u1, s1, p.z, &h, &r, &q.z)
}

// addFinish completes an addition from U1, S1, Z1, H = U2−U1 and
// R = S2−S1 (H ≠ 0): X3 = R²−H³−2·U1·H², Y3 = R·(U1·H²−X3)−S1·H³ and
// Z3 = Z1·H (times Z2 unless z2 is nil).
func (v *jacPoint) addFinish(u1, s1, z1 fe, h, r, z2 *fe) {
	var hh, hhh, vv, x3, y3, z3, t fe
	hh.square(h)      // H²
	hhh.mul(h, &hh)   // H³
	vv.mul(&u1, &hh)  // V = U1·H²
	x3.square(r)      // R²
	x3.sub(&x3, &hhh) //
	t.double(&vv)     //
	x3.sub(&x3, &t)   // X3 = R²−H³−2V
	y3.sub(&vv, &x3)  //
	y3.mul(&y3, r)    //
	t.mul(&s1, &hhh)  //
	y3.sub(&y3, &t)   // Y3 = R·(V−X3)−S1·H³
	z3.mul(&z1, h)    // Z3 = Z1·H
	if z2 != nil {
		z3.mul(&z3, z2) // ·Z2
	}
	v.x, v.y, v.z, v.inf = x3, y3, z3, false
}
