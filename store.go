package memrel

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	memdb "github.com/hashicorp/go-memdb"
)

// DB is a store opened from a Schema. It is safe for concurrent use.
type DB struct {
	schema  *Schema
	mdb     *memdb.MemDB
	loads   []atomicLoads // by relation, for DB.LoadStats
	joins   *joinCache    // eager loading's join indexes (join.go)
	writer  *writerLock   // lock.go
	watches *watchHub     // watch.go
	opts    options
	// scrambled counts the shuffles of a Scramble store, each one's stream.
	scrambled atomic.Uint64
}

// An Option configures a store at Open.
type Option func(*options)

type options struct {
	writeWait time.Duration
	noJoins   bool // keep no join indexes
	strict    bool // every transaction begins in strict mode
	// strictGets is how many reads of one table by key a strict
	// transaction allows (negative: any number).
	strictGets int
	// scramble: unordered reads come back reversed (seed 0) or shuffled.
	scramble     bool
	scrambleSeed uint64
}

// apply returns o with opts applied.
func (o options) apply(opts []Option) options {
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// KeepJoinIndexes sets whether the store keeps the join indexes that eager
// loading builds, for later loads to read (the default), or keeps none, to
// save their memory: then every EagerAll reads its relations' indexes
// again. A join index takes about a pointer per child row and holds on to
// the rows it was built from until a load replaces it (DESIGN.md has its
// layout and costs).
func KeepJoinIndexes(keep bool) Option {
	return func(o *options) { o.noJoins = !keep }
}

// Strict sets whether every transaction of the store begins in strict mode
// (see Tx.Strict): a fork for a test that must make no lazy load, without
// a Strict call in each transaction the code under test begins. A store
// made by Fork has the original's, unless opts say otherwise.
func Strict(on bool) Option {
	return func(o *options) { o.strict = on }
}

// DefaultStrictGets is how many times a strict transaction may read rows
// of one table by key unless StrictGets says otherwise.
const DefaultStrictGets = 2

// StrictGets sets how many times a transaction in strict mode may read
// rows of one table by key (Get, Has, Index.First) before the next read
// fails with ErrLazyLoad: a handler reads the row it acts on, and perhaps
// one more, but a loop that reads a row per row it has is the N+1 pattern
// (GetBatch and One read them in one batch). DefaultStrictGets unless set;
// a negative n allows any number. A store made by Fork has the original's.
func StrictGets(n int) Option {
	return func(o *options) { o.strictGets = n }
}

// WriteWait sets how long BeginWrite and Update wait for the writer lock
// before they fail with ErrBusy (DefaultWriteWait unless set); a negative d
// waits for ever. A store made by Fork has the original's.
func WriteWait(d time.Duration) Option {
	return func(o *options) { o.writeWait = d }
}

func newDB(s *Schema, m *memdb.MemDB, joins *joinCache, o options) *DB {
	if o.noJoins {
		joins = &joinCache{drop: true} // and none of the original's
	} else {
		joins.drop = false // a fresh cache, not yet shared
	}
	return &DB{schema: s, mdb: m, loads: make([]atomicLoads, s.counters()), joins: joins,
		writer: newWriterLock(o.writeWait), watches: &watchHub{}, opts: o}
}

// Fork returns an independent copy of the store as of now, in constant
// time: the two share every row until either changes. It is the basis of
// per-test forks: load a fixture once, then give each test a fork.
//
// A fork has watches, a writer lock and load counters of its own: its
// writes do not wake the original's watches, nor the other way round. It
// has the original's options, and opts on top of them: a fork may wait
// longer for its writer lock, or keep no join indexes.
func (db *DB) Fork(opts ...Option) *DB {
	if db.usable() != nil {
		return nil
	}
	return newDB(db.schema, db.mdb.Snapshot(), db.joins.clone(), db.opts.apply(opts))
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
	tx := &Tx{db: db, w: &writeState{}, writer: true, strict: db.opts.strict}
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
	return &Tx{db: db, mtx: db.mdb.Txn(false), strict: db.opts.strict}, nil
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
	if tx.done.Load() {
		return ErrTxDone // fn, or a Where function, ended it: nothing is stored
	}
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
	o := options{writeWait: DefaultWriteWait, strictGets: DefaultStrictGets}.apply(opts)
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
