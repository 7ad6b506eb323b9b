package replica

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
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
}

// Limits of the Bitcoin payload a block proposer puts in its block.
const (
	// MaxBitcoinPayloadBytes bounds the encoded payload (blocks and next
	// headers); the adapter's own answers stay under 2 MB.
	MaxBitcoinPayloadBytes = 4 << 20
	// maxBitcoinPayloadBlocks and maxBitcoinPayloadNext bound the counts.
	maxBitcoinPayloadBlocks = 1000
	maxBitcoinPayloadNext   = 1000
	// bitcoinFetchTimeout bounds the proposer's wait for its adapter.
	bitcoinFetchTimeout = time.Second
)

// bitcoinPayloadMagic starts the block transaction that carries a Bitcoin
// payload. 0xff cannot start a CBOR data item, so decodeTx never accepts
// it and no mempool transaction can pass for a payload.
var bitcoinPayloadMagic = []byte("\xffckbtc\x01")

// keyBitcoin holds the serialised Bitcoin canister state
// (canister.State.Marshal), rewritten at every height that applies a
// payload, so its bytes enter that height's writes digest and app hash.
const keyBitcoin = "btc/state"

// btcState is the node's Bitcoin canister and its adapter connection.
type btcState struct {
	network chain.Network
	can     *service.Canister
	conn    *grpc.ClientConn // nil without an adapter
	client  apb.BtcServiceClient
	hash    [32]byte // hash of the committed or just-finalized state
}

// bitcoinPayload is the decoded payload of a block.
type bitcoinPayload struct {
	blocks [][]byte
	next   [][]byte
}

// encodeBitcoinPayload lays a payload out as
// magic ‖ u32 n ‖ n × (u32 len ‖ block) ‖ u32 m ‖ m × 80-byte header.
func encodeBitcoinPayload(p *bitcoinPayload) []byte {
	var b bytes.Buffer
	b.Write(bitcoinPayloadMagic)
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p.blocks))))
	for _, blk := range p.blocks {
		b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(blk))))
		b.Write(blk)
	}
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p.next))))
	for _, h := range p.next {
		b.Write(h)
	}
	return b.Bytes()
}

// isBitcoinPayload reports whether a block transaction is a Bitcoin payload.
func isBitcoinPayload(raw []byte) bool { return bytes.HasPrefix(raw, bitcoinPayloadMagic) }

// decodeBitcoinPayload parses a payload strictly: bounded size and counts,
// no trailing bytes, next headers of exactly 80 bytes.
func decodeBitcoinPayload(raw []byte) (*bitcoinPayload, error) {
	if !isBitcoinPayload(raw) {
		return nil, errors.New("replica: bitcoin payload: bad magic")
	}
	if len(raw) > MaxBitcoinPayloadBytes {
		return nil, fmt.Errorf("replica: bitcoin payload of %d bytes exceeds %d", len(raw), MaxBitcoinPayloadBytes)
	}
	r := raw[len(bitcoinPayloadMagic):]
	u32 := func() (uint32, error) {
		if len(r) < 4 {
			return 0, errors.New("replica: bitcoin payload: truncated")
		}
		v := binary.BigEndian.Uint32(r)
		r = r[4:]
		return v, nil
	}
	n, err := u32()
	if err != nil {
		return nil, err
	}
	if n > maxBitcoinPayloadBlocks {
		return nil, fmt.Errorf("replica: bitcoin payload: %d blocks exceed %d", n, maxBitcoinPayloadBlocks)
	}
	p := &bitcoinPayload{}
	for i := uint32(0); i < n; i++ {
		l, err := u32()
		if err != nil {
			return nil, err
		}
		if uint64(l) > uint64(len(r)) || l < wire.MaxBlockHeaderPayload {
			return nil, fmt.Errorf("replica: bitcoin payload: block %d of %d bytes", i, l)
		}
		p.blocks = append(p.blocks, r[:l:l])
		r = r[l:]
	}
	m, err := u32()
	if err != nil {
		return nil, err
	}
	if m > maxBitcoinPayloadNext {
		return nil, fmt.Errorf("replica: bitcoin payload: %d next headers exceed %d", m, maxBitcoinPayloadNext)
	}
	if uint64(len(r)) != uint64(m)*wire.MaxBlockHeaderPayload {
		return nil, fmt.Errorf("replica: bitcoin payload: %d bytes for %d next headers", len(r), m)
	}
	for i := uint32(0); i < m; i++ {
		p.next = append(p.next, r[:wire.MaxBlockHeaderPayload:wire.MaxBlockHeaderPayload])
		r = r[wire.MaxBlockHeaderPayload:]
	}
	return p, nil
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
	b := &btcState{network: nw, hash: sha256.Sum256(raw)}
	var fwd service.Forwarder
	if bc.Adapter != "" {
		b.conn, err = grpc.NewClient(adapterTarget(bc.Adapter), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("replica: bitcoin: adapter %s: %w", bc.Adapter, err)
		}
		b.client = apb.NewBtcServiceClient(b.conn)
		fwd = service.AdapterForwarder{Client: b.client}
	}
	b.can = service.NewCanister(st, fwd)
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

// bitcoinProposal asks the adapter for the successors of the canister's
// anchor and returns the payload transaction, at most limit bytes, or nil
// when there is nothing new (or no adapter, or it does not answer in time).
func (a *app) bitcoinProposal(ctx context.Context, limit int64) []byte {
	b := a.btc
	if b == nil || b.client == nil {
		return nil
	}
	limit = min(limit, MaxBitcoinPayloadBytes)
	ctx, cancel := context.WithTimeout(ctx, bitcoinFetchTimeout)
	defer cancel()
	anchor, processed := b.can.Request()
	blocks, next, err := service.FetchSuccessors(ctx, b.client, anchor, processed)
	if err != nil {
		a.log.Debug("bitcoin adapter", "err", err)
		return nil
	}
	if len(blocks) == 0 {
		return nil
	}
	// Keep what fits: a prefix of the blocks (breadth-first, so parents
	// come first) and of the next headers.
	p := &bitcoinPayload{}
	size := int64(len(bitcoinPayloadMagic) + 8)
	for _, blk := range blocks {
		if len(p.blocks) == maxBitcoinPayloadBlocks || size+4+int64(len(blk)) > limit {
			break
		}
		p.blocks = append(p.blocks, blk)
		size += 4 + int64(len(blk))
	}
	if len(p.blocks) == 0 {
		return nil
	}
	for _, h := range next {
		if len(h) != wire.MaxBlockHeaderPayload || len(p.next) == maxBitcoinPayloadNext || size+wire.MaxBlockHeaderPayload > limit {
			break
		}
		p.next = append(p.next, h)
		size += wire.MaxBlockHeaderPayload
	}
	// Never propose what this node would reject.
	if err := b.can.Check(p.blocks); err != nil {
		a.log.Warn("adapter returned invalid successors", "err", err)
		return nil
	}
	return encodeBitcoinPayload(p)
}

// checkBitcoinPayload is ProcessProposal's validation of a payload
// transaction; seen counts the payloads of the block (at most one).
func (a *app) checkBitcoinPayload(raw []byte, seen *int) error {
	if a.btc == nil {
		return errors.New("replica: bitcoin payload on a node without bitcoin")
	}
	if *seen++; *seen > 1 {
		return errors.New("replica: second bitcoin payload in block")
	}
	p, err := decodeBitcoinPayload(raw)
	if err != nil {
		return err
	}
	if err := a.btc.can.Check(p.blocks); err != nil {
		return fmt.Errorf("replica: bitcoin payload: %w", err)
	}
	return nil
}

// applyBitcoinPayload is FinalizeBlock's execution of a payload
// transaction: it applies the payload to the canister and writes the new
// state into the height's writes. An invalid payload (possible only in a
// block this node did not vote on) is a failed transaction that changes
// nothing, on every node alike.
func (a *app) applyBitcoinPayload(ex *exec, raw []byte, seen *int) (uint32, string) {
	if a.btc == nil {
		return codeInvalid, "bitcoin payload on a node without bitcoin"
	}
	if *seen++; *seen > 1 {
		return codeInvalid, "second bitcoin payload in block"
	}
	p, err := decodeBitcoinPayload(raw)
	if err != nil {
		return codeInvalid, err.Error()
	}
	if err := a.btc.can.Apply(p.blocks, p.next); err != nil {
		return codeInvalid, err.Error()
	}
	var st []byte
	a.btc.can.Read(func(s *canister.State) { st = s.Marshal() })
	a.btc.hash = sha256.Sum256(st)
	ex.set([]byte(keyBitcoin), st)
	return codeOK, ""
}

// bitcoinLeaves are the certified tree's Bitcoin entries:
// /bitcoin/<network>/state_hash (SHA-256 of the canister state), none
// without Bitcoin.
func (a *app) bitcoinLeaves() []certification.PathValue {
	if a.btc == nil {
		return nil
	}
	h := a.btc.hash
	return []certification.PathValue{{
		Path:  [][]byte{[]byte("bitcoin"), []byte(a.btc.network.String()), []byte("state_hash")},
		Value: h[:],
	}}
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
