package memrel

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// overlap runs first in a write transaction that commits while second's
// write transaction is waiting for the writer lock, and returns second's
// error.
func overlap(t *testing.T, db *DB, first, second func(tx *Tx) error) error {
	t.Helper()
	tx := MustTx(db.BeginWrite())
	if err := first(tx); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		close(started)
		result <- db.Update(second)
	}()
	<-started
	time.Sleep(20 * time.Millisecond) // let the second writer block on the lock
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return <-result
}

// A writer that waited for the lock checks references against the store as
// the writer before it left it: the parent it names was deleted meanwhile.
func TestWaitingWriterSeesDeletedParent(t *testing.T) {
	b := NewBlog(t, BlogRules{})
	MustUpdate(t, b.DB, func(tx *Tx) error {
		_, err := b.Users.Insert(tx, User{ID: 1, Email: "a"})
		return err
	})
	err := overlap(t, b.DB,
		func(tx *Tx) error { return b.Users.Delete(tx, 1) },
		func(tx *Tx) error { _, err := b.Posts.Insert(tx, Post{ID: 1, UserID: 1}); return err })
	if !errors.Is(err, ErrForeignKey) {
		t.Fatalf("insert of a post by a user deleted meanwhile: got %v, want ErrForeignKey", err)
	}
	verify(t, b.DB)
}

// A writer that waited for the lock sees the row the writer before it
// inserted, and does not silently replace it.
func TestWaitingWriterSeesInsertedKey(t *testing.T) {
	b := NewBlog(t, BlogRules{})
	err := overlap(t, b.DB,
		func(tx *Tx) error { _, err := b.Users.Insert(tx, User{ID: 5, Name: "first", Email: "a"}); return err },
		func(tx *Tx) error { _, err := b.Users.Insert(tx, User{ID: 5, Name: "second", Email: "b"}); return err })
	if !errors.Is(err, ErrUnique) {
		t.Fatalf("second insert of user 5: got %v, want ErrUnique", err)
	}
	mustView(t, b.DB, func(tx *Tx) error {
		u, err := b.Users.Get(tx, 5)
		if err != nil || u.Name != "first" {
			t.Errorf("user 5 = %+v, %v; want the first writer's", u, err)
		}
		return nil
	})
	verify(t, b.DB)
}

// An Update inside an Update on the same store can never start: it fails
// with ErrBusy after the store's WriteWait, naming where the outer one
// began, instead of hanging the test.
func TestNestedUpdateFailsWithErrBusy(t *testing.T) {
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	db, err := Open(s, WriteWait(30*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var inner error
	outer := db.Update(func(tx *Tx) error { // the outer Update: its line is in the error
		inner = db.Update(func(tx *Tx) error { _, err := users.Insert(tx, User{ID: 1}); return err })
		return nil
	})
	if outer != nil {
		t.Fatalf("outer Update: %v", outer)
	}
	if !errors.Is(inner, ErrBusy) {
		t.Fatalf("inner Update: got %v, want ErrBusy", inner)
	}
	for _, want := range []string{"writers_test.go:", "TestNestedUpdateFailsWithErrBusy", "waited 30ms"} {
		if !strings.Contains(inner.Error(), want) {
			t.Errorf("ErrBusy does not say %q: %v", want, inner)
		}
	}
	// The lock is free again, and the inner Update left nothing.
	tx, err := db.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := users.Has(tx, 1); ok {
		t.Error("the inner Update's row was stored")
	}
	tx.Abort()
	// BeginWrite while holding a write transaction does the same.
	tx = MustTx(db.BeginWrite())
	defer tx.Abort()
	if _, err := db.BeginWrite(); !errors.Is(err, ErrBusy) {
		t.Errorf("second BeginWrite: got %v, want ErrBusy", err)
	}
}

// A writer waits for the lock as long as WriteWait allows, and gets it
// when the holder ends within that time; a negative WriteWait waits for
// ever.
func TestWriteWait(t *testing.T) {
	for _, wait := range []time.Duration{time.Minute, -1} {
		s := NewSchema()
		NewTable(s, "users", func(u *User) *int64 { return &u.ID })
		db, err := Open(s, WriteWait(wait))
		if err != nil {
			t.Fatal(err)
		}
		tx := MustTx(db.BeginWrite())
		go func() {
			time.Sleep(20 * time.Millisecond)
			tx.Abort()
		}()
		if err := db.Update(func(*Tx) error { return nil }); err != nil {
			t.Errorf("WriteWait(%v): %v", wait, err)
		}
	}
}

// One write transaction shared by goroutines: each operation is atomic, so
// concurrent inserts, deletes with cascades and reads through it neither
// lose writes nor corrupt the store (run with -race).
func TestSharedWriteTransaction(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	const workers, each = 4, 200
	tx := MustTx(b.DB.BeginWrite())
	defer tx.Abort()
	var wg sync.WaitGroup
	errs := make(chan error, workers*2)
	for w := range workers {
		wg.Add(2)
		go func() { // a writer: users with posts; every fifth user deleted again
			defer wg.Done()
			for i := range each {
				id := int64(w*each + i + 1)
				if _, err := b.Users.Insert(tx, User{ID: id, Email: fmt.Sprint(id)}); err != nil {
					errs <- err
					return
				}
				if _, err := b.Posts.Insert(tx, Post{UserID: id}); err != nil {
					errs <- err
					return
				}
				if id%5 == 0 {
					if err := b.Users.Delete(tx, id); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
		go func() { // a reader through the same transaction
			defer wg.Done()
			for i := range each {
				for p := range b.Author.Children(tx, int64(w*each+i+1)) {
					if p.UserID != int64(w*each+i+1) {
						errs <- fmt.Errorf("post %d of user %d among user %d's", p.ID, p.UserID, w*each+i+1)
						return
					}
				}
				if i%50 == 0 { // Verify holds the lock: it sees no operation half done
					if err := tx.Verify(); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := tx.Verify(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	verify(t, b.DB)
	mustView(t, b.DB, func(tx *Tx) error {
		users, _ := b.Users.Len(tx)
		posts, _ := b.Posts.Len(tx)
		want := workers * each * 4 / 5
		if users != want || posts != want {
			t.Errorf("%d users and %d posts, want %d of each", users, posts, want)
		}
		return nil
	})
}

// One read transaction shared by goroutines, as go-memdb users share
// theirs: lookups, lazy and eager loads through its identity map and
// counters agree with a serial read (run with -race).
func TestSharedReadTransaction(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	MustUpdate(t, b.DB, func(tx *Tx) error {
		for u := int64(1); u <= 50; u++ {
			if _, err := b.Users.Insert(tx, User{ID: u, Email: fmt.Sprint(u)}); err != nil {
				return err
			}
			for range 4 {
				if _, err := b.Posts.Insert(tx, Post{UserID: u}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	tx := MustTx(b.DB.BeginRead())
	defer tx.Abort()
	posts := Many(b.Author)
	users, res, err := EagerAll(tx, b.Users, posts)
	if err != nil {
		t.Fatal(err)
	}
	want := ZipLoaded(users, BindOf(res, posts.Of))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				users, res, err := EagerAll(tx, b.Users, posts)
				if err != nil {
					t.Error(err)
					return
				}
				if diff := cmp.Diff(want, ZipLoaded(users, BindOf(res, posts.Of))); diff != "" {
					t.Errorf("EagerAll (-serial +shared):\n%s", diff)
					return
				}
				for _, u := range want {
					for _, p := range u.Loaded {
						a, err := b.Author.Parent(tx, p)
						if err != nil || a != u.Row {
							t.Errorf("Parent of post %d: %+v, %v", p.ID, a, err)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := tx.LoadStats(b.Author).Lazy; got != 4*20*200 {
		t.Errorf("%d lazy loads counted, want %d", got, 4*20*200)
	}
	if err := tx.Err(); err != nil {
		t.Error(err)
	}
}

// Ending a shared write transaction while other goroutines write through
// it: they get ErrTxDone, and nothing races (run with -race).
func TestEndingASharedWriteTransaction(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	var email atomic.Int64
	for range 20 {
		tx := MustTx(b.DB.BeginWrite())
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					_, err := b.Users.Insert(tx, User{Email: fmt.Sprint(email.Add(1))})
					if errors.Is(err, ErrTxDone) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					if err := tx.DeferConstraints(); err != nil && !errors.Is(err, ErrTxDone) {
						t.Error(err)
						return
					}
				}
			}()
		}
		time.Sleep(time.Millisecond)
		tx.Abort()
		wg.Wait()
	}
	verify(t, b.DB)
	mustView(t, b.DB, func(tx *Tx) error {
		if n, _ := b.Users.Len(tx); n != 0 {
			t.Errorf("%d users stored by aborted transactions", n)
		}
		return nil
	})
}

// An Update whose function ended its own transaction reports ErrTxDone
// instead of success: nothing was stored.
func TestUpdateAfterItsTransactionEnded(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	err := b.DB.Update(func(tx *Tx) error {
		if _, err := b.Users.Insert(tx, User{ID: 1}); err != nil {
			return err
		}
		tx.Abort()
		return nil
	})
	if !errors.Is(err, ErrTxDone) {
		t.Errorf("Update whose function aborted: %v, want ErrTxDone", err)
	}
}
