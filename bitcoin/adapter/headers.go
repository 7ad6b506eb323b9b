package adapter

import (
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/chainkey/chainkey/bitcoin/chain"
)

// hnode is a validated header in the header tree.
type hnode struct {
	hash     chainhash.Hash
	header   wire.BlockHeader
	height   int32
	work     *big.Int // cumulative from genesis
	parent   *hnode
	children []*hnode
}

// headerTree holds every validated header, forks included, and tracks the
// active chain (most cumulative work; the first seen wins ties).
type headerTree struct {
	params *chaincfg.Params
	nodes  map[chainhash.Hash]*hnode
	active []*hnode // active chain by height
}

func newHeaderTree(p *chaincfg.Params) *headerTree {
	g := &hnode{hash: *p.GenesisHash, header: p.GenesisBlock.Header, work: chain.Work(p.GenesisBlock.Header.Bits)}
	return &headerTree{params: p, nodes: map[chainhash.Hash]*hnode{g.hash: g}, active: []*hnode{g}}
}

// HeaderByHash implements chain.HeaderSource.
func (t *headerTree) HeaderByHash(h chainhash.Hash) (wire.BlockHeader, int32, bool) {
	n, ok := t.nodes[h]
	if !ok {
		return wire.BlockHeader{}, 0, false
	}
	return n.header, n.height, true
}

func (t *headerTree) tip() *hnode { return t.active[len(t.active)-1] }

// add validates h and inserts it. It reports whether h was new.
func (t *headerTree) add(h *wire.BlockHeader, now time.Time) (bool, error) {
	hash := h.BlockHash()
	if _, ok := t.nodes[hash]; ok {
		return false, nil
	}
	height, err := chain.ValidateHeader(t.params, t, h, now)
	if err != nil {
		return false, err
	}
	for _, cp := range t.params.Checkpoints {
		if cp.Height == height && *cp.Hash != hash {
			return false, fmt.Errorf("adapter: header %s at height %d contradicts checkpoint %s", hash, height, cp.Hash)
		}
	}
	parent := t.nodes[h.PrevBlock]
	n := &hnode{hash: hash, header: *h, height: height, parent: parent,
		work: new(big.Int).Add(parent.work, chain.Work(h.Bits))}
	parent.children = append(parent.children, n)
	t.nodes[hash] = n
	if n.work.Cmp(t.tip().work) > 0 {
		t.setTip(n)
	}
	return true, nil
}

// setTip makes n the active tip, rewinding to the fork point first.
func (t *headerTree) setTip(n *hnode) {
	var branch []*hnode
	for c := n; c != nil; c = c.parent {
		if int(c.height) < len(t.active) && t.active[c.height] == c {
			break
		}
		branch = append(branch, c)
	}
	if len(branch) == 0 {
		return
	}
	fork := branch[len(branch)-1].height
	t.active = t.active[:fork]
	for i := len(branch) - 1; i >= 0; i-- {
		t.active = append(t.active, branch[i])
	}
}

// locator returns a block locator for the active chain: the ten newest
// hashes, then exponentially sparser ones, then genesis.
func (t *headerTree) locator() []*chainhash.Hash {
	var loc []*chainhash.Hash
	step := int32(1)
	for h := t.tip().height; h > 0; h -= step {
		loc = append(loc, &t.active[h].hash)
		if len(loc) >= 10 {
			step *= 2
		}
	}
	return append(loc, &t.active[0].hash)
}

// lastCheckpoint returns the height of the network's last checkpoint, or 0.
func lastCheckpoint(p *chaincfg.Params) int32 {
	if len(p.Checkpoints) == 0 {
		return 0
	}
	return p.Checkpoints[len(p.Checkpoints)-1].Height
}
