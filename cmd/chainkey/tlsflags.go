package main

import (
	"crypto/tls"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
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

// dial connects to the target's first node with the transport security of
// tlsf, signing requests with id (nil for calls that sign nothing).
func (t *nodeTarget) dial(id ingress.Signer, tlsf *tlsFlags) (*rpc.Client, error) {
	tlsCfg, err := tlsf.config()
	if err != nil {
		return nil, err
	}
	return rpc.DialTLS(t.Endpoints[0], id, tlsCfg)
}

// callerPrincipal is the principal a public key is derived for: --caller
// when given, else the principal of the --identity (or default) identity.
func callerPrincipal(caller, identity string) (principal.Principal, error) {
	if caller != "" {
		p, err := principal.Parse(caller)
		if err != nil {
			return p, fmt.Errorf("--caller: %w", err)
		}
		return p, nil
	}
	id, err := loadCallerIdentity(identity)
	if err != nil {
		return principal.Principal{}, err
	}
	return ingress.Sender(id), nil
}
