// Package group defines the prime-order groups that chainkey's threshold
// protocols are written over, with strict canonical encodings.
//
// Four groups implement it, each in its own subpackage: BLS12-381 G1 and G2
// (bls12381), secp256k1 (secp256k1) and the prime-order subgroup of
// edwards25519 (ed25519). Protocol code is written once against the Group,
// Scalar and Point interfaces and instantiated with any of them.
//
// Values are mutable and follow the receiver style of Go's crypto/edwards25519:
// v.Add(a, b) sets v = a + b and returns v. Mixing scalars or points of
// different groups is a programming error and panics.
//
// Point and scalar decoders are strict: the encoding must have the exact
// length, be canonical, lie on the curve and in the prime-order subgroup, and
// (for points) not be the identity. Everything decoded from outside the
// process goes through DecodeScalar or DecodePoint.
package group
