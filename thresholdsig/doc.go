// Package thresholdsig implements threshold BLS signatures on BLS12-381
// exactly as the Internet Computer uses them for certification and the
// random beacon.
//
// The scheme is the "minimal-signature-size" variant of the IETF BLS draft
// (BASIC scheme): signatures are compressed G1 points of 48 bytes, public
// keys compressed G2 points of 96 bytes, and messages are hashed to G1 with
// the RFC 9380 suite BLS12381G1_XMD:SHA-256_SSWU_RO_ under the domain
// separation tag DST. A signature σ on m verifies under pk when
// e(σ, g2) = e(H(m), pk).
//
// The secret key is shared with a polynomial f of degree t-1: the node with
// index i holds f(i+1), and its public key is the public polynomial
// (Feldman commitment in G2) evaluated at i+1. Each node signs with its share;
// any t signature shares combine, by Lagrange interpolation at zero in G1,
// into the one signature of the group key f(0)·g2. The combined signature
// is indistinguishable from one made with the whole key.
//
// Every point taken from outside is decoded strictly: exact length,
// canonical encoding, on the curve, in the prime-order subgroup and not the
// identity. Multiplications by secret scalars are constant time.
//
// The package is pure: it does no I/O and keeps no global state.
package thresholdsig
