package memrel

import (
	"errors"
	"testing"
)

// warm looks up every user often enough that the transaction's identity map
// (keyMap) is active, and fails unless it is.
func warm(tb testing.TB, b *blog, tx *Tx) {
	tb.Helper()
	for range seenAfter + 1 {
		for _, id := range []int64{1, 2} {
			if _, err := b.users.Get(tx, id); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if tx.seen == nil || len(tx.seen[b.users.info.id].ints) != 2 {
		tb.Fatalf("the identity map holds %v, want users 1 and 2", tx.seen)
	}
}

// A write transaction's own writes win over the rows its identity map holds
// from the snapshot it began with.
func TestIdentityMapSeesOwnWrites(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	mustUpdate(t, b.db, func(tx *Tx) error {
		warm(t, b, tx)
		if err := b.users.Update(tx, User{ID: 1, Name: "anne", Email: "ann@x"}); err != nil {
			return err
		}
		if u, err := b.users.Get(tx, 1); err != nil || u.Name != "anne" {
			t.Errorf("after an update: %+v, %v; want anne", u, err)
		}
		post, err := b.posts.Get(tx, 10)
		if err != nil {
			return err
		}
		if u, err := b.author.Parent(tx, post); err != nil || u.Name != "anne" {
			t.Errorf("the post's author after an update: %+v, %v; want anne", u, err)
		}
		if err := b.users.Delete(tx, 2); err != nil {
			return err
		}
		if _, err := b.users.Get(tx, 2); !errors.Is(err, ErrNotFound) {
			t.Errorf("after a delete: %v, want ErrNotFound", err)
		}
		if ok, _ := b.users.Has(tx, 2); ok {
			t.Error("Has finds a deleted user")
		}
		return nil
	})
}

// A read transaction keeps seeing its snapshot through the identity map,
// whatever commits meanwhile; the next one sees the commit.
func TestIdentityMapKeepsTheSnapshot(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	tx := mustTx(b.db.BeginRead())
	defer tx.Abort()
	warm(t, b, tx)
	mustUpdate(t, b.db, func(w *Tx) error { return b.users.Update(w, User{ID: 1, Name: "anne", Email: "ann@x"}) })
	if u, _ := b.users.Get(tx, 1); u.Name != "ann" {
		t.Errorf("the snapshot's user 1 is %q, want ann", u.Name)
	}
	_ = b.db.View(func(tx *Tx) error {
		if u, _ := b.users.Get(tx, 1); u.Name != "anne" {
			t.Errorf("a new transaction's user 1 is %q, want anne", u.Name)
		}
		return nil
	})
}

// The identity map holds at most seenMax rows a table, starting over when
// full; every lookup still finds its row.
func TestIdentityMapIsBounded(t *testing.T) {
	b := newBlog(t, defaultRules())
	n := seenMax + 100
	mustUpdate(t, b.db, func(tx *Tx) error {
		for i := 1; i <= n; i++ {
			if _, err := b.users.Insert(tx, User{Email: string(rune(i))}); err != nil {
				return err
			}
		}
		return nil
	})
	_ = b.db.View(func(tx *Tx) error {
		for round := range 2 {
			for i := 1; i <= n; i++ {
				if u, err := b.users.Get(tx, int64(i)); err != nil || u.ID != int64(i) {
					t.Fatalf("round %d: user %d: %+v, %v", round, i, u, err)
				}
			}
		}
		if got := len(tx.seen[b.users.info.id].ints); got == 0 || got > seenMax {
			t.Errorf("the identity map holds %d users, want 1 to %d", got, seenMax)
		}
		return nil
	})
}
