package memrel

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeferred(t *testing.T) {
	deferred := DefaultRules()
	deferred.Author = []Rule{Deferred()}
	deferred.OnPost = []Rule{Deferred()}

	t.Run("any order, then commit", func(t *testing.T) {
		b := NewBlog(t, deferred)
		MustUpdate(t, b.DB, func(tx *Tx) error {
			if _, err := b.Comments.Insert(tx, Comment{ID: 1, PostID: 5}); err != nil {
				return err
			}
			if _, err := b.Posts.Insert(tx, Post{ID: 5, UserID: 9}); err != nil {
				return err
			}
			_, err := b.Users.Insert(tx, User{ID: 9, Email: "9"})
			return err
		})
		verify(t, b.DB)
	})

	t.Run("dangling at commit: every violation, nothing persists", func(t *testing.T) {
		b := NewBlog(t, deferred)
		b.Seed(t)
		unchanged(t, b.DB, func() {
			err := b.DB.Update(func(tx *Tx) error {
				if _, err := b.Posts.Insert(tx, Post{ID: 5, UserID: 9}); err != nil {
					return err
				}
				if _, err := b.Comments.Insert(tx, Comment{ID: 1, PostID: 6}); err != nil {
					return err
				}
				// NO ACTION deferred: deleting a parent with children is
				// accepted now and reported at commit.
				if err := b.Users.Delete(tx, 2); err != nil {
					return err
				}
				// Verify in the transaction sees all three.
				if err := tx.Verify(); err == nil {
					t.Error("Verify inside the transaction found nothing")
				}
				return nil
			})
			var ie *IntegrityError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want *IntegrityError", err)
			}
			got := []string{}
			for _, v := range ie.Violations {
				got = append(got, v.Error())
			}
			want := []string{
				"memrel: commit posts 5: foreign key violation: users 9 does not exist (posts.author)",
				"memrel: commit comments 1: foreign key violation: posts 6 does not exist (comments.post)",
				"memrel: commit users 2: foreign key violation: posts 20 references it through posts.author",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
			if !errors.Is(err, ErrForeignKey) {
				t.Error("errors.Is(err, ErrForeignKey) is false")
			}
		})
	})

	t.Run("repaired before commit", func(t *testing.T) {
		b := NewBlog(t, deferred)
		b.Seed(t)
		MustUpdate(t, b.DB, func(tx *Tx) error {
			if err := b.Users.Delete(tx, 2); err != nil { // post 20 dangles
				return err
			}
			_, err := b.Users.Insert(tx, User{ID: 2, Name: "bob again", Email: "b2"}) // the key comes back
			return err
		})
		verify(t, b.DB)
	})

	t.Run("cycle", func(t *testing.T) {
		// Two users who are each other's... posts' authors: a cycle through
		// a deferred self-reference.
		r := DefaultRules()
		r.Replies = []Rule{Deferred()}
		b := NewBlog(t, r)
		b.Seed(t)
		MustUpdate(t, b.DB, func(tx *Tx) error {
			if _, err := b.Comments.Insert(tx, Comment{ID: 1, PostID: 10, ParentID: NullFrom[int64](2)}); err != nil {
				return err
			}
			_, err := b.Comments.Insert(tx, Comment{ID: 2, PostID: 10, ParentID: NullFrom[int64](1)})
			return err
		})
		verify(t, b.DB)
	})

	t.Run("transaction-wide", func(t *testing.T) {
		b := NewBlog(t, BlogRules{}) // nothing deferred by the schema
		err := b.DB.Update(func(tx *Tx) error {
			if err := tx.DeferConstraints(); err != nil {
				return err
			}
			if _, err := b.Posts.Insert(tx, Post{ID: 5, UserID: 9}); err != nil {
				return err
			}
			_, err := b.Users.Insert(tx, User{ID: 9, Email: "9"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		verify(t, b.DB)
	})

	t.Run("restrict is never deferred", func(t *testing.T) {
		r := DefaultRules()
		r.Author = []Rule{OnDelete(Restrict), Deferred()}
		b := NewBlog(t, r)
		b.Seed(t)
		unchanged(t, b.DB, func() {
			err := b.DB.Update(func(tx *Tx) error {
				_ = tx.DeferConstraints()
				err := b.Users.Delete(tx, 2)
				if !errors.Is(err, ErrRestrict) {
					t.Errorf("got %v, want ErrRestrict at once", err)
				}
				return err
			})
			if err == nil {
				t.Fatal("committed")
			}
		})
	})

	t.Run("actions still run at once", func(t *testing.T) {
		r := DefaultRules()
		r.Author = []Rule{OnDelete(Cascade), Deferred()}
		b := NewBlog(t, r)
		b.Seed(t)
		MustUpdate(t, b.DB, func(tx *Tx) error {
			if err := b.Users.Delete(tx, 2); err != nil {
				return err
			}
			if ok, _ := b.Posts.Has(tx, 20); ok {
				t.Error("post 20 still there right after its author's delete")
			}
			return nil
		})
	})
}

// Regression: a child inserted with a dangling deferred reference and then
// re-keyed must still be reported at commit, under its new key.
func TestRekeyedChildKeepsItsDeferredCheck(t *testing.T) {
	b := newEditorBlog(t, Deferred())
	err := b.DB.Update(func(tx *Tx) error {
		if _, err := b.Posts.Insert(tx, edited(4, 9)); err != nil {
			return err
		}
		return b.Posts.UpdateKey(tx, 4, edited(1, 9))
	})
	want := "memrel: commit: 1 violation\n\tmemrel: commit posts 1: foreign key violation: users 9 does not exist (posts.editor)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}

// Deferred checks are told apart by table and key as values: with more
// than 112 tables, a child check of table 112 ("p") and a parent check of
// table 5 used to share a key, and the second was skipped.
func TestDeferredChecksDoNotCollide(t *testing.T) {
	type node struct {
		ID  string
		Ref Null[string]
	}
	s := NewSchema()
	var tables []*Table[node, string]
	for i := range 113 {
		tables = append(tables, NewTable(s, fmt.Sprintf("t%d", i), func(n *node) *string { return &n.ID }))
	}
	NullableForeignKey(tables[6], "ref", func(n *node) *Null[string] { return &n.Ref }, tables[5])
	NullableForeignKey(tables[112], "ref", func(n *node) *Null[string] { return &n.Ref }, tables[5])
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx *Tx) error {
		if _, err := tables[5].Insert(tx, node{ID: "abc"}); err != nil {
			return err
		}
		_, err := tables[6].Insert(tx, node{ID: "child", Ref: NullFrom("abc")})
		return err
	})
	err = db.Update(func(tx *Tx) error {
		if err := tx.DeferConstraints(); err != nil {
			return err
		}
		if err := tables[5].Delete(tx, "abc"); err != nil { // a parent check of (t5, "abc")
			return err
		}
		if err := tables[6].Delete(tx, "child"); err != nil { // which then passes
			return err
		}
		// A child check of (t112, "\x05abc"), which fails.
		_, err := tables[112].Insert(tx, node{ID: "\x05abc", Ref: NullFrom("missing")})
		return err
	})
	if !errors.Is(err, ErrForeignKey) {
		t.Fatalf("commit with a dangling deferred reference: %v", err)
	}
	verify(t, db)
}

// A deferred parent check of a re-key and one of a deletion of the same key
// see different relations (those NO ACTION on update, on delete): both run
// at commit.
func TestDeferredParentChecksOfRekeyAndDelete(t *testing.T) {
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	posts := NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	comments := NewTable(s, "comments", func(c *Comment) *int64 { return &c.ID })
	ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users, OnDelete(Cascade), Deferred())
	ForeignKey(comments, "by", func(c *Comment) *int64 { return &c.PostID }, users, OnUpdate(Cascade), Deferred())
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx *Tx) error {
		if _, err := users.Insert(tx, User{ID: 1}); err != nil {
			return err
		}
		_, err := posts.Insert(tx, Post{ID: 10, UserID: 1})
		return err
	})
	err = db.Update(func(tx *Tx) error {
		// The re-key leaves post 10 on key 1 (NO ACTION on update).
		if err := users.UpdateKey(tx, 1, User{ID: 2}); err != nil {
			return err
		}
		// User 1 again, with a comment by it; its deletion cascades post 10
		// away and leaves comment 20 on key 1 (NO ACTION on delete).
		if _, err := users.Insert(tx, User{ID: 1}); err != nil {
			return err
		}
		if _, err := comments.Insert(tx, Comment{ID: 20, PostID: 1}); err != nil {
			return err
		}
		return users.Delete(tx, 1)
	})
	if !errors.Is(err, ErrForeignKey) {
		t.Fatalf("commit with comment 20 dangling: %v", err)
	}
	verify(t, db)
}
