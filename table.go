package memrel

import (
	"errors"
	"iter"

	memdb "github.com/hashicorp/go-memdb"
)

// Table is a typed table of rows of struct type T with primary key type K.
// Declare it with NewTable; its methods read and write through a
// transaction.
//
// Rows go in and come out by value: the store keeps its own copy of every
// row and computes all of the row's keys once, when it is written, so
// changing a struct after Insert or after Get never changes what is stored
// or how it is indexed. Fields of reference type (slices, maps, pointers) are
// still shared between the copies: treat them as read-only once stored.
type Table[T any, K comparable] struct {
	info  *tableInfo
	get   func(*T) K  // the row's key
	ptr   func(*T) *K // for a one-field key: the field
	codec keyCodec[K]
	auto  *autoKey[K]  // for an integer key: the sequence's view of it
	slots []slotKey[T] // how to compute each secondary key, by slot
}

// autoKey reads and writes an integer key as an int64, for the table's
// auto-increment sequence.
type autoKey[K any] struct {
	int64Of  func(*K) int64
	setInt64 func(*K, int64)
	max      int64
}

// slotKey computes one secondary key of a row: its encoded length, or -1
// for NULL, and its encoding.
type slotKey[T any] struct {
	size   func(*T) int
	append func(*T, []byte) []byte
}

// NewTable declares a table named name whose rows are of struct type T and
// whose primary key is the field key points to:
//
//	users := memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
//
// An integer key that is zero on insert is assigned the next value of the
// table's sequence; a string key may not be empty.
func NewTable[T any, K Key](s *Schema, name string, key func(*T) *K) *Table[T, K] {
	c := newCodec[K]()
	t := &Table[T, K]{ptr: key, codec: c}
	t.get = func(r *T) K { return *key(r) }
	if c.isInt() {
		t.auto = &autoKey[K]{int64Of: c.int64Of, setInt64: c.setInt64, max: c.maxInt()}
	}
	field, err := fieldOf(name, "key", key)
	t.declare(s, name, field, field, err)
	return t
}

// NewPairTable declares a table whose primary key is the pair of fields a
// and b: an association table keyed by (post, tag), say. Rows are ordered
// by a, then b. A foreign key on field a needs no index of its own: its
// lookups are seeks on the primary key. Pair keys are never assigned from a
// sequence.
//
//	postTags := memrel.NewPairTable(s, "post_tags",
//		func(pt *PostTag) *int64 { return &pt.PostID },
//		func(pt *PostTag) *int64 { return &pt.TagID })
func NewPairTable[T any, A, B Key](s *Schema, name string, a func(*T) *A, b func(*T) *B) *Table[T, Pair[A, B]] {
	t := &Table[T, Pair[A, B]]{codec: pairCodec[A, B]{newCodec[A](), newCodec[B]()}}
	t.get = func(r *T) Pair[A, B] { return Pair[A, B]{*a(r), *b(r)} }
	fa, errA := fieldOf(name, "key", a)
	fb, errB := fieldOf(name, "key", b)
	t.declare(s, name, fa+", "+fb, fa, errA, errB)
	return t
}

// declare adds the table to s; lead is the field its key begins with.
func (t *Table[T, K]) declare(s *Schema, name, keyName, lead string, errs ...error) {
	if s == nil {
		// A table of no schema: every operation on it fails with ErrSchema.
		t.info = &tableInfo{name: name, prefix: name + " ", front: t, keyName: keyName}
		return
	}
	var intKey func([]byte) (int64, bool)
	if a := t.auto; a != nil {
		c := t.codec
		intKey = func(pk []byte) (int64, bool) {
			k, ok := c.decode(pk)
			return a.int64Of(&k), ok
		}
	}
	t.info = s.addTable(name, t, keyName, lead, intKey, errs...)
}

// Name returns the table's name ("" for a table that was never declared).
func (t *Table[T, K]) Name() string {
	if t == nil || t.info == nil {
		return ""
	}
	return t.info.name
}

func (t *Table[T, K]) formatKey(pk []byte) string { return t.codec.format(pk) }

func (t *Table[T, K]) rekey(row any) (*rec, error) {
	p, ok := row.(*T)
	if !ok {
		return nil, errNotRecord
	}
	return t.newRec(p)
}

// check returns an error unless t can be used in tx.
func (t *Table[T, K]) check(tx *Tx, write bool) error {
	if t == nil || t.info == nil {
		return invalid("table not declared with NewTable or NewPairTable")
	}
	return tx.usable(t.info, write)
}

// prepare copies row into a new record, assigning an auto-increment key if
// asked and needed and keeping the sequence above every key. It reports
// whether the key is fresh: new to the table, so no lookup is needed to
// know it is absent.
func (t *Table[T, K]) prepare(tx *Tx, row T, assign bool) (r *rec, fresh bool, err error) {
	b := &box[T]{val: row}
	if a := t.auto; a != nil {
		k := t.ptr(&b.val)
		if assign && a.int64Of(k) == 0 {
			id, err := tx.nextID(t.info, a.max)
			if err != nil {
				return nil, false, err
			}
			a.setInt64(k, id)
			fresh = true
		} else {
			fresh = tx.noteID(t.info, a.int64Of(k))
		}
	}
	r, err = t.encodeBox(b)
	if ce, ok := err.(*ConstraintError); ok && ce.Op == "" {
		ce.Op = tx.op // mixedNulls's
	}
	return r, fresh, err
}

func (t *Table[T, K]) write(tx *Tx, row T, m writeMode) (T, error) {
	return t.writeAs(tx, row, m, m != mustExist)
}

// writeAs is write, assigning a zero integer key from the sequence only if
// assign.
func (t *Table[T, K]) writeAs(tx *Tx, row T, m writeMode, assign bool) (T, error) {
	if err := tx.enter(t.check(tx, true)); err != nil {
		return row, err
	}
	defer tx.mu.Unlock()
	// assigned: the insert of a row whose key the sequence will assign.
	assigned := assign && t.auto != nil && t.auto.int64Of(t.ptr(&row)) == 0
	if assigned && !t.info.unique {
		if err := t.refuse(tx, &row); err != nil {
			return row, err
		}
	}
	var r *rec
	tx.op = OpInsert
	if m == mustExist {
		tx.op = OpUpdate
	}
	err := tx.atomically(t.info, func() error {
		var fresh bool
		var err error
		if r, fresh, err = t.prepare(tx, row, assign); err != nil {
			return err
		}
		return tx.write(t.info, nil, r, m, fresh)
	})
	if err != nil {
		var ce *ConstraintError
		if assigned && errors.As(err, &ce) && ce.Op == OpInsert && ce.Table == t.info.name && ce.Key != "" {
			// The row never got the key the sequence lent it.
			if ce.Child == t.info.prefix+ce.Key {
				ce.Child = t.info.name
			}
			ce.Key = ""
		}
		return row, err
	}
	return *r.row.(*T), nil
}

// refuse rejects the insert of row, whose key is to be assigned, if an
// immediate foreign key of it names no parent: before its key is drawn
// from the sequence or anything is written, which is what a rejected
// insert would otherwise cost. A table with unique indexes takes the full
// path, so that a row that breaks both a unique index and a foreign key
// is refused for the unique index, as SQL checks it first; so do
// self-references, which the row may satisfy itself.
func (t *Table[T, K]) refuse(tx *Tx, row *T) error {
	if tx.w.deferAll {
		return nil
	}
	for _, rel := range t.info.out {
		if rel.deferred || rel.parent == t.info {
			continue
		}
		sk := t.slots[rel.index.slot]
		if sk.size(row) < 0 {
			continue // NULL
		}
		tx.scratch = sk.append(row, tx.scratch[:0])
		if tx.parentRow(rel, tx.scratch) != nil {
			continue
		}
		fk := tx.scratch
		return &ConstraintError{Op: OpInsert, Table: t.info.name, Constraint: rel.qname, Err: ErrForeignKey,
			Child: t.info.name, Parent: rel.parent.prefix + rel.formatParent(fk)}
	}
	return nil
}

// Insert adds row and returns it with its key filled in: an integer key of
// 0 takes the table's next sequence number (as GORM and ent do; SQLite
// assigns one for a NULL key). It fails with ErrUnique if the key is
// taken, and with ErrForeignKey if a non-NULL foreign key names no parent
// (unless the relation is deferred).
func (t *Table[T, K]) Insert(tx *Tx, row T) (T, error) { return t.write(tx, row, mustBeNew) }

// InsertWithKey adds row under the key it holds, even an integer 0, which
// Insert takes for "assign one": SQL's INSERT with an explicit id, for the
// classic "0 = unknown" row that SET DEFAULT children point to. The
// sequence is raised past an explicit key as by Insert. Otherwise it is
// Insert.
func (t *Table[T, K]) InsertWithKey(tx *Tx, row T) (T, error) {
	return t.writeAs(tx, row, mustBeNew, false)
}

// Update replaces the row that has row's key. It fails with ErrNotFound if
// there is none. Use UpdateKey to change a key.
func (t *Table[T, K]) Update(tx *Tx, row T) error {
	_, err := t.write(tx, row, mustExist)
	return err
}

// Upsert inserts row, or updates the row that has its key. Updating a
// parent this way keeps its children: its key does not change.
func (t *Table[T, K]) Upsert(tx *Tx, row T) (T, error) { return t.write(tx, row, mayExist) }

// UpdateKey replaces the row whose key is old by row, whose key may differ.
// A changed key runs the ON UPDATE action of every relation that references
// this table, and raises the table's sequence past it, as an explicit key
// on insert does (SQLite's AUTOINCREMENT does the same on UPDATE).
func (t *Table[T, K]) UpdateKey(tx *Tx, old K, row T) error {
	if err := tx.enter(t.check(tx, true)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	tx.op = OpUpdate
	return tx.atomically(t.info, func() error {
		r, _, err := t.prepare(tx, row, false)
		if err != nil {
			return err
		}
		return tx.write(t.info, encodeKey(t.codec, old), r, mustExist, false)
	})
}

// Delete deletes the row with key k and runs the ON DELETE action of every
// relation that references this table. It fails with ErrNotFound if there is
// no such row, and leaves everything as it was if any part of the cascade is
// rejected.
func (t *Table[T, K]) Delete(tx *Tx, k K) error {
	if err := tx.enter(t.check(tx, true)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	pk := encodeKey(t.codec, k)
	return tx.atomically(t.info, func() error { return tx.delete(t.info, pk) })
}

// Get returns the row with key k, or a *NotFoundError (ErrNotFound).
func (t *Table[T, K]) Get(tx *Tx, k K) (T, error) {
	var zero T
	if err := tx.enter(t.check(tx, false)); err != nil {
		return zero, err
	}
	defer tx.mu.Unlock()
	if err := tx.gets(t.info, "Get"); err != nil {
		return zero, err
	}
	pk := scratchKey(tx, t.codec, k)
	r := tx.get(t.info, pk)
	if r == nil {
		return zero, notFound(OpGet, t.info, pk, "")
	}
	tx.counters(t.info.counter).Rows++
	return *r.row.(*T), nil
}

// GetBatch returns the rows whose keys are ks, in the order of ks (a key
// given twice, twice): the rows a handler needs by key, read as one batch
// (Tx.LoadStats counts a batch), which strict mode allows. It fails with
// a *NotFoundError (ErrNotFound) naming the first key that has no row.
func (t *Table[T, K]) GetBatch(tx *Tx, ks []K) ([]T, error) {
	if err := tx.enter(t.check(tx, false)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	out := make([]T, 0, len(ks))
	for _, k := range ks {
		pk := scratchKey(tx, t.codec, k)
		r := tx.get(t.info, pk)
		if r == nil {
			return nil, notFound(OpGet, t.info, pk, "")
		}
		out = append(out, *r.row.(*T))
	}
	l := tx.counters(t.info.counter)
	l.Batches++
	l.Rows += int64(len(out))
	return out, nil
}

// counter makes *Table Counted: its reads by key.
func (t *Table[T, K]) counter() (*Schema, int) {
	if t == nil || t.info == nil || t.info.schema == nil || !t.info.open {
		return nil, -1
	}
	return t.info.schema, t.info.counter
}

// Has reports whether a row with key k exists.
func (t *Table[T, K]) Has(tx *Tx, k K) (bool, error) {
	if err := tx.enter(t.check(tx, false)); err != nil {
		return false, err
	}
	defer tx.mu.Unlock()
	if err := tx.gets(t.info, "Has"); err != nil {
		return false, err
	}
	return tx.get(t.info, scratchKey(tx, t.codec, k)) != nil, nil
}

// All returns the table's rows in key order. The sequence reads the
// transaction's state when it is ranged over. If it cannot be read (the
// transaction has ended, or the table is of another schema than the
// transaction's store) it yields nothing and the transaction records the
// error (see Tx.Err).
func (t *Table[T, K]) All(tx *Tx) iter.Seq[T] {
	return scrambleSeq(tx, func(yield func(T) bool) {
		it := tx.startSeq(t.check(tx, false), func() (memdb.ResultIterator, error) {
			return tx.iter(t.info.name, "id", nil, false)
		})
		for r := tx.next(it); r != nil; r = tx.next(it) {
			if !yield(*r.row.(*T)) {
				return
			}
		}
	})
}

// Len returns the number of rows, without counting them: each store keeps
// every table's count beside its sequence, and a write transaction its
// inserts and deletes since.
func (t *Table[T, K]) Len(tx *Tx) (int, error) {
	if err := tx.enter(t.check(tx, false)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	return int(tx.rowCount(t.info)), nil
}

// Sequence returns the highest key t's auto-increment sequence has given
// or seen, as SQLite's sqlite_sequence keeps it: Insert assigns the next.
// It is 0 for a table that has had no row, or whose keys are not assigned
// from a sequence (pairs, composites, strings).
func (t *Table[T, K]) Sequence(tx *Tx) (int64, error) {
	if err := tx.enter(t.check(tx, false)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	if t.info.intKey == nil {
		return 0, nil
	}
	if tx.w != nil {
		tx.loadSeq(t.info)
		return tx.w.seq[t.info.id], nil
	}
	return tx.storedSeq(t.info).last, nil
}

// RaiseSequence raises t's sequence to v, so that Insert assigns keys above
// it, as restoring a dump restores sqlite_sequence: a store loaded from a
// file then never reuses the keys of rows deleted before it was saved. It
// never lowers the sequence (keys are never reused), and fails with
// ErrInvalid on a table whose keys are not assigned from a sequence.
func (t *Table[T, K]) RaiseSequence(tx *Tx, v int64) error {
	if err := tx.enter(t.check(tx, true)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	if t.info.intKey == nil {
		return invalid("table %s: its keys are not assigned from a sequence", t.info.name)
	}
	tx.noteID(t.info, v)
	return nil
}
