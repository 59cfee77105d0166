package memrel

import (
	"errors"
	"strings"
	"testing"
)

// Reads by key are counted on their table, and a strict transaction allows
// StrictGets of them per table: a handler's reads pass, a loop's fail with
// a hint that is Go, and GetBatch reads any number in one batch.
func TestStrictGets(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t)
	posts := []int64{10, 11, 20}
	loop := func(tx *Tx) error {
		for _, id := range posts {
			if _, err := b.Posts.Get(tx, id); err != nil {
				return err
			}
		}
		return nil
	}
	mustView(t, b.DB, func(tx *Tx) error {
		if err := loop(tx); err != nil {
			return err
		}
		if ok, err := b.Users.Has(tx, 1); !ok || err != nil {
			t.Errorf("Has(1) = %v, %v", ok, err)
		}
		if _, err := b.Email.First(tx, "bob@x"); err != nil {
			return err
		}
		if got, want := tx.LoadStats(b.Posts), (LoadStats{Lazy: 3, Rows: 3}); got != want {
			t.Errorf("LoadStats(posts) = %+v, want %+v", got, want)
		}
		if got, want := tx.LoadStats(b.Users), (LoadStats{Lazy: 2, Rows: 1}); got != want {
			t.Errorf("LoadStats(users) = %+v, want %+v (Has finds no row to count)", got, want)
		}
		return nil
	})
	if got := b.DB.LoadStats(b.Posts); got.Lazy != 3 {
		t.Errorf("the store's LoadStats(posts) = %+v, want the ended transaction's 3 Gets", got)
	}

	strict := b.DB.Fork(Strict(true))
	err := strict.View(loop)
	checkHint(t, "Get", err, map[string]bool{"GetBatch": true})
	if err == nil || !strings.Contains(err.Error(), "Get of posts, read by key 3 times") {
		t.Errorf("a third Get of posts in strict mode: %v", err)
	}
	_ = strict.View(func(tx *Tx) error {
		_ = loop(tx) // three Gets, the third refused
		_, err := b.Posts.Get(tx, 10)
		if err == nil || !strings.Contains(err.Error(), "read by key 4 times") {
			t.Errorf("the fourth Get: %v, want it counted as the fourth", err)
		}
		return nil
	})
	handler := func(tx *Tx) error {
		if _, err := b.Users.Get(tx, 1); err != nil {
			return err
		}
		if _, err := b.Email.First(tx, "bob@x"); err != nil {
			return err
		}
		got, err := b.Posts.GetBatch(tx, posts)
		if err != nil {
			return err
		}
		if len(got) != 3 || got[2].ID != 20 {
			t.Errorf("GetBatch = %v", got)
		}
		if got := tx.LoadStats(b.Posts); got != (LoadStats{Batches: 1, Rows: 3}) {
			t.Errorf("LoadStats(posts) after GetBatch = %+v", got)
		}
		return nil
	}
	if err := strict.View(handler); err != nil {
		t.Errorf("a handler's two reads of users and a GetBatch in strict mode: %v", err)
	}
	if err := b.DB.Fork(Strict(true), StrictGets(-1)).View(loop); err != nil {
		t.Errorf("StrictGets(-1): %v", err)
	}
	if err := b.DB.Fork(Strict(true), StrictGets(0)).View(handler); !errors.Is(err, ErrLazyLoad) {
		t.Errorf("StrictGets(0) allowed a Get: %v", err)
	}
	mustView(t, b.DB, func(tx *Tx) error {
		_, err := b.Posts.GetBatch(tx, []int64{10, 99})
		var nf *NotFoundError
		if !errors.As(err, &nf) || nf.Key != "99" {
			t.Errorf("GetBatch with a missing key: %v", err)
		}
		return nil
	})
}
