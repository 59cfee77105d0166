package memrel

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"sync"

	memdb "github.com/hashicorp/go-memdb"
)

// Join indexes: a relation's index read once, in order, into flat arrays,
// and kept for the next eager load of the same snapshot.
//
// Walking a go-memdb index visits a radix node, its leaf and the record for
// each entry: a few pointer hops to places that, for a table of any size,
// are scattered through the heap. Lazy loading pays that per parent, and so
// did eager loading per entry, which is why an eager load of a large
// association was barely faster than the lazy one. go-memdb's trees are
// immutable, so an index whose root node is unchanged holds the same
// entries: the first merge join over an index records what it walked (the
// distinct foreign keys, where each one's entries begin, the records, and
// for an association which of the distinct targets each entry points to), and
// later eager loads of any snapshot with that same root read the arrays
// instead of the tree. A root is recognised by its watch channel, which
// go-memdb makes anew for every node it writes.
//
// The store keeps one join index per relation index (and value slot); a
// load that finds it stale walks the tree and replaces it. A transaction
// that has written the child table neither reads nor builds one: its
// tree is its own, and changes as it writes.

// joinIndex is one snapshot of an index, grouped by foreign key.
type joinIndex struct {
	watch <-chan struct{} // the index's root, as of the snapshot read
	keys  []byte          // the groups' foreign keys, concatenated, in order
	kend  []uint32        // group g's key ends at kend[g]
	start []uint32        // group g's entries are recs[start[g]:start[g+1]]
	recs  []*rec

	// With a value slot: the distinct keys in it, concatenated, in order,
	// and for each entry the position of its key among them (noValue for
	// NULL).
	vkeys []byte
	vkend []uint32
	vidx  []uint32

	patches int // commits patched in since the index was last walked
}

const noValue = math.MaxUint32

// joinKey names a join index: the index walked, the slot of the foreign
// key it groups by, and the slot whose keys it keeps (-1: none).
type joinKey struct {
	ix        *indexInfo
	slot, val int
}

// joinCache is a store's join indexes.
type joinCache struct {
	mu   sync.Mutex
	m    map[joinKey]*joinIndex
	log  map[*indexInfo][]joinStep // the last commits' changes, to patch them with (joinpatch.go)
	drop bool                      // keep none (KeepJoinIndexes(false))
}

func (c *joinCache) get(k joinKey) *joinIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *joinCache) put(k joinKey, j *joinIndex) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.drop {
		return
	}
	if c.m == nil {
		c.m = map[joinKey]*joinIndex{}
	}
	c.m[k] = j
}

// clone returns a cache holding the same join indexes: a snapshot of the
// store has the same trees, so they serve it as well.
func (c *joinCache) clone() *joinCache {
	if c == nil {
		return &joinCache{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &joinCache{m: make(map[joinKey]*joinIndex, len(c.m)), log: make(map[*indexInfo][]joinStep, len(c.log)), drop: c.drop}
	for k, j := range c.m {
		n.m[k] = j
	}
	for ix, steps := range c.log {
		n.log[ix] = steps[:len(steps):len(steps)] // appending copies
	}
	return n
}

// span returns the piece of buf that ends[i] closes.
func span(buf []byte, ends []uint32, i int) []byte {
	from := uint32(0)
	if i > 0 {
		from = ends[i-1]
	}
	return buf[from:ends[i]]
}

func (j *joinIndex) groups() int        { return len(j.kend) }
func (j *joinIndex) key(g int) []byte   { return span(j.keys, j.kend, g) }
func (j *joinIndex) values() int        { return len(j.vkend) }
func (j *joinIndex) value(d int) []byte { return span(j.vkeys, j.vkend, d) }

// find returns the group whose key is k, or -1.
func (j *joinIndex) find(k []byte) int {
	n := j.groups()
	g := sort.Search(n, func(g int) bool { return bytes.Compare(j.key(g), k) >= 0 })
	if g < n && bytes.Equal(j.key(g), k) {
		return g
	}
	return -1
}

// each calls add for the entries of group g, until it returns false.
func (j *joinIndex) each(i, g int, add func(i, e int) bool) {
	for e := int(j.start[g]); e < int(j.start[g+1]); e++ {
		if !add(i, e) {
			return
		}
	}
}

// walk calls add(i, e) for each entry e whose foreign key is keys[i],
// parent by parent: a merge join with keys in key order (sorted), or a
// binary search per key.
func (j *joinIndex) walk(keys [][]byte, sorted bool, add func(i, e int) bool) {
	if !sorted {
		for i, k := range keys {
			if g := j.find(k); g >= 0 {
				j.each(i, g, add)
			}
		}
		return
	}
	g, n := 0, j.groups()
	for i, k := range keys {
		for g < n && bytes.Compare(j.key(g), k) < 0 {
			g++
		}
		if g == n {
			return
		}
		if bytes.Equal(j.key(g), k) {
			j.each(i, g, add)
		}
	}
}

// joinUse says what a load may do to get a join index.
type joinUse uint8

const (
	current     joinUse = iota // read the store's if it is current
	patchOnly                  // or patch a stale one with the commits since
	walkOrPatch                // or, failing that, walk the whole index
)

// join returns the join index of ix, grouped by rel's foreign key and
// keeping slot val's keys (val < 0: none), that serves tx's snapshot: the
// store's, if it is current; otherwise, as use allows, the store's patched
// with the commits since (joinpatch.go) or one made now by walking the
// whole index, which replaces it. It returns nil if there is none, and
// always if tx has written ix's table.
func (tx *Tx) join(rel *relInfo, ix *indexInfo, val int, use joinUse) *joinIndex {
	k := joinKey{ix: ix, slot: rel.index.slot, val: val}
	if tx.db.joins == nil || tx.done.Load() || tx.wrote(ix.table) {
		return nil
	}
	stale := tx.db.joins.get(k)
	if stale == nil && use != walkOrPatch {
		return nil // none to read or patch: spare the seek for the root
	}
	it, err := tx.mtx.Get(ix.table.name, ix.mdb)
	if err != nil {
		return nil
	}
	watch := it.WatchCh()
	if stale != nil && stale.watch == watch {
		return stale
	}
	if use == current {
		return nil
	}
	// An association's two indexes cannot both follow the order its rows
	// were inserted in; one-to-many indexes mostly do (see groupJoin).
	var j *joinIndex
	if stale != nil {
		if changes, ok := tx.db.joins.chain(ix, stale.watch, watch); ok {
			j = stale.patch(ix, k.slot, val, changes)
		}
	}
	switch {
	case j != nil:
	case use == patchOnly:
		return nil
	case val >= 0 && ix == rel.index && !ix.shared:
		j = tx.groupJoin(ix.table, k.slot, val)
	default:
		j = walkJoin(it, k.slot, val, stale)
	}
	if j == nil {
		return nil
	}
	j.watch = watch
	tx.db.joins.put(k, j)
	return j
}

// walkJoin builds a join index by walking the index it copies; the arrays
// start the size of the stale one's, if any (most writes change a few
// rows), which saves growing them.
func walkJoin(it memdb.ResultIterator, slot, val int, stale *joinIndex) *joinIndex {
	j := &joinIndex{}
	if stale != nil {
		grow := func(n int) int { return n + n/8 + 16 }
		j.keys = make([]byte, 0, grow(len(stale.keys)))
		j.kend = make([]uint32, 0, grow(len(stale.kend)))
		j.start = make([]uint32, 0, grow(len(stale.start)))
		j.recs = make([]*rec, 0, grow(len(stale.recs)))
		if val >= 0 {
			j.vidx = make([]uint32, 0, grow(len(stale.vidx)))
		}
	}
	var d distinctKeys
	var last []byte
	for obj := it.Next(); obj != nil; obj = it.Next() {
		c := obj.(*rec)
		fk := c.key(slot)
		if len(j.kend) == 0 || !bytes.Equal(fk, last) {
			j.start = append(j.start, uint32(len(j.recs)))
			j.keys = append(j.keys, fk...)
			j.kend = append(j.kend, uint32(len(j.keys)))
			last = fk
		}
		j.recs = append(j.recs, c)
		if val >= 0 {
			j.vidx = append(j.vidx, d.add(c.key(val)))
		}
	}
	j.start = append(j.start, uint32(len(j.recs)))
	return j.finish(&d, val)
}

// groupJoin builds the join index of a foreign key's own index from a walk
// of the table's primary index instead, grouping the rows by foreign key
// (a counting sort): its entries are the foreign key followed by the
// primary key, so each group in primary key order is the index's order.
// Rows mostly sit in memory in the order they were inserted, which for
// most tables is the primary key's, and a walk in that order finds them
// in the caches; a walk of the foreign key's index may visit them in an
// unrelated order, a cache miss or more per entry. For an association's
// second side (tags -> posts in BenchmarkLoading's merge-cold cases) this
// halves the time; for one-to-many relations, whose children mostly come
// in their parents' order, walking the index is faster by about a third,
// so join uses this for associations only.
func (tx *Tx) groupJoin(ti *tableInfo, slot, val int) *joinIndex {
	it, err := tx.mtx.Get(ti.name, "id")
	if err != nil {
		return nil
	}
	type entry struct {
		c    *rec
		g, v uint32 // group and value, numbered as they come
	}
	var groups, vals distinctKeys
	var entries []entry
	var count []uint32 // by group
	for obj := it.Next(); obj != nil; obj = it.Next() {
		c := obj.(*rec)
		fk := c.key(slot)
		if fk == nil {
			continue // NULL: not in the index
		}
		g := groups.add(fk)
		if int(g) == len(count) {
			count = append(count, 0)
		}
		count[g]++
		v := uint32(noValue)
		if val >= 0 {
			v = vals.add(c.key(val))
		}
		entries = append(entries, entry{c, g, v})
	}
	if len(entries) >= noValue {
		return nil
	}
	// The groups in key order, where each begins, then every entry in
	// its place.
	j := &joinIndex{recs: make([]*rec, len(entries))}
	next := make([]uint32, len(count))
	at := uint32(0)
	for _, g := range groups.order() {
		j.start = append(j.start, at)
		j.keys = append(j.keys, groups.keys[g]...)
		j.kend = append(j.kend, uint32(len(j.keys)))
		next[g] = at
		at += count[g]
	}
	j.start = append(j.start, at)
	if val >= 0 {
		j.vidx = make([]uint32, len(entries))
	}
	for _, e := range entries {
		p := next[e.g]
		next[e.g]++
		j.recs[p] = e.c
		if val >= 0 {
			j.vidx[p] = e.v
		}
	}
	return j.finish(&vals, val)
}

// finish numbers j's values in key order, and returns j, or nil if it
// does not fit 32-bit offsets.
func (j *joinIndex) finish(vals *distinctKeys, val int) *joinIndex {
	if len(j.recs) >= noValue || len(j.keys) >= noValue || len(vals.keys) >= noValue {
		return nil // walk the tree instead
	}
	if val >= 0 {
		vals.sort(j)
	}
	return j
}

// distinctKeys numbers the distinct keys of a value slot as they come;
// sort then renumbers them in key order.
type distinctKeys struct {
	numbers keyMap[uint32] // by key
	keys    [][]byte       // by number
	lastN   uint32         // the number of the last key added
}

func (d *distinctKeys) add(v []byte) uint32 {
	if v == nil {
		return noValue
	}
	if len(d.keys) > 0 && bytes.Equal(v, d.keys[d.lastN]) {
		return d.lastN // keys often repeat in runs: a parent's children
	}
	n, ok := d.numbers.get(v)
	if !ok {
		n = uint32(len(d.keys))
		d.numbers.set(v, n)
		d.keys = append(d.keys, v)
	}
	d.lastN = n
	return n
}

// order returns the numbers of the keys, in key order.
func (d *distinctKeys) order() []uint32 {
	order := make([]uint32, len(d.keys))
	for n := range order {
		order[n] = uint32(n)
	}
	slices.SortFunc(order, func(a, b uint32) int { return bytes.Compare(d.keys[a], d.keys[b]) })
	return order
}

// sort fills j's value keys in key order and renumbers its entries'.
func (d *distinctKeys) sort(j *joinIndex) {
	rank := make([]uint32, len(d.keys))
	for r, n := range d.order() {
		rank[n] = uint32(r)
		j.vkeys = append(j.vkeys, d.keys[n]...)
		j.vkend = append(j.vkend, uint32(len(j.vkeys)))
	}
	for e, n := range j.vidx {
		if n != noValue {
			j.vidx[e] = rank[n]
		}
	}
}

// wrote reports whether tx has written a row of ti.
func (tx *Tx) wrote(ti *tableInfo) bool {
	if tx.w == nil || tx.w.rows == nil {
		return false
	}
	return tx.w.rows[ti.id].len() > 0
}
