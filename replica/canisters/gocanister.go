package canisters

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/subnet"
)

// GoCanister is a canister implemented in Go and hosted by the component
// at a fixed id (HostGo). It must be deterministic: its answers and state
// may depend only on its state and the arguments. Ingress messages and
// calls of other canisters reach it exactly as they reach a Wasm
// canister; the component records statuses, rejects and certified leaves
// alike.
type GoCanister interface {
	// Update executes a replicated call: the Candid argument arg of
	// caller at time nowNS (the round's block time). It returns the
	// Candid reply, or an error: a *GoReject carries its reject code;
	// any other error is a canister error (code 5). A call that fails
	// must leave the state unchanged.
	Update(method string, arg []byte, caller principal.Principal, nowNS uint64) ([]byte, error)
	// Query executes a query on the current state; it must not change it.
	Query(method string, arg []byte, caller principal.Principal, nowNS uint64) ([]byte, error)
	// Marshal encodes the whole state.
	Marshal() ([]byte, error)
	// Unmarshal replaces the state with an encoding Marshal made; nil
	// resets it to the initial state.
	Unmarshal(state []byte) error
	// StateHash is the digest of the state: two canisters with equal
	// hashes have equal encodings.
	StateHash() [32]byte
	// CertifiedData is the canister's certified data (at most 32 bytes).
	CertifiedData() []byte
}

// GoTicker is implemented by Go canisters that run once per round, after
// the round's ingress messages, at the round's block time.
type GoTicker interface {
	Tick(nowNS uint64)
}

// GoSignRequest is a threshold signing call of a Go canister: the
// canister's id is the caller for key derivation, as for a Wasm
// canister's sign_with_ecdsa.
type GoSignRequest struct {
	// Seq identifies the request within the canister.
	Seq     uint64
	KeyID   string // "ecdsa:secp256k1:<name>", as the management canister names keys
	Path    [][]byte
	Message []byte
}

// GoSigner is implemented by Go canisters that sign with the subnet's
// threshold keys. The component collects their requests after every
// execution and hands them to the node's signing pipeline with the
// canister's requests (TakeSignRequests); the combined signature comes
// back through DeliverSignature.
type GoSigner interface {
	TakeSignRequests() []GoSignRequest
	DeliverSignature(seq uint64, sig []byte, err error)
}

// GoLog is implemented by Go canisters whose state is a header and an
// append-only log (a ledger's configuration and blocks): the component
// then writes the header when it changes and each new entry under a key
// of its own, instead of the whole state, and loads the canister with
// UnmarshalLog. Marshal still gives the whole state (snapshots).
type GoLog interface {
	// LogHeader is the state without the log.
	LogHeader() []byte
	// LogLen is the number of log entries.
	LogLen() uint64
	// LogEntry returns entry i (i < LogLen).
	LogEntry(i uint64) []byte
	// UnmarshalLog replaces the state with the header and entries.
	UnmarshalLog(header []byte, entries [][]byte) error
}

// GoReject is a Go canister's reject with its IC reject code.
type GoReject struct {
	Code    int
	Message string
}

func (r *GoReject) Error() string { return fmt.Sprintf("reject %d: %s", r.Code, r.Message) }

// goEntry is a hosted Go canister and what persistence remembers of it.
type goEntry struct {
	id   principal.Principal
	can  GoCanister
	hash [32]byte // state hash as last written
	// logLen and header are the GoLog entries and header as last
	// written.
	logLen uint64
	header []byte
}

// prefixGo holds the Go canisters' states: cn/go/<len><id>.
const prefixGo = "cn/go/"

func goKey(id []byte) []byte {
	return append(append([]byte(prefixGo), byte(len(id))), id...)
}

// goSignPrefix starts the signing request ids of Go canisters; it extends
// the canisters' prefix, so IsSignRequestID holds for them too.
const goSignPrefix = "chainkey-canister-sign/go/"

func goSignID(id principal.Principal, seq uint64) []byte {
	b := append([]byte(goSignPrefix), byte(len(id.Bytes())))
	b = append(b, id.Bytes()...)
	return binary.BigEndian.AppendUint64(b, seq)
}

// HostGo hosts a Go canister at id. Call it before Load (Load reads its
// persisted state). The id must not be one the component gives to Wasm
// canisters (keep it out of [FirstIndex, LastIndex]).
func (c *Component) HostGo(id principal.Principal, can GoCanister) error {
	k := string(id.Bytes())
	if c.gocans == nil {
		c.gocans = map[string]*goEntry{}
	}
	if _, ok := c.gocans[k]; ok {
		return fmt.Errorf("canisters: Go canister %s hosted twice", id)
	}
	if _, ok := c.cans[k]; ok {
		return fmt.Errorf("canisters: Go canister %s: a Wasm canister has this id", id)
	}
	if idx, ok := id.CanisterIndex(); ok && idx >= c.cfg.FirstIndex && idx <= c.cfg.LastIndex {
		return fmt.Errorf("canisters: Go canister %s is inside the Wasm canister range", id)
	}
	c.gocans[k] = &goEntry{id: id, can: can, hash: can.StateHash()}
	c.hashValid = false
	return nil
}

// GoIDs returns the ids of the hosted Go canisters in order.
func (c *Component) GoIDs() []principal.Principal {
	out := make([]principal.Principal, 0, len(c.gocans))
	for _, k := range c.goKeys() {
		out = append(out, c.gocans[k].id)
	}
	return out
}

func (c *Component) goKeys() []string {
	keys := make([]string, 0, len(c.gocans))
	for k := range c.gocans {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// goReject maps a Go canister's error to a reject code and message.
func goReject(err error) (int, string) {
	var r *GoReject
	if errors.As(err, &r) {
		return r.Code, r.Message
	}
	return execution.RejectCanisterError, err.Error()
}

// goRun runs a Go canister's method; a panic becomes a canister error
// (code 5), as a trap does in a Wasm canister. Unlike a trap it is not
// rolled back: what the method changed before it panicked stays, the same
// on every node.
func goRun(e *goEntry, f func() ([]byte, error)) (reply []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			reply, err = nil, &GoReject{Code: execution.RejectCanisterError, Message: fmt.Sprintf("canister %s panicked: %v", e.id, r)}
		}
	}()
	return f()
}

// goIngress executes an ingress message to a Go canister; it reports
// false if the message's canister is not one.
func (c *Component) goIngress(key string, m *Message, sender principal.Principal) bool {
	e, ok := c.gocans[string(m.Canister)]
	if !ok {
		return false
	}
	reply, err := goRun(e, func() ([]byte, error) { return e.can.Update(m.Method, m.Arg, sender, c.round.TimeNS) })
	c.goAfter(e)
	if err != nil {
		code, msg := goReject(err)
		c.finish(key, nil, code, msg)
		return true
	}
	c.finish(key, reply, 0, "")
	return true
}

// goCall executes a call of another canister on a Go canister; it
// reports false if the callee is not one.
func (c *Component) goCall(o *outCall) bool {
	e, ok := c.gocans[string(o.Callee)]
	if !ok {
		return false
	}
	var used uint64
	reply, err := goRun(e, func() ([]byte, error) {
		if p, ok := e.can.(GoPayable); ok {
			r, u, err := p.UpdatePaid(o.Method, o.Arg, mustPrincipal(o.From), c.round.TimeNS, o.Cycles)
			used = min(u, o.Cycles)
			return r, err
		}
		return e.can.Update(o.Method, o.Arg, mustPrincipal(o.From), c.round.TimeNS)
	})
	c.goAfter(e)
	resp := &response{Reply: nonNil(reply), Refund: o.Cycles - used}
	if err != nil {
		code, msg := goReject(err)
		resp = &response{Code: uint64(code), Message: msg, Refund: o.Cycles}
	}
	c.g.Queue = append(c.g.Queue, task{Call: o.ID, Resp: resp})
	c.gdirty = true
	return true
}

// goQuery runs a query on a Go canister (nil if id is not one).
func (c *Component) goQuery(id principal.Principal, msg execution.Message) *execution.Result {
	e, ok := c.gocans[string(id.Bytes())]
	if !ok {
		return nil
	}
	now := msg.Time
	if now == 0 {
		now = c.round.TimeNS
	}
	reply, err := goRun(e, func() ([]byte, error) { return e.can.Query(msg.Method, msg.Arg, msg.Caller, now) })
	if err != nil {
		code, m := goReject(err)
		return &execution.Result{RejectCode: code, RejectMessage: m}
	}
	return &execution.Result{Replied: true, Reply: nonNil(reply)}
}

// goAfter collects a Go canister's signing requests after an execution.
func (c *Component) goAfter(e *goEntry) {
	s, ok := e.can.(GoSigner)
	if !ok {
		return
	}
	for _, r := range s.TakeSignRequests() {
		c.signOut = append(c.signOut, SignRequest{ID: goSignID(e.id, r.Seq), KeyID: r.KeyID, Caller: e.id,
			Path: r.Path, Message: r.Message})
	}
}

// goTick runs the Go canisters' ticks in id order.
func (c *Component) goTick() {
	for _, k := range c.goKeys() {
		e := c.gocans[k]
		if t, ok := e.can.(GoTicker); ok {
			_, _ = goRun(e, func() ([]byte, error) { t.Tick(c.round.TimeNS); return nil, nil })
			c.goAfter(e)
		}
	}
}

// goSignature delivers a signing result to the Go canister whose request
// id is; it reports whether id was a Go canister's.
func (c *Component) goSignature(id, sig []byte, err error) bool {
	if !bytes.HasPrefix(id, []byte(goSignPrefix)) {
		return false
	}
	r := id[len(goSignPrefix):]
	if len(r) < 1 || len(r) != 1+int(r[0])+8 {
		return false
	}
	e, ok := c.gocans[string(r[1:1+int(r[0])])]
	if !ok {
		return false
	}
	s, ok := e.can.(GoSigner)
	if !ok {
		return false
	}
	seq := binary.BigEndian.Uint64(r[1+int(r[0]):])
	_, _ = goRun(e, func() ([]byte, error) { s.DeliverSignature(seq, sig, err); return nil, nil })
	c.goAfter(e)
	return true
}

// goPersist writes the state of every Go canister whose state hash
// changed since it was last written (the whole state).
func (c *Component) goPersist(w subnet.Writer) error {
	for _, k := range c.goKeys() {
		e := c.gocans[k]
		h := e.can.StateHash()
		if h == e.hash {
			continue
		}
		if l, ok := e.can.(GoLog); ok {
			c.goWriteLog(w, e, l)
			e.hash = h
			c.hashValid = false
			continue
		}
		b, err := e.can.Marshal()
		if err != nil {
			return fmt.Errorf("canisters: Go canister %s: %w", e.id, err)
		}
		w.Set(goKey([]byte(k)), b)
		e.hash = h
		c.hashValid = false
	}
	return nil
}

// Keys of a GoLog canister: cn/go/<len><id>/h (header) and
// cn/go/<len><id>/l/<8-byte entry index>.
func goHeaderKey(id []byte) []byte { return append(goKey(id), "/h"...) }
func goLogPrefix(id []byte) []byte { return append(goKey(id), "/l/"...) }
func goLogKey(id []byte, i uint64) []byte {
	return binary.BigEndian.AppendUint64(goLogPrefix(id), i)
}

// goWriteLog writes a GoLog canister's header if it changed and its new
// entries.
func (c *Component) goWriteLog(w subnet.Writer, e *goEntry, l GoLog) {
	id := e.id.Bytes()
	if h := l.LogHeader(); !bytes.Equal(h, e.header) {
		w.Set(goHeaderKey(id), h)
		e.header = bytes.Clone(h)
	}
	n := l.LogLen()
	for i := e.logLen; i < n; i++ {
		w.Set(goLogKey(id, i), l.LogEntry(i))
	}
	for i := n; i < e.logLen; i++ {
		w.Delete(goLogKey(id, i))
	}
	e.logLen = n
}

// goWriteAll writes every Go canister's state (snapshots).
func (c *Component) goWriteAll(w subnet.Writer) {
	for _, k := range c.goKeys() {
		e := c.gocans[k]
		if l, ok := e.can.(GoLog); ok {
			w.Set(goHeaderKey([]byte(k)), l.LogHeader())
			for i := range l.LogLen() {
				w.Set(goLogKey([]byte(k), i), l.LogEntry(i))
			}
			continue
		}
		if b, err := e.can.Marshal(); err == nil {
			w.Set(goKey([]byte(k)), b)
		}
	}
}

// goLoad restores the Go canisters' states from st (the initial state for
// a canister with none stored).
func (c *Component) goLoad(st subnet.Storage) error {
	for _, k := range c.goKeys() {
		e := c.gocans[k]
		if l, ok := e.can.(GoLog); ok {
			if err := c.goLoadLog(st, e, l); err != nil {
				return err
			}
			continue
		}
		raw, ok, err := st.Get(goKey([]byte(k)))
		if err != nil {
			return fmt.Errorf("canisters: load Go canister %s: %w", e.id, err)
		}
		if !ok {
			raw = nil
		}
		if err := e.can.Unmarshal(raw); err != nil {
			return fmt.Errorf("canisters: load Go canister %s: %w", e.id, err)
		}
		e.hash = e.can.StateHash()
	}
	c.hashValid = false
	return nil
}

// goHash is the Go canisters' part of the state hash.
func (c *Component) goHash() []byte {
	if len(c.gocans) == 0 {
		return nil
	}
	h := sha256.New()
	for _, k := range c.goKeys() {
		h.Write([]byte{byte(len(k))})
		h.Write([]byte(k))
		sh := c.gocans[k].can.StateHash()
		h.Write(sh[:])
	}
	return h.Sum(nil)
}

// goLeaves are the Go canisters' /canister/<id>/certified_data and
// controllers (none) leaves. They have no module_hash.
func (c *Component) goLeaves() []certification.PathValue {
	var out []certification.PathValue
	for _, k := range c.goKeys() {
		e := c.gocans[k]
		id := e.id.Bytes()
		out = append(out,
			certification.PathValue{Path: [][]byte{[]byte("canister"), id, []byte("certified_data")}, Value: nonNil(e.can.CertifiedData())},
			certification.PathValue{Path: [][]byte{[]byte("canister"), id, []byte("controllers")}, Value: controllersCBOR(nil)})
	}
	return out
}

// goLoadLog loads a GoLog canister: its header and entries in order.
func (c *Component) goLoadLog(st subnet.Storage, e *goEntry, l GoLog) error {
	id := e.id.Bytes()
	h, ok, err := st.Get(goHeaderKey(id))
	if err != nil {
		return fmt.Errorf("canisters: load Go canister %s: %w", e.id, err)
	}
	if !ok {
		if err := e.can.Unmarshal(nil); err != nil {
			return fmt.Errorf("canisters: load Go canister %s: %w", e.id, err)
		}
		e.hash, e.logLen, e.header = e.can.StateHash(), 0, nil
		return nil
	}
	var (
		entries [][]byte
		bad     error
	)
	prefix := goLogPrefix(id)
	err = st.Scan(prefix, func(k, v []byte) bool {
		if len(k) != len(prefix)+8 || binary.BigEndian.Uint64(k[len(prefix):]) != uint64(len(entries)) {
			bad = fmt.Errorf("log entry key %x out of order", k)
			return false
		}
		entries = append(entries, bytes.Clone(v))
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return fmt.Errorf("canisters: load Go canister %s: %w", e.id, err)
	}
	if err := l.UnmarshalLog(h, entries); err != nil {
		return fmt.Errorf("canisters: load Go canister %s: %w", e.id, err)
	}
	e.hash, e.logLen, e.header = e.can.StateHash(), uint64(len(entries)), bytes.Clone(h)
	return nil
}
