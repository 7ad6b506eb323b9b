package ecdsa

import (
	"crypto/sha256"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

func TestRecoveryID(t *testing.T) {
	for i := 0; i < 32; i++ {
		seed := sha256.Sum256([]byte{byte(i)})
		k := secp256k1.PrivKeyFromBytes(seed[:])
		hash := sha256.Sum256(seed[:])
		compact := secpecdsa.SignCompact(k, hash[:], true) // 27 + 4 + id ‖ r ‖ s
		got, err := RecoveryID(k.PubKey().SerializeCompressed(), hash[:], compact[1:])
		if err != nil || got != compact[0]-31 {
			t.Fatalf("key %d: recovery id %d, want %d (%v)", i, got, compact[0]-31, err)
		}
	}
	k := secp256k1.PrivKeyFromBytes([]byte{1})
	hash := sha256.Sum256(nil)
	compact := secpecdsa.SignCompact(k, hash[:], true)
	other := secp256k1.PrivKeyFromBytes([]byte{2}).PubKey().SerializeCompressed()
	if _, err := RecoveryID(other, hash[:], compact[1:]); err == nil {
		t.Fatal("recovery id found for another key")
	}
	if _, err := RecoveryID(k.PubKey().SerializeCompressed(), hash[:], compact[1:64]); err == nil {
		t.Fatal("short signature accepted")
	}
}
