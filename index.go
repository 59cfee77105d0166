package memrel

import (
	"iter"

	memdb "github.com/hashicorp/go-memdb"
)

// Index is a secondary index of a Table on a value of type V: a field
// (NewIndex, NewUniqueIndex) or a pair of fields (NewPairIndex,
// NewUniquePairIndex).
type Index[T any, K comparable, V comparable] struct {
	table *Table[T, K]
	info  *indexInfo
	codec keyCodec[V]
	slot  slotKey[T] // a row's value
}

// PairIndex is an index on two fields, A then B: posts by (status,
// created_at). Besides Index's reads by the whole pair, it reads the rows
// of one A in the order of B (Prefix).
type PairIndex[T any, K comparable, A, B Key] struct {
	*Index[T, K, Pair[A, B]]
	a codec[A]
}

// NewIndex declares a non-unique index of t on the field that field points
// to. Rows come back from it ordered by that field, then by primary key.
func NewIndex[T any, K comparable, V Key](t *Table[T, K], name string, field func(*T) *V) *Index[T, K, V] {
	return newIndex(t, name, field, false)
}

// NewUniqueIndex declares an index that no two rows may share a value of:
// an insert or update that would repeat a value fails with ErrUnique.
// (go-memdb's own Unique flag does not check this: a second row silently
// replaces the first in the index.)
func NewUniqueIndex[T any, K comparable, V Key](t *Table[T, K], name string, field func(*T) *V) *Index[T, K, V] {
	return newIndex(t, name, field, true)
}

func newIndex[T any, K comparable, V Key](t *Table[T, K], name string, field func(*T) *V, unique bool) *Index[T, K, V] {
	c := newCodec[V]()
	if t == nil || t.info == nil || t.info.schema == nil {
		return &Index[T, K, V]{} // every lookup fails with ErrInvalid
	}
	fname, err := fieldOf(t.info.name, "index "+name, field)
	return declareIndex(t, name, fname, unique, c, slotKey[T]{
		size:   func(r *T) int { return c.encodedLen(*field(r)) },
		append: func(r *T, dst []byte) []byte { return c.append(dst, *field(r)) },
	}, err)
}

// NewPairIndex declares a non-unique index of t on the fields a and b
// together, ordered by a, then b, then primary key: a composite index such
// as (user_id, created_at).
//
//	byStatus := memrel.NewPairIndex(posts, "by_status",
//		func(p *Post) *string { return &p.Status },
//		func(p *Post) *time.Time { return &p.CreatedAt })
func NewPairIndex[T any, K comparable, A, B Key](t *Table[T, K], name string, a func(*T) *A, b func(*T) *B) *PairIndex[T, K, A, B] {
	return newPairIndex(t, name, a, b, false)
}

// NewUniquePairIndex declares an index that no two rows may share a pair
// of values of (a composite UNIQUE constraint): an insert or update that
// would repeat a pair fails with ErrUnique.
func NewUniquePairIndex[T any, K comparable, A, B Key](t *Table[T, K], name string, a func(*T) *A, b func(*T) *B) *PairIndex[T, K, A, B] {
	return newPairIndex(t, name, a, b, true)
}

func newPairIndex[T any, K comparable, A, B Key](t *Table[T, K], name string, a func(*T) *A, b func(*T) *B, unique bool) *PairIndex[T, K, A, B] {
	c := pairCodec[A, B]{newCodec[A](), newCodec[B]()}
	if t == nil || t.info == nil || t.info.schema == nil {
		return &PairIndex[T, K, A, B]{Index: &Index[T, K, Pair[A, B]]{}, a: c.a}
	}
	fa, errA := fieldOf(t.info.name, "index "+name, a)
	fb, errB := fieldOf(t.info.name, "index "+name, b)
	x := declareIndex(t, name, fa+", "+fb, unique, keyCodec[Pair[A, B]](c), slotKey[T]{
		size:   func(r *T) int { return c.a.encodedLen(*a(r)) + c.b.encodedLen(*b(r)) },
		append: func(r *T, dst []byte) []byte { return c.b.append(c.a.append(dst, *a(r)), *b(r)) },
	}, errA, errB)
	return &PairIndex[T, K, A, B]{Index: x, a: c.a}
}

// declareIndex adds an index computed by slot to t's schema.
func declareIndex[T any, K, V comparable](t *Table[T, K], name, fields string, unique bool, c keyCodec[V], slot slotKey[T], errs ...error) *Index[T, K, V] {
	x := &Index[T, K, V]{table: t, codec: c, slot: slot}
	x.info = t.info.schema.addIndex(t.info, name, fields, unique, nil, func(ix *indexInfo) {
		ix.format = c.format
		for _, err := range errs {
			if err != nil {
				return
			}
		}
		t.slots = append(t.slots, slot)
	}, errs...)
	return x
}

func (x *Index[T, K, V]) check(tx *Tx) error {
	if x == nil || x.table == nil || x.info == nil || x.codec == nil {
		return invalid("index not declared with NewIndex or NewUniqueIndex")
	}
	if err := x.table.check(tx, false); err != nil {
		return err
	}
	if !x.info.open {
		return schemaError("index %s.%s was declared after Open", x.info.table.name, x.info.name)
	}
	return nil
}

// List returns the rows whose field equals v, in primary key order. If the
// sequence cannot be read it yields nothing and the transaction records
// the error (see Tx.Err).
func (x *Index[T, K, V]) List(tx *Tx, v V) iter.Seq[T] {
	return scrambleSeq(tx, func(yield func(T) bool) {
		it := tx.startSeq(x.check(tx), func() (memdb.ResultIterator, error) {
			return tx.iter(x.info.table.name, x.info.mdb, scratchKey(tx, x.codec, v), false)
		})
		for r := tx.next(it); r != nil; r = tx.next(it) {
			if !yield(*r.row.(*T)) {
				return
			}
		}
	})
}

// First returns the first row whose field equals v, or ErrNotFound. For a
// unique index it is the only one.
func (x *Index[T, K, V]) First(tx *Tx, v V) (T, error) {
	var zero T
	if err := tx.enter(x.check(tx)); err != nil {
		return zero, err
	}
	defer tx.mu.Unlock()
	if err := tx.gets(x.info.table, "First"); err != nil {
		return zero, err
	}
	var r *rec
	k := scratchKey(tx, x.codec, v)
	if x.info.unique {
		r = tx.first(x.info.table.name, x.info.mdb, k)
	} else {
		r = tx.firstWith(x.info.table.name, x.info.mdb, k)
	}
	if r == nil {
		return zero, &NotFoundError{Op: OpGet, Table: x.info.table.name, Key: x.codec.format(k), Via: x.info.table.name + "." + x.info.name}
	}
	tx.counters(x.info.table.counter).Rows++
	return *r.row.(*T), nil
}

// Page returns a page of the rows in the index's order (Backward: its
// reverse); After is a cursor in that order.
func (x *Index[T, K, V]) Page(tx *Tx, p Page[T]) ([]T, error) {
	if err := tx.enter(x.check(tx)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	return readPage(tx, x.info.table, x.info, nil, p)
}

// From returns a page of the rows in the index's order starting at the
// value v: the rows whose value is v or later (Backward: v or earlier, in
// reverse order), such as the posts created since a time. With a cursor
// (After, a row of the table), the page resumes after it instead of at v.
func (x *Index[T, K, V]) From(tx *Tx, v V, p Page[T]) ([]T, error) {
	if err := tx.enter(x.check(tx)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	if p.After != nil {
		return readPage(tx, x.info.table, x.info, nil, p)
	}
	next, err := seekFrom(tx, x.info.table, x.info, encodeKey(x.codec, v), p.Backward)
	if err != nil {
		return nil, err
	}
	return cut(tx, p, next)
}

// Prefix returns a page of the rows whose first field is a, in the order
// of the second field, then primary key (Backward: reversed): the open
// posts, newest first. A cursor (After) must be such a row, with a as its
// first field.
func (x *PairIndex[T, K, A, B]) Prefix(tx *Tx, a A, p Page[T]) ([]T, error) {
	if err := tx.enter(x.check(tx)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	return readPage(tx, x.info.table, x.info, encodeKey(x.a, a), p)
}

// All returns every row ordered by the indexed field, then by primary key,
// as a sequence like List's.
func (x *Index[T, K, V]) All(tx *Tx) iter.Seq[T] {
	return func(yield func(T) bool) {
		it := tx.startSeq(x.check(tx), func() (memdb.ResultIterator, error) {
			return tx.iter(x.info.table.name, x.info.mdb, nil, false)
		})
		for r := tx.next(it); r != nil; r = tx.next(it) {
			if !yield(*r.row.(*T)) {
				return
			}
		}
	}
}
