package memrel

import (
	"slices"
	"strings"
)

// Composite keys: a primary key, an index or a foreign key made of several
// columns. A composite key's type is a struct whose fields are the columns
// (each a Key type); its encoding is theirs, one after the other, in the
// struct's order (see codec), so that a foreign key's columns, encoded in
// the order of the parent key's fields, are the parent key's encoding.

// NewCompositeTable declares a table whose primary key is a struct of key
// fields, of any number: SQL's PRIMARY KEY (tenant_id, id). The row holds
// the key as a field, usually embedded so that its fields read as the
// row's own:
//
//	type ProjectKey struct{ TenantID, ID int64 }
//	type Project struct {
//		ProjectKey
//		Name string
//	}
//	projects := memrel.NewCompositeTable(s, "projects", func(p *Project) *ProjectKey { return &p.ProjectKey })
//
// Rows are ordered by the key's fields in the struct's order. A foreign key
// on the leading fields needs no index of its own: its lookups are seeks on
// the primary key. Composite keys are never assigned from a sequence, and
// no string field of one may be empty. Open reports a key struct with a
// field that is not a Key type.
func NewCompositeTable[T any, K comparable](s *Schema, name string, key func(*T) *K) *Table[T, K] {
	c := newCodec[K]()
	t := &Table[T, K]{ptr: key, codec: c}
	t.get = func(r *T) K { return *key(r) }
	field, err := fieldOf(name, "key", key)
	var errs []error
	switch {
	case err != nil:
		errs = append(errs, err)
	case c.err != nil:
		errs = append(errs, schemaError("table %s: %v", name, c.err))
	case c.kind != kindComposite:
		errs = append(errs, schemaError("table %s: NewCompositeTable needs a struct key; declare a key of type %s with NewTable", name, c.typ))
	}
	keyName := field
	if err == nil && c.kind == kindComposite {
		names := make([]string, len(c.parts))
		for i, p := range c.parts {
			names[i] = field + "." + p.name
		}
		keyName = strings.Join(names, ", ")
	}
	t.declare(s, name, keyName, keyName, errs...)
	return t
}

// Column is one column of a composite index or foreign key: a field of the
// row of type T, and the field of the key struct K it stands for. Make it
// with Col, or NullCol for a column that may be NULL.
type Column[T any, K comparable] struct {
	// locate finds the row's field (its name, for messages) and the key
	// field's offset in K, or says what is wrong with the accessors.
	locate   func(table, what string) (name string, off uintptr, err error)
	name     string
	off      uintptr
	kind     keyKind // the key field's
	nullable bool
	size     func(*T) int // the column's encoded length, -1 for NULL
	append   func(*T, []byte) []byte
	load     func(*T, *K) bool // copies the column into K's field; false for NULL
	store    func(*T, *K)      // copies K's field into the column
	setNull  func(*T)          // sets it to NULL (NullCol only)
}

// Col is a column whose row field field stands for the key field part.
// Both have type V, which the compiler checks:
//
//	memrel.Col(func(t *Task) *int64 { return &t.ProjectID }, func(k *ProjectKey) *int64 { return &k.ID })
func Col[T any, K comparable, V Key](field func(*T) *V, part func(*K) *V) Column[T, K] {
	c := newCodec[V]()
	col := Column[T, K]{
		kind:   c.kind,
		size:   func(r *T) int { return c.encodedLen(*field(r)) },
		append: func(r *T, dst []byte) []byte { return c.append(dst, *field(r)) },
		load:   func(r *T, k *K) bool { *part(k) = *field(r); return true },
		store:  func(r *T, k *K) { *field(r) = *part(k) },
	}
	col.locate = func(table, what string) (string, uintptr, error) { return locate(table, what, field, part) }
	return col
}

// NullCol is a column that may be NULL: a Null[V] field of the row that
// stands for the key field part. A composite foreign key with a NULL column
// references nothing (MATCH SIMPLE; see MatchFull), and a row with a NULL
// column of a composite index is not in it, so NULLs never collide in a
// unique one, as in SQL.
func NullCol[T any, K comparable, V Key](field func(*T) *Null[V], part func(*K) *V) Column[T, K] {
	c := newCodec[V]()
	col := Column[T, K]{
		kind:     c.kind,
		nullable: true,
		size: func(r *T) int {
			if n := field(r); n.Valid {
				return c.encodedLen(n.V)
			}
			return -1
		},
		append: func(r *T, dst []byte) []byte { return c.append(dst, field(r).V) },
		load: func(r *T, k *K) bool {
			n := field(r)
			*part(k) = n.V
			return n.Valid
		},
		store:   func(r *T, k *K) { *field(r) = NullFrom(*part(k)) },
		setNull: func(r *T) { *field(r) = Null[V]{} },
	}
	col.locate = func(table, what string) (string, uintptr, error) { return locate(table, what, field, part) }
	return col
}

// locate checks a column's accessors: field returns a field of the row,
// part a field of the key struct.
func locate[T, K, F, V any](table, what string, field func(*T) *F, part func(*K) *V) (string, uintptr, error) {
	name, err := fieldOf(table, what+" column", field)
	if err != nil {
		return "", 0, err
	}
	if part == nil {
		return "", 0, schemaError("table %s: %s: column %s has a nil key field accessor", table, what, name)
	}
	_, off, err := fieldAt(table, what+" key field", part)
	return name, off, err
}

// Columns lists the columns of a composite index or foreign key, one for
// each field of the key struct K, in any order.
func Columns[T any, K comparable](cols ...Column[T, K]) ColumnList[T, K] {
	return ColumnList[T, K]{cols: slices.Clone(cols)}
}

// ColumnList is the columns of a composite key, made by Columns.
type ColumnList[T any, K comparable] struct{ cols []Column[T, K] }

// composite is a ColumnList checked against its key struct and put in the
// struct's order, with the slot functions it makes.
type composite[T any, K comparable] struct {
	cols                []Column[T, K] // in K's field order
	names               string         // the columns' fields, in that order
	nullable, allNull   bool           // some column may be NULL; every one may
	c                   codec[K]
	size                func(*T) int
	append              func(*T, []byte) []byte
	errs                []error
	matchFull, complete bool
}

// resolve checks cols against K (every field of K once) and orders them
// as K's fields. table and what name the declaration in messages.
func resolve[T any, K comparable](table, what string, list ColumnList[T, K]) *composite[T, K] {
	k := &composite[T, K]{c: newCodec[K]()}
	if k.c.err != nil {
		k.errs = append(k.errs, schemaError("table %s: %s: %v", table, what, k.c.err))
		return k
	}
	if k.c.kind != kindComposite {
		k.errs = append(k.errs, schemaError("table %s: %s: the key type %s is not a struct", table, what, k.c.typ))
		return k
	}
	byOff := map[uintptr]int{}
	for i, p := range k.c.parts {
		byOff[p.off] = i
	}
	k.cols = make([]Column[T, K], len(k.c.parts))
	seen := make([]bool, len(k.c.parts))
	for _, col := range list.cols {
		if col.locate == nil {
			k.errs = append(k.errs, schemaError("table %s: %s: a column not made by Col or NullCol", table, what))
			continue
		}
		var err error
		if col.name, col.off, err = col.locate(table, what); err != nil {
			k.errs = append(k.errs, err)
			continue
		}
		i, ok := byOff[col.off]
		switch {
		case !ok || k.c.parts[i].kind != col.kind:
			k.errs = append(k.errs, schemaError("table %s: %s: column %s does not name a field of %s", table, what, col.name, k.c.typ))
			continue
		case seen[i]:
			k.errs = append(k.errs, schemaError("table %s: %s: field %s of %s has two columns", table, what, k.c.parts[i].name, k.c.typ))
			continue
		}
		seen[i] = true
		k.cols[i] = col
	}
	if len(k.errs) > 0 {
		return k
	}
	var names []string
	for i, ok := range seen {
		if !ok {
			k.errs = append(k.errs, schemaError("table %s: %s: field %s of %s has no column", table, what, k.c.parts[i].name, k.c.typ))
		}
		names = append(names, k.cols[i].name)
	}
	if len(k.errs) > 0 {
		return k
	}
	k.names = strings.Join(names, ", ")
	k.allNull = true
	for _, col := range k.cols {
		k.nullable = k.nullable || col.nullable
		k.allNull = k.allNull && col.nullable
	}
	cols := k.cols
	// size is the key's encoded length; -1 for NULL (a column is NULL), and
	// -2 for a MATCH FULL key with some columns NULL and some not.
	k.size = func(r *T) int {
		n, nulls := 0, 0
		for i := range cols {
			m := cols[i].size(r)
			if m < 0 {
				nulls++
				continue
			}
			n += m
		}
		switch {
		case nulls == 0:
			return n
		case k.matchFull && nulls < len(cols):
			return -2
		}
		return -1
	}
	k.append = func(r *T, dst []byte) []byte {
		for i := range cols {
			dst = cols[i].append(r, dst)
		}
		return dst
	}
	k.complete = true
	return k
}

// NewCompositeIndex declares a non-unique index of t on several columns,
// whose values are the key struct V: rows come back ordered by V's fields
// in order, then by primary key. A row with a NULL column (NullCol) is not
// in the index.
//
//	type Slot struct {
//		Room  string
//		Start time.Time
//	}
//	bySlot := memrel.NewCompositeIndex(bookings, "by_slot", memrel.Columns(
//		memrel.Col(func(b *Booking) *string { return &b.Room }, func(s *Slot) *string { return &s.Room }),
//		memrel.Col(func(b *Booking) *time.Time { return &b.Start }, func(s *Slot) *time.Time { return &s.Start })))
func NewCompositeIndex[T any, K, V comparable](t *Table[T, K], name string, cols ColumnList[T, V]) *Index[T, K, V] {
	return newCompositeIndex(t, name, cols, false)
}

// NewUniqueCompositeIndex declares an index that no two rows may share a
// value of, SQL's UNIQUE (a, b, c): an insert or update that would repeat
// one fails with ErrUnique. As in SQL, NULLs never collide: a row with a
// NULL column may repeat the others' values. V is a struct of the
// columns' values; one column is a struct of one field, which is how a
// single nullable column is UNIQUE:
//
//	type ISBN struct{ Code string }
//	memrel.NewUniqueCompositeIndex(books, "isbn", memrel.Columns(
//		memrel.NullCol(func(b *Book) *memrel.Null[string] { return &b.ISBN }, func(k *ISBN) *string { return &k.Code })))
func NewUniqueCompositeIndex[T any, K, V comparable](t *Table[T, K], name string, cols ColumnList[T, V]) *Index[T, K, V] {
	return newCompositeIndex(t, name, cols, true)
}

func newCompositeIndex[T any, K, V comparable](t *Table[T, K], name string, cols ColumnList[T, V], unique bool) *Index[T, K, V] {
	if t == nil || t.info == nil || t.info.schema == nil {
		return &Index[T, K, V]{} // every lookup fails with ErrInvalid
	}
	k := resolve(t.info.name, "index "+name, cols)
	x := declareIndex(t, name, k.names, unique, keyCodec[V](k.c), slotKey[T]{size: k.size, append: k.append}, k.errs...)
	if x.info != nil {
		x.info.nullable = k.nullable
	}
	return x
}

// CompositeForeignKey declares a foreign key of several columns, SQL's
// FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id):
// cols map the child's fields to the fields of the referenced key K, the
// parent's composite primary key (a *Table made by NewCompositeTable) or
// a unique composite index of it (NewUniqueCompositeIndex). Rules are
// ForeignKey's, and MatchFull.
//
//	project := memrel.CompositeForeignKey(tasks, "project", memrel.Columns(
//		memrel.Col(func(t *Task) *int64 { return &t.TenantID }, func(k *ProjectKey) *int64 { return &k.TenantID }),
//		memrel.Col(func(t *Task) *int64 { return &t.ProjectID }, func(k *ProjectKey) *int64 { return &k.ID })),
//		projects, memrel.OnDelete(memrel.Cascade))
//
// project is then a *memrel.Relation[Task, Project, ProjectKey]: Children
// and the loaders take a ProjectKey, as SQL's join does both columns.
// Columns may be NULL (NullCol). A child with any NULL column references
// nothing (MATCH SIMPLE, SQL's default), unless MatchFull. Every action
// writes every column: SET NULL needs every column nullable (Open refuses
// it otherwise, where SQLite would fail when the action runs), SET
// DEFAULT writes Default's key (of type K), or NULL to every column when
// there is none and each is nullable.
func CompositeForeignKey[C any, CK comparable, P any, K comparable](child *Table[C, CK], name string, cols ColumnList[C, K], parent Ref[P, K], clauses ...Rule) *Relation[C, P, K] {
	table := tableName(child)
	k := resolve(table, "relation "+name, cols)
	var r rules
	for _, c := range clauses {
		if c.apply != nil {
			c.apply(&r)
		}
	}
	k.matchFull = r.matchFull
	ordered := k.cols
	var notNull []string
	for _, c := range ordered {
		if !c.nullable {
			notNull = append(notNull, c.name)
		}
	}
	rel := declare(child, name, k.names, parent, k.nullable, k.allNull, clauses,
		func(c *C) (K, bool) {
			var key K
			ok := true
			for i := range ordered {
				ok = ordered[i].load(c, &key) && ok
			}
			if !ok {
				return *new(K), false
			}
			return key, true
		},
		func(c *C, key K) {
			for i := range ordered {
				ordered[i].store(c, &key)
			}
		},
		k.size, k.append,
		func(c *C, b []byte) bool {
			if b == nil {
				for i := range ordered {
					if ordered[i].setNull == nil {
						return false
					}
					ordered[i].setNull(c)
				}
				return true
			}
			key, ok := k.c.decode(b)
			for i := range ordered {
				ordered[i].store(c, &key)
			}
			return ok
		}, k.errs...)
	if rel.info != nil {
		rel.info.notNull = strings.Join(notNull, ", ")
	}
	return rel
}
