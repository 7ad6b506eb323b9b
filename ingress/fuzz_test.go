package ingress

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// hybridSigner signs like a Secp256k1Signer but presents its public key in
// the SEC1 "hybrid" form (0x06/0x07 followed by x and y), a second encoding
// of the same point.
type hybridSigner struct{ *Secp256k1Signer }

func (s hybridSigner) PublicKeyDER() []byte {
	der := s.Secp256k1Signer.PublicKeyDER()
	der[len(secp256k1DERPrefix)] = 0x06 | der[len(der)-1]&1
	return der
}

// fuzzSeedEnvelopes returns real envelopes made by NewSignEnvelope: both key
// types, each optional field present and absent.
func fuzzSeedEnvelopes(tb testing.TB) [][]byte {
	ed, err := NewEd25519Signer(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		tb.Fatal(err)
	}
	k1, err := NewSecp256k1Signer(secp256k1.PrivKeyFromBytes(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		tb.Fatal(err)
	}
	hash := bytes.Repeat([]byte{0xab}, 32)
	contents := []*SignContent{
		{IngressExpiry: 1_700_000_000_000_000_000, KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: hash},
		{IngressExpiry: 1 << 62, Nonce: []byte("nonce"), KeyID: "ecdsa:secp256k1:key_1",
			DerivationPath: [][]byte{{}, []byte("a"), bytes.Repeat([]byte{1}, 40)}, MessageHash: hash},
		{IngressExpiry: 5, KeyID: "schnorr:bip340secp256k1:dfx_test_key", MessageHash: []byte("any message"),
			TaprootMerkleRoot: []byte{}},
		{IngressExpiry: 5, KeyID: "schnorr:bip340secp256k1:dfx_test_key", MessageHash: []byte{},
			TaprootMerkleRoot: hash},
		{IngressExpiry: 5, KeyID: "schnorr:ed25519:test_key_1", MessageHash: []byte("m"),
			DerivationPath: [][]byte{[]byte("x")}},
	}
	var out [][]byte
	for _, key := range []Signer{ed, k1, hybridSigner{k1}} {
		for _, c := range contents {
			env, err := NewSignEnvelope(key, c)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, env.Marshal())
		}
	}
	return out
}

// FuzzParseEnvelope feeds arbitrary bytes to the gRPC front door. What
// ParseEnvelope accepts must re-encode to the same bytes; content that
// DecodeSignContent accepts must re-encode (from the decoded SignContent) to
// the same bytes and have the request id RequestID computes; a request that
// Verify accepts must carry its key in the one encoding the signers produce.
func FuzzParseEnvelope(f *testing.F) {
	for _, b := range fuzzSeedEnvelopes(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope(b)
		if err != nil {
			return
		}
		if !bytes.Equal(e.Marshal(), b) {
			t.Fatalf("accepted envelope re-encodes differently")
		}
		c, id, err := e.DecodeSignContent()
		if err != nil {
			return
		}
		again, err := encMode.Marshal(c.wire())
		if err != nil {
			t.Fatalf("decoded content does not encode: %v", err)
		}
		if !bytes.Equal(again, e.Content) {
			t.Fatalf("accepted content re-encodes differently:\n%x\n%x", e.Content, again)
		}
		if c.RequestID() != id {
			t.Fatalf("request id of decoded content differs from the one returned")
		}
		if err := c.validate(); err != nil {
			t.Fatalf("accepted content fails validation: %v", err)
		}
		now := time.Unix(0, int64(min(c.IngressExpiry, 1<<63-1)))
		vc, vid, err := e.Verify(now, time.Hour)
		if err != nil {
			return
		}
		if vid != id || vc.Sender != c.Sender {
			t.Fatalf("Verify and DecodeSignContent disagree")
		}
		if !canonicalSenderKey(e.SenderPubKey) {
			t.Fatalf("verified a request under a non-canonical key encoding %x", e.SenderPubKey)
		}
	})
}

// canonicalSenderKey reports whether der is the encoding the package's own
// signers produce for the key it holds.
func canonicalSenderKey(der []byte) bool {
	switch {
	case bytes.HasPrefix(der, ed25519DERPrefix):
		return len(der) == len(ed25519DERPrefix)+ed25519.PublicKeySize
	case bytes.HasPrefix(der, secp256k1DERPrefix):
		pub, err := secp256k1.ParsePubKey(der[len(secp256k1DERPrefix):])
		if err != nil {
			return false
		}
		return bytes.Equal(pub.SerializeUncompressed(), der[len(secp256k1DERPrefix):])
	}
	return false
}

// TestVerifyRefusesHybridKey checks that a secp256k1 sender key in the SEC1
// hybrid form is refused even though the request is correctly signed by
// that key and names the key's (hybrid) principal.
func TestVerifyRefusesHybridKey(t *testing.T) {
	k1, err := NewSecp256k1Signer(secp256k1.PrivKeyFromBytes(bytes.Repeat([]byte{9}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	c := &SignContent{IngressExpiry: 10, KeyID: "ecdsa:secp256k1:dfx_test_key", MessageHash: make([]byte, 32)}
	hyb, err := NewSignEnvelope(hybridSigner{k1}, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := hyb.Verify(time.Unix(0, 5), time.Hour); !errors.Is(err, ErrBadPublicKey) {
		t.Fatalf("hybrid key: got %v, want ErrBadPublicKey", err)
	}
	env, err := NewSignEnvelope(k1, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Verify(time.Unix(0, 5), time.Hour); err != nil {
		t.Fatalf("uncompressed key: %v", err)
	}
}
