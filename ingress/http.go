package ingress

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/chainkey/chainkey/principal"
	"github.com/fxamacker/cbor/v2"
)

// Request types of the Internet Computer's HTTP interface.
const (
	RequestTypeCall      = "call"
	RequestTypeQuery     = "query"
	RequestTypeReadState = "read_state"
)

// Limits of the HTTP interface, as the interface specification and the
// Internet Computer's replica set them.
const (
	// MaxHTTPEnvelopeSize is the largest request body ParseHTTPEnvelope
	// accepts (the replica's max_request_size_bytes).
	MaxHTTPEnvelopeSize = 5 << 20
	// MaxDelegations is the longest sender_delegation chain.
	MaxDelegations = 20
	// MaxDelegationTargets is the most canisters one delegation may name.
	MaxDelegationTargets = 1000
	// MaxReadStatePaths is the most paths one read_state request may ask.
	MaxReadStatePaths = 1000
	// MaxPathLabels is the most labels in one read_state path.
	MaxPathLabels = 127
	// MaxIngressTTL is how far ahead of the receiver's clock a request's
	// ingress_expiry may lie, not counting PermittedDrift.
	MaxIngressTTL = 5 * time.Minute
	// PermittedDrift is the clock difference between a client and the
	// receiver that the expiry check tolerates.
	PermittedDrift = 60 * time.Second
)

// Errors of the HTTP envelopes (besides those of the signing requests).
var (
	ErrBadDelegation     = errors.New("invalid sender delegation")
	ErrTargetNotAllowed  = errors.New("canister is not among the sender delegation targets")
	ErrUnexpectedSigning = errors.New("anonymous request carries a public key, signature or delegation")
	ErrMissingSignature  = errors.New("request of a non-anonymous sender lacks sender_pubkey or sender_sig")
)

// domainDelegation is the domain separator of delegation signatures.
var domainDelegation = []byte("\x1aic-request-auth-delegation")

// Content is the content map of a call, query or read_state request of the
// HTTP interface. Which fields are present depends on RequestType: call and
// query carry CanisterID, MethodName and Arg; read_state carries Paths.
type Content struct {
	RequestType   string
	Sender        principal.Principal
	IngressExpiry uint64 // nanoseconds since the Unix epoch
	Nonce         []byte // nil when absent; at most MaxNonceSize bytes
	CanisterID    principal.Principal
	MethodName    string
	Arg           []byte
	Paths         [][][]byte
}

// IsCall reports whether c is a call or a query (has a canister, method
// and argument).
func (c *Content) IsCall() bool {
	return c.RequestType == RequestTypeCall || c.RequestType == RequestTypeQuery
}

// hashMap returns the content as the map its request id is the hash of.
func (c *Content) hashMap() map[string]any {
	m := map[string]any{
		"request_type":   c.RequestType,
		"sender":         c.Sender.Bytes(),
		"ingress_expiry": c.IngressExpiry,
	}
	if c.Nonce != nil {
		m["nonce"] = c.Nonce
	}
	if c.IsCall() {
		m["canister_id"] = c.CanisterID.Bytes()
		m["method_name"] = c.MethodName
		m["arg"] = nonNil(c.Arg)
	} else {
		paths := make([]any, len(c.Paths))
		for i, p := range c.Paths {
			paths[i] = p
		}
		m["paths"] = paths
	}
	return m
}

// RequestID returns the request id of c: the representation-independent
// hash of its content map.
func (c *Content) RequestID() [32]byte {
	id, err := HashOfMap(c.hashMap())
	if err != nil {
		panic(err) // every field has a supported type
	}
	return id
}

// validate checks the fields and limits of c.
func (c *Content) validate() error {
	switch c.RequestType {
	case RequestTypeCall, RequestTypeQuery:
		if c.Paths != nil {
			return fmt.Errorf("%s request carries paths", c.RequestType)
		}
	case RequestTypeReadState:
		if c.Paths == nil {
			return errors.New("read_state request lacks paths")
		}
		if len(c.Paths) > MaxReadStatePaths {
			return fmt.Errorf("%d paths, at most %d allowed", len(c.Paths), MaxReadStatePaths)
		}
		for i, p := range c.Paths {
			if len(p) > MaxPathLabels {
				return fmt.Errorf("path %d has %d labels, at most %d allowed", i, len(p), MaxPathLabels)
			}
		}
	default:
		return fmt.Errorf("unknown request_type %q", c.RequestType)
	}
	if len(c.Nonce) > MaxNonceSize {
		return fmt.Errorf("nonce of %d bytes exceeds %d", len(c.Nonce), MaxNonceSize)
	}
	return nil
}

// Delegation is one link of a sender_delegation chain: the signer of the
// previous link (or of sender_pubkey) lets PubKey sign requests until
// Expiration, for the canisters in Targets only when Targets is non-nil.
type Delegation struct {
	PubKey     []byte // DER public key
	Expiration uint64 // nanoseconds since the Unix epoch
	Targets    []principal.Principal
	Signature  []byte // over "\x1Aic-request-auth-delegation" || hash of the delegation map
}

// hash returns the representation-independent hash of the delegation map
// {pubkey, expiration, targets?}.
func (d *Delegation) hash() [32]byte {
	m := map[string]any{
		"pubkey":     nonNil(d.PubKey),
		"expiration": d.Expiration,
	}
	if d.Targets != nil {
		t := make([][]byte, len(d.Targets))
		for i, p := range d.Targets {
			t[i] = p.Bytes()
		}
		m["targets"] = t
	}
	h, err := HashOfMap(m)
	if err != nil {
		panic(err)
	}
	return h
}

// SignDelegation returns the delegation from key to pubKey (DER) until
// expiration, restricted to targets when targets is non-nil.
func SignDelegation(key Signer, pubKey []byte, expiration uint64, targets []principal.Principal) (Delegation, error) {
	d := Delegation{PubKey: bytes.Clone(pubKey), Expiration: expiration, Targets: targets}
	if len(targets) > MaxDelegationTargets {
		return Delegation{}, fmt.Errorf("ingress: sign delegation: %d targets exceed %d", len(targets), MaxDelegationTargets)
	}
	h := d.hash()
	sig, err := key.Sign(append(bytes.Clone(domainDelegation), h[:]...))
	if err != nil {
		return Delegation{}, fmt.Errorf("ingress: sign delegation: %w", err)
	}
	d.Signature = sig
	return d, nil
}

// HTTPEnvelope is a request of the HTTP interface: its content and the
// sender's authentication. For the anonymous sender SenderPubKey,
// SenderSig and Delegations are all nil.
type HTTPEnvelope struct {
	Content      Content
	SenderPubKey []byte
	SenderSig    []byte
	Delegations  []Delegation
}

// Wire forms. Pointers tell absent fields from empty ones.
type httpEnvelopeWire struct {
	Content          cbor.RawMessage   `cbor:"content"`
	SenderPubKey     *[]byte           `cbor:"sender_pubkey,omitempty"`
	SenderSig        *[]byte           `cbor:"sender_sig,omitempty"`
	SenderDelegation *[]delegationWire `cbor:"sender_delegation,omitempty"`
}

type delegationWire struct {
	Delegation *delegationMapWire `cbor:"delegation"`
	Signature  *[]byte            `cbor:"signature"`
}

type delegationMapWire struct {
	PubKey     *[]byte   `cbor:"pubkey"`
	Expiration *uint64   `cbor:"expiration"`
	Targets    *[][]byte `cbor:"targets,omitempty"`
}

type contentWire struct {
	RequestType   *string     `cbor:"request_type"`
	Sender        *[]byte     `cbor:"sender"`
	IngressExpiry *uint64     `cbor:"ingress_expiry"`
	Nonce         *[]byte     `cbor:"nonce,omitempty"`
	CanisterID    *[]byte     `cbor:"canister_id,omitempty"`
	MethodName    *string     `cbor:"method_name,omitempty"`
	Arg           *[]byte     `cbor:"arg,omitempty"`
	Paths         *[][][]byte `cbor:"paths,omitempty"`
}

// httpDecMode decodes HTTP envelopes: no duplicate or unknown keys, no tags
// inside (the outer self-describe tag is stripped first), bounded nesting.
// Key order and integer widths are free: clients encode maps in their own
// order, and the request id depends on the values only.
var httpDecMode = func() cbor.DecMode {
	m, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthAllowed,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxNestedLevels:   10,
		MaxArrayElements:  4096,
		MaxMapPairs:       64,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// ParseHTTPEnvelope decodes the body of a call, query or read_state request:
// CBOR (optionally behind tag 55799) of the map {content, sender_pubkey?,
// sender_sig?, sender_delegation?}. Decoding is strict about what it reads:
// no unknown, duplicate or missing fields, fields of the right types and
// within the specification's limits, no trailing bytes. It does not
// authenticate the request; see Authenticate.
func ParseHTTPEnvelope(b []byte) (*HTTPEnvelope, error) {
	e, err := parseHTTPEnvelope(b)
	if err != nil {
		return nil, fmt.Errorf("ingress: %w: %w", ErrMalformed, err)
	}
	return e, nil
}

func parseHTTPEnvelope(b []byte) (*HTTPEnvelope, error) {
	if len(b) > MaxHTTPEnvelopeSize {
		return nil, fmt.Errorf("envelope of %d bytes exceeds %d", len(b), MaxHTTPEnvelopeSize)
	}
	b = bytes.TrimPrefix(b, selfDescribeTag)
	var w httpEnvelopeWire
	if err := httpDecMode.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("decode envelope: %v", err)
	}
	if len(w.Content) == 0 {
		return nil, errors.New("envelope lacks content")
	}
	var cw contentWire
	if err := httpDecMode.Unmarshal(w.Content, &cw); err != nil {
		return nil, fmt.Errorf("decode content: %v", err)
	}
	if cw.RequestType == nil || cw.Sender == nil || cw.IngressExpiry == nil {
		return nil, errors.New("content lacks request_type, sender or ingress_expiry")
	}
	e := &HTTPEnvelope{}
	c := &e.Content
	c.RequestType = *cw.RequestType
	var err error
	if c.Sender, err = principal.FromBytes(*cw.Sender); err != nil {
		return nil, fmt.Errorf("sender: %v", err)
	}
	c.IngressExpiry = *cw.IngressExpiry
	if cw.Nonce != nil {
		c.Nonce = nonNil(*cw.Nonce)
	}
	switch c.RequestType {
	case RequestTypeCall, RequestTypeQuery:
		if cw.CanisterID == nil || cw.MethodName == nil || cw.Arg == nil {
			return nil, fmt.Errorf("%s content lacks canister_id, method_name or arg", c.RequestType)
		}
		if cw.Paths != nil {
			return nil, fmt.Errorf("%s content carries paths", c.RequestType)
		}
		if c.CanisterID, err = principal.FromBytes(*cw.CanisterID); err != nil {
			return nil, fmt.Errorf("canister_id: %v", err)
		}
		c.MethodName, c.Arg = *cw.MethodName, nonNil(*cw.Arg)
	case RequestTypeReadState:
		if cw.CanisterID != nil || cw.MethodName != nil || cw.Arg != nil {
			return nil, errors.New("read_state content carries canister_id, method_name or arg")
		}
		if cw.Paths == nil {
			return nil, errors.New("read_state content lacks paths")
		}
		c.Paths = *cw.Paths
		if c.Paths == nil {
			c.Paths = [][][]byte{}
		}
		for _, p := range c.Paths {
			for j := range p {
				p[j] = nonNil(p[j])
			}
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	if w.SenderPubKey != nil {
		e.SenderPubKey = nonNil(*w.SenderPubKey)
	}
	if w.SenderSig != nil {
		e.SenderSig = nonNil(*w.SenderSig)
	}
	if w.SenderDelegation != nil {
		ds := *w.SenderDelegation
		if len(ds) > MaxDelegations {
			return nil, fmt.Errorf("%d delegations, at most %d allowed", len(ds), MaxDelegations)
		}
		e.Delegations = make([]Delegation, len(ds))
		for i, dw := range ds {
			if dw.Delegation == nil || dw.Signature == nil || dw.Delegation.PubKey == nil || dw.Delegation.Expiration == nil {
				return nil, fmt.Errorf("delegation %d lacks delegation, signature, pubkey or expiration", i)
			}
			d := Delegation{
				PubKey:     nonNil(*dw.Delegation.PubKey),
				Expiration: *dw.Delegation.Expiration,
				Signature:  nonNil(*dw.Signature),
			}
			if dw.Delegation.Targets != nil {
				ts := *dw.Delegation.Targets
				if len(ts) > MaxDelegationTargets {
					return nil, fmt.Errorf("delegation %d has %d targets, at most %d allowed", i, len(ts), MaxDelegationTargets)
				}
				d.Targets = make([]principal.Principal, len(ts))
				for j, t := range ts {
					if d.Targets[j], err = principal.FromBytes(t); err != nil {
						return nil, fmt.Errorf("delegation %d target %d: %v", i, j, err)
					}
				}
			}
			e.Delegations[i] = d
		}
	}
	return e, nil
}

// Marshal returns the envelope's CBOR encoding behind tag 55799, with the
// maps in canonical key order.
func (e *HTTPEnvelope) Marshal() ([]byte, error) {
	c := &e.Content
	cw := contentWire{
		RequestType:   &c.RequestType,
		Sender:        ptr(c.Sender.Bytes()),
		IngressExpiry: &c.IngressExpiry,
	}
	if c.Nonce != nil {
		cw.Nonce = ptr(c.Nonce)
	}
	if c.IsCall() {
		cw.CanisterID = ptr(c.CanisterID.Bytes())
		cw.MethodName = &c.MethodName
		cw.Arg = ptr(nonNil(c.Arg))
	} else {
		p := c.Paths
		if p == nil {
			p = [][][]byte{}
		}
		cw.Paths = &p
	}
	content, err := encMode.Marshal(&cw)
	if err != nil {
		return nil, fmt.Errorf("ingress: encode content: %w", err)
	}
	w := httpEnvelopeWire{Content: content}
	if e.SenderPubKey != nil {
		w.SenderPubKey = ptr(e.SenderPubKey)
	}
	if e.SenderSig != nil {
		w.SenderSig = ptr(e.SenderSig)
	}
	if e.Delegations != nil {
		ds := make([]delegationWire, len(e.Delegations))
		for i, d := range e.Delegations {
			m := &delegationMapWire{PubKey: ptr(nonNil(d.PubKey)), Expiration: ptr(d.Expiration)}
			if d.Targets != nil {
				ts := make([][]byte, len(d.Targets))
				for j, t := range d.Targets {
					ts[j] = t.Bytes()
				}
				m.Targets = &ts
			}
			ds[i] = delegationWire{Delegation: m, Signature: ptr(nonNil(d.Signature))}
		}
		w.SenderDelegation = &ds
	}
	b, err := encMode.Marshal(&w)
	if err != nil {
		return nil, fmt.Errorf("ingress: encode envelope: %w", err)
	}
	return append(bytes.Clone(selfDescribeTag), b...), nil
}

// NewHTTPEnvelope builds a request with content c. With key nil the request
// is anonymous and c.Sender must be the anonymous principal (the zero
// principal is taken as anonymous). Otherwise key signs the request id;
// without delegations c.Sender is (or, if zero, becomes) the
// self-authenticating principal of key, and with delegations it is that of
// senderPubKey, the DER key that signed the first delegation, and key must
// be the key of the last delegation.
func NewHTTPEnvelope(c Content, key Signer, senderPubKey []byte, delegations []Delegation) (*HTTPEnvelope, error) {
	e := &HTTPEnvelope{Content: c}
	if key == nil {
		if delegations != nil || senderPubKey != nil {
			return nil, fmt.Errorf("ingress: new envelope: %w", ErrUnexpectedSigning)
		}
		switch e.Content.Sender {
		case principal.Principal{}:
			e.Content.Sender = principal.Anonymous()
		case principal.Anonymous():
		default:
			return nil, fmt.Errorf("ingress: new envelope: sender %s without a key: %w", e.Content.Sender, ErrMissingSignature)
		}
	} else {
		if delegations == nil {
			senderPubKey = key.PublicKeyDER()
		} else if !bytes.Equal(delegations[len(delegations)-1].PubKey, key.PublicKeyDER()) {
			return nil, fmt.Errorf("ingress: new envelope: key is not the last delegation's key: %w", ErrBadDelegation)
		}
		self := principal.SelfAuthenticating(senderPubKey)
		switch e.Content.Sender {
		case principal.Principal{}:
			e.Content.Sender = self
		case self:
		default:
			return nil, fmt.Errorf("ingress: new envelope: sender %s: %w", e.Content.Sender, ErrSenderMismatch)
		}
		e.SenderPubKey = bytes.Clone(senderPubKey)
		e.Delegations = delegations
	}
	if err := e.Content.validate(); err != nil {
		return nil, fmt.Errorf("ingress: new envelope: %w", err)
	}
	if key != nil {
		id := e.Content.RequestID()
		sig, err := key.Sign(append(bytes.Clone(domainRequest), id[:]...))
		if err != nil {
			return nil, fmt.Errorf("ingress: sign request: %w", err)
		}
		e.SenderSig = sig
	}
	return e, nil
}

// Targets is the set of canisters a request's delegations let it reach; a
// nil Targets lets it reach every canister.
type Targets map[principal.Principal]struct{}

// Allows reports whether t lets the request reach canister.
func (t Targets) Allows(canister principal.Principal) bool {
	if t == nil {
		return true
	}
	_, ok := t[canister]
	return ok
}

// Authenticate checks who sent the request, as the interface specification
// ("Authentication") says:
//
//   - the anonymous sender carries no key, signature or delegation;
//   - any other sender carries sender_pubkey and sender_sig, and is the
//     self-authenticating principal of sender_pubkey;
//   - each delegation is signed by the key before it (sender_pubkey for the
//     first), has not expired, and introduces a key not seen before in the
//     chain; sender_sig is by the last key, over "\x0Aic-request" ||
//     request id;
//   - the expiry window is not checked here: see CheckIngressExpiry.
//
// It returns the request id and the canisters the delegations allow.
func (e *HTTPEnvelope) Authenticate(now time.Time) ([32]byte, Targets, error) {
	id := e.Content.RequestID()
	t, err := e.authenticate(id, now)
	if err != nil {
		return id, nil, fmt.Errorf("ingress: authenticate: %w", err)
	}
	return id, t, nil
}

func (e *HTTPEnvelope) authenticate(id [32]byte, now time.Time) (Targets, error) {
	if e.Content.Sender == principal.Anonymous() {
		if e.SenderPubKey != nil || e.SenderSig != nil || e.Delegations != nil {
			return nil, ErrUnexpectedSigning
		}
		return nil, nil
	}
	if e.SenderPubKey == nil || e.SenderSig == nil {
		return nil, ErrMissingSignature
	}
	if e.Content.Sender != principal.SelfAuthenticating(e.SenderPubKey) {
		return nil, fmt.Errorf("sender %s: %w", e.Content.Sender, ErrSenderMismatch)
	}
	if len(e.Delegations) > MaxDelegations {
		return nil, fmt.Errorf("%w: %d delegations, at most %d allowed", ErrBadDelegation, len(e.Delegations), MaxDelegations)
	}
	key := e.SenderPubKey
	seen := map[string]bool{string(key): true}
	var targets Targets
	n := uint64(max(now.UnixNano(), 0))
	for i := range e.Delegations {
		d := &e.Delegations[i]
		h := d.hash()
		if err := verifySenderSig(key, append(bytes.Clone(domainDelegation), h[:]...), d.Signature); err != nil {
			return nil, fmt.Errorf("%w: delegation %d: %w", ErrBadDelegation, i, err)
		}
		if d.Expiration < n {
			return nil, fmt.Errorf("%w: delegation %d expired at %s", ErrBadDelegation, i, formatNanos(d.Expiration))
		}
		if seen[string(d.PubKey)] {
			return nil, fmt.Errorf("%w: delegation %d: public key appears twice in the chain", ErrBadDelegation, i)
		}
		seen[string(d.PubKey)] = true
		if d.Targets != nil {
			if len(d.Targets) > MaxDelegationTargets {
				return nil, fmt.Errorf("%w: delegation %d has %d targets", ErrBadDelegation, i, len(d.Targets))
			}
			next := Targets{}
			for _, p := range d.Targets {
				if targets.Allows(p) {
					next[p] = struct{}{}
				}
			}
			targets = next
		}
		key = d.PubKey
	}
	if err := verifySenderSig(key, append(bytes.Clone(domainRequest), id[:]...), e.SenderSig); err != nil {
		return nil, err
	}
	return targets, nil
}

// CheckIngressExpiry checks now <= expiry <= now + MaxIngressTTL +
// PermittedDrift, the window in which the receiver accepts a request.
func CheckIngressExpiry(expiry uint64, now time.Time) error {
	lo := now
	hi := now.Add(MaxIngressTTL + PermittedDrift)
	if expiry < uint64(max(lo.UnixNano(), 0)) || expiry > uint64(max(hi.UnixNano(), 0)) {
		err := ErrExpired
		if expiry > uint64(max(hi.UnixNano(), 0)) {
			err = ErrExpiryTooFar
		}
		return fmt.Errorf("%w: Specified ingress_expiry not within expected range: Minimum allowed expiry: %s, Maximum allowed expiry: %s, Provided expiry: %s",
			err, lo.UTC().Format(time.RFC3339Nano), hi.UTC().Format(time.RFC3339Nano), formatNanos(expiry))
	}
	return nil
}

func formatNanos(t uint64) string {
	return time.Unix(0, int64(min(t, 1<<63-1))).UTC().Format(time.RFC3339Nano)
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func ptr[T any](v T) *T { return &v }
