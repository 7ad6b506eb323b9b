package replica

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
)

// DefaultOutcallTimeout is how long a node waits for an outcall's
// response (connection, headers and body), as the IC's adapter does.
const DefaultOutcallTimeout = 30 * time.Second

// Defaults of a node's bounds on its outcall work: how many requests it
// performs at once, and the bytes it keeps for outcomes not yet settled
// (with the outcalls in flight counted at their max_response_bytes), 32
// responses of the IC's largest size.
const (
	DefaultOutcallMaxConcurrent = 32
	DefaultOutcallMaxKeptBytes  = 32 * (2_000_000 + outcallOverhead)
)

// outcallOverhead is what an outcome's encoding adds to the response
// (its reject message or the CBOR framing).
const outcallOverhead = 4 << 10

// outcallShell is the node's part of canister HTTPS outcalls: it performs
// the pending outcalls of the replicated state, runs their transforms on
// the canisters' current state and keeps the outcome and its signed hash
// for the node's vote extensions. It never blocks consensus: requests run
// in goroutines and ExtendVote reports only what is done.
type outcallShell struct {
	mu      sync.Mutex
	started map[string]bool
	done    map[string]*outcallDone
	key     ed25519.PrivateKey
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	client  *http.Client // https
	loop    *http.Client // plain http to loopback addresses
	// inflight counts the requests running; kept is the bytes counted
	// for started outcalls (cost: each one's share), reserved at
	// max_response_bytes while in flight and the outcome's size once
	// done, until the outcall is no longer pending.
	inflight int
	kept     uint64
	cost     map[string]uint64
}

// outcallDone is the node's outcome of one outcall.
type outcallDone struct {
	content []byte // subnet.EncodeOutcallResponse
	hash    [32]byte
	sig     []byte
}

// outcallLiar is implemented by test faults that report outcall hashes
// other than the node's.
type outcallLiar interface {
	outcallHash(h [32]byte) [32]byte
}

// init prepares the shell on first use: the node signing key and the
// HTTP clients.
func (o *outcallShell) init(a *app) error {
	if o.done != nil {
		return nil
	}
	raw, err := readSecretFile(a.cfg.secretPath(nodeSigningKeyFile))
	if err != nil {
		return err
	}
	if len(raw) != ed25519.SeedSize {
		return errors.New("replica: node signing key: bad length")
	}
	o.key = ed25519.NewKeyFromSeed(raw)
	clear(raw)
	o.initClients(a.cfg.OutcallsAllowHTTPLoopback)
	o.started, o.done, o.cost = map[string]bool{}, map[string]*outcallDone{}, map[string]uint64{}
	return nil
}

// initClients makes the shell's HTTP clients: neither follows redirects
// or uses a proxy, and both connect only to public addresses (checked on
// the address dialed, after name resolution) — or to loopback addresses
// when allowLoopback is set, the only ones the plain http client reaches.
func (o *outcallShell) initClients(allowLoopback bool) {
	o.ctx, o.cancel = context.WithCancel(context.Background())
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	tlsDialer := &net.Dialer{Timeout: 10 * time.Second, Control: dialGuard(allowLoopback, false)}
	o.client = &http.Client{CheckRedirect: noRedirect, Transport: &http.Transport{Proxy: nil, ForceAttemptHTTP2: true,
		DialContext: tlsDialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}}
	loopDialer := &net.Dialer{Timeout: 10 * time.Second, Control: dialGuard(true, true)}
	o.loop = &http.Client{CheckRedirect: noRedirect, Transport: &http.Transport{Proxy: nil,
		DialContext: loopDialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second}}
}

// errNotPublic refuses a connection to an address outcalls may not reach.
var errNotPublic = errors.New("not a public address")

// dialGuard checks the address a client is about to connect to: a
// loopback address only if loopback is allowed, nothing else if
// onlyLoopback; never a private, link-local, multicast or unspecified
// one (a canister must not reach the node's own network).
func dialGuard(loopback, onlyLoopback bool) func(network, address string, c syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return errNotPublic
		}
		ip := net.ParseIP(host)
		switch {
		case ip == nil:
			return errNotPublic
		case ip.IsLoopback():
			if loopback {
				return nil
			}
			return errNotPublic
		case onlyLoopback, ip.IsPrivate(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast(),
			ip.IsMulticast(), ip.IsUnspecified():
			return errNotPublic
		}
		return nil
	}
}

// stop cancels the outcalls in flight and waits for them.
func (o *outcallShell) stop() {
	// Cancelled under the lock that outcallShares starts requests
	// with, so that none starts once Wait runs.
	o.mu.Lock()
	if o.cancel != nil {
		o.cancel()
	}
	o.mu.Unlock()
	o.wg.Wait()
}

// outcallShares starts the pending outcalls of cs this node has not
// started, forgets those no longer pending, and returns the signed hashes
// of those it has an outcome for (ExtendVote).
func (a *app) outcallShares(cs *subnet.State) []subnet.OutcallShare {
	o := &a.out
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(cs.Outcalls) == 0 && o.done == nil {
		return nil
	}
	if err := o.init(a); err != nil {
		a.log.Error("outcalls", "err", err)
		return nil
	}
	pending := map[string]bool{}
	var out []subnet.OutcallShare
	for i := range cs.Outcalls {
		p := cs.Outcalls[i]
		id := string(p.ID)
		pending[id] = true
		nonRepl := p.Request != nil && p.Request.NonReplicated
		if me := a.me(); nonRepl && (me < 0 || subnet.OutcallNode(p.ID, a.committee().n()) != uint32(me)) {
			continue // another node performs it
		}
		if d := o.done[id]; d != nil {
			// A non-replicated outcome needs no agreement: this node
			// puts it in a block when it proposes.
			if !nonRepl && len(out) < subnet.MaxOutcallSharesPerExt {
				out = append(out, subnet.OutcallShare{ID: p.ID, Hash: d.hash[:], Sig: d.sig})
			}
			continue
		}
		if o.started[id] || o.ctx.Err() != nil {
			continue
		}
		// Within the node's bounds, or on a later vote: a node that has
		// not performed an outcall yet simply reports nothing for it.
		need := outcallReserve(p.Request)
		if o.inflight >= a.outcallMaxConcurrent() || o.kept > 0 && o.kept+need > a.outcallMaxKept() {
			continue
		}
		o.started[id] = true
		o.inflight++
		o.kept += need
		o.cost[id] = need
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			d := a.performOutcall(o.ctx, &p)
			o.mu.Lock()
			o.inflight--
			if o.started[id] {
				o.done[id] = d
				o.kept = o.kept - o.cost[id] + uint64(len(d.content))
				o.cost[id] = uint64(len(d.content))
			}
			o.mu.Unlock()
		}()
	}
	for id := range o.started {
		if !pending[id] {
			delete(o.started, id)
			delete(o.done, id)
			o.kept -= o.cost[id]
			delete(o.cost, id)
		}
	}
	return out
}

// performOutcall performs one outcall on this node: the request, the
// transform, and the signed hash of the outcome.
func (a *app) performOutcall(ctx context.Context, p *subnet.PendingOutcall) *outcallDone {
	r := p.Request
	resp, code, msg := a.fetchOutcall(ctx, r)
	var out subnet.OutcallResponse
	switch {
	case code != 0:
		out = subnet.OutcallResponse{Code: code, Message: msg}
	case r.TransformMethod == "":
		b, err := canisters.EncodeHTTPResult(resp)
		if err != nil {
			out = subnet.OutcallResponse{Code: subnet.OutcallSysFatal, Message: err.Error()}
		} else {
			out = subnet.OutcallResponse{Reply: b}
		}
	default:
		out = a.transformOutcall(p, resp)
	}
	content := subnet.EncodeOutcallResponse(&out)
	h := subnet.OutcallHash(content)
	if l, ok := a.cfg.lie.(outcallLiar); ok {
		h = l.outcallHash(h)
	}
	return &outcallDone{content: content, hash: h, sig: ed25519.Sign(a.out.key, subnet.OutcallSignBytes(a.chainID, p.ID, h[:]))}
}

// transformOutcall runs the caller's transform on a response against the
// canister's current state and checks what it returns.
func (a *app) transformOutcall(p *subnet.PendingOutcall, resp *canisters.HTTPResponse) subnet.OutcallResponse {
	r := p.Request
	caller, err := principal.FromBytes(r.Caller)
	if err != nil || a.cans == nil {
		return subnet.OutcallResponse{Code: subnet.OutcallSysFatal, Message: "Transform function: no calling canister"}
	}
	req := &canisters.HTTPRequest{ID: p.ID, Caller: caller, TransformMethod: r.TransformMethod, TransformContext: r.TransformContext}
	a.cans.mu.Lock()
	reply, code, msg := a.cans.c.TransformHTTP(req, resp)
	a.cans.mu.Unlock()
	if code != 0 {
		return subnet.OutcallResponse{Code: subnet.OutcallSysFatal, Message: fmt.Sprintf("Transform function failed: %s", msg)}
	}
	if err := canisters.CheckHTTPResult(reply); err != nil {
		return subnet.OutcallResponse{Code: subnet.OutcallSysFatal, Message: "Transform function did not return an http_request_result"}
	}
	if uint64(len(reply)) > r.MaxResponseBytes {
		return subnet.OutcallResponse{Code: subnet.OutcallSysFatal, Message: fmt.Sprintf("Transformed http response exceeds limit: %d", r.MaxResponseBytes)}
	}
	return subnet.OutcallResponse{Reply: reply}
}

// outcallReserve is what an outcall counts in the node's kept bytes
// while it is in flight: the largest outcome it can have.
func outcallReserve(r *subnet.OutcallRequest) uint64 {
	if r == nil {
		return outcallOverhead
	}
	return r.MaxResponseBytes + outcallOverhead
}

func (a *app) outcallMaxConcurrent() int {
	if a.cfg.OutcallMaxConcurrent > 0 {
		return a.cfg.OutcallMaxConcurrent
	}
	return DefaultOutcallMaxConcurrent
}

func (a *app) outcallMaxKept() uint64 {
	if a.cfg.OutcallMaxKeptBytes > 0 {
		return uint64(a.cfg.OutcallMaxKeptBytes)
	}
	return DefaultOutcallMaxKeptBytes
}

// outcallTimeout is the node's timeout of one request.
func (a *app) outcallTimeout() time.Duration {
	if a.cfg.OutcallTimeoutMS > 0 {
		return time.Duration(a.cfg.OutcallTimeoutMS) * time.Millisecond
	}
	return DefaultOutcallTimeout
}

// fetchOutcall performs the request: https only, or plain http to a
// loopback address when the node allows it; the response (headers and
// body together) within max_response_bytes and the node's timeout. Error
// messages hold nothing node-specific (ports, addresses), so that nodes
// that meet the same failure report the same outcome.
func (a *app) fetchOutcall(ctx context.Context, r *subnet.OutcallRequest) (*canisters.HTTPResponse, uint64, string) {
	fatal := func(format string, args ...any) (*canisters.HTTPResponse, uint64, string) {
		return nil, subnet.OutcallSysFatal, fmt.Sprintf(format, args...)
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return fatal("Failed to parse URL: %v", stableURLError(err))
	}
	client := a.out.client
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && a.cfg.OutcallsAllowHTTPLoopback && isLoopbackHost(u.Hostname()):
		client = a.out.loop
	default:
		return fatal("Url need to specify https scheme")
	}
	ctx, cancel := context.WithTimeout(ctx, a.outcallTimeout())
	defer cancel()
	var body io.Reader
	if len(r.Body) > 0 {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return fatal("Failed to build the request: %v", stableURLError(err))
	}
	for _, h := range r.Headers {
		req.Header.Add(h.Name, h.Value)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "ic/1.0")
	}
	res, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, subnet.OutcallSysTransient, "Timeout expired"
		}
		return nil, subnet.OutcallSysTransient, fmt.Sprintf("Connecting to %.50s failed: %s", u.Hostname(), connectError(err))
	}
	defer res.Body.Close()
	out := &canisters.HTTPResponse{Status: uint64(res.StatusCode)}
	names := make([]string, 0, len(res.Header))
	for k := range res.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	headerBytes := uint64(0)
	for _, k := range names {
		name := strings.ToLower(k)
		for _, v := range res.Header[k] {
			out.Headers = append(out.Headers, canisters.HTTPHeader{Name: name, Value: v})
			headerBytes += uint64(len(name) + len(v))
		}
	}
	if headerBytes > r.MaxResponseBytes {
		return fatal("Header size exceeds specified response size limit %d", r.MaxResponseBytes)
	}
	limit := r.MaxResponseBytes - headerBytes
	b, err := io.ReadAll(io.LimitReader(res.Body, int64(limit)+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, subnet.OutcallSysTransient, "Timeout expired"
		}
		return nil, subnet.OutcallSysTransient, "Failed to read the response body"
	}
	if uint64(len(b)) > limit {
		return fatal("Http body exceeds size limit of %d bytes.", r.MaxResponseBytes)
	}
	out.Body = b
	return out, 0, ""
}

// isLoopbackHost reports whether host is a loopback IP address or
// localhost.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// connectError names a connection failure without node-specific detail.
func connectError(err error) string {
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.As(err, &dns):
		return "dns error"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out"
	case strings.Contains(err.Error(), "certificate"):
		return "tls certificate error"
	case errors.Is(err, errNotPublic):
		return "not a public address"
	}
	return "connection error"
}

func stableURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// outcallVerify checks node's signature on an outcall share.
func (a *app) outcallVerify(node uint32, msg, sig []byte) bool {
	com := a.committee()
	if int(node) >= com.n() {
		return false
	}
	b := com.recs[node].NodeKey
	if len(b) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(b, msg, sig)
}

// combineOutcalls settles what the last height's vote extensions allow
// (PrepareProposal): an outcall whose response a quorum reported, when
// this node's own outcome is that response (the block carries it), or
// whose reports leave no response able to reach a quorum (a reject).
func (a *app) combineOutcalls(cs *subnet.State, votes []extVote) []*subnet.OutcallTx {
	if len(cs.Outcalls) == 0 {
		return nil
	}
	n := a.committee().n()
	q := subnet.OutcallQuorum(n)
	var out []*subnet.OutcallTx
	for i := range cs.Outcalls {
		p := &cs.Outcalls[i]
		if p.Request != nil && p.Request.NonReplicated {
			if t := a.nonReplicatedOutcall(p); t != nil {
				out = append(out, t)
			}
			continue
		}
		var vs []subnet.OutcallVote
		counts := map[string]int{}
		for _, v := range votes {
			for _, sh := range v.ext.OutcallShares {
				if !bytes.Equal(sh.ID, p.ID) {
					continue
				}
				if a.outcallVerify(uint32(v.index), subnet.OutcallSignBytes(a.chainID, p.ID, sh.Hash), sh.Sig) {
					vs = append(vs, subnet.OutcallVote{Node: uint32(v.index), Hash: sh.Hash, Sig: sh.Sig})
					counts[string(sh.Hash)]++
				}
				break
			}
		}
		slices.SortFunc(vs, func(x, y subnet.OutcallVote) int { return int(x.Node) - int(y.Node) })
		vs = slices.CompactFunc(vs, func(x, y subnet.OutcallVote) bool { return x.Node == y.Node })
		a.out.mu.Lock()
		own := a.out.done[string(p.ID)]
		a.out.mu.Unlock()
		if own != nil && counts[string(own.hash[:])] >= q {
			var agreed []subnet.OutcallVote
			for _, v := range vs {
				if bytes.Equal(v.Hash, own.hash[:]) {
					agreed = append(agreed, v)
				}
			}
			if subnet.OutcallHash(own.content) == own.hash {
				out = append(out, &subnet.OutcallTx{ID: p.ID, Response: own.content, Votes: agreed})
			}
			continue
		}
		possible := false
		for _, c := range counts {
			if c+n-len(vs) >= q {
				possible = true
			}
		}
		if len(vs) > 0 && !possible {
			out = append(out, &subnet.OutcallTx{ID: p.ID, Votes: vs})
		}
	}
	return out
}

// nonReplicatedOutcall settles a non-replicated outcall when this node
// is the one that performs it and has its outcome: the block carries the
// outcome with the node's signature on its hash, and no other node's
// report is needed. Another node proposes nothing for it.
func (a *app) nonReplicatedOutcall(p *subnet.PendingOutcall) *subnet.OutcallTx {
	me := a.me()
	node := subnet.OutcallNode(p.ID, a.committee().n())
	if me < 0 || node != uint32(me) {
		return nil
	}
	a.out.mu.Lock()
	own := a.out.done[string(p.ID)]
	a.out.mu.Unlock()
	if own == nil || subnet.OutcallHash(own.content) != own.hash {
		return nil
	}
	return &subnet.OutcallTx{ID: p.ID, Response: own.content, Votes: []subnet.OutcallVote{{Node: node, Hash: own.hash[:], Sig: own.sig}}}
}

// applyOutcall settles an outcall from a block and delivers its outcome
// to the canister (its callback runs in this block's round).
func (e *exec) applyOutcall(t *subnet.OutcallTx) (uint32, error) {
	p, resp, err := subnet.ApplyOutcall(e.cs, e.a.chainID, e.a.committee().n(), t, e.a.outcallVerify)
	if err != nil {
		return codeInvalid, err
	}
	if e.dry || e.a.cans == nil {
		return codeOK, nil
	}
	e.a.cans.mu.Lock()
	e.a.cans.c.DeliverHTTPResponse(p.ID, resp.Reply, resp.Code, resp.Message)
	e.a.cans.mu.Unlock()
	return codeOK, nil
}

// expireCanisterOutcalls, run with the canister lock held before the
// round, rejects the outcalls whose deadline passed; after the round,
// acceptCanisterOutcalls queues the round's new outcalls in the state.
func (e *exec) expireCanisterOutcalls(c *canisters.Component) {
	for _, p := range subnet.ExpireOutcalls(e.cs, e.now.UnixNano()) {
		c.DeliverHTTPResponse(p.ID, nil, subnet.OutcallSysTransient, "Canister http request timed out")
	}
}

func (e *exec) acceptCanisterOutcalls(reqs []canisters.HTTPRequest) {
	for _, r := range reqs {
		or := &subnet.OutcallRequest{Caller: r.Caller.Bytes(), URL: r.URL, Method: r.Method, Body: r.Body, MaxResponseBytes: r.MaxResponseBytes,
			TransformMethod: r.TransformMethod, TransformContext: r.TransformContext, Headers: []subnet.OutcallHeader{},
			NonReplicated: r.NonReplicated}
		for _, h := range r.Headers {
			or.Headers = append(or.Headers, subnet.OutcallHeader{Name: h.Name, Value: h.Value})
		}
		if err := subnet.AcceptOutcall(e.cs, r.ID, e.now.UnixNano(), or); err != nil {
			e.a.log.Error("canister outcall", "err", err)
		}
	}
}
