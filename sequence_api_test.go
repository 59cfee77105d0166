package memrel_test

import (
	"errors"
	"testing"

	"github.com/memrel/memrel"
)

// Sequence reads a table's sequence; RaiseSequence raises it, as a restore
// of sqlite_sequence does, never lowers it, and a savepoint's rollback
// undoes it.
func TestRaiseSequence(t *testing.T) {
	type Row struct {
		ID   int64
		Name string
	}
	type Link struct{ A, B int64 }
	s := memrel.NewSchema()
	rows := memrel.NewTable(s, "rows", func(r *Row) *int64 { return &r.ID })
	links := memrel.NewPairTable(s, "links", func(l *Link) *int64 { return &l.A }, func(l *Link) *int64 { return &l.B })
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		for range 3 {
			if _, err := rows.Insert(tx, Row{}); err != nil {
				return err
			}
		}
		_, err := rows.DeleteKeys(tx, 2, 3)
		return err
	})
	seq := func(tx *memrel.Tx) int64 {
		t.Helper()
		n, err := rows.Sequence(tx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	_ = db.View(func(tx *memrel.Tx) error {
		if n := seq(tx); n != 3 {
			t.Errorf("Sequence after keys 1 to 3, 2 and 3 deleted: %d, want 3", n)
		}
		if err := rows.RaiseSequence(tx, 9); !errors.Is(err, memrel.ErrReadOnly) {
			t.Errorf("RaiseSequence in View: %v", err)
		}
		return nil
	})
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		if err := rows.RaiseSequence(tx, 10); err != nil {
			return err
		}
		if err := rows.RaiseSequence(tx, 5); err != nil { // never lowers
			return err
		}
		sp, err := tx.Savepoint()
		if err != nil {
			return err
		}
		if err := rows.RaiseSequence(tx, 50); err != nil {
			return err
		}
		if err := sp.Rollback(); err != nil {
			return err
		}
		if n := seq(tx); n != 10 {
			t.Errorf("after the rollback to the savepoint: %d, want 10", n)
		}
		r, err := rows.Insert(tx, Row{})
		if r.ID != 11 {
			t.Errorf("the next key: %d, want 11", r.ID)
		}
		return err
	})
	err = db.Update(func(tx *memrel.Tx) error { return links.RaiseSequence(tx, 3) })
	if !errors.Is(err, memrel.ErrInvalid) {
		t.Errorf("RaiseSequence of a pair table: %v", err)
	}
	_ = db.View(func(tx *memrel.Tx) error {
		if n, err := links.Sequence(tx); n != 0 || err != nil {
			t.Errorf("Sequence of a pair table: %d, %v", n, err)
		}
		return nil
	})
}
