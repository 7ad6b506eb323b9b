package ecdsa_test

import (
	"bytes"
	"testing"

	"github.com/chainkey/chainkey/ecdsa"
)

// FuzzSignatureShare feeds arbitrary bytes to the signature-share decoder
// (shares arrive from peers) and checks every accepted share against a real
// presignature and request. An accepted share must re-encode to the same
// bytes, and a share that VerifyShare accepts must be the share its signer
// computed: nobody else can produce a share that passes for it.
func FuzzSignatureShare(f *testing.F) {
	s := newSubnet(f, 4, 21)
	p, pshares, _ := s.presign(f)
	req := request("fuzz", "caller", "path")
	honest := map[int][]byte{}
	for i, ps := range pshares {
		sh, err := ecdsa.SignShare(s.key, p, ps, req, s.logs[i])
		if err != nil {
			f.Fatal(err)
		}
		b, err := sh.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		honest[i] = b
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sh, err := ecdsa.UnmarshalSignatureShare(b)
		if err != nil {
			return
		}
		again, err := sh.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted share re-encodes differently (%v)", err)
		}
		if ecdsa.VerifyShare(s.key, p, req, sh) == nil && !bytes.Equal(b, honest[sh.Signer]) {
			t.Fatalf("VerifyShare accepted a share that signer %d did not make: %x", sh.Signer, b)
		}
	})
}
