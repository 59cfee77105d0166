package memrel

import "slices"

// Savepoint is a point in a write transaction to roll back to: SQL's
// SAVEPOINT, for nested transactions (GORM's SavePoint, SQLAlchemy's
// begin_nested). Rollback undoes everything the transaction did since the
// savepoint was made, exactly, as a rejected operation is undone: rows,
// sequences, row counts, deferred checks, and the transaction's view of its
// own writes. Savepoints nest to any depth.
//
// As in SQL, rolling back to a savepoint keeps it, so it can be rolled back
// to again, and discards the savepoints made after it; releasing a
// savepoint keeps the changes and discards it and every savepoint made
// after it. A rollback gives back the keys the sequences handed out since
// (as SQLite's does). DeferConstraints is a mode of the transaction, not a
// change of its data: a rollback leaves it on (as SQLite's PRAGMA
// defer_foreign_keys). A savepoint need not be released: Commit keeps
// every change not rolled back, and Abort discards all of them, savepoints
// released or not.
//
//	sp, err := tx.Savepoint()          // SAVEPOINT sp
//	...
//	if bad { err = sp.Rollback() }     // ROLLBACK TO sp
//	err = sp.Release()                 // RELEASE sp
type Savepoint struct {
	tx    *Tx
	depth int // its place in tx's stack of savepoints, from 1
}

// savepoint is what a savepoint restores beyond the undo log's replay
// (which gives back rows, row counts and the sequences cascades raised):
// the operations' mark, and every table's sequence, which an operation's
// own insert moves without a log entry.
type savepoint struct {
	m        mark
	seq      []int64
	seqState []uint8
}

// Savepoint makes a savepoint of tx, a write transaction.
func (tx *Tx) Savepoint() (*Savepoint, error) {
	if err := tx.enter(tx.usable(nil, true)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	if tx.w.ops > len(tx.w.saves) {
		return nil, invalid("Savepoint inside an operation (from a function the operation calls)")
	}
	tx.w.ops++ // the log is kept while a savepoint may need it
	tx.w.saves = append(tx.w.saves, savepoint{
		m:        mark{undo: len(tx.w.undo), pending: len(tx.w.pending), seqUndo: len(tx.w.seqUndo)},
		seq:      slices.Clone(tx.w.seq),
		seqState: slices.Clone(tx.w.seqState),
	})
	return &Savepoint{tx: tx, depth: len(tx.w.saves)}, nil
}

// enter locks sp's transaction for one call, and returns its record, or an
// error if sp is not one of the transaction's savepoints any more.
func (sp *Savepoint) enter() (*savepoint, error) {
	if sp == nil || sp.tx == nil {
		return nil, invalid("savepoint not made by Tx.Savepoint")
	}
	tx := sp.tx
	if err := tx.enter(tx.usable(nil, true)); err != nil {
		return nil, err
	}
	if sp.depth > len(tx.w.saves) {
		tx.mu.Unlock()
		return nil, invalid("savepoint no longer exists: it or an earlier one was released, or a rollback went to an earlier one")
	}
	if tx.w.ops > len(tx.w.saves) {
		tx.mu.Unlock()
		return nil, invalid("savepoint used inside an operation (from a function the operation calls)")
	}
	return &tx.w.saves[sp.depth-1], nil
}

// Rollback undoes everything the transaction did since sp was made, and
// discards the savepoints made after it; sp stays, to be rolled back to
// again or released.
func (sp *Savepoint) Rollback() error {
	s, err := sp.enter()
	if err != nil {
		return err
	}
	tx := sp.tx
	defer tx.mu.Unlock()
	tx.dropSaves(sp.depth)
	tx.rollback(s.m)
	tx.w.ops++ // rollback ended an operation; sp is still one
	copy(tx.w.seq, s.seq)
	copy(tx.w.seqState, s.seqState)
	clear(tx.w.seq[len(s.seq):]) // tables whose sequences were first read after sp
	clear(tx.w.seqState[len(s.seqState):])
	return nil
}

// Release discards sp and every savepoint made after it, keeping what the
// transaction did since.
func (sp *Savepoint) Release() error {
	if _, err := sp.enter(); err != nil {
		return err
	}
	tx := sp.tx
	defer tx.mu.Unlock()
	tx.dropSaves(sp.depth - 1)
	return nil
}

// dropSaves discards the savepoints after the first n.
func (tx *Tx) dropSaves(n int) {
	for len(tx.w.saves) > n {
		tx.w.saves = tx.w.saves[:len(tx.w.saves)-1]
		tx.release(mark{})
	}
}

// Nested runs fn in a savepoint of tx: if fn returns an error or panics,
// everything it did is rolled back (and the error returned, or the panic
// continued); otherwise its changes stay. It is a nested transaction, as
// GORM's Transaction inside a transaction and SQLAlchemy's begin_nested.
// Savepoints fn makes and leaves are released with Nested's; if fn rolls
// back to or releases a savepoint made before Nested was called, Nested's
// own is gone with it, and Nested returns ErrInvalid.
//
//	err := tx.Nested(func(tx *memrel.Tx) error {
//		if _, err := posts.Insert(tx, p); err != nil {
//			return err // the insert, and all fn did, is undone
//		}
//		return notify(p)
//	})
func (tx *Tx) Nested(fn func(tx *Tx) error) (err error) {
	sp, err := tx.Savepoint()
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			_ = sp.Rollback()
			_ = sp.Release()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	ok = true
	return sp.Release()
}
