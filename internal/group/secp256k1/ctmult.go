package secp256k1

import (
	"crypto/subtle"
	"encoding/binary"
	"sync"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
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
//     algorithms 7 and 9 with b3 = 3·7 = 21. Being complete, they have no
//     exceptional cases (P = Q, P = −Q, identity inputs) to branch on;
//   - decred's FieldVal arithmetic, which is constant time; magnitudes are
//     tracked in the comments and every formula ends with Normalize;
//   - a fixed 4-bit window over all 256 scalar bits (64 windows, each four
//     doublings and one addition, the same sequence for every scalar);
//   - table look-ups that read all 16 entries and keep one by masking. FieldVal
//     does not export its limbs, so table entries are stored as normalized
//     field elements packed into our own [4]uint64 limbs, selected with masks
//     and unpacked with FieldVal.SetBytes (constant time).
//
// ScalarBaseMult uses a precomputed table of j·16^i·G for every window i and
// digit j, computed once on first use and never modified afterwards, so it
// needs 64 additions and no doublings.

// projPoint is a point in homogeneous projective coordinates; every
// coordinate has magnitude 1 between operations.
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
// Inputs have magnitude 1; v may alias p or q.
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
	v.x.Set(x3.Normalize())
	v.y.Set(y3.Normalize())
	v.z.Set(z3.Normalize())
}

// double sets v = 2p with algorithm 9 of Renes–Costello–Batina (a = 0).
// The input has magnitude 1; v may alias p.
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
	v.x.Set(x3.Normalize())
	v.y.Set(y3.Normalize())
	v.z.Set(z3.Normalize())
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
	for i, f := range []*secp256k1.FieldVal{&p.x, &p.y, &p.z} {
		b := f.Bytes() // f is normalized
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
func selectPoint(p *projPoint, table *[16]packedPoint, idx uint8) {
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

// ctScalarMult sets r = k·q in time independent of k.
func ctScalarMult(k *secp256k1.ModNScalar, q *secp256k1.JacobianPoint, r *secp256k1.JacobianPoint) {
	var table [16]packedPoint
	var qp, acc, t projPoint
	qp.fromJacobian(q)
	acc.setIdentity()
	table[0].pack(&acc)
	t.setIdentity()
	for i := 1; i < 16; i++ {
		t.add(&t, &qp)
		table[i].pack(&t)
	}
	kb := k.Bytes()
	for i := 0; i < 64; i++ {
		nib := kb[i/2] >> 4
		if i%2 == 1 {
			nib = kb[i/2] & 0x0f
		}
		acc.double(&acc)
		acc.double(&acc)
		acc.double(&acc)
		acc.double(&acc)
		selectPoint(&t, &table, nib)
		acc.add(&acc, &t)
	}
	acc.toJacobian(r)
	clear(kb[:])
}

// baseTable holds, for window i (least significant first) and digit j,
// the point j·16^i·G. It is computed once and only read afterwards.
var baseTable = sync.OnceValue(func() *[64][16]packedPoint {
	tab := new([64][16]packedPoint)
	var g secp256k1.JacobianPoint
	var one secp256k1.ModNScalar
	one.SetInt(1)
	secp256k1.ScalarBaseMultNonConst(&one, &g)
	var base, t projPoint
	base.fromJacobian(&g)
	for i := 0; i < 64; i++ {
		t.setIdentity()
		tab[i][0].pack(&t)
		for j := 1; j < 16; j++ {
			t.add(&t, &base)
			tab[i][j].pack(&t)
		}
		// base = 16·base
		for d := 0; d < 4; d++ {
			base.double(&base)
		}
	}
	return tab
})

// ctScalarBaseMult sets r = k·G in time independent of k.
func ctScalarBaseMult(k *secp256k1.ModNScalar, r *secp256k1.JacobianPoint) {
	tab := baseTable()
	var acc, t projPoint
	acc.setIdentity()
	kb := k.Bytes()
	for i := 0; i < 64; i++ {
		// window i counts from the least significant nibble
		b := kb[31-i/2]
		nib := b & 0x0f
		if i%2 == 1 {
			nib = b >> 4
		}
		selectPoint(&t, &tab[i], nib)
		acc.add(&acc, &t)
	}
	acc.toJacobian(r)
	clear(kb[:])
}
