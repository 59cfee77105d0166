package memrel

import (
	"fmt"
	"iter"
	"strings"

	memdb "github.com/hashicorp/go-memdb"
)

// A Rule is one clause of a foreign key's declaration, as in SQL: its
// actions (OnDelete, OnUpdate), its timing (Deferred), one-to-one (Unique)
// and the value SET DEFAULT writes (Default). With none, a foreign key is
// what SQL makes by default: NO ACTION on delete and on update, checked
// when each operation ends. A later clause of the same kind wins.
//
//	memrel.ForeignKey(posts, "author", field, users, memrel.OnDelete(memrel.Cascade), memrel.OnUpdate(memrel.Cascade))
type Rule struct{ apply func(*rules) }

// rules are a foreign key's clauses, gathered.
type rules struct {
	onDelete, onUpdate Action
	deferred, unique   bool
	matchFull          bool
	def                any // Default's key, nil if not given
}

// OnDelete is what happens to the children when their parent is deleted.
func OnDelete(a Action) Rule { return Rule{func(r *rules) { r.onDelete = a }} }

// OnUpdate is what happens to the children when the key they reference
// changes: the parent's primary key (UpdateKey), or for a foreign key
// that references a unique index, the indexed value (Update, Upsert).
func OnUpdate(a Action) Rule { return Rule{func(r *rules) { r.onUpdate = a }} }

// Deferred postpones the NO ACTION check to commit (SQL's DEFERRABLE
// INITIALLY DEFERRED), so rows may go in in any order and cycles can be
// built. Actions still run at once; RESTRICT is never deferred.
func Deferred() Rule { return Rule{func(r *rules) { r.deferred = true }} }

// Unique makes the relation one-to-one: no two children may reference the
// same parent (ErrUnique). NULL foreign keys do not collide. Child returns
// a parent's only child.
func Unique() Rule { return Rule{func(r *rules) { r.unique = true }} }

// MatchFull makes a composite foreign key MATCH FULL, as in PostgreSQL:
// its columns are all NULL or none is, and a row with some of them NULL is
// refused (ErrForeignKey). Without it a composite foreign key is MATCH
// SIMPLE, SQL's default and SQLite's only kind: a child with any NULL
// column references nothing, needs no parent, and no action touches it.
// A one-column foreign key is the same under both.
func MatchFull() Rule { return Rule{func(r *rules) { r.matchFull = true }} }

// Default is the key SetDefault writes into the foreign key; its parent
// must exist when the action runs. Its type must be the foreign key's
// (Open reports it otherwise): write Default(int64(7)) for an int64 key,
// since an untyped 7 is an int. Without one, SetDefault writes the
// column's default as SQL does: NULL for a NullableForeignKey; a NOT NULL
// ForeignKey with SetDefault and no Default is refused by Open.
func Default[K comparable](k K) Rule { return Rule{func(r *rules) { r.def = k }} }

// Relation is a foreign key from child rows of type C to parent rows of type
// P whose referenced key has type K: SQLAlchemy's ForeignKey together with
// the relationship and its backref. Navigate it both ways: Children (a
// parent's children) and Parent (a child's parent).
//
// The referenced key is the parent's primary key, or a unique index of it
// (see Ref); K is a struct for a composite key (CompositeForeignKey).
type Relation[C, P any, K comparable] struct {
	info   *relInfo
	child  *tableInfo
	parent *tableInfo
	pc     codec[K]                      // the referenced key's codec
	pkey   func(dst []byte, p *P) []byte // appends a parent row's referenced key
	// pptr is the referenced key's field when it is the parent's primary
	// key of one field (or one struct): appendParentKey then calls the
	// concrete codec, so that a caller's buffer does not escape through
	// the closure.
	pptr func(*P) *K
	get  func(*C) (K, bool) // the child's foreign key, false for NULL
	put  func(*C, K)        // sets the child's foreign key
	// prepare encodes a new child row for insertion (assigning its
	// auto-increment key), for operations that insert children.
	prepare func(tx *Tx, c C) (*rec, bool, error)
	// addSlot adds a secondary key to the child table (OrderChildren).
	addSlot func(slotKey[C])
	// The relation's own loaders: Many(rel), One(rel), Count(rel) and
	// Tree(rel) return the same one each time, so that its Of reads what
	// it loaded wherever it is called.
	many  *manySpec[C, P, K]
	one   *oneSpec[C, P, K]
	count *countSpec[C, P, K]
	tree  any // *treeSpec[C, K] when C is P
}

// Ref is a key of a parent table that a foreign key may reference, as SQL's
// REFERENCES does: a *Table (its primary key) or a unique *Index of it
// (NewUniqueIndex, NewUniquePairIndex, NewUniqueCompositeIndex), such as
// users' email. K is the key's type. Open refuses a reference to an index
// that is not unique, or that has a nullable column.
type Ref[P any, K comparable] interface {
	// referenced describes the key. Its arguments are never read: they
	// let the compiler infer P and K from a table or an index.
	referenced(*P, *K) refKey[P, K]
}

// refKey is what a foreign key needs of the key it references.
type refKey[P any, K comparable] struct {
	table *tableInfo
	ix    *indexInfo                    // nil: the primary key
	key   func(dst []byte, p *P) []byte // appends row p's key
	ptr   func(*P) *K                   // the key's field, for a primary key of one
}

func (t *Table[T, K]) referenced(*T, *K) refKey[T, K] {
	if t == nil || t.info == nil {
		return refKey[T, K]{}
	}
	r := refKey[T, K]{table: t.info, ptr: t.ptr}
	if ptr := t.ptr; ptr != nil {
		c := newCodec[K]()
		r.key = func(dst []byte, p *T) []byte { return c.append(dst, *ptr(p)) }
	} else {
		c, get := t.codec, t.get
		r.key = func(dst []byte, p *T) []byte { return c.append(dst, get(p)) }
	}
	return r
}

func (x *Index[T, K, V]) referenced(*T, *V) refKey[T, V] {
	if x == nil || x.table == nil || x.info == nil {
		return refKey[T, V]{}
	}
	slot := x.slot
	return refKey[T, V]{table: x.info.table, ix: x.info, key: func(dst []byte, p *T) []byte {
		if slot.size(p) < 0 {
			return dst // NULL: Open refuses a reference to a nullable index
		}
		return slot.append(p, dst)
	}}
}

// ForeignKey declares that the field of child rows that field points to
// references parent: its primary key (a *Table) or a unique index of it
// (an *Index, SQL's REFERENCES users(email)). name names the relation from
// the child's side (a post's "author"); it is unique among the child
// table's relations and indexes. Rules (OnDelete, OnUpdate, Deferred,
// Unique, Default) give its actions and timing.
//
//	author := memrel.ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users)
//
// The field's type must be the referenced key's type, which the compiler
// checks. A change of a referenced unique value runs the ON UPDATE action,
// as a change of a primary key does.
func ForeignKey[C any, CK comparable, P any, K Key](child *Table[C, CK], name string, field func(*C) *K, parent Ref[P, K], rules ...Rule) *Relation[C, P, K] {
	pc := newCodec[K]()
	fname, err := fieldOf(tableName(child), "relation "+name, field)
	return declare(child, name, fname, parent, false, false, rules,
		func(c *C) (K, bool) { return *field(c), true },
		func(c *C, k K) { *field(c) = k },
		func(c *C) int { return pc.encodedLen(*field(c)) },
		func(c *C, dst []byte) []byte { return pc.append(dst, *field(c)) },
		func(c *C, key []byte) bool {
			k, ok := pc.decode(key)
			*field(c) = k
			return ok && key != nil
		}, err)
}

// NullableForeignKey declares a foreign key that may be NULL: a Null[K] field
// that is not Valid references nothing and is never checked. The relation's
// K is the referenced key's type: a Null[string] field referencing users'
// email gives a *Relation[C, User, string].
func NullableForeignKey[C any, CK comparable, P any, K Key](child *Table[C, CK], name string, field func(*C) *Null[K], parent Ref[P, K], rules ...Rule) *Relation[C, P, K] {
	pc := newCodec[K]()
	fname, err := fieldOf(tableName(child), "relation "+name, field)
	return declare(child, name, fname, parent, true, true, rules,
		func(c *C) (K, bool) { n := field(c); return n.V, n.Valid },
		func(c *C, k K) { *field(c) = NullFrom(k) },
		func(c *C) int {
			n := field(c)
			if !n.Valid {
				return -1
			}
			return pc.encodedLen(n.V)
		},
		func(c *C, dst []byte) []byte { return pc.append(dst, field(c).V) },
		func(c *C, key []byte) bool {
			if key == nil {
				*field(c) = Null[K]{}
				return true
			}
			k, ok := pc.decode(key)
			*field(c) = Null[K]{V: k, Valid: true}
			return ok
		}, err)
}

func tableName[T any, K comparable](t *Table[T, K]) string {
	if t == nil || t.info == nil {
		return ""
	}
	return t.info.name
}

// declare declares a relation whose foreign key is fname, of which nullable
// says whether it may be NULL and allNull whether every column of it may
// (so that SET NULL can write it).
func declare[C any, CK comparable, P any, K comparable](child *Table[C, CK], name, fname string, parent Ref[P, K], nullable, allNull bool, clauses []Rule,
	get func(*C) (K, bool), put func(*C, K), size func(*C) int, appendKey func(*C, []byte) []byte, set func(*C, []byte) bool, errs ...error) *Relation[C, P, K] {
	if child == nil || child.info == nil || child.info.schema == nil {
		return &Relation[C, P, K]{} // every use fails with ErrInvalid
	}
	var ref refKey[P, K]
	if parent != nil {
		ref = parent.referenced(nil, nil)
	}
	if ref.table == nil {
		child.info.schema.fail(schemaError("relation %s.%s: nil parent table or index", child.info.name, name))
		return &Relation[C, P, K]{}
	}
	rel := &Relation[C, P, K]{child: child.info, parent: ref.table, pc: newCodec[K](), pkey: ref.key, pptr: ref.ptr, get: get, put: put,
		prepare: func(tx *Tx, c C) (*rec, bool, error) { return child.prepare(tx, c, true) },
		addSlot: func(k slotKey[C]) { child.slots = append(child.slots, k) }}
	info := &relInfo{name: name, child: child.info, parent: ref.table, ref: ref.ix, nullable: nullable, allNull: allNull,
		qname: child.info.name + "." + name, format: rel.pc.format}
	rel.info = info
	rel.many, rel.one, rel.count = &manySpec[C, P, K]{rel: rel}, &oneSpec[C, P, K]{rel: rel}, &countSpec[C, P, K]{rel: rel}
	if self, ok := any(rel).(*Relation[C, C, K]); ok {
		rel.tree = &treeSpec[C, K]{many: manySpec[C, C, K]{rel: self}}
	}
	s := child.info.schema
	var bad bool
	for _, err := range errs {
		bad = bad || err != nil
	}
	var r rules
	for _, c := range clauses {
		if c.apply != nil {
			c.apply(&r)
		}
	}
	info.onDelete, info.onUpdate, info.deferred, info.matchFull = r.onDelete, r.onUpdate, r.deferred, r.matchFull
	var def K
	if r.def != nil {
		d, ok := r.def.(K)
		if !ok {
			errs = append(errs, schemaError("relation %s.%s: Default(%v) has type %T, but the foreign key has type %s", child.info.name, name, r.def, r.def, rel.pc.typ))
		}
		def = d
		info.defValue = d
	}
	info.def = encodeKey(rel.pc, def)
	setDefault := r.onDelete == SetDefault || r.onUpdate == SetDefault
	switch {
	case setDefault && r.def == nil && allNull:
		info.def = nil // the column's default, as in SQL: NULL
	case setDefault && r.def == nil:
		errs = append(errs, schemaError("relation %s.%s: SET DEFAULT of a NOT NULL foreign key needs a Default (the column's default would be NULL, which SQLite refuses when the action runs)", child.info.name, name))
	case setDefault && rel.pc.empty(def):
		errs = append(errs, schemaError("relation %s.%s: SET DEFAULT needs a Default without empty strings", child.info.name, name))
	}
	unique := r.unique
	info.setRef = func(row any, key []byte) (*rec, error) {
		v := *row.(*C)
		if !set(&v, key) {
			if key == nil {
				return nil, invalid("relation %s: its foreign key is NOT NULL, and the parent's new key is NULL", info.qname)
			}
			return nil, invalid("relation %s: cannot set key %x", info.qname, key)
		}
		return child.newRec(&v)
	}
	late := s.addIndex(child.info, name, fname, unique, info, func(ix *indexInfo) {
		info.index = ix
		ix.format = rel.pc.format
		k := child.info.keyName
		if fname != "" && (fname == k || strings.HasPrefix(k, fname+", ")) && !unique {
			// The primary key begins with this foreign key: seeks on the
			// primary key find a parent's children, in key order, and the
			// relation needs no index of its own (one less entry per write).
			ix.mdb, ix.shared = "id", true
		}
		s.rels = append(s.rels, info)
		if !bad {
			child.slots = append(child.slots, slotKey[C]{size: size, append: appendKey})
		}
	}, errs...)
	if info.index == nil {
		info.index = late // declared after Open: never used, since the relation is not open
	}
	return rel
}

// Name returns the relation's name ("" for a relation that was never
// declared).
func (r *Relation[C, P, K]) Name() string {
	if r == nil || r.info == nil {
		return ""
	}
	return r.info.name
}

func (r *Relation[C, P, K]) check(tx *Tx) error {
	if r == nil || r.info == nil {
		return invalid("relation not declared with ForeignKey or NullableForeignKey")
	}
	if tx != nil && tx.db != nil && r.child.schema != tx.db.schema {
		return schemaError("relation %s is of another schema than this store's", r.info.qname)
	}
	if err := tx.usable(r.child, false); err != nil {
		return err
	}
	if !r.info.open {
		return schemaError("relation %s declared after Open", r.info.qname)
	}
	return nil
}

// lazy counts a lazy load through r in tx, which the caller has locked. In
// strict mode it returns ErrLazyLoad, naming the eager loader to use, and
// records it for Err.
func (r *Relation[C, P, K]) lazy(tx *Tx, how, eager string) error {
	return r.info.lazy(tx, how, func() string {
		return fmt.Sprintf("memrel.%s(rel) (rel: the *Relation %s)", eager, r.info.qname)
	})
}

// lazy counts a lazy load through rel in tx, which the caller has locked.
// In strict mode it returns ErrLazyLoad, with hint: the Go expression of
// the loader that would load it eagerly, and records it for Err.
func (rel *relInfo) lazy(tx *Tx, how string, hint func() string) error {
	return rel.lazyAs(tx, how, rel.qname, hint)
}

// lazyAs is lazy for a navigation that strict mode names name: a Through's.
func (rel *relInfo) lazyAs(tx *Tx, how, name string, hint func() string) error {
	tx.count(rel).Lazy++ // refused ones too, as reads by key are: a budget sees them
	if tx.strict {
		err := fmt.Errorf("%w: %s of %s; load it eagerly with %s", ErrLazyLoad, how, name, hint())
		tx.fail(err)
		return err
	}
	return nil
}

// addRows counts n rows loaded through rel by a sequence, which does not
// hold tx's lock.
func (tx *Tx) addRows(rel *relInfo, n int64) {
	if n == 0 {
		return
	}
	defer tx.unlock(tx.lock())
	tx.count(rel).Rows += n
	if tx.done.Load() {
		tx.flushLoads() // the transaction's were flushed when it ended
	}
}

// Children returns the children of the parent whose key is k, in the
// child table's key order: SQLAlchemy's lazy "select" loading (user.posts).
// Nothing is read until the sequence is ranged over, and every range reads
// afresh. If it cannot be read (the transaction has ended, the relation is
// of another schema than the transaction's store, or the transaction is
// strict) it yields nothing and the transaction records the error (see
// Tx.Err); ListChildren returns it instead.
func (r *Relation[C, P, K]) Children(tx *Tx, k K) iter.Seq[C] {
	return scrambleSeq(tx, func(yield func(C) bool) {
		it := tx.startSeq(r.check(tx), func() (memdb.ResultIterator, error) {
			if err := r.lazy(tx, "Children", "Many"); err != nil {
				return nil, err
			}
			return tx.iter(r.child.name, r.info.index.mdb, scratchKey(tx, r.pc, k), false)
		})
		if it == nil {
			return
		}
		n := int64(0)
		defer func() { tx.addRows(r.info, n) }()
		for c := tx.next(it); c != nil; c = tx.next(it) {
			n++
			if !yield(*c.row.(*C)) {
				return
			}
		}
	})
}

// ListChildren returns the children of the parent whose key is k as a slice.
func (r *Relation[C, P, K]) ListChildren(tx *Tx, k K) ([]C, error) {
	if err := tx.enter(r.check(tx)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	if err := r.lazy(tx, "ListChildren", "Many"); err != nil {
		return nil, err
	}
	var out []C
	for c := range tx.scan(r.child.name, r.info.index.mdb, scratchKey(tx, r.pc, k)) {
		out = append(out, *c.row.(*C))
	}
	tx.count(r.info).Rows += int64(len(out))
	scrambleSlice(tx, out)
	return out, nil
}

// Child returns the only child of the parent whose key is k, for a
// one-to-one relation (Unique), or the first in key order otherwise;
// ErrNotFound if there is none.
func (r *Relation[C, P, K]) Child(tx *Tx, k K) (C, error) {
	var zero C
	if err := tx.enter(r.check(tx)); err != nil {
		return zero, err
	}
	defer tx.mu.Unlock()
	if err := r.lazy(tx, "Child", "Many"); err != nil {
		return zero, err
	}
	key := scratchKey(tx, r.pc, k)
	c := tx.firstWith(r.child.name, r.info.index.mdb, key)
	if c == nil {
		return zero, &NotFoundError{Op: OpGet, Table: r.child.name, Key: r.pc.format(key), Via: r.info.qname}
	}
	tx.count(r.info).Rows++
	return *c.row.(*C), nil
}

// Count returns the number of children of the parent whose key is k,
// reading the index only. It is not a lazy load: strict mode allows it.
func (r *Relation[C, P, K]) Count(tx *Tx, k K) (int, error) {
	if err := tx.enter(r.check(tx)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	n := 0
	for range tx.scan(r.child.name, r.info.index.mdb, scratchKey(tx, r.pc, k)) {
		n++
	}
	return n, nil
}

// Exists reports whether the parent whose key is k has any child.
func (r *Relation[C, P, K]) Exists(tx *Tx, k K) (bool, error) {
	if err := tx.enter(r.check(tx)); err != nil {
		return false, err
	}
	defer tx.mu.Unlock()
	return tx.firstWith(r.child.name, r.info.index.mdb, scratchKey(tx, r.pc, k)) != nil, nil
}

// Watch returns a channel that is closed when a commit changes the
// children of the parent whose key is k from what they are in tx's
// snapshot (for a write transaction, in the store as it began): a child is
// added, removed, rewritten, or moved to another parent. If they have
// changed already, the channel comes closed. Watches work the same on a
// store made by Fork, for that store's own commits.
//
// The channel belongs to the store, not to tx: wait on it after tx has
// ended, as a test does after View returns. All watchers of one key share
// one channel, which the store forgets once it is closed; no goroutine
// waits behind it, and a channel that is dropped unfired costs one map
// entry until its key's children change.
func (r *Relation[C, P, K]) Watch(tx *Tx, k K) (<-chan struct{}, error) {
	if err := tx.enter(r.check(tx)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	return tx.db.watches.watch(tx, r.info, encodeKey(r.pc, k)), nil
}

// Parent returns the parent that child references (post.author). It returns
// ErrNotFound when the foreign key is NULL, or when it names no row (possible
// only while a deferred relation is unchecked).
func (r *Relation[C, P, K]) Parent(tx *Tx, child C) (P, error) {
	var zero P
	if err := tx.enter(r.check(tx)); err != nil {
		return zero, err
	}
	defer tx.mu.Unlock()
	c := scratchRow[C](tx, r.info.id)
	*c = child
	k, ok := r.get(c)
	if !ok {
		// A NULL key: nothing to load, in strict mode too.
		return zero, &NotFoundError{Op: OpGet, Table: r.parent.name, Key: "NULL", Via: r.info.qname}
	}
	if err := r.lazy(tx, "Parent", "One"); err != nil {
		return zero, err
	}
	key := scratchKey(tx, r.pc, k)
	p := tx.parentRow(r.info, key)
	if p == nil {
		return zero, r.info.notFound(OpGet, key, r.info.qname)
	}
	tx.count(r.info).Rows++
	return *p.row.(*P), nil
}

// ParentKey returns the key of the parent that child references: its foreign
// key, and false when it is NULL.
func (r *Relation[C, P, K]) ParentKey(child C) (K, bool) {
	if r == nil || r.get == nil {
		var zero K
		return zero, false
	}
	return r.get(&child)
}

// relation returns r's declaration, or nil.
func (r *Relation[C, P, K]) relation() *relInfo {
	if r == nil {
		return nil
	}
	return r.info
}

// counter makes *Relation Counted.
func (r *Relation[C, P, K]) counter() (*Schema, int) { return r.relation().counter() }

// counter returns rel's schema and counters' slot (its id).
func (rel *relInfo) counter() (*Schema, int) {
	if rel == nil || rel.child == nil || !rel.open {
		return nil, -1
	}
	return rel.child.schema, rel.id
}
