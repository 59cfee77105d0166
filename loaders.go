package memrel

import (
	"bytes"
	"slices"
)

// The loaders: Many and One, the two sides of a foreign key, and ManyWith
// and OneWith, which nest a loader one level down. Each loads a batch of
// rows at once; Eager and EagerAll (loading.go) run them.

// ManyLoader loads each parent's children through a relation: the "many"
// side of a one-to-many, SQLAlchemy's selectinload. Where and Limit narrow
// what it loads, per parent.
type ManyLoader[C, P any, K Key] struct {
	rel     *Relation[C, P, K]
	index   *indexInfo // nil: the relation's own, children in key order
	ordered bool       // OrderedBy was called: index must be an ordering's
	where   func(C) bool
	limit   int
}

// Many loads each parent's children through rel, in the child table's key
// order.
func Many[C, P any, K Key](rel *Relation[C, P, K]) ManyLoader[C, P, K] {
	return ManyLoader[C, P, K]{rel: rel}
}

// Where keeps only the children for which keep returns true. keep runs
// while the load is under way, and may itself use the transaction.
func (m ManyLoader[C, P, K]) Where(keep func(C) bool) ManyLoader[C, P, K] {
	m.where = keep
	return m
}

// OrderedBy loads the children in o's order instead of key order (and so
// Limit keeps the first n in that order). o must be an ordering of the
// loader's relation; the load fails with ErrInvalid otherwise.
func (m ManyLoader[C, P, K]) OrderedBy(o *Ordering[C, P, K]) ManyLoader[C, P, K] {
	m.ordered, m.index = true, nil
	if o != nil && o.rel == m.rel {
		m.index = o.index
	}
	return m
}

// Limit keeps at most n children per parent (n <= 0: all).
func (m ManyLoader[C, P, K]) Limit(n int) ManyLoader[C, P, K] {
	m.limit = n
	return m
}

func (m ManyLoader[C, P, K]) load(tx *Tx, parents []P, recs []*rec, sc scope) ([][]C, error) {
	rows, _, err := m.children(tx, parents, recs, sc, false)
	return rows, err
}

// children loads each parent's children, and their records if withRecs.
// Children arrive grouped by parent in both strategies: each parent's run
// is gathered in a reused buffer, then copied into an arena of fixed-size
// chunks, so a load allocates about the size of its result and no more.
func (m ManyLoader[C, P, K]) children(tx *Tx, parents []P, recs []*rec, sc scope, withRecs bool) ([][]C, [][]*rec, error) {
	r := m.rel
	if err := r.check(tx); err != nil {
		return nil, nil, err
	}
	switch {
	case m.ordered && m.index == nil:
		return nil, nil, invalid("OrderedBy: an ordering not declared with OrderChildren on relation %s", r.info.qname)
	case m.index != nil && !m.index.open:
		return nil, nil, schemaError("ordering %s.%s was declared after Open", m.index.table.name, m.index.name)
	}
	keys := batchKeys(parents, recs, r.parentKey)
	n := len(keys)
	rows := make([][]C, n)
	var crecs [][]*rec
	if withRecs {
		crecs = make([][]*rec, n)
	}
	var (
		run     []C
		runRecs []*rec
		rowsOut arena[C]
		recsOut arena[*rec]
		cur     = -1
		total   int64
	)
	flush := func() {
		if cur >= 0 && len(run) > 0 {
			rows[cur] = rowsOut.take(run)
			if withRecs {
				crecs[cur] = recsOut.take(runRecs)
			}
			total += int64(len(run))
		}
		run, runRecs = run[:0], runRecs[:0]
	}
	// add adds child c of parent i, and reports whether i wants more.
	add := func(i int, c *rec) bool {
		if i != cur {
			flush()
			cur = i
		}
		if m.limit > 0 && len(run) >= m.limit {
			return false
		}
		v := *c.row.(*C)
		if m.where != nil && !callout(tx, m.where, v) {
			return true
		}
		run = append(run, v)
		if withRecs {
			runRecs = append(runRecs, c)
		}
		return true
	}
	index := r.info.index
	if m.index != nil {
		index = m.index
	}
	dups := walkChildren(tx, r.info, index, keys, sc, add)
	flush()
	for _, d := range dups {
		rows[d[0]] = slices.Clone(rows[d[1]])
		if withRecs {
			crecs[d[0]] = crecs[d[1]]
		}
	}
	l := tx.count(r.info)
	l.Batches++
	l.Rows += total
	return rows, crecs, nil
}

type manyWith[C, P any, K Key, V any] struct {
	many  ManyLoader[C, P, K]
	inner Loader[C, V]
}

// ManyWith loads each parent's children through many, and for the
// children, inner: a nested eager path (users -> posts -> tags).
func ManyWith[C, P any, K Key, V any](many ManyLoader[C, P, K], inner Loader[C, V]) Loader[P, []With[C, V]] {
	return manyWith[C, P, K, V]{many: many, inner: inner}
}

func (m manyWith[C, P, K, V]) load(tx *Tx, parents []P, recs []*rec, sc scope) ([][]With[C, V], error) {
	if m.inner == nil {
		return nil, invalid("nil loader")
	}
	rows, crecs, err := m.many.children(tx, parents, recs, sc, true)
	if err != nil {
		return nil, err
	}
	var flat []C
	var flatRecs []*rec
	for i := range rows {
		flat = append(flat, rows[i]...)
		flatRecs = append(flatRecs, crecs[i]...)
	}
	// The children of a whole table, all of them kept, through a foreign
	// key that is never NULL, are the whole of their own table.
	many := m.many
	whole := sc.whole && !many.rel.info.nullable && many.where == nil && many.limit <= 0
	vs, err := m.inner.load(tx, flat, flatRecs, scope{whole: whole})
	if err != nil {
		return nil, err
	}
	out := make([][]With[C, V], len(rows))
	k := 0
	for i := range rows {
		out[i] = make([]With[C, V], len(rows[i]))
		for j := range rows[i] {
			out[i][j] = With[C, V]{Row: rows[i][j], Loaded: vs[k]}
			k++
		}
	}
	return out, nil
}

type one[C, P any, K Key] struct{ rel *Relation[C, P, K] }

// One loads each child's parent through rel: the many-to-one side
// (post.author). The value is nil where the foreign key is NULL. Children
// that share a parent share one copy of it.
func One[C, P any, K Key](rel *Relation[C, P, K]) Loader[C, *P] {
	return one[C, P, K]{rel: rel}
}

func (o one[C, P, K]) load(tx *Tx, children []C, recs []*rec, _ scope) ([]*P, error) {
	ps, _, err := o.parents(tx, children, recs, false)
	return ps, err
}

func (o one[C, P, K]) parents(tx *Tx, children []C, recs []*rec, withRecs bool) ([]*P, []*rec, error) {
	r := o.rel
	if err := r.check(tx); err != nil {
		return nil, nil, err
	}
	n := batchLen(children, recs)
	out := make([]*P, n)
	var precs []*rec
	if withRecs {
		precs = make([]*rec, n)
	}
	look := newParentLookup[P](tx, r.parent.info)
	keys := make([][]byte, n)
	if recs != nil {
		for i := range recs {
			keys[i] = recs[i].key(r.info.index.slot)
		}
	} else {
		// Encoded into one buffer, then cut: a NULL key stays nil.
		var buf []byte
		ends := make([]int, len(children))
		for i := range children {
			if k, ok := r.get(&children[i]); ok {
				buf = r.pc.append(buf, k)
			}
			ends[i] = len(buf)
		}
		for i, from := range ends {
			if i > 0 && ends[i-1] < from || i == 0 && from > 0 {
				start := 0
				if i > 0 {
					start = ends[i-1]
				}
				keys[i] = buf[start:from:from]
			}
		}
	}
	look.prefetch(keys)
	var last []byte // children of one parent often come together
	var lastFound found[P]
	for i, key := range keys {
		if key == nil {
			continue
		}
		f := lastFound
		if last == nil || !bytes.Equal(key, last) {
			f = look.get(key)
			last, lastFound = append(last[:0], key...), f
		}
		out[i] = f.p
		if withRecs {
			precs[i] = f.r
		}
	}
	l := tx.count(r.info)
	l.Batches++
	l.Rows += int64(look.found)
	return out, precs, nil
}

type oneWith[C, P any, K Key, V any] struct {
	one   one[C, P, K]
	inner Loader[P, V]
}

// OneWith loads each child's parent through rel, and for the parents,
// inner (posts -> author -> the author's other posts). The value is nil
// where the foreign key is NULL.
func OneWith[C, P any, K Key, V any](rel *Relation[C, P, K], inner Loader[P, V]) Loader[C, *With[P, V]] {
	return oneWith[C, P, K, V]{one: one[C, P, K]{rel: rel}, inner: inner}
}

func (o oneWith[C, P, K, V]) load(tx *Tx, children []C, recs []*rec, _ scope) ([]*With[P, V], error) {
	if o.inner == nil {
		return nil, invalid("nil loader")
	}
	ps, precs, err := o.one.parents(tx, children, recs, true)
	if err != nil {
		return nil, err
	}
	// Load inner once per distinct parent.
	index := map[*P]int{}
	var distinct []P
	var drecs []*rec
	for i, p := range ps {
		if p == nil {
			continue
		}
		if _, ok := index[p]; !ok {
			index[p] = len(distinct)
			distinct = append(distinct, *p)
			drecs = append(drecs, precs[i])
		}
	}
	vs, err := o.inner.load(tx, distinct, drecs, scope{})
	if err != nil {
		return nil, err
	}
	withs := make([]With[P, V], len(distinct))
	for i := range distinct {
		withs[i] = With[P, V]{Row: distinct[i], Loaded: vs[i]}
	}
	out := make([]*With[P, V], len(ps))
	for i, p := range ps {
		if p != nil {
			out[i] = &withs[index[p]]
		}
	}
	return out, nil
}
