package memrel

import "bytes"

// Set-based statements: SQL's DELETE ... WHERE and UPDATE ... WHERE, each
// one operation over every row it matches, with SQLite's timing: each
// row's own checks and actions as it goes (RESTRICT at once, cascades run
// to the end before the next row), NO ACTION checked when the statement
// ends, and all or nothing.

// DeleteWhere deletes every row of t for which where returns true, as one
// statement: each deletion runs its ON DELETE actions before the next row
// goes, RESTRICT is checked as each row goes, and NO ACTION when the
// statement ends, so a child whose parent the statement deletes and
// another row of it re-creates is fine. If any of it is rejected, nothing
// is deleted. It returns how many rows it deleted (not counting those its
// cascades deleted), 0 if where matches none: the "rows affected" of SQL,
// where Delete of one absent key is ErrNotFound. Rows are matched in key
// order, against the transaction's rows when the statement begins; where
// may use the transaction. A row a cascade of the statement deleted first
// is not deleted again, nor counted.
func (t *Table[T, K]) DeleteWhere(tx *Tx, where func(T) bool) (int, error) {
	return t.statement(tx, where, nil)
}

// UpdateWhere replaces every row of t for which where returns true by
// set(row), as one statement, as DeleteWhere deletes: set is given the row
// as it is when its turn comes (a cascade of an earlier row may have
// changed it) and may change its key, which runs the ON UPDATE actions.
// set must not use the transaction: it runs inside the statement, and a
// call it makes on the transaction fails with ErrInvalid (and an Abort
// makes the commit fail). It returns how many rows it matched and wrote,
// whether or not set changed them. Unique values and keys are checked as
// each row is written, as in SQLite and PostgreSQL: a shift of keys by one
// collides with the next row's.
func (t *Table[T, K]) UpdateWhere(tx *Tx, where func(T) bool, set func(T) T) (int, error) {
	if set == nil {
		return 0, invalid("UpdateWhere: nil set function")
	}
	return t.statement(tx, where, set)
}

// DeleteKeys deletes the rows whose keys are ks, as one statement, as
// DeleteWhere does, and returns how many it deleted: an absent key is not
// an error, only not counted, and a key given twice counts once.
func (t *Table[T, K]) DeleteKeys(tx *Tx, ks ...K) (int, error) {
	if err := tx.enter(t.check(tx, true)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	pks := make([][]byte, len(ks))
	for i, k := range ks {
		pks[i] = encodeKey(t.codec, k)
	}
	return t.run(tx, pks, nil)
}

// statement matches the rows where selects, then deletes them (set nil)
// or updates them by set, as one operation.
func (t *Table[T, K]) statement(tx *Tx, where func(T) bool, set func(T) T) (int, error) {
	if where == nil {
		return 0, invalid("nil where function")
	}
	if err := tx.enter(t.check(tx, true)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	var pks [][]byte
	it, err := tx.iter(t.info.name, "id", nil, false)
	if err != nil {
		return 0, err
	}
	for obj := it.Next(); obj != nil; obj = it.Next() {
		r := obj.(*rec)
		if callout(tx, where, *r.row.(*T)) {
			pks = append(pks, r.pk())
		}
	}
	if tx.done.Load() {
		return 0, ErrTxDone // ended by the where function
	}
	return t.run(tx, pks, set)
}

// run deletes (set nil) or updates by set the rows whose keys are pks, as
// one operation, the caller holding tx's lock.
func (t *Table[T, K]) run(tx *Tx, pks [][]byte, set func(T) T) (int, error) {
	n := 0
	if set != nil {
		// set runs with tx locked: a call it makes on tx is refused, not
		// left waiting for a lock its own goroutine holds.
		tx.inside.Store(goid())
		defer tx.inside.Store(0)
	}
	err := tx.atomically(t.info, func() error {
		seen := keyMap[struct{}]{}
		for _, pk := range pks {
			if _, dup := seen.get(pk); dup {
				continue // a key given twice
			}
			seen.set(pk, struct{}{})
			r := tx.get(t.info, pk)
			if r == nil {
				continue // absent, or gone in a cascade of this statement
			}
			if set == nil {
				tx.op = OpDelete
				if err := tx.remove(t.info, r, cause{}); err != nil {
					return err
				}
			} else {
				tx.op = OpUpdate
				nr, _, err := t.prepare(tx, set(*r.row.(*T)), false)
				if err != nil {
					return err
				}
				if err := tx.replace(t.info, r, nr, cause{statement: true}); err != nil {
					return err
				}
			}
			n++
			if err := tx.runActions(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// DeleteRange deletes every row whose indexed value v is in the range
// from <= v <= to (SQL's WHERE v BETWEEN from AND to; from == to for
// WHERE v = from), as one statement, as Table.DeleteWhere does: reading
// only the index's entries in the range, in the index's order. It returns
// how many rows it deleted.
func (x *Index[T, K, V]) DeleteRange(tx *Tx, from, to V) (int, error) {
	return x.statement(tx, from, to, nil)
}

// UpdateRange replaces every row whose indexed value is in the range from
// <= v <= to by set(row), as one statement, as Table.UpdateWhere does. The
// rows are those of the range when the statement begins; set may move a
// row's value out of the range, or into it, which matches it only if it
// was there already.
func (x *Index[T, K, V]) UpdateRange(tx *Tx, from, to V, set func(T) T) (int, error) {
	if set == nil {
		return 0, invalid("UpdateRange: nil set function")
	}
	return x.statement(tx, from, to, set)
}

func (x *Index[T, K, V]) statement(tx *Tx, from, to V, set func(T) T) (int, error) {
	err := x.check(tx)
	if err == nil {
		err = x.table.check(tx, true)
	}
	if err := tx.enter(err); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	slot := x.info.slot
	pks, err := tx.inRange(x.info.table, x.info.mdb, func(r *rec) []byte { return r.key(slot) }, encodeKey(x.codec, from), encodeKey(x.codec, to))
	if err != nil {
		return 0, err
	}
	return x.table.run(tx, pks, set)
}

// DeleteRange deletes every row whose key k is in the range from <= k <=
// to, as one statement, as DeleteWhere does, reading only that range of
// the primary key: for a composite key, DeleteRange(tx, Key{1, 11},
// Key{1, 13}) is DELETE ... WHERE tenant_id = 1 AND id BETWEEN 11 AND 13.
// It returns how many rows it deleted.
func (t *Table[T, K]) DeleteRange(tx *Tx, from, to K) (int, error) {
	return t.rangeStatement(tx, from, to, nil)
}

// UpdateRange replaces every row whose key is in the range from <= k <= to
// by set(row), as one statement, as UpdateWhere does.
func (t *Table[T, K]) UpdateRange(tx *Tx, from, to K, set func(T) T) (int, error) {
	if set == nil {
		return 0, invalid("UpdateRange: nil set function")
	}
	return t.rangeStatement(tx, from, to, set)
}

func (t *Table[T, K]) rangeStatement(tx *Tx, from, to K, set func(T) T) (int, error) {
	if err := tx.enter(t.check(tx, true)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	pks, err := tx.inRange(t.info, "id", (*rec).pk, encodeKey(t.codec, from), encodeKey(t.codec, to))
	if err != nil {
		return 0, err
	}
	return t.run(tx, pks, set)
}

// inRange returns the primary keys of the rows of ti whose key in index
// (key reads it from a record) is in [lo, hi], in the index's order.
func (tx *Tx) inRange(ti *tableInfo, index string, key func(*rec) []byte, lo, hi []byte) ([][]byte, error) {
	if bytes.Compare(lo, hi) > 0 {
		return nil, nil // an empty range, as BETWEEN 2 AND 1 is
	}
	if tx.done.Load() {
		return nil, ErrTxDone
	}
	it, err := tx.mtx.LowerBound(ti.name, index, lo)
	if err != nil {
		return nil, err
	}
	var pks [][]byte
	for obj := it.Next(); obj != nil; obj = it.Next() {
		r := obj.(*rec)
		if bytes.Compare(key(r), hi) > 0 {
			break
		}
		pks = append(pks, r.pk())
	}
	return pks, nil
}
