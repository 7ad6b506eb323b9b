// Package transcript implements the Fiat–Shamir transcripts of chainkey's
// zero-knowledge proofs.
//
// A transcript starts from a protocol tag and absorbs labelled items; every
// label and every item is length-prefixed, so no two different sequences of
// items hash alike. Challenges are derived from everything absorbed so far
// and are absorbed themselves, so each challenge of a repeated proof differs.
package transcript
