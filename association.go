package memrel

import (
	"bytes"
	"fmt"
	"iter"
	"slices"

	memdb "github.com/hashicorp/go-memdb"
)

// Association is a many-to-many relationship through an association table:
// SQLAlchemy's relationship(secondary=...). It is declared once, from the
// association table's two foreign keys, and navigates both ways:
//
//	tagged := memrel.ForeignKey(postTags, "post", ..., posts, cascade)
//	tagOf := memrel.ForeignKey(postTags, "tag", ..., tags, cascade)
//	postTagsM2M := memrel.ManyToMany(tagged, tagOf)
//
// The association rows are ordinary rows of their table, checked against
// both sides and cascading from both sides by their relations' rules; an
// association object with fields of its own (PostTag{PostID, TagID,
// AddedAt}) is read and written as a table too. A pair of keys is linked at
// most once through Link.
type Association[A, L, R any, KL, KR comparable] struct {
	left   *Relation[A, L, KL]
	right  *Relation[A, R, KR]
	rights *throughSpec[A, L, R, KL] // LoadRights, the same each time
	lefts  *throughSpec[A, R, L, KR] // LoadLefts
}

// ManyToMany declares the many-to-many relationship between the parents of
// left and the parents of right, through the association table both
// relations belong to.
func ManyToMany[A, L, R any, KL, KR comparable](left *Relation[A, L, KL], right *Relation[A, R, KR]) *Association[A, L, R, KL, KR] {
	m := &Association[A, L, R, KL, KR]{left: left, right: right}
	if left != nil && right != nil && left.info != nil && right.info != nil {
		m.rights = &throughSpec[A, L, R, KL]{from: left, to: right.info}
		m.lefts = &throughSpec[A, R, L, KR]{from: right, to: left.info}
		if left.child != right.child {
			left.child.schema.fail(schemaError("many-to-many %s and %s: the relations belong to different tables", left.info.qname, right.info.qname))
		} else if left.info == right.info {
			left.child.schema.fail(schemaError("many-to-many %s: the same relation on both sides", left.info.qname))
		}
	}
	return m
}

func (m *Association[A, L, R, KL, KR]) check(tx *Tx, write bool) error {
	if m == nil || m.left == nil || m.right == nil || m.left.info == nil || m.right.info == nil {
		return invalid("association not declared with ManyToMany")
	}
	if err := m.left.check(tx); err != nil {
		return err
	}
	if err := m.right.check(tx); err != nil {
		return err
	}
	return tx.usable(m.left.child, write)
}

// links returns the association records of the left key l, with their
// right keys.
func (m *Association[A, L, R, KL, KR]) links(tx *Tx, l []byte) []*rec {
	var out []*rec
	for c := range tx.scan(m.left.child.name, m.left.info.index.mdb, l) {
		out = append(out, c)
	}
	return out
}

// Link links l and r, inserting an association row whose other fields are
// zero (an integer key is assigned from its sequence), and returns it. If
// they are linked already it returns the existing row and changes nothing.
// It fails with ErrForeignKey if either side does not exist.
func (m *Association[A, L, R, KL, KR]) Link(tx *Tx, l KL, r KR) (A, error) {
	var a A
	if err := tx.enter(m.check(tx, true)); err != nil {
		return a, err
	}
	defer tx.mu.Unlock()
	m.left.put(&a, l)
	m.right.put(&a, r)
	return m.link(tx, a, l, r)
}

// LinkRow links the two rows whose keys a's foreign keys hold by inserting
// a itself, so that its other fields are set (PostTag{PostID, TagID,
// AddedAt}), and returns the row stored (with its key assigned). Like Link,
// if they are linked already it returns the existing row and changes
// nothing: following someone twice keeps the first follow's time. A NULL
// foreign key in a fails with ErrInvalid, since it links nothing.
func (m *Association[A, L, R, KL, KR]) LinkRow(tx *Tx, a A) (A, error) {
	if err := tx.enter(m.check(tx, true)); err != nil {
		return a, err
	}
	defer tx.mu.Unlock()
	l, okL := m.left.get(&a)
	r, okR := m.right.get(&a)
	if !okL || !okR {
		return a, invalid("LinkRow of %s and %s: a NULL foreign key links nothing", m.left.info.qname, m.right.info.qname)
	}
	return m.link(tx, a, l, r)
}

// link inserts a, which links l and r, unless they are linked already.
func (m *Association[A, L, R, KL, KR]) link(tx *Tx, a A, l KL, r KR) (A, error) {
	lk, rk := encodeKey(m.left.pc, l), encodeKey(m.right.pc, r)
	for _, c := range m.links(tx, lk) {
		if bytes.Equal(c.key(m.right.info.index.slot), rk) {
			return *c.row.(*A), nil
		}
	}
	var stored *rec
	err := tx.atomically(m.left.child, func() error {
		tx.op = OpInsert
		rec, fresh, err := m.left.prepare(tx, a)
		if err != nil {
			return err
		}
		stored = rec
		return tx.write(m.left.child, nil, rec, mustBeNew, fresh)
	})
	if err != nil {
		return a, err
	}
	return *stored.row.(*A), nil
}

// Unlink removes every association row linking l and r, and returns how
// many it removed.
func (m *Association[A, L, R, KL, KR]) Unlink(tx *Tx, l KL, r KR) (int, error) {
	if err := tx.enter(m.check(tx, true)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	rk := encodeKey(m.right.pc, r)
	return m.remove(tx, l, func(c *rec) bool { return bytes.Equal(c.key(m.right.info.index.slot), rk) })
}

// Clear removes every association row of l, and returns how many.
func (m *Association[A, L, R, KL, KR]) Clear(tx *Tx, l KL) (int, error) {
	if err := tx.enter(m.check(tx, true)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	return m.remove(tx, l, func(*rec) bool { return true })
}

func (m *Association[A, L, R, KL, KR]) remove(tx *Tx, l KL, which func(*rec) bool) (int, error) {
	n := 0
	err := tx.atomically(m.left.child, func() error {
		tx.op = OpDelete
		for _, c := range m.links(tx, encodeKey(m.left.pc, l)) {
			if !which(c) || tx.current(m.left.child, c) != c {
				continue // not this one, or gone in a cascade since
			}
			if err := tx.remove(m.left.child, c, cause{}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Replace makes rs the set of rows linked to l, in one operation: it
// removes the links to others, keeps the links it already has, and links
// the rest. Repeats in rs are linked once.
func (m *Association[A, L, R, KL, KR]) Replace(tx *Tx, l KL, rs []KR) error {
	if err := tx.enter(m.check(tx, true)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	want := map[string]bool{}
	for _, r := range rs {
		want[string(encodeKey(m.right.pc, r))] = true
	}
	return tx.atomically(m.left.child, func() error {
		tx.op = OpDelete
		have := map[string]bool{}
		for _, c := range m.links(tx, encodeKey(m.left.pc, l)) {
			rk := string(c.key(m.right.info.index.slot))
			if want[rk] && !have[rk] {
				have[rk] = true
				continue
			}
			if tx.current(m.left.child, c) != c {
				continue
			}
			if err := tx.remove(m.left.child, c, cause{}); err != nil {
				return err
			}
		}
		for _, r := range rs {
			rk := string(encodeKey(m.right.pc, r))
			if have[rk] {
				continue
			}
			have[rk] = true
			var a A
			m.left.put(&a, l)
			m.right.put(&a, r)
			tx.op = OpInsert
			rec, fresh, err := m.left.prepare(tx, a)
			if err != nil {
				return err
			}
			if err := tx.write(m.left.child, nil, rec, mustBeNew, fresh); err != nil {
				return err
			}
		}
		return nil
	})
}

// Count returns the number of rows linked to l: the rows Rights yields.
// A link whose other side is NULL (an association row whose relation to R
// was SET NULL) links nothing and is not counted.
func (m *Association[A, L, R, KL, KR]) Count(tx *Tx, l KL) (int, error) {
	if err := tx.enter(m.check(tx, false)); err != nil {
		return 0, err
	}
	defer tx.mu.Unlock()
	// A committed store has no dangling reference, nor has a writer with
	// no deferred check pending: a non-NULL key then names a row, and
	// counting needs no lookup.
	exact := tx.w != nil && len(tx.w.pending) > 0
	n := 0
	for c := range tx.scan(m.left.child.name, m.left.info.index.mdb, encodeKey(m.left.pc, l)) {
		if k := c.key(m.right.info.index.slot); k != nil && (!exact || tx.parentRow(m.right.info, k) != nil) {
			n++
		}
	}
	return n, nil
}

// Rights returns the rows of R linked to l (post.tags), lazily, in the
// association table's key order. If the sequence cannot be read it yields
// nothing and the transaction records the error (see Tx.Err).
func (m *Association[A, L, R, KL, KR]) Rights(tx *Tx, l KL) iter.Seq[R] {
	return scrambleSeq(tx, func(yield func(R) bool) {
		if err := m.check(tx, false); err != nil {
			tx.failSeq(err)
			return
		}
		follow(tx, m.left, m.right.info, "Rights", m.hint("LoadRights"), encodeKey(m.left.pc, l), yield)
	})
}

// Lefts returns the rows of L linked to r (tag.posts), lazily, as Rights
// does.
func (m *Association[A, L, R, KL, KR]) Lefts(tx *Tx, r KR) iter.Seq[L] {
	return scrambleSeq(tx, func(yield func(L) bool) {
		if err := m.check(tx, false); err != nil {
			tx.failSeq(err)
			return
		}
		follow(tx, m.right, m.left.info, "Lefts", m.hint("LoadLefts"), encodeKey(m.right.pc, r), yield)
	})
}

// hint is strict mode's hint for a lazy read of m: its loader eager.
func (m *Association[A, L, R, KL, KR]) hint(eager string) func() (string, string) {
	return func() (string, string) {
		return "", fmt.Sprintf("m.%s() (m: the *Association of %s and %s)", eager, m.left.info.qname, m.right.info.qname)
	}
}

// follow yields the parents, through to, of the association rows that
// reference key through from: a lazy load through from, which the caller
// has checked. Each row is looked up with tx locked, and yielded without
// the lock. hint returns what strict mode names the load ("": from) and its
// loader.
func follow[A, F, T any, KF comparable](tx *Tx, from *Relation[A, F, KF], to *relInfo, how string, hint func() (string, string), key []byte, yield func(T) bool) {
	it := tx.startSeq(nil, func() (memdb.ResultIterator, error) {
		name := from.info.qname
		if tx.strict {
			if n, _ := hint(); n != "" {
				name = n
			}
		}
		if err := from.info.lazyAs(tx, how, name, func() string { _, h := hint(); return h }); err != nil {
			return nil, err
		}
		return tx.iter(from.info.child.name, from.info.index.mdb, key, false)
	})
	if it == nil {
		return
	}
	n := int64(0)
	defer func() { tx.addRows(from.info, n) }()
	for c := tx.next(it); c != nil; c = tx.next(it) {
		k := c.key(to.index.slot)
		if k == nil {
			continue // a link whose other side was SET NULL
		}
		var p *rec
		tx.locked(func() { p = tx.parentRow(to, k) })
		if p == nil {
			continue // dangling under a deferred check
		}
		n++
		if !yield(*p.row.(*T)) {
			return
		}
	}
}

// LoadRights loads the rows of R linked to each row of L (posts with their
// tags), for Eager and EagerAll: the links of every row of L in one pass
// over the association table, then the rows of R they name, each found
// once. Links whose R side is NULL link nothing.
func (m *Association[A, L, R, KL, KR]) LoadRights() ThroughLoader[A, L, R, KL] {
	if m == nil || m.rights == nil {
		return ThroughLoader[A, L, R, KL]{&throughSpec[A, L, R, KL]{}} // fails with ErrInvalid
	}
	return ThroughLoader[A, L, R, KL]{m.rights}
}

// LoadLefts loads the rows of L linked to each row of R (tags with their
// posts).
func (m *Association[A, L, R, KL, KR]) LoadLefts() ThroughLoader[A, R, L, KR] {
	if m == nil || m.lefts == nil {
		return ThroughLoader[A, R, L, KR]{&throughSpec[A, R, L, KR]{}}
	}
	return ThroughLoader[A, R, L, KR]{m.lefts}
}

// ThroughLoader loads, for rows P of an association's relation from, the
// rows T, through its other relation, of the association rows between
// them: a many-to-many's eager load, made by Through.Load and by
// Association.LoadRights and LoadLefts. Its type parameters are the
// association row, the rows it loads for, the rows it loads, and the key
// of the rows it loads for.
type ThroughLoader[A, P, T any, K comparable] struct{ s *throughSpec[A, P, T, K] }

type throughSpec[A, P, T any, K comparable] struct {
	from *Relation[A, P, K]
	to   *relInfo
	with []Loader[T]
}

// With runs loaders for the rows the load finds: tags, and each tag's
// other posts.
func (t ThroughLoader[A, P, T, K]) With(loaders ...Loader[T]) ThroughLoader[A, P, T, K] {
	var c throughSpec[A, P, T, K]
	if t.s != nil {
		c = *t.s
	}
	c.with = append(c.with[:len(c.with):len(c.with)], loaders...)
	return ThroughLoader[A, P, T, K]{&c}
}

// Of returns the rows linked to row, as the load of res found them, in the
// association table's order: nil if there are none, or if row was not in
// the load. The slice is res's; changing it changes res, never the store.
func (t ThroughLoader[A, P, T, K]) Of(res *Result, row P) []T {
	if t.s == nil || t.s.from == nil {
		return nil
	}
	return childrenOf[A, P, K, T](res, t.s, t.s.from, row)
}

func (t ThroughLoader[A, P, T, K]) loadInto(tx *Tx, b batch[P], res *Result) error {
	if t.s == nil || t.s.from == nil || t.s.to == nil {
		return invalid("nil association")
	}
	if err := t.s.from.check(tx); err != nil {
		return err
	}
	keys, out, dup := t.linked(tx, b)
	vals := resultValues[keyMap[[]T]](res, t.s)
	var flat []T
	for i, k := range keys {
		if dup != nil && dup[i] {
			continue
		}
		vals.set(k, scrambled(tx, out[i]))
		if len(t.s.with) > 0 {
			flat = append(flat, out[i]...)
		}
	}
	if len(t.s.with) == 0 {
		return nil
	}
	return runAll(tx, batch[T]{rows: flat}, res, t.s.with)
}

// linked returns the keys of b's rows and the rows linked to each; dup,
// when not nil, marks the rows whose key repeats an earlier one's.
func (t ThroughLoader[A, P, T, K]) linked(tx *Tx, b batch[P]) ([][]byte, [][]T, []bool) {
	from := t.s.from.info
	keys := b.keys(t.s.from.info.ref, t.s.from.appendParentKey)
	n := len(keys)
	if j := tx.join(from, from.index, t.s.to.index.slot, b.sc.joins()); j != nil {
		return keys, t.joined(tx, j, n, keys, b.sc), nil
	}
	// The links first, parent by parent; then their targets, found in one
	// ordered pass; then each parent's slice, all cut from one array.
	type link struct {
		i int
		v []byte
	}
	var links []link
	dups := walkChildren(tx, from, from.index, keys, b.sc, func(i int, c *rec) bool {
		if v := c.key(t.s.to.index.slot); v != nil {
			links = append(links, link{i, v})
		}
		return true
	})
	look := newParentLookup[T](tx, t.s.to, nil)
	vs := make([][]byte, len(links))
	for k, ln := range links {
		vs[k] = ln.v
	}
	look.prefetch(vs)
	out, pairs := gather(n, len(links), func(k int) (int, *T) {
		return links[k].i, look.get(links[k].v).p
	})
	dup := repeats(n, dups)
	t.count(tx, pairs, look.found)
	return keys, out, dup
}

// gather cuts each parent's slice from one array of the rows of n links,
// which come grouped by parent: link(k) is the k-th link's parent and row
// (nil: not found). It returns the slices and how many rows they hold.
func gather[T any](parents, n int, link func(k int) (int, *T)) ([][]T, int) {
	all := make([]T, 0, n)
	out := make([][]T, parents)
	for k := 0; k < n; {
		i, _ := link(k)
		start := len(all)
		for ; k < n; k++ {
			j, row := link(k)
			if j != i {
				break
			}
			if row != nil {
				all = append(all, *row)
			}
		}
		if len(all) > start {
			out[i] = all[start:len(all):len(all)]
		}
	}
	return out, len(all)
}

// joined is load through a join index of the association: the links of
// each parent, as positions among the distinct targets, then the targets
// each link needs, found in one ordered pass and copied once, then each
// parent's slice, all cut from one array.
func (t ThroughLoader[A, P, T, K]) joined(tx *Tx, j *joinIndex, parents int, keys [][]byte, sc scope) [][]T {
	type link struct{ i, d int }
	var links []link
	if sc.whole {
		links = make([]link, 0, len(j.recs))
	}
	j.walk(keys, sc.sorted || inOrder(keys), func(i, e int) bool {
		if d := j.vidx[e]; d != noValue {
			links = append(links, link{i, int(d)})
		}
		return true
	})
	// The targets needed, in key order, and where each one's copy is in
	// rows (-1: not found), by its position among all targets: in arrays
	// over all targets when the links are many, else sorted and in a map.
	var need []int
	var pos []int32
	var at map[int]int32
	if len(links)*8 >= j.values() {
		pos = make([]int32, j.values())
		for _, ln := range links {
			pos[ln.d] = 1
		}
		for d, m := range pos {
			if m != 0 {
				need = append(need, d)
			}
			pos[d] = -1
		}
	} else {
		for _, ln := range links {
			need = append(need, ln.d)
		}
		slices.Sort(need)
		need = slices.Compact(need)
		at = make(map[int]int32, len(need))
	}
	rows := make([]T, 0, len(need))
	tx.findSorted(t.s.to, len(need), func(n int) []byte { return j.value(need[n]) }, func(n int, r *rec) {
		if pos != nil {
			pos[need[n]] = int32(len(rows))
		} else {
			at[need[n]] = int32(len(rows))
		}
		rows = append(rows, *r.row.(*T))
	})
	out, pairs := gather(parents, len(links), func(n int) (int, *T) {
		p, ok := int32(-1), true
		if pos != nil {
			p = pos[links[n].d]
		} else {
			p, ok = at[links[n].d]
		}
		if !ok || p < 0 {
			return links[n].i, nil
		}
		return links[n].i, &rows[p]
	})
	t.count(tx, pairs, len(rows))
	return out
}

func (t ThroughLoader[A, P, T, K]) count(tx *Tx, pairs, targets int) {
	lf, lt := tx.count(t.s.from.info), tx.count(t.s.to)
	lf.Batches++
	lf.Rows += int64(pairs)
	lt.Batches++
	lt.Rows += int64(targets)
}

// appendParentKey appends the key of parent p that r references to dst.
func (r *Relation[C, P, K]) appendParentKey(dst []byte, p *P) []byte {
	if r.pptr != nil {
		return r.pc.append(dst, *r.pptr(p))
	}
	return r.pkey(dst, p)
}

// parentKey is appendParentKey into buf, which does not escape: a key the
// closure path encodes gets a buffer of its own.
func (r *Relation[C, P, K]) parentKey(buf []byte, p *P) []byte {
	if r.pptr != nil {
		return r.pc.append(buf, *r.pptr(p))
	}
	return r.pkey(nil, p)
}
