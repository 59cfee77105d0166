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

// batchKeys returns the encoded keys of a batch of parents: their records'
// primary keys, or key of each parent row when there are no records.
func batchKeys[P any](parents []P, recs []*rec, key func(*P) []byte) [][]byte {
	keys := make([][]byte, batchLen(parents, recs))
	for i := range keys {
		if recs != nil {
			keys[i] = recs[i].pk()
		} else {
			keys[i] = key(&parents[i])
		}
	}
	return keys
}

func zipWith[P, V any](rows []P, vs []V) []With[P, V] {
	out := make([]With[P, V], len(rows))
	for i := range rows {
		out[i] = With[P, V]{Row: rows[i], Loaded: vs[i]}
	}
	return out
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
