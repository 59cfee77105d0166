package memrel

import (
	"bytes"
	"container/heap"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

// Pages: a bounded read of an ordered sequence of rows (a table in key
// order, a parent's children in key order or in an ordering, the children
// of several parents merged in an ordering), from a cursor, in either
// direction, filtered, with an offset and a limit. A page reads what it
// returns and what its filter and offset skip, never the rest.

// Page says which rows of an ordered sequence to read.
type Page[T any] struct {
	// After resumes after this row, in the sequence's order: the last row
	// of the previous page (keyset pagination). Only its keys (primary
	// key, foreign key, ordered field) are read. Nil starts at the
	// beginning.
	After *T
	// Backward reads the sequence in reverse order: the newest first, for
	// an ordering by date.
	Backward bool
	// Where, if not nil, keeps only the rows for which it returns true; it
	// runs before Offset and Limit, and may use the transaction.
	Where func(T) bool
	// Offset skips that many rows (after Where), Limit returns at most that
	// many (<= 0: all).
	Offset, Limit int
}

// primaryIndex is every table's primary key index, as seek reads it: the
// go-memdb index "id", whose entries are the primary keys.
var primaryIndex = &indexInfo{mdb: "id", shared: true}

// Page returns a page of t's rows in key order.
func (t *Table[T, K]) Page(tx *Tx, p Page[T]) ([]T, error) {
	if err := tx.enter(t.check(tx, false)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	return readPage(tx, t.info, primaryIndex, nil, p)
}

// Page returns a page of the children of the parent whose key is k, in
// the child table's key order: a relationship queried, not loaded whole
// (SQLAlchemy's dynamic relationship). Like Children, it is a lazy load.
func (r *Relation[C, P, K]) Page(tx *Tx, k K, p Page[C]) ([]C, error) {
	if err := tx.enter(r.check(tx)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	if err := r.lazy(tx, "Page", "Many"); err != nil {
		return nil, err
	}
	return countedPage(tx, r.info, r.info.index, encodeKey(r.pc, k), p)
}

// Page returns a page of the children of the parent whose key is k, in
// this order (Backward: the latest first). Like Children, it is a lazy
// load.
func (o *Ordering[C, P, K]) Page(tx *Tx, k K, p Page[C]) ([]C, error) {
	if err := tx.enter(o.check(tx)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	hint := func() string {
		return fmt.Sprintf("memrel.Many(rel).OrderedBy(o) (rel: the *Relation %s, o: its ordering %s), or o.Merge for several parents", o.rel.info.qname, o.index.name)
	}
	if err := o.rel.info.lazy(tx, "Page", hint); err != nil {
		return nil, err
	}
	return countedPage(tx, o.rel.info, o.index, encodeKey(o.rel.pc, k), p)
}

// countedPage is readPage of the children of one parent, counted as rows
// loaded through rel.
func countedPage[C any](tx *Tx, rel *relInfo, ix *indexInfo, prefix []byte, p Page[C]) ([]C, error) {
	out, err := readPage(tx, rel.child, ix, prefix, p)
	tx.count(rel).Rows += int64(len(out))
	return out, err
}

// Merge returns a page of the children of all the parents whose keys are
// ks, in this order across them all: the 20 newest posts of the people a
// user follows. It merges the parents' runs of the ordering's index, each
// read from its start (or from After) and only as far as the page needs,
// so a page costs about what it returns, however many children the
// parents have. It is one eager batch, allowed in strict mode. A key given
// twice is merged once, and a key with no children adds nothing. The
// cursor (After) may be any row of the child table: only its place in the
// ordering (its foreign key is ignored, its ordered field and key are
// read) says where the page resumes. The keys often come from an eager
// load: a user's followees, by Eager with a Through's Load.
func (o *Ordering[C, P, K]) Merge(tx *Tx, ks []K, p Page[C]) ([]C, error) {
	if err := tx.enter(o.check(tx)); err != nil {
		return nil, err
	}
	defer tx.mu.Unlock()
	rel := o.rel.info
	seen := keyMap[struct{}]{}
	runs := &mergeHeap{backward: p.Backward}
	var after []byte // the cursor's entry without its foreign key
	if p.After != nil {
		e, err := entryOf(rel.child, o.index, p.After)
		if err != nil {
			return nil, err
		}
		if e != nil {
			n, _ := o.rel.pc.split(e)
			after = e[n:]
		}
	}
	for _, k := range ks {
		prefix := encodeKey(o.rel.pc, k)
		if _, ok := seen.get(prefix); ok {
			continue // a parent given twice is merged once
		}
		seen.set(prefix, struct{}{})
		var from []byte
		if p.After != nil {
			from = append(append([]byte(nil), prefix...), after...)
		}
		it, err := seek(tx, rel.child, o.index, prefix, from, p.Backward)
		if err != nil {
			return nil, err
		}
		run := &mergeRun{next: it, prefix: len(prefix)}
		if run.advance(o.index) {
			runs.runs = append(runs.runs, run)
		}
	}
	heap.Init(runs)
	out, err := cut(tx, p, func() *rec {
		if runs.Len() == 0 {
			return nil
		}
		run := runs.runs[0]
		r := run.cur
		if run.advance(o.index) {
			heap.Fix(runs, 0)
		} else {
			heap.Pop(runs)
		}
		return r
	})
	if err != nil {
		return nil, err
	}
	l := tx.count(rel)
	l.Batches++
	l.Rows += int64(len(out))
	return out, nil
}

// readPage reads a page of the rows of index ix of table ti whose entries
// begin with prefix.
func readPage[T any](tx *Tx, ti *tableInfo, ix *indexInfo, prefix []byte, p Page[T]) ([]T, error) {
	var from []byte
	if p.After != nil {
		e, err := entryOf(ti, ix, p.After)
		if err != nil {
			return nil, err
		}
		if e == nil || !bytes.HasPrefix(e, prefix) {
			return nil, invalid("Page: After is not a row of this sequence")
		}
		from = e
	}
	next, err := seek(tx, ti, ix, prefix, from, p.Backward)
	if err != nil {
		return nil, err
	}
	return cut(tx, p, next)
}

// cut reads rows from next (nil at the end) into the page p describes:
// those Where keeps, past Offset, at most Limit. It reads no row past the
// page.
func cut[T any](tx *Tx, p Page[T], next func() *rec) ([]T, error) {
	var out []T
	skip := p.Offset
	for p.Limit <= 0 || len(out) < p.Limit {
		r := next()
		if r == nil {
			break
		}
		v := *r.row.(*T)
		if p.Where != nil && !callout(tx, p.Where, v) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, v)
	}
	if tx.done.Load() {
		return nil, ErrTxDone // ended by a Where function
	}
	return out, nil
}

// entryOf returns the entry row would have in index ix of table ti: its
// go-memdb key there, which orders the index.
func entryOf[T any](ti *tableInfo, ix *indexInfo, row *T) ([]byte, error) {
	r, err := ti.front.rekey(row)
	if err != nil {
		return nil, err
	}
	return entryIn(r, ix), nil
}

// seek returns the records of index ix of ti whose entries begin with
// prefix, in the index's order or its reverse, starting strictly after the
// entry from if it is not nil: next returns them one by one, then nil.
func seek(tx *Tx, ti *tableInfo, ix *indexInfo, prefix, from []byte, backward bool) (next func() *rec, err error) {
	if tx.done.Load() {
		return nil, ErrTxDone
	}
	var it memdb.ResultIterator
	switch {
	case from == nil:
		it, err = tx.iter(ti.name, ix.mdb, prefix, backward)
	case backward:
		it, err = tx.mtx.ReverseLowerBound(ti.name, ix.mdb, from)
	default:
		it, err = tx.mtx.LowerBound(ti.name, ix.mdb, from)
	}
	if err != nil {
		return nil, err
	}
	return func() *rec {
		for obj := it.Next(); obj != nil; obj = it.Next() {
			r := obj.(*rec)
			e := entryIn(r, ix)
			if from != nil && bytes.Equal(e, from) {
				continue // the cursor row itself
			}
			if !bytes.HasPrefix(e, prefix) {
				return nil // past the run
			}
			return r
		}
		return nil
	}, nil
}

// seekFrom returns the records of index ix of ti from the entries that
// begin with the encoded value v on: forwards, v's and every later one;
// backwards, v's and every earlier one.
func seekFrom(tx *Tx, ti *tableInfo, ix *indexInfo, v []byte, backward bool) (next func() *rec, err error) {
	if tx.done.Load() {
		return nil, ErrTxDone
	}
	var it memdb.ResultIterator
	bound := successor(v)
	switch {
	case !backward:
		it, err = tx.mtx.LowerBound(ti.name, ix.mdb, v)
	case bound == nil:
		it, err = tx.iter(ti.name, ix.mdb, nil, true)
	default:
		it, err = tx.mtx.ReverseLowerBound(ti.name, ix.mdb, bound)
	}
	if err != nil {
		return nil, err
	}
	return func() *rec {
		for obj := it.Next(); obj != nil; obj = it.Next() {
			r := obj.(*rec)
			if backward && bound != nil && bytes.Compare(entryIn(r, ix), bound) >= 0 {
				continue // the bound itself, which follows v's entries
			}
			return r
		}
		return nil
	}, nil
}

// successor returns the least byte string that sorts after every string
// beginning with v, or nil if there is none (v is all 0xFF).
func successor(v []byte) []byte {
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] != 0xFF {
			s := append([]byte(nil), v[:i+1]...)
			s[i]++
			return s
		}
	}
	return nil
}

// entryIn returns r's entry in index ix.
func entryIn(r *rec, ix *indexInfo) []byte {
	if ix.shared {
		return r.pk()
	}
	return r.entry(ix.slot, ix.withPK())
}

// A mergeRun is one parent's run of an ordering, read one row ahead.
type mergeRun struct {
	next   func() *rec
	cur    *rec
	key    []byte // cur's entry without the parent's key: its place in the merge
	prefix int
}

func (m *mergeRun) advance(ix *indexInfo) bool {
	m.cur = m.next()
	if m.cur == nil {
		return false
	}
	m.key = entryIn(m.cur, ix)[m.prefix:]
	return true
}

// mergeHeap orders runs by their current rows' places in the ordering.
type mergeHeap struct {
	runs     []*mergeRun
	backward bool
}

func (h *mergeHeap) Len() int { return len(h.runs) }
func (h *mergeHeap) Less(i, j int) bool {
	c := bytes.Compare(h.runs[i].key, h.runs[j].key)
	if h.backward {
		return c > 0
	}
	return c < 0
}
func (h *mergeHeap) Swap(i, j int) { h.runs[i], h.runs[j] = h.runs[j], h.runs[i] }
func (h *mergeHeap) Push(x any)    { h.runs = append(h.runs, x.(*mergeRun)) }
func (h *mergeHeap) Pop() any {
	r := h.runs[len(h.runs)-1]
	h.runs = h.runs[:len(h.runs)-1]
	return r
}
