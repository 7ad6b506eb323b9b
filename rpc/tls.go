package rpc

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Transport security of the ChainKey API.
//
// Requests are signed by their callers and replies carry certificates, so
// neither needs the transport to be trusted; TLS (1.3 only) adds
// confidentiality of who asks what, and lets a client know which node it
// talks to. A node serves TLS when given a certificate and key (PEM); a
// client trusts the roots it is given, or the system's.

// ServerTLS loads a certificate chain and its key from PEM files and
// returns the gRPC server option that serves TLS 1.3 with them.
func ServerTLS(certFile, keyFile string) (grpc.ServerOption, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("rpc: TLS needs both a certificate and a key file")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("rpc: TLS certificate: %w", err)
	}
	return grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})), nil
}

// ClientTLS returns the TLS settings of a client: the roots in caFile (PEM,
// one or more certificates), or the system's roots if caFile is empty, and
// serverName, if not empty, as the name the server's certificate must
// carry instead of the endpoint's host.
func ClientTLS(caFile, serverName string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS13, ServerName: serverName}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("rpc: TLS roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("rpc: TLS roots: no PEM certificate in %s", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// TransportCredentials returns the gRPC credentials for tlsConfig: TLS, or
// plaintext when tlsConfig is nil.
func TransportCredentials(tlsConfig *tls.Config) credentials.TransportCredentials {
	if tlsConfig == nil {
		return insecure.NewCredentials()
	}
	return credentials.NewTLS(tlsConfig)
}
