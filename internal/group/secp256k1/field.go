package secp256k1

import (
	"encoding/binary"
	"math/bits"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// Field arithmetic for the scalar multiplications.
//
// fe is an integer modulo p = 2^256 − 2^32 − 977 held in four 64-bit limbs,
// least significant first. Every value below 2^256 is a valid representation
// (weak reduction): all operations accept any such input, alias freely, and
// return such a value; only normalize brings it below p, as encodings and
// comparisons need. Reduction uses 2^256 ≡ feK (mod p) with feK = 2^32 + 977
// and needs no magnitude bookkeeping.
//
// Every operation is constant time: limb arithmetic is bits.Mul64, Add64
// and Sub64 only, carries and borrows are folded back with multiplications
// by 0 or 1 or with masks, never with branches. The variable-time code
// (msm.go) uses the same operations and branches only on public values.
type fe [4]uint64

// feK is 2^256 − p.
const feK = 0x1000003d1

// feBeta is the cube root of unity β of the GLV endomorphism (endoBeta).
var feBeta = fe{0xc1396c28719501ee, 0x9cf0497512f58995, 0x6e64479eac3434e9, 0x7ae96a2b657c0710}

func (r *fe) setZero() { *r = fe{} }

func (r *fe) setOne() { *r = fe{1} }

// add sets r = a + b.
func (r *fe) add(a, b *fe) *fe {
	r0, c := bits.Add64(a[0], b[0], 0)
	r1, c := bits.Add64(a[1], b[1], c)
	r2, c := bits.Add64(a[2], b[2], c)
	r3, c := bits.Add64(a[3], b[3], c)
	// a + b = r + c·2^256 ≡ r + c·feK.
	r0, c = bits.Add64(r0, c*feK, 0)
	r1, c = bits.Add64(r1, 0, c)
	r2, c = bits.Add64(r2, 0, c)
	r3, c = bits.Add64(r3, 0, c)
	// A second carry leaves r below feK, so folding it cannot carry.
	r[0], r[1], r[2], r[3] = r0+c*feK, r1, r2, r3
	return r
}

// double sets r = 2a.
func (r *fe) double(a *fe) *fe { return r.add(a, a) }

// sub sets r = a − b.
func (r *fe) sub(a, b *fe) *fe {
	r0, w := bits.Sub64(a[0], b[0], 0)
	r1, w := bits.Sub64(a[1], b[1], w)
	r2, w := bits.Sub64(a[2], b[2], w)
	r3, w := bits.Sub64(a[3], b[3], w)
	// a − b = r − w·2^256 ≡ r − w·feK.
	r0, w = bits.Sub64(r0, w*feK, 0)
	r1, w = bits.Sub64(r1, 0, w)
	r2, w = bits.Sub64(r2, 0, w)
	r3, w = bits.Sub64(r3, 0, w)
	// A second borrow means r wrapped to at least 2^256 − feK, whose low
	// limb is at least 2^64 − feK: subtracting feK again cannot borrow.
	r[0], r[1], r[2], r[3] = r0-w*feK, r1, r2, r3
	return r
}

// neg sets r = −a.
func (r *fe) neg(a *fe) *fe {
	var z fe
	return r.sub(&z, a)
}

// mulInt sets r = m·a for m < 2^31.
func (r *fe) mulInt(a *fe, m uint64) *fe {
	h0, r0 := bits.Mul64(a[0], m)
	h1, r1 := bits.Mul64(a[1], m)
	h2, r2 := bits.Mul64(a[2], m)
	h3, r3 := bits.Mul64(a[3], m)
	var c uint64
	r1, c = bits.Add64(r1, h0, 0)
	r2, c = bits.Add64(r2, h1, c)
	r3, c = bits.Add64(r3, h2, c)
	r4 := h3 + c // below m < 2^31
	r0, c = bits.Add64(r0, r4*feK, 0)
	r1, c = bits.Add64(r1, 0, c)
	r2, c = bits.Add64(r2, 0, c)
	r3, c = bits.Add64(r3, 0, c)
	// After a carry the value is below r4·feK < 2^64 − feK: folding the
	// carry cannot carry again.
	r[0], r[1], r[2], r[3] = r0+c*feK, r1, r2, r3
	return r
}

// madd returns the two limbs of a·b + c + d, which cannot overflow.
func madd(a, b, c, d uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(a, b)
	var cc uint64
	lo, cc = bits.Add64(lo, c, 0)
	hi += cc
	lo, cc = bits.Add64(lo, d, 0)
	hi += cc
	return hi, lo
}

// madd1 returns the two limbs of a·b + c, which cannot overflow.
func madd1(a, b, c uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(a, b)
	var cc uint64
	lo, cc = bits.Add64(lo, c, 0)
	return hi + cc, lo
}

// reduce512 returns t mod p as a weakly reduced element, for the
// little-endian 512-bit t.
func reduce512(r *fe, t0, t1, t2, t3, t4, t5, t6, t7 uint64) {
	// t = L + H·2^256 ≡ L + H·feK, which is below 2^290.
	h0, l0 := bits.Mul64(t4, feK)
	h1, l1 := bits.Mul64(t5, feK)
	h2, l2 := bits.Mul64(t6, feK)
	h3, l3 := bits.Mul64(t7, feK)
	var c uint64
	t0, c = bits.Add64(t0, l0, 0)
	t1, c = bits.Add64(t1, l1, c)
	t2, c = bits.Add64(t2, l2, c)
	t3, c = bits.Add64(t3, l3, c)
	t4 = h3 + c
	t1, c = bits.Add64(t1, h0, 0)
	t2, c = bits.Add64(t2, h1, c)
	t3, c = bits.Add64(t3, h2, c)
	t4 += c // below 2^34
	// Fold t4·2^256 ≡ t4·feK (below 2^67).
	h, l := bits.Mul64(t4, feK)
	t0, c = bits.Add64(t0, l, 0)
	t1, c = bits.Add64(t1, h, c)
	t2, c = bits.Add64(t2, 0, c)
	t3, c = bits.Add64(t3, 0, c)
	// After a carry the value is below 2^67: one more fold of feK carries
	// at most into t1.
	t0, c = bits.Add64(t0, c*feK, 0)
	r[0], r[1], r[2], r[3] = t0, t1+c, t2, t3
}

// mul sets r = a·b.
func (r *fe) mul(a, b *fe) *fe {
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
	var c uint64

	c, t0 := bits.Mul64(a0, b0)
	c, t1 := madd1(a0, b1, c)
	c, t2 := madd1(a0, b2, c)
	t4, t3 := madd1(a0, b3, c)

	c, t1 = madd1(a1, b0, t1)
	c, t2 = madd(a1, b1, t2, c)
	c, t3 = madd(a1, b2, t3, c)
	t5, t4 := madd(a1, b3, t4, c)

	c, t2 = madd1(a2, b0, t2)
	c, t3 = madd(a2, b1, t3, c)
	c, t4 = madd(a2, b2, t4, c)
	t6, t5 := madd(a2, b3, t5, c)

	c, t3 = madd1(a3, b0, t3)
	c, t4 = madd(a3, b1, t4, c)
	c, t5 = madd(a3, b2, t5, c)
	t7, t6 := madd(a3, b3, t6, c)

	reduce512(r, t0, t1, t2, t3, t4, t5, t6, t7)
	return r
}

// square sets r = a².
func (r *fe) square(a *fe) *fe {
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	var c uint64

	// Off-diagonal products a_i·a_j, i < j, at positions 1..6.
	c, t1 := bits.Mul64(a0, a1)
	c, t2 := madd1(a0, a2, c)
	t4, t3 := madd1(a0, a3, c)

	c, t3 = madd1(a1, a2, t3)
	t5, t4 := madd(a1, a3, t4, c)

	t6, t5 := madd1(a2, a3, t5)

	// Double them.
	t7 := t6 >> 63
	t6 = t6<<1 | t5>>63
	t5 = t5<<1 | t4>>63
	t4 = t4<<1 | t3>>63
	t3 = t3<<1 | t2>>63
	t2 = t2<<1 | t1>>63
	t1 <<= 1

	// Add the squares a_i² at positions 2i.
	h0, t0 := bits.Mul64(a0, a0)
	h1, l1 := bits.Mul64(a1, a1)
	h2, l2 := bits.Mul64(a2, a2)
	h3, l3 := bits.Mul64(a3, a3)
	t1, c = bits.Add64(t1, h0, 0)
	t2, c = bits.Add64(t2, l1, c)
	t3, c = bits.Add64(t3, h1, c)
	t4, c = bits.Add64(t4, l2, c)
	t5, c = bits.Add64(t5, h2, c)
	t6, c = bits.Add64(t6, l3, c)
	t7, _ = bits.Add64(t7, h3, c)

	reduce512(r, t0, t1, t2, t3, t4, t5, t6, t7)
	return r
}

// squareN sets r = a^(2^n).
func (r *fe) squareN(a *fe, n int) *fe {
	r.square(a)
	for i := 1; i < n; i++ {
		r.square(r)
	}
	return r
}

// normalize reduces r below p.
func (r *fe) normalize() *fe {
	// r ≥ p exactly when r + feK ≥ 2^256, and then r − p = r + feK − 2^256.
	t0, c := bits.Add64(r[0], feK, 0)
	t1, c := bits.Add64(r[1], 0, c)
	t2, c := bits.Add64(r[2], 0, c)
	t3, c := bits.Add64(r[3], 0, c)
	m := -c
	r[0] ^= (r[0] ^ t0) & m
	r[1] ^= (r[1] ^ t1) & m
	r[2] ^= (r[2] ^ t2) & m
	r[3] ^= (r[3] ^ t3) & m
	return r
}

// isZeroBit returns 1 if a ≡ 0 (mod p) and 0 otherwise.
func (a *fe) isZeroBit() uint64 {
	n := *a
	n.normalize()
	v := n[0] | n[1] | n[2] | n[3]
	return 1 ^ (v|-v)>>63
}

// isZero reports whether a ≡ 0 (mod p).
func (a *fe) isZero() bool { return a.isZeroBit() == 1 }

// equalBit returns 1 if a ≡ b (mod p) and 0 otherwise.
func (a *fe) equalBit(b *fe) uint64 {
	var d fe
	return d.sub(a, b).isZeroBit()
}

// equal reports whether a ≡ b (mod p).
func (a *fe) equal(b *fe) bool { return a.equalBit(b) == 1 }

// isOdd reports whether the normalized value of a is odd.
func (a *fe) isOdd() bool {
	n := *a
	return n.normalize()[0]&1 == 1
}

// inverse sets r = a^(p−2) = 1/a (0 for a ≡ 0), with a fixed chain of 255
// squarings and 15 multiplications. The exponent p − 2 has, from the top,
// 223 ones, a zero, 22 ones, then the bits 0000101101.
func (r *fe) inverse(a *fe) *fe {
	var x2, x3, x6, x9, x11, x22, x44, x88, x176, x220, x223, t fe
	x2.square(a).mul(&x2, a)
	x3.square(&x2).mul(&x3, a)
	x6.squareN(&x3, 3).mul(&x6, &x3)
	x9.squareN(&x6, 3).mul(&x9, &x3)
	x11.squareN(&x9, 2).mul(&x11, &x2)
	x22.squareN(&x11, 11).mul(&x22, &x11)
	x44.squareN(&x22, 22).mul(&x44, &x22)
	x88.squareN(&x44, 44).mul(&x88, &x44)
	x176.squareN(&x88, 88).mul(&x176, &x88)
	x220.squareN(&x176, 44).mul(&x220, &x44)
	x223.squareN(&x220, 3).mul(&x223, &x3)
	t.squareN(&x223, 23).mul(&t, &x22)
	t.squareN(&t, 5).mul(&t, a)
	t.squareN(&t, 3).mul(&t, &x2)
	t.squareN(&t, 2).mul(&t, a)
	*r = t
	return r
}

// setBytes sets r to the big-endian b and returns 1 if b ≥ p (the value is
// then kept weakly reduced, and normalize gives b − p) or 0 otherwise.
func (r *fe) setBytes(b *[32]byte) uint64 {
	r[3] = binary.BigEndian.Uint64(b[0:])
	r[2] = binary.BigEndian.Uint64(b[8:])
	r[1] = binary.BigEndian.Uint64(b[16:])
	r[0] = binary.BigEndian.Uint64(b[24:])
	_, c := bits.Add64(r[0], feK, 0)
	_, c = bits.Add64(r[1], 0, c)
	_, c = bits.Add64(r[2], 0, c)
	_, c = bits.Add64(r[3], 0, c)
	return c
}

// bytes returns the big-endian encoding of the normalized value of a.
func (a *fe) bytes() [32]byte {
	n := *a
	n.normalize()
	var b [32]byte
	binary.BigEndian.PutUint64(b[0:], n[3])
	binary.BigEndian.PutUint64(b[8:], n[2])
	binary.BigEndian.PutUint64(b[16:], n[1])
	binary.BigEndian.PutUint64(b[24:], n[0])
	return b
}

// fromFieldVal sets r to the value of f (which need not be normalized).
func (r *fe) fromFieldVal(f *secp256k1.FieldVal) *fe {
	var n secp256k1.FieldVal
	n.Set(f).Normalize()
	b := n.Bytes()
	r.setBytes(b)
	clear(b[:])
	return r
}

// toFieldVal sets f to the value of a, normalized.
func (a *fe) toFieldVal(f *secp256k1.FieldVal) {
	b := a.bytes()
	f.SetBytes(&b)
	clear(b[:])
}

// feSelect sets r = a if bit is 1 and r = b if bit is 0, in constant time.
func feSelect(r, a, b *fe, bit uint64) {
	m := -bit
	r[0] = b[0] ^ (a[0]^b[0])&m
	r[1] = b[1] ^ (a[1]^b[1])&m
	r[2] = b[2] ^ (a[2]^b[2])&m
	r[3] = b[3] ^ (a[3]^b[3])&m
}
