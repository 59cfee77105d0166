// Package memrel is an in-memory relational store for Go structs: typed
// tables on github.com/hashicorp/go-memdb, foreign keys navigable both ways,
// and referential integrity enforced with the semantics of SQLite and
// PostgreSQL. It is SQLAlchemy's ForeignKey and relationship, done with
// generics, for tests that want a fast stand-in for their database and for
// prototyping data models.
//
// # Basics
//
// Declare a Schema of tables (NewTable), indexes (NewIndex, NewUniqueIndex)
// and relations (ForeignKey, NullableForeignKey), then Open it. Tables and
// relations are typed Go values: a misspelt table or relation does not
// compile. Every mistake in the schema itself is reported by Open.
//
// Read and write through transactions: DB.Update and DB.View run a function
// in a transaction that commits when it returns nil and aborts on an error
// or a panic; BeginWrite and BeginRead give explicit control. There is one
// writer at a time and any number of readers, each seeing a snapshot.
//
// # Transactions and concurrency
//
// A DB, its snapshots and its transactions are safe for concurrent use. A
// Tx may be shared by goroutines: each call is atomic with respect to the
// others, and an operation that fails or panics leaves nothing behind. A
// write transaction waits for the writer lock at most WriteWait, then
// fails with ErrBusy naming where the holder began, so a write transaction
// begun while the same goroutine holds one fails instead of hanging.
// Sequences (All, Children, Rights, Descendants ...) cannot return an
// error: the transaction keeps it (Tx.Err), and Commit, Update and View
// return it.
//
// # Relations
//
// A Relation is a foreign key from child rows to parent rows. Children lists
// a parent's children lazily, from the index behind the foreign key;
// Parent follows a child to its parent.
//
// # Integrity
//
// A child whose non-NULL foreign key names no parent is rejected. Deleting a
// parent, or changing its key, runs each referencing relation's action:
// NoAction (checked when the operation ends, or at commit if deferred),
// Restrict (checked at once, never deferred), Cascade, SetNull or SetDefault.
// Actions cascade to any depth. An operation that is rejected anywhere in its
// cascade leaves the transaction exactly as it was; the transaction remains
// usable. Rejections are *ConstraintError values wrapping ErrForeignKey,
// ErrRestrict or ErrUnique; Commit reports all deferred violations at once
// in an *IntegrityError. Verify checks a whole store.
//
// # Caveats
//
// Rows go in and come out by value, and each row's keys are encoded once,
// when it is written, so changing a struct you passed in or got back never
// changes the store. But the copy is shallow: slices, maps and pointers
// inside a row are shared with the store. Never modify what they point to;
// Verify reports a row whose fields no longer match its stored keys.
package memrel

import (
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// DB is a store opened from a Schema. It is safe for concurrent use.
type DB struct {
	schema  *Schema
	mdb     *memdb.MemDB
	loads   []atomicLoads // by relation, for DB.Loads
	joins   *joinCache    // eager loading's join indexes (join.go)
	writer  *writerLock   // lock.go
	watches *watchHub     // watch.go
	opts    options
}

// An Option configures a store at Open.
type Option func(*options)

type options struct {
	writeWait time.Duration
}

// WriteWait sets how long BeginWrite and Update wait for the writer lock
// before they fail with ErrBusy (DefaultWriteWait unless set); a negative d
// waits for ever. A store made by Snapshot has the original's.
func WriteWait(d time.Duration) Option {
	return func(o *options) { o.writeWait = d }
}

func newDB(s *Schema, m *memdb.MemDB, joins *joinCache, o options) *DB {
	return &DB{schema: s, mdb: m, loads: make([]atomicLoads, len(s.rels)), joins: joins,
		writer: newWriterLock(o.writeWait), watches: &watchHub{}, opts: o}
}

// Snapshot returns an independent copy of the store as of now, in constant
// time: the two share every row until either changes. It is the basis of
// per-test forks: load a fixture once, then give each test a snapshot.
//
// A snapshot has watches, a writer lock and load counters of its own: its
// writes do not wake the original's watches, nor the other way round.
func (db *DB) Snapshot() *DB {
	if db.usable() != nil {
		return nil
	}
	return newDB(db.schema, db.mdb.Snapshot(), db.joins.clone(), db.opts)
}

// Verify checks the whole store and returns an *IntegrityError listing every
// violation: dangling foreign keys, repeated unique values, and index entries
// that disagree with the rows. It returns nil for a sound store.
func (db *DB) Verify() error {
	return db.View(func(tx *Tx) error { return tx.Verify() })
}
