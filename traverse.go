package memrel

import (
	"iter"
	"slices"
)

// Recursive traversal of a self-referential relation (comment replies,
// employee -> manager): iterative, so any depth is fine, and safe on cycles
// (each row is visited once).

// Descendants returns the rows below the row whose key is k, depth first:
// each child (in key order) followed by its own descendants, with its
// depth (1 for children). maxDepth > 0 stops the walk at that depth. The
// relation must be self-referential. In strict mode it is a lazy load. If
// the sequence cannot be read, or the transaction ends while it is ranged
// over, it yields nothing more and the transaction records the error (see
// Tx.Err).
func (r *Relation[C, P, K]) Descendants(tx *Tx, k K, maxDepth int) iter.Seq2[C, int] {
	return func(yield func(C, int) bool) {
		if !r.startWalk(tx, "Descendants", "Tree") {
			return
		}
		n := int64(0)
		defer func() { tx.addRows(r.info, n) }()
		root := encodeKey(r.pc, k)
		seen := map[string]bool{string(root): true}
		type item struct {
			key   []byte
			depth int
		}
		// A stack of children still to visit, each list in reverse key
		// order so that popping yields key order.
		stack := []item{{key: root}}
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			var c *rec
			if !tx.step(func() {
				if it.depth > 0 {
					c = tx.get(r.child, it.key)
				}
				if it.depth == 0 || c != nil && (maxDepth <= 0 || it.depth < maxDepth) {
					start := len(stack)
					for c := range tx.scan(r.child.name, r.info.index.mdb, it.key) {
						if !seen[string(c.pk())] {
							seen[string(c.pk())] = true
							stack = append(stack, item{key: c.pk(), depth: it.depth + 1})
						}
					}
					slices.Reverse(stack[start:])
				}
			}) {
				return
			}
			if c == nil {
				continue
			}
			n++
			if !yield(*c.row.(*C), it.depth) {
				return
			}
		}
	}
}

// Ancestors returns the rows above child: its parent (depth 1), the
// parent's parent, and so on, up to maxDepth (0: no limit) or to a row whose
// foreign key is NULL, stopping if the chain comes back on itself. It
// reports errors as Descendants does.
func (r *Relation[C, P, K]) Ancestors(tx *Tx, child C, maxDepth int) iter.Seq2[P, int] {
	return func(yield func(P, int) bool) {
		if !r.startWalk(tx, "Ancestors", "One") {
			return
		}
		k, ok := r.get(&child)
		if !ok {
			return
		}
		n := int64(0)
		defer func() { tx.addRows(r.info, n) }()
		key := encodeKey(r.pc, k)
		seen := map[string]bool{}
		if self, ok := any(child).(P); ok { // C is P: the relation is self-referential
			seen[string(r.pkey(nil, &self))] = true
		}
		for depth := 1; key != nil && (maxDepth <= 0 || depth <= maxDepth); depth++ {
			if seen[string(key)] {
				return // a cycle
			}
			seen[string(key)] = true
			var p *rec
			if !tx.step(func() { p = tx.parentRow(r.info, key) }) {
				return
			}
			if p == nil {
				return
			}
			n++
			if !yield(*p.row.(*P), depth) {
				return
			}
			key = p.key(r.info.index.slot)
		}
	}
}

// startWalk checks that a recursive walk can start in tx and counts its
// lazy load, recording any error for Err.
func (r *Relation[C, P, K]) startWalk(tx *Tx, how, eager string) bool {
	err := r.check(tx)
	if err == nil && r.info.child != r.info.parent {
		err = invalid("%s of %s: the relation is not self-referential", how, r.info.qname)
	}
	if err = tx.enter(err); err != nil {
		tx.failSeq(err)
		return false
	}
	defer tx.mu.Unlock()
	return r.lazy(tx, how, eager) == nil
}
