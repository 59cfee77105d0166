package memrel

import (
	"bytes"
	"iter"

	memdb "github.com/hashicorp/go-memdb"
)

// Reads: point lookups through a write transaction's own rows, its
// snapshot, and the identity map; scans of an index; ordered passes over
// the primary index. Every function here runs with the transaction locked.

// get returns the record with primary key pk, or nil.
func (tx *Tx) get(ti *tableInfo, pk []byte) *rec {
	if pk == nil {
		return nil // NULL names no row (and go-memdb would take it for a prefix)
	}
	if tx.w == nil {
		// A reader, or a writer that has ended (lookup reads nothing then).
		return tx.lookup(tx.mtx, ti, pk)
	}
	if tx.w.rows != nil {
		if r, ok := tx.w.rows[ti.id].get(pk); ok {
			return r
		}
	}
	return tx.lookup(tx.w.base, ti, pk)
}

// The identity map (Tx.seen), like that of SQLAlchemy's Session: the rows a
// transaction has found by primary key in the snapshot it reads, which no
// write can change (a write transaction's own writes are looked up first,
// in rows). go-memdb spends most of a point lookup finding the index's tree
// by name and opening a radix transaction on it, about 140 of 170 ns
// (bench/ BenchmarkLookup), so a key looked up again (a post's author, a
// tag through an association, a parent in a foreign key check) is served
// from here. It starts after seenAfter lookups, so that a short transaction
// pays nothing, and holds at most seenMax rows per table: when full, it
// starts over, so that a long scan keeps the keys it is using now.
const (
	seenAfter = 16
	seenMax   = 1 << 12
)

// lookup returns the record with primary key pk in m, the snapshot the
// transaction reads, or nil.
func (tx *Tx) lookup(m *memdb.Txn, ti *tableInfo, pk []byte) *rec {
	var s *keyMap[*rec]
	if tx.seen != nil {
		s = &tx.seen[ti.id]
		if r, ok := s.get(pk); ok {
			return r
		}
	} else if tx.lookups++; tx.lookups > seenAfter {
		tx.seen = make([]keyMap[*rec], len(tx.db.schema.tables))
	}
	r := tx.firstIn(m, ti.name, "id", pk)
	if r == nil || s == nil {
		return r
	}
	if s.len() >= seenMax {
		s.clear()
	}
	s.set(pk, r)
	return r
}

// current returns the row now stored under r's key: r itself, unless this
// transaction has written that key since r was read.
func (tx *Tx) current(ti *tableInfo, r *rec) *rec {
	if tx.w == nil || tx.w.rows == nil {
		return r
	}
	if w, ok := tx.w.rows[ti.id].get(r.pk()); ok {
		return w
	}
	return r
}

// note records that the row with key pk of ti is now r (nil: deleted).
func (tx *Tx) note(ti *tableInfo, pk []byte, r *rec) {
	if tx.w.rows == nil {
		tx.w.rows = make([]keyMap[*rec], len(tx.db.schema.tables))
	}
	tx.w.rows[ti.id].set(pk, r)
	if r == nil {
		return
	}
	for _, ix := range ti.indexes {
		if k := r.key(ix.slot); ix.unique && k != nil {
			if tx.w.uniq == nil {
				tx.w.uniq = map[*indexInfo]map[string]*rec{}
			}
			u := tx.w.uniq[ix]
			if u == nil {
				u = map[string]*rec{}
				tx.w.uniq[ix] = u
			}
			u[string(k)] = r
		}
	}
}

// holder returns the row of ti that now has value k in unique index ix.
func (tx *Tx) holder(ti *tableInfo, ix *indexInfo, k []byte) *rec {
	if tx.w == nil {
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
	if r := current(tx.w.uniq[ix][string(k)]); r != nil {
		return r
	}
	return current(tx.firstIn(tx.w.base, ti.name, ix.mdb, k))
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
	return tx.scanIn(table, index, prefix, false)
}

// scanIn is scan in reverse key order if backward.
func (tx *Tx) scanIn(table, index string, prefix []byte, backward bool) iter.Seq[*rec] {
	return func(yield func(*rec) bool) {
		it, err := tx.iter(table, index, prefix, backward)
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

// findSorted calls found(n, r) for each n < count whose key(n), encoded,
// is the primary key of a row r of ti: in one pass over the primary index
// in key order, keys increasing with n, rather than one lookup each.
// go-memdb spends most of a lookup finding the index, which a pass pays
// once. The pass steps over at most gallop rows to reach the next key
// before it seeks to it instead, so that a few keys in a large table cost
// a few seeks, not a scan. A transaction that has written ti, or that has
// only a few keys to find, looks each up with get.
//
// The keys are rel's referenced keys; for a relation that references a
// unique index rather than the primary key, each is looked up on its own.
func (tx *Tx) findSorted(rel *relInfo, count int, key func(int) []byte, found func(int, *rec)) {
	const gallop = 16
	if tx.done.Load() {
		return // ended by a Where function: the load fails with ErrTxDone
	}
	ti := rel.parent
	if count < 2*gallop || rel.ref != nil || tx.wrote(ti) {
		for n := range count {
			if r := tx.parentRow(rel, key(n)); r != nil {
				found(n, r)
			}
		}
		return
	}
	m := tx.mtx
	if tx.w != nil {
		m = tx.w.base
	}
	var it memdb.ResultIterator
	var cur *rec
	next := func() {
		cur = nil
		if obj := it.Next(); obj != nil {
			cur = obj.(*rec)
		}
	}
	seek := func(k []byte) {
		tx.arg = k
		var err error
		it, err = m.LowerBound(ti.name, "id", &tx.arg)
		tx.arg = nil
		if err != nil {
			it = nil
		}
		cur = nil
		if it != nil {
			next()
		}
	}
	seek(key(0))
	for n := range count {
		k := key(n)
		for steps := 0; cur != nil && bytes.Compare(cur.pk(), k) < 0; steps++ {
			if steps == gallop {
				seek(k)
				break
			}
			next()
		}
		if cur != nil && bytes.Equal(cur.pk(), k) {
			found(n, cur)
		}
	}
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
