package thresholdsig

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The decoders either refuse an input or accept exactly one canonical
// encoding of the value, which re-encodes to the input.

func FuzzParsePublicKeyOrDER(f *testing.F) {
	files, _ := filepath.Glob("testdata/ic-rootkey-*.der.hex")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		der := mustHex(f, string(b))
		f.Add(der)
		f.Add(der[len(derPrefix):])
	}
	f.Add(identityG2())
	f.Fuzz(func(t *testing.T, b []byte) {
		pk, err := ParsePublicKeyOrDER(b)
		if err != nil {
			return
		}
		if !bytes.Equal(pk.Bytes(), b) && !bytes.Equal(pk.DER(), b) {
			t.Fatalf("accepted %x, re-encodes as %x", b, pk.Bytes())
		}
	})
}

func FuzzVerify(f *testing.F) {
	var v icVectors
	readJSON(f, "ic-verify-bls-signature.json", &v)
	for _, c := range v.Verify {
		f.Add(mustHex(f, c.Key), mustHex(f, c.Msg), mustHex(f, c.Sig))
	}
	f.Fuzz(func(t *testing.T, key, msg, sig []byte) {
		pk, err := ParsePublicKey(key)
		if err != nil {
			return
		}
		if Verify(pk, msg, sig) == nil {
			// A valid signature must be canonical.
			s, err := decodeSignature(sig)
			if err != nil || !bytes.Equal(s.Bytes(), sig) {
				t.Fatalf("accepted non-canonical signature %x", sig)
			}
		}
	})
}

func FuzzSecretKeyShareUnmarshal(f *testing.F) {
	_, sks := deal(f, 4, 3)
	for _, sk := range sks {
		b, err := sk.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var sk SecretKeyShare
		if sk.UnmarshalBinary(b) != nil {
			return
		}
		out, err := sk.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("accepted %x, re-encodes as %x (%v)", b, out, err)
		}
	})
}

func FuzzParsePublicCoefficients(f *testing.F) {
	pc, _ := deal(f, 4, 3)
	f.Add(pc.Bytes())
	f.Add(pc.PublicKey().Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		pc, err := ParsePublicCoefficients(b)
		if err != nil {
			return
		}
		if !bytes.Equal(pc.Bytes(), b) || pc.Threshold() != len(b)/PublicKeySize {
			t.Fatalf("accepted %x, re-encodes differently", b)
		}
	})
}
