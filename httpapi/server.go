package httpapi

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
)

// Defaults of Config.
const (
	DefaultSyncCallTimeout = 10 * time.Second
	DefaultMaxRequestSize  = ingress.MaxHTTPEnvelopeSize
	DefaultMaxSyncWaiters  = 1000
	// ICAPIVersion is the version of the interface specification served.
	ICAPIVersion = "0.18.0"
)

// Config configures a Server.
type Config struct {
	// Backend is the node. Required.
	Backend Backend
	// NodeKey is the node's Ed25519 key; it signs query responses and its
	// self-authenticating principal is the node's id. Required.
	NodeKey ed25519.PrivateKey
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// SyncCallTimeout bounds how long a v3/v4 call waits for its
	// certified result before answering 202; zero means
	// DefaultSyncCallTimeout.
	SyncCallTimeout time.Duration
	// MaxRequestSize bounds request bodies (413 above it); zero means
	// DefaultMaxRequestSize.
	MaxRequestSize int64
	// ImplVersion is reported by /api/v2/status.
	ImplVersion string
	// MaxSyncWaiters bounds how many synchronous calls may wait for their
	// certified result at once; a call over the bound is submitted and
	// answered 202 at once (the client polls). Zero means
	// DefaultMaxSyncWaiters; negative means calls never wait.
	MaxSyncWaiters int
}

// Server serves the HTTP interface. It is an http.Handler.
type Server struct {
	cfg     Config
	nodeID  principal.Principal
	mux     *http.ServeMux
	waiters atomic.Int64 // synchronous calls waiting now
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Backend == nil {
		return nil, errors.New("httpapi: no backend")
	}
	if len(cfg.NodeKey) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("httpapi: node key of %d bytes", len(cfg.NodeKey))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SyncCallTimeout <= 0 {
		cfg.SyncCallTimeout = DefaultSyncCallTimeout
	}
	if cfg.MaxRequestSize <= 0 {
		cfg.MaxRequestSize = DefaultMaxRequestSize
	}
	if cfg.MaxSyncWaiters == 0 {
		cfg.MaxSyncWaiters = DefaultMaxSyncWaiters
	}
	s := &Server{cfg: cfg, nodeID: NodeID(cfg.NodeKey.Public().(ed25519.PublicKey)), mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /api/v2/status", s.handleStatus)
	s.mux.HandleFunc("POST /api/v2/canister/{id}/call", s.callHandler(callAsync, false))
	s.mux.HandleFunc("POST /api/v3/canister/{id}/call", s.callHandler(callSync, false))
	s.mux.HandleFunc("POST /api/v4/canister/{id}/call", s.callHandler(callSync, false))
	s.mux.HandleFunc("POST /api/v4/subnet/{id}/call", s.callHandler(callSync, true))
	s.mux.HandleFunc("POST /api/v2/canister/{id}/query", s.handleQuery)
	s.mux.HandleFunc("POST /api/v3/canister/{id}/query", s.handleQuery)
	s.mux.HandleFunc("POST /api/v2/canister/{id}/read_state", s.readStateHandler(false))
	s.mux.HandleFunc("POST /api/v3/canister/{id}/read_state", s.readStateHandler(false))
	s.mux.HandleFunc("POST /api/v2/subnet/{id}/read_state", s.readStateHandler(true))
	s.mux.HandleFunc("POST /api/v3/subnet/{id}/read_state", s.readStateHandler(true))
	return s, nil
}

// NodeID returns the id of the node serving.
func (s *Server) NodeID() principal.Principal { return s.nodeID }

// ServeHTTP implements http.Handler. Every answer allows cross-origin
// use, as the Internet Computer's replica does, so that browser dapps can
// talk to the node; preflight requests get 204.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Content-Type, Accept, Authorization, User-Agent")
		h.Set("Access-Control-Max-Age", "7200")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// httpError is an error answer: an HTTP status and a plain-text message.
type httpError struct {
	status  int
	message string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.status, e.message) }

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, message: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *httpError) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.status)
	io.WriteString(w, e.message)
}

func writeCBOR(w http.ResponseWriter, status int, v any) {
	b, err := marshalTagged(v)
	if err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "Internal error: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(status)
	w.Write(b)
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	health := "healthy"
	if !s.cfg.Backend.Healthy() {
		health = "waiting_for_certified_state"
	}
	writeCBOR(w, http.StatusOK, &StatusResponse{
		ICAPIVersion:        ICAPIVersion,
		ImplVersion:         s.cfg.ImplVersion,
		RootKey:             s.cfg.Backend.RootKey(),
		ReplicaHealthStatus: health,
	})
}

// request is a parsed, authenticated request.
type request struct {
	env     *ingress.HTTPEnvelope
	id      [32]byte
	targets ingress.Targets
	urlID   principal.Principal // the effective canister id or subnet id of the URL
}

// readRequest does what every POST endpoint does first: health, content
// type, body size, envelope decoding, request type, URL id, sender
// authentication and expiry. what names the message kind in errors
// ("call", "query", "read state").
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request, requestType, what string, subnetURL bool) (*request, *httpError) {
	if !s.cfg.Backend.Healthy() {
		return nil, errorf(http.StatusServiceUnavailable, "Replica is unhealthy: waiting for certified state. Check the /api/v2/status for more information.")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/cbor" {
		return nil, errorf(http.StatusBadRequest, "Unexpected content-type, expected application/cbor.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxRequestSize))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "Request body is too large: the limit is %d bytes.", s.cfg.MaxRequestSize)
		}
		return nil, errorf(http.StatusBadRequest, "Could not read the request body: %v", err)
	}
	env, err := ingress.ParseHTTPEnvelope(body)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "Could not parse body as %s message: %v", what, err)
	}
	if env.Content.RequestType != requestType {
		return nil, errorf(http.StatusBadRequest, "Could not parse body as %s message: request_type %q, expected %q", what, env.Content.RequestType, requestType)
	}
	idText := r.PathValue("id")
	urlID, err := principal.Parse(idText)
	if err != nil {
		kind := "effective canister id"
		if subnetURL {
			kind = "subnet id"
		}
		return nil, errorf(http.StatusBadRequest, "Could not parse the %s %q in the URL: %v", kind, idText, err)
	}
	// The expiry first: it is cheap, and an expired request is refused
	// without verifying signatures. The specification lets anonymous
	// queries and read_state requests carry any expiry; this server holds
	// every request to the window.
	now := s.cfg.Now()
	if err := ingress.CheckIngressExpiry(env.Content.IngressExpiry, now); err != nil {
		return nil, errorf(http.StatusBadRequest, "Invalid request expiry: %v", err)
	}
	id, targets, err := env.Authenticate(now)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "Failed to authenticate request 0x%x due to: %v", id, err)
	}
	return &request{env: env, id: id, targets: targets, urlID: urlID}, nil
}
