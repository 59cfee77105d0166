package memrel

import "iter"

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
	if t == nil || t.info.schema == nil {
		return &Index[T, K, V]{} // every lookup fails with ErrInvalid
	}
	fname, err := fieldOf(t.info.name, "index "+name, field)
	x.info = t.info.schema.addIndex(t.info, name, fname, unique, nil, err)
	c := x.codec
	if err == nil && !x.info.table.schema.frozen {
		t.slots = append(t.slots, slotKey[T]{
			size:   func(r *T) int { return c.encodedLen(field(r)) },
			append: func(r *T, dst []byte) []byte { return c.append(dst, field(r)) },
		})
	}
	return x
}

func (x *Index[T, K, V]) check(tx *Tx) error {
	if x == nil || x.table == nil {
		return invalid("nil index")
	}
	return x.table.check(tx, false)
}

// Get returns the rows whose field equals v, in primary key order.
func (x *Index[T, K, V]) Get(tx *Tx, v V) iter.Seq[T] {
	return func(yield func(T) bool) {
		if x.check(tx) != nil {
			return
		}
		for r := range tx.scan(x.info.table.name, x.info.mdb, keyOf(tx, x.codec, v)) {
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
	if err := x.check(tx); err != nil {
		return zero, err
	}
	var r *rec
	if k := keyOf(tx, x.codec, v); x.info.unique {
		r = tx.first(x.info.table.name, x.info.mdb, k)
	} else {
		r = tx.firstWith(x.info.table.name, x.info.mdb, k)
	}
	if r == nil {
		return zero, ErrNotFound
	}
	return *r.row.(*T), nil
}

// All returns every row ordered by the indexed field, then by primary key.
func (x *Index[T, K, V]) All(tx *Tx) iter.Seq[T] {
	return func(yield func(T) bool) {
		if x.check(tx) != nil {
			return
		}
		for r := range tx.scan(x.info.table.name, x.info.mdb, nil) {
			if !yield(*r.row.(*T)) {
				return
			}
		}
	}
}
