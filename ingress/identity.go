package ingress

import (
	"crypto/ed25519"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	oidEd25519     = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

// ParseIdentityPEM parses a caller identity in PEM form, as dfx and the
// Internet Computer SDKs write them: an Ed25519 key in PKCS#8 ("PRIVATE
// KEY", version 1 or 2 with the public key), or a secp256k1 key in SEC 1
// ("EC PRIVATE KEY", optionally after an "EC PARAMETERS" block) or PKCS#8.
func ParseIdentityPEM(data []byte) (Signer, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("ingress: identity: no PRIVATE KEY or EC PRIVATE KEY block in PEM")
		}
		switch block.Type {
		case "EC PARAMETERS":
			continue
		case "PRIVATE KEY":
			return parsePKCS8(block.Bytes)
		case "EC PRIVATE KEY":
			return parseSEC1(block.Bytes)
		default:
			return nil, fmt.Errorf("ingress: identity: unsupported PEM block %q", block.Type)
		}
	}
}

// MarshalEd25519PEM encodes s as a PKCS#8 v1 "PRIVATE KEY" PEM block.
func MarshalEd25519PEM(s *Ed25519Signer) []byte {
	// PKCS#8: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(0)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidEd25519)
		})
		b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(s.priv.Seed())
		})
	})
	der := b.BytesOrPanic()
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	clear(der)
	return out
}

func parsePKCS8(der []byte) (Signer, error) {
	in := cryptobyte.String(der)
	var seq, alg, privOctets cryptobyte.String
	var version int64
	var oid asn1.ObjectIdentifier
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&version) || (version != 0 && version != 1) ||
		!seq.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) ||
		!seq.ReadASN1(&privOctets, cbasn1.OCTET_STRING) {
		return nil, errors.New("ingress: identity: malformed PKCS#8")
	}
	// Optional attributes [0] and public key [1] (PKCS#8 v2) are ignored.
	switch {
	case oid.Equal(oidEd25519):
		var seed cryptobyte.String
		if !privOctets.ReadASN1(&seed, cbasn1.OCTET_STRING) || !privOctets.Empty() || len(seed) != ed25519.SeedSize {
			return nil, errors.New("ingress: identity: malformed Ed25519 PKCS#8 key")
		}
		return NewEd25519Signer(ed25519.NewKeyFromSeed(seed))
	case oid.Equal(oidECPublicKey):
		var curve asn1.ObjectIdentifier
		if !alg.ReadASN1ObjectIdentifier(&curve) || !curve.Equal(oidSecp256k1) {
			return nil, errors.New("ingress: identity: EC key on a curve other than secp256k1")
		}
		return parseSEC1(privOctets)
	default:
		return nil, fmt.Errorf("ingress: identity: unsupported key algorithm %v", oid)
	}
}

func parseSEC1(der []byte) (Signer, error) {
	in := cryptobyte.String(der)
	var seq, key cryptobyte.String
	var version int64
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() ||
		!seq.ReadASN1Integer(&version) || version != 1 ||
		!seq.ReadASN1(&key, cbasn1.OCTET_STRING) || len(key) != 32 {
		return nil, errors.New("ingress: identity: malformed SEC 1 EC private key")
	}
	var params cryptobyte.String
	var hasParams bool
	if !seq.ReadOptionalASN1(&params, &hasParams, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errors.New("ingress: identity: malformed SEC 1 EC parameters")
	}
	if hasParams {
		var curve asn1.ObjectIdentifier
		if !params.ReadASN1ObjectIdentifier(&curve) || !curve.Equal(oidSecp256k1) {
			return nil, errors.New("ingress: identity: EC key on a curve other than secp256k1")
		}
	}
	var k secp256k1.ModNScalar
	if k.SetByteSlice(key) || k.IsZero() {
		return nil, errors.New("ingress: identity: secp256k1 private key out of range")
	}
	return NewSecp256k1Signer(secp256k1.NewPrivateKey(&k))
}
