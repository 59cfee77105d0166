package memrel

// The loaders of a foreign key: Many and One, its two sides, Count, and
// Tree for a self-referential one. Each loads a batch of rows at once, into
// a Result; Eager and EagerAll (loading.go) run them, and each loader's Of
// reads what it loaded.

// ManyLoader loads each parent's children through a relation: the "many"
// side of a one-to-many, SQLAlchemy's selectinload. Where and Limit narrow
// what it loads, per parent; OrderedBy orders it; With loads more for the
// children.
type ManyLoader[C, P any, K comparable] struct{ s *manySpec[C, P, K] }

// manySpec is a ManyLoader's description; it never changes once made.
type manySpec[C, P any, K comparable] struct {
	rel      *Relation[C, P, K]
	index    *indexInfo // nil: the relation's own, children in key order
	ordered  bool       // OrderedBy was called: index must be an ordering's
	where    func(C) bool
	limit    int
	backward bool // each parent's children in reverse order
	with     []Loader[C]
}

// Many loads each parent's children through rel, in the child table's key
// order.
func Many[C, P any, K comparable](rel *Relation[C, P, K]) ManyLoader[C, P, K] {
	if rel != nil && rel.many != nil {
		return ManyLoader[C, P, K]{rel.many}
	}
	return ManyLoader[C, P, K]{&manySpec[C, P, K]{rel: rel}}
}

// changed returns m as a new loader, with an identity of its own.
func (m ManyLoader[C, P, K]) changed() ManyLoader[C, P, K] {
	var c manySpec[C, P, K]
	if m.s != nil {
		c = *m.s
	}
	c.with = c.with[:len(c.with):len(c.with)] // appending copies
	return ManyLoader[C, P, K]{&c}
}

// Where keeps only the children for which keep returns true. keep runs
// while the load is under way, and may itself use the transaction.
func (m ManyLoader[C, P, K]) Where(keep func(C) bool) ManyLoader[C, P, K] {
	m = m.changed()
	m.s.where = keep
	return m
}

// OrderedBy loads the children in o's order instead of key order (and so
// Limit keeps the first n in that order). o must be an ordering of the
// loader's relation; the load fails with ErrInvalid otherwise.
func (m ManyLoader[C, P, K]) OrderedBy(o *Ordering[C, P, K]) ManyLoader[C, P, K] {
	m = m.changed()
	m.s.ordered, m.s.index = true, nil
	if o != nil && o.rel == m.s.rel {
		m.s.index = o.index
	}
	return m
}

// Backward loads each parent's children in reverse order: of OrderedBy's
// ordering (the newest posts first), or of their keys. Limit then keeps the
// last n.
func (m ManyLoader[C, P, K]) Backward() ManyLoader[C, P, K] {
	m = m.changed()
	m.s.backward = true
	return m
}

// Limit keeps at most n children per parent (n <= 0: all).
func (m ManyLoader[C, P, K]) Limit(n int) ManyLoader[C, P, K] {
	m = m.changed()
	m.s.limit = n
	return m
}

// With runs loaders for the children the load finds, all of them in one
// batch per loader: users, their posts, and each post's tags and comments,
// in one call (Many(author).With(tags, comments)).
func (m ManyLoader[C, P, K]) With(loaders ...Loader[C]) ManyLoader[C, P, K] {
	m = m.changed()
	m.s.with = append(m.s.with, loaders...)
	return m
}

// Of returns the children that the load of res found for parent: nil if it
// has none, or if parent was not in the load. The slice is res's; changing
// it changes res, never the store.
func (m ManyLoader[C, P, K]) Of(res *Result, parent P) []C {
	if m.s == nil {
		return nil
	}
	return childrenOf[C, P, K, C](res, m.s, m.s.rel, parent)
}

func (m ManyLoader[C, P, K]) loadInto(tx *Tx, b batch[P], res *Result) error {
	if m.s == nil {
		return invalid("loader not made by Many")
	}
	keys, rows, crecs, dup, err := m.children(tx, b, len(m.s.with) > 0)
	if err != nil {
		return err
	}
	vals := resultValues[keyMap[[]C]](res, m.s)
	for i, k := range keys {
		if dup == nil || !dup[i] {
			if m.s.ordered {
				vals.set(k, rows[i])
			} else {
				vals.set(k, scrambled(tx, rows[i]))
			}
		}
	}
	if len(m.s.with) == 0 {
		return nil
	}
	n := 0
	for i := range rows {
		n += len(rows[i])
	}
	flat := make([]C, 0, n)
	flatRecs := make([]*rec, 0, n)
	for i := range rows {
		if dup == nil || !dup[i] {
			flat = append(flat, rows[i]...)
			flatRecs = append(flatRecs, crecs[i]...)
		}
	}
	// The children of a whole table, all of them kept, through a foreign
	// key that is never NULL, are the whole of their own table.
	whole := b.sc.whole && !m.s.rel.info.nullable && m.s.where == nil && m.s.limit <= 0
	return runAll(tx, batch[C]{rows: flat, recs: flatRecs, sc: scope{whole: whole}}, res, m.s.with)
}

// children loads each parent's children, and their records if withRecs,
// with the parents' keys; dup, when not nil, marks the parents whose key
// repeats an earlier one's, which get no children of their own. Children
// arrive grouped by parent in both strategies, and each parent's run is
// built in place in an arena, so a load allocates about the size of its
// result.
func (m ManyLoader[C, P, K]) children(tx *Tx, b batch[P], withRecs bool) (keys [][]byte, rows [][]C, crecs [][]*rec, dup []bool, err error) {
	r := m.s.rel
	if err := r.check(tx); err != nil {
		return nil, nil, nil, nil, err
	}
	switch {
	case m.s.ordered && m.s.index == nil:
		return nil, nil, nil, nil, invalid("OrderedBy: an ordering not declared with OrderChildren on relation %s", r.info.qname)
	case m.s.index != nil && !m.s.index.open:
		return nil, nil, nil, nil, schemaError("ordering %s.%s was declared after Open", m.s.index.table.name, m.s.index.name)
	}
	keys = b.keys(r.info.ref, r.appendParentKey)
	n := len(keys)
	rows = make([][]C, n)
	if withRecs {
		crecs = make([][]*rec, n)
	}
	var (
		rowsOut arena[C]
		recsOut arena[*rec]
		cur     = -1
		total   int64
	)
	flush := func() {
		if cur >= 0 {
			total += int64(rowsOut.len())
			rows[cur] = rowsOut.cut()
			if withRecs {
				crecs[cur] = recsOut.cut()
			}
		}
	}
	// add adds child c of parent i, and reports whether i wants more.
	add := func(i int, c *rec) bool {
		if i != cur {
			flush()
			cur = i
		}
		if m.s.limit > 0 && rowsOut.len() >= m.s.limit {
			return false
		}
		v := *c.row.(*C)
		if m.s.where != nil && !callout(tx, m.s.where, v) {
			return true
		}
		rowsOut.add(v)
		if withRecs {
			recsOut.add(c)
		}
		return true
	}
	index := r.info.index
	if m.s.index != nil {
		index = m.s.index
	}
	dups := walkChildrenIn(tx, r.info, index, keys, b.sc, m.s.backward, add)
	flush()
	dup = repeats(n, dups)
	l := tx.count(r.info)
	l.Batches++
	l.Rows += total
	return keys, rows, crecs, dup, nil
}

// OneLoader loads each child's parent through a relation: the many-to-one
// side (post.author), SQLAlchemy's joinedload of a scalar. With loads more
// for the parents.
type OneLoader[C, P any, K comparable] struct{ s *oneSpec[C, P, K] }

type oneSpec[C, P any, K comparable] struct {
	rel  *Relation[C, P, K]
	with []Loader[P]
}

// One loads each child's parent through rel. Children that share a parent
// share one copy of it. A load in which a non-NULL foreign key names no
// row (possible only while a deferred relation is unchecked) fails with
// ErrNotFound.
func One[C, P any, K comparable](rel *Relation[C, P, K]) OneLoader[C, P, K] {
	if rel != nil && rel.one != nil {
		return OneLoader[C, P, K]{rel.one}
	}
	return OneLoader[C, P, K]{&oneSpec[C, P, K]{rel: rel}}
}

// With runs loaders for the parents the load finds, each distinct parent
// once: posts, their authors, and each author's other posts.
func (o OneLoader[C, P, K]) With(loaders ...Loader[P]) OneLoader[C, P, K] {
	var c oneSpec[C, P, K]
	if o.s != nil {
		c = *o.s
	}
	c.with = append(c.with[:len(c.with):len(c.with)], loaders...)
	return OneLoader[C, P, K]{&c}
}

// Of returns the parent that child's foreign key names, as the load of res
// found it, and true; or false if the key is NULL, or the load found no
// parent with that key (no child of the load named it). Of reads the key
// from child itself: any row with the same foreign key gets the same
// parent, whether or not it was in the load.
func (o OneLoader[C, P, K]) Of(res *Result, child C) (P, bool) {
	var zero P
	if o.s == nil {
		return zero, false
	}
	vals := lookupValues[keyMap[found[P]]](res, o.s)
	if vals == nil {
		return zero, false
	}
	k, ok := o.s.rel.get(&child)
	if !ok {
		return zero, false
	}
	var buf [32]byte
	f, _ := vals.get(o.s.rel.pc.append(buf[:0], k))
	if f.p == nil {
		return zero, false
	}
	return *f.p, true
}

func (o OneLoader[C, P, K]) loadInto(tx *Tx, b batch[C], res *Result) error {
	if o.s == nil {
		return invalid("loader not made by One")
	}
	r := o.s.rel
	if err := r.check(tx); err != nil {
		return err
	}
	n := b.len()
	look := newParentLookup(tx, r.info, resultValues[keyMap[found[P]]](res, o.s))
	keys := make([][]byte, n)
	if b.recs != nil {
		for i := range b.recs {
			keys[i] = b.recs[i].key(r.info.index.slot)
		}
	} else {
		// Encoded into one buffer, then cut: a NULL key stays nil.
		var buf []byte
		ends := make([]int, n)
		for i := range b.rows {
			if k, ok := r.get(&b.rows[i]); ok {
				buf = r.pc.append(buf, k)
			}
			ends[i] = len(buf)
		}
		for i, to := range ends {
			from := 0
			if i > 0 {
				from = ends[i-1]
			}
			if to > from {
				keys[i] = buf[from:to:to]
			}
		}
	}
	before := look.found
	look.prefetch(keys)
	var distinct []P
	var drecs []*rec
	for i, key := range keys {
		if key == nil {
			continue
		}
		f := look.get(key)
		if f.p == nil {
			return r.info.notFound(OpLoad, key, r.info.qname+" "+childName(r, b, i))
		}
		if len(o.s.with) > 0 && !f.seen {
			f.seen = true
			look.byKey.set(key, f)
			distinct = append(distinct, *f.p)
			drecs = append(drecs, f.r)
		}
	}
	l := tx.count(r.info)
	l.Batches++
	l.Rows += int64(look.found - before)
	if len(o.s.with) == 0 {
		return nil
	}
	return runAll(tx, batch[P]{rows: distinct, recs: drecs}, res, o.s.with)
}

// childName formats the i-th child of b, for an error: its table and key.
func childName[C, P any, K comparable](r *Relation[C, P, K], b batch[C], i int) string {
	if b.recs != nil {
		return "of " + r.child.prefix + r.child.front.formatKey(b.recs[i].pk())
	}
	return "of a " + r.child.name + " row"
}

// CountLoader counts each parent's children through a relation, without
// loading them: a post's comment count.
type CountLoader[C, P any, K comparable] struct{ s *countSpec[C, P, K] }

type countSpec[C, P any, K comparable] struct{ rel *Relation[C, P, K] }

// Count counts each parent's children through rel.
func Count[C, P any, K comparable](rel *Relation[C, P, K]) CountLoader[C, P, K] {
	if rel != nil && rel.count != nil {
		return CountLoader[C, P, K]{rel.count}
	}
	return CountLoader[C, P, K]{&countSpec[C, P, K]{rel: rel}}
}

// Of returns how many children parent has, as the load of res counted
// them (0 if parent was not in the load).
func (c CountLoader[C, P, K]) Of(res *Result, parent P) int {
	if c.s == nil {
		return 0
	}
	vals := lookupValues[keyMap[int]](res, c.s)
	if vals == nil {
		return 0
	}
	var buf [32]byte
	n, _ := vals.get(c.s.rel.parentKey(buf[:0], &parent))
	return n
}

func (c CountLoader[C, P, K]) loadInto(tx *Tx, b batch[P], res *Result) error {
	if c.s == nil {
		return invalid("loader not made by Count")
	}
	r := c.s.rel
	if err := r.check(tx); err != nil {
		return err
	}
	keys := b.keys(r.info.ref, r.appendParentKey)
	counts := make([]int, len(keys))
	dups := walkChildren(tx, r.info, r.info.index, keys, b.sc, func(i int, _ *rec) bool {
		counts[i]++
		return true
	})
	dup := repeats(len(keys), dups)
	vals := resultValues[keyMap[int]](res, c.s)
	for i, k := range keys {
		if dup == nil || !dup[i] {
			vals.set(k, counts[i])
		}
	}
	tx.count(r.info).Batches++
	return nil
}

// TreeLoader loads the descendants of each row through a self-referential
// relation (a comment's replies, their replies, and so on), one batch per
// level, to any depth: SQLAlchemy's selectinload with recursion_depth, or
// a recursive common table expression. A row met again (a cycle) is not
// loaded again.
type TreeLoader[T any, K comparable] struct{ s *treeSpec[T, K] }

type treeSpec[T any, K comparable] struct {
	many     manySpec[T, T, K] // its relation, and With's loaders
	maxDepth int
}

// changed returns t as a new loader, with an identity of its own.
func (t TreeLoader[T, K]) changed() TreeLoader[T, K] {
	var c treeSpec[T, K]
	if t.s != nil {
		c = *t.s
	}
	c.many.with = c.many.with[:len(c.many.with):len(c.many.with)]
	return TreeLoader[T, K]{&c}
}

// Tree loads the descendants of each row through rel, whose children and
// parents are rows of one table.
func Tree[T any, K comparable](rel *Relation[T, T, K]) TreeLoader[T, K] {
	if rel != nil {
		if t, ok := rel.tree.(*treeSpec[T, K]); ok {
			return TreeLoader[T, K]{t}
		}
	}
	return TreeLoader[T, K]{&treeSpec[T, K]{many: manySpec[T, T, K]{rel: rel}}}
}

// MaxDepth stops the load n levels below the rows it is run for (n <= 0:
// no limit).
func (t TreeLoader[T, K]) MaxDepth(n int) TreeLoader[T, K] {
	t = t.changed()
	t.s.maxDepth = n
	return t
}

// With runs loaders for every descendant the load finds, each in one batch
// for the whole tree: each reply's author, at every depth. The rows the
// tree starts from are not descendants: give them the same loader at their
// own level, as in Many(onPost).With(author, Tree(replies).With(author)).
func (t TreeLoader[T, K]) With(loaders ...Loader[T]) TreeLoader[T, K] {
	t = t.changed()
	t.s.many.with = append(t.s.many.with, loaders...)
	return t
}

// Of returns row's children (one level down) as the load of res found
// them, not its whole subtree; call it again on each child for the next
// level. It returns nil for
// a row with no children, below MaxDepth, or not in the load.
func (t TreeLoader[T, K]) Of(res *Result, row T) []T {
	if t.s == nil {
		return nil
	}
	return childrenOf[T, T, K, T](res, t.s, t.s.many.rel, row)
}

func (t TreeLoader[T, K]) loadInto(tx *Tx, b batch[T], res *Result) error {
	if t.s == nil {
		return invalid("loader not made by Tree")
	}
	m := ManyLoader[T, T, K]{&t.s.many}
	if err := m.s.rel.check(tx); err != nil {
		return err
	}
	vals := resultValues[keyMap[[]T]](res, t.s)
	var seen keyMap[struct{}]
	level := batch[T]{rows: b.rows, recs: b.recs}
	var all []T
	var allRecs []*rec
	for depth := 1; level.len() > 0 && (t.s.maxDepth <= 0 || depth <= t.s.maxDepth); depth++ {
		keys, rows, crecs, dup, err := m.children(tx, level, true)
		if err != nil {
			return err
		}
		var next batch[T]
		for i, k := range keys {
			if dup != nil && dup[i] {
				continue
			}
			if _, ok := seen.get(k); ok {
				continue // loaded already: a cycle, or a row given twice
			}
			seen.set(k, struct{}{})
			vals.set(k, rows[i])
			for j, c := range crecs[i] {
				all = append(all, rows[i][j])
				allRecs = append(allRecs, c)
				if _, ok := seen.get(c.pk()); !ok { // else its children are loaded
					next.rows = append(next.rows, rows[i][j])
					next.recs = append(next.recs, c)
				}
			}
		}
		level = next
	}
	if len(m.s.with) == 0 {
		return nil
	}
	return runAll(tx, batch[T]{rows: all, recs: allRecs}, res, m.s.with)
}
