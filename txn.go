package memrel

import (
	"sync"
	"sync/atomic"

	memdb "github.com/hashicorp/go-memdb"
)

// Tx is a transaction: a consistent view of the store for reading, and for a
// write transaction the only way to change it. A write transaction holds the
// store's single writer lock from its start until Commit or Abort; readers
// are never blocked.
//
// A Tx may be shared by goroutines: each method call is atomic with respect
// to the others (a write is all-or-nothing and no other goroutine sees it
// half done), and a sequence reads its rows from the snapshot it started on.
// A load whose Where function runs lets other calls in while the function
// runs, since the function may itself use the transaction.
// Sharing a write transaction only makes its operations take turns; it does
// not make them independent: the transaction still commits or aborts as a
// whole. Once it has ended, every method returns ErrTxDone, and a sequence
// stops and records ErrTxDone (see Err).
type Tx struct {
	db      *DB
	mu      sync.Mutex  // held by every method for the whole of its work, never across a yield
	done    atomic.Bool // ended: read without mu by sequences between rows
	mtx     *memdb.Txn
	w       *writeState // nil for a read transaction, and once a write transaction has ended
	writer  bool        // a write transaction: set when it begins, never changed
	managed bool        // owned by Update or View: Commit is theirs
	strict  bool        // lazy navigation fails
	err     error       // the first error a sequence or strict mode met, returned at the end
	loads   []LoadStats
	op      Op           // the operation under way, for error messages
	begun   [2]uintptr   // write transactions: where BeginWrite or Update was called, for ErrBusy
	inside  atomic.Int64 // the goroutine running UpdateWhere's set with tx locked, or 0

	// The identity map: the rows found by primary key in the snapshot the
	// transaction reads (see lookup), by table id; nil until it has made
	// seenAfter lookups.
	seen    []keyMap[*rec]
	lookups int

	// A row per relation (by id) that Parent copies its argument into, so
	// that calling a field accessor on it does not move the argument to
	// the heap on every call.
	rowScratch []any

	// Key lookups encode into scratch and hand go-memdb a pointer to arg,
	// so that neither the key nor its boxing into an interface allocates.
	scratch []byte
	arg     []byte
}

// writeState is what only a write transaction has.
type writeState struct {
	base     *memdb.Txn // the store as the transaction began (see DESIGN.md)
	deferAll bool

	undo    []undo  // the operation's changes, so that if it is rejected it can be undone
	ops     int     // operations under way: marks neither released nor rolled back
	stack   []frame // referential actions still to run in this operation
	checks  []check // NO ACTION checks at the end of this operation
	pending []check // deferred checks, run at commit

	seq      []int64 // auto-increment high-water marks, by table id
	seqState []uint8 // 0 not loaded, 1 loaded, 2 changed
	count    []int64 // rows inserted less rows deleted, by table id

	// Rows this transaction has written, by table id and primary key (nil:
	// deleted), and the last row written with each unique value. Point
	// lookups in a write transaction read these, then base, and never the
	// transaction's own modified indexes: in go-memdb, reading an index a
	// transaction has modified drops that index's cache of writable nodes,
	// so the next write copies the whole path again (most of an insert's
	// cost, measured in bench_test.go).
	rows []keyMap[*rec]
	uniq map[*indexInfo]map[string]*rec
	// Sequences raised by cascaded key changes (the operation's own table
	// is restored from its mark).
	seqUndo []seqChange
	saves   []savepoint // the savepoints made and not released, oldest first
}

// Err returns the first error that the transaction could not return from
// the call that met it: a sequence (All, Children, Rights, Descendants ...)
// that could not be read (a table or relation of another schema, a
// transaction that has ended) or was stopped by strict mode. Such a
// sequence yields nothing more. Unlike an error a method returns, which
// leaves the transaction usable (except strict mode's, which is recorded
// too: see Strict), a recorded error fails the transaction:
// Commit aborts it and returns the error, and so do Update and View, so a
// loop that saw no rows because of it cannot pass for an empty result. A
// sequence ranged over after its transaction ended can only record the
// error there: check Err if that can happen.
func (tx *Tx) Err() error {
	if tx == nil || tx.db == nil {
		return invalid("nil transaction")
	}
	defer tx.unlock(tx.lock())
	return tx.err
}

// fail records err for Err, unless an error is recorded already. The
// caller holds tx.mu.
func (tx *Tx) fail(err error) {
	if tx.err == nil {
		tx.err = err
	}
}

// failSeq records err, met by a sequence that does not hold tx.mu.
func (tx *Tx) failSeq(err error) {
	if tx == nil {
		return
	}
	defer tx.unlock(tx.lock())
	tx.fail(err)
}

// DeferConstraints postpones every NO ACTION check of this transaction to
// Commit, like SQL's SET CONSTRAINTS ALL DEFERRED (SQLite's PRAGMA
// defer_foreign_keys). RESTRICT is still checked at once.
func (tx *Tx) DeferConstraints() error {
	if err := tx.enter(tx.usable(nil, true)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	tx.w.deferAll = true
	return nil
}

// Commit makes the transaction's changes visible to later transactions. It
// first runs the deferred checks: if any fails, nothing of the transaction
// persists and Commit returns an *IntegrityError listing every dangling
// reference. If a sequence recorded an error (see Err), Commit aborts and
// returns it. Commit of a read transaction just ends it.
func (tx *Tx) Commit() error {
	if err := tx.enter(tx.usable(nil, false)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	if tx.managed {
		return invalid("Commit inside Update or View: return nil from the function instead")
	}
	return tx.commit()
}

func (tx *Tx) commit() error {
	if err := tx.err; err != nil || tx.w == nil {
		tx.abort()
		return err
	}
	if len(tx.w.pending) > 0 {
		if vs := tx.runDeferred(); len(vs) > 0 {
			tx.abort()
			return &IntegrityError{Op: OpCommit, Violations: vs}
		}
	}
	tx.commitSeqs()
	tx.logJoins()
	tx.db.watches.commit(tx)
	tx.end()
	return nil
}

// Abort discards the transaction's changes. It does nothing to a
// transaction that has already ended.
func (tx *Tx) Abort() {
	if tx == nil || tx.db == nil {
		return
	}
	if !tx.lock() {
		tx.fail(errInCallback()) // an Abort inside a statement: the commit will fail
		return
	}
	defer tx.mu.Unlock()
	tx.abort()
}

func (tx *Tx) abort() {
	if tx.done.Load() {
		return
	}
	tx.mtx.Abort()
	tx.end()
}

// end ends the transaction, committed or not; the caller holds tx.mu.
func (tx *Tx) end() {
	tx.flushLoads()
	tx.done.Store(true)
	tx.seen = nil
	if tx.w != nil {
		tx.w = nil
		tx.db.writer.unlock(tx)
	}
}

// enter locks tx for one call, given what the call's checks found (they
// read nothing that a call changes, so they need no lock): it returns
// their error, or ErrTxDone if tx has ended, with tx unlocked; nil with tx
// locked.
func (tx *Tx) enter(err error) error {
	if err != nil {
		return err
	}
	if !tx.lock() {
		return errInCallback()
	}
	if tx.done.Load() {
		tx.mu.Unlock()
		return ErrTxDone
	}
	return nil
}

// usable returns nil if tx can be used on table ti (nil: any table).
func (tx *Tx) usable(ti *tableInfo, write bool) error {
	switch {
	case tx == nil:
		return invalid("nil transaction")
	case tx.db == nil:
		return invalid("transaction not begun by BeginWrite, BeginRead, Update or View")
	case tx.done.Load():
		return ErrTxDone
	case write && !tx.writer:
		return ErrReadOnly
	case ti == nil:
		return nil
	case ti.schema != tx.db.schema:
		return schemaError("table %s is of another schema than this store's", ti.name)
	case !ti.open:
		return schemaError("table %s was declared after Open", ti.name)
	}
	return nil
}

// startSeq starts a sequence: given what its checks found, it locks tx and
// calls start for the scan to yield. An error is recorded for Err, and the
// sequence then yields nothing (a nil iterator).
func (tx *Tx) startSeq(err error, start func() (memdb.ResultIterator, error)) memdb.ResultIterator {
	if err = tx.enter(err); err != nil {
		tx.failSeq(err)
		return nil
	}
	defer tx.mu.Unlock()
	it, err := start()
	if err != nil {
		tx.fail(err)
		return nil
	}
	return it
}

// next returns a sequence's next record, read without tx's lock (go-memdb
// iterators walk immutable trees), or nil at the end, and once tx has
// ended, recording ErrTxDone.
func (tx *Tx) next(it memdb.ResultIterator) *rec {
	if it == nil {
		return nil
	}
	obj := it.Next()
	if obj == nil {
		return nil
	}
	if tx.done.Load() {
		tx.failSeq(ErrTxDone)
		return nil
	}
	return obj.(*rec)
}

// locked runs f with tx locked, for a sequence between its yields.
func (tx *Tx) locked(f func()) {
	defer tx.unlock(tx.lock())
	f()
}

// step runs f with tx locked, for a sequence between its yields, unless
// tx has ended: then it records ErrTxDone and returns false.
func (tx *Tx) step(f func()) bool {
	defer tx.unlock(tx.lock())
	if tx.done.Load() {
		tx.fail(ErrTxDone)
		return false
	}
	f()
	return true
}

// callout calls f(v), user code, without tx's lock, so that f may use the
// transaction; the caller holds the lock and holds it again afterwards.
func callout[V any](tx *Tx, f func(V) bool, v V) bool {
	tx.mu.Unlock()
	defer tx.mu.Lock()
	return f(v)
}

// must panics if go-memdb fails a write or a sequence read, which memrel's
// schema and indexers make impossible: a write that half happened must not
// pass unnoticed.
func must(err error) {
	if err != nil {
		panic("memrel: internal error: go-memdb: " + err.Error())
	}
}
