// Package memreltest is memrel's test kit: a store per test, a base seeded
// once and forked per test, fixtures in any order with references by
// label, assertions on rows with go-cmp diffs, diffs of whole stores,
// golden dumps and N+1 budgets.
//
// A test suite built with it:
//
//	var base = memreltest.NewBase(schema, func(tx *memrel.Tx) error {
//		return memreltest.LoadFiles(tx, os.DirFS("testdata"), "fixtures.json")
//	})
//
//	func TestRename(t *testing.T) {
//		t.Parallel()
//		db := base.Fork(t) // O(1), independent, strict
//		...
//	}
//
// The kit holds no package-level mutable state: every store it makes
// belongs to one test, and its helpers are safe under t.Parallel, -race
// and -count.
package memreltest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/memrel/memrel"
)

// Open opens a store of s for this test: in strict mode, so that a lazy
// load fails the code under test (memrel.Strict(false) among opts turns it
// off), and verified when the test ends (memrel's Verify: every index,
// every reference). An error from Open fails the test at once.
func Open(tb testing.TB, s *memrel.Schema, opts ...memrel.Option) *memrel.DB {
	tb.Helper()
	db, err := memrel.Open(s, append([]memrel.Option{memrel.Strict(true)}, opts...)...)
	if err != nil {
		tb.Fatalf("memreltest.Open: %v", err)
	}
	verifyAtEnd(tb, db)
	return db
}

// Fork forks base for this test, in O(1) whatever base holds: a store of
// its own, whose writes, sequences, watches and load counters no other
// store sees. It is strict unless opts say memrel.Strict(false), and
// verified when the test ends.
func Fork(tb testing.TB, base *memrel.DB, opts ...memrel.Option) *memrel.DB {
	tb.Helper()
	if base == nil {
		tb.Fatal("memreltest.Fork: nil base store")
	}
	db := base.Fork(append([]memrel.Option{memrel.Strict(true)}, opts...)...)
	verifyAtEnd(tb, db)
	return db
}

func verifyAtEnd(tb testing.TB, db *memrel.DB) {
	tb.Cleanup(func() {
		if err := db.Verify(); err != nil {
			tb.Errorf("memreltest: the store is not sound when the test ends: %v", err)
		}
	})
}

// Base is a store built once, on first use, for the tests of a package to
// fork: the seed runs once whatever the number of tests, and each test's
// Fork costs O(1). Declare it as a package variable:
//
//	var base = memreltest.NewBase(schema, seed)
type Base struct {
	schema *memrel.Schema
	seed   func(tx *memrel.Tx) error
	opts   []memrel.Option
	once   sync.Once
	db     *memrel.DB
	labels *Labels
	err    error
	told   atomic.Bool // a failed seed's problems were reported in full
}

// NewBase returns a base of schema s that seed fills, in one write
// transaction (nil: an empty store). Nothing runs until the first Fork.
func NewBase(s *memrel.Schema, seed func(tx *memrel.Tx) error, opts ...memrel.Option) *Base {
	return &Base{schema: s, seed: seed, opts: opts}
}

// NewFixtureBase returns a base of schema s seeded with fixtures (LoadTx),
// whose labels' keys the tests read with Labels.
//
//	var base = memreltest.NewFixtureBase(schema, memreltest.Files(os.DirFS("testdata"), "*.json"))
//	...
//	ann, _ := memreltest.Key(base.Labels(t), users, "ann")
func NewFixtureBase(s *memrel.Schema, fixtures ...Fixture) *Base {
	b := &Base{schema: s}
	b.seed = func(tx *memrel.Tx) (err error) {
		b.labels, err = LoadTx(tx, fixtures...)
		return err
	}
	return b
}

// Labels returns the keys the base's fixtures got (NewFixtureBase), building
// the base first if no test has; a failed seed fails the test. A base made
// by NewBase has none: Key then finds nothing.
func (b *Base) Labels(tb testing.TB) *Labels {
	tb.Helper()
	if _, err := b.DB(); err != nil {
		b.fail(tb, err)
	}
	if b.labels == nil {
		return &Labels{}
	}
	return b.labels
}

// fail fails tb for the base's failed seed: in full for the first test
// that meets it, in a line for the others.
func (b *Base) fail(tb testing.TB, err error) {
	tb.Helper()
	if b.told.CompareAndSwap(false, true) {
		tb.Fatalf("memreltest: the base store's seed failed: %v", err)
	}
	tb.Fatal("memreltest: the base store's seed failed (its problems are reported by the first test that forked it)")
}

// DB builds the base store if it is not built yet, and returns it. Tests
// should fork it (Fork) rather than write to it.
func (b *Base) DB() (*memrel.DB, error) {
	if b == nil {
		return nil, errors.New("memreltest: nil Base")
	}
	b.once.Do(func() {
		db, err := memrel.Open(b.schema, b.opts...)
		if err == nil && b.seed != nil {
			err = db.Update(b.seed)
		}
		if err == nil {
			err = db.Verify()
		}
		b.db, b.err = db, err
	})
	return b.db, b.err
}

// Fork returns a fork of the base store for this test, building the base
// first if no test has: see the package function Fork. A seed that failed
// fails every test that forks it, with the seed's error.
func (b *Base) Fork(tb testing.TB, opts ...memrel.Option) *memrel.DB {
	tb.Helper()
	db, err := b.DB()
	if err != nil {
		b.fail(tb, err)
	}
	return Fork(tb, db, opts...)
}

// Scrambled is memrel.Scramble with a seed of this run's: reads whose order
// SQL does not promise come back shuffled, a new shuffle each run, so that
// a test relying on key order by accident fails. If the test fails (for
// whatever reason), the seed is logged, to replay the run with
// memrel.Scramble(seed). A shuffle of a few rows may keep their order:
// run such tests with -count=N, or use memrel.Scramble(0), which always
// reverses.
//
//	db := base.Fork(t, memreltest.Scrambled(t))
func Scrambled(tb testing.TB) memrel.Option {
	seed := uint64(time.Now().UnixNano()) | 1
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("memreltest: unordered reads were shuffled; replay with memrel.Scramble(%d)", seed)
		}
	})
	return memrel.Scramble(seed)
}
