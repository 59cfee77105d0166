package memrel

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	memdb "github.com/hashicorp/go-memdb"
)

// Schema collects the tables, indexes and relations of a store. Declare them
// with NewTable, NewIndex, NewUniqueIndex, ForeignKey and NullableForeignKey,
// then call Open. Declarations never fail on their own: every mistake is
// reported by Open, each naming its table and field, so a schema can be
// written as a block of package-level variables.
//
// A Schema may be opened any number of times, each Open giving an independent
// store. Declaring anything after the first Open is an error.
type Schema struct {
	mu     sync.Mutex // Open's; declarations, which come before, take it too
	tables []*tableInfo
	rels   []*relInfo
	errs   []error
	frozen bool
	mdb    *memdb.DBSchema
	// throughs are the names of the many-to-many directions (NewThrough),
	// which must not repeat.
	throughs map[string]bool
}

// NewSchema returns an empty schema.
func NewSchema() *Schema { return &Schema{} }

// tableInfo is the engine's view of a table: everything integrity needs,
// nothing about how rows are represented (that is the front's business).
type tableInfo struct {
	schema  *Schema
	name    string
	id      int
	front   front
	keyName string // the key field, for messages
	indexes []*indexInfo
	out     []*relInfo                    // relations in which this table is the child
	in      []*relInfo                    // relations in which this table is the parent
	open    bool                          // declared before the schema was opened
	intKey  func(pk []byte) (int64, bool) // an integer key's value; nil for strings and pairs
	lead    string                        // the field the key begins with
	prefix  string                        // "name ", put before a key in messages
	seqKey  []byte                        // the key of its sequence in seqTable
	counter int                           // its counters' slot: after the relations'
	unique  bool                          // it has a unique secondary index
	// refsUnique: a relation references one of its unique indexes, so an
	// update that changes such a value runs that relation's actions.
	refsUnique bool
}

// front is the seam between the integrity engine and a row representation.
// Typed tables of Go structs are one front; any other (rows described at run
// time) implements the same two methods and reuses the whole engine.
type front interface {
	// formatKey renders an encoded primary key of this table for messages.
	formatKey(pk []byte) string
	// rekey computes a fresh record for row, as the store would on insert;
	// Verify compares it with the stored one.
	rekey(row any) (*rec, error)
}

// indexInfo is a secondary index: a user index or the index behind a
// foreign key. slot is its position among the record's keys.
type indexInfo struct {
	table  *tableInfo
	name   string // as declared, for messages
	mdb    string // go-memdb index name
	slot   int
	unique bool
	rel    *relInfo // non-nil for a foreign key's index
	field  string
	shared bool // served by the primary key's index: no go-memdb index of its own
	open   bool // declared before the schema was opened
	// nullable: a row may have no value in it (a column is a Null that is
	// not Valid); such a row is not in the index.
	nullable bool
	format   func([]byte) string // renders a value, for messages
}

// withPK reports whether ix's entries end with the primary key: it has a
// go-memdb index of its own, and is not unique.
func (ix *indexInfo) withPK() bool { return !ix.unique && !ix.shared }

// Action is what happens to child rows when their parent row is deleted or
// its key changes. The zero value is NoAction, as in SQL.
type Action uint8

const (
	// NoAction rejects the operation if children still reference the
	// parent's old key when the operation ends (or, for a deferred relation,
	// when the transaction commits): only the final state is checked, so a
	// key that disappears and comes back before then is fine.
	NoAction Action = iota
	// Restrict rejects the operation at once if any child references the
	// parent. It is never deferred.
	Restrict
	// Cascade deletes the children with their parent, or on a key change
	// moves them to the new key.
	Cascade
	// SetNull sets the children's foreign key to NULL. Only nullable foreign
	// keys accept it; Open rejects it on others.
	SetNull
	// SetDefault sets the children's foreign key to the relation's default
	// (Default), which must name an existing parent.
	SetDefault
)

var actionNames = [...]string{"NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"}

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", a)
}

// relInfo is the engine's view of a foreign key.
type relInfo struct {
	name     string
	child    *tableInfo
	parent   *tableInfo
	index    *indexInfo
	ref      *indexInfo // the parent's unique index referenced; nil for its primary key
	nullable bool       // the foreign key may be NULL (a column of it may)
	allNull  bool       // every column of it may be NULL: SET NULL can write it
	notNull  string     // a composite key's NOT NULL columns, for messages
	onDelete Action
	onUpdate Action
	deferred bool
	// matchFull: a composite key's columns are all NULL or none is.
	matchFull bool
	def       []byte // encoded default for SetDefault
	defValue  any    // Default's key as given, nil if none, for describing
	// format renders an encoded referenced key, for messages.
	format func([]byte) string
	// throughs are the many-to-many directions (NewThrough) that start
	// from this relation and count on its counters.
	throughs []string
	// setRef returns a new record for a copy of row whose foreign key is key
	// (NULL when key is nil).
	setRef func(row any, key []byte) (*rec, error)
	open   bool
	qname  string // "child.name", as messages show a relation
	id     int    // position in the schema, for load counters
}

// fail records declaration errors for Open to report.
func (s *Schema) fail(errs ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failLocked(errs...)
}

func (s *Schema) failLocked(errs ...error) {
	for _, err := range errs {
		if err != nil {
			s.errs = append(s.errs, err)
		}
	}
}

func (s *Schema) addTable(name string, f front, keyName, lead string, intKey func([]byte) (int64, bool), errs ...error) *tableInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	ti := &tableInfo{schema: s, name: name, prefix: name + " ", front: f, keyName: keyName, id: len(s.tables), lead: lead, intKey: intKey}
	ti.seqKey = seqKey(ti.id)
	if s.frozen {
		s.errs = append(s.errs, schemaError("table %s declared after Open", name))
		return ti
	}
	s.tables = append(s.tables, ti)
	s.failLocked(errs...)
	return ti
}

// addIndex declares an index of ti (a foreign key's, if rel is not nil).
// Unless the schema has been opened, it calls accept with the index, under
// the schema's lock, for the declaration to add what goes with it (its
// slot's key function, a relation), so that an Open in another goroutine
// sees all of a declaration or none of it.
func (s *Schema) addIndex(ti *tableInfo, name, field string, unique bool, rel *relInfo, accept func(*indexInfo), errs ...error) *indexInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	ix := &indexInfo{table: ti, name: name, unique: unique, rel: rel, field: field}
	if s.frozen || ti.open {
		what := "index"
		if rel != nil {
			what = "relation"
		}
		s.errs = append(s.errs, schemaError("%s %s.%s declared after Open", what, ti.name, name))
		return ix
	}
	ix.slot = len(ti.indexes)
	ix.mdb = "ix:" + name
	ti.indexes = append(ti.indexes, ix)
	s.failLocked(errs...)
	if accept != nil {
		accept(ix)
	}
	return ix
}

// freeze validates the declarations and builds go-memdb's schema; every
// error goes to s.errs. The caller holds s.mu.
func (s *Schema) freeze() {
	s.frozen = true
	if len(s.tables) == 0 {
		s.errs = append(s.errs, schemaError("schema has no tables"))
	}
	seen := map[string]bool{}
	for _, ti := range s.tables {
		if err := checkName("table", ti.name); err != nil {
			s.errs = append(s.errs, err)
		}
		if seen[ti.name] {
			s.errs = append(s.errs, schemaError("table %s declared twice", ti.name))
		}
		seen[ti.name] = true
		names := map[string]bool{}
		for _, ix := range ti.indexes {
			what := "index"
			if ix.rel != nil {
				what = "relation"
			}
			if err := checkName(what+" of table "+ti.name, ix.name); err != nil {
				s.errs = append(s.errs, err)
			}
			if names[ix.name] {
				s.errs = append(s.errs, schemaError("table %s: name %s is used twice among its relations and indexes", ti.name, ix.name))
			}
			names[ix.name] = true
		}
	}
	for _, r := range s.rels {
		if r.parent.schema != s {
			s.errs = append(s.errs, schemaError("relation %s: parent table %s belongs to another schema", r.qname, r.parent.name))
		}
		field := r.child.name + "." + r.index.field
		if r.onDelete > SetDefault || r.onUpdate > SetDefault {
			s.errs = append(s.errs, schemaError("relation %s (%s): unknown action", r.qname, field))
		}
		switch {
		case r.allNull || r.onDelete != SetNull && r.onUpdate != SetNull:
		case r.notNull != "":
			s.errs = append(s.errs, schemaError("relation %s: SET NULL writes NULL to every column of the key, and %s is NOT NULL (declare it with NullCol, or choose another action)", r.qname, r.notNull))
		default:
			s.errs = append(s.errs, schemaError("relation %s: SET NULL on %s, which is not nullable (declare it with NullableForeignKey)", r.qname, field))
		}
		if ix := r.ref; ix != nil {
			switch {
			case !ix.unique:
				s.errs = append(s.errs, schemaError("relation %s references index %s.%s, which is not unique (SQL: no unique constraint matches the referenced columns)", r.qname, ix.table.name, ix.name))
			case ix.nullable:
				s.errs = append(s.errs, schemaError("relation %s references index %s.%s, which has a nullable column; reference a unique key of NOT NULL columns", r.qname, ix.table.name, ix.name))
			case ix.rel != nil:
				s.errs = append(s.errs, schemaError("relation %s references %s.%s, a relation, not an index", r.qname, ix.table.name, ix.name))
			}
			r.parent.refsUnique = true
		}
		r.child.out = append(r.child.out, r)
		r.parent.in = append(r.parent.in, r)
	}
	if len(s.errs) > 0 {
		return
	}
	s.mdb = &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		seqTable: {Name: seqTable, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: seqIndexer{}},
		}},
	}}
	for _, ti := range s.tables {
		ti.open = true
		ts := &memdb.TableSchema{Name: ti.name, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: pkIndexer{}},
		}}
		for _, ix := range ti.indexes {
			if ix.shared {
				continue
			}
			ts.Indexes[ix.mdb] = &memdb.IndexSchema{Name: ix.mdb, Unique: true, AllowMissing: true, Indexer: slotIndexer{slot: ix.slot, withPK: ix.withPK()}}
		}
		s.mdb.Tables[ti.name] = ts
	}
	for _, ti := range s.tables {
		for _, ix := range ti.indexes {
			ix.open = true
		}
	}
	for i, r := range s.rels {
		r.open = true
		r.id = i
	}
	for _, ti := range s.tables {
		ti.counter = len(s.rels) + ti.id
		for _, ix := range ti.indexes {
			ti.unique = ti.unique || ix.unique
		}
	}
	if err := s.mdb.Validate(); err != nil {
		s.errs = append(s.errs, fmt.Errorf("%w: %w", ErrSchema, err))
	}
}

// addThrough records the direction qname, which starts from relation
// from; it returns false, recording the error, if the schema is open or
// has one by that name.
func (s *Schema) addThrough(qname string, from *relInfo, errs ...error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.frozen {
		s.errs = append(s.errs, schemaError("many-to-many direction %s declared after Open", qname))
		return false
	}
	if s.throughs[qname] {
		errs = append(errs, schemaError("many-to-many direction %s declared twice", qname))
	} else {
		from.throughs = append(from.throughs, qname)
	}
	if s.throughs == nil {
		s.throughs = map[string]bool{}
	}
	s.throughs[qname] = true
	s.failLocked(errs...)
	return true
}

// counters is the number of counter slots of the schema's stores: one per
// relation, then one per table.
func (s *Schema) counters() int { return len(s.rels) + len(s.tables) }

// checkName accepts names made of letters, digits and underscores that do
// not start with a digit. go-memdb joins table and index names with a dot,
// so a dot in a name could make two indexes collide.
func checkName(what, name string) error {
	if name == "" {
		return schemaError("%s has an empty name", what)
	}
	for i, c := range name {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return schemaError("%s %q: names are letters, digits and underscores, not starting with a digit", what, name)
		}
	}
	return nil
}

// fieldOf checks that acc returns the address of a field of its argument,
// and returns that field's name. It runs once per declaration; rows are
// never inspected by reflection.
func fieldOf[T, F any](table, what string, acc func(*T) *F) (name string, err error) {
	name, _, err = fieldAt(table, what, acc)
	return name, err
}

// fieldAt is fieldOf, also returning the field's offset.
func fieldAt[T, F any](table, what string, acc func(*T) *F) (name string, off uintptr, err error) {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		return "", 0, schemaError("table %s: rows must be structs, not %s", table, t)
	}
	if acc == nil {
		return "", 0, schemaError("table %s: %s accessor is nil", table, what)
	}
	defer func() {
		if p := recover(); p != nil {
			err = schemaError("table %s: %s accessor panicked: %v", table, what, p)
		}
	}()
	v := new(T)
	p := acc(v)
	base, size := uintptr(unsafe.Pointer(v)), unsafe.Sizeof(*v)
	addr, fsize := uintptr(unsafe.Pointer(p)), unsafe.Sizeof(*p)
	if p == nil || addr < base || addr+fsize > base+size {
		return "", 0, schemaError("table %s: %s accessor must return the address of a field of its argument, like func(r *%s) *%s { return &r.Field }", table, what, t.Name(), reflect.TypeFor[F]())
	}
	return fieldName(t, addr-base, reflect.TypeFor[F]()), addr - base, nil
}

// fieldName finds the (possibly nested) field at offset off with type ft.
func fieldName(t reflect.Type, off uintptr, ft reflect.Type) string {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if off < f.Offset || off >= f.Offset+f.Type.Size() {
			continue
		}
		if f.Offset == off && f.Type == ft {
			return f.Name
		}
		if f.Type.Kind() == reflect.Struct {
			if inner := fieldName(f.Type, off-f.Offset, ft); inner != "" {
				return f.Name + "." + inner
			}
		}
	}
	return fmt.Sprintf("field at offset %d", off)
}
