package memrel

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// txState is everything a rollback to a savepoint must restore, read
// without changing it: every table's rows (by scan and by lookup), row
// count and next key, and the deferred checks pending.
type txState struct {
	Rows    map[string][]any
	Lens    map[string]int
	NextKey map[string]int64
	Pending []string
}

func stateOf(t *testing.T, tx *Tx) txState {
	t.Helper()
	s := txState{Rows: dumpTx(tx), Lens: map[string]int{}, NextKey: map[string]int64{}}
	for _, ti := range tx.db.schema.tables {
		s.Lens[ti.name] = int(tx.rowCount(ti))
		if ti.intKey == nil {
			continue
		}
		if tx.w.seqState != nil && tx.w.seqState[ti.id] != 0 {
			s.NextKey[ti.name] = tx.w.seq[ti.id] + 1
		} else {
			s.NextKey[ti.name] = tx.storedSeq(ti).last + 1
		}
		// A lookup of every scanned row finds it: the transaction's view
		// of its own writes agrees with its tree.
		for r := range tx.scan(ti.name, "id", nil) {
			if tx.get(ti, r.pk()) != r {
				t.Fatalf("%s %s: the scan and the lookup disagree", ti.name, ti.front.formatKey(r.pk()))
			}
		}
	}
	for _, c := range tx.w.pending {
		s.Pending = append(s.Pending, c.ti.name+" "+c.ti.front.formatKey(c.key))
	}
	return s
}

// TestSavepointsRandom runs random operations on a blog (cascades,
// deferred checks, links, rejected operations) inside one transaction,
// with random savepoints, rollbacks to them and releases: every rollback
// must give back exactly the state the savepoint saw, and the commit must
// persist what a fresh store gets from the operations that survived.
func TestSavepointsRandom(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var rollbacks, rejected, failedCommits int
	for run := range 20 {
		rng := rand.New(rand.NewPCG(seed, uint64(run)))
		rules := DefaultRules()
		rules.Replies = []Rule{OnDelete(Cascade), Deferred()}
		rules.Editor = []Rule{OnDelete(Restrict)}
		b := NewBlog(t, rules).Fill(t, 4, 2, 3, 1)
		replay := NewBlog(t, rules).Fill(t, 4, 2, 3, 1)
		type op func(b *Blog, tx *Tx) error
		ops := []func(rng *rand.Rand) op{
			func(rng *rand.Rand) op {
				u := 1 + rng.Int64N(6)
				return func(b *Blog, tx *Tx) error { _, err := b.Posts.Insert(tx, Post{UserID: u}); return err }
			},
			func(rng *rand.Rand) op {
				return func(b *Blog, tx *Tx) error { _, err := b.Users.Insert(tx, User{Email: "e"}); return err } // ErrUnique after the first
			},
			func(rng *rand.Rand) op {
				u := 1 + rng.Int64N(6)
				return func(b *Blog, tx *Tx) error { return b.Users.Delete(tx, u) }
			},
			func(rng *rand.Rand) op {
				p, parent := 1+rng.Int64N(12), 1+rng.Int64N(8)
				return func(b *Blog, tx *Tx) error {
					_, err := b.Comments.Insert(tx, Comment{PostID: p, ParentID: NullFrom(parent)}) // deferred: may dangle until commit
					return err
				}
			},
			func(rng *rand.Rand) op {
				p, e := 1+rng.Int64N(12), 1+rng.Int64N(6)
				return func(b *Blog, tx *Tx) error {
					post, err := b.Posts.Get(tx, p)
					if err != nil {
						return err
					}
					post.EditorID = NullFrom(e)
					return b.Posts.Update(tx, post)
				}
			},
			func(rng *rand.Rand) op {
				p, tg := 1+rng.Int64N(12), 1+rng.Int64N(4)
				return func(b *Blog, tx *Tx) error { _, err := b.Tagging.Link(tx, p, tg); return err }
			},
			func(rng *rand.Rand) op {
				c := 1 + rng.Int64N(8)
				return func(b *Blog, tx *Tx) error { return b.Comments.Delete(tx, c) }
			},
		}
		tx := MustTx(b.DB.BeginWrite())
		rtx := MustTx(replay.DB.BeginWrite())
		type saved struct {
			sp    *Savepoint
			state txState
			ops   int // ops applied when it was made
		}
		var stack []saved
		var applied []op
		for range 60 {
			switch k := rng.IntN(10); {
			case k == 0 || k == 1 && len(stack) < 5:
				sp, err := tx.Savepoint()
				if err != nil {
					t.Fatal(err)
				}
				stack = append(stack, saved{sp, stateOf(t, tx), len(applied)})
			case k == 2 && len(stack) > 0:
				i := rng.IntN(len(stack))
				if err := stack[i].sp.Rollback(); err != nil {
					t.Fatalf("Rollback: %v", err)
				}
				rollbacks++
				if diff := cmp.Diff(stack[i].state, stateOf(t, tx)); diff != "" {
					t.Fatalf("run %d: after a rollback to savepoint %d (-at the savepoint +now):\n%s", run, i+1, diff)
				}
				applied = applied[:stack[i].ops]
				for _, s := range stack[i+1:] {
					if err := s.sp.Release(); err == nil {
						t.Fatal("a savepoint after the one rolled back to is still usable")
					}
				}
				stack = stack[:i+1]
			case k == 3 && len(stack) > 0:
				i := rng.IntN(len(stack))
				if err := stack[i].sp.Release(); err != nil {
					t.Fatalf("Release: %v", err)
				}
				stack = stack[:i]
			default:
				o := ops[rng.IntN(len(ops))](rng)
				before := stateOf(t, tx)
				if err := o(b, tx); err != nil {
					rejected++
					if diff := cmp.Diff(before, stateOf(t, tx)); diff != "" {
						t.Fatalf("run %d: a rejected operation (%v) changed the transaction:\n%s", run, err, diff)
					}
					continue
				}
				applied = append(applied, o)
			}
		}
		err := tx.Commit()
		for _, o := range applied {
			if err := o(replay, rtx); err != nil {
				t.Fatalf("run %d: replaying the surviving operations: %v", run, err)
			}
		}
		rerr := rtx.Commit()
		if err != nil {
			failedCommits++
		}
		if (err == nil) != (rerr == nil) {
			t.Fatalf("run %d: commit %v, the replay's %v", run, err, rerr)
		}
		if diff := cmp.Diff(dump(t, replay.DB), dump(t, b.DB)); diff != "" {
			t.Fatalf("run %d: the store after commit differs from the replay of the surviving operations:\n%s", run, diff)
		}
		verify(t, b.DB)
	}
	t.Logf("%d rollbacks to savepoints, %d rejected operations, %d commits refused by a deferred check", rollbacks, rejected, failedCommits)
	if rollbacks < 20 || rejected < 20 {
		t.Errorf("too few rollbacks (%d) or rejected operations (%d) to test them", rollbacks, rejected)
	}
}

// Nested rolls back what its function did on an error or a panic, keeps it
// otherwise, nests, and a deferred violation made and rolled back inside
// one does not fail the commit.
func TestNested(t *testing.T) {
	rules := DefaultRules()
	rules.Author = []Rule{OnDelete(Cascade), Deferred()}
	b := NewBlog(t, rules).Seed(t)
	before := dump(t, b.DB)
	boom := errors.New("boom")
	err := b.DB.Update(func(tx *Tx) error {
		err := tx.Nested(func(tx *Tx) error {
			if _, err := b.Posts.Insert(tx, Post{UserID: 99}); err != nil { // deferred: dangling until commit
				return err
			}
			return tx.Nested(func(tx *Tx) error {
				if err := b.Users.Delete(tx, 1); err != nil {
					return err
				}
				return boom
			})
		})
		if !errors.Is(err, boom) {
			t.Errorf("Nested = %v, want boom", err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Error("a panic inside Nested did not go on")
				}
			}()
			_ = tx.Nested(func(tx *Tx) error {
				_ = b.Users.Delete(tx, 2)
				panic("inside")
			})
		}()
		if got := dumpTx(tx); !cmp.Equal(got, before) {
			t.Errorf("after two rolled-back nested transactions (-before +now):\n%s", cmp.Diff(before, got))
		}
		return tx.Nested(func(tx *Tx) error {
			_, err := b.Posts.Insert(tx, Post{ID: 30, UserID: 2})
			return err
		})
	})
	if err != nil {
		t.Fatalf("commit after a rolled-back dangling insert: %v", err)
	}
	mustView(t, b.DB, func(tx *Tx) error {
		if _, err := b.Posts.Get(tx, 30); err != nil {
			t.Errorf("the kept nested insert: %v", err)
		}
		if n, _ := b.Users.Len(tx); n != 2 {
			t.Errorf("%d users, want 2", n)
		}
		return nil
	})

	// Misuse.
	tx := MustTx(b.DB.BeginWrite())
	sp := MustSave(t, tx)
	inner := MustSave(t, tx)
	if err := sp.Release(); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Savepoint{sp, inner} {
		if err := s.Rollback(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Rollback of a released savepoint: %v, want ErrInvalid", err)
		}
	}
	if err := (*Savepoint)(nil).Rollback(); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil savepoint: %v", err)
	}
	tx.Abort()
	if _, err := tx.Savepoint(); !errors.Is(err, ErrTxDone) {
		t.Errorf("Savepoint of an ended transaction: %v", err)
	}
	if err := sp.Release(); !errors.Is(err, ErrTxDone) {
		t.Errorf("Release after the end: %v", err)
	}
	r := MustTx(b.DB.BeginRead())
	if _, err := r.Savepoint(); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Savepoint of a read transaction: %v", err)
	}
	r.Abort()
	// A savepoint stays after a rollback to it, and the undo log is let
	// go once no savepoint needs it.
	MustUpdate(t, b.DB, func(tx *Tx) error {
		sp := MustSave(t, tx)
		for i := range 3 {
			if _, err := b.Posts.Insert(tx, Post{UserID: 1}); err != nil {
				return err
			}
			if err := sp.Rollback(); err != nil {
				t.Fatalf("rollback %d: %v", i, err)
			}
		}
		if err := sp.Release(); err != nil {
			return err
		}
		if tx.w.ops != 0 || len(tx.w.undo) != 0 || len(tx.w.saves) != 0 {
			t.Errorf("after the last release: %d operations, %d undo entries, %d savepoints", tx.w.ops, len(tx.w.undo), len(tx.w.saves))
		}
		return nil
	})
}

func MustSave(tb testing.TB, tx *Tx) *Savepoint {
	tb.Helper()
	sp, err := tx.Savepoint()
	if err != nil {
		tb.Fatal(err)
	}
	return sp
}
