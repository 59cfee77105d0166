package memrel

import (
	"bytes"
	"iter"
	"slices"

	memdb "github.com/hashicorp/go-memdb"
)

// Eager loading: SQLAlchemy's selectinload and joinedload, typed.
//
// A Loader says what to load for each row of a batch: Many(rel) a parent's
// children, One(rel) a child's parent, Count(rel) how many children it
// has, Tree(rel) a self-referential relation's descendants, and an
// Association's LoadRights and LoadLefts the rows linked to it. With nests
// loaders one level down, to any depth, and Eager takes several at once:
//
//	byAuthor := memrel.One(author)
//	tags := tagging.LoadRights()
//	comments := memrel.Many(onPost).With(memrel.One(commenter))
//	res, err := memrel.Eager(tx, posts, byAuthor, tags, comments)
//	...
//	a, _ := byAuthor.Of(res, post) // post.author
//	ts := tags.Of(res, post)       // post.tags
//
// What a load loaded is kept in its Result, by loader and by the key of the
// row it was loaded for, so each loader's Of finds it for a row at any
// level: result types stay flat however deep the load. Each level is one
// batch from the caller's point of view, however many rows it covers, and
// is counted as such in LoadStats. Results are copies: changing them never
// changes the store.

// Loader loads values for each of a batch of rows of type T into a Result,
// where its Of method finds them. It is made by Many, One, Count, Tree,
// Through.Load, Association.LoadRights and Association.LoadLefts.
type Loader[T any] interface {
	loadInto(tx *Tx, b batch[T], res *Result) error
}

// Result holds what one Eager or EagerAll loaded: for each loader, its
// values by key: the parent's key for Many, Count, Tree and the
// association loaders, the foreign key for One. Read it with the loaders'
// Of methods, which find the key in the row they are given; a row whose
// key the load did not cover reads as having nothing (nil, 0, false), so
// call Of only for rows of the load. A Result is not safe for concurrent use while it is
// being loaded; once its load has returned it is only read.
type Result struct {
	slots  []resultSlot
	inline [2]resultSlot // the slots of a load of one or two loaders
}

// A loader value is one pointer to its immutable description, which is its
// identity in a Result: each constructor and each method that changes a
// loader makes a new one, so a Result tells apart two loaders of one
// relation (one with a Limit, one without). Being one pointer, a loader
// goes into a Loader interface without an allocation.
type resultSlot struct {
	id any // the loader's description, a pointer
	v  any // *V of the loader's values
}

// resultValues returns loader id's values in res, made on first use.
func resultValues[V any](res *Result, id any) *V {
	if v := lookupValues[V](res, id); v != nil {
		return v
	}
	v := new(V)
	if res.slots == nil {
		res.slots = res.inline[:0]
	}
	res.slots = append(res.slots, resultSlot{id: id, v: v})
	return v
}

// lookupValues returns loader id's values in res, or nil.
func lookupValues[V any](res *Result, id any) *V {
	if res == nil {
		return nil
	}
	for _, s := range res.slots {
		if s.id == id {
			v, _ := s.v.(*V)
			return v
		}
	}
	return nil
}

// childrenOf returns the children that loader id's values in res hold for
// parent, through rel: what Many's, Tree's and an association's Of read.
func childrenOf[C, P any, K comparable, T any](res *Result, id any, rel *Relation[C, P, K], parent P) []T {
	vals := lookupValues[keyMap[[]T]](res, id)
	if vals == nil {
		return nil
	}
	var buf [32]byte
	ts, _ := vals.get(rel.parentKey(buf[:0], &parent))
	return ts
}

// batch is what a loader loads for: rows, or their records (recs not nil,
// and rows may then be nil), and what the batch is (scope).
type batch[T any] struct {
	rows []T
	recs []*rec
	sc   scope
}

// scope says what a batch of parents is, which decides how their children
// are found.
type scope struct {
	// sorted: distinct rows of the parents' table that follow one another
	// in key order (all of them for EagerAll, a run of them for
	// EagerStream); a merge join, from the first one's children to the
	// last one's, finds their children.
	sorted bool
	// whole: every row of the parents' table, in any order (the children
	// of a whole table through a foreign key that is never NULL). Their
	// children are every row of the relation's index, so a join index is
	// worth building.
	whole bool
	// pass: part of a pass over every row of the parents' table (a run of
	// EagerStream): a join index is worth patching, not building.
	pass bool
}

// joins returns how a load of sc may get a join index of a stale one.
func (sc scope) joins() joinUse {
	switch {
	case sc.whole:
		return walkOrPatch
	case sc.pass:
		return patchOnly
	}
	return current
}

func (b batch[T]) len() int {
	if b.recs != nil {
		return len(b.recs)
	}
	return len(b.rows)
}

// keys returns the encoded primary keys of the batch's rows: their
// records', or key of each row when there are no records.
func (b batch[T]) keys(ref *indexInfo, appendKey func([]byte, *T) []byte) [][]byte {
	keys := make([][]byte, b.len())
	if b.recs != nil {
		for i := range keys {
			if ref == nil {
				keys[i] = b.recs[i].pk()
			} else {
				keys[i] = b.recs[i].key(ref.slot)
			}
		}
		return keys
	}
	if len(keys) == 1 {
		keys[0] = appendKey(nil, &b.rows[0])
		return keys
	}
	// Encoded into one buffer, then cut.
	var buf []byte
	ends := make([]int, len(keys))
	for i := range b.rows {
		buf = appendKey(buf, &b.rows[i])
		ends[i] = len(buf)
	}
	from := 0
	for i, to := range ends {
		keys[i] = buf[from:to:to]
		from = to
	}
	return keys
}

// runAll runs each of loaders on b, into res.
func runAll[T any](tx *Tx, b batch[T], res *Result, loaders []Loader[T]) error {
	for i, l := range loaders {
		if l == nil {
			return invalid("nil loader")
		}
		if slices.Contains(loaders[:i], l) {
			continue // given twice: loaded once, for the same rows
		}
		if err := l.loadInto(tx, b, res); err != nil {
			return err
		}
	}
	return nil
}

// Eager runs loaders for rows, each one batch per level: no call per row
// from the caller. Rows may repeat. It seeks a relation's index once per
// distinct row, or reads the join index an EagerAll has left, if it is
// current.
//
// Read each loader's results with the loader value passed here: With,
// Where, Limit, OrderedBy and Backward return a new loader, and Of of the
// one it was made from finds nothing in the Result.
//
//	followees := users.following.Load().With(memrel.Count(author))
//	res, err := memrel.Eager(tx, []User{me}, followees)
//	for _, u := range followees.Of(res, me) { ... } // not Load().Of
func Eager[T any](tx *Tx, rows []T, loaders ...Loader[T]) (*Result, error) {
	if err := tx.enter(tx.usable(nil, false)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	res := &Result{}
	err := runAll(tx, batch[T]{rows: rows}, res, loaders)
	if tx.done.Load() {
		tx.flushLoads() // ended by a Where function: count what the load did
		err = ErrTxDone
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// EagerAll returns every row of t, in key order, and runs loaders for them.
// Its first level is a merge join: one pass over t and one over the
// relation's index, both in key order, with no lookup per row. What the
// pass read is kept as a join index, which later eager loads of any
// transaction read instead, for as long as the relation's index is
// unchanged (see KeepJoinIndexes); nested levels that load the children of
// every row keep one too.
func EagerAll[T any, K comparable](tx *Tx, t *Table[T, K], loaders ...Loader[T]) ([]T, *Result, error) {
	if err := tx.enter(t.check(tx, false)); err != nil {
		return nil, nil, err
	}
	defer tx.mu.Unlock()
	// Records first, then the rows, copied once: growing a slice of rows by
	// appending copied each row about twice more, most of the time of a
	// merge join on a large table. The loaders read the records only.
	var recs []*rec
	for r := range tx.scan(t.info.name, "id", nil) {
		recs = append(recs, r)
	}
	rows := make([]T, len(recs))
	for i, r := range recs {
		rows[i] = *r.row.(*T)
	}
	res := &Result{}
	err := runAll(tx, batch[T]{recs: recs, sc: scope{sorted: true, whole: true}}, res, loaders)
	if tx.done.Load() {
		tx.flushLoads() // ended by a Where function: count what the load did
		err = ErrTxDone
	}
	if err != nil {
		return nil, nil, err
	}
	scrambleSlice(tx, rows)
	return rows, res, nil
}

// EagerStream returns every row of t in key order, each with a Result that
// holds what loaders loaded for it. It is EagerAll for scans that aggregate
// or write rows out: it keeps no slice of the whole table and no copy of
// its results. It loads a run of rows at a time (from 16 up to 1,024),
// each run a merge join from its first row's children to its last row's,
// and yields the run's rows with the run's Result. A Result covers its
// run's rows only: Of reads the values of the row it came with (and of the
// other rows of its run) as from EagerAll's, and reads nothing (nil, 0,
// false) for rows of other runs. Each run's loads count as a batch per
// loader. If a load fails, the sequence stops and the transaction records
// the error (see Tx.Err).
func EagerStream[T any, K comparable](tx *Tx, t *Table[T, K], loaders ...Loader[T]) iter.Seq2[T, *Result] {
	return func(yield func(T, *Result) bool) {
		it := tx.startSeq(t.check(tx, false), func() (memdb.ResultIterator, error) {
			return tx.iter(t.info.name, "id", nil, false)
		})
		if it == nil {
			return
		}
		var recs []*rec
		for size := 16; ; size = min(2*size, 1024) {
			recs = recs[:0]
			for r := tx.next(it); r != nil; r = tx.next(it) {
				recs = append(recs, r)
				if len(recs) == size {
					break
				}
			}
			if len(recs) == 0 {
				return
			}
			res := &Result{}
			ok := tx.step(func() {
				err := runAll(tx, batch[T]{recs: recs, sc: scope{sorted: true, pass: true}}, res, loaders)
				if tx.done.Load() {
					tx.flushLoads() // ended by a Where function: count what the load did
					err = ErrTxDone
				}
				if err != nil {
					tx.fail(err)
					res = nil
				}
			})
			if !ok || res == nil {
				return
			}
			for _, r := range recs {
				if !yield(*r.row.(*T), res) {
					return
				}
			}
			if len(recs) < size {
				return
			}
		}
	}
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
	return walkChildrenIn(tx, rel, ix, keys, sc, false, add)
}

// walkChildrenIn is walkChildren with each parent's children in reverse
// order if backward: by a seek per distinct key, read backwards, since
// join indexes and the merge join read forwards.
func walkChildrenIn(tx *Tx, rel *relInfo, ix *indexInfo, keys [][]byte, sc scope, backward bool, add func(i int, c *rec) bool) [][2]int {
	if backward {
		sc.sorted = false
	} else if len(keys) == 1 && !sc.whole {
		// One parent: its seek costs what finding a join index's root
		// would, and reads no more.
	} else if j := tx.join(rel, ix, -1, sc.joins()); j != nil {
		j.walk(keys, sc.sorted || inOrder(keys), func(i, e int) bool { return add(i, j.recs[e]) })
		return nil
	}
	slot, index := rel.index.slot, ix.mdb
	if sc.sorted {
		if len(keys) == 0 || tx.done.Load() {
			return nil
		}
		// The whole table's from the start, a run's from its first key. A
		// plain iterator, not a sequence: a loop body passed to a sequence
		// chosen at run time would move add, and what it holds, to the heap.
		var it memdb.ResultIterator
		var err error
		if sc.whole {
			it, err = tx.iter(rel.child.name, index, nil, false)
		} else {
			it, err = tx.mtx.LowerBound(rel.child.name, index, keys[0])
		}
		if err != nil {
			return nil
		}
		i := 0
		for obj := it.Next(); obj != nil; obj = it.Next() {
			c := obj.(*rec)
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
	if len(keys) == 1 { // no order to find, no repeats
		for c := range tx.scanIn(rel.child.name, index, keys[0], backward) {
			if !add(0, c) {
				break
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
		for c := range tx.scanIn(rel.child.name, index, keys[i], backward) {
			if !add(i, c) {
				break
			}
		}
	}
	return dups
}

// repeats marks, among n parents, those that walkChildren found to repeat
// an earlier one's key (dups), or returns nil if none does.
func repeats(n int, dups [][2]int) []bool {
	if len(dups) == 0 {
		return nil
	}
	dup := make([]bool, n)
	for _, d := range dups {
		dup[d[0]] = true
	}
	return dup
}

// inOrder reports whether keys are in key order.
func inOrder(keys [][]byte) bool { return slices.IsSortedFunc(keys, bytes.Compare) }

// parentLookup finds parents by encoded key, each distinct key once, and
// keeps one copy of each.
type parentLookup[P any] struct {
	tx    *Tx
	rel   *relInfo          // the parents are rel's, by the key it references
	byKey *keyMap[found[P]] // every key looked up: what was found, if anything
	found int               // distinct parents found
}

type found[P any] struct {
	r    *rec
	p    *P   // the copy handed out
	seen bool // a One loader's nested loaders have run for it
}

// newParentLookup looks parents up into byKey, which may hold earlier
// lookups' (a loader's values in a Result), or nil for a map of its own.
func newParentLookup[P any](tx *Tx, rel *relInfo, byKey *keyMap[found[P]]) *parentLookup[P] {
	if byKey == nil {
		byKey = &keyMap[found[P]]{}
	}
	return &parentLookup[P]{tx: tx, rel: rel, byKey: byKey}
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
	l.tx.findSorted(l.rel, len(want), func(n int) []byte { return want[n] }, func(n int, r *rec) {
		l.byKey.set(want[n], l.keep(r))
	})
}

func (l *parentLookup[P]) load(k []byte) found[P] {
	r := l.tx.parentRow(l.rel, k)
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

// arena builds runs of values (a parent's children) in chunks, and hands
// each out with a capacity equal to its length, so that appending to one
// never writes into the next. A run is built in place: add appends to the
// current chunk, moving the run so far to a new chunk when it is full, and
// cut ends it. Chunks start small and double up to arenaChunk, so a small
// load allocates about what it returns, and a large one few times.
type arena[T any] struct {
	buf   []T
	start int // where the current run begins in buf
}

const (
	arenaFirst = 16
	arenaChunk = 4096
)

func (a *arena[T]) add(v T) {
	if len(a.buf) == cap(a.buf) {
		run := a.buf[a.start:]
		next := min(arenaChunk, max(arenaFirst, 2*cap(a.buf)))
		buf := make([]T, len(run), max(next, 2*len(run)))
		copy(buf, run)
		a.buf, a.start = buf, 0
	}
	a.buf = append(a.buf, v)
}

// len is the length of the current run.
func (a *arena[T]) len() int { return len(a.buf) - a.start }

// cut ends the current run and returns it (nil if empty).
func (a *arena[T]) cut() []T {
	if len(a.buf) == a.start {
		return nil
	}
	run := a.buf[a.start:len(a.buf):len(a.buf)]
	a.start = len(a.buf)
	return run
}
