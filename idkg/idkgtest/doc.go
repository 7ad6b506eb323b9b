// Package idkgtest is a deterministic, seeded simulation of IDKG rounds for
// tests of idkg and of the signing packages built on it: n nodes with real
// node signing keys and HPKE encryption keys, some of which crash or lie.
// Every message goes through the same checks a node makes (signatures,
// public dealing verification, decryption, complaints and their openings).
//
// RunPlain makes a transcript in one process without any of that (every
// dealer honest, nothing encrypted), for examples and benchmark setup.
package idkgtest
