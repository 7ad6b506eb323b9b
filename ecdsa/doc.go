// Package ecdsa implements the Internet Computer's threshold ECDSA over
// secp256k1 (Groth–Shoup): presignatures made of IDKG transcripts, one
// non-interactive round of verifiable signature shares per request, with
// the presignature re-randomised by a value fixed after the request and the
// Internet Computer's additive key derivation.
//
// A presignature ("quadruple") is four transcripts made in the background:
// κ (RandomUnmasked, revealing K = κ·G), λ (Random, masked), κ·λ and x·λ
// (UnmaskedTimesMasked of κ and of the unmasked key transcript x with λ).
// To sign the 32-byte hash h of a message for a caller and derivation path,
// every node computes, from public values only,
//
//	t = derivation tweak of (caller, path)          x' = x + t is the derived key
//	δ = RO(randomness, h, K, key, t, presignature)  R = K + δ·G, ρ = R.x mod n
//	e = h mod n, θ = e + ρ·t
//
// and sends the share ν_i = θ·λ_i + ρ·(xλ)_i, μ_i = δ·λ_i + (κλ)_i (values
// and Pedersen masks, so that anyone checks them against the transcripts'
// commitments). Any f+1 valid shares interpolate to ν = λ·(e + ρ·x') and
// μ = λ·(κ+δ), and s = ν/μ is the ECDSA signature (ρ, s) under x', made
// low-S, with its recovery id.
//
// The package is pure. A presignature is used at most once: the signer
// records its consumption in a caller-provided ConsumptionLog before the
// share is computed and wipes its secret openings before returning the
// share (see SignShare for the contract the node keeps).
package ecdsa
