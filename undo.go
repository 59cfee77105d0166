package memrel

// Operations are atomic: every change an operation makes (its own write,
// and each referential action's) goes into an undo log, and an operation
// that is rejected, or panics, is rolled back by replaying the log
// backwards through go-memdb. memrel's indexers never fail, so a replayed
// insert or delete cannot fail either, and the transaction ends up exactly
// as it was before the operation.

// undo records one change: a row written (old may be nil), or a row removed
// (new is nil).
type undo struct {
	ti       *tableInfo
	old, new *rec
	why      cause
}

// cause says why a row is written or removed: by the operation itself
// (rel nil), or by relation rel's action. It goes down the calls that
// write, and into the undo log, where PlanDelete reads it.
type cause struct {
	rel    *relInfo
	action Action
	// statement: a row of a set-based statement (statement.go), whose own
	// references are checked when the statement ends.
	statement bool
}

// mark is a point in a transaction that a rejected operation returns to:
// the lengths of its logs, and the sequence of the one table whose
// sequence an operation may move (its own).
type mark struct {
	undo, pending int
	seqUndo       int
	seqOf         *tableInfo
	seqWas        int64
	seqState      uint8
}

// mark returns the point a rejected operation on table ti goes back to.
func (tx *Tx) mark(ti *tableInfo) mark {
	tx.w.ops++
	m := mark{undo: len(tx.w.undo), pending: len(tx.w.pending), seqUndo: len(tx.w.seqUndo), seqOf: ti}
	if ti.intKey != nil {
		tx.loadSeq(ti) // so that a rollback does not unload it
	}
	if tx.w.seq != nil {
		m.seqWas, m.seqState = tx.w.seq[ti.id], tx.w.seqState[ti.id]
	}
	return m
}

// rollback undoes every change since m, newest first. go-memdb inserts and
// deletes of records cannot fail (the indexers read stored bytes), so the
// transaction ends up exactly as it was at m.
func (tx *Tx) rollback(m mark) {
	for i := len(tx.w.undo) - 1; i >= m.undo; i-- {
		u := tx.w.undo[i]
		if u.new != nil {
			must(tx.mtx.Delete(u.ti.name, u.new))
			tx.note(u.ti, u.new.pk(), nil)
		}
		if u.old != nil {
			must(tx.mtx.Insert(u.ti.name, u.old))
			tx.note(u.ti, u.old.pk(), u.old)
		}
		switch {
		case u.old == nil:
			tx.counted(u.ti, -1) // an insert undone
		case u.new == nil:
			tx.counted(u.ti, 1) // a delete undone
		}
	}
	for i := len(tx.w.seqUndo) - 1; i >= m.seqUndo; i-- {
		c := tx.w.seqUndo[i]
		tx.w.seq[c.ti.id], tx.w.seqState[c.ti.id] = c.was, c.state
	}
	tx.w.seqUndo = tx.w.seqUndo[:m.seqUndo]
	if tx.w.seq != nil && m.seqOf != nil {
		tx.w.seq[m.seqOf.id], tx.w.seqState[m.seqOf.id] = m.seqWas, m.seqState
	}
	tx.w.undo = tx.w.undo[:m.undo]
	tx.w.pending = tx.w.pending[:m.pending]
	tx.w.stack = tx.w.stack[:0]
	tx.w.checks = tx.w.checks[:0]
	tx.w.ops--
}

// atomically runs op as one operation on table ti: a mark, op's own write,
// its actions and checks (finish), then a release. If any of it fails, or
// panics, the transaction is rolled back to the mark before the error is
// returned or the panic goes on, so a caller that recovers the panic finds
// the transaction as it was before the operation.
func (tx *Tx) atomically(ti *tableInfo, op func() error) error {
	m := tx.mark(ti)
	ok := false
	defer func() {
		if !ok {
			tx.rollback(m)
		}
	}()
	if err := tx.finish(op()); err != nil {
		return err
	}
	ok = true
	tx.release(m)
	return nil
}

// release ends the operation begun at m, which succeeded. Once no operation
// is under way, nothing can roll back what the log holds: it is emptied, so
// that a long transaction (a bulk load) does not keep a log entry per row
// written. Aborting the transaction is go-memdb's business, not the log's.
func (tx *Tx) release(m mark) {
	tx.w.ops--
	if tx.w.ops == 0 {
		clear(tx.w.undo)
		tx.w.undo = tx.w.undo[:0]
		tx.w.seqUndo = tx.w.seqUndo[:0]
	}
}
