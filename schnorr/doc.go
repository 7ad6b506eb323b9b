// Package schnorr implements the Internet Computer's threshold Schnorr
// signatures: BIP340 over secp256k1 (with the optional BIP341 taproot tweak
// of sign_with_schnorr's aux) and Ed25519 (RFC 8032), on IDKG transcripts.
//
// A presignature is one RandomUnmasked transcript of a nonce κ (revealing
// K = κ·G). To sign a message for a caller and derivation path every node
// computes from public values the key tweak t (the Internet Computer's
// derivation), the re-randomiser δ = RO(randomness, message, K, key, t,
// presignature, aux) fixed after the request, R = K + δ·G, and the
// challenge e of the scheme; its share is
//
//	s_i = b·(κ_i + δ) + e·(a·x_i + c)
//
// where a, b ∈ {1, −1} and c are the public sign flips and constants that
// BIP340's even-y rule and the taproot tweak impose (a = b = 1, c = t for
// Ed25519). Shares are checked against K_i and X_i, the transcripts' public
// shares; f+1 valid shares interpolate to the signature's s.
//
// A presignature is used at most once: the signer records its consumption in
// a caller-provided ConsumptionLog before computing the share and wipes the
// nonce share before returning (see SignShare). Nonces are never derived
// deterministically.
package schnorr
