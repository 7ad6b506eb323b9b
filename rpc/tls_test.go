package rpc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate for names (DNS names or IP
// addresses) and its key as PEM files in dir.
func selfSigned(t *testing.T, dir, prefix string, names ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, prefix+".crt"), filepath.Join(dir, prefix+".key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestTLS checks a node serving TLS: a client trusting its certificate
// gets through; a plaintext client, one trusting another certificate, and
// one expecting another name do not.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir, "node", "127.0.0.1", "node0.example")
	other, _ := selfSigned(t, dir, "other", "127.0.0.1")
	opt, err := ServerTLS(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	g := NewGRPCServer(&fakeBackend{seen: map[[32]byte]bool{}}, ServerOptions{}, opt)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	addr := lis.Addr().String()
	status := func(caFile, serverName string, useTLS bool) error {
		t.Helper()
		var c *Client
		if useTLS {
			cfg, err := ClientTLS(caFile, serverName)
			if err != nil {
				t.Fatal(err)
			}
			c, err = DialTLS(addr, nil, cfg)
			if err != nil {
				t.Fatal(err)
			}
		} else if c, err = Dial(addr, nil); err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := c.Status(ctx)
		return err
	}
	if err := status(cert, "", true); err != nil {
		t.Fatalf("TLS with the node's certificate as root: %v", err)
	}
	if err := status(cert, "node0.example", true); err != nil {
		t.Fatalf("TLS with the server name node0.example: %v", err)
	}
	if status("", "", false) == nil {
		t.Error("plaintext client served by a TLS node")
	}
	if status(other, "", true) == nil {
		t.Error("client trusting another certificate accepted the node")
	}
	if status(cert, "node1.example", true) == nil {
		t.Error("client expecting another name accepted the node")
	}
	if status("", "", true) == nil {
		t.Error("self-signed node accepted with the system roots")
	}
	if _, err := ServerTLS(cert, ""); err == nil {
		t.Error("TLS without a key file accepted")
	}
	if _, err := ServerTLS(cert, cert); err == nil {
		t.Error("certificate as key accepted")
	}
	if _, err := ClientTLS(key, ""); err == nil {
		t.Error("roots file without a certificate accepted")
	}
}
