package canisters

import (
	"bytes"
	"crypto/sha256"
	"math/bits"
	"slices"

	"github.com/chainkey/chainkey/execution"
	"github.com/chainkey/chainkey/replica/subnet"
)

// zeroPageHash is the leaf of a page of zeros (a page the store does not
// hold).
var zeroPageHash = sha256.Sum256(zeroPage)

// pageTree is a binary hash tree over the 4 KiB pages of one memory, kept
// so that a height hashes only the pages it changed: a leaf is the
// SHA-256 of a page, an inner node the SHA-256 of 0x01 and its two
// children, and the leaves beyond the memory's end are those of zero
// pages. The tree also says which pages the store holds: exactly those
// whose leaf is not a zero page's.
type pageTree struct {
	n int // pages of the memory
	// nodes is the tree in heap order (root at 1, leaves from cap), nil
	// for a memory of no pages.
	nodes [][32]byte
}

func (t *pageTree) leafBase() int { return len(t.nodes) / 2 }

// emptyTrees[k] is the root of a tree of 2^k zero pages.
var emptyTrees = func() [41][32]byte {
	var out [41][32]byte
	out[0] = zeroPageHash
	for k := 1; k < len(out); k++ {
		out[k] = innerHash(&out[k-1], &out[k-1])
	}
	return out
}()

func innerHash(l, r *[32]byte) [32]byte {
	var b [65]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[33:], r[:])
	return sha256.Sum256(b[:])
}

// resize makes room for n pages; pages beyond the old end are zero.
func (t *pageTree) resize(n int) {
	if n <= t.leafBase() {
		t.n = max(t.n, n)
		return
	}
	capacity := 1 << bits.Len(uint(n-1))
	nodes := make([][32]byte, 2*capacity)
	for i := range capacity {
		nodes[capacity+i] = zeroPageHash
		if i < t.n {
			nodes[capacity+i] = t.nodes[t.leafBase()+i]
		}
	}
	for i := capacity - 1; i >= 1; i-- {
		nodes[i] = innerHash(&nodes[2*i], &nodes[2*i+1])
	}
	t.nodes, t.n = nodes, n
}

// set changes the leaf of page i (below the size) without updating the
// inner nodes.
func (t *pageTree) set(i int, h [32]byte) { t.nodes[t.leafBase()+i] = h }

func (t *pageTree) stored(i int) bool { return t.nodes[t.leafBase()+i] != zeroPageHash }

// fix recomputes the inner nodes above the given leaves (in increasing
// order).
func (t *pageTree) fix(leaves []int) {
	base := t.leafBase()
	level := make([]int, 0, len(leaves))
	for _, i := range leaves {
		p := (base + i) / 2
		if len(level) == 0 || level[len(level)-1] != p {
			level = append(level, p)
		}
	}
	for len(level) > 0 && level[0] >= 1 {
		next := level[:0:0]
		for _, p := range level {
			t.nodes[p] = innerHash(&t.nodes[2*p], &t.nodes[2*p+1])
			if q := p / 2; q >= 1 && (len(next) == 0 || next[len(next)-1] != q) {
				next = append(next, q)
			}
		}
		level = next
	}
}

// root is the tree's root hash (that of an empty tree for no pages).
func (t *pageTree) root() [32]byte {
	if len(t.nodes) == 0 {
		return emptyTrees[0]
	}
	return t.nodes[1]
}

// zeroPage is a page of zeros to compare with (bytes.Equal is
// vectorised).
var zeroPage = make([]byte, PageSize)

func isZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), PageSize)
		if !bytes.Equal(b[:n], zeroPage[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

// applyPages writes the pages a checkpoint lists for one memory (kind 'm'
// or 's') and updates the tree: a page of zeros is deleted from the store,
// any other page is written unless its hash is the one already written.
// With reset the memory starts from zeros (every stored page is deleted
// first). It returns the number of pages written.
func (t *pageTree) applyPages(w subnet.Writer, id []byte, kind byte, reset bool, size uint64, pages []execution.Page) int {
	n := int((size + PageSize - 1) / PageSize)
	whole := reset || n < t.n
	if whole {
		// A replaced (or, never in practice, shrunk) memory: the tree is
		// built again.
		from := n
		if reset {
			from = 0
		}
		for i := from; i < t.n; i++ {
			if t.stored(i) {
				w.Delete(pageKey(id, kind, i))
			}
		}
		old := *t
		*t = pageTree{}
		if n > 0 {
			capacity := 1 << bits.Len(uint(n-1))
			t.nodes, t.n = make([][32]byte, 2*capacity), n
			for i := range capacity {
				t.nodes[capacity+i] = zeroPageHash
				if !reset && i < n {
					t.nodes[capacity+i] = old.nodes[old.leafBase()+i]
				}
			}
		}
	} else {
		t.resize(n)
	}
	written := 0
	var changed []int
	for _, p := range pages {
		i := int(p.Index)
		if i >= n {
			continue
		}
		h := zeroPageHash
		if !isZero(p.Data) {
			h = sha256.Sum256(p.Data)
		}
		if h == t.nodes[t.leafBase()+i] {
			continue
		}
		if h == zeroPageHash {
			w.Delete(pageKey(id, kind, i))
		} else {
			w.Set(pageKey(id, kind, i), p.Data)
			written++
		}
		t.set(i, h)
		changed = append(changed, i)
	}
	switch {
	case whole:
		for i := len(t.nodes)/2 - 1; i >= 1; i-- {
			t.nodes[i] = innerHash(&t.nodes[2*i], &t.nodes[2*i+1])
		}
	case len(changed) > 0:
		slices.Sort(changed)
		t.fix(slices.Compact(changed))
	}
	return written
}

// deleteAll deletes every stored page of the memory.
func (t *pageTree) deleteAll(w subnet.Writer, id []byte, kind byte) {
	for i := range t.n {
		if t.stored(i) {
			w.Delete(pageKey(id, kind, i))
		}
	}
}

// treeOf builds the tree of a whole memory.
func treeOf(mem []byte) pageTree {
	var t pageTree
	n := (len(mem) + PageSize - 1) / PageSize
	if n == 0 {
		return t
	}
	capacity := 1 << bits.Len(uint(n-1))
	t.nodes = make([][32]byte, 2*capacity)
	t.n = n
	for i := range capacity {
		t.nodes[capacity+i] = zeroPageHash
		if i < n {
			page := mem[i*PageSize : min(len(mem), (i+1)*PageSize)]
			if !isZero(page) {
				t.nodes[capacity+i] = sha256.Sum256(page)
			}
		}
	}
	for i := capacity - 1; i >= 1; i-- {
		t.nodes[i] = innerHash(&t.nodes[2*i], &t.nodes[2*i+1])
	}
	return t
}
