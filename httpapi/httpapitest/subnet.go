package httpapitest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/thresholdsig"
)

// Canister is a canister written in Go. Replicated is true for update
// calls and false for queries.
type Canister interface {
	Call(method string, arg []byte, caller principal.Principal, replicated bool) ([]byte, *httpapi.Reject)
}

// Subnet is the backend. Create it with New.
type Subnet struct {
	now      func() time.Time
	share    *thresholdsig.SecretKeyShare
	rootDER  []byte
	subnetID principal.Principal
	ranges   []certification.CanisterRange
	nodeKeys []ed25519.PublicKey
	// controllers are the controllers every canister here has.
	controllers []principal.Principal

	mu        sync.Mutex
	canisters map[principal.Principal]Canister
	table     *ingress.StatusTable
	pending   [][32]byte
	calls     map[[32]byte]*httpapi.Call
	manual    bool
	tree      certification.HashTree
	sig       []byte
	updated   chan struct{}
	submits   int
	healthy   bool
}

// New returns a subnet whose node keys are nodeKeys (their ids become the
// nodes of /subnet/<sid>/node), with canister ranges [low, high], whose
// clock is now (nil: time.Now). Its BLS key is drawn from rng (nil:
// crypto/rand).
func New(rng io.Reader, now func() time.Time, low, high principal.Principal, nodeKeys ...ed25519.PublicKey) (*Subnet, error) {
	if rng == nil {
		rng = rand.Reader
	}
	if now == nil {
		now = time.Now
	}
	pc, shares, err := thresholdsig.Deal(1, 1, rng)
	if err != nil {
		return nil, fmt.Errorf("httpapitest: %w", err)
	}
	der := pc.PublicKey().DER()
	s := &Subnet{
		now:       now,
		share:     shares[0],
		rootDER:   der,
		subnetID:  principal.SelfAuthenticating(der),
		ranges:    []certification.CanisterRange{{Low: low, High: high}},
		nodeKeys:  nodeKeys,
		canisters: map[principal.Principal]Canister{},
		table:     ingress.NewStatusTable(),
		calls:     map[[32]byte]*httpapi.Call{},
		updated:   make(chan struct{}),
		healthy:   true,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.certify(); err != nil {
		return nil, err
	}
	return s, nil
}

// Install puts canister c at id.
func (s *Subnet) Install(id principal.Principal, c Canister) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.canisters[id] = c
	return s.certify()
}

// SetControllers sets the controllers every canister of the subnet has
// (in /canister/<id>/controllers) and certifies.
func (s *Subnet) SetControllers(ps ...principal.Principal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.controllers = append([]principal.Principal(nil), ps...)
	return s.certify()
}

// SetManual makes update calls wait in the received state until Step (true)
// or run as soon as they are submitted (false, the default).
func (s *Subnet) SetManual(manual bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manual = manual
}

// SetHealthy sets what Healthy reports.
func (s *Subnet) SetHealthy(h bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.healthy = h
}

// Submits returns how many calls Submit has accepted.
func (s *Subnet) Submits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.submits
}

// Step executes the calls waiting since the last step and certifies.
func (s *Subnet) Step() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.execute()
	return s.certify()
}

// Prune applies the passage of time to the request statuses and certifies.
func (s *Subnet) Prune() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.certify()
}

func (s *Subnet) nowNanos() uint64 { return uint64(max(s.now().UnixNano(), 0)) }

// execute runs the pending calls; s.mu is held.
func (s *Subnet) execute() {
	for _, id := range s.pending {
		call := s.calls[id]
		delete(s.calls, id)
		if err := s.table.Processing(id, s.nowNanos()); err != nil {
			continue // expired or pruned meanwhile
		}
		c := &call.Content
		can, ok := s.canisters[c.CanisterID]
		var reply []byte
		var rej *httpapi.Reject
		if !ok {
			rej = &httpapi.Reject{Code: httpapi.RejectDestinationInvalid, Message: fmt.Sprintf("Canister %s not found", c.CanisterID), ErrorCode: "IC0301"}
		} else {
			reply, rej = can.Call(c.MethodName, c.Arg, c.Sender, true)
		}
		if rej != nil {
			s.table.Reject(id, rej.Code, rej.Message, rej.ErrorCode, s.nowNanos())
		} else {
			s.table.Reply(id, reply, s.nowNanos())
		}
	}
	s.pending = nil
}

// certify prunes, rebuilds the state tree, signs it and wakes waiters;
// s.mu is held.
func (s *Subnet) certify() error {
	now := s.nowNanos()
	s.table.Prune(now)
	entries := []certification.PathValue{{Path: certification.Path("time"), Value: certification.AppendLEB128(nil, now)}}
	entries = append(entries, httpapi.SubnetLeaves(s.subnetID, s.rootDER, s.ranges, s.nodeKeys)...)
	for id := range s.canisters {
		h := sha256.Sum256(append([]byte("module of "), id.Bytes()...))
		entries = append(entries, httpapi.CanisterLeaves(id, h[:], s.controllers)...)
	}
	entries = append(entries, s.table.Leaves()...)
	tree, err := certification.BuildTree(entries)
	if err != nil {
		return fmt.Errorf("httpapitest: %w", err)
	}
	cert, err := certification.Certify(tree, func(msg []byte) ([]byte, error) { return thresholdsig.SignShare(s.share, msg) })
	if err != nil {
		return fmt.Errorf("httpapitest: %w", err)
	}
	s.tree, s.sig = tree, cert.Signature
	close(s.updated)
	s.updated = make(chan struct{})
	return nil
}

// RootKey implements httpapi.Backend.
func (s *Subnet) RootKey() []byte { return s.rootDER }

// SubnetID implements httpapi.Backend.
func (s *Subnet) SubnetID() principal.Principal { return s.subnetID }

// CanisterRanges implements httpapi.Backend.
func (s *Subnet) CanisterRanges() []certification.CanisterRange { return s.ranges }

// Healthy implements httpapi.Backend.
func (s *Subnet) Healthy() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.healthy
}

// Submit implements httpapi.Backend.
func (s *Subnet) Submit(_ context.Context, call *httpapi.Call) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &call.Content
	if c.CanisterID == principal.Management() {
		return &httpapi.Reject{Code: httpapi.RejectDestinationInvalid, Message: "the management canister is not available on this test subnet", ErrorCode: "IC0302"}
	}
	if err := s.table.Receive(call.RequestID, c, call.EffectiveCanister); err != nil {
		return err
	}
	s.submits++
	cc := *call
	s.calls[call.RequestID] = &cc
	s.pending = append(s.pending, call.RequestID)
	if !s.manual {
		s.execute()
	}
	return s.certify()
}

// Query implements httpapi.Backend.
func (s *Subnet) Query(_ context.Context, call *httpapi.Call) ([]byte, *httpapi.Reject) {
	s.mu.Lock()
	can, ok := s.canisters[call.Content.CanisterID]
	s.mu.Unlock()
	if !ok {
		return nil, &httpapi.Reject{Code: httpapi.RejectDestinationInvalid, Message: fmt.Sprintf("Canister %s not found", call.Content.CanisterID), ErrorCode: "IC0301"}
	}
	return can.Call(call.Content.MethodName, call.Content.Arg, call.Content.Sender, false)
}

// RequestStatus implements httpapi.Backend.
func (s *Subnet) RequestStatus(id [32]byte) (ingress.CallStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.table.Get(id)
}

// ReadState implements httpapi.Backend.
func (s *Subnet) ReadState(paths [][][]byte) (*certification.Certificate, error) {
	s.mu.Lock()
	tree, sig := s.tree, s.sig
	s.mu.Unlock()
	w, err := certification.Witness(tree, paths)
	if err != nil {
		return nil, fmt.Errorf("httpapitest: read state: %w", err)
	}
	return &certification.Certificate{Tree: w, Signature: sig}, nil
}

// Certified implements httpapi.Backend.
func (s *Subnet) Certified() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updated
}

// MetadataReadable implements httpapi.Backend: this subnet's canisters have
// one private section, "secret", readable by nobody.
func (s *Subnet) MetadataReadable(_ principal.Principal, name string, _ principal.Principal) bool {
	return name != "secret"
}

var _ httpapi.Backend = (*Subnet)(nil)
