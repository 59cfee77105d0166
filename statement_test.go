package memrel

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Set-based statements: counts, cascades, RESTRICT per row and all or
// nothing, NO ACTION and the rows' own references checked when the
// statement ends.
func TestStatements(t *testing.T) {
	rules := BlogRules{Author: []Rule{OnDelete(Cascade)}, OnPost: []Rule{OnDelete(Cascade)}, Replies: []Rule{OnDelete(Cascade)}}
	b := NewBlog(t, rules).Seed(t)
	_ = b.DB.Update(func(tx *Tx) error { // rolled back

		n, err := b.Posts.DeleteWhere(tx, func(p Post) bool { return p.UserID == 1 })
		if err != nil || n != 2 {
			t.Errorf("DeleteWhere of ann's posts = %d, %v; want 2 (their comments cascade, not counted)", n, err)
		}
		if c, _ := b.Comments.Len(tx); c != 0 {
			t.Errorf("%d comments left after their post went", c)
		}
		n, err = b.Posts.DeleteWhere(tx, func(p Post) bool { return p.UserID == 1 })
		if err != nil || n != 0 {
			t.Errorf("a DeleteWhere matching nothing = %d, %v; want 0 rows, no error", n, err)
		}
		n, err = b.Posts.DeleteKeys(tx, 20, 99, 20)
		if err != nil || n != 1 {
			t.Errorf("DeleteKeys(20, 99, 20) = %d, %v; want 1", n, err)
		}
		return errors.New("roll back")
	})

	// RESTRICT as each row goes, all or nothing: bob's post 20 has an
	// editor, ann (RESTRICT), so deleting both users fails, and neither goes.
	r := BlogRules{Author: []Rule{OnDelete(Cascade)}, Editor: []Rule{OnDelete(Restrict)}, OnPost: []Rule{OnDelete(Cascade)}, Replies: []Rule{OnDelete(Cascade)}}
	b2 := NewBlog(t, r).Seed(t)
	before := dump(t, b2.DB)
	err := b2.DB.Update(func(tx *Tx) error {
		_, err := b2.Users.DeleteWhere(tx, func(User) bool { return true })
		return err
	})
	if !errors.Is(err, ErrRestrict) {
		t.Errorf("deleting every user: %v, want ErrRestrict", err)
	}
	if diff := cmp.Diff(before, dump(t, b2.DB)); diff != "" {
		t.Errorf("a rejected statement left changes:\n%s", diff)
	}

	// NO ACTION at the end of the statement: user 1 becomes 3 and user 5
	// becomes 1, so ann's posts (NO ACTION on update) find a user 1 again.
	b3 := NewBlog(t, BlogRules{}).Seed(t)
	MustUpdate(t, b3.DB, func(tx *Tx) error {
		if _, err := b3.Users.Insert(tx, User{ID: 5, Email: "e@x"}); err != nil {
			return err
		}
		n, err := b3.Users.UpdateWhere(tx, func(u User) bool { return u.ID != 2 }, func(u User) User {
			u.ID = map[int64]int64{1: 3, 5: 1}[u.ID]
			return u
		})
		if err != nil || n != 2 {
			t.Errorf("UpdateWhere re-keying both users = %d, %v", n, err)
		}
		return err
	})
	// ... but a statement that leaves one dangling is refused whole.
	err = b3.DB.Update(func(tx *Tx) error {
		_, err := b3.Users.UpdateWhere(tx, func(u User) bool { return u.ID == 1 }, func(u User) User { u.ID = 9; return u })
		return err
	})
	if !errors.Is(err, ErrForeignKey) {
		t.Errorf("re-keying a referenced user: %v, want ErrForeignKey", err)
	}
	// A row's own reference is checked when the statement ends: comment
	// 101 may point to 103, which the same statement then makes of 102.
	MustUpdate(t, b3.DB, func(tx *Tx) error {
		n, err := b3.Comments.UpdateWhere(tx, func(c Comment) bool { return c.ID >= 101 }, func(c Comment) Comment {
			switch c.ID {
			case 101:
				c.ParentID = NullFrom[int64](103)
			case 102:
				c.ID, c.ParentID = 103, NullFrom[int64](100)
			}
			return c
		})
		if err == nil && n != 2 {
			t.Errorf("UpdateWhere = %d", n)
		}
		return err
	})
	err = b3.DB.Update(func(tx *Tx) error {
		_, err := b3.Posts.UpdateWhere(tx, func(Post) bool { return true }, func(p Post) Post { p.UserID = 77; return p })
		return err
	})
	if !errors.Is(err, ErrForeignKey) {
		t.Errorf("posts moved to a missing user: %v, want ErrForeignKey", err)
	}
	verify(t, b3.DB)

	// Misuse.
	tx := MustTx(b3.DB.BeginWrite())
	if _, err := b3.Posts.DeleteWhere(tx, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil where: %v", err)
	}
	if _, err := b3.Posts.UpdateWhere(tx, func(Post) bool { return true }, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil set: %v", err)
	}
	if _, err := b3.Posts.DeleteWhere(tx, func(Post) bool { tx.Abort(); return true }); !errors.Is(err, ErrTxDone) {
		t.Errorf("a where that ends the transaction: %v", err)
	}
	r0 := MustTx(b3.DB.BeginRead())
	if _, err := b3.Posts.DeleteWhere(r0, func(Post) bool { return true }); !errors.Is(err, ErrReadOnly) {
		t.Errorf("DeleteWhere in a read transaction: %v", err)
	}
	r0.Abort()
}

// UpdateWhere's set runs with the transaction locked: a call it makes on the
// transaction fails at once, instead of waiting for ever for the lock its
// own goroutine holds, and the statement and the transaction go on.
func TestUpdateWhereSetMustNotUseTheTransaction(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t)
	done := make(chan error, 1)
	go func() {
		done <- b.DB.Update(func(tx *Tx) error {
			var inner []error
			n, err := b.Posts.UpdateWhere(tx, func(Post) bool { return true }, func(p Post) Post {
				_, err := b.Users.Get(tx, p.UserID)
				inner = append(inner, err)
				for range b.Users.All(tx) {
				}
				_, err = b.Users.Len(tx)
				inner = append(inner, err, tx.Err())
				return p
			})
			if err != nil || n != 3 {
				t.Errorf("UpdateWhere = %d, %v", n, err)
			}
			for _, e := range inner {
				if e != nil && !errors.Is(e, ErrInvalid) {
					t.Errorf("a call from set: %v, want ErrInvalid", e)
				}
			}
			if !errors.Is(inner[0], ErrInvalid) {
				t.Errorf("Get from set: %v, want ErrInvalid", inner[0])
			}
			if _, err := b.Users.Get(tx, 1); err != nil {
				t.Errorf("Get after the statement: %v", err)
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInvalid) { // the sequence's refusal is recorded for Commit
			t.Errorf("Update = %v, want the recorded ErrInvalid", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("UpdateWhere's set using the transaction hung")
	}
}
