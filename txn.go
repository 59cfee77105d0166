package memrel

import (
	"bytes"
	"encoding/binary"
	"iter"

	memdb "github.com/hashicorp/go-memdb"
)

// Tx is a transaction: a consistent view of the store for reading, and for a
// write transaction the only way to change it. A write transaction holds the
// store's single writer lock from its start until Commit or Abort; readers
// are never blocked.
//
// A Tx is for one goroutine. Once it has ended, every method returns
// ErrTxDone, and sequences obtained from it yield nothing.
type Tx struct {
	db       *DB
	mtx      *memdb.Txn
	base     *memdb.Txn // write transactions: the store as the transaction began
	writable bool
	done     bool
	managed  bool // owned by Update or View: Commit is theirs
	deferAll bool
	strict   bool  // lazy navigation fails
	err      error // the first strict-mode violation, returned at the end
	loads    []Loads
	top      bool     // writing an operation's own row, not an action's
	via      *relInfo // the relation whose action is running, for the undo log
	action   Action   // and that action
	op       string   // the operation under way, for error messages

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

// BeginWrite starts a write transaction, waiting for the writer lock. The
// caller must end it with Commit or Abort; `defer tx.Abort()` is always
// safe, since Abort after Commit does nothing.
func (db *DB) BeginWrite() *Tx {
	if db == nil {
		return nil // every method of a nil *Tx returns ErrInvalid
	}
	// The writer lock first, then the snapshot to check against: taken
	// the other way round, a writer that waited would check keys and
	// references against a store older than the one it writes to.
	mtx := db.mdb.Txn(true)
	return &Tx{db: db, mtx: mtx, base: db.mdb.Txn(false), writable: true}
}

// BeginRead starts a read transaction: a snapshot of the store as of now,
// unaffected by later writes. End it with Abort (or Commit, which is the
// same for a reader).
func (db *DB) BeginRead() *Tx {
	if db == nil {
		return nil
	}
	return &Tx{db: db, mtx: db.mdb.Txn(false)}
}

// Update runs fn in a write transaction and commits it if fn returns nil.
// If fn returns an error, or panics, the transaction is aborted and nothing
// fn did persists; the error is returned, the panic goes on. Commit may also
// fail, for deferred constraints, with an *IntegrityError.
func (db *DB) Update(fn func(tx *Tx) error) error {
	if db == nil || fn == nil {
		return invalid("nil store or function")
	}
	tx := db.BeginWrite()
	tx.managed = true
	defer tx.Abort() // after a panic, too
	if err := fn(tx); err != nil {
		return err
	}
	tx.managed = false
	return tx.Commit()
}

// View runs fn in a read transaction.
func (db *DB) View(fn func(tx *Tx) error) error {
	if db == nil || fn == nil {
		return invalid("nil store or function")
	}
	tx := db.BeginRead()
	tx.managed = true
	defer tx.Abort()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.err
}

// DeferConstraints postpones every NO ACTION check of this transaction to
// Commit, like SQL's SET CONSTRAINTS ALL DEFERRED (SQLite's PRAGMA
// defer_foreign_keys). RESTRICT is still checked at once.
func (tx *Tx) DeferConstraints() error {
	if err := tx.usable(nil, true); err != nil {
		return err
	}
	tx.deferAll = true
	return nil
}

// Commit makes the transaction's changes visible to later transactions. It
// first runs the deferred checks: if any fails, nothing of the transaction
// persists and Commit returns an *IntegrityError listing every dangling
// reference. Commit of a read transaction just ends it.
func (tx *Tx) Commit() error {
	if tx == nil {
		return invalid("nil transaction")
	}
	if tx.done {
		return ErrTxDone
	}
	if tx.managed {
		return invalid("Commit inside Update or View: return nil from the function instead")
	}
	if err := tx.err; err != nil || !tx.writable {
		tx.Abort()
		return err
	}
	if len(tx.pending) > 0 {
		if vs := tx.runDeferred(); len(vs) > 0 {
			tx.Abort()
			return &IntegrityError{Op: "commit", Violations: vs}
		}
	}
	for id, st := range tx.seqState {
		if st == 2 {
			// Cannot fail: the table exists and the indexer accepts seqRec.
			_ = tx.mtx.Insert(seqTable, &seqRec{table: tx.db.schema.tables[id].seqKey, last: tx.seq[id]})
		}
	}
	tx.mtx.Commit()
	tx.end()
	return nil
}

// Abort discards the transaction's changes. It does nothing to a
// transaction that has already ended.
func (tx *Tx) Abort() {
	if tx == nil || tx.done {
		return
	}
	tx.mtx.Abort()
	tx.end()
}

func (tx *Tx) end() {
	tx.flushLoads()
	tx.done = true
	tx.undo, tx.stack, tx.checks, tx.pending = nil, nil, nil, nil
	tx.rows, tx.uniq, tx.base = nil, nil, nil
}

// usable returns nil if tx can be used on table ti (nil: any table).
func (tx *Tx) usable(ti *tableInfo, write bool) error {
	switch {
	case tx == nil:
		return invalid("nil transaction")
	case tx.done:
		return ErrTxDone
	case write && !tx.writable:
		return ErrReadOnly
	case ti == nil:
		return nil
	case ti.schema != tx.db.schema:
		return schemaError("table %s is not in this store's schema", ti.name)
	case !ti.open:
		return schemaError("table %s was declared after Open", ti.name)
	}
	return nil
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
			_ = tx.mtx.Delete(u.ti.name, u.new)
			tx.note(u.ti, u.new.pk(), nil)
		}
		if u.old != nil {
			_ = tx.mtx.Insert(u.ti.name, u.old)
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
	tx.ops--
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
	if tx.base == nil {
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
	tx.arg = key
	obj, err := m.First(table, index, &tx.arg)
	tx.arg = nil
	if err != nil || obj == nil {
		return nil
	}
	return obj.(*rec)
}

// scan yields the records of an index whose key starts with prefix (all of
// them for nil), in key order.
func (tx *Tx) scan(table, index string, prefix []byte) iter.Seq[*rec] {
	return func(yield func(*rec) bool) {
		var it memdb.ResultIterator
		var err error
		if prefix == nil {
			it, err = tx.mtx.Get(table, index)
		} else {
			tx.arg = prefix
			it, err = tx.mtx.Get(table, index, &tx.arg)
			tx.arg = nil
		}
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
	if obj, _ := tx.mtx.First(seqTable, "id", ti.seqKey); obj != nil {
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
