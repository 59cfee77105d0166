package memrel

import (
	"errors"
	"testing"
)

// warm looks up every user often enough that the transaction's identity map
// (keyMap) is active, and fails unless it is.
func warm(tb testing.TB, b *Blog, tx *Tx) {
	tb.Helper()
	for range seenAfter + 1 {
		for _, id := range []int64{1, 2} {
			if _, err := b.Users.Get(tx, id); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if tx.seen == nil || tx.seen[b.Users.info.id].len() != 2 {
		tb.Fatalf("the identity map holds %v, want users 1 and 2", tx.seen)
	}
}

// A write transaction's own writes win over the rows its identity map holds
// from the snapshot it began with.
func TestIdentityMapSeesOwnWrites(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error {
		warm(t, b, tx)
		if err := b.Users.Update(tx, User{ID: 1, Name: "anne", Email: "ann@x"}); err != nil {
			return err
		}
		if u, err := b.Users.Get(tx, 1); err != nil || u.Name != "anne" {
			t.Errorf("after an update: %+v, %v; want anne", u, err)
		}
		post, err := b.Posts.Get(tx, 10)
		if err != nil {
			return err
		}
		if u, err := b.Author.Parent(tx, post); err != nil || u.Name != "anne" {
			t.Errorf("the post's author after an update: %+v, %v; want anne", u, err)
		}
		if err := b.Users.Delete(tx, 2); err != nil {
			return err
		}
		if _, err := b.Users.Get(tx, 2); !errors.Is(err, ErrNotFound) {
			t.Errorf("after a delete: %v, want ErrNotFound", err)
		}
		if ok, _ := b.Users.Has(tx, 2); ok {
			t.Error("Has finds a deleted user")
		}
		return nil
	})
}

// A read transaction keeps seeing its snapshot through the identity map,
// whatever commits meanwhile; the next one sees the commit.
func TestIdentityMapKeepsTheSnapshot(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	tx := MustTx(b.DB.BeginRead())
	defer tx.Abort()
	warm(t, b, tx)
	MustUpdate(t, b.DB, func(w *Tx) error { return b.Users.Update(w, User{ID: 1, Name: "anne", Email: "ann@x"}) })
	if u, _ := b.Users.Get(tx, 1); u.Name != "ann" {
		t.Errorf("the snapshot's user 1 is %q, want ann", u.Name)
	}
	_ = b.DB.View(func(tx *Tx) error {
		if u, _ := b.Users.Get(tx, 1); u.Name != "anne" {
			t.Errorf("a new transaction's user 1 is %q, want anne", u.Name)
		}
		return nil
	})
}

// The identity map holds at most seenMax rows a table, starting over when
// full; every lookup still finds its row.
func TestIdentityMapIsBounded(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	n := seenMax + 100
	MustUpdate(t, b.DB, func(tx *Tx) error {
		for i := 1; i <= n; i++ {
			if _, err := b.Users.Insert(tx, User{Email: string(rune(i))}); err != nil {
				return err
			}
		}
		return nil
	})
	_ = b.DB.View(func(tx *Tx) error {
		for round := range 2 {
			for i := 1; i <= n; i++ {
				if u, err := b.Users.Get(tx, int64(i)); err != nil || u.ID != int64(i) {
					t.Fatalf("round %d: user %d: %+v, %v", round, i, u, err)
				}
			}
		}
		if got := tx.seen[b.Users.info.id].len(); got == 0 || got > seenMax {
			t.Errorf("the identity map holds %d users, want 1 to %d", got, seenMax)
		}
		return nil
	})
}
