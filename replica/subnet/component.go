package subnet

import (
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/certification"
)

// A Component is a part of the replicated state beside the signing core
// that blocks carry payloads for: the Bitcoin canister is the first, Wasm
// canister execution the next. The core knows components only through
// this interface and a Components registry; adding one touches neither
// the proposal checks nor the block execution.
//
// A component's block transactions start with ComponentTxPrefix and its
// ComponentID; the rest is the component's own encoding. Every method must
// be deterministic: the same committed state and payloads give the same
// results, writes and leaves on every node.
type Component interface {
	// ID is the component's identifier in its transactions.
	ID() ComponentID
	// Check validates a transaction of a proposed block against the
	// committed state without changing anything (ProcessProposal).
	Check(tx []byte) error
	// Apply applies a transaction of a decided block (FinalizeBlock),
	// writing the component's new state through w. An error leaves the
	// state unchanged: the transaction fails on every node alike.
	Apply(tx []byte, w Writer) error
	// Execute runs a message addressed to the component in a block and
	// returns its reply (ErrNoMessages for a component that takes its
	// input only from payloads).
	Execute(msg []byte, w Writer) (reply []byte, err error)
	// Leaves are the component's entries of the certified state tree.
	Leaves() []certification.PathValue
	// StateHash is the hash of the component's state.
	StateHash() [32]byte
	// Snapshot encodes the component's state; Restore replaces the state
	// with a snapshot's.
	Snapshot() []byte
	Restore(snapshot []byte) error
}

// Writer takes the writes of the height in progress (Overlay is one).
type Writer interface {
	Set(key, value []byte)
	Delete(key []byte)
}

// ComponentTxPrefix starts every component transaction. 0xff cannot start
// a CBOR data item, so no core transaction (Tx) is a component's.
const ComponentTxPrefix = 0xff

// ComponentID names a component in its transactions: five letters and a
// version byte, as in BitcoinPayloadMagic ("\xff" "ckbtc" "\x01").
type ComponentID [6]byte

// String returns the id's letters and version.
func (id ComponentID) String() string { return fmt.Sprintf("%s/%d", id[:5], id[5]) }

// BitcoinComponentID returns the Bitcoin canister's component id: its
// transactions are Bitcoin payloads, which start with BitcoinPayloadMagic.
func BitcoinComponentID() ComponentID { return ComponentID{'c', 'k', 'b', 't', 'c', 1} }

// ErrNoMessages is Execute's error for a component without messages.
var ErrNoMessages = fmt.Errorf("subnet: component takes no messages")

// ComponentTxID returns the component id of a block transaction, if it is
// a component transaction.
func ComponentTxID(tx []byte) (ComponentID, bool) {
	var id ComponentID
	if len(tx) < 1+len(id) || tx[0] != ComponentTxPrefix {
		return id, false
	}
	copy(id[:], tx[1:])
	return id, true
}

// Components is the registry of a node's components, keyed by id. A block
// carries at most one transaction per component.
type Components struct {
	byID map[ComponentID]Component
}

// Register adds c; registering a second component with the same id fails.
func (r *Components) Register(c Component) error {
	if r.byID == nil {
		r.byID = map[ComponentID]Component{}
	}
	if _, dup := r.byID[c.ID()]; dup {
		return fmt.Errorf("subnet: component %s registered twice", c.ID())
	}
	r.byID[c.ID()] = c
	return nil
}

// Get returns the component with the given id, if registered.
func (r *Components) Get(id ComponentID) (Component, bool) {
	c, ok := r.byID[id]
	return c, ok
}

// BlockTxs checks and applies the component transactions of one block:
// the first of each component's only.
type BlockTxs struct {
	r    *Components
	seen map[ComponentID]bool
}

// Block returns the per-block view of the registry.
func (r *Components) Block() *BlockTxs { return &BlockTxs{r: r, seen: map[ComponentID]bool{}} }

func (b *BlockTxs) component(tx []byte) (Component, error) {
	id, ok := ComponentTxID(tx)
	if !ok {
		return nil, errf("not a component transaction")
	}
	c, ok := b.r.Get(id)
	if !ok {
		return nil, errf("transaction for component %s, not on this subnet", id)
	}
	if b.seen[id] {
		return nil, errf("second transaction for component %s in block", id)
	}
	b.seen[id] = true
	return c, nil
}

// Check is ProcessProposal's check of a component transaction.
func (b *BlockTxs) Check(tx []byte) error {
	c, err := b.component(tx)
	if err != nil {
		return err
	}
	return c.Check(tx)
}

// Apply is FinalizeBlock's execution of a component transaction.
func (b *BlockTxs) Apply(tx []byte, w Writer) error {
	c, err := b.component(tx)
	if err != nil {
		return err
	}
	return c.Apply(tx, w)
}

// Leaves returns the certified-tree entries of every component, in id
// order.
func (r *Components) Leaves() []certification.PathValue {
	ids := make([]ComponentID, 0, len(r.byID))
	for id := range r.byID {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ComponentID) int { return slices.Compare(a[:], b[:]) })
	var out []certification.PathValue
	for _, id := range ids {
		out = append(out, r.byID[id].Leaves()...)
	}
	return out
}
