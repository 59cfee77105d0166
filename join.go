package memrel

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"sync"
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
// for an association the key each entry points to on the other side), and
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
	mu sync.Mutex
	m  map[joinKey]*joinIndex
}

func (c *joinCache) get(k joinKey) *joinIndex {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *joinCache) put(k joinKey, j *joinIndex) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[joinKey]*joinIndex{}
	}
	c.m[k] = j
}

// clone returns a cache holding the same join indexes: a snapshot of the
// store has the same trees, so they serve it as well.
func (c *joinCache) clone() *joinCache {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &joinCache{m: make(map[joinKey]*joinIndex, len(c.m))}
	for k, j := range c.m {
		n.m[k] = j
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

// join returns the join index of ix, grouped by rel's foreign key and
// keeping slot val's keys (val < 0: none), that serves tx's snapshot: the
// store's, if it is current; otherwise, with build, one made now by
// walking the whole index, which replaces it. It returns nil if there is
// none, and always if tx has written ix's table.
func (tx *Tx) join(rel *relInfo, ix *indexInfo, val int, build bool) *joinIndex {
	k := joinKey{ix: ix, slot: rel.index.slot, val: val}
	if tx.db.joins == nil || tx.wrote(ix.table) {
		return nil
	}
	it, err := tx.mtx.Get(ix.table.name, ix.mdb)
	if err != nil {
		return nil
	}
	watch := it.WatchCh()
	if j := tx.db.joins.get(k); j != nil && j.watch == watch {
		return j
	}
	if !build {
		return nil
	}
	j := &joinIndex{watch: watch}
	var last []byte
	var vals [][]byte
	for obj := it.Next(); obj != nil; obj = it.Next() {
		c := obj.(*rec)
		fk := c.key(k.slot)
		if len(j.kend) == 0 || !bytes.Equal(fk, last) {
			j.start = append(j.start, uint32(len(j.recs)))
			j.keys = append(j.keys, fk...)
			j.kend = append(j.kend, uint32(len(j.keys)))
			last = fk
		}
		j.recs = append(j.recs, c)
		if val >= 0 {
			vals = append(vals, c.key(val))
		}
	}
	j.start = append(j.start, uint32(len(j.recs)))
	if len(j.recs) >= noValue || len(j.keys) >= noValue {
		return nil // beyond 32-bit offsets: walk the tree instead
	}
	if val >= 0 && !j.distinct(vals) {
		return nil
	}
	tx.db.joins.put(k, j)
	return j
}

// distinct fills the value arrays from vals, each entry's key in the value
// slot, and reports whether they fit 32-bit offsets.
func (j *joinIndex) distinct(vals [][]byte) bool {
	order := make([]uint32, 0, len(vals))
	j.vidx = make([]uint32, len(vals))
	size := 0
	for e, v := range vals {
		j.vidx[e] = noValue
		if v != nil {
			order = append(order, uint32(e))
			size += len(v)
		}
	}
	if size >= noValue {
		return false
	}
	slices.SortFunc(order, func(a, b uint32) int { return bytes.Compare(vals[a], vals[b]) })
	var last []byte
	for _, e := range order {
		if len(j.vkend) == 0 || !bytes.Equal(vals[e], last) {
			j.vkeys = append(j.vkeys, vals[e]...)
			j.vkend = append(j.vkend, uint32(len(j.vkeys)))
			last = vals[e]
		}
		j.vidx[e] = uint32(len(j.vkend) - 1)
	}
	return true
}

// wrote reports whether tx has written a row of ti.
func (tx *Tx) wrote(ti *tableInfo) bool {
	if tx.rows == nil {
		return false
	}
	m := &tx.rows[ti.id]
	return len(m.ints) > 0 || len(m.strs) > 0
}
