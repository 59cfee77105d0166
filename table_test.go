package memrel

import (
	"errors"
	"testing"
)

// Len is a kept count: it follows inserts, cascaded deletes, rejected
// operations (rolled back), aborts, commits and forks, in the writer and in
// readers, and always equals a scan of the table.
func TestLenIsCounted(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t) // 2 users, 3 posts, 3 comments
	lens := func(tx *Tx) [3]int {
		t.Helper()
		var out [3]int
		for i, n := range []func(*Tx) (int, error){b.Users.Len, b.Posts.Len, b.Comments.Len} {
			v, err := n(tx)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = v
		}
		// The count agrees with a scan.
		scan := [3]int{}
		for range b.Users.All(tx) {
			scan[0]++
		}
		for range b.Posts.All(tx) {
			scan[1]++
		}
		for range b.Comments.All(tx) {
			scan[2]++
		}
		if out != scan {
			t.Fatalf("Len %v, a scan counts %v", out, scan)
		}
		return out
	}
	want := func(tx *Tx, w [3]int) {
		t.Helper()
		if got := lens(tx); got != w {
			t.Errorf("users, posts, comments = %v, want %v", got, w)
		}
	}
	mustView(t, b.DB, func(tx *Tx) error { want(tx, [3]int{2, 3, 3}); return nil })

	old, err := b.DB.BeginRead()
	if err != nil {
		t.Fatal(err)
	}
	defer old.Abort()
	fork := b.DB.Fork()

	MustUpdate(t, b.DB, func(tx *Tx) error {
		if err := b.Users.Delete(tx, 1); err != nil { // cascades to 2 posts, 3 comments
			return err
		}
		want(tx, [3]int{1, 1, 0})
		// A rejected insert leaves the counts as they were.
		if _, err := b.Posts.Insert(tx, Post{ID: 40, UserID: 9}); !errors.Is(err, ErrForeignKey) {
			t.Errorf("insert of an orphan: %v", err)
		}
		if _, err := b.Users.Insert(tx, User{ID: 3, Email: "c@x"}); err != nil {
			return err
		}
		want(tx, [3]int{2, 1, 0})
		return nil
	})
	mustView(t, b.DB, func(tx *Tx) error { want(tx, [3]int{2, 1, 0}); return nil })
	want(old, [3]int{2, 3, 3}) // an older reader keeps its snapshot's counts
	mustView(t, fork, func(tx *Tx) error { want(tx, [3]int{2, 3, 3}); return nil })

	// An aborted transaction counts for nothing.
	tx, err := b.DB.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Users.Insert(tx, User{ID: 4, Email: "d@x"}); err != nil {
		t.Fatal(err)
	}
	want(tx, [3]int{3, 1, 0})
	tx.Abort()
	mustView(t, b.DB, func(tx *Tx) error { want(tx, [3]int{2, 1, 0}); return nil })

	// Inserts and a cascade that cancel out, in a fork.
	MustUpdate(t, fork, func(tx *Tx) error {
		if _, err := b.Users.Upsert(tx, User{ID: 5, Email: "e@x"}); err != nil {
			return err
		}
		if _, err := b.Posts.Insert(tx, Post{ID: 50, UserID: 5}); err != nil {
			return err
		}
		if _, err := b.Comments.Insert(tx, Comment{ID: 500, PostID: 50}); err != nil {
			return err
		}
		want(tx, [3]int{3, 4, 4})
		if err := b.Users.Delete(tx, 5); err != nil {
			return err
		}
		want(tx, [3]int{2, 3, 3})
		return nil
	})
	verify(t, fork)
	verify(t, b.DB)
}
