package memrel

import "sync/atomic"

// AnyRelation is a *Relation of any types: what Tx.LoadStats and
// DB.LoadStats take.
type AnyRelation interface {
	relation() *relInfo
}

// LoadStats counts what a relation has loaded, so that a test can hold code to
// a budget ("this handler loads posts in at most 2 batches") and see N+1
// access as a number.
type LoadStats struct {
	Lazy    int64 // lazy navigations: one per call of Children, ListChildren, Child, Parent, Descendants, Ancestors; Rights counts on the association's left relation, Lefts on its right one
	Batches int64 // eager loads: one per loader of the relation per Eager or EagerAll level (a Tree's, one per level)
	// Rows loaded through the relation, lazily or eagerly: children for
	// Many, Children and the like; distinct parents for One (and one per
	// Parent call); for an association, its links on the relation it
	// goes from and the distinct rows found on the other. Count loads no
	// rows.
	Rows int64
}

// LoadStats returns what rel has loaded in this transaction so far.
func (tx *Tx) LoadStats(rel AnyRelation) LoadStats {
	ri := relOf(rel)
	if tx == nil || ri == nil || tx.db == nil || ri.child.schema != tx.db.schema {
		return LoadStats{}
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if ri.id >= len(tx.loads) {
		return LoadStats{}
	}
	return tx.loads[ri.id]
}

// LoadStats returns what rel has loaded in the store's ended transactions.
func (db *DB) LoadStats(rel AnyRelation) LoadStats {
	ri := relOf(rel)
	if db == nil || ri == nil || ri.child.schema != db.schema || ri.id >= len(db.loads) {
		return LoadStats{}
	}
	c := &db.loads[ri.id]
	return LoadStats{Lazy: c.lazy.Load(), Batches: c.batches.Load(), Rows: c.rows.Load()}
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

func relOf(rel AnyRelation) *relInfo {
	if rel == nil {
		return nil
	}
	ri := rel.relation()
	if ri == nil || ri.child == nil || !ri.open {
		return nil
	}
	return ri
}

type atomicLoads struct{ lazy, batches, rows atomic.Int64 }

// count returns the transaction's counters for rel.
func (tx *Tx) count(rel *relInfo) *LoadStats {
	if tx.loads == nil {
		tx.loads = make([]LoadStats, len(tx.db.schema.rels))
	}
	return &tx.loads[rel.id]
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
