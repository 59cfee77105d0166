package memrel

import (
	"bytes"
	"slices"
)

// This file is the integrity engine. It works on records (encoded keys and
// an opaque row) and never on a row's fields, so every front shares it.
//
// Every operation runs the same way:
//
//  1. The row write itself, with RESTRICT and unique checks at once.
//  2. Referential actions, from an explicit stack of frames rather than by
//     recursion, so a chain of any depth cascades. Frames run in the order
//     SQLite's recursive triggers would: depth first, relation by relation,
//     child by child.
//  3. The NO ACTION checks, when nothing is left on the stack; checks of
//     deferred relations are kept for Commit.
//
// Every change is logged; if any step rejects the operation, the log is
// replayed backwards and the transaction is as it was before the operation.

// writeMode says whether a write may, must, or must not replace a row.
type writeMode uint8

const (
	mustBeNew writeMode = iota
	mustExist
	mayExist
)

// frame is a referential action waiting to run: for a relation, on the
// children of a parent key (child == nil); or on one child.
type frame struct {
	rel      *relInfo
	old, new []byte // the parent's old key, and its new one (nil on delete)
	del      bool
	child    *rec // the child as the relation's frame found it, for a per-child frame
}

// check is a NO ACTION check for the end of the operation: that a parent key
// no longer referenced (parent), or that a written row's foreign keys are
// satisfied.
type check struct {
	ti     *tableInfo
	key    []byte
	ref    *indexInfo // for a parent check: the unique index key is of (nil: the primary key)
	parent bool
	del    bool // for a parent check: deleted, rather than re-keyed
}

// parentRow returns the row of rel's parent table whose referenced key
// (its primary key, or a value of the unique index rel references) is k,
// or nil.
func (tx *Tx) parentRow(rel *relInfo, k []byte) *rec {
	return tx.keyed(rel.parent, rel.ref, k)
}

// keyed returns the row of ti whose key k is in ref (nil: the primary key).
func (tx *Tx) keyed(ti *tableInfo, ref *indexInfo, k []byte) *rec {
	if ref == nil {
		return tx.get(ti, k)
	}
	return tx.holder(ti, ref, k)
}

// refKey returns parent row r's key that rel references (nil for NULL).
func (rel *relInfo) refKey(r *rec) []byte {
	if rel.ref == nil {
		return r.pk()
	}
	return r.key(rel.ref.slot)
}

// formatParent renders rel's referenced key k of the parent table: its
// primary key ("1"), or the index and its value (`email "ann@example.com"`).
func (rel *relInfo) formatParent(k []byte) string {
	if rel.ref == nil {
		return rel.parent.front.formatKey(k)
	}
	return rel.ref.name + " " + rel.format(k)
}

// notFound is a NotFoundError for the parent of rel with referenced key k.
func (rel *relInfo) notFound(op Op, k []byte, via string) error {
	return &NotFoundError{Op: op, Table: rel.parent.name, Key: rel.formatParent(k), Via: via}
}

// finish completes an operation whose own write returned err: it runs the
// queued actions, then the NO ACTION checks. The caller rolls back to its
// mark if finish returns an error.
func (tx *Tx) finish(err error) error {
	if err != nil {
		return err
	}
	if err := tx.runActions(); err != nil {
		return err
	}
	for _, c := range tx.w.checks {
		if v := tx.verifyCheck(c, true); v != nil {
			return v
		}
	}
	tx.w.checks = tx.w.checks[:0]
	return nil
}

// runActions runs the referential actions queued so far, and those they
// queue, to the end.
func (tx *Tx) runActions() error {
	for len(tx.w.stack) > 0 {
		f := tx.w.stack[len(tx.w.stack)-1]
		tx.w.stack = tx.w.stack[:len(tx.w.stack)-1]
		if err := tx.run(f); err != nil {
			return err
		}
	}
	return nil
}

// write stores r in table ti. With oldKey set, it replaces the row with that
// key (UpdateKey); otherwise the row with r's own key, as mode allows. A
// fresh key is known to be absent.
func (tx *Tx) write(ti *tableInfo, oldKey []byte, r *rec, mode writeMode, fresh bool) error {
	key := r.pk()
	if oldKey != nil {
		key = oldKey
	}
	var old *rec
	if !fresh || oldKey != nil {
		old = tx.get(ti, key)
	}
	tx.op = OpUpdate
	if old == nil || mode == mustBeNew {
		tx.op = OpInsert
	}
	switch {
	case old != nil && mode == mustBeNew:
		return tx.violation(ErrUnique, ti, r.pk(), ti.name+".primary key", ti.prefix+ti.front.formatKey(old.pk()))
	case old == nil && mode == mustExist:
		return notFound(OpUpdate, ti, r.pk(), "")
	}
	return tx.replace(ti, old, r, cause{})
}

// replace writes nw in place of old (nil for a new row). It is the one way
// a row is written, by an operation or by an action. Unique checks come
// first, then the write, then RESTRICT on a changed key (so a re-keyed row
// that still references its old key restricts itself, as in SQLite and
// PostgreSQL), then the ON UPDATE actions are queued.
func (tx *Tx) replace(ti *tableInfo, old, nw *rec, why cause) error {
	rekeyed := old != nil && !bytes.Equal(old.pk(), nw.pk())
	if rekeyed {
		if other := tx.get(ti, nw.pk()); other != nil {
			return tx.violation(ErrUnique, ti, nw.pk(), ti.name+".primary key", ti.prefix+ti.front.formatKey(other.pk()))
		}
	}
	for _, ix := range ti.indexes {
		k := nw.key(ix.slot)
		if !ix.unique || k == nil || old != nil && !rekeyed && bytes.Equal(old.key(ix.slot), k) {
			continue
		}
		if other := tx.holder(ti, ix, k); other != nil && other != old {
			v := tx.violation(ErrUnique, ti, nw.pk(), ti.name+"."+ix.name, ti.prefix+ti.front.formatKey(other.pk()))
			if ix.format != nil {
				v.Value = ix.format(k)
			}
			return v
		}
	}
	// An operation's own write that keeps its key runs no actions, so
	// nothing later in the operation can add or remove the parents it
	// references: check them now, before writing anything. (A row of a
	// set-based statement is the exception: a later row of the statement
	// may be the parent it references.) Every other
	// write is checked when the operation ends, whether or not its
	// references changed: a SET DEFAULT may write back the very key being
	// deleted, and a deferred check queued under a re-keyed row's old key
	// would find no row at commit.
	if why.rel == nil && !rekeyed && !why.statement {
		if err := tx.checkRefs(ti, old, nw); err != nil {
			return err
		}
	} else {
		tx.w.checks = append(tx.w.checks, check{ti: ti, key: nw.pk()})
	}
	if rekeyed {
		must(tx.mtx.Delete(ti.name, old))
		tx.note(ti, old.pk(), nil)
	}
	must(tx.mtx.Insert(ti.name, nw))
	tx.note(ti, nw.pk(), nw)
	if old == nil {
		tx.counted(ti, 1)
	}
	tx.w.undo = append(tx.w.undo, undo{ti: ti, old: old, new: nw, why: why})
	if rekeyed && ti.intKey != nil {
		tx.raiseSeq(ti, nw.pk())
	}
	if rekeyed || old != nil && ti.refsUnique {
		return tx.released(ti, old, nw)
	}
	return nil
}

// checkRefs checks nw's changed foreign keys against their parents before
// nw is written. A row may reference itself; a deferred relation's check is
// queued for Commit.
func (tx *Tx) checkRefs(ti *tableInfo, old, nw *rec) error {
	queued := false
	for _, rel := range ti.out {
		s := rel.index.slot
		fk := nw.key(s)
		if fk == nil || old != nil && bytes.Equal(old.key(s), fk) {
			continue
		}
		if rel.parent == ti && bytes.Equal(fk, rel.refKey(nw)) || tx.parentRow(rel, fk) != nil {
			continue
		}
		if rel.deferred || tx.w.deferAll {
			if !queued {
				tx.w.pending = append(tx.w.pending, check{ti: ti, key: nw.pk()})
				queued = true
			}
			continue
		}
		return tx.missingParent(ti, nw.pk(), rel, fk)
	}
	return nil
}

// action returns rel's action for its parent's deletion (del) or re-key.
func (rel *relInfo) action(del bool) Action {
	if del {
		return rel.onDelete
	}
	return rel.onUpdate
}

// released deals with the children of parent row old of ti, deleted (nw
// nil) or replaced by nw: for each relation that references a key of old
// that nw does not have, RESTRICT at once, then the check that no NO
// ACTION child still references it, then the ON DELETE or ON UPDATE
// actions, queued.
func (tx *Tx) released(ti *tableInfo, old, nw *rec) error {
	del := nw == nil
	gone := func(rel *relInfo) (k, nk []byte, ok bool) {
		k = rel.refKey(old)
		if !del {
			nk = rel.refKey(nw)
		}
		return k, nk, k != nil && (del || !bytes.Equal(k, nk))
	}
	for _, rel := range ti.in {
		if rel.action(del) != Restrict {
			continue
		}
		if k, _, ok := gone(rel); ok {
			for c := range tx.scan(rel.child.name, rel.index.mdb, k) {
				return tx.byChild(ErrRestrict, ti, k, rel, c)
			}
		}
	}
	// One check per key released, if a NO ACTION relation references it:
	// relations with an action need none, the action deals with every child.
	var checked []*indexInfo
	pk := false
	for _, rel := range ti.in {
		if rel.action(del) != NoAction {
			continue
		}
		if rel.ref == nil && pk || rel.ref != nil && slices.Contains(checked, rel.ref) {
			continue
		}
		if k, _, ok := gone(rel); ok {
			tx.w.checks = append(tx.w.checks, check{ti: ti, key: k, ref: rel.ref, parent: true, del: del})
			if rel.ref == nil {
				pk = true
			} else {
				checked = append(checked, rel.ref)
			}
		}
	}
	// Pushed in reverse, so that they run in declaration order.
	for i := len(ti.in) - 1; i >= 0; i-- {
		rel := ti.in[i]
		if a := rel.action(del); a == NoAction || a == Restrict {
			continue
		}
		if k, nk, ok := gone(rel); ok {
			tx.w.stack = append(tx.w.stack, frame{rel: rel, old: k, new: nk, del: del})
		}
	}
	return nil
}

// delete deletes the row with key pk from ti, as an operation.
func (tx *Tx) delete(ti *tableInfo, pk []byte) error {
	tx.op = OpDelete
	r := tx.get(ti, pk)
	if r == nil {
		return notFound(OpDelete, ti, pk, "")
	}
	return tx.remove(ti, r, cause{})
}

// remove deletes r, checks RESTRICT, and queues the ON DELETE actions.
func (tx *Tx) remove(ti *tableInfo, r *rec, why cause) error {
	must(tx.mtx.Delete(ti.name, r))
	tx.note(ti, r.pk(), nil)
	tx.counted(ti, -1)
	tx.w.undo = append(tx.w.undo, undo{ti: ti, old: r, why: why})
	if len(ti.in) == 0 {
		return nil
	}
	// RESTRICT runs right after the row's own write and before any of its
	// actions, so a child that another relation would cascade away still
	// blocks, as in PostgreSQL. (SQLite runs RESTRICT among the actions, so
	// there the sibling cascade may win.)
	return tx.released(ti, r, nil)
}

// run executes one frame.
func (tx *Tx) run(f frame) error {
	rel := f.rel
	if f.child == nil {
		// Expand into one frame per child, in key order.
		start := len(tx.w.stack)
		for c := range tx.scan(rel.child.name, rel.index.mdb, f.old) {
			g := f
			g.child = c
			tx.w.stack = append(tx.w.stack, g)
		}
		slices.Reverse(tx.w.stack[start:])
		return nil
	}
	c := tx.current(rel.child, f.child)
	if c == nil || !bytes.Equal(c.key(rel.index.slot), f.old) {
		return nil // gone, or moved, since the frame was queued
	}
	a := rel.action(f.del)
	why := cause{rel: rel, action: a}
	var key []byte
	switch a {
	case Cascade:
		if f.del {
			return tx.remove(rel.child, c, why)
		}
		key = f.new
	case SetNull:
		key = nil
	case SetDefault:
		key = rel.def
	}
	nw, err := rel.setRef(c.row, key)
	if err != nil {
		return err
	}
	return tx.replace(rel.child, c, nw, why)
}

// verifyCheck runs one check and returns the first violation it finds.
// With deferrable set, a violation of a deferred relation is queued for
// Commit instead.
func (tx *Tx) verifyCheck(c check, deferrable bool) *ConstraintError {
	vs := tx.evalCheck(c, deferrable, 1)
	if len(vs) > 0 {
		return vs[0].err
	}
	return nil
}

// dangling is a violation found by a check: child, of table rel.child,
// references through rel the key parent, which names no row.
type dangling struct {
	rel           *relInfo
	child, parent string // encoded keys
	err           *ConstraintError
}

// evalCheck returns up to max violations of check c (all, for max < 0).
func (tx *Tx) evalCheck(c check, deferrable bool, max int) []dangling {
	var vs []dangling
	queued := false
	defers := func(rel *relInfo) bool {
		if !deferrable || !(rel.deferred || tx.w.deferAll) {
			return false
		}
		if !queued {
			tx.w.pending = append(tx.w.pending, c)
			queued = true
		}
		return true
	}
	if c.parent {
		if tx.keyed(c.ti, c.ref, c.key) != nil {
			return nil // the key came back
		}
		for _, rel := range c.ti.in {
			if rel.ref != c.ref || rel.action(c.del) != NoAction {
				continue // another key's, or an action has dealt with these children
			}
			for child := range tx.scan(rel.child.name, rel.index.mdb, c.key) {
				if defers(rel) {
					break
				}
				vs = append(vs, dangling{rel, string(child.pk()), string(c.key), tx.byChild(ErrForeignKey, c.ti, c.key, rel, child)})
				if len(vs) == max {
					return vs
				}
			}
		}
		return vs
	}
	r := tx.get(c.ti, c.key)
	if r == nil {
		return nil
	}
	for _, rel := range c.ti.out {
		fk := r.key(rel.index.slot)
		if fk == nil || tx.parentRow(rel, fk) != nil || defers(rel) {
			continue
		}
		vs = append(vs, dangling{rel, string(c.key), string(fk), tx.missingParent(c.ti, c.key, rel, fk)})
		if len(vs) == max {
			return vs
		}
	}
	return vs
}

// runDeferred runs the checks kept for Commit and returns every violation,
// each once.
func (tx *Tx) runDeferred() []*ConstraintError {
	tx.op = OpCommit
	type checkID struct {
		ti          *tableInfo
		key         string
		ref         *indexInfo
		parent, del bool // a parent check of a deletion and one of a re-key see different relations
	}
	type danglingID struct {
		rel           *relInfo
		child, parent string
	}
	var out []*ConstraintError
	done := map[checkID]bool{}
	seen := map[danglingID]bool{}
	for _, c := range tx.w.pending {
		id := checkID{c.ti, string(c.key), c.ref, c.parent, c.del}
		if done[id] {
			continue
		}
		done[id] = true
		for _, v := range tx.evalCheck(c, false, -1) {
			// A dangling reference shows up from both ends; report it once.
			if d := (danglingID{v.rel, v.child, v.parent}); !seen[d] {
				seen[d] = true
				out = append(out, v.err)
			}
		}
	}
	return out
}

// byChild is a violation of parent key key of ti (the key rel references)
// that child, through rel, references.
func (tx *Tx) byChild(err error, ti *tableInfo, key []byte, rel *relInfo, child *rec) *ConstraintError {
	v := &ConstraintError{Op: tx.op, Table: ti.name, Key: rel.formatParent(key), Constraint: rel.qname, Err: err}
	v.Parent = ti.prefix + v.Key
	v.Child = rel.child.prefix + rel.child.front.formatKey(child.pk())
	return v
}

// missingParent is the violation of row key of ti, whose foreign key fk
// through rel names no parent.
func (tx *Tx) missingParent(ti *tableInfo, key []byte, rel *relInfo, fk []byte) *ConstraintError {
	v := tx.violation(ErrForeignKey, ti, key, rel.qname, "")
	v.Child = ti.prefix + v.Key
	v.Parent = rel.parent.prefix + rel.formatParent(fk)
	return v
}

func (tx *Tx) violation(err error, ti *tableInfo, key []byte, constraint, other string) *ConstraintError {
	return &ConstraintError{Op: tx.op, Table: ti.name, Key: ti.front.formatKey(key), Constraint: constraint, Other: other, Err: err}
}
