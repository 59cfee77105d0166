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
// goes through, and strict mode names it by its own name. The association
// rows themselves, with their other fields (a follow's time), are rows of
// their table: from.Children(tx, k) lists a row's, and Count(from) counts
// them eagerly, one per link.
type Through[A, P, T any, KP, KT comparable] struct {
	m     *Association[A, P, T, KP, KT]
	qname string
	late  error // declared after Open: every use fails with it
}

// NewThrough declares the direction named name from the parents of from
// to the parents of to, through the association table both relations
// belong to: the rows of T linked to a row of P. The name is qualified by
// P's table (posts.tags); it is letters, digits and underscores, not
// starting with a digit, and names one direction of that table. Like every
// declaration it comes before Open, which reports what is wrong with it.
func NewThrough[A, P, T any, KP, KT comparable](from *Relation[A, P, KP], name string, to *Relation[A, T, KT]) *Through[A, P, T, KP, KT] {
	t := &Through[A, P, T, KP, KT]{}
	if from == nil || from.info == nil || from.info.parent == nil || to == nil || to.info == nil {
		t.late = invalid("many-to-many direction %q: nil or undeclared relation", name)
		return t
	}
	t.qname = from.info.parent.name + "." + name
	var errs []error
	if err := checkName("many-to-many direction", name); err != nil {
		errs = append(errs, err)
	}
	switch {
	case from.child != to.child:
		errs = append(errs, schemaError("many-to-many direction %s: %s and %s belong to different tables", t.qname, from.info.qname, to.info.qname))
	case from.info == to.info:
		errs = append(errs, schemaError("many-to-many direction %s: the same relation (%s) on both sides", t.qname, from.info.qname))
	}
	if !from.child.schema.addThrough(t.qname, from.info, errs...) {
		t.late = schemaError("many-to-many direction %s was declared after Open", t.qname)
	}
	t.m = &Association[A, P, T, KP, KT]{left: from, right: to,
		rights: &throughSpec[A, P, T, KP]{from: from, to: to.info},
		lefts:  &throughSpec[A, T, P, KT]{from: to, to: from.info}}
	return t
}

// check returns an error unless t can be used in tx.
func (t *Through[A, P, T, KP, KT]) check(tx *Tx, write bool) error {
	if t == nil {
		return invalid("many-to-many direction not declared with NewThrough")
	}
	if t.late != nil {
		return t.late
	}
	return t.m.check(tx, write)
}

// Name returns the direction's qualified name: posts.tags.
func (t *Through[A, P, T, KP, KT]) Name() string {
	if t == nil {
		return ""
	}
	return t.qname
}

// counter makes *Through Counted: its counters are from's.
func (t *Through[A, P, T, KP, KT]) counter() (*Schema, int) {
	if t == nil || t.m == nil || t.late != nil {
		return nil, -1
	}
	return t.m.left.relation().counter()
}

// loadHint is strict mode's hint for a lazy read of t: its loader.
func (t *Through[A, P, T, KP, KT]) loadHint() string {
	return fmt.Sprintf("t.Load() (t: the *Through %s)", t.qname)
}

// List returns the rows of T linked to the row of P whose key is k, lazily,
// in the association table's order: a post's tags. If the sequence cannot
// be read it yields nothing and the transaction records the error (see
// Tx.Err).
func (t *Through[A, P, T, KP, KT]) List(tx *Tx, k KP) iter.Seq[T] {
	return scrambleSeq(tx, func(yield func(T) bool) {
		if err := t.check(tx, false); err != nil {
			tx.failSeq(err)
			return
		}
		m := t.m
		follow(tx, m.left, m.right.info, "List", func() (string, string) { return t.qname, t.loadHint() }, encodeKey(m.left.pc, k), yield)
	})
}

// Count returns the number of rows List yields for k, without reading
// them; it is not a lazy load.
func (t *Through[A, P, T, KP, KT]) Count(tx *Tx, k KP) (int, error) {
	if err := t.check(tx, false); err != nil {
		return 0, err
	}
	return t.m.Count(tx, k)
}

// Page returns a page of the rows of T linked to k, in the association
// table's order; a cursor (After) is a row of T linked to k, and Where
// sees rows of T. Like List, it is a lazy load.
func (t *Through[A, P, T, KP, KT]) Page(tx *Tx, k KP, p Page[T]) ([]T, error) {
	if err := tx.enter(t.check(tx, false)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	m := t.m
	from, to := m.left.info, m.right.info
	if err := from.lazyAs(tx, "Page", t.qname, t.loadHint); err != nil {
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
				if r := tx.parentRow(to, k); r != nil {
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
	if t == nil || t.late != nil {
		return ThroughLoader[A, P, T, KP]{&throughSpec[A, P, T, KP]{}} // fails with ErrInvalid
	}
	return t.m.LoadRights()
}

// Link links the row of P whose key is k to the row of T whose key is v,
// as Association.Link does: the association row's other fields are zero,
// and an existing link is returned unchanged.
func (t *Through[A, P, T, KP, KT]) Link(tx *Tx, k KP, v KT) (A, error) {
	if err := t.check(tx, true); err != nil {
		var a A
		return a, err
	}
	return t.m.Link(tx, k, v)
}

// LinkRow links the two rows a's foreign keys name by inserting a, with
// its other fields (the time a tag was added), as Association.LinkRow
// does.
func (t *Through[A, P, T, KP, KT]) LinkRow(tx *Tx, a A) (A, error) {
	if err := t.check(tx, true); err != nil {
		return a, err
	}
	return t.m.LinkRow(tx, a)
}

// Unlink removes the links between k and v and returns how many it removed.
func (t *Through[A, P, T, KP, KT]) Unlink(tx *Tx, k KP, v KT) (int, error) {
	if err := t.check(tx, true); err != nil {
		return 0, err
	}
	return t.m.Unlink(tx, k, v)
}

// Clear removes every link of k and returns how many it removed.
func (t *Through[A, P, T, KP, KT]) Clear(tx *Tx, k KP) (int, error) {
	if err := t.check(tx, true); err != nil {
		return 0, err
	}
	return t.m.Clear(tx, k)
}

// Replace makes vs the set of rows linked to k, as Association.Replace
// does.
func (t *Through[A, P, T, KP, KT]) Replace(tx *Tx, k KP, vs []KT) error {
	if err := t.check(tx, true); err != nil {
		return err
	}
	return t.m.Replace(tx, k, vs)
}
