package memrel

import (
	"bytes"
	"slices"
)

// Eager loading: SQLAlchemy's selectinload and joinedload, typed.
//
// A Loader says what to load for each row of type P: Many(rel) loads a
// parent's children, One(rel) a child's parent, and ManyWith and OneWith
// nest a loader one level down, to any depth:
//
//	users -> posts -> tags:  memrel.ManyWith(author, memrel.ManyWith(tagged, memrel.One(tag)))
//
// Eager runs a loader on a batch of rows; EagerAll on a whole table. Each
// level is one batch from the caller's point of view, however many rows it
// covers, and is counted as such in LoadStats. Results are copies: changing
// them never changes the store.

// With is a row and what was loaded for it.
type With[T, V any] struct {
	Row    T
	Loaded V
}

// Loader loads a value of type V for each of a batch of rows of type P. It
// is built by Many, ManyWith, One and OneWith.
type Loader[P, V any] interface {
	// load returns one V per parent. recs, when not nil, are the parents'
	// records, and parents may then be nil (see batchLen); sc says what the
	// batch is.
	load(tx *Tx, parents []P, recs []*rec, sc scope) ([]V, error)
}

// scope says what a batch of parents is, which decides how their children
// are found.
type scope struct {
	// sorted: every row of the parents' table, in key order, as EagerAll
	// reads them; a merge join finds their children.
	sorted bool
	// whole: every row of the parents' table, in any order (the children
	// of a whole table through a foreign key that is never NULL). Their
	// children are every row of the relation's index, so a join index is
	// worth building.
	whole bool
}

// Eager loads l for each of rows, in one batch per level: no call per row
// from the caller. Rows may repeat; each gets its own With. It seeks the
// relation's index once per distinct row, or reads the join index an
// EagerAll has left, if it is current.
func Eager[P, V any](tx *Tx, rows []P, l Loader[P, V]) ([]With[P, V], error) {
	if l == nil {
		return nil, invalid("nil loader")
	}
	if err := tx.enter(tx.usable(nil, false)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	vs, err := l.load(tx, rows, nil, scope{})
	if tx.done.Load() {
		tx.flushLoads() // ended by a Where function: count what the load did
		err = ErrTxDone
	}
	if err != nil {
		return nil, err
	}
	return zipWith(rows, vs), nil
}

// EagerAll loads every row of t, in key order, with l. Its first level is a
// merge join: one pass over t and one over the relation's index, both in
// key order, with no lookup per row. What the pass read is kept as a join
// index, which later eager loads of any transaction read instead, for as
// long as the relation's index is unchanged (see KeepJoinIndexes); nested
// levels that load the children of every row keep one too.
func EagerAll[P any, K comparable, V any](tx *Tx, t *Table[P, K], l Loader[P, V]) ([]With[P, V], error) {
	if l == nil {
		return nil, invalid("nil loader")
	}
	if err := tx.enter(t.check(tx, false)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	// Records first, then the rows, copied once, into the results: growing
	// a slice of rows by appending copied each row about twice more, most
	// of the time of a merge join on a large table. The loader reads the
	// records only.
	var recs []*rec
	for r := range tx.scan(t.info.name, "id", nil) {
		recs = append(recs, r)
	}
	out := make([]With[P, V], len(recs))
	for i, r := range recs {
		out[i].Row = *r.row.(*P)
	}
	vs, err := l.load(tx, nil, recs, scope{sorted: true, whole: true})
	if tx.done.Load() {
		tx.flushLoads() // ended by a Where function: count what the load did
		err = ErrTxDone
	}
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Loaded = vs[i]
	}
	return out, nil
}

// batchLen is the size of a batch given as parents, or as their records
// (recs not nil), in which case parents may be nil.
func batchLen[P any](parents []P, recs []*rec) int {
	if recs != nil {
		return len(recs)
	}
	return len(parents)
}

func zipWith[P, V any](rows []P, vs []V) []With[P, V] {
	out := make([]With[P, V], len(rows))
	for i := range rows {
		out[i] = With[P, V]{Row: rows[i], Loaded: vs[i]}
	}
	return out
}

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
	n := batchLen(parents, recs)
	keys := make([][]byte, n)
	for i := range n {
		if recs != nil {
			keys[i] = recs[i].pk()
		} else {
			keys[i] = r.pc.encode(*r.parent.ptr(&parents[i]))
		}
	}
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

// walkChildren calls add(i, c) for every child c, through rel, of the
// parent whose encoded key is keys[i], parent by parent, each parent's
// children in the order of index ix (rel's own index, or an Ordering's,
// whose entries begin with the foreign key); add returns false to skip the
// rest of a parent's children. It reads a join index (join.go) if the
// store has one for this snapshot, or if the batch is whole and it can
// build one; otherwise, for a sorted batch it merge-joins keys with the
// index, and for others it seeks once per distinct key, in key order. It
// returns the parents whose key repeats an earlier one's, with that
// earlier parent: (repeat, first).
func walkChildren(tx *Tx, rel *relInfo, ix *indexInfo, keys [][]byte, sc scope, add func(i int, c *rec) bool) [][2]int {
	if j := tx.join(rel, ix, -1, sc.whole); j != nil {
		j.walk(keys, sc.sorted || inOrder(keys), func(i, e int) bool { return add(i, j.recs[e]) })
		return nil
	}
	slot, index := rel.index.slot, ix.mdb
	if sc.sorted {
		i := 0
		for c := range tx.scan(rel.child.name, index, nil) {
			fk := c.key(slot)
			for i < len(keys) && bytes.Compare(keys[i], fk) < 0 {
				i++
			}
			if i == len(keys) {
				break
			}
			if bytes.Equal(keys[i], fk) {
				add(i, c)
			}
		}
		return nil
	}
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	if !slices.IsSortedFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) }) {
		slices.SortStableFunc(order, func(a, b int) int { return bytes.Compare(keys[a], keys[b]) })
	}
	var dups [][2]int
	for j, i := range order {
		if j > 0 && bytes.Equal(keys[order[j-1]], keys[i]) {
			dups = append(dups, [2]int{i, order[j-1]})
			continue
		}
		for c := range tx.scan(rel.child.name, index, keys[i]) {
			if !add(i, c) {
				break
			}
		}
	}
	return dups
}

// inOrder reports whether keys are in key order.
func inOrder(keys [][]byte) bool { return slices.IsSortedFunc(keys, bytes.Compare) }

// parentLookup finds parents by encoded key, each distinct key once, and
// keeps one copy of each.
type parentLookup[P any] struct {
	tx    *Tx
	ti    *tableInfo
	byKey keyMap[found[P]] // every key looked up: what was found, if anything
	found int              // distinct parents found
}

type found[P any] struct {
	r *rec
	p *P // the copy handed out
}

func newParentLookup[P any](tx *Tx, ti *tableInfo) *parentLookup[P] {
	return &parentLookup[P]{tx: tx, ti: ti}
}

// get returns the parent with encoded key k and its copy, or nils.
func (l *parentLookup[P]) get(k []byte) found[P] {
	f, ok := l.byKey.get(k)
	if !ok {
		f = l.load(k)
		l.byKey.set(k, f)
	}
	return f
}

// prefetch finds the parents with keys ks (in any order, with repeats) in
// one ordered pass (findSorted), so that get finds them without a lookup
// each.
func (l *parentLookup[P]) prefetch(ks [][]byte) {
	var want [][]byte
	var last []byte
	for _, k := range ks {
		if k == nil || bytes.Equal(k, last) {
			continue // repeats often come together: children of one parent
		}
		if _, ok := l.byKey.get(k); ok {
			continue
		}
		last = k
		l.byKey.set(k, found[P]{}) // not found, unless the pass finds it
		want = append(want, k)
	}
	slices.SortFunc(want, bytes.Compare)
	l.tx.findSorted(l.ti, len(want), func(n int) []byte { return want[n] }, func(n int, r *rec) {
		l.byKey.set(want[n], l.keep(r))
	})
}

func (l *parentLookup[P]) load(k []byte) found[P] {
	r := l.tx.get(l.ti, k)
	if r == nil {
		return found[P]{}
	}
	return l.keep(r)
}

// keep copies r's row for handing out.
func (l *parentLookup[P]) keep(r *rec) found[P] {
	l.found++
	v := *r.row.(*P)
	return found[P]{r: r, p: &v}
}

// arena hands out windows of large chunks, each window's capacity its
// length, so that appending to one never writes into the next.
type arena[T any] struct{ buf []T }

const arenaChunk = 4096

func (a *arena[T]) take(run []T) []T {
	if cap(a.buf)-len(a.buf) < len(run) {
		a.buf = make([]T, 0, max(arenaChunk, len(run)))
	}
	start := len(a.buf)
	a.buf = append(a.buf, run...)
	return a.buf[start:len(a.buf):len(a.buf)]
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
				buf = r.pc.append(buf, &k)
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
