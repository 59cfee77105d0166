package memrel

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The generic helpers of the tests. MustUpdate and MustTx are exported for
// package memrel_test too.

// MustUpdate runs fn in a write transaction and fails the test if it fails.
func MustUpdate(tb testing.TB, db *DB, fn func(tx *Tx) error) {
	tb.Helper()
	if err := db.Update(fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// dump returns every row of every table, in key order, for comparing whole
// states with cmp.
func dump(tb testing.TB, db *DB) map[string][]any {
	tb.Helper()
	out := map[string][]any{}
	err := db.View(func(tx *Tx) error {
		out = dumpTx(tx)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func dumpTx(tx *Tx) map[string][]any {
	out := map[string][]any{}
	for _, ti := range tx.db.schema.tables {
		rows := []any{}
		for r := range tx.scan(ti.name, "id", nil) {
			rows = append(rows, r.row)
		}
		out[ti.name] = rows
	}
	return out
}

// verify fails the test if the store is not sound.
func verify(tb testing.TB, db *DB) {
	tb.Helper()
	if err := db.Verify(); err != nil {
		tb.Fatalf("Verify: %v", err)
	}
}

// unchanged runs fn and fails the test if the store's rows differ after it.
func unchanged(tb testing.TB, db *DB, fn func()) {
	tb.Helper()
	before := dump(tb, db)
	fn()
	if diff := cmp.Diff(before, dump(tb, db)); diff != "" {
		tb.Errorf("store changed (-before +after):\n%s", diff)
	}
	verify(tb, db)
}

func mustView(tb testing.TB, db *DB, fn func(tx *Tx) error) {
	tb.Helper()
	if err := db.View(fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// MustTx returns tx, for a transaction whose start cannot fail.
func MustTx(tx *Tx, err error) *Tx {
	if err != nil {
		panic(err)
	}
	return tx
}

// Loaded is a row and what an eager load found for it: a Result turned
// into a plain structure (with ZipLoaded, BindOf and BindParentOf) that cmp
// can compare with one built by lazy navigation or by hand.
type Loaded[T, V any] struct {
	Row    T
	Loaded V
}

// ZipLoaded pairs each of rows with of(row). The slice is never nil, so
// that a row with nothing loaded below it compares equal to an empty slice
// built lazily.
func ZipLoaded[T, V any](rows []T, of func(T) V) []Loaded[T, V] {
	out := make([]Loaded[T, V], len(rows))
	for i, r := range rows {
		out[i] = Loaded[T, V]{Row: r, Loaded: of(r)}
	}
	return out
}

// BindOf binds a loader's Of method to res, for ZipLoaded:
// ZipLoaded(users, BindOf(res, posts.Of)).
func BindOf[T, V any](res *Result, of func(*Result, T) V) func(T) V {
	return func(row T) V { return of(res, row) }
}

// BindParentOf binds a OneLoader's Of method to res, for ZipLoaded: the
// parent as a pointer, nil where Of found none.
func BindParentOf[C, P any](res *Result, of func(*Result, C) (P, bool)) func(C) *P {
	return func(child C) *P {
		p, ok := of(res, child)
		if !ok {
			return nil
		}
		return &p
	}
}
