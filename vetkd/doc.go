// Package vetkd implements vetKD, verifiably encrypted threshold key
// derivation, on BLS12-381 exactly as the Internet Computer does it (the
// vetKD paper, eprint 2023/616), so that DFINITY's client libraries decrypt
// and verify what a chainkey subnet returns.
//
// A subnet holds a master key: a threshold BLS key whose public key is a G2
// point (a thresholdsig.PublicCoefficients and one
// thresholdsig.SecretKeyShare per node). A canister's keys are derived from
// it in two public steps, each adding a hashed tweak times the G2 generator:
// first the canister key from the master key and the canister id
// (DeriveCanisterKey), then a sub-key from a derivation context
// (DeriveSubKey); DerivePublicKey does both and gives the 96-byte reply of
// vetkd_public_key.
//
// A vetKey is a BLS signature in G1 on an input under a derived key, with
// the augmented hash-to-G1 of RFC 9380 (the derived public key is prefixed
// to the input). vetkd_derive_key never reveals it: the caller sends a
// transport public key (a G1 point), every node returns an encrypted key
// share (an ElGamal-style encryption of its signature share, verifiable
// against the node's public key share), and a threshold of valid shares
// combines into the 192-byte encrypted key C1 ‖ C2 ‖ C3 (G1 ‖ G2 ‖ G1). The
// caller decrypts it with its transport secret key and checks the result as
// a signature under the derived public key.
//
// The node side is a Derivation: built once per request from the master
// key's public coefficients and the request, it creates a node's share,
// verifies shares and combines them, naming the nodes whose shares are bad.
// The client side is TransportSecretKey, EncryptedKey and VetKey, enough to
// test round trips; VetKey.DeriveSymmetricKey turns a key into symmetric
// key material as the client libraries do, and IBEEncrypt and IBEDecrypt are
// their identity-based encryption (anyone encrypts to an identity under a
// derived public key; the identity's vetKey decrypts).
//
// Every point from outside is decoded strictly: canonical compressed
// encoding, on the curve, in the prime-order subgroup and not the identity.
// Secret scalars (key shares, encryption randomness, transport secret keys)
// are multiplied in constant time. The package is pure: no goroutines,
// clocks, files or network; randomness comes from the caller's reader.
package vetkd
