package memrel

import (
	"iter"

	memdb "github.com/hashicorp/go-memdb"
)

// Index is a secondary index of a Table on a field of type V. Declare it
// with NewIndex or NewUniqueIndex.
type Index[T any, K comparable, V Key] struct {
	table *Table[T, K]
	info  *indexInfo
	codec codec[V]
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
	x := &Index[T, K, V]{table: t, codec: newCodec[V]()}
	if t == nil || t.info == nil || t.info.schema == nil {
		return &Index[T, K, V]{} // every lookup fails with ErrInvalid
	}
	fname, err := fieldOf(t.info.name, "index "+name, field)
	c := x.codec
	x.info = t.info.schema.addIndex(t.info, name, fname, unique, nil, func(*indexInfo) {
		if err == nil {
			t.slots = append(t.slots, slotKey[T]{
				size:   func(r *T) int { return c.encodedLen(*field(r)) },
				append: func(r *T, dst []byte) []byte { return c.append(dst, *field(r)) },
			})
		}
	}, err)
	return x
}

func (x *Index[T, K, V]) check(tx *Tx) error {
	if x == nil || x.table == nil || x.info == nil {
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
	return func(yield func(T) bool) {
		it := tx.startSeq(x.check(tx), func() (memdb.ResultIterator, error) {
			return tx.iter(x.info.table.name, x.info.mdb, scratchKey(tx, x.codec, v), false)
		})
		for r := tx.next(it); r != nil; r = tx.next(it) {
			if !yield(*r.row.(*T)) {
				return
			}
		}
	}
}

// First returns the first row whose field equals v, or ErrNotFound. For a
// unique index it is the only one.
func (x *Index[T, K, V]) First(tx *Tx, v V) (T, error) {
	var zero T
	if err := tx.enter(x.check(tx)); err != nil {
		return zero, err
	}
	defer tx.mu.Unlock()
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
	return *r.row.(*T), nil
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
