// Package derivation implements the Internet Computer's key derivation for
// canister threshold keys: the extended BIP32-like derivation over secp256k1
// used by ecdsa_public_key and schnorr_public_key (bip340secp256k1), and the
// HKDF-based derivation used for Ed25519.
//
// A derivation path is a sequence of arbitrary byte strings. The Internet
// Computer prepends the caller's principal bytes (see CanisterPath), and the
// master key's chain code is 32 zero bytes. Every step adds a public tweak to
// the key, so a derived key is P_master + tweak·G and a threshold signer that
// holds shares of the master key signs for it by adding tweak to the key.
package derivation
