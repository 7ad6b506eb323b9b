package secp256k1

import (
	"encoding/binary"
	"encoding/hex"
	"math/bits"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// The GLV endomorphism of secp256k1: φ(x, y) = (β·x, y) = λ·(x, y), with
// β a cube root of unity mod p and λ one mod n. A scalar k is split into
// k1 + k2·λ ≡ k (mod n) with |k1|, |k2| about 2^128 (Gallant, Lambert and
// Vanstone, CRYPTO 2001; the lattice basis and rounding constants are the
// standard ones for this curve, as in Guide to Elliptic Curve Cryptography,
// §3.5). The split below is constant time; TestGLVSplit checks it.

func mustModN(h string) secp256k1.ModNScalar {
	b, err := hex.DecodeString(h)
	if err != nil {
		panic(err)
	}
	var s secp256k1.ModNScalar
	if s.SetByteSlice(b) {
		panic("secp256k1: constant not below n")
	}
	return s
}

func limbs192(h string) [3]uint64 {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 24 {
		panic("secp256k1: bad 192-bit constant")
	}
	return [3]uint64{binary.BigEndian.Uint64(b[16:]), binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[:8])}
}

var (
	// endoLambda is λ; φ(P) = λ·P.
	endoLambda = mustModN("5363ad4cc05c30e0a5261c028812645a122e22ea20816678df02967c1b23bd72")
	// endoNegLambda is −λ mod n.
	endoNegLambda = mustModN("ac9c52b33fa3cf1f5ad9e3fd77ed9ba4a880b9fc8ec739c2e0cfc810b51283cf")
	// endoNegB1 and endoNegB2 are −b1 and −b2 mod n for the basis
	// v1 = (a1, b1), v2 = (a2, b2) of the lattice {(x, y) : x + y·λ ≡ 0}.
	endoNegB1 = mustModN("00000000000000000000000000000000e4437ed6010e88286f547fa90abfe4c3")
	endoNegB2 = mustModN("fffffffffffffffffffffffffffffffe8a280ac50774346dd765cda83db1562c")
	// endoZ1 = ⌊b2·2^320/n⌋ and endoZ2 = ⌊−b1·2^320/n⌋.
	endoZ1 = limbs192("3086d221a7d46bcde86c90e49284eb153daa8a1471e8ca7f")
	endoZ2 = limbs192("e4437ed6010e88286f547fa90abfe4c4221208ac9df506c6")
	// endoBeta is β.
	endoBeta = func() secp256k1.FieldVal {
		var f secp256k1.FieldVal
		if f.SetByteSlice(mustHex32("7ae96a2b657c07106e64479eac3434e99cf0497512f58995c1396c28719501ee")) {
			panic("secp256k1: β not below p")
		}
		return f
	}()
	// halfOrder is ⌊n/2⌋ as little-endian limbs.
	halfOrder = [4]uint64{0xdfe92f46681b20a0, 0x5d576e7357a4501d, 0xffffffffffffffff, 0x7fffffffffffffff}
)

func mustHex32(h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		panic("secp256k1: bad constant")
	}
	return b
}

// scalarLimbs returns k as little-endian 64-bit limbs.
func scalarLimbs(k *secp256k1.ModNScalar) [4]uint64 {
	b := k.Bytes()
	var l [4]uint64
	for i := range l {
		l[i] = binary.BigEndian.Uint64(b[24-8*i:])
	}
	clear(b[:])
	return l
}

// mulShiftRound returns round(k·z / 2^320) for a 256-bit k and a 192-bit z,
// in constant time. The result is below 2^128.
func mulShiftRound(k *[4]uint64, z *[3]uint64) secp256k1.ModNScalar {
	var prod [7]uint64
	for i := 0; i < 4; i++ {
		var carry uint64
		for j := 0; j < 3; j++ {
			hi, lo := bits.Mul64(k[i], z[j])
			var c uint64
			lo, c = bits.Add64(lo, prod[i+j], 0)
			hi += c
			lo, c = bits.Add64(lo, carry, 0)
			hi += c
			prod[i+j] = lo
			carry = hi
		}
		prod[i+3] = carry
	}
	r0, c := bits.Add64(prod[5], prod[4]>>63, 0)
	r1 := prod[6] + c
	var b [32]byte
	binary.BigEndian.PutUint64(b[24:], r0)
	binary.BigEndian.PutUint64(b[16:], r1)
	var s secp256k1.ModNScalar
	s.SetBytes(&b)
	clear(prod[:])
	return s
}

// splitK returns k1, k2 with k1 + k2·λ ≡ k (mod n), each either small
// (about 2^128) or n minus a small value. It runs in constant time.
func splitK(k *secp256k1.ModNScalar) (k1, k2 secp256k1.ModNScalar) {
	kl := scalarLimbs(k)
	c1 := mulShiftRound(&kl, &endoZ1)
	c2 := mulShiftRound(&kl, &endoZ2)
	clear(kl[:])
	k2.Add2(c1.Mul(&endoNegB1), c2.Mul(&endoNegB2))
	k1.Mul2(&k2, &endoNegLambda).Add(k)
	c1.Zero()
	c2.Zero()
	return k1, k2
}

// overHalfOrder returns 1 if k > ⌊n/2⌋ and 0 otherwise, in constant time.
func overHalfOrder(k *[4]uint64) uint64 {
	var borrow uint64
	for i := 0; i < 4; i++ {
		_, borrow = bits.Sub64(halfOrder[i], k[i], borrow)
	}
	return borrow
}

func add64(x, y, c uint64) (uint64, uint64) { return bits.Add64(x, y, c) }
func sub64(x, y, b uint64) (uint64, uint64) { return bits.Sub64(x, y, b) }
