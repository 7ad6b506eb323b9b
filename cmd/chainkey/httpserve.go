package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/chainkey/chainkey/replica"
)

// serveNodeHTTP serves the IC HTTP interface of n on addr (over TLS 1.3
// with certFile and keyFile when both are set, as the gRPC API) and
// returns the server and its URL.
func serveNodeHTTP(n *replica.Node, addr, certFile, keyFile string) (*http.Server, string, error) {
	h, err := n.HTTPInterface()
	if err != nil {
		return nil, "", err
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("http listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			lis.Close()
			return nil, "", fmt.Errorf("http TLS certificate: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
		lis = tls.NewListener(lis, srv.TLSConfig)
		scheme = "https"
	}
	go srv.Serve(lis)
	return srv, scheme + "://" + lis.Addr().String(), nil
}

// upHTTP are the IC HTTP interface servers of a local subnet's nodes (the
// upServers lock guards them).
type upHTTP struct {
	servers []*http.Server
	urls    []string
}

// serveHTTP serves node n's HTTP interface on a free loopback port; the
// caller holds s.mu.
func (s *upServers) serveHTTP(n *replica.Node) error {
	srv, url, err := serveNodeHTTP(n, "127.0.0.1:0", "", "")
	if err != nil {
		return err
	}
	s.http.servers = append(s.http.servers, srv)
	s.http.urls = append(s.http.urls, url)
	return nil
}

// stopHTTP closes the HTTP servers; the caller holds s.mu.
func (s *upServers) stopHTTP() {
	for _, srv := range s.http.servers {
		srv.Close()
	}
	s.http.servers = nil
}

// httpURLs returns the nodes' HTTP interface URLs in the order they started.
func (s *upServers) httpURLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.http.urls...)
}
