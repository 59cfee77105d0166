package memrel

import (
	"fmt"
	"iter"

	memdb "github.com/hashicorp/go-memdb"
)

// Ordering is an order for a relation's children other than their key
// order: posts by CreatedAt. It is an index of the child table on the
// foreign key followed by a field, so a parent's children come from one
// prefix seek, already sorted, forwards or backwards.
type Ordering[C, P any, K comparable] struct {
	rel   *Relation[C, P, K]
	index *indexInfo
}

// OrderChildren declares an order for rel's children, by the field that
// field points to, then by key; name names its index, unique among the child
// table's indexes and relations.
//
//	byDate := memrel.OrderChildren(author, "by_date", func(p *Post) *time.Time { return &p.CreatedAt })
func OrderChildren[C, P any, K comparable, V Key](rel *Relation[C, P, K], name string, field func(*C) *V) *Ordering[C, P, K] {
	o := &Ordering[C, P, K]{rel: rel}
	if rel == nil || rel.info == nil || rel.addSlot == nil {
		return o // every use fails with ErrInvalid
	}
	child := rel.info.child
	fname, err := fieldOf(child.name, "order "+name, field)
	pc, vc := rel.pc, newCodec[V]()
	o.index = child.schema.addIndex(child, name, rel.info.index.field+", "+fname, false, nil, func(*indexInfo) {
		if err != nil {
			return
		}
		rel.addSlot(slotKey[C]{
			size: func(c *C) int {
				k, ok := rel.get(c)
				if !ok {
					return -1 // a NULL foreign key: no entry
				}
				return pc.encodedLen(k) + vc.encodedLen(*field(c))
			},
			append: func(c *C, dst []byte) []byte {
				k, _ := rel.get(c)
				return vc.append(pc.append(dst, k), *field(c))
			},
		})
	}, err)
	return o
}

func (o *Ordering[C, P, K]) check(tx *Tx) error {
	if o == nil || o.rel == nil || o.index == nil {
		return invalid("ordering not declared with OrderChildren")
	}
	if err := o.rel.check(tx); err != nil {
		return err
	}
	if !o.index.open {
		return schemaError("ordering %s.%s was declared after Open", o.index.table.name, o.index.name)
	}
	return nil
}

// Children returns the children of the parent whose key is k in this
// order, lazily, like Relation.Children.
func (o *Ordering[C, P, K]) Children(tx *Tx, k K) iter.Seq[C] {
	return o.children(tx, k, false)
}

// Backward returns them in reverse order (the latest post first).
func (o *Ordering[C, P, K]) Backward(tx *Tx, k K) iter.Seq[C] {
	return o.children(tx, k, true)
}

func (o *Ordering[C, P, K]) children(tx *Tx, k K, backward bool) iter.Seq[C] {
	return func(yield func(C) bool) {
		it := tx.startSeq(o.check(tx), func() (memdb.ResultIterator, error) {
			hint := func() string {
				return fmt.Sprintf("memrel.Many(rel).OrderedBy(o) (rel: the *Relation %s, o: its ordering %s)", o.rel.info.qname, o.index.name)
			}
			if err := o.rel.info.lazy(tx, "Children", hint); err != nil {
				return nil, err
			}
			return tx.iter(o.rel.child.name, o.index.mdb, scratchKey(tx, o.rel.pc, k), backward)
		})
		if it == nil {
			return
		}
		n := int64(0)
		defer func() { tx.addRows(o.rel.info, n) }()
		for c := tx.next(it); c != nil; c = tx.next(it) {
			n++
			if !yield(*c.row.(*C)) {
				return
			}
		}
	}
}
