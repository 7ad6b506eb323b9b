package certification

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
)

// LabelTrie is an immutable set of labeled subtrees whose labels all have
// the same length, joined by forks in the shape of a crit-bit tree: a set
// of two or more labels forks at the first bit in which its smallest and
// largest labels differ, labels with that bit clear on the left. The shape
// is a function of the set alone (CritBitForest builds it from a sorted
// list), labels increase from left to right as in every well-formed
// forest, and Set and Delete rehash only the forks above the changed label:
// a set of many request statuses of which a few change per height costs
// those few, not all of them. The zero value and nil are the empty set.
type LabelTrie struct {
	root *trieNode
	klen int
}

type trieNode struct {
	bit         int // the critical bit of an inner node; -1 for a leaf
	left, right *trieNode
	tree        HashTree // the Labeled node (leaf) or the Fork (inner)
	first       []byte   // the smallest label below
	elems       int
}

func (n *trieNode) digest() [32]byte { return n.tree.Digest() }

// labelBit returns bit i of label, counting from the most significant bit
// of the first byte.
func labelBit(label []byte, i int) int {
	return int(label[i/8]>>(7-i%8)) & 1
}

// critBit returns the first bit in which a and b (of one length) differ,
// or 8·len(a) if they are equal.
func critBit(a, b []byte) int {
	for i := range a {
		if x := a[i] ^ b[i]; x != 0 {
			n := 0
			for x&0x80 == 0 {
				x <<= 1
				n++
			}
			return 8*i + n
		}
	}
	return 8 * len(a)
}

func trieLeaf(l Labeled) *trieNode {
	if l.memo == nil {
		l = NewLabeled(l.Label, l.Tree)
	}
	return &trieNode{bit: -1, tree: l, first: l.Label, elems: 1}
}

func trieInner(bit int, l, r *trieNode) *trieNode {
	m := &forkMemo{digest: forkDigest(l.digest(), r.digest()), elems: l.elems + r.elems, sorted: true, first: l.first}
	return &trieNode{bit: bit, left: l, right: r, tree: Fork{Left: l.tree, Right: r.tree, memo: m}, first: l.first, elems: m.elems}
}

// Len returns the number of labels in the set.
func (t *LabelTrie) Len() int {
	if t == nil || t.root == nil {
		return 0
	}
	return t.root.elems
}

// Tree returns the forest of the set (Empty when it is empty).
func (t *LabelTrie) Tree() HashTree {
	if t == nil || t.root == nil {
		return Empty{}
	}
	return t.root.tree
}

// Set returns the set with l added, or replacing the subtree of its label.
func (t *LabelTrie) Set(l Labeled) (*LabelTrie, error) {
	if l.Tree == nil {
		return nil, errors.New("certification: label trie: nil subtree")
	}
	if t == nil || t.root == nil {
		return &LabelTrie{root: trieLeaf(l), klen: len(l.Label)}, nil
	}
	if len(l.Label) != t.klen {
		return nil, fmt.Errorf("certification: label trie: label of %d bytes in a set of %d-byte labels", len(l.Label), t.klen)
	}
	return &LabelTrie{root: trieSet(t.root, l), klen: t.klen}, nil
}

func trieSet(n *trieNode, l Labeled) *trieNode {
	d := critBit(n.first, l.Label)
	if n.bit < 0 {
		if d == 8*len(l.Label) {
			return trieLeaf(l)
		}
		if labelBit(l.Label, d) == 0 {
			return trieInner(d, trieLeaf(l), n)
		}
		return trieInner(d, n, trieLeaf(l))
	}
	if d < n.bit {
		if labelBit(l.Label, d) == 0 {
			return trieInner(d, trieLeaf(l), n)
		}
		return trieInner(d, n, trieLeaf(l))
	}
	if labelBit(l.Label, n.bit) == 0 {
		return trieInner(n.bit, trieSet(n.left, l), n.right)
	}
	return trieInner(n.bit, n.left, trieSet(n.right, l))
}

// Delete returns the set without label (the same set if it is not there).
func (t *LabelTrie) Delete(label []byte) *LabelTrie {
	if t == nil || t.root == nil || len(label) != t.klen {
		return t
	}
	r, changed := trieDelete(t.root, label)
	if !changed {
		return t
	}
	return &LabelTrie{root: r, klen: t.klen}
}

func trieDelete(n *trieNode, label []byte) (*trieNode, bool) {
	if n.bit < 0 {
		if bytes.Equal(n.first, label) {
			return nil, true
		}
		return n, false
	}
	if labelBit(label, n.bit) == 0 {
		l, ok := trieDelete(n.left, label)
		switch {
		case !ok:
			return n, false
		case l == nil:
			return n.right, true
		}
		return trieInner(n.bit, l, n.right), true
	}
	r, ok := trieDelete(n.right, label)
	switch {
	case !ok:
		return n, false
	case r == nil:
		return n.left, true
	}
	return trieInner(n.bit, n.left, r), true
}

// CritBitForest joins labeled subtrees, whose labels must be strictly
// increasing and of one length, in the shape of LabelTrie: the tree a
// LabelTrie holding them gives. No nodes give Empty.
func CritBitForest(nodes []Labeled) (HashTree, error) {
	for i, n := range nodes {
		if i > 0 && bytes.Compare(nodes[i-1].Label, n.Label) >= 0 {
			return nil, fmt.Errorf("certification: forest labels not strictly increasing at %d", i)
		}
		if len(n.Label) != len(nodes[0].Label) {
			return nil, fmt.Errorf("certification: crit-bit forest: labels of %d and %d bytes", len(nodes[0].Label), len(n.Label))
		}
		if n.Tree == nil {
			return nil, fmt.Errorf("certification: forest node %d has no subtree", i)
		}
	}
	if len(nodes) == 0 {
		return Empty{}, nil
	}
	return critBuild(nodes).tree, nil
}

// TrieOf returns the LabelTrie of nodes (as CritBitForest takes them).
func TrieOf(nodes []Labeled) (*LabelTrie, error) {
	if _, err := CritBitForest(nodes); err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return &LabelTrie{}, nil
	}
	return &LabelTrie{root: critBuild(nodes), klen: len(nodes[0].Label)}, nil
}

func critBuild(nodes []Labeled) *trieNode {
	if len(nodes) == 1 {
		return trieLeaf(nodes[0])
	}
	b := critBit(nodes[0].Label, nodes[len(nodes)-1].Label)
	split := sort.Search(len(nodes), func(i int) bool { return labelBit(nodes[i].Label, b) == 1 })
	return trieInner(b, critBuild(nodes[:split]), critBuild(nodes[split:]))
}

// Get returns the labeled subtree of label, if the set has it.
func (t *LabelTrie) Get(label []byte) (Labeled, bool) {
	if t == nil || t.root == nil || len(label) != t.klen {
		return Labeled{}, false
	}
	n := t.root
	for n.bit >= 0 {
		if labelBit(label, n.bit) == 0 {
			n = n.left
		} else {
			n = n.right
		}
	}
	if !bytes.Equal(n.first, label) {
		return Labeled{}, false
	}
	return n.tree.(Labeled), true
}

// Nodes returns the set's labeled subtrees in label order.
func (t *LabelTrie) Nodes() []Labeled {
	if t == nil || t.root == nil {
		return nil
	}
	out := make([]Labeled, 0, t.root.elems)
	var walk func(n *trieNode)
	walk = func(n *trieNode) {
		if n.bit < 0 {
			out = append(out, n.tree.(Labeled))
			return
		}
		walk(n.left)
		walk(n.right)
	}
	walk(t.root)
	return out
}
