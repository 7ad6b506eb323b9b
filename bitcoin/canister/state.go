package canister

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/chain"
)

// Limits and defaults of the Internet Computer's Bitcoin canister.
const (
	// DefaultStabilityThreshold is δ on mainnet (about a day of blocks).
	DefaultStabilityThreshold = 144
	// MaxUtxosPerResponse is the page size of get_utxos.
	MaxUtxosPerResponse = 1000
	// MaxBlockHeadersPerResponse bounds get_block_headers.
	MaxBlockHeadersPerResponse = 100
	// FeeTransactions is how many of the newest non-coinbase transactions
	// of the unstable main chain get_current_fee_percentiles looks at.
	FeeTransactions = 10_000
	// MaxTestnetUnstableDepthDifference is the block-count lead that makes a
	// branch stable on testnet and regtest whatever its difficulty.
	MaxTestnetUnstableDepthDifference = 500
	// PageTokenSize is the length of a get_utxos page token:
	// tip hash (32) ‖ height (4) ‖ outpoint (36).
	PageTokenSize = 72
)

// Config configures a State.
type Config struct {
	Network chain.Network
	// StabilityThreshold is δ: a child of the anchor becomes stable once
	// its difficulty-based depth is at least δ times the anchor's
	// difficulty and leads every sibling by as much. Zero means
	// DefaultStabilityThreshold.
	StabilityThreshold uint64
}

type utxoEntry struct {
	value  uint64
	height uint32
	script []byte
}

type outEntry struct {
	op     wire.OutPoint
	value  uint64
	script []byte
}

type block struct {
	hash     chainhash.Hash
	raw      []byte
	msg      *wire.MsgBlock
	height   uint32
	seq      uint64   // arrival order, for tie-breaking
	work     *big.Int // cumulative work from the anchor
	parent   *block
	children []*block
	outs     []outEntry      // outputs the block creates, in order
	spends   []wire.OutPoint // outpoints its transactions spend
}

// State is the Bitcoin canister's state.
type State struct {
	cfg    Config
	params *chaincfg.Params

	anchor *block
	blocks map[chainhash.Hash]*block // unstable blocks, anchor included
	main   []*block                  // anchor … tip of the main chain
	seq    uint64

	stableHeaders []wire.BlockHeader // heights 0 … anchor-1
	stableIndex   map[chainhash.Hash]int32

	utxos    map[wire.OutPoint]utxoEntry
	byScript map[string]map[wire.OutPoint]struct{}

	feeCache []uint64
}

// New returns the state of a fresh canister whose anchor is the network's
// genesis block.
func New(cfg Config) (*State, error) {
	s, err := newEmpty(cfg)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := s.params.GenesisBlock.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("canister: serialise genesis: %w", err)
	}
	g, err := s.newBlock(buf.Bytes(), 0)
	if err != nil {
		return nil, err
	}
	g.work = chain.Work(g.msg.Header.Bits)
	s.anchor = g
	s.blocks[g.hash] = g
	s.recomputeMain()
	return s, nil
}

func newEmpty(cfg Config) (*State, error) {
	p := cfg.Network.Params()
	if p == nil {
		return nil, fmt.Errorf("canister: unknown network %d", int(cfg.Network))
	}
	if cfg.StabilityThreshold == 0 {
		cfg.StabilityThreshold = DefaultStabilityThreshold
	}
	return &State{
		cfg:         cfg,
		params:      p,
		blocks:      make(map[chainhash.Hash]*block),
		stableIndex: make(map[chainhash.Hash]int32),
		utxos:       make(map[wire.OutPoint]utxoEntry),
		byScript:    make(map[string]map[wire.OutPoint]struct{}),
	}, nil
}

// Network returns the state's network.
func (s *State) Network() chain.Network { return s.cfg.Network }

// StabilityThreshold returns δ.
func (s *State) StabilityThreshold() uint64 { return s.cfg.StabilityThreshold }

// decodeBlock parses a consensus-serialised block strictly (no trailing
// bytes) and checks its merkle root.
func decodeBlock(raw []byte) (*wire.MsgBlock, error) {
	var msg wire.MsgBlock
	r := bytes.NewReader(raw)
	if err := msg.Deserialize(r); err != nil {
		return nil, fmt.Errorf("decode block: %w", err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("decode block: %d trailing bytes", r.Len())
	}
	if len(msg.Transactions) == 0 {
		return nil, errors.New("block has no transactions")
	}
	txs := make([]*btcutil.Tx, len(msg.Transactions))
	for i, tx := range msg.Transactions {
		txs[i] = btcutil.NewTx(tx)
	}
	if root := blockchain.CalcMerkleRoot(txs, false); root != msg.Header.MerkleRoot {
		return nil, fmt.Errorf("block %s: merkle root mismatch", msg.Header.BlockHash())
	}
	return &msg, nil
}

func (s *State) newBlock(raw []byte, height uint32) (*block, error) {
	msg, err := decodeBlock(raw)
	if err != nil {
		return nil, fmt.Errorf("canister: %w", err)
	}
	b := &block{hash: msg.Header.BlockHash(), raw: raw, msg: msg, height: height, seq: s.seq}
	s.seq++
	for ti, tx := range msg.Transactions {
		txid := tx.TxHash()
		if ti > 0 {
			for _, in := range tx.TxIn {
				b.spends = append(b.spends, in.PreviousOutPoint)
			}
		}
		for vout, out := range tx.TxOut {
			if out.Value < 0 {
				continue
			}
			b.outs = append(b.outs, outEntry{op: wire.OutPoint{Hash: txid, Index: uint32(vout)}, value: uint64(out.Value), script: out.PkScript})
		}
	}
	return b, nil
}

// HeaderByHash implements chain.HeaderSource over the stable headers and
// the unstable block tree.
func (s *State) HeaderByHash(h chainhash.Hash) (wire.BlockHeader, int32, bool) {
	if b, ok := s.blocks[h]; ok {
		return b.msg.Header, int32(b.height), true
	}
	if i, ok := s.stableIndex[h]; ok {
		return s.stableHeaders[i], i, true
	}
	return wire.BlockHeader{}, 0, false
}

// overlay adds a batch's headers to a HeaderSource.
type overlay struct {
	base    chain.HeaderSource
	headers map[chainhash.Hash]wire.BlockHeader
	heights map[chainhash.Hash]int32
}

func (o *overlay) HeaderByHash(h chainhash.Hash) (wire.BlockHeader, int32, bool) {
	if hd, ok := o.headers[h]; ok {
		return hd, o.heights[h], true
	}
	return o.base.HeaderByHash(h)
}

// CheckSuccessors validates a batch of successor blocks without changing
// the state: each must decode strictly, have a valid merkle root, and carry
// a header that passes chain.ValidateHeader (proof of work, difficulty,
// median time past) with a parent in the unstable tree or earlier in the
// batch. Blocks the state already holds are accepted. This is the check
// every node runs on a block proposer's Bitcoin payload.
func (s *State) CheckSuccessors(blocks [][]byte) error {
	ov := &overlay{base: s, headers: map[chainhash.Hash]wire.BlockHeader{}, heights: map[chainhash.Hash]int32{}}
	for i, raw := range blocks {
		msg, err := decodeBlock(raw)
		if err != nil {
			return fmt.Errorf("canister: successor %d: %w", i, err)
		}
		hash := msg.Header.BlockHash()
		if _, ok := s.blocks[hash]; ok {
			continue
		}
		if _, ok := s.stableIndex[hash]; ok {
			continue
		}
		_, inTree := s.blocks[msg.Header.PrevBlock]
		_, inBatch := ov.headers[msg.Header.PrevBlock]
		if !inTree && !inBatch {
			return fmt.Errorf("canister: successor %d (%s): parent %s is not an unstable block", i, hash, msg.Header.PrevBlock)
		}
		height, err := chain.ValidateHeader(s.params, ov, &msg.Header, time.Time{})
		if err != nil {
			return fmt.Errorf("canister: successor %d: %w", i, err)
		}
		ov.headers[hash] = msg.Header
		ov.heights[hash] = height
	}
	return nil
}

// ApplySuccessors checks a batch with CheckSuccessors and then adds every
// block to the unstable tree, moves blocks that became stable into the
// UTXO set, and recomputes the main chain and the fee cache. On error the
// state is unchanged. Headers in next (the adapter's announcement of blocks
// to come) are checked for size only.
func (s *State) ApplySuccessors(blocks [][]byte, next [][]byte) error {
	for i, h := range next {
		if len(h) != wire.MaxBlockHeaderPayload {
			return fmt.Errorf("canister: next header %d has %d bytes, want 80", i, len(h))
		}
	}
	if err := s.CheckSuccessors(blocks); err != nil {
		return err
	}
	for _, raw := range blocks {
		if err := s.insert(raw); err != nil {
			// Unreachable after CheckSuccessors.
			return err
		}
	}
	for s.popStable() {
	}
	s.recomputeMain()
	if fees := s.computeFeePercentiles(); len(fees) > 0 {
		s.feeCache = fees
	}
	return nil
}

func (s *State) insert(raw []byte) error {
	var hdr wire.BlockHeader
	if err := hdr.Deserialize(bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("canister: decode header: %w", err)
	}
	hash := hdr.BlockHash()
	if _, ok := s.blocks[hash]; ok {
		return nil
	}
	if _, ok := s.stableIndex[hash]; ok {
		return nil
	}
	parent, ok := s.blocks[hdr.PrevBlock]
	if !ok {
		return fmt.Errorf("canister: block %s: parent not in the unstable tree", hash)
	}
	b, err := s.newBlock(append([]byte(nil), raw...), parent.height+1)
	if err != nil {
		return err
	}
	s.attach(parent, b)
	return nil
}

func (s *State) attach(parent, b *block) {
	b.parent = parent
	b.work = new(big.Int).Add(parent.work, chain.Work(b.msg.Header.Bits))
	parent.children = append(parent.children, b)
	s.blocks[b.hash] = b
}

// depths returns the difficulty-based depth and the block-count depth of
// b's deepest branch (b included).
func (s *State) depths(b *block) (dbd *big.Int, depth uint64) {
	bestD, bestN := new(big.Int), uint64(0)
	for _, c := range b.children {
		d, n := s.depths(c)
		if d.Cmp(bestD) > 0 {
			bestD = d
		}
		bestN = max(bestN, n)
	}
	d := new(big.Int).SetUint64(chain.Difficulty(s.params, b.msg.Header.Bits))
	return d.Add(d, bestD), bestN + 1
}

// popStable moves the anchor into the stable set if one of its children
// meets the stability rule, making that child the new anchor.
func (s *State) popStable() bool {
	a := s.anchor
	if len(a.children) == 0 {
		return false
	}
	type cand struct {
		b     *block
		dbd   *big.Int
		depth uint64
	}
	cs := make([]cand, len(a.children))
	for i, c := range a.children {
		d, n := s.depths(c)
		cs[i] = cand{c, d, n}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].dbd.Cmp(cs[j].dbd) > 0 })
	need := new(big.Int).Mul(new(big.Int).SetUint64(s.cfg.StabilityThreshold),
		new(big.Int).SetUint64(chain.Difficulty(s.params, a.msg.Header.Bits)))
	best := cs[0]
	stable := best.dbd.Cmp(need) >= 0
	if stable && len(cs) > 1 {
		lead := new(big.Int).Sub(best.dbd, cs[1].dbd)
		stable = lead.Cmp(need) >= 0
	}
	if !stable && s.cfg.Network.MinimumDifficultyBlocks() {
		// Test networks: a lead of MaxTestnetUnstableDepthDifference blocks
		// settles it whatever the difficulty says.
		byDepth := append([]cand(nil), cs...)
		sort.SliceStable(byDepth, func(i, j int) bool { return byDepth[i].depth > byDepth[j].depth })
		second := uint64(0)
		if len(byDepth) > 1 {
			second = byDepth[1].depth
		}
		if byDepth[0].depth-second >= MaxTestnetUnstableDepthDifference {
			best, stable = byDepth[0], true
		}
	}
	if !stable {
		return false
	}
	s.ingestStable(a)
	for _, c := range a.children {
		if c != best.b {
			s.dropSubtree(c)
		}
	}
	delete(s.blocks, a.hash)
	s.stableIndex[a.hash] = int32(len(s.stableHeaders))
	s.stableHeaders = append(s.stableHeaders, a.msg.Header)
	best.b.parent = nil
	s.anchor = best.b
	return true
}

func (s *State) dropSubtree(b *block) {
	for _, c := range b.children {
		s.dropSubtree(c)
	}
	delete(s.blocks, b.hash)
}

// ingestStable applies b's transactions to the stable UTXO set. The genesis
// block's output is not spendable and is left out, as in Bitcoin Core.
func (s *State) ingestStable(b *block) {
	if b.height == 0 {
		return
	}
	// Outputs first, then spends: a transaction may only spend outputs of
	// earlier transactions, so the order within the block is respected.
	for _, o := range b.outs {
		if isUnspendable(o.script) {
			continue
		}
		s.addUtxo(o.op, utxoEntry{value: o.value, height: b.height, script: o.script})
	}
	for _, op := range b.spends {
		s.removeUtxo(op)
	}
}

func isUnspendable(script []byte) bool {
	return len(script) > 0 && script[0] == 0x6a // OP_RETURN
}

func (s *State) addUtxo(op wire.OutPoint, e utxoEntry) {
	s.utxos[op] = e
	k := string(e.script)
	m := s.byScript[k]
	if m == nil {
		m = make(map[wire.OutPoint]struct{})
		s.byScript[k] = m
	}
	m[op] = struct{}{}
}

func (s *State) removeUtxo(op wire.OutPoint) {
	e, ok := s.utxos[op]
	if !ok {
		return
	}
	delete(s.utxos, op)
	k := string(e.script)
	if m := s.byScript[k]; m != nil {
		delete(m, op)
		if len(m) == 0 {
			delete(s.byScript, k)
		}
	}
}

// recomputeMain picks the tip with the most work (ties: the longer branch,
// then the first received) and stores the path anchor … tip.
func (s *State) recomputeMain() {
	var tip *block
	for _, b := range s.blocks {
		if len(b.children) != 0 {
			continue
		}
		if tip == nil {
			tip = b
			continue
		}
		if c := b.work.Cmp(tip.work); c > 0 || c == 0 && (b.height > tip.height || b.height == tip.height && b.seq < tip.seq) {
			tip = b
		}
	}
	var path []*block
	for b := tip; b != nil; b = b.parent {
		path = append(path, b)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	s.main = path
}

// Anchor returns the hash and height of the anchor (the newest stable
// block, the root of the unstable tree).
func (s *State) Anchor() (chainhash.Hash, uint32) { return s.anchor.hash, s.anchor.height }

// Tip returns the hash and height of the main chain's tip.
func (s *State) Tip() (chainhash.Hash, uint32) {
	t := s.main[len(s.main)-1]
	return t.hash, t.height
}

// SuccessorsRequest returns what to ask the adapter for: the anchor and the
// hashes of every unstable block above it, in breadth-first order.
func (s *State) SuccessorsRequest() (anchor chainhash.Hash, processed []chainhash.Hash) {
	queue := append([]*block(nil), s.anchor.children...)
	for len(queue) > 0 {
		b := queue[0]
		queue = queue[1:]
		processed = append(processed, b.hash)
		queue = append(queue, b.children...)
	}
	return s.anchor.hash, processed
}

// UnstableBlocks returns the number of blocks in the unstable tree, the
// anchor included.
func (s *State) UnstableBlocks() int { return len(s.blocks) }

// UtxoCount returns the size of the stable UTXO set.
func (s *State) UtxoCount() int { return len(s.utxos) }
