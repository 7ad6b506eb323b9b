package ingress

import (
	"fmt"
	"strings"
)

// Algorithm is the signature algorithm part of a key id.
type Algorithm string

// The algorithms of key ids: "ecdsa:secp256k1", "schnorr:bip340secp256k1"
// and "schnorr:ed25519".
const (
	AlgorithmECDSASecp256k1  Algorithm = "ecdsa:secp256k1"
	AlgorithmBIP340Secp256k1 Algorithm = "schnorr:bip340secp256k1"
	AlgorithmEd25519         Algorithm = "schnorr:ed25519"
)

// MaxKeyNameLen is the longest key name ParseKeyID accepts.
const MaxKeyNameLen = 64

// KeyID names a master key: an algorithm and a name, written
// "ALGORITHM:NAME", e.g. "ecdsa:secp256k1:dfx_test_key".
type KeyID struct {
	Algorithm Algorithm
	Name      string
}

// String returns the textual form of k.
func (k KeyID) String() string { return string(k.Algorithm) + ":" + k.Name }

// ParseKeyID parses "ecdsa:secp256k1:NAME", "schnorr:bip340secp256k1:NAME"
// or "schnorr:ed25519:NAME". NAME is 1 to MaxKeyNameLen characters from
// [A-Za-z0-9_-].
func ParseKeyID(s string) (KeyID, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return KeyID{}, fmt.Errorf("ingress: key id %q: want ALGORITHM:NAME", s)
	}
	alg, name := Algorithm(s[:i]), s[i+1:]
	switch alg {
	case AlgorithmECDSASecp256k1, AlgorithmBIP340Secp256k1, AlgorithmEd25519:
	default:
		return KeyID{}, fmt.Errorf("ingress: key id %q: unknown algorithm %q (want ecdsa:secp256k1, schnorr:bip340secp256k1 or schnorr:ed25519)", s, alg)
	}
	if len(name) == 0 || len(name) > MaxKeyNameLen {
		return KeyID{}, fmt.Errorf("ingress: key id %q: name of %d characters, want 1 to %d", s, len(name), MaxKeyNameLen)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return KeyID{}, fmt.Errorf("ingress: key id %q: invalid character %q in name", s, r)
		}
	}
	return KeyID{Algorithm: alg, Name: name}, nil
}
