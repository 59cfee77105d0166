package memrel

import "fmt"

// Verify checks everything the transaction sees, as DB.Verify does. Tests
// call it after every mutation; in a write transaction it also sees deferred
// violations that Commit has not yet reported.
func (tx *Tx) Verify() error {
	if err := tx.enter(tx.usable(nil, false)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	op := tx.op
	tx.op = OpVerify
	defer func() { tx.op = op }()
	var vs []*ConstraintError
	corrupt := func(ti *tableInfo, key []byte, what, detail string) {
		vs = append(vs, tx.violation(ErrCorrupt, ti, key, what, detail))
	}
	for _, ti := range tx.db.schema.tables {
		rows := 0
		filled := make([]int, len(ti.indexes))
		for r := range tx.scan(ti.name, "id", nil) {
			rows++
			fresh, err := ti.front.rekey(r.row)
			switch {
			case err != nil:
				corrupt(ti, r.pk(), ti.name+".primary key", err.Error())
			case !keysEqual(fresh, r):
				corrupt(ti, r.pk(), ti.name, "the row no longer matches the keys it was stored under (a field of reference type changed in place)")
			}
			for _, ix := range ti.indexes {
				k := r.key(ix.slot)
				if k == nil {
					continue
				}
				filled[ix.slot]++
				if ix.unique {
					if other := tx.first(ti.name, ix.mdb, k); other != r {
						vs = append(vs, tx.violation(ErrUnique, ti, r.pk(), ti.name+"."+ix.name, "another row"))
					}
				}
				if rel := ix.rel; rel != nil && tx.parentRow(rel, k) == nil {
					vs = append(vs, tx.missingParent(ti, r.pk(), rel, k))
				}
			}
		}
		if n := tx.rowCount(ti); n != int64(rows) {
			vs = append(vs, &ConstraintError{Op: OpVerify, Table: ti.name, Constraint: ti.name + ".row count",
				Other: fmt.Sprintf("a count of %d for %d rows", n, rows), Err: ErrCorrupt})
		}
		for _, ix := range ti.indexes {
			if ix.shared {
				continue // the primary key's index, checked with the rows
			}
			n := 0
			for r := range tx.scan(ti.name, ix.mdb, nil) {
				n++
				if tx.get(ti, r.pk()) != r {
					corrupt(ti, r.pk(), ti.name+"."+ix.name, "index entry for a row that is not stored")
				}
			}
			if n != filled[ix.slot] {
				vs = append(vs, &ConstraintError{Op: OpVerify, Table: ti.name, Constraint: ti.name + "." + ix.name,
					Other: fmt.Sprintf("%d index entries for %d rows with a value", n, filled[ix.slot]), Err: ErrCorrupt})
			}
		}
	}
	if len(vs) > 0 {
		return &IntegrityError{Op: OpVerify, Violations: vs}
	}
	return nil
}
