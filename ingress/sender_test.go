package ingress

import (
	"errors"
	"testing"

	"github.com/chainkey/chainkey/principal"
)

func TestVerifySender(t *testing.T) {
	key, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := GenerateSecp256k1()
	id := [32]byte{1, 2, 3}
	sig, err := SignRequestID(key, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySender(Sender(key), key.PublicKeyDER(), id, sig); err != nil {
		t.Fatal(err)
	}
	id2 := id
	id2[0] ^= 1
	for _, c := range []struct {
		name   string
		sender principal.Principal
		der    []byte
		id     [32]byte
		sig    []byte
	}{
		{"other request", Sender(key), key.PublicKeyDER(), id2, sig},
		{"other sender", Sender(other), key.PublicKeyDER(), id, sig},
		{"other key", Sender(other), other.PublicKeyDER(), id, sig},
		{"no signature", Sender(key), key.PublicKeyDER(), id, nil},
	} {
		if err := VerifySender(c.sender, c.der, c.id, c.sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
