package memrel

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
