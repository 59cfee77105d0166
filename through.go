package memrel

import (
	"bytes"
	"fmt"
	"iter"
)

// Through is one direction of a many-to-many relationship, declared with a
// name of its own: post.tags, from a post through post_tags to its tags,
// or user.following, from a user through follows to the users they follow.
// It is read like a relation (List, Count, Page, Load) and written with
// Link, LinkRow, Unlink, Replace and Clear, always from the row it starts
// at, so a self-referential association reads the way it is named
// whichever of its foreign keys was declared first.
//
//	tags := memrel.NewThrough(tagged, "tags", tagOf)    // posts.tags
//	posts := memrel.NewThrough(tagOf, "posts", tagged)  // tags.posts
//	following := memrel.NewThrough(follower, "following", followee)
//	followers := memrel.NewThrough(followee, "followers", follower)
//
// Its load counters (Tx.LoadStats) are those of from, the relation it
// goes through, and strict mode names it by its own name.
type Through[A, P, T any, KP, KT Key] struct {
	m     *Association[A, P, T, KP, KT]
	qname string
}

// NewThrough declares the direction named name from the parents of from
// to the parents of to, through the association table both relations
// belong to: the rows of T linked to a row of P. The name is qualified by
// P's table (posts.tags) and must be a name as table names are.
func NewThrough[A, P, T any, KP, KT Key](from *Relation[A, P, KP], name string, to *Relation[A, T, KT]) *Through[A, P, T, KP, KT] {
	t := &Through[A, P, T, KP, KT]{m: ManyToMany(from, to)}
	if from == nil || from.info == nil || from.info.parent == nil {
		return t
	}
	t.qname = from.info.parent.name + "." + name
	if err := checkName("many-to-many direction", name); err != nil {
		from.child.schema.fail(fmt.Errorf("%s: %w", from.info.qname, err))
	}
	return t
}

// Name returns the direction's qualified name: posts.tags.
func (t *Through[A, P, T, KP, KT]) Name() string {
	if t == nil {
		return ""
	}
	return t.qname
}

func (t *Through[A, P, T, KP, KT]) assoc() *Association[A, P, T, KP, KT] {
	if t == nil {
		return nil
	}
	return t.m
}

// counter makes *Through Counted: its counters are from's.
func (t *Through[A, P, T, KP, KT]) counter() (*Schema, int) {
	if t == nil || t.m == nil {
		return nil, -1
	}
	return t.m.left.relation().counter()
}

func (t *Through[A, P, T, KP, KT]) hint() func() (string, string) {
	return func() (string, string) {
		return t.qname, fmt.Sprintf("t.Load() (t: the *Through %s)", t.qname)
	}
}

// List returns the rows of T linked to the row of P whose key is k, lazily,
// in the association table's order: a post's tags. If the sequence cannot
// be read it yields nothing and the transaction records the error (see
// Tx.Err).
func (t *Through[A, P, T, KP, KT]) List(tx *Tx, k KP) iter.Seq[T] {
	return func(yield func(T) bool) {
		m := t.assoc()
		if err := m.check(tx, false); err != nil {
			tx.failSeq(err)
			return
		}
		follow(tx, m.left, m.right.info, "List", t.hint(), encodeKey(m.left.pc, k), yield)
	}
}

// Count returns the number of rows List yields for k, without reading
// them; it is not a lazy load.
func (t *Through[A, P, T, KP, KT]) Count(tx *Tx, k KP) (int, error) {
	return t.assoc().Count(tx, k)
}

// Page returns a page of the rows of T linked to k, in the association
// table's order; a cursor (After) is a row of T linked to k, and Where
// sees rows of T. Like List, it is a lazy load.
func (t *Through[A, P, T, KP, KT]) Page(tx *Tx, k KP, p Page[T]) ([]T, error) {
	m := t.assoc()
	if err := tx.enter(m.check(tx, false)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	from, to := m.left.info, m.right.info
	if err := from.lazyAs(tx, "Page", t.qname, func() string { _, h := t.hint()(); return h }); err != nil {
		return nil, err
	}
	prefix := encodeKey(m.left.pc, k)
	var cursor []byte
	if p.After != nil {
		r, err := to.parent.front.rekey(p.After)
		if err != nil {
			return nil, err
		}
		ak := r.pk()
		for c := range tx.scan(from.child.name, from.index.mdb, prefix) {
			if bytes.Equal(c.key(to.index.slot), ak) {
				cursor = entryIn(c, from.index)
				break
			}
		}
		if cursor == nil {
			return nil, invalid("Page: After is not linked to this row")
		}
	}
	links, err := seek(tx, from.child, from.index, prefix, cursor, p.Backward)
	if err != nil {
		return nil, err
	}
	out, err := cut(tx, p, func() *rec {
		for c := links(); c != nil; c = links() {
			if k := c.key(to.index.slot); k != nil {
				if r := tx.get(to.parent, k); r != nil {
					return r
				}
			}
		}
		return nil
	})
	tx.count(from).Rows += int64(len(out))
	return out, err
}

// Load loads the rows of T linked to each row of P, for Eager and EagerAll,
// as Association.LoadRights does.
func (t *Through[A, P, T, KP, KT]) Load() ThroughLoader[A, P, T, KP] {
	return t.assoc().LoadRights()
}

// Link links the row of P whose key is k to the row of T whose key is v,
// as Association.Link does: the association row's other fields are zero,
// and an existing link is returned unchanged.
func (t *Through[A, P, T, KP, KT]) Link(tx *Tx, k KP, v KT) (A, error) {
	return t.assoc().Link(tx, k, v)
}

// LinkRow links the two rows a's foreign keys name by inserting a, with
// its other fields (the time a tag was added), as Association.LinkRow
// does.
func (t *Through[A, P, T, KP, KT]) LinkRow(tx *Tx, a A) (A, error) {
	return t.assoc().LinkRow(tx, a)
}

// Unlink removes the links between k and v and returns how many it removed.
func (t *Through[A, P, T, KP, KT]) Unlink(tx *Tx, k KP, v KT) (int, error) {
	return t.assoc().Unlink(tx, k, v)
}

// Clear removes every link of k and returns how many it removed.
func (t *Through[A, P, T, KP, KT]) Clear(tx *Tx, k KP) (int, error) {
	return t.assoc().Clear(tx, k)
}

// Replace makes vs the set of rows linked to k, as Association.Replace
// does.
func (t *Through[A, P, T, KP, KT]) Replace(tx *Tx, k KP, vs []KT) error {
	return t.assoc().Replace(tx, k, vs)
}
