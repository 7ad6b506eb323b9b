package main

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/chainkey/chainkey/vetkd"
)

// TestUpVetKDEndToEnd starts a local 4-node subnet (which makes its vetKD
// master key bls12_381_g2:dfx_test_key with the BLS keys), asks a node
// for the caller's vetKD public key and another node for an encrypted key
// under a transport key made here, and checks that it decrypts to a vetKey
// valid under that public key, that the certificate proves the reply, and
// that it is no key for another input or transport key. It also runs
// `chainkey bench vetkd` for a moment.
func TestUpVetKDEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node subnet")
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	info, stop := startUp(t, t.TempDir(), 4)
	defer stop()

	tsk, err := vetkd.GenerateTransportSecretKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var pk struct {
		PublicKey string `json:"public_key"`
	}
	cliJSON(t, &pk, "vetkd", "pubkey", "--endpoint", info.GRPC[0], "--context", "0102")
	var dk struct {
		EncryptedKey string `json:"encrypted_key"`
		PublicKey    string `json:"public_key"`
		Certified    bool   `json:"certified"`
	}
	input := []byte("alice@example.com")
	cliJSON(t, &dk, "vetkd", "derive", "--endpoint", info.GRPC[1], "--context", "0102", "--input", hex.EncodeToString(input),
		"--transport-public-key", hex.EncodeToString(tsk.PublicKey().Bytes()), "--root-key", info.RootKey, "--full")
	if !dk.Certified {
		t.Fatal("derive with --root-key does not say the reply was certified")
	}
	if dk.PublicKey != pk.PublicKey {
		t.Fatalf("derive used key %s, pubkey says %s", dk.PublicKey, pk.PublicKey)
	}
	raw, _ := hex.DecodeString(dk.EncryptedKey)
	ek, err := vetkd.ParseEncryptedKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	rawPub, _ := hex.DecodeString(pk.PublicKey)
	dpk, err := vetkd.ParseDerivedPublicKey(rawPub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tsk.Decrypt(ek, dpk, input); err != nil {
		t.Fatalf("the subnet's encrypted key: %v", err)
	}
	if _, err := tsk.Decrypt(ek, dpk, []byte("bob@example.com")); err == nil {
		t.Fatal("the key decrypts for another input")
	}
	other, _ := vetkd.GenerateTransportSecretKey(rand.Reader)
	if _, err := other.Decrypt(ek, dpk, input); err == nil {
		t.Fatal("another transport key decrypts the key")
	}

	var bench benchResult
	cliJSON(t, &bench, "bench", "vetkd", "--endpoint", info.GRPC[2], "--duration", "3s", "--concurrency", "2")
	if bench.Requests == 0 || bench.Errors != 0 {
		t.Fatalf("bench vetkd: %+v", bench)
	}
	t.Logf("bench vetkd: %+v", bench)
}
