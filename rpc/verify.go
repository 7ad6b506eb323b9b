package rpc

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/proto/chainkeypb"
	"github.com/chainkey/chainkey/thresholdsig"
	"github.com/fxamacker/cbor/v2"
)

// ErrBadCertificate is returned (wrapped) by VerifySignResponse.
var ErrBadCertificate = errors.New("reply certificate does not prove the reply")

// certifiedReply is the reply the subnet certifies under
// /request_status/<request id>/reply.
type certifiedReply struct {
	Signature []byte `cbor:"1,keyasint"`
	PublicKey []byte `cbor:"2,keyasint"`
}

// VerifySignResponse checks that res carries a certificate, valid under the
// subnet's root public key rootKeyDER (as printed by `chainkey up`), stating
// that the request with id requestID was replied to with exactly res's
// signature and public key. It proves the subnet, not just the node that
// answered, produced the reply.
func VerifySignResponse(res *chainkeypb.SignResponse, rootKeyDER []byte, requestID [32]byte) error {
	root, err := thresholdsig.ParseDERPublicKey(rootKeyDER)
	if err != nil {
		return fmt.Errorf("rpc: root key: %w", err)
	}
	cert, err := certification.ParseCertificate(res.GetCertificate())
	if err != nil {
		return fmt.Errorf("rpc: %w: %v", ErrBadCertificate, err)
	}
	if _, err := certification.Verify(cert, root, certification.VerifyOptions{}); err != nil {
		return fmt.Errorf("rpc: %w: %v", ErrBadCertificate, err)
	}
	if !bytes.Equal(res.GetRequestId(), requestID[:]) {
		return fmt.Errorf("rpc: %w: reply is for request %x, not %x", ErrBadCertificate, res.GetRequestId(), requestID)
	}
	base := []byte("request_status")
	st, status := cert.Lookup(base, requestID[:], []byte("status"))
	if st != certification.Found || string(status) != "replied" {
		return fmt.Errorf("rpc: %w: request status %v %q", ErrBadCertificate, st, status)
	}
	st, raw := cert.Lookup(base, requestID[:], []byte("reply"))
	if st != certification.Found {
		return fmt.Errorf("rpc: %w: no certified reply (%v)", ErrBadCertificate, st)
	}
	var r certifiedReply
	if err := cbor.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("rpc: %w: reply: %v", ErrBadCertificate, err)
	}
	if !bytes.Equal(r.Signature, res.GetSignature()) || !bytes.Equal(r.PublicKey, res.GetPublicKey()) {
		return fmt.Errorf("rpc: %w: certified reply differs from the answer", ErrBadCertificate)
	}
	return nil
}
