package ingress

import (
	"crypto/ed25519"
	"encoding/pem"

	"encoding/hex"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"strings"
	"testing"
	"time"
)

// Throwaway keys generated with OpenSSL for these tests
// ("openssl ecparam -name secp256k1 -genkey", the form dfx writes, and
// "openssl genpkey -algorithm ed25519"); the expected DER public keys come
// from "openssl ec|pkey -pubout -outform DER".
const (
	testSecp256k1SEC1PEM = `-----BEGIN EC PARAMETERS-----
BgUrgQQACg==
-----END EC PARAMETERS-----
-----BEGIN EC PRIVATE KEY-----
MHQCAQEEIFPqKlBaEWOMDwjD2pdISj4Uli861Mn50dEBDqjBWsjvoAcGBSuBBAAK
oUQDQgAEKRZHOEqJsUnqZhqAvtJME9FzH/gg4/N1/v4OBNrA+t+ccD/1oO8fhy4l
XtWSUKnZmOpr22Os+bOrqNxpHOCCuA==
-----END EC PRIVATE KEY-----
`
	testSecp256k1PKCS8PEM = `-----BEGIN PRIVATE KEY-----
MIGEAgEAMBAGByqGSM49AgEGBSuBBAAKBG0wawIBAQQgU+oqUFoRY4wPCMPal0hK
PhSWLzrUyfnR0QEOqMFayO+hRANCAAQpFkc4SomxSepmGoC+0kwT0XMf+CDj83X+
/g4E2sD635xwP/Wg7x+HLiVe1ZJQqdmY6mvbY6z5s6uo3Gkc4IK4
-----END PRIVATE KEY-----
`
	testSecp256k1DER = "3056301006072a8648ce3d020106052b8104000a03420004291647384a89b149ea661a80bed24c13d1731ff820e3f375fefe0e04dac0fadf9c703ff5a0ef1f872e255ed59250a9d998ea6bdb63acf9b3aba8dc691ce082b8"
	testEd25519PEM   = `-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIC1LsJ/bbj4cXTrBNEiaDcOgcrADNnuG6p2FbbEzQtir
-----END PRIVATE KEY-----
`
	testEd25519DER = "302a300506032b65700321006b4d2e50b0d224ee33687b756f216d5816628a608851fe883a337ae96adee84d"
)

func TestParseIdentityPEM(t *testing.T) {
	for name, c := range map[string]struct{ pem, der string }{
		"secp256k1 sec1":  {testSecp256k1SEC1PEM, testSecp256k1DER},
		"secp256k1 pkcs8": {testSecp256k1PKCS8PEM, testSecp256k1DER},
		"ed25519 pkcs8":   {testEd25519PEM, testEd25519DER},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := ParseIdentityPEM([]byte(c.pem))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(s.PublicKeyDER()); got != c.der {
				t.Fatalf("DER %s, want %s", got, c.der)
			}
			env, err := NewSignEnvelope(s, testContent())
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := env.Verify(testNow, 5*time.Minute); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEd25519PEMRoundTrip(t *testing.T) {
	s, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	pem := MarshalEd25519PEM(s)
	if strings.Contains(s.String(), hex.EncodeToString(s.PrivateKey().Seed())) {
		t.Fatal("String leaks the key")
	}
	back, err := ParseIdentityPEM(pem)
	if err != nil {
		t.Fatal(err)
	}
	if Sender(back) != Sender(s) {
		t.Fatal("round trip changed the key")
	}
}

func TestParseIdentityPEMRejects(t *testing.T) {
	for name, p := range map[string]string{
		"empty":       "",
		"certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"garbage der": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
		// P-256 key (prime256v1) in SEC 1 form: wrong curve.
		"p256": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIGiHIXCh0RFeRoqnBT5ncDIXp0hhzdPC4upBNVQb1D8BoAoGCCqGSM49\nAwEHoUQDQgAEg+rlRNY7FcVp9R3BBk3rF/Ybt6zqlYmhFz8mbeYqvwWD5KfEXNbs\nkEuZYrIiE7hfdb3GkNaOtz5NSOKOWvUrEg==\n-----END EC PRIVATE KEY-----\n",
	} {
		if _, err := ParseIdentityPEM([]byte(p)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestParseEd25519PKCS8v2 checks the PKCS#8 v2 form (with the public key)
// that older dfx versions write for Ed25519 identities.
func TestParseEd25519PKCS8v2(t *testing.T) {
	s, err := GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidEd25519) })
		b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) { b.AddASN1OctetString(s.PrivateKey().Seed()) })
		b.AddASN1(cbasn1.Tag(1).ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddUint8(0)
			b.AddBytes(s.PrivateKey().Public().(ed25519.PublicKey))
		})
	})
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b.BytesOrPanic()})
	got, err := ParseIdentityPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if Sender(got) != Sender(s) {
		t.Fatal("v2 key parsed to another key")
	}
}
