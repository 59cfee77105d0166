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
	"errors"
	"fmt"
	"runtime"
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

// BeginWrite starts a write transaction, waiting for the writer lock for
// at most the store's WriteWait (see Open). The caller must end it with
// Commit or Abort; `defer tx.Abort()` is always safe, since Abort after
// Commit does nothing. Starting a write transaction while holding one on
// the same store can never succeed: after the wait it fails with ErrBusy,
// naming where the transaction holding the lock began.
func (db *DB) BeginWrite() (*Tx, error) { return db.beginWrite(3) }

// beginWrite is BeginWrite for a caller skip frames up.
func (db *DB) beginWrite(skip int) (*Tx, error) {
	if err := db.usable(); err != nil {
		return nil, err
	}
	tx := &Tx{db: db, w: &writeState{}}
	runtime.Callers(skip, tx.begun[:])
	if err := db.writer.lock(tx); err != nil {
		return nil, err
	}
	// The writer lock first, then the snapshot to check against: taken
	// the other way round, a writer that waited would check keys and
	// references against a store older than the one it writes to.
	tx.mtx = db.mdb.Txn(true)
	tx.w.base = db.mdb.Txn(false)
	return tx, nil
}

// BeginRead starts a read transaction: a snapshot of the store as of now,
// unaffected by later writes. End it with Abort (or Commit, which is the
// same for a reader).
func (db *DB) BeginRead() (*Tx, error) {
	if err := db.usable(); err != nil {
		return nil, err
	}
	return &Tx{db: db, mtx: db.mdb.Txn(false)}, nil
}

func (db *DB) usable() error {
	if db == nil || db.mdb == nil {
		return invalid("store not made by Open")
	}
	return nil
}

// Update runs fn in a write transaction and commits it if fn returns nil.
// If fn returns an error, or panics, the transaction is aborted and nothing
// fn did persists; the error is returned, the panic goes on. Commit may also
// fail, for deferred constraints, with an *IntegrityError, or with the
// error a sequence recorded (see Err).
func (db *DB) Update(fn func(tx *Tx) error) error {
	if fn == nil {
		return invalid("nil function")
	}
	tx, err := db.beginWrite(3)
	if err != nil {
		return err
	}
	tx.managed = true
	defer tx.Abort() // after a panic, too
	if err := fn(tx); err != nil {
		return err
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.commit()
}

// View runs fn in a read transaction. It returns fn's error, or else the
// error a sequence recorded (see Err).
func (db *DB) View(fn func(tx *Tx) error) error {
	if fn == nil {
		return invalid("nil function")
	}
	tx, err := db.BeginRead()
	if err != nil {
		return err
	}
	tx.managed = true
	defer tx.Abort()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Err()
}

// Open validates the schema as a whole and returns an empty store. It may
// be called from several goroutines at once, on one schema.
func Open(s *Schema, opts ...Option) (*DB, error) {
	if s == nil {
		return nil, schemaError("nil schema")
	}
	o := options{writeWait: DefaultWriteWait}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	s.mu.Lock()
	if !s.frozen {
		s.freeze()
	}
	errs := s.errs[:len(s.errs):len(s.errs)]
	ms := s.mdb
	s.mu.Unlock()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m, err := memdb.NewMemDB(ms)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSchema, err)
	}
	// A store is a go-memdb snapshot of an empty database: go-memdb then
	// writes without tracking which radix nodes to close watch channels
	// on, which memrel does not use (its watches are its own, watch.go).
	return newDB(s, m.Snapshot(), &joinCache{}, o), nil
}
