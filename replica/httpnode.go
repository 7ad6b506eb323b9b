package replica

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/httpapi"
	"github.com/chainkey/chainkey/ingress"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
)

// HTTPInterface returns the node's IC HTTP interface (package httpapi):
// calls go to the subnet's canisters through the mempool, queries run on
// the node's state, and certificates come from the node's certified
// tree. Query responses are signed with the node's Ed25519 signing key,
// whose self-authenticating principal is the node's IC node id.
func (n *Node) HTTPInterface() (*httpapi.Server, error) {
	raw, err := readSecretFile(n.cfg.secretPath(nodeSigningKeyFile))
	if err != nil {
		return nil, err
	}
	if len(raw) != ed25519.SeedSize {
		return nil, errors.New("replica: node signing key: bad length")
	}
	key := ed25519.NewKeyFromSeed(raw)
	clear(raw)
	return httpapi.New(httpapi.Config{Backend: httpBackend{n}, NodeKey: key, ImplVersion: "chainkey"})
}

// NodeIDs returns the IC node ids of the subnet's members in index order:
// the self-authenticating principals of their node signing keys.
func (n *Node) NodeIDs() []principal.Principal {
	keys := n.app.nodeKeys()
	out := make([]principal.Principal, len(keys))
	for i, k := range keys {
		out[i] = principal.SelfAuthenticating(ed25519DER(k))
	}
	return out
}

func ed25519DER(k ed25519.PublicKey) []byte {
	return append([]byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, k...)
}

// nodeKeys returns the members' node signing keys from the genesis.
func (a *app) nodeKeys() []ed25519.PublicKey {
	var out []ed25519.PublicKey
	for _, m := range a.gen.Members {
		b, err := hex.DecodeString(m.NodeKey)
		if err != nil || len(b) != ed25519.PublicKeySize {
			continue
		}
		out = append(out, ed25519.PublicKey(b))
	}
	return out
}

// canisterRanges is the subnet's canister range.
func canisterRanges() []certification.CanisterRange {
	return []certification.CanisterRange{{Low: canisters.CanisterID(0), High: canisters.CanisterID(canisterRangeSize - 1)}}
}

// subnetLeaves are the state tree leaves IC agents read about the subnet
// (canister ranges and node keys) beside /subnet/<sid>/public_key, which
// the tree has already. They are agreed: they come from the genesis and
// the subnet's keys.
func (a *app) subnetLeaves(k *blsKeys) []certification.PathValue {
	if len(k.rootKey) == 0 {
		return nil
	}
	var out []certification.PathValue
	for _, l := range httpapi.SubnetLeaves(k.subnetID, k.rootKey, a.canisterRanges(), a.nodeKeys()) {
		if len(l.Path) == 3 && string(l.Path[0]) == "subnet" && string(l.Path[2]) == "public_key" {
			continue
		}
		out = append(out, l)
	}
	return out
}

// httpBackend is the node as httpapi.Backend.
type httpBackend struct{ n *Node }

func (b httpBackend) RootKey() []byte               { return b.n.RootKeyDER() }
func (b httpBackend) SubnetID() principal.Principal { return b.n.SubnetID() }
func (b httpBackend) CanisterRanges() []certification.CanisterRange {
	return b.n.app.canisterRanges()
}
func (b httpBackend) Healthy() bool { return b.n.Ready() && len(b.n.RootKeyDER()) > 0 }

func (b httpBackend) Certified() <-chan struct{} {
	_, ch := b.n.app.committed()
	return ch
}

// MetadataReadable answers from the canisters component: private custom
// sections are readable only by the canister's controllers.
func (b httpBackend) MetadataReadable(canister principal.Principal, name string, sender principal.Principal) bool {
	a := b.n.app
	if a.cans == nil {
		return true
	}
	a.cans.mu.Lock()
	defer a.cans.mu.Unlock()
	return a.cans.c.MetadataReadable(canister, name, sender)
}

// Submit puts the call into the mempool as a canister message carrying the
// envelope's sender key, signature and delegations, which every node
// verifies again.
func (b httpBackend) Submit(ctx context.Context, call *httpapi.Call) error {
	env := call.Envelope
	if env == nil {
		return errors.New("replica: call without its envelope")
	}
	c := call.Content
	m := &canisters.Message{Kind: canisters.KindCall, Sender: c.Sender.Bytes(), Canister: c.CanisterID.Bytes(),
		Method: c.MethodName, Arg: c.Arg, Nonce: c.Nonce, Expiry: c.IngressExpiry,
		SenderPubKey: env.SenderPubKey, SenderSig: env.SenderSig, Delegations: canisters.DelegationsOf(env.Delegations)}
	if m.ID() != call.RequestID {
		return &httpapi.Reject{Code: httpapi.RejectCanisterError, ErrorCode: "IC0504",
			Message: "the request's content has a form this subnet cannot carry"}
	}
	raw, err := canisters.EncodeMessageTx(m)
	if err != nil {
		return &httpapi.Reject{Code: httpapi.RejectCanisterError, ErrorCode: "IC0504", Message: err.Error()}
	}
	rr, err := b.n.comet.Mempool().CheckTx(raw, "")
	if err != nil {
		if strings.Contains(err.Error(), "already exists in cache") {
			return fmt.Errorf("replica: submit: %w", ingress.ErrDuplicate)
		}
		return fmt.Errorf("replica: submit: %w", err)
	}
	rr.Wait()
	res := rr.Response.GetCheckTx()
	switch {
	case res == nil:
		return errors.New("replica: submit: no mempool response")
	case res.Code == codeOK:
		return nil
	case strings.Contains(res.Log, "duplicate"):
		return fmt.Errorf("replica: submit: %w", ingress.ErrDuplicate)
	}
	return &httpapi.Reject{Code: httpapi.RejectCanisterError, ErrorCode: "IC0504", Message: res.Log}
}

// Query runs a query on the node's canister state.
func (b httpBackend) Query(_ context.Context, call *httpapi.Call) ([]byte, *httpapi.Reject) {
	c := call.Content
	var r *execution.Result
	if a := b.n.app; c.CanisterID == principal.Management() && a.cans != nil {
		a.cans.mu.Lock()
		r = a.cans.c.QueryManagement(c.Sender, c.MethodName, c.Arg)
		a.cans.mu.Unlock()
	} else {
		r = b.n.CanisterQuery(c.CanisterID, c.Sender, c.MethodName, c.Arg)
	}
	if r.Replied {
		return r.Reply, nil
	}
	code := uint64(r.RejectCode)
	if code == 0 {
		code, r.RejectMessage = httpapi.RejectCanisterError, "canister did not reply"
	}
	return nil, &httpapi.Reject{Code: code, Message: r.RejectMessage, ErrorCode: errorCode(code, r.RejectMessage)}
}

// errorCode gives a reject the replica's error code.
func errorCode(code uint64, msg string) string { return canisters.ErrorCode(code, msg) }

// certified returns the latest certified tree and its signature.
func (a *app) certified() (certification.HashTree, []byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.cs.LastCertified
	t, sig := a.trees[h], a.certs[h]
	return t, sig, t != nil && sig != nil
}

// RequestStatus reads a call's status from the latest certified tree; the
// sender and receiver come from the node's record of the message.
func (b httpBackend) RequestStatus(id [32]byte) (ingress.CallStatus, bool) {
	rec := b.n.CanisterStatus(id[:])
	tree, _, ok := b.n.app.certified()
	if rec == nil || !ok {
		return ingress.CallStatus{}, false
	}
	look := func(name string) ([]byte, bool) {
		st, v := certification.Lookup(tree, [][]byte{[]byte("request_status"), id[:], []byte(name)})
		return v, st == certification.Found
	}
	status, ok := look("status")
	if !ok {
		return ingress.CallStatus{}, false
	}
	sender, err := principal.FromBytes(rec.Sender)
	if err != nil {
		return ingress.CallStatus{}, false
	}
	receiver, _ := principal.FromBytes(rec.Receiver)
	cs := ingress.CallStatus{Status: ingress.Status(status), Sender: sender, Receiver: receiver,
		EffectiveCanister: receiver, IngressExpiry: rec.Expiry}
	if v, ok := look("reply"); ok {
		cs.Reply = v
	}
	if v, ok := look("reject_code"); ok {
		cs.RejectCode, _ = certification.DecodeLEB128(v)
	}
	if v, ok := look("reject_message"); ok {
		cs.RejectMessage = string(v)
	}
	if v, ok := look("error_code"); ok {
		cs.ErrorCode = string(v)
	}
	return cs, true
}

// ReadState returns a certificate of the latest certified tree revealing
// paths and /time.
func (b httpBackend) ReadState(paths [][][]byte) (*certification.Certificate, error) {
	tree, sig, ok := b.n.app.certified()
	if !ok {
		return nil, errors.New("replica: no certified state yet")
	}
	all := append([][][]byte{{[]byte("time")}}, paths...)
	w, err := certification.Witness(tree, all)
	if err != nil {
		return nil, fmt.Errorf("replica: read state: %w", err)
	}
	return &certification.Certificate{Tree: w, Signature: sig}, nil
}
