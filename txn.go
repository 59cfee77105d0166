package memrel

import (
	"bytes"
	"encoding/binary"
	"iter"
	"runtime"
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
// Sharing a write transaction only makes its operations take turns; it does
// not make them independent: the transaction still commits or aborts as a
// whole. Once it has ended, every method returns ErrTxDone, and a sequence
// stops and records ErrTxDone (see Err).
type Tx struct {
	db       *DB
	mu       sync.Mutex  // held by every method for the whole of its work, never across a yield
	done     atomic.Bool // ended: read without mu by sequences between rows
	mtx      *memdb.Txn
	base     *memdb.Txn // write transactions: the store as the transaction began
	writable bool
	managed  bool // owned by Update or View: Commit is theirs
	deferAll bool
	strict   bool  // lazy navigation fails
	err      error // the first error a sequence or strict mode met, returned at the end
	loads    []Loads
	top      bool     // writing an operation's own row, not an action's
	via      *relInfo // the relation whose action is running, for the undo log
	action   Action   // and that action
	op       string   // the operation under way, for error messages

	begun [2]uintptr // write transactions: where BeginWrite or Update was called, for ErrBusy

	undo    []undo  // the operation's changes, so that if it is rejected it can be undone
	ops     int     // operations under way: marks neither released nor rolled back
	stack   []frame // referential actions still to run in this operation
	checks  []check // NO ACTION checks at the end of this operation
	pending []check // deferred checks, run at commit

	seq      []int64 // auto-increment high-water marks, by table id
	seqState []uint8 // 0 not loaded, 1 loaded, 2 changed

	// Rows this transaction has written, by table id and primary key (nil:
	// deleted), and the last row written with each unique value. Point
	// lookups in a write transaction read these, then base, and never the
	// transaction's own modified indexes: in go-memdb, reading an index a
	// transaction has modified drops that index's cache of writable nodes,
	// so the next write copies the whole path again (most of an insert's
	// cost, measured in bench_test.go).
	rows []rowMap
	uniq map[*indexInfo]map[string]*rec
	// Sequences raised by cascaded key changes (the operation's own table
	// is restored from its mark).
	seqUndo []seqChange

	// The rows found by primary key in the snapshot the transaction reads
	// (see seen), by table id; nil until it has made seenAfter lookups.
	seen    []seenMap
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

// undo records one change: a row written (old may be nil), or a row removed
// (new is nil).
type undo struct {
	ti       *tableInfo
	old, new *rec
	via      *relInfo // the relation whose action made the change; nil for the operation's own
	action   Action
}

// rowMap holds a table's written rows: by integer key, or by string.
type rowMap struct {
	ints map[uint64]*rec
	strs map[string]*rec
}

type seqChange struct {
	ti    *tableInfo
	was   int64
	state uint8
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

// BeginWrite starts a write transaction, waiting for the writer lock for
// at most the store's WriteWait (see Open). The caller must end it with
// Commit or Abort; `defer tx.Abort()` is always safe, since Abort after
// Commit does nothing. Starting a write transaction while holding one on
// the same store can never succeed: after the wait it fails with ErrBusy,
// naming where the transaction holding the lock began.
func (db *DB) BeginWrite() (*Tx, error) { return db.beginWrite(3) }

// beginWrite is BeginWrite for a caller skip frames up.
func (db *DB) beginWrite(skip int) (*Tx, error) {
	if err := db.usable(); err != nil {
		return nil, err
	}
	tx := &Tx{db: db, writable: true}
	runtime.Callers(skip, tx.begun[:])
	if err := db.writer.lock(tx); err != nil {
		return nil, err
	}
	// The writer lock first, then the snapshot to check against: taken
	// the other way round, a writer that waited would check keys and
	// references against a store older than the one it writes to.
	tx.mtx = db.mdb.Txn(true)
	tx.base = db.mdb.Txn(false)
	return tx, nil
}

// BeginRead starts a read transaction: a snapshot of the store as of now,
// unaffected by later writes. End it with Abort (or Commit, which is the
// same for a reader).
func (db *DB) BeginRead() (*Tx, error) {
	if err := db.usable(); err != nil {
		return nil, err
	}
	return &Tx{db: db, mtx: db.mdb.Txn(false)}, nil
}

func (db *DB) usable() error {
	if db == nil || db.mdb == nil {
		return invalid("store not made by Open")
	}
	return nil
}

// Update runs fn in a write transaction and commits it if fn returns nil.
// If fn returns an error, or panics, the transaction is aborted and nothing
// fn did persists; the error is returned, the panic goes on. Commit may also
// fail, for deferred constraints, with an *IntegrityError, or with the
// error a sequence recorded (see Err).
func (db *DB) Update(fn func(tx *Tx) error) error {
	if fn == nil {
		return invalid("nil function")
	}
	tx, err := db.beginWrite(3)
	if err != nil {
		return err
	}
	tx.managed = true
	defer tx.Abort() // after a panic, too
	if err := fn(tx); err != nil {
		return err
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.commit()
}

// View runs fn in a read transaction. It returns fn's error, or else the
// error a sequence recorded (see Err).
func (db *DB) View(fn func(tx *Tx) error) error {
	if fn == nil {
		return invalid("nil function")
	}
	tx, err := db.BeginRead()
	if err != nil {
		return err
	}
	tx.managed = true
	defer tx.Abort()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Err()
}

// Err returns the first error that the transaction could not return from
// the call that met it: a sequence (All, Children, Rights, Descendants ...)
// that could not be read (a table or relation of another schema, a
// transaction that has ended) or was stopped by strict mode. Such a
// sequence yields nothing more. Unlike an error a method returns, which
// leaves the transaction usable, a recorded error fails the transaction:
// Commit aborts it and returns the error, and so do Update and View, so a
// loop that saw no rows because of it cannot pass for an empty result. A
// sequence ranged over after its transaction ended can only record the
// error there: check Err if that can happen.
func (tx *Tx) Err() error {
	if tx == nil || tx.db == nil {
		return invalid("nil transaction")
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
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
	tx.mu.Lock()
	tx.fail(err)
	tx.mu.Unlock()
}

// DeferConstraints postpones every NO ACTION check of this transaction to
// Commit, like SQL's SET CONSTRAINTS ALL DEFERRED (SQLite's PRAGMA
// defer_foreign_keys). RESTRICT is still checked at once.
func (tx *Tx) DeferConstraints() error {
	if err := tx.enter(tx.usable(nil, true)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	tx.deferAll = true
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
	if err := tx.err; err != nil || !tx.writable {
		tx.abort()
		return err
	}
	if len(tx.pending) > 0 {
		if vs := tx.runDeferred(); len(vs) > 0 {
			tx.abort()
			return &IntegrityError{Op: "commit", Violations: vs}
		}
	}
	for id, st := range tx.seqState {
		if st == 2 {
			must(tx.mtx.Insert(seqTable, &seqRec{table: tx.db.schema.tables[id].seqKey, last: tx.seq[id]}))
		}
	}
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
	tx.mu.Lock()
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
	tx.undo, tx.stack, tx.checks, tx.pending = nil, nil, nil, nil
	tx.rows, tx.uniq, tx.base, tx.seen = nil, nil, nil, nil
	if tx.writable {
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
	tx.mu.Lock()
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
	case write && !tx.writable:
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

// iter returns go-memdb's iterator over the records of an index whose key
// starts with prefix (all of them for nil), in key order; backward, in
// reverse.
func (tx *Tx) iter(table, index string, prefix []byte, backward bool) (memdb.ResultIterator, error) {
	if tx.done.Load() {
		return nil, ErrTxDone
	}
	get := tx.mtx.Get
	if backward {
		get = tx.mtx.GetReverse
	}
	if prefix == nil {
		return get(table, index)
	}
	tx.arg = prefix
	it, err := get(table, index, &tx.arg)
	tx.arg = nil
	return it, err
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

// get returns the record with primary key pk, or nil.
func (tx *Tx) get(ti *tableInfo, pk []byte) *rec {
	if pk == nil {
		return nil // NULL names no row (and go-memdb would take it for a prefix)
	}
	if tx.base == nil {
		// A reader, or a writer that has ended (lookup reads nothing then).
		return tx.lookup(tx.mtx, ti, pk)
	}
	if tx.rows != nil {
		m := &tx.rows[ti.id]
		if ti.intKey != nil && len(pk) == 8 {
			if r, ok := m.ints[binary.BigEndian.Uint64(pk)]; ok {
				return r
			}
		} else if r, ok := m.strs[string(pk)]; ok {
			return r
		}
	}
	return tx.lookup(tx.base, ti, pk)
}

// seenMap is an identity map, like that of SQLAlchemy's Session: the rows a
// transaction has found by primary key in the snapshot it reads, which no
// write can change (a write transaction's own writes are looked up first,
// in rows). go-memdb spends most of a point lookup finding the index's tree
// by name and opening a radix transaction on it, about 140 of 170 ns
// (bench/ BenchmarkLookup), so a key looked up again (a post's author, a
// tag through an association, a parent in a foreign key check) is served
// from here. It starts after seenAfter lookups, so that a short transaction
// pays nothing, and holds at most seenMax rows per table: when full, it
// starts over, so that a long scan keeps the keys it is using now.
type seenMap struct {
	ints map[uint64]*rec
	strs map[string]*rec
}

const (
	seenAfter = 16
	seenMax   = 1 << 12
)

// lookup returns the record with primary key pk in m, the snapshot the
// transaction reads, or nil.
func (tx *Tx) lookup(m *memdb.Txn, ti *tableInfo, pk []byte) *rec {
	var s *seenMap
	if tx.seen != nil {
		s = &tx.seen[ti.id]
		if ti.intKey != nil && len(pk) == 8 {
			if r, ok := s.ints[binary.BigEndian.Uint64(pk)]; ok {
				return r
			}
		} else if r, ok := s.strs[string(pk)]; ok {
			return r
		}
	} else if tx.lookups++; tx.lookups > seenAfter {
		tx.seen = make([]seenMap, len(tx.db.schema.tables))
	}
	r := tx.firstIn(m, ti.name, "id", pk)
	if r == nil || s == nil {
		return r
	}
	if ti.intKey != nil && len(pk) == 8 {
		if s.ints == nil {
			s.ints = make(map[uint64]*rec)
		}
		if len(s.ints) >= seenMax {
			clear(s.ints)
		}
		s.ints[binary.BigEndian.Uint64(pk)] = r
	} else {
		if s.strs == nil {
			s.strs = make(map[string]*rec)
		}
		if len(s.strs) >= seenMax {
			clear(s.strs)
		}
		s.strs[string(pk)] = r
	}
	return r
}

// current returns the row now stored under r's key: r itself, unless this
// transaction has written that key since r was read.
func (tx *Tx) current(ti *tableInfo, r *rec) *rec {
	if tx.rows == nil {
		return r
	}
	m := &tx.rows[ti.id]
	if ti.intKey != nil && len(r.pk()) == 8 {
		if w, ok := m.ints[binary.BigEndian.Uint64(r.pk())]; ok {
			return w
		}
	} else if w, ok := m.strs[string(r.pk())]; ok {
		return w
	}
	return r
}

// note records that the row with key pk of ti is now r (nil: deleted).
func (tx *Tx) note(ti *tableInfo, pk []byte, r *rec) {
	if tx.rows == nil {
		tx.rows = make([]rowMap, len(tx.db.schema.tables))
	}
	m := &tx.rows[ti.id]
	if ti.intKey != nil && len(pk) == 8 {
		if m.ints == nil {
			m.ints = map[uint64]*rec{}
		}
		m.ints[binary.BigEndian.Uint64(pk)] = r
	} else {
		if m.strs == nil {
			m.strs = map[string]*rec{}
		}
		m.strs[string(pk)] = r
	}
	if r == nil {
		return
	}
	for _, ix := range ti.indexes {
		if k := r.key(ix.slot); ix.unique && k != nil {
			if tx.uniq == nil {
				tx.uniq = map[*indexInfo]map[string]*rec{}
			}
			u := tx.uniq[ix]
			if u == nil {
				u = map[string]*rec{}
				tx.uniq[ix] = u
			}
			u[string(k)] = r
		}
	}
}

// holder returns the row of ti that now has value k in unique index ix.
func (tx *Tx) holder(ti *tableInfo, ix *indexInfo, k []byte) *rec {
	if tx.base == nil {
		return tx.first(ti.name, ix.mdb, k)
	}
	// Candidates: the last row this transaction wrote with k, and the row
	// that had k when it began; either counts only if it is still current.
	current := func(c *rec) *rec {
		if c == nil {
			return nil
		}
		if r := tx.get(ti, c.pk()); r != nil && bytes.Equal(r.key(ix.slot), k) {
			return r
		}
		return nil
	}
	if r := current(tx.uniq[ix][string(k)]); r != nil {
		return r
	}
	return current(tx.firstIn(tx.base, ti.name, ix.mdb, k))
}

// firstWith returns the first record of an index whose key starts with
// prefix, or nil: for a foreign key's or a non-unique index, whose entries
// continue with the primary key.
func (tx *Tx) firstWith(table, index string, prefix []byte) *rec {
	for r := range tx.scan(table, index, prefix) {
		return r
	}
	return nil
}

func (tx *Tx) first(table, index string, key []byte) *rec {
	return tx.firstIn(tx.mtx, table, index, key)
}

func (tx *Tx) firstIn(m *memdb.Txn, table, index string, key []byte) *rec {
	if key == nil || tx.done.Load() {
		return nil // NULL names no row; an ended transaction reads nothing
	}
	tx.arg = key
	obj, err := m.First(table, index, &tx.arg)
	tx.arg = nil
	if err != nil || obj == nil {
		return nil
	}
	return obj.(*rec)
}

// scan yields the records of an index whose key starts with prefix (all of
// them for nil), in key order. It is for memrel's own use, with tx locked;
// sequences handed out use startSeq and next.
func (tx *Tx) scan(table, index string, prefix []byte) iter.Seq[*rec] {
	return func(yield func(*rec) bool) {
		it, err := tx.iter(table, index, prefix, false)
		if err != nil {
			return
		}
		for obj := it.Next(); obj != nil; obj = it.Next() {
			if !yield(obj.(*rec)) {
				return
			}
		}
	}
}

// loadSeq makes sure table ti's sequence is loaded into the transaction.
func (tx *Tx) loadSeq(ti *tableInfo) {
	if tx.seq == nil {
		n := len(tx.db.schema.tables)
		tx.seq, tx.seqState = make([]int64, n), make([]uint8, n)
	}
	if tx.seqState[ti.id] != 0 {
		return
	}
	tx.seqState[ti.id] = 1
	obj, err := tx.mtx.First(seqTable, "id", ti.seqKey)
	must(err) // a sequence read as 0 would hand out keys again
	if obj != nil {
		tx.seq[ti.id] = obj.(*seqRec).last
	}
}

func (tx *Tx) setSeq(ti *tableInfo, v int64) {
	tx.seq[ti.id] = v
	tx.seqState[ti.id] = 2
}

// nextID returns the next auto-increment key of ti. Like SQLite's
// AUTOINCREMENT, keys are never reused, even after a delete: the sequence
// is the highest key the table has ever had.
func (tx *Tx) nextID(ti *tableInfo, max int64) (int64, error) {
	tx.loadSeq(ti)
	v := tx.seq[ti.id]
	if v >= max {
		return 0, invalid("%s: auto-increment sequence exhausted at %d", ti.name, v)
	}
	v++
	tx.setSeq(ti, v)
	return v, nil
}

// noteID raises ti's sequence to an explicitly given key, and reports
// whether the key is fresh: above every key the table has ever had, so
// certainly not in it. Every key of a table is at most its sequence: inserts
// and re-keys raise it (cascaded re-keys too, through raiseSeq).
func (tx *Tx) noteID(ti *tableInfo, v int64) bool {
	tx.loadSeq(ti)
	if v > tx.seq[ti.id] {
		tx.setSeq(ti, v)
		return true
	}
	return false
}

// raiseSeq keeps the sequence invariant when an action re-keys a row.
func (tx *Tx) raiseSeq(ti *tableInfo, pk []byte) {
	v, ok := ti.intKey(pk)
	if !ok {
		return
	}
	tx.loadSeq(ti)
	if v > tx.seq[ti.id] {
		tx.seqUndo = append(tx.seqUndo, seqChange{ti: ti, was: tx.seq[ti.id], state: tx.seqState[ti.id]})
		tx.setSeq(ti, v)
	}
}

// keyOf encodes k into the transaction's scratch buffer, for a lookup that
// is done with it before the next one starts.
func keyOf[K Key](tx *Tx, c codec[K], k K) []byte {
	tx.scratch = c.append(tx.scratch[:0], &k)
	return tx.scratch
}

// scratchRow returns tx's row of type C for relation id.
func scratchRow[C any](tx *Tx, id int) *C {
	if tx.rowScratch == nil {
		tx.rowScratch = make([]any, len(tx.db.schema.rels))
	}
	p, ok := tx.rowScratch[id].(*C)
	if !ok {
		p = new(C)
		tx.rowScratch[id] = p
	}
	return p
}

// keyIn is keyOf for a table's key codec.
func keyIn[K any](tx *Tx, c keyCodec[K], k K) []byte {
	tx.scratch = c.appendKey(tx.scratch[:0], k)
	return tx.scratch
}
