package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
	btcschnorr "github.com/btcsuite/btcd/btcec/v2/schnorr"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/thresholdsig"

	"github.com/chainkey/chainkey/replica/api"
)

// waitStock waits until every genesis key has a presignature on node 0.
func (ts *testSubnet) waitStock(timeout time.Duration) {
	ts.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, _ := ts.nodes[0].Status(context.Background())
		ok := true
		for _, k := range GenesisKeyIDs {
			if st.PresignatureStock[k] == 0 {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			ts.t.Fatalf("no presignatures after %v: stock %v, height %d", timeout, st.PresignatureStock, st.Height)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func signRequest(t *testing.T, key ingress.Signer, keyID string, msg []byte, path [][]byte) *ingress.Envelope {
	t.Helper()
	env, err := ingress.NewSignEnvelope(key, &ingress.SignContent{IngressExpiry: ingress.Expiry(time.Now(), 2*time.Minute),
		Nonce: []byte(time.Now().Format("150405.000000000")), KeyID: keyID, DerivationPath: path, MessageHash: msg})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// mustVerify verifies an envelope as the node API's callers do.
func mustVerify(t testing.TB, env *ingress.Envelope) *api.SignRequest {
	t.Helper()
	req, err := api.VerifySignRequest(env, time.Now(), maxIngressExpiry)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestSignAllKeys(t *testing.T) {
	ts := newTestSubnet(t, 4, nil)
	start := time.Now()
	ts.waitStock(120 * time.Second)
	t.Logf("keys and presignatures ready in %v (height %d)", time.Since(start), ts.nodes[0].Height())
	caller, err := ingress.GenerateEd25519()
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte("chainkey"))
	path := [][]byte{[]byte("wallet"), {0, 1}}
	rootKey, err := thresholdsig.ParseDERPublicKey(ts.nodes[0].RootKeyDER())
	if err != nil {
		t.Fatal(err)
	}
	for i, keyID := range GenesisKeyIDs {
		nd := ts.nodes[i%4]
		env := signRequest(t, caller, keyID, hash[:], path)
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		t0 := time.Now()
		res, err := nd.Sign(ctx, mustVerify(t, env))
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", keyID, err)
		}
		t.Logf("%s signed in %v at height %d", keyID, time.Since(t0), res.Height)
		pub, _, err := nd.PublicKey(context.Background(), keyID, ingress.Sender(caller), path)
		if err != nil {
			t.Fatal(err)
		}
		switch keyID {
		case "ecdsa:secp256k1:dfx_test_key", "ecdsa:secp256k1:test_key_1":
			pk, err := btcec.ParsePubKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			var r, s btcec.ModNScalar
			r.SetByteSlice(res.Signature[:32])
			s.SetByteSlice(res.Signature[32:])
			if !btcecdsa.NewSignature(&r, &s).Verify(hash[:], pk) {
				t.Fatalf("%s: btcec rejects the signature", keyID)
			}
			// The recovery id recovers the derived key (go-ethereum's
			// recovery, as an Ethereum client would use it).
			rec, err := ethcrypto.SigToPub(hash[:], append(slices.Clone(res.Signature), res.RecoveryID))
			if err != nil || !bytes.Equal(ethcrypto.CompressPubkey(rec), res.PublicKey) {
				t.Fatalf("%s: recovery id %d does not recover the key: %v", keyID, res.RecoveryID, err)
			}
		case "schnorr:bip340secp256k1:dfx_test_key":
			pk, err := btcschnorr.ParsePubKey(res.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := btcschnorr.ParseSignature(res.Signature)
			if err != nil || !sig.Verify(hash[:], pk) {
				t.Fatalf("%s: btcec rejects the BIP340 signature: %v", keyID, err)
			}
		case "schnorr:ed25519:dfx_test_key":
			if !ed25519.Verify(pub, hash[:], res.Signature) {
				t.Fatalf("%s: crypto/ed25519 rejects the signature", keyID)
			}
		}
		c, err := certification.ParseCertificate(res.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := certification.Verify(c, rootKey, certification.VerifyOptions{}); err != nil {
			t.Fatalf("%s: certificate: %v", keyID, err)
		}
		_, id, _ := env.DecodeSignContent()
		if st, v := c.Lookup([]byte("request_status"), id[:], []byte("status")); st != certification.Found || string(v) != "replied" {
			t.Fatalf("%s: certified status %v %q", keyID, st, v)
		}
		// A replay is refused.
		if _, err := nd.Sign(context.Background(), mustVerify(t, env)); !errors.Is(err, api.ErrDuplicateRequest) {
			t.Fatalf("%s: replay: %v", keyID, err)
		}
	}
}
