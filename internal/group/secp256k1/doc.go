// Package secp256k1 implements group.Group for the secp256k1 curve of SEC 2
// (the curve of Bitcoin and Ethereum), on top of
// github.com/decred/dcrd/dcrec/secp256k1/v4.
//
// Scalars are 32-byte big-endian integers below the group order n. Points
// are 33-byte SEC 1 compressed encodings (0x02 or 0x03 followed by x);
// DecodePoint rejects any other form and the identity, whose Bytes() are 33
// zero bytes.
//
// ScalarMult and ScalarBaseMult run in time independent of the scalar (see
// ctmult.go); VarTimeScalarMult (decred's ScalarMultNonConst) and
// MultiScalarMult (Straus' method over the GLV split with width-5 NAF digits,
// msm.go) run in variable time and are for public scalars only.
// ScalarMult, ScalarBaseMult, FixedBase and MultiScalarMult compute with
// the package's own 4×64-bit field arithmetic (field.go); points are kept
// in decred's form between operations.
package secp256k1
