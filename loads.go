package memrel

import (
	"fmt"
	"sync/atomic"
)

// Counted is what Tx.LoadStats and DB.LoadStats count for: a *Relation of
// any types, a *Through (its relation's counters), or a *Table (its reads
// by key).
type Counted interface {
	counter() (*Schema, int) // the schema and the counters' slot; nil if undeclared
}

// LoadStats counts what a relation has loaded, so that a test can hold code to
// a budget ("this handler loads posts in at most 2 batches") and see N+1
// access as a number.
type LoadStats struct {
	// Lazy navigations: one per call of Children, ListChildren, Child,
	// Parent, Descendants, Ancestors, Relation.Page and Ordering.Page;
	// Rights and a Through's List and Page count on the relation they
	// start from. For a table, one per Get, Has or Index.First. Those
	// strict mode refuses count too, so that a budget sees an N+1 loop
	// whose errors the code under test drops.
	Lazy int64
	// Eager loads: one per loader of the relation per Eager or EagerAll
	// level (a Tree's, one per level). For a table, one per GetBatch.
	Batches int64
	// Rows loaded through the relation, lazily or eagerly: children for
	// Many, Children and the like; distinct parents for One (and one per
	// Parent call); for an association, its links on the relation it
	// goes from and the distinct rows found on the other. Count loads no
	// rows. For a table, the rows Get, Index.First and GetBatch found.
	Rows int64
}

// LoadStats returns what c has loaded in this transaction so far.
func (tx *Tx) LoadStats(c Counted) LoadStats {
	i, ok := slotOf(c, tx.schema())
	if !ok {
		return LoadStats{}
	}
	defer tx.unlock(tx.lock())
	if i >= len(tx.loads) {
		return LoadStats{}
	}
	return tx.loads[i]
}

// LoadStats returns what c has loaded in the store's ended transactions.
func (db *DB) LoadStats(c Counted) LoadStats {
	if db == nil {
		return LoadStats{}
	}
	i, ok := slotOf(c, db.schema)
	if !ok || i >= len(db.loads) {
		return LoadStats{}
	}
	l := &db.loads[i]
	return LoadStats{Lazy: l.lazy.Load(), Batches: l.batches.Load(), Rows: l.rows.Load()}
}

// schema returns tx's store's schema, or nil.
func (tx *Tx) schema() *Schema {
	if tx == nil || tx.db == nil {
		return nil
	}
	return tx.db.schema
}

// slotOf returns c's counters' slot in stores of schema s.
func slotOf(c Counted, s *Schema) (int, bool) {
	if c == nil || s == nil {
		return 0, false
	}
	cs, i := c.counter()
	return i, cs == s && i >= 0
}

// Strict makes lazy navigation in tx fail with ErrLazyLoad: SQLAlchemy's
// "raise" loading. A method such as ListChildren or Parent returns the
// error, and a sequence such as Children yields nothing; either way the
// transaction records it, so its Commit (or the Update or View running
// it) fails too, even if the caller handled the error: a strict test
// cannot pass with a lazy load in it. Eager loading, Count and Exists are
// allowed, and so is Parent of a NULL foreign key, which loads nothing.
// Strict mode lasts until the transaction ends (the Strict option makes
// every transaction of a store begin in it); Strict fails only as every
// method does, on a finished transaction (ErrTxDone) or a nil one.
func (tx *Tx) Strict() error {
	if err := tx.enter(tx.usable(nil, false)); err != nil {
		return err
	}
	defer tx.mu.Unlock()
	tx.strict = true
	return nil
}

type atomicLoads struct{ lazy, batches, rows atomic.Int64 }

// count returns the transaction's counters for rel.
func (tx *Tx) count(rel *relInfo) *LoadStats { return tx.counters(rel.id) }

// counters returns the transaction's counters in slot i: a relation's
// (its id), or a table's (after the relations').
func (tx *Tx) counters(i int) *LoadStats {
	if tx.loads == nil {
		tx.loads = make([]LoadStats, tx.db.schema.counters())
	}
	return &tx.loads[i]
}

// gets counts a read of a row of ti by key (how: Get, Has, First); in
// strict mode, a read past ti's StrictGets budget fails with ErrLazyLoad.
// The caller holds tx's lock.
func (tx *Tx) gets(ti *tableInfo, how string) error {
	l := tx.counters(ti.counter)
	l.Lazy++
	if tx.strict && tx.db.opts.strictGets >= 0 && l.Lazy > int64(tx.db.opts.strictGets) {
		err := fmt.Errorf("%w: %s of %s, read by key %d times in this transaction (StrictGets allows %d); load it eagerly with t.GetBatch(tx, keys) (t: the *Table %s), or with memrel.One(rel) from the rows that hold the keys",
			ErrLazyLoad, how, ti.name, l.Lazy, tx.db.opts.strictGets, ti.name)
		tx.fail(err)
		return err
	}
	return nil
}

// flushLoads adds the transaction's counters to the store's.
func (tx *Tx) flushLoads() {
	for i, l := range tx.loads {
		if l == (LoadStats{}) {
			continue
		}
		c := &tx.db.loads[i]
		c.lazy.Add(l.Lazy)
		c.batches.Add(l.Batches)
		c.rows.Add(l.Rows)
	}
	tx.loads = nil
}

// CounterName names the counters c counts on, as LoadStats reads them: a
// relation's qualified name ("posts.author"), a table's name, or for a
// many-to-many direction (a Through) the relation it starts from. It is ""
// for c of no opened schema.
func CounterName(c Counted) string {
	if c == nil {
		return ""
	}
	s, i := c.counter()
	if s == nil || i < 0 {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < len(s.rels) {
		return s.rels[i].qname
	}
	if i -= len(s.rels); i < len(s.tables) {
		return s.tables[i].name
	}
	return ""
}
