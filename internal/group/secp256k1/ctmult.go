package secp256k1

import (
	"crypto/subtle"
	"encoding/binary"
	"math/bits"
	"sync"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/chainkey/chainkey/internal/group"
)

// Constant-time scalar multiplication.
//
// decred's ScalarMultNonConst and ScalarBaseMultNonConst branch on the bits
// of the scalar. ScalarMult and ScalarBaseMult use the code below instead:
//
//   - points in homogeneous projective coordinates (X:Y:Z), identity (0:1:0);
//   - the complete addition and doubling formulas for short Weierstrass curves
//     with a = 0 of Renes, Costello and Batina, "Complete addition formulas for
//     prime order elliptic curves" (EUROCRYPT 2016, ePrint 2015/1060),
//     algorithms 7, 8 (mixed, for affine table entries) and 9 with
//     b3 = 3·7 = 21. Being complete, they have no exceptional cases (P = Q,
//     P = −Q, identity inputs) to branch on;
//   - decred's FieldVal arithmetic, which is constant time; magnitudes are
//     tracked in the comments, and coordinates are normalized only where
//     an encoding needs it (table entries and the result);
//   - ScalarMult: the GLV split k = k1 + k2·λ (glv.go, constant time), each
//     half conditionally negated with masks and recoded into 33 signed
//     radix-16 digits, and 33 windows of four doublings and two additions
//     (the same sequence for every scalar; see ctScalarMult);
//   - ScalarBaseMult and FixedBase: a comb of affine points with signed odd
//     radix-32 digits, 52 mixed additions (see ctCombMult);
//   - table look-ups that read every entry and keep one by masking. FieldVal
//     does not export its limbs, so table entries are stored as normalized
//     field elements packed into our own uint64 limbs, selected (and, for
//     negative digits, negated) with masks and unpacked with FieldVal.SetBytes
//     (constant time).

// projPoint is a point in homogeneous projective coordinates; every
// coordinate has magnitude at most 3 between operations (see add).
type projPoint struct {
	x, y, z secp256k1.FieldVal
}

// b3 is 3·b = 21 for the curve y² = x³ + 7.
func b3() *secp256k1.FieldVal { return new(secp256k1.FieldVal).SetInt(21) }

func (p *projPoint) setIdentity() {
	p.x.SetInt(0)
	p.y.SetInt(1)
	p.z.SetInt(0)
}

// sub sets r = a − b, where b has magnitude at most mb; the result has
// magnitude mag(a) + mb + 1.
func sub(r, a, b *secp256k1.FieldVal, mb uint32) {
	var t secp256k1.FieldVal
	t.NegateVal(b, mb)
	r.Add2(a, &t)
}

// add sets v = p + q with algorithm 7 of Renes–Costello–Batina (a = 0).
// The magnitudes in the comments are for inputs of magnitude 1; inputs may
// have magnitude up to 3 (the outputs of add and double), which keeps every
// operand of a multiplication at magnitude 6 or less (decred's limit is 8).
// The outputs have magnitudes 3, 2, 2 and are not normalized. v may alias p
// or q.
func (v *projPoint) add(p, q *projPoint) {
	var t0, t1, t2, t3, t4, x3, y3, z3 secp256k1.FieldVal
	b := b3()
	t0.Mul2(&p.x, &q.x)   // 1. t0 = X1·X2        (mag 1)
	t1.Mul2(&p.y, &q.y)   // 2. t1 = Y1·Y2        (1)
	t2.Mul2(&p.z, &q.z)   // 3. t2 = Z1·Z2        (1)
	t3.Add2(&p.x, &p.y)   // 4. t3 = X1+Y1       (2)
	t4.Add2(&q.x, &q.y)   // 5. t4 = X2+Y2       (2)
	t3.Mul(&t4)           // 6. t3 = t3·t4        (1)
	t4.Add2(&t0, &t1)     // 7. t4 = t0+t1        (2)
	sub(&t3, &t3, &t4, 2) // 8. t3 = t3−t4      (4)
	t4.Add2(&p.y, &p.z)   // 9. t4 = Y1+Z1       (2)
	x3.Add2(&q.y, &q.z)   // 10. X3 = Y2+Z2      (2)
	t4.Mul(&x3)           // 11. t4 = t4·X3       (1)
	x3.Add2(&t1, &t2)     // 12. X3 = t1+t2       (2)
	sub(&t4, &t4, &x3, 2) // 13. t4 = t4−X3     (4)
	x3.Add2(&p.x, &p.z)   // 14. X3 = X1+Z1      (2)
	y3.Add2(&q.x, &q.z)   // 15. Y3 = X2+Z2      (2)
	x3.Mul(&y3)           // 16. X3 = X3·Y3       (1)
	y3.Add2(&t0, &t2)     // 17. Y3 = t0+t2       (2)
	sub(&y3, &x3, &y3, 2) // 18. Y3 = X3−Y3     (4)
	x3.Add2(&t0, &t0)     // 19. X3 = t0+t0       (2)
	t0.Add(&x3)           // 20. t0 = X3+t0       (3)
	t2.Mul(b)             // 21. t2 = b3·t2       (1)
	z3.Add2(&t1, &t2)     // 22. Z3 = t1+t2       (2)
	sub(&t1, &t1, &t2, 1) // 23. t1 = t1−t2     (3)
	y3.Mul(b)             // 24. Y3 = b3·Y3       (1)
	x3.Mul2(&t4, &y3)     // 25. X3 = t4·Y3       (1)
	t2.Mul2(&t3, &t1)     // 26. t2 = t3·t1       (1)
	sub(&x3, &t2, &x3, 1) // 27. X3 = t2−X3     (3)
	y3.Mul(&t0)           // 28. Y3 = Y3·t0       (1)
	t1.Mul(&z3)           // 29. t1 = t1·Z3       (1)
	y3.Add(&t1)           // 30. Y3 = t1+Y3       (2)
	t0.Mul(&t3)           // 31. t0 = t0·t3       (1)
	z3.Mul(&t4)           // 32. Z3 = Z3·t4       (1)
	z3.Add(&t0)           // 33. Z3 = Z3+t0       (2)
	v.x.Set(&x3)
	v.y.Set(&y3)
	v.z.Set(&z3)
}

// double sets v = 2p with algorithm 9 of Renes–Costello–Batina (a = 0).
// The input may have magnitude up to 3; the outputs have magnitudes 2, 2, 1
// and are not normalized. v may alias p.
func (v *projPoint) double(p *projPoint) {
	var t0, t1, t2, x3, y3, z3 secp256k1.FieldVal
	t0.SquareVal(&p.y)    // 1. t0 = Y·Y        (1)
	z3.Add2(&t0, &t0)     // 2. Z3 = t0+t0      (2)
	z3.Add(&z3)           // 3. Z3 = Z3+Z3      (4)
	z3.Add(&z3)           // 4. Z3 = Z3+Z3      (8)
	t1.Mul2(&p.y, &p.z)   // 5. t1 = Y·Z        (1)
	t2.SquareVal(&p.z)    // 6. t2 = Z·Z        (1)
	t2.Mul(b3())          // 7. t2 = b3·t2      (1)
	x3.Mul2(&t2, &z3)     // 8. X3 = t2·Z3      (1)
	y3.Add2(&t0, &t2)     // 9. Y3 = t0+t2      (2)
	z3.Mul(&t1)           // 10. Z3 = t1·Z3     (1)
	t1.Add2(&t2, &t2)     // 11. t1 = t2+t2     (2)
	t2.Add(&t1)           // 12. t2 = t1+t2     (3)
	sub(&t0, &t0, &t2, 3) // 13. t0 = t0−t2    (5)
	y3.Mul(&t0)           // 14. Y3 = t0·Y3     (1)
	y3.Add(&x3)           // 15. Y3 = X3+Y3     (2)
	t1.Mul2(&p.x, &p.y)   // 16. t1 = X·Y       (1)
	x3.Mul2(&t0, &t1)     // 17. X3 = t0·t1     (1)
	x3.Add(&x3)           // 18. X3 = X3+X3     (2)
	v.x.Set(&x3)
	v.y.Set(&y3)
	v.z.Set(&z3)
}

// fromJacobian sets v to the Jacobian point j (X/Z², Y/Z³), which must be
// normalized: (X:Y:Z)_J = (X·Z : Y : Z³) projectively. The identity is
// mapped to (0:1:0). The branch depends only on the point, never on a scalar.
func (v *projPoint) fromJacobian(j *secp256k1.JacobianPoint) {
	if isInfinity(j) {
		v.setIdentity()
		return
	}
	v.x.Mul2(&j.X, &j.Z).Normalize()
	v.y.Set(&j.Y).Normalize()
	v.z.SquareVal(&j.Z).Mul(&j.Z).Normalize()
}

// toJacobian sets j to v: (X:Y:Z) = (X·Z, Y·Z², Z) in Jacobian coordinates;
// the identity becomes (0, 0, 0). It runs in constant time.
func (v *projPoint) toJacobian(j *secp256k1.JacobianPoint) {
	var z2 secp256k1.FieldVal
	z2.SquareVal(&v.z)
	j.X.Mul2(&v.x, &v.z).Normalize()
	j.Y.Mul2(&v.y, &z2).Normalize()
	j.Z.Set(&v.z).Normalize()
}

// packedPoint is a projective point whose normalized coordinates are kept as
// big-endian 64-bit limbs, so that table look-ups can mask them.
type packedPoint [12]uint64

func (pp *packedPoint) pack(p *projPoint) {
	for i, c := range []*secp256k1.FieldVal{&p.x, &p.y, &p.z} {
		var f secp256k1.FieldVal
		f.Set(c).Normalize()
		b := f.Bytes()
		for k := 0; k < 4; k++ {
			pp[4*i+k] = binary.BigEndian.Uint64(b[8*k:])
		}
	}
}

func (pp *packedPoint) unpack(p *projPoint) {
	var b [32]byte
	for i, f := range []*secp256k1.FieldVal{&p.x, &p.y, &p.z} {
		for k := 0; k < 4; k++ {
			binary.BigEndian.PutUint64(b[8*k:], pp[4*i+k])
		}
		f.SetBytes(&b)
	}
	clear(b[:])
}

// selectPoint sets p to table[idx], reading every entry.
func selectPoint(p *projPoint, table []packedPoint, idx uint8) {
	var acc packedPoint
	for i := range table {
		mask := -uint64(subtle.ConstantTimeByteEq(uint8(i), idx))
		for k := range acc {
			acc[k] |= table[i][k] & mask
		}
	}
	acc.unpack(p)
	clear(acc[:])
}

// ctScalarMult sets r = k·q in time independent of k, with the GLV
// endomorphism: k = k1 + k2·λ (splitK, constant time), each half brought
// below 2^129 by a conditional negation (masks, no branch) and written in
// 33 signed radix-16 digits d ∈ [−8, 8] (Booth recoding, from fixed bit
// positions). Both halves share 128 doublings; each window adds one
// masked look-up from the table of j·Q and one from that of j·φ(Q),
// j ∈ [−8, 8] (the identity for j = 0, so the additions are complete-formula
// additions like any other). The number and order of the field operations
// are the same for every k.
func ctScalarMult(k *secp256k1.ModNScalar, q *secp256k1.JacobianPoint, r *secp256k1.JacobianPoint) {
	var tq, tphi [17]packedPoint // index j+8 holds j·Q and j·φ(Q)
	var qp, acc, t, u projPoint
	qp.fromJacobian(q)
	t.setIdentity()
	tq[8].pack(&t)
	tphi[8].pack(&t)
	for j := 1; j <= 8; j++ {
		t.add(&t, &qp)
		u = t
		tq[8+j].pack(&u)
		u.y.NegateVal(&t.y, 3)
		tq[8-j].pack(&u)
		u.x.Mul2(&t.x, &endoBeta)
		u.y = t.y
		tphi[8+j].pack(&u)
		u.y.NegateVal(&t.y, 3)
		tphi[8-j].pack(&u)
	}
	k1, k2 := splitK(k)
	var d1, d2 [glvWindows]int8
	boothDigits(&k1, &d1)
	boothDigits(&k2, &d2)
	k1.Zero()
	k2.Zero()
	acc.setIdentity()
	for i := glvWindows - 1; i >= 0; i-- {
		if i != glvWindows-1 {
			acc.double(&acc)
			acc.double(&acc)
			acc.double(&acc)
			acc.double(&acc)
		}
		selectPoint(&t, tq[:], uint8(d1[i]+8))
		acc.add(&acc, &t)
		selectPoint(&t, tphi[:], uint8(d2[i]+8))
		acc.add(&acc, &t)
	}
	acc.toJacobian(r)
	clear(d1[:])
	clear(d2[:])
	clear(tq[:])
	clear(tphi[:])
}

// glvWindows is the number of signed radix-16 digits of a GLV half: 33
// digits cover values below 2^131, and the halves are below 2^129.
const glvWindows = 33

// boothDigits writes the signed radix-16 digits of the half-scalar h
// (least significant first), in constant time. If h > n/2 it is replaced by
// n − h and every digit is negated, so that Σ d_i·16^i ≡ h (mod n) holds
// either way. Digit i is b(4i−1) + b(4i) + 2b(4i+1) + 4b(4i+2) − 8b(4i+3)
// for the bits b of the (small) value.
func boothDigits(h *secp256k1.ModNScalar, d *[glvWindows]int8) {
	var nh secp256k1.ModNScalar
	nh.NegateVal(h)
	l, nl := scalarLimbs(h), scalarLimbs(&nh)
	neg := overHalfOrder(&l)
	mask := -neg
	var v [5]uint64
	for i := range l {
		v[i] = l[i]&^mask | nl[i]&mask
	}
	sign := int8(-int64(neg)) // 0 or −1
	bit := func(j int) uint64 {
		if j < 0 {
			return 0
		}
		return v[j/64] >> (j % 64) & 1
	}
	for i := 0; i < glvWindows; i++ {
		w := int8(bit(4*i-1) + bit(4*i) + 2*bit(4*i+1) + 4*bit(4*i+2))
		w -= int8(8 * bit(4*i+3))
		d[i] = (w ^ sign) - sign // conditional negation
	}
	nh.Zero()
	clear(l[:])
	clear(nl[:])
	clear(v[:])
}

// addMixed sets v = p + q for an affine q = (x, y, 1) that is not the
// identity, with algorithm 8 of Renes–Costello–Batina (algorithm 7 with
// Z2 = 1: 11 multiplications instead of 12, complete for every p). Input
// and output magnitudes are as for add; v may alias p.
func (v *projPoint) addMixed(p *projPoint, qx, qy *secp256k1.FieldVal) {
	var t0, t1, t2, t3, t4, x3, y3, z3 secp256k1.FieldVal
	b := b3()
	t0.Mul2(&p.x, qx)     // 1. t0 = X1·X2        (1)
	t1.Mul2(&p.y, qy)     // 2. t1 = Y1·Y2        (1)
	t3.Add2(qx, qy)       // 3. t3 = X2+Y2       (2)
	t4.Add2(&p.x, &p.y)   // 4. t4 = X1+Y1       (≤6)
	t3.Mul(&t4)           // 5. t3 = t3·t4        (1)
	t4.Add2(&t0, &t1)     // 6. t4 = t0+t1        (2)
	sub(&t3, &t3, &t4, 2) // 7. t3 = t3−t4      (4)
	t4.Mul2(qy, &p.z)     // 8. t4 = Y2·Z1        (1)
	t4.Add(&p.y)          // 9. t4 = t4+Y1        (≤4)
	y3.Mul2(qx, &p.z)     // 10. Y3 = X2·Z1       (1)
	y3.Add(&p.x)          // 11. Y3 = Y3+X1       (≤4)
	x3.Add2(&t0, &t0)     // 12. X3 = t0+t0       (2)
	t0.Add(&x3)           // 13. t0 = X3+t0       (3)
	t2.Mul2(b, &p.z)      // 14. t2 = b3·Z1       (1)
	z3.Add2(&t1, &t2)     // 15. Z3 = t1+t2       (2)
	sub(&t1, &t1, &t2, 1) // 16. t1 = t1−t2     (3)
	y3.Mul(b)             // 17. Y3 = b3·Y3       (1)
	x3.Mul2(&t4, &y3)     // 18. X3 = t4·Y3       (1)
	t2.Mul2(&t3, &t1)     // 19. t2 = t3·t1       (1)
	sub(&x3, &t2, &x3, 1) // 20. X3 = t2−X3     (3)
	y3.Mul(&t0)           // 21. Y3 = Y3·t0       (1)
	t1.Mul(&z3)           // 22. t1 = t1·Z3       (1)
	y3.Add(&t1)           // 23. Y3 = t1+Y3       (2)
	t0.Mul(&t3)           // 24. t0 = t0·t3       (1)
	z3.Mul(&t4)           // 25. Z3 = Z3·t4       (1)
	z3.Add(&t0)           // 26. Z3 = Z3+t0       (2)
	v.x.Set(&x3)
	v.y.Set(&y3)
	v.z.Set(&z3)
}

// Fixed-base multiplication (ScalarBaseMult and FixedBase) uses a comb of
// affine points and signed odd digits:
//
//   - an odd k < 2^256 is written k = Σ d_i·32^i, i < 52, with every d_i odd
//     in [−31, 31] (d_i = (k mod 64) − 32, k ← (k − d_i)/32, which keeps k
//     odd; the last digit is what remains). No digit is zero, so no table
//     entry is the identity, and mixed addition (addMixed) is complete;
//   - an even k is replaced by n − k (odd; n itself for k = 0) with every
//     digit negated, since (n − k)·B = −k·B. The choice is made with masks;
//   - window i has the affine points j·32^i·B for odd j ≤ 31 (16 entries); a
//     look-up reads all 16, keeps |d_i|'s with masks and negates y with a
//     mask when d_i < 0 (p − y; no curve point has y = 0).
//
// Every multiplication is 52 masked look-ups and 52 mixed additions,
// whatever k is.

const (
	combWindows = 52
	combEntries = 16
)

// affineComb holds the big-endian limbs of x and y of j·32^i·B for window i
// and odd j = 2e+1 at [i][e].
type affineComb [combWindows][combEntries][8]uint64

// newAffineComb computes the comb of the public, non-identity point b
// (variable time: b is public).
func newAffineComb(b *secp256k1.JacobianPoint) *affineComb {
	pts := make([]secp256k1.JacobianPoint, combWindows*combEntries)
	var base, two secp256k1.JacobianPoint
	base.Set(b)
	for i := 0; i < combWindows; i++ {
		row := pts[i*combEntries : (i+1)*combEntries]
		row[0].Set(&base)
		secp256k1.DoubleNonConst(&base, &two)
		for e := 1; e < combEntries; e++ {
			secp256k1.AddNonConst(&row[e-1], &two, &row[e])
		}
		for range 5 {
			secp256k1.DoubleNonConst(&base, &base)
		}
	}
	ptrs := make([]*secp256k1.JacobianPoint, len(pts))
	for i := range pts {
		ptrs[i] = &pts[i]
	}
	batchAffine(ptrs)
	tab := new(affineComb)
	for i := range pts {
		x, y := pts[i].X.Bytes(), pts[i].Y.Bytes()
		ent := &tab[i/combEntries][i%combEntries]
		for k := 0; k < 4; k++ {
			ent[k] = binary.BigEndian.Uint64(x[8*k:])
			ent[4+k] = binary.BigEndian.Uint64(y[8*k:])
		}
	}
	return tab
}

// baseComb is the comb of G, computed once on first use and only read
// afterwards.
var baseComb = sync.OnceValue(func() *affineComb {
	return newAffineComb(&Generator().p)
})

// fieldPrime holds the limbs of p, most significant first.
var fieldPrime = [4]uint64{0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff, 0xfffffffefffffc2f}

// orderLimbs holds the limbs of n, least significant first.
var orderLimbs = [4]uint64{0xbfd25e8cd0364141, 0xbaaedce6af48a03b, 0xfffffffffffffffe, 0xffffffffffffffff}

// combDigits writes the signed odd digits of k (see above) to d, in
// constant time.
func combDigits(k *secp256k1.ModNScalar, d *[combWindows]int8) {
	kl := scalarLimbs(k)
	var nk [4]uint64 // n − k
	var borrow uint64
	for i := range nk {
		nk[i], borrow = bits.Sub64(orderLimbs[i], kl[i], borrow)
	}
	even := 1 - kl[0]&1
	mask := -even
	var v [5]uint64
	for i := range kl {
		v[i] = kl[i]&^mask | nk[i]&mask
	}
	for i := 0; i < combWindows-1; i++ {
		x := int64(v[0]&63) - 32
		d[i] = int8(x)
		// v = (v − x) / 32; the result is non-negative.
		neg := uint64(-x)
		ext := uint64(-x >> 63) // sign extension of −x
		var c uint64
		v[0], c = bits.Add64(v[0], neg, 0)
		for j := 1; j < len(v); j++ {
			v[j], c = bits.Add64(v[j], ext, c)
		}
		for j := 0; j < len(v)-1; j++ {
			v[j] = v[j]>>5 | v[j+1]<<59
		}
		v[len(v)-1] >>= 5
	}
	d[combWindows-1] = int8(v[0])
	sign := int8(-int64(even)) // negate every digit for n − k
	for i := range d {
		d[i] = (d[i] ^ sign) - sign
	}
	clear(kl[:])
	clear(nk[:])
	clear(v[:])
}

// selectAffine sets x, y to the entry of row for the odd digit d ∈ [−31, 31],
// reading every entry and negating y with a mask when d < 0.
func selectAffine(x, y *secp256k1.FieldVal, row *[combEntries][8]uint64, d int8) {
	s := d >> 7             // −1 if d < 0, else 0
	a := uint8((d ^ s) - s) // |d|, odd
	idx := (a - 1) >> 1
	var acc [8]uint64
	for e := range row {
		m := -uint64(subtle.ConstantTimeByteEq(uint8(e), idx))
		for k := range acc {
			acc[k] |= row[e][k] & m
		}
	}
	// p − y, limbs most significant first.
	var ny [4]uint64
	var borrow uint64
	for k := 3; k >= 0; k-- {
		ny[k], borrow = bits.Sub64(fieldPrime[k], acc[4+k], borrow)
	}
	nm := uint64(int64(s)) // all ones if d < 0
	for k := 0; k < 4; k++ {
		acc[4+k] = acc[4+k]&^nm | ny[k]&nm
	}
	var b [32]byte
	for k := 0; k < 4; k++ {
		binary.BigEndian.PutUint64(b[8*k:], acc[k])
	}
	x.SetBytes(&b)
	for k := 0; k < 4; k++ {
		binary.BigEndian.PutUint64(b[8*k:], acc[4+k])
	}
	y.SetBytes(&b)
	clear(b[:])
	clear(acc[:])
	clear(ny[:])
}

// ctScalarBaseMult sets r = k·G in time independent of k.
func ctScalarBaseMult(k *secp256k1.ModNScalar, r *secp256k1.JacobianPoint) {
	ctCombMult(baseComb(), k, r)
}

// ctCombMult sets r = k·B for the comb of B, in time independent of k.
func ctCombMult(tab *affineComb, k *secp256k1.ModNScalar, r *secp256k1.JacobianPoint) {
	var d [combWindows]int8
	combDigits(k, &d)
	var acc projPoint
	var x, y secp256k1.FieldVal
	acc.setIdentity()
	for i := 0; i < combWindows; i++ {
		selectAffine(&x, &y, &tab[i], d[i])
		acc.addMixed(&acc, &x, &y)
	}
	acc.toJacobian(r)
	clear(d[:])
	x.Zero()
	y.Zero()
}

// FixedBase is a precomputed table of the multiples of one point, for
// constant-time multiplications of that point (such as a second Pedersen
// generator) by secret scalars at the cost of ScalarBaseMult, about a
// third of ScalarMult's. A table takes 52 KiB and about as long to build
// as a few ScalarMult calls. It is immutable and safe for concurrent use.
type FixedBase struct {
	tab *affineComb // nil for the identity
}

// NewFixedBase returns the table of p.
func NewFixedBase(p *Point) *FixedBase {
	if p.IsIdentity() {
		return &FixedBase{}
	}
	return &FixedBase{tab: newAffineComb(&p.p)}
}

// Mult returns s·P for the table's point P, in time independent of s.
func (f *FixedBase) Mult(s group.Scalar) *Point {
	r := new(Point)
	if f.tab == nil {
		return r // the point is public: s·O = O
	}
	ctCombMult(f.tab, &toScalar(s).s, &r.p)
	return r
}
