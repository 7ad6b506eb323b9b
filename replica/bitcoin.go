package replica

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/chainkey/chainkey/bitcoin/canister"
	"github.com/chainkey/chainkey/bitcoin/chain"
	"github.com/chainkey/chainkey/bitcoin/service"
	"github.com/chainkey/chainkey/certification"
	bpb "github.com/chainkey/chainkey/proto/bitcoinpb"
	apb "github.com/chainkey/chainkey/proto/btcservicepb"
	"github.com/chainkey/chainkey/replica/subnet"
)

// BitcoinConfig enables the Bitcoin integration on a node. The Bitcoin
// canister state is replicated: every node of a subnet must use the same
// Network and StabilityThreshold. Adapter is node-local.
type BitcoinConfig struct {
	// Network is "mainnet", "testnet" (testnet4) or "regtest".
	Network string `json:"network"`
	// Adapter is the node's btc-adapter, as its --listen names it:
	// "unix:///abs/path.sock", "unix://rel/path.sock", "host:port" or
	// "tcp://host:port". Empty: the node validates and applies other nodes'
	// Bitcoin payloads and serves the Bitcoin API, but proposes none and
	// cannot forward transactions.
	Adapter string `json:"adapter,omitempty"`
	// StabilityThreshold is the canister's δ (0: the canister default).
	StabilityThreshold uint64 `json:"stability_threshold,omitempty"`
	// CkBTC configures the subnet's ckBTC ledger and minter (nil: the
	// defaults).
	CkBTC *CkBTCConfig `json:"ckbtc,omitempty"`
}

// bitcoinFetchTimeout bounds the proposer's wait for its adapter.
const bitcoinFetchTimeout = time.Second

// keyBitcoin holds the serialised Bitcoin canister state
// (canister.State.Marshal), rewritten at every height that applies a
// payload, so its bytes enter that height's writes digest and app hash.
const keyBitcoin = "btc/state"

// btcState is the node's Bitcoin canister and its adapter connection. It
// is the subnet.Component of the Bitcoin canister (its transactions are
// Bitcoin payloads) and, with an adapter, the source of this node's
// proposed payloads.
type btcState struct {
	network chain.Network
	can     *service.Canister
	fwd     service.Forwarder
	conn    *grpc.ClientConn // nil without an adapter
	client  apb.BtcServiceClient
	hash    [32]byte // hash of the committed or just-finalized state
	log     *slog.Logger
}

// adapterTarget turns the configured adapter address into a gRPC target.
// It accepts the btc-adapter's --listen spellings: unix://PATH (absolute
// or relative), tcp://HOST:PORT and HOST:PORT, and any gRPC target with a
// scheme (dns:///HOST:PORT).
func adapterTarget(addr string) string {
	switch {
	case strings.HasPrefix(addr, "unix://") && !strings.HasPrefix(addr, "unix:///"):
		return "unix:" + strings.TrimPrefix(addr, "unix://")
	case strings.HasPrefix(addr, "tcp://"):
		return "passthrough:///" + strings.TrimPrefix(addr, "tcp://")
	case strings.HasPrefix(addr, "unix:") || strings.Contains(addr, "://"):
		return addr
	}
	return "passthrough:///" + addr
}

// initBitcoin loads the Bitcoin canister state committed at height (a
// fresh state at genesis) and dials the adapter. Without a Bitcoin
// configuration it does nothing.
func (a *app) initBitcoin(height uint64) error {
	bc := a.cfg.Bitcoin
	if bc == nil {
		return nil
	}
	nw, err := chain.ParseNetwork(bc.Network)
	if err != nil {
		return fmt.Errorf("replica: bitcoin: %w", err)
	}
	var st *canister.State
	raw, ok, err := a.st.getCommitted([]byte(keyBitcoin))
	if err != nil {
		return fmt.Errorf("replica: bitcoin: load state: %w", err)
	}
	if ok {
		if st, err = canister.Unmarshal(raw); err != nil {
			return fmt.Errorf("replica: bitcoin: state at height %d: %w", height, err)
		}
		if st.Network() != nw {
			return fmt.Errorf("replica: bitcoin: stored state is for %s, configured %s", st.Network(), nw)
		}
	} else {
		if st, err = canister.New(canister.Config{Network: nw, StabilityThreshold: bc.StabilityThreshold}); err != nil {
			return fmt.Errorf("replica: bitcoin: %w", err)
		}
		raw = st.Marshal()
	}
	b := &btcState{network: nw, hash: sha256.Sum256(raw), log: a.log}
	if bc.Adapter != "" {
		b.conn, err = grpc.NewClient(adapterTarget(bc.Adapter), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("replica: bitcoin: adapter %s: %w", bc.Adapter, err)
		}
		b.client = apb.NewBtcServiceClient(b.conn)
		b.fwd = service.AdapterForwarder{Client: b.client}
	}
	b.can = service.NewCanister(st, b.fwd)
	if err := a.components.Register(b); err != nil {
		return err
	}
	if b.client != nil {
		a.sources = append(a.sources, b)
	}
	a.btc = b
	a.log.Info("bitcoin canister loaded", "network", nw.String(), "adapter", bc.Adapter, "height", height)
	return nil
}

// closeBitcoin closes the adapter connection.
func (a *app) closeBitcoin() {
	if a.btc != nil && a.btc.conn != nil {
		a.btc.conn.Close()
	}
}

// propose asks the adapter for the successors of the canister's anchor
// and returns the payload transaction, at most limit bytes, or nil when
// there is nothing new (or the adapter does not answer in time).
func (b *btcState) propose(ctx context.Context, limit int64) []byte {
	limit = min(limit, subnet.MaxBitcoinPayloadBytes)
	ctx, cancel := context.WithTimeout(ctx, bitcoinFetchTimeout)
	defer cancel()
	anchor, processed := b.can.Request()
	blocks, next, err := service.FetchSuccessors(ctx, b.client, anchor, processed)
	if err != nil {
		b.log.Debug("bitcoin adapter", "err", err)
		return nil
	}
	if len(blocks) == 0 {
		return nil
	}
	// Keep what fits: a prefix of the blocks (breadth-first, so parents
	// come first) and of the next headers.
	p := &subnet.BitcoinPayload{}
	size := int64(len(subnet.BitcoinPayloadMagic) + 8)
	for _, blk := range blocks {
		if len(p.Blocks) == subnet.MaxBitcoinPayloadBlocks || size+4+int64(len(blk)) > limit {
			break
		}
		p.Blocks = append(p.Blocks, blk)
		size += 4 + int64(len(blk))
	}
	if len(p.Blocks) == 0 {
		return nil
	}
	for _, h := range next {
		if len(h) != wire.MaxBlockHeaderPayload || len(p.Next) == subnet.MaxBitcoinPayloadNext || size+wire.MaxBlockHeaderPayload > limit {
			break
		}
		p.Next = append(p.Next, h)
		size += wire.MaxBlockHeaderPayload
	}
	// Never propose what this node would reject.
	if err := b.can.Check(p.Blocks); err != nil {
		b.log.Warn("adapter returned invalid successors", "err", err)
		return nil
	}
	return subnet.EncodeBitcoinPayload(p)
}

// ID implements subnet.Component.
func (b *btcState) ID() subnet.ComponentID { return subnet.BitcoinComponentID() }

// Check implements subnet.Component: ProcessProposal's validation of a
// payload.
func (b *btcState) Check(tx []byte) error {
	p, err := subnet.DecodeBitcoinPayload(tx)
	if err != nil {
		return err
	}
	if err := b.can.Check(p.Blocks); err != nil {
		return fmt.Errorf("replica: bitcoin payload: %w", err)
	}
	return nil
}

// Apply implements subnet.Component: it applies a payload to the canister
// and writes the new state into the height's writes. An invalid payload
// (possible only in a block this node did not vote on) is a failed
// transaction that changes nothing, on every node alike.
func (b *btcState) Apply(tx []byte, w subnet.Writer) error {
	p, err := subnet.DecodeBitcoinPayload(tx)
	if err != nil {
		return err
	}
	if err := b.can.Apply(p.Blocks, p.Next); err != nil {
		return err
	}
	st := b.Snapshot()
	b.hash = sha256.Sum256(st)
	w.Set([]byte(keyBitcoin), st)
	return nil
}

// Execute implements subnet.Component: the Bitcoin canister takes its
// input from payloads only (its queries are answered outside consensus by
// the Bitcoin service).
func (b *btcState) Execute([]byte, subnet.Writer) ([]byte, error) { return nil, subnet.ErrNoMessages }

// Leaves implements subnet.Component: /bitcoin/<network>/state_hash, the
// SHA-256 of the canister state.
func (b *btcState) Leaves() []certification.PathValue {
	h := b.hash
	return []certification.PathValue{{
		Path:  [][]byte{[]byte("bitcoin"), []byte(b.network.String()), []byte("state_hash")},
		Value: h[:],
	}}
}

// StateHash implements subnet.Component.
func (b *btcState) StateHash() [32]byte { return b.hash }

// Snapshot implements subnet.Component: the canister state as stored
// under keyBitcoin.
func (b *btcState) Snapshot() []byte {
	var st []byte
	b.can.Read(func(s *canister.State) { st = s.Marshal() })
	return st
}

// Restore implements subnet.Component. It is for a node's start (the
// Bitcoin service of a running node keeps the canister it was made with).
func (b *btcState) Restore(snapshot []byte) error {
	st, err := canister.Unmarshal(snapshot)
	if err != nil {
		return fmt.Errorf("replica: bitcoin: restore: %w", err)
	}
	if st.Network() != b.network {
		return fmt.Errorf("replica: bitcoin: snapshot is for %s, configured %s", st.Network(), b.network)
	}
	b.can = service.NewCanister(st, b.fwd)
	b.hash = sha256.Sum256(snapshot)
	return nil
}

// BitcoinService returns the node's chainkey.bitcoin.v1 Bitcoin service
// (reads from the node's canister state; send_transaction forwards through
// the node's adapter), or nil when the node has no Bitcoin configuration.
// Register it on the node's gRPC server.
func (n *Node) BitcoinService() bpb.BitcoinServer {
	if n.app.btc == nil {
		return nil
	}
	return service.NewServer(n.app.btc.can)
}

// BitcoinStateHash returns the hash of the node's Bitcoin canister state
// and its main chain tip height; ok is false without Bitcoin.
func (n *Node) BitcoinStateHash() (hash [32]byte, tipHeight uint32, ok bool) {
	b := n.app.btc
	if b == nil {
		return hash, 0, false
	}
	var raw []byte
	b.can.Read(func(s *canister.State) {
		raw = s.Marshal()
		_, tipHeight = s.Tip()
	})
	return sha256.Sum256(raw), tipHeight, true
}
