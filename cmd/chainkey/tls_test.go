package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chainkey/chainkey/rpc"
)

// TestClientCommandsOverTLS runs the client commands against a node API
// served over TLS: with --tls-ca they work, in plaintext or trusting the
// system's roots they fail.
func TestClientCommandsOverTLS(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	dir := t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA: true, BasicConstraintsValid: true, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile := filepath.Join(dir, "node.crt"), filepath.Join(dir, "node.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)

	opt, err := rpc.ServerTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := rpc.NewGRPCServer(&cliFakeBackend{seen: map[[32]byte]bool{}}, rpc.ServerOptions{}, opt)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	ep := lis.Addr().String()
	hash := sha256.Sum256([]byte("over tls"))

	for _, args := range [][]string{
		{"status", "--endpoint", ep, "--tls-ca", certFile},
		{"pubkey", "--endpoint", ep, "--key-id", "ecdsa:secp256k1:dfx_test_key", "--tls-ca", certFile},
		{"sign", "--endpoint", ep, "--key-id", "ecdsa:secp256k1:dfx_test_key", "--hash", hex.EncodeToString(hash[:]), "--tls-ca", certFile},
	} {
		if out, err := runCLI(t, args...); err != nil || !strings.HasPrefix(out, "{") {
			t.Errorf("%s over TLS: %q, %v", args[0], out, err)
		}
	}
	for _, args := range [][]string{
		{"status", "--endpoint", ep, "--timeout", "3s"},
		{"status", "--endpoint", ep, "--timeout", "3s", "--tls"},
		{"status", "--endpoint", ep, "--timeout", "3s", "--tls-ca", keyFile},
	} {
		if _, err := runCLI(t, args...); err == nil {
			t.Errorf("%v: connected", args)
		}
	}
	if _, err := runCLI(t, "node", "--home", dir, "--tls-cert", certFile); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("node with a certificate and no key: %v", err)
	}
}
