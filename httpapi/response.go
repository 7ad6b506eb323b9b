package httpapi

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/fxamacker/cbor/v2"
)

// ResponseDomain is the domain separator of node signatures on query
// responses: "\x0Bic-response".
const ResponseDomain = "\x0bic-response"

// Status values of responses.
const (
	StatusReplied                = "replied"
	StatusRejected               = "rejected"
	StatusNonReplicatedRejection = "non_replicated_rejection"
)

// selfDescribe is CBOR tag 55799, which every response body starts with.
var selfDescribe = []byte{0xd9, 0xd9, 0xf7}

var (
	encMode = func() cbor.EncMode {
		m, err := cbor.EncOptions{Sort: cbor.SortCoreDeterministic}.EncMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
	decMode = func() cbor.DecMode {
		m, err := cbor.DecOptions{
			DupMapKey:       cbor.DupMapKeyEnforcedAPF,
			MaxNestedLevels: 8,
		}.DecMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
)

// marshalTagged encodes v as CBOR behind tag 55799.
func marshalTagged(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(bytes.Clone(selfDescribe), b...), nil
}

// unmarshalTagged decodes CBOR with an optional tag 55799.
func unmarshalTagged(b []byte, v any) error {
	return decMode.Unmarshal(bytes.TrimPrefix(b, selfDescribe), v)
}

// StatusResponse is the body of /api/v2/status.
type StatusResponse struct {
	ICAPIVersion        string `cbor:"ic_api_version"`
	ImplVersion         string `cbor:"impl_version,omitempty"`
	RootKey             []byte `cbor:"root_key,omitempty"`
	ReplicaHealthStatus string `cbor:"replica_health_status,omitempty"`
}

// NodeSignature is a node's signature of a query response.
type NodeSignature struct {
	Timestamp uint64 `cbor:"timestamp"`
	Signature []byte `cbor:"signature"`
	Identity  []byte `cbor:"identity"`
}

// QueryReply is the reply field of a query response.
type QueryReply struct {
	Arg []byte `cbor:"arg"`
}

// QueryResponse is the body of a query response: status "replied" with
// Reply, or "rejected" with RejectCode, RejectMessage and ErrorCode; and the
// answering node's signatures.
type QueryResponse struct {
	Status        string          `cbor:"status"`
	Reply         *QueryReply     `cbor:"reply,omitempty"`
	RejectCode    uint64          `cbor:"reject_code,omitempty"`
	RejectMessage string          `cbor:"reject_message,omitempty"`
	ErrorCode     string          `cbor:"error_code,omitempty"`
	Signatures    []NodeSignature `cbor:"signatures"`
}

// Marshal returns the tagged CBOR form of r.
func (r *QueryResponse) Marshal() ([]byte, error) { return marshalTagged(r) }

// ParseQueryResponse decodes a query response.
func ParseQueryResponse(b []byte) (*QueryResponse, error) {
	var r QueryResponse
	if err := unmarshalTagged(b, &r); err != nil {
		return nil, fmt.Errorf("httpapi: parse query response: %w", err)
	}
	switch r.Status {
	case StatusReplied:
		if r.Reply == nil {
			return nil, errors.New("httpapi: parse query response: replied without reply")
		}
	case StatusRejected:
	default:
		return nil, fmt.Errorf("httpapi: parse query response: status %q", r.Status)
	}
	return &r, nil
}

// QueryResponseHash returns the representation-independent hash a node
// signs for a query response at timestamp (nanoseconds) to the request
// requestID:
//
//	hash_of_map({status: "replied", reply: {arg}, timestamp, request_id})
//	hash_of_map({status: "rejected", reject_code, reject_message, error_code, timestamp, request_id})
func QueryResponseHash(r *QueryResponse, requestID [32]byte, timestamp uint64) ([32]byte, error) {
	m := map[string]any{
		"status":     r.Status,
		"timestamp":  timestamp,
		"request_id": requestID[:],
	}
	switch r.Status {
	case StatusReplied:
		if r.Reply == nil {
			return [32]byte{}, errors.New("httpapi: replied query response without reply")
		}
		arg := r.Reply.Arg
		if arg == nil {
			arg = []byte{}
		}
		m["reply"] = map[string]any{"arg": arg}
	case StatusRejected:
		m["reject_code"] = r.RejectCode
		m["reject_message"] = r.RejectMessage
		if r.ErrorCode != "" {
			m["error_code"] = r.ErrorCode
		}
	default:
		return [32]byte{}, fmt.Errorf("httpapi: query response status %q", r.Status)
	}
	return ingress.HashOfMap(m)
}

// SignQueryResponse appends the signature of node key to r: Ed25519 over
// ResponseDomain || QueryResponseHash(r, requestID, timestamp), with the
// node's id (the self-authenticating principal of its key) as identity.
func SignQueryResponse(r *QueryResponse, key ed25519.PrivateKey, requestID [32]byte, timestamp uint64) error {
	h, err := QueryResponseHash(r, requestID, timestamp)
	if err != nil {
		return err
	}
	sig := ed25519.Sign(key, append([]byte(ResponseDomain), h[:]...))
	id := NodeID(key.Public().(ed25519.PublicKey))
	r.Signatures = append(r.Signatures, NodeSignature{Timestamp: timestamp, Signature: sig, Identity: id.Bytes()})
	return nil
}

// VerifyQuerySignature checks one node signature of r under the node's
// DER Ed25519 key (as /subnet/<sid>/node/<nid>/public_key holds it).
func VerifyQuerySignature(r *QueryResponse, requestID [32]byte, sig NodeSignature, nodeKeyDER []byte) error {
	pub, err := ParseEd25519DER(nodeKeyDER)
	if err != nil {
		return err
	}
	h, err := QueryResponseHash(r, requestID, sig.Timestamp)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, append([]byte(ResponseDomain), h[:]...), sig.Signature) {
		return errors.New("httpapi: invalid node signature on query response")
	}
	return nil
}

// ed25519DERPrefix is the DER SubjectPublicKeyInfo prefix of an Ed25519
// key (RFC 8410).
var ed25519DERPrefix = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}

// Ed25519DER returns the 44-byte DER form of an Ed25519 public key, as the
// state tree holds node keys.
func Ed25519DER(pub ed25519.PublicKey) []byte {
	return append(bytes.Clone(ed25519DERPrefix), pub...)
}

// ParseEd25519DER parses the DER form of an Ed25519 public key.
func ParseEd25519DER(der []byte) (ed25519.PublicKey, error) {
	if len(der) != len(ed25519DERPrefix)+ed25519.PublicKeySize || !bytes.HasPrefix(der, ed25519DERPrefix) {
		return nil, fmt.Errorf("httpapi: not a DER Ed25519 public key (%d bytes)", len(der))
	}
	return ed25519.PublicKey(bytes.Clone(der[len(ed25519DERPrefix):])), nil
}

// NodeID returns the id of the node with key pub: the self-authenticating
// principal of its DER form, as the Internet Computer names nodes.
func NodeID(pub ed25519.PublicKey) principal.Principal {
	return principal.SelfAuthenticating(Ed25519DER(pub))
}

// CallResponse is the 200 body of a call: status "replied" with a
// certificate (v3/v4), or a non-replicated rejection.
type CallResponse struct {
	Status        string `cbor:"status,omitempty"`
	Certificate   []byte `cbor:"certificate,omitempty"`
	RejectCode    uint64 `cbor:"reject_code,omitempty"`
	RejectMessage string `cbor:"reject_message,omitempty"`
	ErrorCode     string `cbor:"error_code,omitempty"`
}

// ParseCallResponse decodes the 200 body of a call.
func ParseCallResponse(b []byte) (*CallResponse, error) {
	var r CallResponse
	if err := unmarshalTagged(b, &r); err != nil {
		return nil, fmt.Errorf("httpapi: parse call response: %w", err)
	}
	return &r, nil
}

// ReadStateResponse is the body of a read_state response.
type ReadStateResponse struct {
	Certificate []byte `cbor:"certificate"`
}

// ParseReadStateResponse decodes a read_state response.
func ParseReadStateResponse(b []byte) (*ReadStateResponse, error) {
	var r ReadStateResponse
	if err := unmarshalTagged(b, &r); err != nil {
		return nil, fmt.Errorf("httpapi: parse read_state response: %w", err)
	}
	if len(r.Certificate) == 0 {
		return nil, errors.New("httpapi: parse read_state response: no certificate")
	}
	return &r, nil
}

// ParseStatusResponse decodes a status response.
func ParseStatusResponse(b []byte) (*StatusResponse, error) {
	var r StatusResponse
	if err := unmarshalTagged(b, &r); err != nil {
		return nil, fmt.Errorf("httpapi: parse status response: %w", err)
	}
	return &r, nil
}
