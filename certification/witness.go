package certification

import (
	"bytes"
	"fmt"
)

// Witness returns a pruned copy of t that has the same digest and still
// proves every given path: a lookup of each path in the witness gives the
// same status and value as in t (Found values and Absent proofs are kept; a
// path that is Unknown in t stays Unknown). A path that ends at an inner node
// keeps that whole subtree. Everything else is replaced by Pruned digests.
// For an absent path the labels on either side of it are kept, with their
// subtrees pruned, as the IC does.
func Witness(t HashTree, paths [][][]byte) (HashTree, error) {
	if len(paths) == 0 {
		return Pruned(t.Digest()), nil
	}
	w, err := witness(t, paths, 1)
	if err != nil {
		return nil, fmt.Errorf("certification: witness: %w", err)
	}
	return w, nil
}

func witness(t HashTree, paths [][][]byte, depth int) (HashTree, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("tree deeper than %d", MaxDepth)
	}
	for _, p := range paths {
		if len(p) == 0 {
			return t, nil
		}
	}
	tails := map[int][][][]byte{}
	keep := map[int]bool{}
	if f, ok := t.(Fork); ok && f.memo != nil && f.memo.sorted {
		// A built level: find each label by descending the forks.
		for _, p := range paths {
			idx, n, ok := builtFind(t, p[0])
			if !ok {
				return nil, fmt.Errorf("malformed built level")
			}
			if n != nil {
				tails[idx] = append(tails[idx], p[1:])
				continue
			}
			if idx > 0 {
				keep[idx-1] = true
			}
			if idx < f.memo.elems {
				keep[idx] = true
			}
		}
		return witnessRebuild(t, tails, keep, depth)
	}
	forest := flattenForks(t, nil)
	for _, p := range paths {
		l := p[0]
		found, prev, next := -1, -1, -1
		for i, n := range forest {
			switch n := n.(type) {
			case Leaf:
				keep[i] = true
			case Labeled:
				switch c := bytes.Compare(n.Label, l); {
				case c == 0:
					found = i
				case c < 0:
					prev = i
				case next < 0:
					next = i
				}
			}
		}
		if found >= 0 {
			tails[found] = append(tails[found], p[1:])
			continue
		}
		if prev >= 0 {
			keep[prev] = true
		}
		if next >= 0 {
			keep[next] = true
		}
	}
	return witnessRebuild(t, tails, keep, depth)
}

// witnessRebuild prunes one level of t, keeping the forest elements in
// keep and descending into those in tails.
func witnessRebuild(t HashTree, tails map[int][][][]byte, keep map[int]bool, depth int) (HashTree, error) {
	w := witnessBuilder{tails: tails, keep: keep, depth: depth}
	r, err := w.rebuild(t)
	if err != nil {
		return nil, err
	}
	if !r.needed && r.nonEmpty {
		return Pruned(r.digest), nil
	}
	return r.tree, nil
}

type witnessBuilder struct {
	tails map[int][][][]byte
	keep  map[int]bool
	next  int // index of the next forest element
	depth int
}

type witnessResult struct {
	tree     HashTree
	digest   [32]byte // valid when !needed
	needed   bool     // the subtree holds an element that must stay revealed
	nonEmpty bool     // the subtree holds an element other than Empty
}

// touches reports whether a forest element in [from, to) is kept or has
// paths below it.
func (w *witnessBuilder) touches(from, to int) bool {
	for i := range w.tails {
		if i >= from && i < to {
			return true
		}
	}
	for i := range w.keep {
		if i >= from && i < to {
			return true
		}
	}
	return false
}

// rebuild walks the fork structure of one level, in the order flattenForks
// visits its elements.
func (w *witnessBuilder) rebuild(t HashTree) (witnessResult, error) {
	switch n := t.(type) {
	case Empty:
		return witnessResult{tree: n, digest: emptyDigest}, nil
	case Fork:
		if n.memo != nil && !w.touches(w.next, w.next+n.memo.elems) {
			// A built fork with nothing to reveal: its digest is known.
			w.next += n.memo.elems
			return witnessResult{tree: n, digest: n.memo.digest, nonEmpty: n.memo.elems > 0}, nil
		}
		l, err := w.rebuild(n.Left)
		if err != nil {
			return witnessResult{}, err
		}
		r, err := w.rebuild(n.Right)
		if err != nil {
			return witnessResult{}, err
		}
		res := witnessResult{needed: l.needed || r.needed, nonEmpty: l.nonEmpty || r.nonEmpty}
		if res.needed {
			// Prune whichever side is not needed (unless it is only
			// Empty nodes, which absence proofs rely on).
			lt, rt := l.tree, r.tree
			if !l.needed && l.nonEmpty {
				lt = Pruned(l.digest)
			}
			if !r.needed && r.nonEmpty {
				rt = Pruned(r.digest)
			}
			res.tree = Fork{Left: lt, Right: rt}
			return res, nil
		}
		res.digest = forkDigest(l.digest, r.digest)
		res.tree = Fork{Left: l.tree, Right: r.tree}
		return res, nil
	case nil:
		return witnessResult{}, fmt.Errorf("nil subtree")
	}
	i := w.next
	w.next++
	if tails, ok := w.tails[i]; ok {
		ln := t.(Labeled)
		sub, err := witness(ln.Tree, tails, w.depth+1)
		if err != nil {
			return witnessResult{}, err
		}
		return witnessResult{tree: Labeled{Label: ln.Label, Tree: sub}, needed: true, nonEmpty: true}, nil
	}
	if w.keep[i] {
		if ln, ok := t.(Labeled); ok {
			sub := ln.Tree
			if _, ok := sub.(Empty); !ok {
				sub = Pruned(sub.Digest())
			}
			return witnessResult{tree: Labeled{Label: ln.Label, Tree: sub}, needed: true, nonEmpty: true}, nil
		}
		return witnessResult{tree: t, needed: true, nonEmpty: true}, nil
	}
	return witnessResult{tree: t, digest: t.Digest(), nonEmpty: true}, nil
}
