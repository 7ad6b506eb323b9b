// Package idkg implements the interactive distributed key generation of the
// Internet Computer's canister threshold signatures (Groth–Shoup): dealings
// and transcripts of degree-f sharings over secp256k1 or Ed25519, masked
// (Pedersen commitments) or unmasked (Feldman commitments).
//
// Five operations create transcripts, as on the Internet Computer:
//
//   - Random: a masked sharing of a fresh random value;
//   - RandomUnmasked: an unmasked sharing of a fresh random value (its
//     public value x·G is revealed at once);
//   - ReshareOfMasked: an unmasked sharing of the value of a masked
//     transcript, each dealing proving that it deals the masked value;
//   - ReshareOfUnmasked: an unmasked sharing of the value of an unmasked
//     transcript, possibly to other receivers with another threshold;
//   - UnmaskedTimesMasked: a masked sharing of the product of an unmasked
//     and a masked value, each dealing carrying a proof of product.
//
// No Paillier encryption and no multiplicative-to-additive conversion is
// used: products are reshared (n > 3f) and every proof is an elliptic-curve
// sigma protocol made non-interactive over a length-prefixed transcript that
// binds the protocol tag, the transcript id, the dealer, and the whole
// statement.
//
// The package is pure: it takes dealings and openings in and gives dealings,
// openings and transcripts out. Agreement on which dealings form a
// transcript comes from the caller (consensus); a dealing is supported by a
// receiver once its private opening verifies, and the driver collects 2f+1
// supports before including it. The transport of each receiver's opening is
// the caller's: EncodeOpening / DecodeOpening give its canonical encoding,
// which the dkg package encrypts (HPKE) and complains about.
package idkg
