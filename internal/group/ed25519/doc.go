// Package ed25519 implements group.Group for the prime-order subgroup of
// edwards25519 (the group of RFC 8032 Ed25519), on top of
// filippo.io/edwards25519.
//
// Scalars are 32-byte little-endian integers below the subgroup order l.
// Points are 32-byte RFC 8032 encodings; DecodePoint accepts only canonical
// encodings of non-identity points of order l.
package ed25519
