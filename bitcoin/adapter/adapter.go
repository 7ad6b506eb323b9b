package adapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/peer"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/chain"
)

// The Internet Computer adapter's limits.
const (
	// MaxBlocksLength bounds the blocks of one GetSuccessors answer.
	MaxBlocksLength = 100
	// MaxResponseSize is the soft byte budget of one answer (testnet4
	// uses Testnet4MaxResponseSize).
	MaxResponseSize         = 2_000_000
	Testnet4MaxResponseSize = 1_000_000
	// MaxNextHeaders bounds the next headers of an answer (testnet4:
	// Testnet4MaxNextHeaders); MaxNextBytes = MaxNextHeaders·80.
	MaxNextHeaders         = 100
	Testnet4MaxNextHeaders = 1000
	MaxNextBytes           = MaxNextHeaders * 80
	// MainnetMaxMultiBlockAnchorHeight: above it mainnet answers carry one
	// block each.
	MainnetMaxMultiBlockAnchorHeight = 750_000
	// DefaultCacheBytes is the block cache budget: no new getdata while
	// the cache holds more.
	DefaultCacheBytes = 10 << 20

	minProtocolVersion = 70001
	maxHeadersPerMsg   = 2000
	invPerGetData      = 8
	getDataTimeout     = 30 * time.Second
	handshakeTimeout   = 5 * time.Second
	txCacheSize        = 250
	txCacheTTL         = 10 * time.Minute
	userAgent          = "chainkey-btc-adapter"
)

// ErrNotSynced is returned by GetSuccessors while the header chain has not
// passed the network's last checkpoint (gRPC Unavailable).
var ErrNotSynced = errors.New("adapter: header chain not yet synced past last checkpoint")

// Config configures an Adapter.
type Config struct {
	Network chain.Network
	// Peers are host:port addresses to connect to. If empty, peers come
	// from the network's DNS seeds.
	Peers []string
	// DataDir holds the header file (<DataDir>/<network>/headers.dat).
	// Empty means headers are kept in memory only.
	DataDir string
	// CacheBytes is the block cache budget (DefaultCacheBytes if zero).
	CacheBytes int
	// MinPeers and MaxPeers bound the connections (2 and 5 by default;
	// with explicit Peers, all of them).
	MinPeers, MaxPeers int
	// Logger receives the adapter's logs (slog.Default() if nil).
	Logger *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// AllowSelfConnections turns off btcd's self-connection check, which
	// also fires when a test runs a fake peer in the same process.
	AllowSelfConnections bool
	// Dial opens connections (a net.Dialer with a 5 s timeout if nil).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// BlockTimeout is how long a block asked for may take before it is
	// asked for again, possibly from another peer (30 s if zero).
	BlockTimeout time.Duration
}

type inflight struct {
	peer *peer.Peer
	at   time.Time
}

type txEntry struct {
	raw        *wire.MsgTx
	added      time.Time
	advertised map[*peer.Peer]bool
}

// Adapter is a running Bitcoin adapter. Its methods are safe for
// concurrent use.
type Adapter struct {
	cfg    Config
	params *chaincfg.Params
	log    *slog.Logger

	mu        sync.Mutex
	tree      *headerTree
	store     *headerStore
	cache     map[chainhash.Hash][]byte
	cacheSize int
	want      []chainhash.Hash // blocks to download, in order
	inflight  map[chainhash.Hash]inflight
	txs       map[chainhash.Hash]*txEntry
	txOrder   []chainhash.Hash
	peers     map[*peer.Peer]bool // value: handshake done
	conns     map[string]*peer.Peer
	lastTry   map[string]time.Time
	seeds     []string
	wake      chan struct{}
}

// New opens the header store (replaying the persisted headers) and returns
// an adapter that is not yet connected; call Run.
func New(cfg Config) (*Adapter, error) {
	p := cfg.Network.Params()
	if p == nil {
		return nil, fmt.Errorf("adapter: unknown network %d", int(cfg.Network))
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = DefaultCacheBytes
	}
	if cfg.MinPeers <= 0 {
		cfg.MinPeers = 2
	}
	if cfg.BlockTimeout <= 0 {
		cfg.BlockTimeout = getDataTimeout
	}
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = 5
	}
	if len(cfg.Peers) > 0 {
		cfg.MinPeers, cfg.MaxPeers = min(cfg.MinPeers, len(cfg.Peers)), len(cfg.Peers)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Dial == nil {
		d := &net.Dialer{Timeout: 5 * time.Second}
		cfg.Dial = d.DialContext
	}
	a := &Adapter{
		cfg: cfg, params: p, log: cfg.Logger.With("component", "btc-adapter", "network", cfg.Network.String()),
		tree: newHeaderTree(p), cache: map[chainhash.Hash][]byte{}, inflight: map[chainhash.Hash]inflight{},
		txs: map[chainhash.Hash]*txEntry{}, peers: map[*peer.Peer]bool{}, conns: map[string]*peer.Peer{},
		lastTry: map[string]time.Time{}, wake: make(chan struct{}, 1),
	}
	if cfg.DataDir != "" {
		st, recs, err := openHeaderStore(filepath.Join(cfg.DataDir, cfg.Network.String()), p.Net)
		if err != nil {
			return nil, err
		}
		good := 0
		for i, r := range recs {
			var h wire.BlockHeader
			if err := h.Deserialize(bytes.NewReader(r)); err != nil {
				break
			}
			if _, err := a.tree.add(&h, time.Time{}); err != nil {
				a.log.Warn("dropping invalid persisted header and everything after it", "index", i, "err", err)
				break
			}
			good++
		}
		if good < len(recs) {
			if err := st.truncate(good); err != nil {
				st.close()
				return nil, err
			}
		}
		a.store = st
		a.log.Info("loaded headers", "count", good, "tip_height", a.tree.tip().height, "tip", a.tree.tip().hash)
	}
	return a, nil
}

// Close releases the header store. Call it after Run has returned.
func (a *Adapter) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.store != nil {
		err := a.store.close()
		a.store = nil
		return err
	}
	return nil
}

// TipHeight returns the height and hash of the active header chain's tip.
func (a *Adapter) TipHeight() (int32, chainhash.Hash) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tree.tip()
	return t.height, t.hash
}

// HeaderCount returns the number of known headers (forks included).
func (a *Adapter) HeaderCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.tree.nodes)
}

// PeerCount returns the number of peers that completed the handshake.
func (a *Adapter) PeerCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, ok := range a.peers {
		if ok {
			n++
		}
	}
	return n
}

// Run connects to peers and keeps 2–5 (or all configured) connections until
// ctx is cancelled; then it disconnects every peer and returns.
func (a *Adapter) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		a.maintainPeers(ctx, &wg)
		a.scheduleDownloads()
		a.expireTxs()
		select {
		case <-ctx.Done():
			a.mu.Lock()
			for p := range a.peers {
				p.Disconnect()
			}
			a.mu.Unlock()
			wg.Wait()
			return nil
		case <-tick.C:
		case <-a.wake:
		}
	}
}

func (a *Adapter) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *Adapter) candidates(ctx context.Context) []string {
	if len(a.cfg.Peers) > 0 {
		return a.cfg.Peers
	}
	a.mu.Lock()
	seeds := a.seeds
	a.mu.Unlock()
	if len(seeds) > 0 {
		return seeds
	}
	var out []string
	for _, s := range a.params.DNSSeeds {
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ips, err := net.DefaultResolver.LookupHost(lctx, s.Host)
		cancel()
		if err != nil {
			a.log.Debug("dns seed lookup failed", "seed", s.Host, "err", err)
			continue
		}
		for _, ip := range ips {
			out = append(out, net.JoinHostPort(ip, a.params.DefaultPort))
		}
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	a.mu.Lock()
	a.seeds = out
	a.mu.Unlock()
	return out
}

func (a *Adapter) maintainPeers(ctx context.Context, wg *sync.WaitGroup) {
	a.mu.Lock()
	n := len(a.conns)
	a.mu.Unlock()
	if n >= a.cfg.MaxPeers {
		return
	}
	now := a.cfg.Now()
	for _, addr := range a.candidates(ctx) {
		a.mu.Lock()
		_, busy := a.conns[addr]
		recent := now.Sub(a.lastTry[addr]) < 2*time.Second
		full := len(a.conns) >= a.cfg.MaxPeers
		if !busy && !recent && !full {
			a.lastTry[addr] = now
			a.conns[addr] = nil
		}
		a.mu.Unlock()
		if full {
			return
		}
		if busy || recent {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.runPeer(ctx, addr)
			a.mu.Lock()
			delete(a.conns, addr)
			a.mu.Unlock()
		}()
	}
}

func (a *Adapter) peerConfig(verack chan struct{}) *peer.Config {
	return &peer.Config{
		UserAgentName:    userAgent,
		UserAgentVersion: "1.0",
		ChainParams:      a.params,
		Services:         wire.SFNodeWitness, // we relay witness transactions
		DisableRelayTx:   true,
		AllowSelfConns:   a.cfg.AllowSelfConnections,
		NewestBlock: func() (*chainhash.Hash, int32, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			t := a.tree.tip()
			return &t.hash, t.height, nil
		},
		Listeners: peer.MessageListeners{
			OnVersion: a.onVersion,
			OnVerAck: func(p *peer.Peer, _ *wire.MsgVerAck) {
				select {
				case verack <- struct{}{}:
				default:
				}
			},
			OnHeaders:  a.onHeaders,
			OnInv:      a.onInv,
			OnBlock:    a.onBlock,
			OnGetData:  a.onGetData,
			OnNotFound: a.onNotFound,
			OnReject: func(p *peer.Peer, m *wire.MsgReject) {
				a.log.Info("peer rejected a message", "peer", p.Addr(), "cmd", m.Cmd, "reason", m.Reason, "hash", m.Hash)
			},
		},
	}
}

func (a *Adapter) runPeer(ctx context.Context, addr string) {
	verack := make(chan struct{}, 1)
	p, err := peer.NewOutboundPeer(a.peerConfig(verack), addr)
	if err != nil {
		a.log.Warn("bad peer address", "peer", addr, "err", err)
		return
	}
	conn, err := a.cfg.Dial(ctx, "tcp", addr)
	if err != nil {
		a.log.Debug("dial failed", "peer", addr, "err", err)
		return
	}
	a.mu.Lock()
	a.conns[addr] = p
	a.peers[p] = false
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.peers, p)
		for h, f := range a.inflight {
			if f.peer == p {
				delete(a.inflight, h)
			}
		}
		for _, t := range a.txs {
			delete(t.advertised, p)
		}
		a.mu.Unlock()
		a.poke()
	}()
	p.AssociateConnection(conn)
	select {
	case <-verack:
	case <-time.After(handshakeTimeout):
		a.log.Warn("peer handshake failed or timed out", "peer", addr)
		p.Disconnect()
		p.WaitForDisconnect()
		return
	case <-ctx.Done():
		p.Disconnect()
		p.WaitForDisconnect()
		return
	}
	a.mu.Lock()
	a.peers[p] = true
	loc := a.tree.locator()
	a.mu.Unlock()
	a.log.Info("peer connected", "peer", addr, "user_agent", p.UserAgent(), "height", p.StartingHeight())
	sendGetHeaders(p, loc)
	a.advertiseTxs()
	a.poke()
	select {
	case <-ctx.Done():
		p.Disconnect()
	case <-waitChan(p):
	}
	p.WaitForDisconnect()
	a.log.Info("peer disconnected", "peer", addr)
}

// sendGetHeaders asks p for the headers after the locator. (peer's
// PushGetHeadersMsg drops a request equal to the previous one, which loses
// the follow-up after an inv that arrives before our tip moved.)
func sendGetHeaders(p *peer.Peer, loc []*chainhash.Hash) {
	m := wire.NewMsgGetHeaders()
	for _, h := range loc {
		if m.AddBlockLocatorHash(h) != nil {
			break
		}
	}
	p.QueueMessage(m, nil)
}

func waitChan(p *peer.Peer) <-chan struct{} {
	c := make(chan struct{})
	go func() { p.WaitForDisconnect(); close(c) }()
	return c
}

// onVersion applies the Internet Computer's handshake checks.
func (a *Adapter) onVersion(p *peer.Peer, m *wire.MsgVersion) *wire.MsgReject {
	reason := ""
	switch {
	case m.Services&wire.SFNodeNetwork == 0:
		reason = "peer does not serve blocks (no NODE_NETWORK)"
	case m.ProtocolVersion < minProtocolVersion:
		reason = "protocol version " + strconv.Itoa(int(m.ProtocolVersion)) + " too old"
	default:
		a.mu.Lock()
		tip := a.tree.tip().height
		a.mu.Unlock()
		if m.LastBlock < tip {
			reason = fmt.Sprintf("peer height %d below our tip %d", m.LastBlock, tip)
		}
	}
	if reason == "" {
		return nil
	}
	a.log.Warn("rejecting peer", "peer", p.Addr(), "reason", reason)
	return wire.NewMsgReject(m.Command(), wire.RejectObsolete, reason)
}

func (a *Adapter) onHeaders(p *peer.Peer, m *wire.MsgHeaders) {
	now := a.cfg.Now()
	a.mu.Lock()
	var added []*wire.BlockHeader
	var err error
	for _, h := range m.Headers {
		var isNew bool
		if isNew, err = a.tree.add(h, now); err != nil {
			break
		}
		if isNew {
			added = append(added, h)
		}
	}
	if a.store != nil && len(added) > 0 {
		if serr := a.store.append(added); serr != nil {
			a.log.Error("persisting headers failed", "err", serr)
		}
	}
	tip := a.tree.tip()
	loc := a.tree.locator()
	a.mu.Unlock()
	if err != nil {
		a.log.Warn("invalid header from peer; disconnecting", "peer", p.Addr(), "err", err)
		p.Disconnect()
		return
	}
	if len(added) > 0 {
		a.log.Debug("headers", "peer", p.Addr(), "added", len(added), "tip_height", tip.height)
	}
	// A full batch means the peer has more. (Several peers may answer the
	// same request; headers already known are simply skipped.)
	if len(m.Headers) == maxHeadersPerMsg && len(added) > 0 {
		sendGetHeaders(p, loc)
	}
}

func (a *Adapter) onInv(p *peer.Peer, m *wire.MsgInv) {
	a.mu.Lock()
	unknown := false
	for _, iv := range m.InvList {
		if iv.Type == wire.InvTypeBlock || iv.Type == wire.InvTypeWitnessBlock {
			if _, ok := a.tree.nodes[iv.Hash]; !ok {
				unknown = true
			}
		}
	}
	loc := a.tree.locator()
	a.mu.Unlock()
	if unknown {
		sendGetHeaders(p, loc)
	}
}

func (a *Adapter) onBlock(p *peer.Peer, m *wire.MsgBlock, buf []byte) {
	hash := m.BlockHash()
	txs := make([]*btcutil.Tx, len(m.Transactions))
	for i, tx := range m.Transactions {
		txs[i] = btcutil.NewTx(tx)
	}
	if len(txs) == 0 || blockchain.CalcMerkleRoot(txs, false) != m.Header.MerkleRoot {
		a.log.Warn("block with bad merkle root; disconnecting", "peer", p.Addr(), "block", hash)
		p.Disconnect()
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, known := a.tree.nodes[hash]
	_, asked := a.inflight[hash]
	delete(a.inflight, hash)
	if !known || !asked {
		return
	}
	if _, ok := a.cache[hash]; !ok {
		raw := append([]byte(nil), buf...)
		a.cache[hash] = raw
		a.cacheSize += len(raw)
	}
	a.poke()
}

func (a *Adapter) onNotFound(p *peer.Peer, m *wire.MsgNotFound) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, iv := range m.InvList {
		if f, ok := a.inflight[iv.Hash]; ok && f.peer == p {
			delete(a.inflight, iv.Hash)
		}
	}
}

func (a *Adapter) onGetData(p *peer.Peer, m *wire.MsgGetData) {
	a.mu.Lock()
	type reply struct {
		tx  *wire.MsgTx
		enc wire.MessageEncoding
	}
	var send []reply
	nf := wire.NewMsgNotFound()
	for _, iv := range m.InvList {
		if iv.Type != wire.InvTypeTx && iv.Type != wire.InvTypeWitnessTx {
			_ = nf.AddInvVect(iv)
			continue
		}
		if t, ok := a.txs[iv.Hash]; ok {
			// Witness data goes out when asked for (MSG_WITNESS_TX) and
			// whenever the transaction has any: without it a segwit
			// transaction is invalid anyway.
			enc := wire.BaseEncoding
			if iv.Type == wire.InvTypeWitnessTx || t.raw.HasWitness() {
				enc = wire.WitnessEncoding
			}
			send = append(send, reply{t.raw, enc})
		} else {
			_ = nf.AddInvVect(iv)
		}
	}
	a.mu.Unlock()
	for _, r := range send {
		p.QueueMessageWithEncoding(r.tx, nil, r.enc)
	}
	if len(nf.InvList) > 0 {
		p.QueueMessage(nf, nil)
	}
}

// scheduleDownloads sends getdata for wanted blocks that are neither cached
// nor in flight, at most invPerGetData per message, each batch to a random
// peer, while the cache is under budget.
func (a *Adapter) scheduleDownloads() {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ready []*peer.Peer
	for p, ok := range a.peers {
		if ok {
			ready = append(ready, p)
		}
	}
	if len(ready) == 0 || a.cacheSize >= a.cfg.CacheBytes {
		return
	}
	now := a.cfg.Now()
	var batch []chainhash.Hash
	flush := func() {
		if len(batch) == 0 {
			return
		}
		p := ready[rand.IntN(len(ready))]
		gd := wire.NewMsgGetData()
		for _, h := range batch {
			_ = gd.AddInvVect(wire.NewInvVect(wire.InvTypeWitnessBlock, &h))
			a.inflight[h] = inflight{peer: p, at: now}
		}
		p.QueueMessage(gd, nil)
		batch = nil
	}
	for _, h := range a.want {
		if _, ok := a.cache[h]; ok {
			continue
		}
		if f, ok := a.inflight[h]; ok && now.Sub(f.at) < a.cfg.BlockTimeout {
			continue
		}
		batch = append(batch, h)
		if len(batch) == invPerGetData {
			flush()
		}
	}
	flush()
}

func (a *Adapter) expireTxs() {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.cfg.Now()
	keep := a.txOrder[:0]
	for _, h := range a.txOrder {
		if t := a.txs[h]; t != nil && now.Sub(t.added) > txCacheTTL {
			delete(a.txs, h)
			continue
		}
		keep = append(keep, h)
	}
	a.txOrder = keep
}

// advertiseTxs sends inv(tx) for each stored transaction to every ready peer
// that has not seen it yet.
func (a *Adapter) advertiseTxs() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, ok := range a.peers {
		if !ok {
			continue
		}
		inv := wire.NewMsgInv()
		for _, h := range a.txOrder {
			t := a.txs[h]
			if t == nil || t.advertised[p] {
				continue
			}
			t.advertised[p] = true
			_ = inv.AddInvVect(wire.NewInvVect(wire.InvTypeTx, &h))
		}
		if len(inv.InvList) > 0 {
			p.QueueMessage(inv, nil)
		}
	}
}

// SendTransaction stores a consensus-serialised transaction for 10 minutes
// (at most 250 are kept) and advertises it to every peer, which fetches it
// with getdata.
func (a *Adapter) SendTransaction(raw []byte) (chainhash.Hash, error) {
	var tx wire.MsgTx
	r := bytes.NewReader(raw)
	if err := tx.Deserialize(r); err != nil {
		return chainhash.Hash{}, fmt.Errorf("adapter: send transaction: decode: %w", err)
	}
	if r.Len() != 0 {
		return chainhash.Hash{}, fmt.Errorf("adapter: send transaction: %d trailing bytes", r.Len())
	}
	txid := tx.TxHash()
	a.mu.Lock()
	if _, ok := a.txs[txid]; !ok {
		a.txs[txid] = &txEntry{raw: &tx, added: a.cfg.Now(), advertised: map[*peer.Peer]bool{}}
		a.txOrder = append(a.txOrder, txid)
		for len(a.txOrder) > txCacheSize {
			delete(a.txs, a.txOrder[0])
			a.txOrder = a.txOrder[1:]
		}
	}
	a.mu.Unlock()
	a.advertiseTxs()
	a.log.Info("transaction queued for broadcast", "txid", txid)
	return txid, nil
}

// Successors is the answer to GetSuccessors.
type Successors struct {
	Blocks [][]byte // consensus-serialised blocks, breadth-first from the anchor
	Next   [][]byte // 80-byte headers of the blocks that follow
}

// GetSuccessors implements the Internet Computer's GetSuccessors: a
// breadth-first walk over the anchor's descendants in the header tree that
// skips processed hashes. Cached blocks whose parent is the anchor, a
// processed block or a returned block are returned (at most
// MaxBlocksLength, MaxResponseSize bytes less MaxNextBytes with at least one
// block; one block on mainnet above MainnetMaxMultiBlockAnchorHeight); the
// other unprocessed headers follow in Next (at most MaxNextHeaders) and,
// with any block missing from the cache, are queued for download. Blocks
// at or below the anchor and processed blocks are pruned from the cache.
func (a *Adapter) GetSuccessors(anchor chainhash.Hash, processed []chainhash.Hash) (*Successors, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if cp := lastCheckpoint(a.params); a.tree.tip().height < cp {
		return nil, ErrNotSynced
	}
	done := make(map[chainhash.Hash]bool, len(processed))
	for _, h := range processed {
		done[h] = true
	}
	a.prune(anchor, done)
	root, ok := a.tree.nodes[anchor]
	if !ok {
		return &Successors{}, nil
	}
	maxBlocks, maxNext, maxBytes := MaxBlocksLength, MaxNextHeaders, MaxResponseSize-MaxNextBytes
	switch a.cfg.Network {
	case chain.Mainnet:
		if root.height > MainnetMaxMultiBlockAnchorHeight {
			maxBlocks = 1
		}
	case chain.Testnet:
		maxNext, maxBytes = Testnet4MaxNextHeaders, Testnet4MaxResponseSize-Testnet4MaxNextHeaders*80
	}
	out := &Successors{}
	size := 0
	blocksFull := false
	returned := map[*hnode]bool{root: true}
	var want []chainhash.Hash
	queue := append([]*hnode(nil), root.children...)
	visited := 0
	limit := len(processed) + 4*(maxBlocks+maxNext) + 1000
	for len(queue) > 0 && visited < limit {
		n := queue[0]
		queue = queue[1:]
		visited++
		queue = append(queue, n.children...)
		if done[n.hash] {
			returned[n] = true // its children may be returned
			continue
		}
		raw, cached := a.cache[n.hash]
		if !blocksFull && returned[n.parent] && cached {
			if len(out.Blocks) > 0 && size+len(raw) > maxBytes {
				blocksFull = true
			} else {
				out.Blocks = append(out.Blocks, raw)
				size += len(raw)
				returned[n] = true
				if len(out.Blocks) >= maxBlocks {
					blocksFull = true
				}
				continue
			}
		}
		if len(out.Next) < maxNext {
			var buf bytes.Buffer
			_ = n.header.Serialize(&buf)
			out.Next = append(out.Next, buf.Bytes())
			if !cached {
				want = append(want, n.hash)
			}
		} else if blocksFull {
			break
		}
	}
	a.want = want
	if len(want) > 0 {
		a.poke()
	}
	return out, nil
}

// prune drops cached blocks at or below the anchor's height and processed
// blocks.
func (a *Adapter) prune(anchor chainhash.Hash, done map[chainhash.Hash]bool) {
	ah := int32(-1)
	if n, ok := a.tree.nodes[anchor]; ok {
		ah = n.height
	}
	for h, raw := range a.cache {
		n := a.tree.nodes[h]
		if done[h] || n == nil || n.height <= ah {
			delete(a.cache, h)
			a.cacheSize -= len(raw)
		}
	}
}
