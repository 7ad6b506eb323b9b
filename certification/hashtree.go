package certification

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
)

// MaxDepth is the deepest nesting of hash tree nodes DecodeHashTree accepts
// (the root has depth 1), the limit the Internet Computer's own decoder uses
// (MAX_HASH_TREE_DEPTH in rs/crypto/tree_hash).
const MaxDepth = 128

// HashTree is a node of an IC hash tree: Empty, Fork, Labeled, Leaf or
// Pruned. A tree must not contain nil subtrees.
type HashTree interface {
	// Digest returns the root hash of the tree ("reconstruct" in the IC
	// interface specification).
	Digest() [32]byte
	hashTree()
}

// Empty is the empty tree.
type Empty struct{}

// Fork joins two trees; the labels of a well-formed forest are strictly
// increasing from Left to Right.
type Fork struct {
	Left, Right HashTree

	memo *forkMemo // set by BuildTree: computed once, never changed
}

// forkMemo is a built fork's digest and the number of forest elements
// (nodes other than forks and Empty) under it.
type forkMemo struct {
	digest [32]byte
	elems  int
	// sorted marks a fork built by balancedForks over Labeled nodes whose
	// labels strictly increase; first is then the label of its leftmost
	// element. Lookups and witnesses descend such forks instead of
	// scanning the level.
	sorted bool
	first  []byte
}

// Labeled attaches a label to a subtree.
type Labeled struct {
	Label []byte
	Tree  HashTree

	memo *[32]byte // set by BuildTree
}

// Leaf holds a value.
type Leaf []byte

// Pruned stands for a subtree that was removed; it holds that subtree's
// digest.
type Pruned [32]byte

func (Empty) hashTree()   {}
func (Fork) hashTree()    {}
func (Labeled) hashTree() {}
func (Leaf) hashTree()    {}
func (Pruned) hashTree()  {}

// Domain separators: one length byte followed by the string.
var (
	domainEmpty   = []byte("\x11ic-hashtree-empty")
	domainFork    = []byte("\x10ic-hashtree-fork")
	domainLabeled = []byte("\x13ic-hashtree-labeled")
	domainLeaf    = []byte("\x10ic-hashtree-leaf")
)

var emptyDigest = sha256.Sum256(domainEmpty)

// Digest returns H("\x11ic-hashtree-empty").
func (Empty) Digest() [32]byte { return emptyDigest }

// Digest returns H("\x10ic-hashtree-fork" || Left.Digest() || Right.Digest()).
// Trees made by BuildTree compute it once.
func (f Fork) Digest() [32]byte {
	if f.memo != nil {
		return f.memo.digest
	}
	return forkDigest(f.Left.Digest(), f.Right.Digest())
}

// Digest returns H("\x13ic-hashtree-labeled" || Label || Tree.Digest()).
// Trees made by BuildTree compute it once.
func (l Labeled) Digest() [32]byte {
	if l.memo != nil {
		return *l.memo
	}
	d := l.Tree.Digest()
	h := sha256.New()
	h.Write(domainLabeled)
	h.Write(l.Label)
	h.Write(d[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Digest returns H("\x10ic-hashtree-leaf" || value).
func (v Leaf) Digest() [32]byte {
	h := sha256.New()
	h.Write(domainLeaf)
	h.Write(v)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Digest returns the stored digest.
func (p Pruned) Digest() [32]byte { return p }

func forkDigest(l, r [32]byte) [32]byte {
	var buf [17 + 64]byte
	n := copy(buf[:], domainFork)
	n += copy(buf[n:], l[:])
	copy(buf[n:], r[:])
	return sha256.Sum256(buf[:])
}

// Node tags of the CBOR form of a hash tree.
const (
	tagEmpty   = 0
	tagFork    = 1
	tagLabeled = 2
	tagLeaf    = 3
	tagPruned  = 4
)

// DecodeHashTree decodes the CBOR form of a hash tree: [0] (Empty),
// [1, left, right] (Fork), [2, label, tree] (Labeled), [3, value] (Leaf) or
// [4, digest] (Pruned, exactly 32 bytes). Anything else is refused: other
// arities or types, non-shortest or indefinite-length encodings, trailing
// bytes, or nesting deeper than MaxDepth.
func DecodeHashTree(b []byte) (HashTree, error) {
	r := &cborReader{b: b}
	t, err := decodeTree(r, 1)
	if err != nil {
		return nil, fmt.Errorf("certification: decode hash tree: %w", err)
	}
	if r.remaining() != 0 {
		return nil, fmt.Errorf("certification: decode hash tree: %d trailing bytes", r.remaining())
	}
	return t, nil
}

func decodeTree(r *cborReader, depth int) (HashTree, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("tree deeper than %d", MaxDepth)
	}
	n, err := r.container(majorArray)
	if err != nil {
		return nil, err
	}
	m, tag, err := r.head()
	if err != nil {
		return nil, err
	}
	if m != majorUint {
		return nil, fmt.Errorf("node tag has major type %d", m)
	}
	var want int
	switch tag {
	case tagEmpty:
		want = 1
	case tagFork, tagLabeled:
		want = 3
	case tagLeaf, tagPruned:
		want = 2
	default:
		return nil, fmt.Errorf("unknown node tag %d", tag)
	}
	if n != want {
		return nil, fmt.Errorf("node tag %d with %d elements, want %d", tag, n, want)
	}
	switch tag {
	case tagEmpty:
		return Empty{}, nil
	case tagFork:
		l, err := decodeTree(r, depth+1)
		if err != nil {
			return nil, err
		}
		rt, err := decodeTree(r, depth+1)
		if err != nil {
			return nil, err
		}
		return Fork{Left: l, Right: rt}, nil
	case tagLabeled:
		label, err := r.byteString()
		if err != nil {
			return nil, fmt.Errorf("label: %w", err)
		}
		sub, err := decodeTree(r, depth+1)
		if err != nil {
			return nil, err
		}
		return Labeled{Label: bytes.Clone(label), Tree: sub}, nil
	case tagLeaf:
		v, err := r.byteString()
		if err != nil {
			return nil, fmt.Errorf("leaf: %w", err)
		}
		return Leaf(bytes.Clone(v)), nil
	default: // tagPruned
		v, err := r.byteString()
		if err != nil {
			return nil, fmt.Errorf("pruned: %w", err)
		}
		if len(v) != 32 {
			return nil, fmt.Errorf("pruned digest of %d bytes, want 32", len(v))
		}
		return Pruned(v), nil
	}
}

// EncodeHashTree returns the CBOR form of t (see DecodeHashTree).
func EncodeHashTree(t HashTree) ([]byte, error) {
	b, err := appendTree(nil, t, 1)
	if err != nil {
		return nil, fmt.Errorf("certification: encode hash tree: %w", err)
	}
	return b, nil
}

func appendTree(b []byte, t HashTree, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("tree deeper than %d", MaxDepth)
	}
	var err error
	switch t := t.(type) {
	case Empty:
		return append(b, 0x81, tagEmpty), nil
	case Fork:
		b = append(b, 0x83, tagFork)
		if b, err = appendTree(b, t.Left, depth+1); err != nil {
			return nil, err
		}
		return appendTree(b, t.Right, depth+1)
	case Labeled:
		b = appendBytes(append(b, 0x83, tagLabeled), t.Label)
		return appendTree(b, t.Tree, depth+1)
	case Leaf:
		return appendBytes(append(b, 0x82, tagLeaf), t), nil
	case Pruned:
		return appendBytes(append(b, 0x82, tagPruned), t[:]), nil
	default:
		return nil, fmt.Errorf("invalid node %T", t)
	}
}

// LookupStatus is the outcome of a lookup, as the IC interface specification
// defines it.
type LookupStatus int

const (
	// Absent: the tree proves that the path is not present.
	Absent LookupStatus = iota
	// Unknown: a pruned subtree could hold the path.
	Unknown
	// Found: the path leads to a value (or, for LookupSubtree, a subtree).
	Found
	// Error: the path ends at a fork or labeled node instead of a leaf, or
	// the tree is not well formed (labels out of order, leaves mixed with
	// labels) where the lookup passes.
	Error
)

// String returns "absent", "unknown", "found" or "error".
func (s LookupStatus) String() string {
	switch s {
	case Absent:
		return "absent"
	case Unknown:
		return "unknown"
	case Found:
		return "found"
	case Error:
		return "error"
	}
	return fmt.Sprintf("LookupStatus(%d)", int(s))
}

// Lookup looks a path up in t with the semantics of the IC interface
// specification (section "Lookup"): Found with the leaf's value, Absent when
// the labels around the path's position are revealed and the path is not
// among them, Unknown when a pruned subtree is where the path would be, and
// Error when the path ends at an inner node. Labels are compared as byte
// strings. The returned value aliases the tree.
func Lookup(t HashTree, path [][]byte) (LookupStatus, []byte) {
	status, sub := lookupPath(t, path)
	if status != Found {
		return status, nil
	}
	switch sub := sub.(type) {
	case Leaf:
		return Found, sub
	case Empty:
		return Absent, nil
	case Pruned:
		return Unknown, nil
	default:
		return Error, nil
	}
}

// LookupSubtree returns the subtree at path: Found with any revealed node
// (leaf or inner node), Unknown when the path leads into or onto a pruned
// subtree, Absent when the tree proves the path absent.
func LookupSubtree(t HashTree, path [][]byte) (LookupStatus, HashTree) {
	status, sub := lookupPath(t, path)
	if status != Found {
		return status, nil
	}
	if _, ok := sub.(Pruned); ok {
		return Unknown, nil
	}
	return Found, sub
}

func lookupPath(t HashTree, path [][]byte) (LookupStatus, HashTree) {
	for _, label := range path {
		if _, n, ok := builtFind(t, label); ok {
			// A built level: every label is revealed, so a label that
			// is not there is absent.
			if n == nil {
				return Absent, nil
			}
			t = n.Tree
			continue
		}
		f := labelFinder{label: label}
		f.visit(t)
		status, sub := f.result()
		if status != Found {
			return status, nil
		}
		t = sub
	}
	return Found, t
}

// flattenForks appends the non-fork nodes of t, left to right, to dst.
// Empty contributes nothing.
func flattenForks(t HashTree, dst []HashTree) []HashTree {
	for {
		switch n := t.(type) {
		case Empty:
			return dst
		case Fork:
			dst = flattenForks(n.Left, dst)
			t = n.Right
		default:
			return append(dst, t)
		}
	}
}

// labelFinder is find_label of the specification, computed in one pass over
// the forest flatten_forks(t) without building it. It also checks that the
// forest is well formed (labels strictly increasing, no leaf beside other
// nodes) and gives Error otherwise.
type labelFinder struct {
	label       []byte
	count       int    // forest elements visited
	prevLabeled bool   // the previous element is a Labeled node
	prevLabel   []byte // the last label visited
	leaf        bool   // a Leaf was visited
	unordered   bool   // labels not strictly increasing
	decided     bool   // status is final (unless the forest is malformed)
	status      LookupStatus
	found       HashTree
}

func (f *labelFinder) visit(t HashTree) {
	for {
		switch n := t.(type) {
		case Empty:
			return
		case Fork:
			f.visit(n.Left)
			t = n.Right
			continue
		case Leaf:
			f.count++
			f.leaf, f.prevLabeled = true, false
		case Labeled:
			f.count++
			if f.prevLabel != nil && bytes.Compare(f.prevLabel, n.Label) >= 0 {
				f.unordered = true
			}
			if !f.decided {
				switch c := bytes.Compare(f.label, n.Label); {
				case c == 0:
					f.decided, f.status, f.found = true, Found, n.Tree
				case c < 0:
					// The label sorts before this one: absent if nothing
					// or a revealed (smaller) label precedes it, unknown
					// if a pruned node does.
					f.decided, f.status = true, Unknown
					if f.count == 1 || f.prevLabeled {
						f.status = Absent
					}
				}
			}
			f.prevLabel, f.prevLabeled = n.Label, true
			if f.prevLabel == nil {
				f.prevLabel = []byte{}
			}
		default: // Pruned
			f.count++
			f.prevLabeled = false
		}
		return
	}
}

func (f *labelFinder) result() (LookupStatus, HashTree) {
	switch {
	case f.leaf && f.count == 1:
		return Absent, nil
	case f.leaf || f.unordered:
		return Error, nil
	case f.decided:
		return f.status, f.found
	case f.count == 0 || f.prevLabeled:
		// Empty forest, or the label sorts after the last element, which
		// is a revealed label.
		return Absent, nil
	default:
		return Unknown, nil
	}
}

// Labels returns the revealed labels directly under t, in tree order.
func Labels(t HashTree) [][]byte {
	var out [][]byte
	for _, n := range flattenForks(t, nil) {
		if l, ok := n.(Labeled); ok {
			out = append(out, l.Label)
		}
	}
	return out
}

// PathValue is a path in a labeled tree and the value stored there.
type PathValue struct {
	Path  [][]byte
	Value []byte
}

// PathTree is a subtree at a path, for BuildTreeWith.
type PathTree struct {
	Path [][]byte
	Tree HashTree
}

// Leaves returns every revealed leaf under t with its path relative to t
// (lookup* of the specification): the leaves in tree order.
func Leaves(t HashTree) []PathValue {
	var out []PathValue
	var walk func(t HashTree, prefix [][]byte, depth int)
	walk = func(t HashTree, prefix [][]byte, depth int) {
		if depth > MaxDepth {
			return
		}
		switch n := t.(type) {
		case Leaf:
			out = append(out, PathValue{Path: append([][]byte(nil), prefix...), Value: n})
		case Fork:
			walk(n.Left, prefix, depth+1)
			walk(n.Right, prefix, depth+1)
		case Labeled:
			walk(n.Tree, append(prefix[:len(prefix):len(prefix)], n.Label), depth+1)
		}
	}
	walk(t, nil, 1)
	return out
}

// Path builds a path from text labels.
func Path(labels ...string) [][]byte {
	p := make([][]byte, len(labels))
	for i, l := range labels {
		p[i] = []byte(l)
	}
	return p
}

// BuildTree builds a well-formed labeled hash tree holding the given values:
// at every level the labels are strictly increasing and joined by a balanced
// binary tree of forks. Paths must be non-empty, distinct, and no path may be
// a prefix of another (a node is either a leaf or has children). No entries
// give Empty.
func BuildTree(entries []PathValue) (HashTree, error) {
	return BuildTreeWith(entries, nil)
}

// BuildTreeWith is BuildTree with subtrees put at some paths, as if they
// were leaves: a subtree built once (by NewLabeled or BuildTree, whose
// digests are computed once) can be reused in many trees.
func BuildTreeWith(entries []PathValue, subtrees []PathTree) (HashTree, error) {
	root := &buildNode{}
	add := func(path [][]byte, value []byte, sub HashTree) error {
		if len(path) == 0 {
			return errors.New("certification: build tree: empty path")
		}
		n := root
		for i, label := range path {
			if n.leaf {
				return fmt.Errorf("certification: build tree: path %q extends a leaf", path)
			}
			if n.children == nil {
				n.children = map[string]*buildNode{}
			}
			c, ok := n.children[string(label)]
			if !ok {
				c = &buildNode{}
				n.children[string(label)] = c
			}
			n = c
			if i == len(path)-1 {
				if n.leaf || len(n.children) > 0 {
					return fmt.Errorf("certification: build tree: path %q given twice or is a prefix of another", path)
				}
				n.leaf, n.value, n.sub = true, value, sub
			}
		}
		return nil
	}
	for _, e := range entries {
		if err := add(e.Path, e.Value, nil); err != nil {
			return nil, err
		}
	}
	for _, e := range subtrees {
		if e.Tree == nil {
			return nil, fmt.Errorf("certification: build tree: nil subtree at %q", e.Path)
		}
		if err := add(e.Path, nil, e.Tree); err != nil {
			return nil, err
		}
	}
	return root.tree(), nil
}

type buildNode struct {
	leaf     bool
	value    []byte
	sub      HashTree
	children map[string]*buildNode
}

func (n *buildNode) tree() HashTree {
	if n.leaf && n.sub != nil {
		return n.sub
	}
	if n.leaf {
		return Leaf(bytes.Clone(n.value))
	}
	labels := make([]string, 0, len(n.children))
	for l := range n.children {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	nodes := make([]HashTree, len(labels))
	for i, l := range labels {
		nodes[i] = NewLabeled([]byte(l), n.children[l].tree())
	}
	return balancedForks(nodes)
}

func balancedForks(nodes []HashTree) HashTree {
	switch len(nodes) {
	case 0:
		return Empty{}
	case 1:
		return nodes[0]
	}
	mid := len(nodes) / 2
	l, r := balancedForks(nodes[:mid]), balancedForks(nodes[mid:])
	m := &forkMemo{digest: forkDigest(l.Digest(), r.Digest()), elems: forestElems(l) + forestElems(r)}
	m.first, m.sorted = sortedFirst(l)
	if _, ok := sortedFirst(r); !ok {
		m.sorted = false
	}
	return Fork{Left: l, Right: r, memo: m}
}

// sortedFirst returns the first label of a Labeled node or of a sorted
// built fork, and whether t is one of those.
func sortedFirst(t HashTree) ([]byte, bool) {
	switch n := t.(type) {
	case Labeled:
		return n.Label, true
	case Fork:
		if n.memo != nil && n.memo.sorted {
			return n.memo.first, true
		}
	}
	return nil, false
}

// builtFind locates label in a level that is a sorted built fork (see
// forkMemo) by descending it: idx is the index of the first forest element
// whose label is not below label, found that element when its label is
// label. ok is false when t is not such a level (the caller then scans
// it). Callers build sorted forks only from labels they sorted and
// checked, so the descent gives what a scan of the level gives.
func builtFind(t HashTree, label []byte) (idx int, found *Labeled, ok bool) {
	if f, isFork := t.(Fork); !isFork || f.memo == nil || !f.memo.sorted {
		return 0, nil, false
	}
	for {
		switch n := t.(type) {
		case Fork:
			first, ok := sortedFirst(n.Right)
			if !ok {
				return 0, nil, false
			}
			if bytes.Compare(label, first) >= 0 {
				idx += forestElems(n.Left)
				t = n.Right
			} else {
				t = n.Left
			}
		case Labeled:
			switch c := bytes.Compare(label, n.Label); {
			case c == 0:
				return idx, &n, true
			case c > 0:
				idx++
			}
			return idx, nil, true
		default:
			return 0, nil, false
		}
	}
}

// forestElems counts the forest elements of t (flattenForks), in constant
// time for built forks.
func forestElems(t HashTree) int {
	switch n := t.(type) {
	case Empty:
		return 0
	case Fork:
		if n.memo != nil {
			return n.memo.elems
		}
		return forestElems(n.Left) + forestElems(n.Right)
	}
	return 1
}

// Forest joins labeled subtrees, whose labels must be strictly increasing,
// with a balanced binary tree of forks, as BuildTree does at every level
// (no nodes give Empty). Built from NewLabeled nodes that are kept between
// calls, it hashes only the forks.
func Forest(nodes []Labeled) (HashTree, error) {
	ts := make([]HashTree, len(nodes))
	for i, n := range nodes {
		if i > 0 && bytes.Compare(nodes[i-1].Label, n.Label) >= 0 {
			return nil, fmt.Errorf("certification: forest labels not strictly increasing at %d", i)
		}
		if n.Tree == nil {
			return nil, fmt.Errorf("certification: forest node %d has no subtree", i)
		}
		ts[i] = n
	}
	return balancedForks(ts), nil
}

// NewLabeled returns Labeled{label, t} with its digest computed once, for
// a subtree that is reused in many trees (see PathValue.Tree).
func NewLabeled(label []byte, t HashTree) Labeled {
	l := Labeled{Label: label, Tree: t}
	d := l.Digest()
	l.memo = &d
	return l
}
