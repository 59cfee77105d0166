package memrel

import (
	"runtime"
	"testing"
	"time"
)

// fired reports whether ch is closed. A commit closes the watches it
// fires before it returns, so there is nothing to wait for.
func fired(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func watch(tb testing.TB, db *DB, rel *Relation[Post, User, int64], k int64) <-chan struct{} {
	tb.Helper()
	var ch <-chan struct{}
	mustView(tb, db, func(tx *Tx) (err error) { ch, err = rel.Watch(tx, k); return err })
	return ch
}

// A watch fires when a commit changes the watched children (one added,
// rewritten, moved away, deleted by a cascade), and not for other changes,
// on a store and on its forks alike, each for its own commits.
func TestWatch(t *testing.T) {
	base := NewBlog(t, DefaultRules())
	base.Seed(t)
	goroutines := runtime.NumGoroutine()
	stores := map[string]*DB{"store": base.DB, "fork": base.DB.Fork(), "fork of a fork": base.DB.Fork().Fork()}
	for name, db := range stores {
		t.Run(name, func(t *testing.T) {
			b := *base
			b.DB = db
			ch := watch(t, db, b.Author, 2)
			if fired(ch) {
				t.Fatal("fired before any change")
			}
			// Changes elsewhere: another table, another parent's
			// children, user 2's own row.
			MustUpdate(t, db, func(tx *Tx) error { _, err := b.Users.Insert(tx, User{ID: 3, Email: "c"}); return err })
			MustUpdate(t, db, func(tx *Tx) error { _, err := b.Posts.Insert(tx, Post{ID: 12, UserID: 1}); return err })
			MustUpdate(t, db, func(tx *Tx) error { return b.Users.Update(tx, User{ID: 2, Name: "robert", Email: "bob@x"}) })
			if fired(ch) {
				t.Fatal("fired for a change to other rows")
			}
			// An aborted change does not fire either.
			_ = db.Update(func(tx *Tx) error {
				if _, err := b.Posts.Insert(tx, Post{ID: 21, UserID: 2}); err != nil {
					return err
				}
				return errAbort
			})
			if fired(ch) {
				t.Fatal("fired for an aborted change")
			}
			steps := []struct {
				what string
				fn   func(tx *Tx) error
			}{
				{"user 2 got a post", func(tx *Tx) error { _, err := b.Posts.Insert(tx, Post{ID: 21, UserID: 2}); return err }},
				{"a post of user 2 was rewritten", func(tx *Tx) error { return b.Posts.Update(tx, Post{ID: 21, Title: "new", UserID: 2}) }},
				{"a post left user 2", func(tx *Tx) error { return b.Posts.Update(tx, Post{ID: 21, UserID: 1}) }},
				{"user 2 was deleted, with its posts", func(tx *Tx) error { return b.Users.Delete(tx, 2) }},
			}
			for _, s := range steps {
				ch := watch(t, db, b.Author, 2)
				MustUpdate(t, db, s.fn)
				if !fired(ch) {
					t.Fatalf("did not fire when %s", s.what)
				}
			}
		})
	}
	// The original saw none of the forks' commits, and the forks none of
	// each other's: each has its own rows.
	verify(t, base.DB)
	noLeak(t, goroutines)
}

// noLeak fails the test unless the number of goroutines comes back to
// before within a second (subtests' goroutines take a moment to exit).
func noLeak(tb testing.TB, before int) {
	tb.Helper()
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		tb.Errorf("goroutines: %d before, %d after", before, n)
	}
}

var errAbort = errorString("abort")

type errorString string

func (e errorString) Error() string { return string(e) }

// A watch taken in a transaction whose snapshot is older than the store
// comes closed if its children have changed since, and open if they have
// not. In a write transaction, a watch is on the store as the transaction
// began, and its own commit fires it.
func TestWatchFromAnOldSnapshot(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	old := MustTx(b.DB.BeginRead())
	defer old.Abort()
	MustUpdate(t, b.DB, func(tx *Tx) error { _, err := b.Posts.Insert(tx, Post{ID: 21, UserID: 2}); return err })
	changed, err := b.Author.Watch(old, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !fired(changed) {
		t.Error("a watch on children changed since the snapshot is not closed")
	}
	same, err := b.Author.Watch(old, 1)
	if err != nil {
		t.Fatal(err)
	}
	if fired(same) {
		t.Error("a watch on children unchanged since the snapshot is closed")
	}

	var mine <-chan struct{}
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if _, err := b.Posts.Insert(tx, Post{ID: 13, UserID: 1}); err != nil {
			return err
		}
		var err error
		mine, err = b.Author.Watch(tx, 1)
		if err != nil {
			return err
		}
		if fired(mine) {
			t.Error("a writer's watch is closed by its own uncommitted write")
		}
		return nil
	})
	if !fired(mine) || !fired(same) {
		t.Error("a commit did not fire the watches on the children it changed")
	}
}

// Watches on many keys: only those whose children changed fire, and the
// store forgets the watches it has fired.
func TestWatchFiresOnlyChangedKeys(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	MustUpdate(t, b.DB, func(tx *Tx) error {
		for u := int64(1); u <= 300; u++ {
			if _, err := b.Users.Insert(tx, User{ID: u, Email: string(rune(u))}); err != nil {
				return err
			}
		}
		return nil
	})
	chs := map[int64]<-chan struct{}{}
	for u := int64(1); u <= 300; u++ {
		chs[u] = watch(t, b.DB, b.Author, u)
	}
	// Keys 255, 256 and 257 share all but their last byte or two.
	MustUpdate(t, b.DB, func(tx *Tx) error { _, err := b.Posts.Insert(tx, Post{UserID: 256}); return err })
	for u, ch := range chs {
		if got := fired(ch); got != (u == 256) {
			t.Errorf("watch on user %d: fired %v", u, got)
		}
	}
	b.DB.watches.mu.Lock()
	n := len(b.DB.watches.m)
	b.DB.watches.mu.Unlock()
	if n != 299 {
		t.Errorf("%d watches kept, want 299", n)
	}
}
