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
	via      *relInfo // the relation whose action made the change; nil for the operation's own
	action   Action
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
	tx.ops++
	m := mark{undo: len(tx.undo), pending: len(tx.pending), seqUndo: len(tx.seqUndo), seqOf: ti}
	if ti.intKey != nil {
		tx.loadSeq(ti) // so that a rollback does not unload it
	}
	if tx.seq != nil {
		m.seqWas, m.seqState = tx.seq[ti.id], tx.seqState[ti.id]
	}
	return m
}

// rollback undoes every change since m, newest first. go-memdb inserts and
// deletes of records cannot fail (the indexers read stored bytes), so the
// transaction ends up exactly as it was at m.
func (tx *Tx) rollback(m mark) {
	for i := len(tx.undo) - 1; i >= m.undo; i-- {
		u := tx.undo[i]
		if u.new != nil {
			must(tx.mtx.Delete(u.ti.name, u.new))
			tx.note(u.ti, u.new.pk(), nil)
		}
		if u.old != nil {
			must(tx.mtx.Insert(u.ti.name, u.old))
			tx.note(u.ti, u.old.pk(), u.old)
		}
	}
	for i := len(tx.seqUndo) - 1; i >= m.seqUndo; i-- {
		c := tx.seqUndo[i]
		tx.seq[c.ti.id], tx.seqState[c.ti.id] = c.was, c.state
	}
	tx.seqUndo = tx.seqUndo[:m.seqUndo]
	if tx.seq != nil && m.seqOf != nil {
		tx.seq[m.seqOf.id], tx.seqState[m.seqOf.id] = m.seqWas, m.seqState
	}
	tx.undo = tx.undo[:m.undo]
	tx.pending = tx.pending[:m.pending]
	tx.stack = tx.stack[:0]
	tx.checks = tx.checks[:0]
	tx.top, tx.via, tx.action = false, nil, NoAction
	tx.ops--
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
	tx.ops--
	if tx.ops == 0 {
		clear(tx.undo)
		tx.undo = tx.undo[:0]
		tx.seqUndo = tx.seqUndo[:0]
	}
}
