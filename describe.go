package memrel

import (
	"fmt"
	"iter"
	"reflect"
	"strings"
)

// The schema as data, for tools that work on any schema: a test kit that
// loads fixtures and dumps stores (memreltest), an exporter of SQL DDL.
// Application code uses the typed tables and relations instead.

// TableDesc describes a table: its rows' Go type, its key, its indexes and
// its foreign keys. Its methods read and write rows as values of type any
// holding the row's type, for tools; they are checked as the typed methods
// are.
type TableDesc struct {
	Name string
	Row  reflect.Type // the rows' struct type
	// Key is the primary key's fields, as paths in Row: "ID"; "Key.TenantID",
	// "Key.ID" for a composite key held in a field Key; "PostID", "TagID"
	// for a pair.
	Key []string
	// AutoKey: an integer key that Insert assigns from the table's
	// sequence when it is 0.
	AutoKey   bool
	Indexes   []IndexDesc    // secondary indexes, in declaration order
	Relations []RelationDesc // its foreign keys, in declaration order
	t         *tableInfo
}

// IndexDesc describes a secondary index.
type IndexDesc struct {
	Name     string
	Fields   []string // paths in the row, in the index's order
	Unique   bool
	Nullable bool // a column may be NULL (a row with a NULL column is not in it)
}

// RelationDesc describes a foreign key.
type RelationDesc struct {
	Name   string   // as declared: "author"
	Table  string   // the child table
	Fields []string // the child's columns, in the order of the key they reference
	Parent string   // the parent table
	// References is the parent's fields the columns reference, in the same
	// order: its primary key's, or Index's.
	References []string
	Index      string // the parent's unique index referenced; "" for its primary key
	OnDelete   Action
	OnUpdate   Action
	Deferred   bool
	Unique     bool // one-to-one
	MatchFull  bool
	Nullable   bool // a column may be NULL
	// Default is the key SET DEFAULT writes, as given to Default (the
	// composite key's struct for a composite key); nil if none was given.
	Default any
	// Throughs are the many-to-many directions (NewThrough) that start
	// from this relation ("posts.tags"); their loads count on it.
	Throughs []string
	r        *relInfo
}

// QName is the relation's qualified name, "posts.author", as errors and
// strict mode name it.
func (d RelationDesc) QName() string { return d.Table + "." + d.Name }

// counter makes RelationDesc Counted: DB.LoadStats(d).
func (d RelationDesc) counter() (*Schema, int) { return d.r.counter() }

// counter makes TableDesc Counted: its reads by key.
func (d TableDesc) counter() (*Schema, int) {
	if d.t == nil || d.t.schema == nil || !d.t.open {
		return nil, -1
	}
	return d.t.schema, d.t.counter
}

// Schema returns the schema of tx's store.
func (tx *Tx) Schema() *Schema {
	if tx == nil || tx.db == nil {
		return nil
	}
	return tx.db.schema
}

// Schema returns the schema the store was opened with.
func (db *DB) Schema() *Schema {
	if db == nil {
		return nil
	}
	return db.schema
}

// Tables describes the schema's tables, in declaration order.
func (s *Schema) Tables() []TableDesc {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]TableDesc, 0, len(s.tables))
	for _, ti := range s.tables {
		d := TableDesc{Name: ti.name, Key: splitFields(ti.keyName), AutoKey: ti.intKey != nil, t: ti}
		if f, ok := ti.front.(describedFront); ok {
			d.Row = f.rowType()
		}
		for _, ix := range ti.indexes {
			if ix.rel != nil {
				continue
			}
			d.Indexes = append(d.Indexes, IndexDesc{Name: ix.name, Fields: splitFields(ix.field), Unique: ix.unique, Nullable: ix.nullable})
		}
		for _, r := range s.rels {
			if r.child != ti {
				continue
			}
			rd := RelationDesc{Name: r.name, Table: ti.name, Fields: splitFields(r.index.field), Parent: r.parent.name,
				References: splitFields(r.parent.keyName), OnDelete: r.onDelete, OnUpdate: r.onUpdate,
				Deferred: r.deferred, Unique: r.index.unique, MatchFull: r.matchFull, Nullable: r.nullable,
				Default: r.defValue, Throughs: append([]string(nil), r.throughs...), r: r}
			if r.ref != nil {
				rd.Index, rd.References = r.ref.name, splitFields(r.ref.field)
			}
			d.Relations = append(d.Relations, rd)
		}
		out = append(out, d)
	}
	return out
}

func splitFields(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ", ")
}

// describedFront is a front that tools can read and write through.
type describedFront interface {
	rowType() reflect.Type
	rowsAny(tx *Tx) iter.Seq[any]
	insertAny(tx *Tx, row any, withKey bool) (any, error)
	updateAny(tx *Tx, row any) error
	keyAny(row any) (string, error)
	pkAny(row any) (any, error)
	sequenceAny(tx *Tx) (int64, error)
}

func (t *Table[T, K]) sequenceAny(tx *Tx) (int64, error) { return t.Sequence(tx) }

// sequence is the table's Sequence.
func (d TableDesc) sequence(tx *Tx) (int64, error) {
	f, err := d.front()
	if err != nil {
		return 0, err
	}
	return f.sequenceAny(tx)
}

func (t *Table[T, K]) rowType() reflect.Type { return reflect.TypeFor[T]() }

func (t *Table[T, K]) rowsAny(tx *Tx) iter.Seq[any] {
	return func(yield func(any) bool) {
		for r := range t.All(tx) {
			if !yield(r) {
				return
			}
		}
	}
}

func (t *Table[T, K]) rowOf(row any) (T, error) {
	switch r := row.(type) {
	case T:
		return r, nil
	case *T:
		if r != nil {
			return *r, nil
		}
	}
	var zero T
	return zero, invalid("table %s: a row of type %T, not %s", t.info.name, row, reflect.TypeFor[T]())
}

func (t *Table[T, K]) insertAny(tx *Tx, row any, withKey bool) (any, error) {
	r, err := t.rowOf(row)
	if err != nil {
		return nil, err
	}
	if withKey {
		return t.InsertWithKey(tx, r)
	}
	return t.Insert(tx, r)
}

func (t *Table[T, K]) updateAny(tx *Tx, row any) error {
	r, err := t.rowOf(row)
	if err != nil {
		return err
	}
	return t.Update(tx, r)
}

func (t *Table[T, K]) pkAny(row any) (any, error) {
	r, err := t.rowOf(row)
	if err != nil {
		return nil, err
	}
	return t.get(&r), nil
}

func (t *Table[T, K]) keyAny(row any) (string, error) {
	r, err := t.rowOf(row)
	if err != nil {
		return "", err
	}
	return t.codec.format(encodeKey(t.codec, t.get(&r))), nil
}

func (d TableDesc) front() (describedFront, error) {
	if d.t == nil {
		return nil, invalid("table description not made by Schema.Tables")
	}
	f, ok := d.t.front.(describedFront)
	if !ok {
		return nil, invalid("table %s cannot be read as values", d.Name)
	}
	return f, nil
}

// Rows returns the table's rows in key order, each a value of type Row, as
// Table.All does.
func (d TableDesc) Rows(tx *Tx) iter.Seq[any] {
	f, err := d.front()
	if err != nil {
		return func(func(any) bool) { tx.failSeq(err) }
	}
	return f.rowsAny(tx)
}

// Insert inserts row, a value (or a pointer to one) of type Row, as
// Table.Insert does, and returns the row stored.
func (d TableDesc) Insert(tx *Tx, row any) (any, error) {
	f, err := d.front()
	if err != nil {
		return nil, err
	}
	return f.insertAny(tx, row, false)
}

// InsertWithKey inserts row under the key it holds, as
// Table.InsertWithKey does.
func (d TableDesc) InsertWithKey(tx *Tx, row any) (any, error) {
	f, err := d.front()
	if err != nil {
		return nil, err
	}
	return f.insertAny(tx, row, true)
}

// Update replaces the row that has row's key, as Table.Update does.
func (d TableDesc) Update(tx *Tx, row any) error {
	f, err := d.front()
	if err != nil {
		return err
	}
	return f.updateAny(tx, row)
}

// PrimaryKey returns row's primary key, a value of the table's key type
// (a Pair, or the composite key's struct, for those).
func (d TableDesc) PrimaryKey(row any) (any, error) {
	f, err := d.front()
	if err != nil {
		return nil, err
	}
	return f.pkAny(row)
}

// KeyOf formats row's primary key as errors do: "7", `"ann"`, "(1, 2)".
func (d TableDesc) KeyOf(row any) (string, error) {
	f, err := d.front()
	if err != nil {
		return "", err
	}
	return f.keyAny(row)
}

// String is the table as SQL would declare it, roughly, for messages:
// "posts (ID; author -> users)".
func (d TableDesc) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s", d.Name, strings.Join(d.Key, ", "))
	for _, r := range d.Relations {
		fmt.Fprintf(&b, "; %s: %s -> %s", r.Name, strings.Join(r.Fields, ", "), r.Parent)
		if r.Index != "" {
			fmt.Fprintf(&b, ".%s", r.Index)
		}
	}
	b.WriteString(")")
	return b.String()
}
