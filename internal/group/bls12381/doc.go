// Package bls12381 implements group.Group for the groups G1 and G2 of the
// BLS12-381 pairing-friendly curve, with HashToG1 and PairingCheck for
// threshold BLS signatures.
//
// Scalars (shared by G1 and G2) are 32-byte big-endian integers below the
// group order r. Points use the ZCash compressed serialisation (48 bytes for
// G1, 96 for G2); DecodePoint accepts only canonical encodings of
// non-identity points of the prime-order subgroup.
//
// Decoding, variable-time arithmetic, multi-scalar multiplication, hashing
// and pairings use github.com/consensys/gnark-crypto. Everything that touches
// secret scalars — scalar arithmetic and ScalarMult/ScalarBaseMult — goes
// through the constant-time github.com/supranational/blst.
package bls12381
