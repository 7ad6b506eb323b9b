package main

import (
	"crypto/tls"

	"github.com/spf13/pflag"

	"github.com/chainkey/chainkey/rpc"
)

// tlsFlags are a client's transport security flags: plaintext unless one
// of them is given.
type tlsFlags struct {
	on             bool
	ca, serverName string
}

func (t *tlsFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&t.on, "tls", false, "connect with TLS 1.3, trusting the system's roots")
	f.StringVar(&t.ca, "tls-ca", "", "connect with TLS 1.3, trusting the certificates in this PEM file (implies --tls)")
	f.StringVar(&t.serverName, "tls-server-name", "", "name the node's certificate must carry, if not the endpoint's host (implies --tls)")
}

// config returns the TLS settings, or nil for plaintext.
func (t *tlsFlags) config() (*tls.Config, error) {
	if !t.on && t.ca == "" && t.serverName == "" {
		return nil, nil
	}
	return rpc.ClientTLS(t.ca, t.serverName)
}
