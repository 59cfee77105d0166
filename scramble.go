package memrel

import (
	"iter"
	"math/rand/v2"
)

// Scramble makes every read whose order is memrel's choice, not the
// caller's, come back in another order, in every transaction of the store:
// a table's rows (All, EagerAll's rows), a parent's children (Children,
// ListChildren, a Many loader without OrderedBy), an index's rows of one
// value (Index.List), and many-to-many targets (Rights, Lefts, a Through's
// List and Load). SQL promises no order for these without ORDER BY, so a
// test that relies on memrel's key order by accident fails here before it
// fails on a real database. With seed 0 they come back reversed (SQLite's
// PRAGMA reverse_unordered_selects); any other seed shuffles them, a new
// shuffle for each read, the same run after run for one seed and one
// sequence of reads. Reads with an order of their own (pages, orderings,
// Index.All, Index.Page, Descendants) keep it.
func Scramble(seed uint64) Option {
	return func(o *options) { o.scramble, o.scrambleSeed = true, seed }
}

// scrambles reports whether tx's store scrambles unordered reads.
func (tx *Tx) scrambles() bool { return tx != nil && tx.db != nil && tx.db.opts.scramble }

// scrambleSlice puts s in the store's scrambled order, in place.
func scrambleSlice[T any](tx *Tx, s []T) {
	if len(s) < 2 || !tx.scrambles() {
		return
	}
	seed := tx.db.opts.scrambleSeed
	if seed == 0 {
		for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
			s[i], s[j] = s[j], s[i]
		}
		return
	}
	rng := rand.New(rand.NewPCG(seed, tx.db.scrambled.Add(1)))
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// scrambled returns s, or with Scramble a copy of it in scrambled order:
// for a loader's values, whose slice the loader goes on reading in order.
func scrambled[T any](tx *Tx, s []T) []T {
	if len(s) < 2 || !tx.scrambles() {
		return s
	}
	c := append(make([]T, 0, len(s)), s...)
	scrambleSlice(tx, c)
	return c
}

// scrambleSeq is seq in the store's scrambled order: read to the end
// first, then yielded. Without Scramble it is seq.
func scrambleSeq[T any](tx *Tx, seq iter.Seq[T]) iter.Seq[T] {
	if !tx.scrambles() {
		return seq
	}
	return func(yield func(T) bool) {
		var all []T
		for v := range seq {
			all = append(all, v)
		}
		scrambleSlice(tx, all)
		for _, v := range all {
			if !yield(v) {
				return
			}
		}
	}
}
