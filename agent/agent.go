package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chainkey/chainkey/candid"
	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"
)

// Defaults of Config.
const (
	DefaultIngressExpiry = 4 * time.Minute
	DefaultPollInterval  = 100 * time.Millisecond
	// MaxCertificateAge bounds the age of certificates and query signatures
	// (either way, for clock skew), as IC agents do.
	MaxCertificateAge = 5 * time.Minute
	// MaxDelegationAge bounds the age of a certificate's delegation.
	MaxDelegationAge = 30 * 24 * time.Hour
	maxResponseSize  = 16 << 20
)

// Config configures an Agent.
type Config struct {
	// Endpoint is the node's URL, e.g. "http://127.0.0.1:4943".
	Endpoint string
	// Identity signs requests; nil sends them as the anonymous principal.
	Identity ingress.Signer
	// RootKey is the DER form of the key certificates verify under. If nil,
	// New fetches it from /api/v2/status, which is only safe against a
	// local or test subnet.
	RootKey []byte
	// HTTPClient sends requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// IngressExpiry is how long requests stay valid; zero means
	// DefaultIngressExpiry.
	IngressExpiry time.Duration
	// PollInterval is the first interval of read_state polling (it doubles
	// up to a second); zero means DefaultPollInterval.
	PollInterval time.Duration
	// SkipQuerySignatures turns off the check of node signatures on query
	// responses.
	SkipQuerySignatures bool
}

// Agent talks to one endpoint. It is safe for concurrent use.
type Agent struct {
	cfg      Config
	base     *url.URL
	client   *http.Client
	rootDER  []byte
	rootKey  *thresholdsig.PublicKey
	mu       sync.Mutex
	nodeKeys map[principal.Principal][]byte // node id → DER key, from certified subnet state
	// sigs remembers the certificate signatures that verified: the replies
	// of one certified height share one signature.
	sigs *certification.SignatureCache
}

// RejectError is a call or query that the canister or the system rejected.
type RejectError struct {
	RequestID [32]byte
	Code      uint64
	Message   string
	ErrorCode string
	// Certified is true when the reject came in a verified certificate.
	Certified bool
}

// Error implements error.
func (e *RejectError) Error() string {
	return fmt.Sprintf("agent: request 0x%x rejected: code %d (%s): %s", e.RequestID, e.Code, e.ErrorCode, e.Message)
}

// HTTPError is an answer with an unexpected HTTP status.
type HTTPError struct {
	Status  int
	Message string
}

// Error implements error.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("agent: HTTP %d: %s", e.Status, e.Message)
}

// New returns an agent for cfg, fetching the root key if cfg.RootKey is nil.
func New(ctx context.Context, cfg Config) (*Agent, error) {
	base, err := url.Parse(strings.TrimRight(cfg.Endpoint, "/"))
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("agent: endpoint %q is not an absolute URL", cfg.Endpoint)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IngressExpiry <= 0 {
		cfg.IngressExpiry = DefaultIngressExpiry
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	a := &Agent{cfg: cfg, base: base, client: cfg.HTTPClient, nodeKeys: map[principal.Principal][]byte{},
		sigs: certification.NewSignatureCache(1024)}
	if a.client == nil {
		a.client = http.DefaultClient
	}
	der := cfg.RootKey
	if der == nil {
		st, err := a.Status(ctx)
		if err != nil {
			return nil, err
		}
		der = st.RootKey
	}
	if a.rootKey, err = thresholdsig.ParseDERPublicKey(der); err != nil {
		return nil, fmt.Errorf("agent: root key: %w", err)
	}
	a.rootDER = bytes.Clone(der)
	return a, nil
}

// RootKey returns the DER form of the root key.
func (a *Agent) RootKey() []byte { return bytes.Clone(a.rootDER) }

// Sender returns the principal requests are sent as.
func (a *Agent) Sender() principal.Principal {
	if a.cfg.Identity == nil {
		return principal.Anonymous()
	}
	return ingress.Sender(a.cfg.Identity)
}

// Status fetches /api/v2/status.
func (a *Agent) Status(ctx context.Context) (*httpapi.StatusResponse, error) {
	code, body, err := a.do(ctx, http.MethodGet, "/api/v2/status", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, &HTTPError{Status: code, Message: string(body)}
	}
	st, err := httpapi.ParseStatusResponse(body)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return st, nil
}

func (a *Agent) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	u := *a.base
	u.Path += path
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return 0, nil, fmt.Errorf("agent: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/cbor")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("agent: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize+1))
	if err != nil {
		return 0, nil, fmt.Errorf("agent: %s %s: %w", method, path, err)
	}
	if len(b) > maxResponseSize {
		return 0, nil, fmt.Errorf("agent: %s %s: response exceeds %d bytes", method, path, maxResponseSize)
	}
	return resp.StatusCode, b, nil
}

// envelope builds and signs a request with a fresh nonce and expiry.
func (a *Agent) envelope(c ingress.Content) ([]byte, [32]byte, error) {
	c.IngressExpiry = uint64(a.cfg.Now().Add(a.cfg.IngressExpiry).UnixNano())
	if c.RequestType == ingress.RequestTypeCall {
		c.Nonce = newNonce()
	}
	e, err := ingress.NewHTTPEnvelope(c, a.cfg.Identity, nil, nil)
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("agent: %w", err)
	}
	b, err := e.Marshal()
	if err != nil {
		return nil, [32]byte{}, fmt.Errorf("agent: %w", err)
	}
	return b, e.Content.RequestID(), nil
}

// effectiveCanister returns where a call or query to canister goes.
func effectiveCanister(c *ingress.Content) (principal.Principal, error) {
	id, anyOK, err := httpapi.EffectiveCanisterID(c)
	if err != nil {
		return principal.Principal{}, fmt.Errorf("agent: %w", err)
	}
	if anyOK {
		return principal.Management(), nil
	}
	return id, nil
}

// verify checks a certificate against the root key for canister ecid.
func (a *Agent) verify(b []byte, ecid *principal.Principal) (*certification.Certificate, error) {
	c, err := certification.ParseCertificate(b)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if _, err := certification.Verify(c, a.rootKey, certification.VerifyOptions{
		CanisterID: ecid, MaxAge: MaxCertificateAge, DelegationMaxAge: MaxDelegationAge, Now: a.cfg.Now(),
		Signatures: a.sigs,
	}); err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return c, nil
}

// Call makes an update call and returns the certified reply. It posts to
// /api/v3/canister/<ecid>/call (falling back to v2 when the node has no
// v3), and polls read_state until the call is done when the node answers
// before it is.
func (a *Agent) Call(ctx context.Context, canister principal.Principal, method string, arg []byte) ([]byte, error) {
	c := ingress.Content{RequestType: ingress.RequestTypeCall, CanisterID: canister, MethodName: method, Arg: arg}
	ecid, err := effectiveCanister(&c)
	if err != nil {
		return nil, err
	}
	body, id, err := a.envelope(c)
	if err != nil {
		return nil, err
	}
	code, resp, err := a.do(ctx, http.MethodPost, "/api/v3/canister/"+ecid.String()+"/call", body)
	if err == nil && code == http.StatusNotFound {
		code, resp, err = a.do(ctx, http.MethodPost, "/api/v2/canister/"+ecid.String()+"/call", body)
	}
	if err != nil {
		return nil, err
	}
	switch code {
	case http.StatusOK:
		r, err := httpapi.ParseCallResponse(resp)
		if err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
		if r.Status == httpapi.StatusNonReplicatedRejection || r.Status == "" && r.RejectCode != 0 {
			return nil, &RejectError{RequestID: id, Code: r.RejectCode, Message: r.RejectMessage, ErrorCode: r.ErrorCode}
		}
		if r.Status != httpapi.StatusReplied || len(r.Certificate) == 0 {
			return nil, fmt.Errorf("agent: call response with status %q", r.Status)
		}
		cert, err := a.verify(r.Certificate, &ecid)
		if err != nil {
			return nil, err
		}
		if reply, done, err := callResult(cert, id); done {
			return reply, err
		}
	case http.StatusAccepted:
	default:
		return nil, &HTTPError{Status: code, Message: string(resp)}
	}
	return a.Poll(ctx, ecid, id)
}

// callResult reads the outcome of call id from a verified certificate:
// done is false while the call is not finished.
func callResult(cert *certification.Certificate, id [32]byte) (reply []byte, done bool, err error) {
	rs := []byte("request_status")
	st, status := cert.Lookup(rs, id[:], []byte("status"))
	if st != certification.Found {
		return nil, false, nil
	}
	switch ingress.Status(status) {
	case ingress.StatusReplied:
		s, reply := cert.Lookup(rs, id[:], []byte("reply"))
		if s != certification.Found {
			return nil, true, errors.New("agent: replied call without a certified reply")
		}
		return reply, true, nil
	case ingress.StatusRejected:
		_, code := cert.Lookup(rs, id[:], []byte("reject_code"))
		_, msg := cert.Lookup(rs, id[:], []byte("reject_message"))
		_, ec := cert.Lookup(rs, id[:], []byte("error_code"))
		n, err := certification.DecodeLEB128(code)
		if err != nil {
			return nil, true, fmt.Errorf("agent: reject_code: %w", err)
		}
		return nil, true, &RejectError{RequestID: id, Code: n, Message: string(msg), ErrorCode: string(ec), Certified: true}
	case ingress.StatusDone:
		return nil, true, fmt.Errorf("agent: call 0x%x is done and its response is no longer kept", id)
	}
	return nil, false, nil
}

// Poll reads the status of call id through read_state at ecid until it is
// done or ctx ends.
func (a *Agent) Poll(ctx context.Context, ecid principal.Principal, id [32]byte) ([]byte, error) {
	wait := a.cfg.PollInterval
	for {
		cert, err := a.ReadState(ctx, ecid, [][][]byte{{[]byte("request_status"), id[:]}})
		if err != nil {
			return nil, err
		}
		if reply, done, err := callResult(cert, id); done {
			return reply, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("agent: waiting for call 0x%x: %w", id, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// ReadState reads paths through /api/v2/canister/<ecid>/read_state and
// returns the verified certificate.
func (a *Agent) ReadState(ctx context.Context, ecid principal.Principal, paths [][][]byte) (*certification.Certificate, error) {
	return a.readState(ctx, "/api/v2/canister/"+ecid.String()+"/read_state", &ecid, paths)
}

// ReadSubnetState reads paths through /api/v3/subnet/<id>/read_state and
// returns the verified certificate.
func (a *Agent) ReadSubnetState(ctx context.Context, subnet principal.Principal, paths [][][]byte) (*certification.Certificate, error) {
	return a.readState(ctx, "/api/v3/subnet/"+subnet.String()+"/read_state", nil, paths)
}

func (a *Agent) readState(ctx context.Context, path string, ecid *principal.Principal, paths [][][]byte) (*certification.Certificate, error) {
	body, _, err := a.envelope(ingress.Content{RequestType: ingress.RequestTypeReadState, Paths: paths})
	if err != nil {
		return nil, err
	}
	code, resp, err := a.do(ctx, http.MethodPost, path, body)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, &HTTPError{Status: code, Message: string(resp)}
	}
	r, err := httpapi.ParseReadStateResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	return a.verify(r.Certificate, ecid)
}

// Query makes a query call and returns its reply. Unless
// Config.SkipQuerySignatures is set, every node signature on the response
// must verify under a node key of the canister's subnet, read from
// certified state.
func (a *Agent) Query(ctx context.Context, canister principal.Principal, method string, arg []byte) ([]byte, error) {
	c := ingress.Content{RequestType: ingress.RequestTypeQuery, CanisterID: canister, MethodName: method, Arg: arg}
	ecid, err := effectiveCanister(&c)
	if err != nil {
		return nil, err
	}
	body, id, err := a.envelope(c)
	if err != nil {
		return nil, err
	}
	code, resp, err := a.do(ctx, http.MethodPost, "/api/v3/canister/"+ecid.String()+"/query", body)
	if err == nil && code == http.StatusNotFound {
		code, resp, err = a.do(ctx, http.MethodPost, "/api/v2/canister/"+ecid.String()+"/query", body)
	}
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, &HTTPError{Status: code, Message: string(resp)}
	}
	r, err := httpapi.ParseQueryResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	if !a.cfg.SkipQuerySignatures {
		if err := a.checkQuerySignatures(ctx, ecid, r, id); err != nil {
			return nil, err
		}
	}
	if r.Status == httpapi.StatusRejected {
		return nil, &RejectError{RequestID: id, Code: r.RejectCode, Message: r.RejectMessage, ErrorCode: r.ErrorCode}
	}
	return r.Reply.Arg, nil
}

func (a *Agent) checkQuerySignatures(ctx context.Context, ecid principal.Principal, r *httpapi.QueryResponse, id [32]byte) error {
	if len(r.Signatures) == 0 {
		return errors.New("agent: query response carries no node signature")
	}
	now := a.cfg.Now()
	for _, sig := range r.Signatures {
		node, err := principal.FromBytes(sig.Identity)
		if err != nil {
			return fmt.Errorf("agent: query signature identity: %w", err)
		}
		ts := time.Unix(0, int64(min(sig.Timestamp, 1<<63-1)))
		if ts.Before(now.Add(-MaxCertificateAge)) || ts.After(now.Add(MaxCertificateAge)) {
			return fmt.Errorf("agent: query signature of node %s is timestamped %s, not within %s of now", node, ts.UTC().Format(time.RFC3339), MaxCertificateAge)
		}
		der, err := a.nodeKey(ctx, ecid, node)
		if err != nil {
			return err
		}
		if err := httpapi.VerifyQuerySignature(r, id, sig, der); err != nil {
			return fmt.Errorf("agent: node %s: %w", node, err)
		}
	}
	return nil
}

// nodeKey returns the DER key of node, reading the subnet's certified
// state (path /subnet through ecid's read_state) when it is not cached.
func (a *Agent) nodeKey(ctx context.Context, ecid principal.Principal, node principal.Principal) ([]byte, error) {
	a.mu.Lock()
	der, ok := a.nodeKeys[node]
	a.mu.Unlock()
	if ok {
		return der, nil
	}
	cert, err := a.ReadState(ctx, ecid, [][][]byte{{[]byte("subnet")}})
	if err != nil {
		return nil, err
	}
	subnet := principal.SelfAuthenticating(a.rootDER)
	tree := cert.Tree
	if cert.Delegation != nil {
		subnet = cert.Delegation.SubnetID
	}
	st, nodes := certification.LookupSubtree(tree, [][]byte{[]byte("subnet"), subnet.Bytes(), []byte("node")})
	if st != certification.Found {
		return nil, fmt.Errorf("agent: certified state has no nodes of subnet %s", subnet)
	}
	keys := map[principal.Principal][]byte{}
	for _, l := range certification.Leaves(nodes) {
		if len(l.Path) == 2 && string(l.Path[1]) == "public_key" {
			if id, err := principal.FromBytes(l.Path[0]); err == nil {
				keys[id] = l.Value
			}
		}
	}
	a.mu.Lock()
	for k, v := range keys {
		a.nodeKeys[k] = v
	}
	der, ok = a.nodeKeys[node]
	a.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("agent: node %s is not a node of subnet %s", node, subnet)
	}
	return der, nil
}

// CallCandid makes an update call with Candid arguments and decodes the
// reply against results.
func (a *Agent) CallCandid(ctx context.Context, canister principal.Principal, method string, argTypes []*candid.Type, args []candid.Value, results []*candid.Type) ([]candid.Value, error) {
	arg, err := candid.Marshal(argTypes, args)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	reply, err := a.Call(ctx, canister, method, arg)
	if err != nil {
		return nil, err
	}
	vals, err := candid.Unmarshal(reply, results)
	if err != nil {
		return nil, fmt.Errorf("agent: reply of %s: %w", method, err)
	}
	return vals, nil
}

// QueryCandid makes a query with Candid arguments and decodes the reply
// against results.
func (a *Agent) QueryCandid(ctx context.Context, canister principal.Principal, method string, argTypes []*candid.Type, args []candid.Value, results []*candid.Type) ([]candid.Value, error) {
	arg, err := candid.Marshal(argTypes, args)
	if err != nil {
		return nil, fmt.Errorf("agent: %w", err)
	}
	reply, err := a.Query(ctx, canister, method, arg)
	if err != nil {
		return nil, err
	}
	vals, err := candid.Unmarshal(reply, results)
	if err != nil {
		return nil, fmt.Errorf("agent: reply of %s: %w", method, err)
	}
	return vals, nil
}
