// Package rerandomize binds a presignature's public nonce to one signing
// request, the step that threshold ECDSA and threshold Schnorr share.
//
// A presignature's nonce K = κ·G is made before the request it will sign is
// known. When the request is agreed, every node computes from public values
// only
//
//	t = the derivation tweak of the request's key (derivation.Key.Tweak)
//	δ = RO(presignature id, randomness, message, K, master key, t [, aux])
//	R = K + δ·G
//
// where the randomness is fixed only after both the request and the
// presignature (a later round's random beacon). Presignatures used with
// additive key derivation are open to attacks that choose the message and
// the tweak after seeing K (Groth and Shoup, "On the security of ECDSA with
// additive key derivation and presignatures", 2022); signing with R, fixed
// by a value nobody knew when choosing them, closes them.
//
// The random oracle is an internal/transcript transcript; a Scheme names its
// domain and the labels it binds the message, the nonce and the optional
// auxiliary input under, so that each scheme's δ stays as it was defined.
package rerandomize
