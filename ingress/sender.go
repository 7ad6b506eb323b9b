package ingress

import (
	"bytes"
	"fmt"

	"github.com/chainkey/chainkey/principal"
)

// SignRequestID signs a request id as a sender does for any request
// ("\x0Aic-request" || request id), for callers that build request
// contents other than signing requests.
func SignRequestID(key Signer, id [32]byte) ([]byte, error) {
	return key.Sign(append(bytes.Clone(domainRequest), id[:]...))
}

// VerifySender checks that sig is the signature of the sender with DER
// public key der on the request id, and that sender is that key's
// self-authenticating principal.
func VerifySender(sender principal.Principal, der []byte, id [32]byte, sig []byte) error {
	if sender != principal.SelfAuthenticating(der) {
		return fmt.Errorf("%w: sender is not the principal of the public key", ErrBadSignature)
	}
	return verifySenderSig(der, append(bytes.Clone(domainRequest), id[:]...), sig)
}
