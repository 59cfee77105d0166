package memreltest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/memrel/memrel"
)

// An Option adjusts an assertion.
type Option func(*assertion)

type assertion struct {
	ordered    bool
	ignoreKeys bool
	ignore     []string
	cmp        []cmp.Option
}

// InOrder makes AssertRows compare the rows in the order the table holds
// them (key order) with want's order; without it, order does not matter.
func InOrder() Option { return func(a *assertion) { a.ordered = true } }

// IgnoreKeys ignores the keys a store generates: the table's primary key if
// its sequence assigns it, and every foreign key column that references
// such a key, so that rows are compared by what a test writes down. A
// nullable foreign key column is still compared for being NULL or not.
func IgnoreKeys() Option { return func(a *assertion) { a.ignoreKeys = true } }

// IgnoreFields ignores the named fields of the row ("UpdatedAt", or a path
// "Key.ID"), as cmpopts.IgnoreFields does.
func IgnoreFields(names ...string) Option {
	return func(a *assertion) { a.ignore = append(a.ignore, names...) }
}

// CmpOptions passes go-cmp options through to the comparison
// (cmpopts.EquateApproxTime, a Transformer, ...).
func CmpOptions(opts ...cmp.Option) Option {
	return func(a *assertion) { a.cmp = append(a.cmp, opts...) }
}

// AssertRows fails the test unless table t holds exactly the rows want, as
// tx sees it, showing a go-cmp diff (-want +got) and the table's
// declaration (its key and foreign keys). Order does not matter unless
// InOrder.
func AssertRows[T any, K comparable](tb testing.TB, tx *memrel.Tx, t *memrel.Table[T, K], want []T, opts ...Option) {
	tb.Helper()
	var a assertion
	for _, o := range opts {
		o(&a)
	}
	var got []T
	for r := range t.All(tx) {
		got = append(got, r)
	}
	if err := tx.Err(); err != nil {
		tb.Fatalf("memreltest.AssertRows(%s): %v", t.Name(), err)
	}
	d, _ := describe(tx.Schema(), t.Name())
	fields, keys := a.ignored(tx.Schema(), d)
	for _, p := range append(append([]string(nil), fields...), keys...) {
		if !hasField(reflect.TypeFor[T](), p) {
			tb.Fatalf("memreltest.AssertRows(%s): IgnoreFields(%q): %s has no such field (%s)", t.Name(), p, reflect.TypeFor[T](), fieldNames(reflect.TypeFor[T]()))
		}
	}
	copts := append([]cmp.Option{cmpopts.EquateEmpty()}, a.cmp...)
	// Both sides with the ignored fields zeroed (a nullable key keeps
	// whether it is NULL), then, unless InOrder, in one canonical order:
	// by the row's JSON, so that equal rows line up.
	want, got = normalize(want, fields, keys), normalize(got, fields, keys)
	if !a.ordered {
		sortRows(got)
		sortRows(want)
	}
	diff, err := safeDiff(want, got, copts...)
	if err != nil {
		tb.Fatalf("memreltest.AssertRows(%s): %v", t.Name(), err)
	}
	if diff != "" {
		tb.Errorf("memreltest.AssertRows: table %s (-want +got):\n%s\ntable %s", t.Name(), diff, d)
	}
}

// safeDiff is cmp.Diff, with the panic it raises for a row type it cannot
// compare (unexported fields) as an error.
func safeDiff(x, y any, opts ...cmp.Option) (diff string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("go-cmp cannot compare these rows: %v (pass an option with CmpOptions)", p)
		}
	}()
	return cmp.Diff(x, y, opts...), nil
}

// hasField reports whether struct type t has a field at path p.
func hasField(t reflect.Type, p string) bool {
	for _, name := range strings.Split(p, ".") {
		if t.Kind() != reflect.Struct {
			return false
		}
		f, ok := t.FieldByName(name)
		if !ok {
			return false
		}
		t = f.Type
	}
	return true
}

// ignored is the field paths a ignores on rows of table d: wholly
// (fields), and as keys (a nullable one keeps being NULL or not).
func (a assertion) ignored(s *memrel.Schema, d memrel.TableDesc) (fields, keys []string) {
	fields = append(fields, a.ignore...)
	if !a.ignoreKeys {
		return fields, nil
	}
	if d.AutoKey {
		fields = append(fields, d.Key...)
	}
	auto := map[string]bool{}
	for _, t := range s.Tables() {
		auto[t.Name] = t.AutoKey
	}
	for _, rd := range d.Relations {
		if auto[rd.Parent] && rd.Index == "" {
			keys = append(keys, rd.Fields...)
		}
	}
	return fields, keys
}

// normalize returns copies of rows with fields zeroed, and keys zeroed but
// for a Null's Valid.
func normalize[T any](rows []T, fields, keys []string) []T {
	if len(fields)+len(keys) == 0 || len(rows) == 0 {
		return append([]T(nil), rows...) // a copy all the same: the caller's want is sorted
	}
	out := make([]T, len(rows))
	for i := range rows {
		v := reflect.New(reflect.TypeFor[T]()).Elem()
		v.Set(reflect.ValueOf(rows[i]))
		for _, p := range fields {
			if f := fieldByPath(v, p); f.IsValid() && f.CanSet() {
				f.SetZero()
			}
		}
		for _, p := range keys {
			f := fieldByPath(v, p)
			if !f.IsValid() || !f.CanSet() {
				continue
			}
			if f.Kind() == reflect.Struct && f.FieldByName("V").IsValid() && f.FieldByName("Valid").IsValid() {
				f.FieldByName("V").SetZero() // a memrel.Null: keep Valid
			} else {
				f.SetZero()
			}
		}
		out[i] = v.Interface().(T)
	}
	return out
}

func describe(s *memrel.Schema, table string) (memrel.TableDesc, bool) {
	for _, d := range s.Tables() {
		if d.Name == table {
			return d, true
		}
	}
	return memrel.TableDesc{Name: table}, false
}

func sortRows[T any](rows []T) {
	keys := make([]string, len(rows))
	for i := range rows {
		b, err := json.Marshal(rows[i])
		if err != nil {
			b = []byte(fmt.Sprintf("%#v", rows[i]))
		}
		keys[i] = string(b)
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	sorted := make([]T, len(rows))
	for i, j := range idx {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
}

// StoreDiff is what differs between two stores of one schema, table by
// table, in schema order: the rows only the second has, the rows only the
// first has, and the rows whose key both have but whose fields differ.
type StoreDiff struct {
	Tables []TableDiff // only tables that differ
}

// TableDiff is one table's part of a StoreDiff. Rows are values of the
// table's row type, in key order.
type TableDiff struct {
	Table   string
	Added   []any
	Removed []any
	Changed []Change
}

// Change is a row whose key both stores have, before and after.
type Change struct {
	Key           string
	Before, After any
}

// Empty reports whether the stores hold the same rows.
func (d *StoreDiff) Empty() bool { return d == nil || len(d.Tables) == 0 }

// Table returns the part of d for table, empty if it did not change.
func (d *StoreDiff) Table(table string) TableDiff {
	if d != nil {
		for _, t := range d.Tables {
			if t.Table == table {
				return t
			}
		}
	}
	return TableDiff{Table: table}
}

// String renders d for a test's log: per table, "+" added rows, "-"
// removed, "~" changed with a go-cmp diff of the two.
func (d *StoreDiff) String() string {
	if d.Empty() {
		return "no changes"
	}
	var b strings.Builder
	for _, t := range d.Tables {
		fmt.Fprintf(&b, "%s:\n", t.Table)
		for _, r := range t.Added {
			fmt.Fprintf(&b, "  + %+v\n", r)
		}
		for _, r := range t.Removed {
			fmt.Fprintf(&b, "  - %+v\n", r)
		}
		for _, c := range t.Changed {
			fmt.Fprintf(&b, "  ~ %s: %s\n", c.Key, strings.ReplaceAll(strings.TrimSpace(cmp.Diff(c.Before, c.After)), "\n", "\n    "))
		}
	}
	return b.String()
}

// Diff compares two stores of one schema (a store and a fork of it, most
// often), and returns what the second holds that the first does not.
func Diff(before, after *memrel.DB) (*StoreDiff, error) {
	if before == nil || after == nil || before.Schema() != after.Schema() {
		return nil, fmt.Errorf("memreltest.Diff: the stores must be of one schema")
	}
	b, err := snapshot(before)
	if err != nil {
		return nil, err
	}
	a, err := snapshot(after)
	if err != nil {
		return nil, err
	}
	out := &StoreDiff{}
	for i, t := range b {
		td := TableDiff{Table: t.table}
		at := a[i]
		for _, k := range t.order {
			if r, ok := at.rows[k]; !ok {
				td.Removed = append(td.Removed, t.rows[k])
			} else if !cmp.Equal(t.rows[k], r, cmpopts.EquateEmpty()) {
				td.Changed = append(td.Changed, Change{Key: k, Before: t.rows[k], After: r})
			}
		}
		for _, k := range at.order {
			if _, ok := t.rows[k]; !ok {
				td.Added = append(td.Added, at.rows[k])
			}
		}
		if len(td.Added)+len(td.Removed)+len(td.Changed) > 0 {
			out.Tables = append(out.Tables, td)
		}
	}
	return out, nil
}

type tableRows struct {
	table string
	order []string // keys, in key order
	rows  map[string]any
}

func snapshot(db *memrel.DB) ([]tableRows, error) {
	var out []tableRows
	err := db.View(func(tx *memrel.Tx) error {
		for _, d := range db.Schema().Tables() {
			t := tableRows{table: d.Name, rows: map[string]any{}}
			for r := range d.Rows(tx) {
				k, err := d.KeyOf(r)
				if err != nil {
					return err
				}
				t.order = append(t.order, k)
				t.rows[k] = r
			}
			out = append(out, t)
		}
		return tx.Err()
	})
	return out, err
}

// Changes runs fn and returns what it changed in db: a fork taken before
// (O(1)) compared with db after. A test then asserts that the call touched
// only what it should:
//
//	d := memreltest.Changes(t, db, func() { rename(db, 7, "Ann") })
//	if len(d.Tables) != 1 || len(d.Table("users").Changed) != 1 { t.Errorf("changed:\n%s", d) }
func Changes(tb testing.TB, db *memrel.DB, fn func()) *StoreDiff {
	tb.Helper()
	before := db.Fork()
	fn()
	d, err := Diff(before, db)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
