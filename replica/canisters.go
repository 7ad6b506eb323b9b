package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/chainkey/chainkey/certification"
	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/execution/modcache"
	"github.com/chainkey/chainkey/principal"
	"github.com/chainkey/chainkey/replica/canisters"
	"github.com/chainkey/chainkey/replica/subnet"
)

// The subnet's canister range: canister ids with an index below
// canisterRangeSize.
const canisterRangeSize = 1 << 20

// canState is the node's canister component and the lock that serialises
// the consensus connection (FinalizeBlock), the mempool (CheckTx) and
// the Node API's reads.
type canState struct {
	mu  sync.Mutex
	c   *canisters.Component
	eng execution.Engine
	// modules is the compile cache in the node's directory (nil for a
	// node without one).
	modules *modcache.Cache
}

// canKeys gives the canister component the subnet's public keys.
type canKeys struct{ a *app }

func (k canKeys) HasKey(keyID string) bool { _, ok := k.a.engines[keyID]; return ok }

func (k canKeys) PublicKey(keyID string, caller principal.Principal, path [][]byte) ([]byte, []byte, error) {
	eng, ok := k.a.engines[keyID]
	if !ok {
		return nil, nil, fmt.Errorf("unknown key %s", keyID)
	}
	return eng.PublicKey(caller, path)
}

// initCanisters makes the canister component, registers it and loads the
// canisters committed at the node's height.
func (a *app) initCanisters() error {
	eng := execution.NewWasmtime(execution.EngineConfig{})
	mc, err := a.openModuleCache(eng)
	if err != nil {
		return err
	}
	subnetID, rootKey, err := a.committedSubnetKeys()
	if err != nil {
		return fmt.Errorf("replica: canisters: %w", err)
	}
	cfg := canisters.Config{
		Exec: execution.Config{Engine: eng, Subnet: subnetID, RootKey: rootKey, Fees: a.canisterFees(),
			SubnetNodes: uint32(len(a.members))},
		LastIndex: wasmLastIndex, Keys: canKeys{a},
	}
	if mc != nil {
		cfg.Modules = mc
	}
	c, err := canisters.New(cfg)
	if err != nil {
		return fmt.Errorf("replica: canisters: %w", err)
	}
	if err := a.hostCkBTC(c); err != nil {
		return fmt.Errorf("replica: canisters: %w", err)
	}
	if err := a.hostBitcoinCanister(c); err != nil {
		return fmt.Errorf("replica: canisters: %w", err)
	}
	if err := c.Load(a.st.committed()); err != nil {
		return fmt.Errorf("replica: canisters: %w", err)
	}
	a.cans = &canState{c: c, eng: eng, modules: mc}
	return a.components.Register(lockedCans{a.cans})
}

// lockedCans is the canister component as the registry sees it: every
// call holds the component's lock, as the mempool and the Node API do.
type lockedCans struct{ s *canState }

func (l lockedCans) ID() subnet.ComponentID { return canisters.ComponentID() }

func (l lockedCans) Check(tx []byte) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.Check(tx)
}

func (l lockedCans) Apply(tx []byte, w subnet.Writer) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.Apply(tx, w)
}

func (l lockedCans) Execute(msg []byte, w subnet.Writer) ([]byte, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.Execute(msg, w)
}

func (l lockedCans) Leaves() []certification.PathValue {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.Leaves()
}

func (l lockedCans) CanisterLeaves() []certification.PathValue {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.CanisterLeaves()
}

func (l lockedCans) RequestStatusTrie() (*certification.LabelTrie, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.RequestStatusTrie()
}

func (l lockedCans) StateHash() [32]byte {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.StateHash()
}

func (l lockedCans) Snapshot() []byte {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.Snapshot()
}

func (l lockedCans) Restore(snapshot []byte) error {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.c.Restore(snapshot)
}

// checkCanisterMsg admits a canister message to the mempool.
func (a *app) checkCanisterMsg(tx []byte) *abci.CheckTxResponse {
	m, err := canisters.DecodeMessageTxShape(tx)
	if err != nil {
		return &abci.CheckTxResponse{Code: codeInvalid, Log: err.Error()}
	}
	a.cans.mu.Lock()
	err = a.cans.c.Admit(m, uint64(time.Now().UnixNano()))
	a.cans.mu.Unlock()
	if err != nil {
		return &abci.CheckTxResponse{Code: codeInvalid, Log: err.Error()}
	}
	return &abci.CheckTxResponse{Code: codeOK}
}

// proposeCanisterBatch collects the mempool's canister messages that are
// valid at the block time into the block's canister transaction of at
// most limit bytes (nil if none).
func (a *app) proposeCanisterBatch(txs [][]byte, now time.Time, limit int64) []byte {
	var msgs []*canisters.Message
	seen := map[[32]byte]bool{}
	size := int64(16)
	a.cans.mu.Lock()
	defer a.cans.mu.Unlock()
	for _, raw := range txs {
		if !canisters.IsMessageTx(raw) || len(msgs) >= canisters.MaxBatchMessages {
			continue
		}
		m, err := canisters.DecodeMessageTxShape(raw)
		if err != nil || a.cans.c.Admit(m, uint64(now.UnixNano())) != nil || seen[m.ID()] {
			continue
		}
		if size+int64(len(raw)) > limit {
			break
		}
		seen[m.ID()] = true
		msgs = append(msgs, m)
		size += int64(len(raw))
	}
	if len(msgs) == 0 {
		return nil
	}
	b, err := canisters.EncodeBatch(msgs)
	if err != nil {
		return nil
	}
	return b
}

// canisterRound runs the block's canister round and hands the signing
// requests the canisters made to the signing pipeline.
func (e *exec) canisterRound(height uint64) error {
	s := e.a.cans
	if s == nil || e.dry {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in := canisters.RoundInput{Height: height, TimeNS: uint64(e.now.UnixNano()), Beacon: e.cs.Beacon, BeaconRound: e.cs.BeaconRound}
	// The subnet id and root key as of this block's state: on a DKG
	// subnet they exist once its key generation is done.
	keys := e.a.keys(e.cs)
	in.Subnet, in.RootKey = keys.subnetID, keys.rootKey
	in.VetKDKeys = e.canisterVetKDKeys()
	in.SubnetNodes = uint32(e.a.committee().n())
	e.expireCanisterOutcalls(s.c)
	if err := s.c.Round(in, e); err != nil {
		return err
	}
	for _, r := range s.c.TakeSignRequests() {
		cs := &subnet.CanisterSign{Caller: r.Caller.Bytes(), Path: r.Path, Message: r.Message, Taproot: r.Taproot, HasTaproot: r.Taproot != nil}
		subnet.AcceptCanisterRequest(e.cs, r.ID, r.KeyID, cs)
	}
	e.acceptCanisterVetKD(s.c.TakeVetKDRequests())
	e.acceptCanisterOutcalls(s.c.TakeHTTPRequests())
	e.a.ckbtcBroadcast()
	e.a.bitcoinBroadcast()
	return nil
}

// canisterSignature delivers the combined signature of a canister's
// request to the component (its callback runs in this block's round).
func (e *exec) canisterSignature(p *subnet.PendingRequest, sig []byte) {
	if e.dry || p == nil || p.Canister == nil || e.a.cans == nil {
		return
	}
	e.a.cans.mu.Lock()
	e.a.cans.c.DeliverSignature(p.ID, sig)
	e.a.cans.mu.Unlock()
}

// CanisterMessage submits a canister message (an update call or a
// controller operation) from an authenticated sender to the subnet and
// waits until its status is final; it returns the status record. The
// caller authenticates the sender: the node's interfaces that take
// requests from the network verify their signatures first.
func (n *Node) CanisterMessage(ctx context.Context, m *canisters.Message) (*canisters.Record, error) {
	raw, err := canisters.EncodeMessageTx(m)
	if err != nil {
		return nil, err
	}
	rr, err := n.comet.Mempool().CheckTx(raw, "")
	if err != nil {
		return nil, fmt.Errorf("replica: submit canister message: %w", err)
	}
	rr.Wait()
	if res := rr.Response.GetCheckTx(); res == nil || res.Code != codeOK {
		if res == nil {
			return nil, errors.New("replica: submit canister message: no mempool response")
		}
		return nil, codeError(res.Code, res.Log)
	}
	id := m.ID()
	for {
		_, ch := n.app.committed()
		if r := n.app.canisterStatus(id[:]); r != nil && (r.Status == canisters.StatusReplied || r.Status == canisters.StatusRejected) {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}

// CanisterStatus returns the status record of a canister message (nil if
// unknown or expired).
func (n *Node) CanisterStatus(id []byte) *canisters.Record { return n.app.canisterStatus(id) }

// CanisterCertificate returns an IC certificate of the subnet's state
// tree with the canister message's /request_status/<id> subtree, from a
// certified height at or after since (the record's Height), if one is
// still in memory.
func (n *Node) CanisterCertificate(id []byte, since uint64) ([]byte, bool) {
	cert, _, ok := n.app.certificateFor(id, since)
	return cert, ok
}

// CanisterQuery runs a query on a canister's state as of the last block.
func (n *Node) CanisterQuery(canister principal.Principal, sender principal.Principal, method string, arg []byte) *execution.Result {
	return n.app.canisterQuery(canister, sender, method, arg)
}

func (a *app) canisterStatus(id []byte) *canisters.Record {
	if a.cans == nil {
		return nil
	}
	a.cans.mu.Lock()
	defer a.cans.mu.Unlock()
	if r := a.cans.c.Status(id); r != nil {
		c := *r
		return &c
	}
	return nil
}

func (a *app) canisterQuery(canister, sender principal.Principal, method string, arg []byte) *execution.Result {
	if a.cans == nil {
		return &execution.Result{RejectCode: execution.RejectDestinationInvalid, RejectMessage: "no canisters on this node"}
	}
	a.cans.mu.Lock()
	defer a.cans.mu.Unlock()
	return a.cans.c.Query(canister, execution.Message{Method: method, Arg: arg, Caller: sender})
}

// closeCanisters releases the canisters' instances.
func (a *app) closeCanisters() {
	if a.cans != nil {
		a.cans.mu.Lock()
		a.cans.c.Close()
		a.cans.mu.Unlock()
	}
}
