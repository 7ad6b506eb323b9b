// Package certification implements Internet Computer certificates and the
// hash trees inside them, byte-compatible with the IC interface
// specification (section "Certification").
//
// A hash tree (Empty, Fork, Labeled, Leaf, Pruned) is a labeled tree whose
// digest is computed with the IC's domain-separated SHA-256; Lookup gives the
// specification's Found/Absent/Unknown answers, BuildTree makes a well-formed
// tree from paths and values, and Witness prunes a tree down to the paths a
// reader needs while keeping its digest.
//
// A Certificate signs the digest of its tree with threshold BLS (min-sig,
// 48-byte G1 signatures) under the domain "\x0dic-state-root". Verify checks
// a certificate under the root public key, following at most one delegation
// to a subnet key and checking the subnet's canister ranges and the
// certificate's age; Certify produces certificates through a signing
// function.
//
// The CBOR decoders are hand-written for exactly the items certificates
// use and are strict: shortest-form heads, definite lengths, exact node
// arities, bounded depth, no trailing bytes.
package certification
