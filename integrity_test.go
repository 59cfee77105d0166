package memrel

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The tests of a single relation's rules use the blog's editor relation:
// users are its parents, posts its children. Every post is written by user
// writer, whose author relation (NO ACTION) they never touch.
const writer = 99

// newEditorBlog is the blog with rules r on its editor relation, and no
// other rules, holding only user writer.
func newEditorBlog(tb testing.TB, r ...Rule) *Blog {
	tb.Helper()
	b := NewBlog(tb, BlogRules{Editor: r})
	MustUpdate(tb, b.DB, func(tx *Tx) error { _, err := b.Users.Insert(tx, numberedUser(writer)); return err })
	return b
}

// edited is post id, written by writer and edited by user editor.
func edited(id, editor int64) Post {
	return Post{ID: id, UserID: writer, EditorID: NotNull(editor)}
}

// TestActions runs every action on both events (delete of the parent, and a
// change of its key) with one child referencing it: a user, and a post it
// edits.
func TestActions(t *testing.T) {
	type event string
	const del, rekey event = "delete", "rekey"
	deleted := Post{ID: -1}
	cases := []struct {
		action  Action
		event   event
		def     int64 // Default; parent 7 exists
		wantErr error
		want    Post // the child afterwards; deleted for none
	}{
		{NoAction, del, 0, ErrForeignKey, Post{}},
		{NoAction, rekey, 0, ErrForeignKey, Post{}},
		{Restrict, del, 0, ErrRestrict, Post{}},
		{Restrict, rekey, 0, ErrRestrict, Post{}},
		{Cascade, del, 0, nil, deleted},
		{Cascade, rekey, 0, nil, edited(1, 2)},
		{SetNull, del, 0, nil, Post{ID: 1, UserID: writer}},
		{SetNull, rekey, 0, nil, Post{ID: 1, UserID: writer}},
		{SetDefault, del, 7, nil, edited(1, 7)},
		{SetDefault, rekey, 7, nil, edited(1, 7)},
		{SetDefault, del, 8, ErrForeignKey, Post{}},   // the default has no parent
		{SetDefault, rekey, 8, ErrForeignKey, Post{}}, // likewise
	}
	for _, c := range cases {
		for _, withChild := range []bool{true, false} {
			name := fmt.Sprintf("%s/%s/default=%d/child=%v", c.action, c.event, c.def, withChild)
			t.Run(name, func(t *testing.T) {
				r := []Rule{OnDelete(c.action), OnUpdate(c.action), Default(int64(c.def))}
				b := newEditorBlog(t, r...)
				MustUpdate(t, b.DB, func(tx *Tx) error {
					for _, id := range []int64{1, 7} {
						if _, err := b.Users.Insert(tx, numberedUser(id)); err != nil {
							return err
						}
					}
					if withChild {
						_, err := b.Posts.Insert(tx, edited(1, 1))
						return err
					}
					return nil
				})
				op := func(tx *Tx) error {
					if c.event == del {
						return b.Users.Delete(tx, 1)
					}
					return b.Users.UpdateKey(tx, 1, numberedUser(2))
				}
				if !withChild || c.wantErr == nil {
					MustUpdate(t, b.DB, op)
					verify(t, b.DB)
					if !withChild {
						return
					}
					var got Post
					err := b.DB.View(func(tx *Tx) (err error) { got, err = b.Posts.Get(tx, 1); return err })
					if c.want == deleted {
						if !errors.Is(err, ErrNotFound) {
							t.Fatalf("child: got %+v, %v; want it deleted", got, err)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(c.want, got); diff != "" {
						t.Errorf("child (-want +got):\n%s", diff)
					}
					return
				}
				unchanged(t, b.DB, func() {
					err := b.DB.Update(op)
					if !errors.Is(err, c.wantErr) {
						t.Fatalf("got %v, want %v", err, c.wantErr)
					}
					var ce *ConstraintError
					if !errors.As(err, &ce) || ce.Constraint != "posts.editor" {
						t.Errorf("want a *ConstraintError naming posts.editor, got %#v", err)
					}
				})
			})
		}
	}
}

func TestInsertChildWithoutParent(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	for _, p := range []Post{
		{Title: "no author", UserID: 9},
		{Title: "no editor", UserID: 1, EditorID: NotNull[int64](9)},
	} {
		unchanged(t, b.DB, func() {
			err := b.DB.Update(func(tx *Tx) error { _, err := b.Posts.Insert(tx, p); return err })
			if !errors.Is(err, ErrForeignKey) {
				t.Fatalf("insert %+v: got %v, want ErrForeignKey", p, err)
			}
		})
	}
	// An update that points a child at nothing is rejected the same way.
	unchanged(t, b.DB, func() {
		err := b.DB.Update(func(tx *Tx) error { return b.Posts.Update(tx, Post{10, "a1", 9, Null[int64]{}}) })
		if !errors.Is(err, ErrForeignKey) {
			t.Fatalf("got %v, want ErrForeignKey", err)
		}
	})
	// NULL is never checked.
	MustUpdate(t, b.DB, func(tx *Tx) error {
		_, err := b.Posts.Insert(tx, Post{ID: 30, UserID: 2, EditorID: Null[int64]{}})
		return err
	})
	verify(t, b.DB)
}

func TestConstraintErrorMessage(t *testing.T) {
	b := NewBlog(t, BlogRules{Author: []Rule{OnDelete(Restrict)}})
	b.Seed(t)
	err := b.DB.Update(func(tx *Tx) error { return b.Users.Delete(tx, 2) })
	want := "memrel: delete users 2: restrict violation: posts 20 references it through posts.author"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	var ce *ConstraintError
	if !errors.As(err, &ce) {
		t.Fatal("not a *ConstraintError")
	}
	wantCE := &ConstraintError{Op: "delete", Table: "users", Key: "2", Constraint: "posts.author", Parent: "users 2", Child: "posts 20", Err: ErrRestrict}
	if diff := cmp.Diff(*wantCE, *ce, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A cascade rejected several levels down undoes all of it, and the
// transaction goes on.
func TestFailedDeepCascadeLeavesTransactionAsBefore(t *testing.T) {
	r := DefaultRules()
	r.Replies = []Rule{OnDelete(Restrict)} // replies block their parents' deletion
	b := NewBlog(t, r)
	b.Seed(t)
	tx := MustTx(b.DB.BeginWrite())
	defer tx.Abort()
	if _, err := b.Users.Insert(tx, User{ID: 3, Name: "cy", Email: "cy@x"}); err != nil {
		t.Fatal(err)
	}
	before := dumpTx(tx)
	// users 1 -> posts 10 -> comments 100 <- 101 (RESTRICT) : rejected at depth 3.
	err := b.Users.Delete(tx, 1)
	if !errors.Is(err, ErrRestrict) {
		t.Fatalf("got %v, want ErrRestrict", err)
	}
	if diff := cmp.Diff(before, dumpTx(tx)); diff != "" {
		t.Fatalf("transaction changed by a rejected delete (-before +after):\n%s", diff)
	}
	if err := tx.Verify(); err != nil {
		t.Fatal(err)
	}
	// Still usable, and its earlier work commits.
	if err := b.Users.Delete(tx, 2); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got := dump(t, b.DB)
	if len(got["users"]) != 2 || got["users"][1].(*User).Name != "cy" {
		t.Errorf("users after commit: %v", got["users"])
	}
	verify(t, b.DB)
}

func TestCascadeDeleteThroughLevels(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Users.Delete(tx, 1) })
	verify(t, b.DB)
	want := map[string][]any{
		"users":     {&User{2, "bob", "bob@x"}},
		"posts":     {&Post{20, "b1", 2, Null[int64]{}}}, // editor 1 set to NULL
		"comments":  {},
		"tags":      {},
		"post_tags": {},
	}
	if diff := cmp.Diff(want, dump(t, b.DB)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Two relations from posts to users keep their own actions.
func TestTwoRelationsBetweenSameTables(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Users.UpdateKey(tx, 1, User{5, "ann", "ann@x"}) })
	verify(t, b.DB)
	got := dump(t, b.DB)["posts"]
	want := []any{&Post{10, "a1", 5, Null[int64]{}}, &Post{11, "a2", 5, Null[int64]{}}, &Post{20, "b1", 2, NotNull[int64](5)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("posts after re-keying user 1 to 5 (-want +got):\n%s", diff)
	}
}

func TestSelfReferentialCascade(t *testing.T) {
	for _, action := range []Action{Cascade, SetNull} {
		t.Run(action.String(), func(t *testing.T) {
			r := DefaultRules()
			r.Replies = []Rule{OnDelete(action)}
			b := NewBlog(t, r)
			b.Seed(t)
			MustUpdate(t, b.DB, func(tx *Tx) error { return b.Comments.Delete(tx, 100) })
			verify(t, b.DB)
			var want []any
			if action == SetNull {
				want = []any{&Comment{101, 10, Null[int64]{}, "reply"}, &Comment{102, 10, NotNull[int64](101), "reply to reply"}}
			} else {
				want = []any{}
			}
			if diff := cmp.Diff(want, dump(t, b.DB)["comments"]); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// A row that references itself does not block its own deletion.
func TestSelfReferenceRestrictOnItself(t *testing.T) {
	r := DefaultRules()
	r.Replies = []Rule{OnDelete(Restrict)}
	b := NewBlog(t, r)
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error {
		_, err := b.Comments.Insert(tx, Comment{200, 11, NotNull[int64](200), "me"})
		return err
	})
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Comments.Delete(tx, 200) })
	verify(t, b.DB)
}

// chain builds a self-referential chain 1 <- 2 <- ... <- n of comments.
func chain(tb testing.TB, b *Blog, n int64) {
	tb.Helper()
	MustUpdate(tb, b.DB, func(tx *Tx) error {
		if _, err := b.Users.Insert(tx, User{1, "ann", "ann@x"}); err != nil {
			return err
		}
		if _, err := b.Posts.Insert(tx, Post{ID: 1, UserID: 1}); err != nil {
			return err
		}
		for i := int64(1); i <= n; i++ {
			c := Comment{ID: i, PostID: 1}
			if i > 1 {
				c.ParentID = NotNull(i - 1)
			}
			if _, err := b.Comments.Insert(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestDeepChainCascades(t *testing.T) {
	n := int64(10_000)
	if *scale {
		n = 100_000
	}
	for _, action := range []Action{Cascade, SetNull} {
		t.Run(action.String(), func(t *testing.T) {
			r := DefaultRules()
			r.Replies = []Rule{OnDelete(action), OnUpdate(Cascade)}
			b := NewBlog(t, r)
			chain(t, b, n)
			// Re-keying the root moves its child's reference, one level only.
			root := n + 1
			MustUpdate(t, b.DB, func(tx *Tx) error { return b.Comments.UpdateKey(tx, 1, Comment{ID: root, PostID: 1}) })
			// Deleting the root takes the whole chain (or detaches one child).
			MustUpdate(t, b.DB, func(tx *Tx) error { return b.Comments.Delete(tx, root) })
			var left int
			err := b.DB.View(func(tx *Tx) (err error) { left, err = b.Comments.Len(tx); return err })
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if action == SetNull {
				want = int(n - 1)
			}
			if left != want {
				t.Fatalf("%d comments left, want %d", left, want)
			}
			// Deleting the post cascades down the whole chain in both cases.
			MustUpdate(t, b.DB, func(tx *Tx) error { return b.Posts.Delete(tx, 1) })
			err = b.DB.View(func(tx *Tx) (err error) { left, err = b.Comments.Len(tx); return err })
			if err != nil || left != 0 {
				t.Fatalf("%d comments left after deleting the post (%v)", left, err)
			}
			verify(t, b.DB)
		})
	}
}

// A deep chain rejected at its far end leaves everything in place: nodes
// cascade down a 20,000-long chain to a last node that a pin RESTRICTs.
func TestDeepChainRejectedAtTheBottom(t *testing.T) {
	type node struct {
		ID     int64
		Parent Null[int64]
	}
	type pin struct{ ID, Node int64 }
	s := NewSchema()
	nodes := NewTable(s, "nodes", func(n *node) *int64 { return &n.ID })
	pins := NewTable(s, "pins", func(p *pin) *int64 { return &p.ID })
	NullableForeignKey(nodes, "parent", func(n *node) *Null[int64] { return &n.Parent }, nodes, OnDelete(Cascade))
	ForeignKey(pins, "node", func(p *pin) *int64 { return &p.Node }, nodes, OnDelete(Restrict))
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20_000
	MustUpdate(t, db, func(tx *Tx) error {
		for i := int64(1); i <= n; i++ {
			nd := node{ID: i}
			if i > 1 {
				nd.Parent = NotNull(i - 1)
			}
			if _, err := nodes.Insert(tx, nd); err != nil {
				return err
			}
		}
		_, err := pins.Insert(tx, pin{1, n})
		return err
	})
	unchanged(t, db, func() {
		err := db.Update(func(tx *Tx) error { return nodes.Delete(tx, 1) })
		want := fmt.Sprintf("memrel: delete nodes %d: restrict violation: pins 1 references it through pins.node", n)
		if !errors.Is(err, ErrRestrict) || err.Error() != want {
			t.Fatalf("got %v\nwant %s", err, want)
		}
	})
}

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
			if _, err := b.Comments.Insert(tx, Comment{ID: 1, PostID: 10, ParentID: NotNull[int64](2)}); err != nil {
				return err
			}
			_, err := b.Comments.Insert(tx, Comment{ID: 2, PostID: 10, ParentID: NotNull[int64](1)})
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

func TestUpsertKeepsChildren(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error {
		_, err := b.Users.Upsert(tx, User{1, "ann renamed", "ann@x"})
		return err
	})
	verify(t, b.DB)
	err := b.DB.View(func(tx *Tx) error {
		ps, err := b.Author.ListChildren(tx, 1)
		if len(ps) != 2 {
			t.Errorf("user 1 has %d posts after upsert, want 2", len(ps))
		}
		u, _ := b.Users.Get(tx, 1)
		if u.Name != "ann renamed" {
			t.Errorf("name %q", u.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Upsert of a new key inserts.
	MustUpdate(t, b.DB, func(tx *Tx) error {
		_, err := b.Users.Upsert(tx, User{3, "cy", "cy@x"})
		return err
	})
	verify(t, b.DB)
}

func TestReinsertDeletedKey(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if err := b.Posts.Delete(tx, 11); err != nil {
			return err
		}
		_, err := b.Posts.Insert(tx, Post{ID: 11, Title: "again", UserID: 2})
		return err
	})
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Posts.Delete(tx, 11) })
	MustUpdate(t, b.DB, func(tx *Tx) error {
		_, err := b.Posts.Insert(tx, Post{ID: 11, Title: "and again", UserID: 1})
		return err
	})
	verify(t, b.DB)
}

func TestUnique(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	cases := []struct {
		name string
		op   func(tx *Tx) error
		want string
	}{
		{"duplicate primary key", func(tx *Tx) error { _, err := b.Users.Insert(tx, User{1, "x", "x@x"}); return err },
			"memrel: insert users 1: unique violation: users.primary key is taken by users 1"},
		{"duplicate email on insert", func(tx *Tx) error { _, err := b.Users.Insert(tx, User{3, "x", "ann@x"}); return err },
			"memrel: insert users 3: unique violation: users.email is taken by users 1"},
		{"duplicate email on update", func(tx *Tx) error { return b.Users.Update(tx, User{2, "bob", "ann@x"}) },
			"memrel: update users 2: unique violation: users.email is taken by users 1"},
		{"re-key onto a taken key", func(tx *Tx) error { return b.Users.UpdateKey(tx, 1, User{2, "ann", "ann@x"}) },
			"memrel: update users 2: unique violation: users.primary key is taken by users 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			unchanged(t, b.DB, func() {
				err := b.DB.Update(c.op)
				if !errors.Is(err, ErrUnique) || err.Error() != c.want {
					t.Fatalf("got %v\nwant %s", err, c.want)
				}
			})
		})
	}
	// Keeping one's own value, moving a value, and re-keying keep working.
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if err := b.Users.Update(tx, User{1, "ann", "ann@x"}); err != nil {
			return err
		}
		if err := b.Users.Update(tx, User{1, "ann", "ann@y"}); err != nil {
			return err
		}
		if err := b.Users.Update(tx, User{2, "bob", "ann@x"}); err != nil {
			return err
		}
		return b.Users.UpdateKey(tx, 2, User{3, "bob", "ann@x"})
	})
	verify(t, b.DB)
	err := b.DB.View(func(tx *Tx) error {
		u, err := b.Email.First(tx, "ann@x")
		if u.ID != 3 {
			t.Errorf("email index finds %+v", u)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Writing a parent again under its own key, by Upsert or by UpdateKey to
// the same key, is an update: no key goes away, no action runs, the child
// stays.
func TestSameKeyWritesAreUpdates(t *testing.T) {
	b := newEditorBlog(t, OnUpdate(Restrict), OnDelete(Restrict))
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if _, err := b.Users.Insert(tx, numberedUser(1)); err != nil {
			return err
		}
		_, err := b.Posts.Insert(tx, edited(1, 1))
		return err
	})
	// Upsert of the parent: its key is removed from no index, children stay.
	MustUpdate(t, b.DB, func(tx *Tx) error { _, err := b.Users.Upsert(tx, numberedUser(1)); return err })
	// UpdateKey to the same key is an update.
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Users.UpdateKey(tx, 1, numberedUser(1)) })
	verify(t, b.DB)
}

// Regression: SET DEFAULT whose default is the very key being deleted writes
// the child back unchanged; it must still be found dangling.
func TestSetDefaultToTheDeletedKeyIsRejected(t *testing.T) {
	b := newEditorBlog(t, OnDelete(SetDefault), Default(int64(1)))
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if _, err := b.Users.Insert(tx, numberedUser(1)); err != nil {
			return err
		}
		_, err := b.Posts.Insert(tx, edited(1, 1))
		return err
	})
	unchanged(t, b.DB, func() {
		err := b.DB.Update(func(tx *Tx) error { return b.Users.Delete(tx, 1) })
		if !errors.Is(err, ErrForeignKey) {
			t.Fatalf("got %v, want ErrForeignKey", err)
		}
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

// Regression: RESTRICT is checked after the row is rewritten, so a row
// re-keyed while still referencing its own old key restricts itself (as in
// SQLite and PostgreSQL), and a unique violation is reported before it.
func TestRestrictSeesTheRewrittenRow(t *testing.T) {
	type node struct {
		ID     int64
		Name   string
		Parent Null[int64]
	}
	s := NewSchema()
	nodes := NewTable(s, "nodes", func(n *node) *int64 { return &n.ID })
	NewUniqueIndex(nodes, "name", func(n *node) *string { return &n.Name })
	NullableForeignKey(nodes, "parent", func(n *node) *Null[int64] { return &n.Parent }, nodes, OnUpdate(Restrict))
	db, _ := Open(s)
	MustUpdate(t, db, func(tx *Tx) error {
		if _, err := nodes.Insert(tx, node{ID: 5, Name: "a"}); err != nil {
			return err
		}
		_, err := nodes.Insert(tx, node{ID: 6, Name: "b", Parent: NotNull[int64](6)})
		return err
	})
	unchanged(t, db, func() {
		err := db.Update(func(tx *Tx) error { return nodes.UpdateKey(tx, 5, node{ID: 2, Name: "a", Parent: NotNull[int64](5)}) })
		if !errors.Is(err, ErrRestrict) {
			t.Errorf("self-reference to the old key: got %v, want ErrRestrict", err)
		}
		err = db.Update(func(tx *Tx) error { return nodes.UpdateKey(tx, 6, node{ID: 7, Name: "a", Parent: NotNull[int64](6)}) })
		if !errors.Is(err, ErrUnique) {
			t.Errorf("unique and restrict both broken: got %v, want ErrUnique first", err)
		}
	})
}

// A key that an ON UPDATE CASCADE gives a row (here a one-to-one profile
// keyed by its user's key) raises that table's sequence, so an insert of
// that key later is a duplicate, not a silent overwrite.
func TestCascadedKeyRaisesSequence(t *testing.T) {
	type profile struct {
		UserID int64
		Bio    string
	}
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	profiles := NewTable(s, "profiles", func(p *profile) *int64 { return &p.UserID })
	ForeignKey(profiles, "user", func(p *profile) *int64 { return &p.UserID }, users, OnUpdate(Cascade), OnDelete(Cascade))
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx *Tx) error {
		if _, err := users.Insert(tx, User{ID: 1}); err != nil {
			return err
		}
		_, err := profiles.Insert(tx, profile{1, "one"})
		return err
	})
	MustUpdate(t, db, func(tx *Tx) error { return users.UpdateKey(tx, 1, User{ID: 1000}) })
	err = db.Update(func(tx *Tx) error {
		if _, err := users.Insert(tx, User{ID: 5}); err != nil {
			return err
		}
		_, err := profiles.Insert(tx, profile{1000, "dup"})
		return err
	})
	if !errors.Is(err, ErrUnique) {
		t.Fatalf("insert of a key a cascade created: got %v, want ErrUnique", err)
	}
	verify(t, db)
	got := dump(t, db)["profiles"]
	if diff := cmp.Diff([]any{&profile{1000, "one"}}, got); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	// The users' sequence went on from the re-key too.
	MustUpdate(t, db, func(tx *Tx) error {
		p, err := users.Insert(tx, User{})
		if p.ID != 1001 {
			t.Errorf("next user key %d, want 1001", p.ID)
		}
		return err
	})
}

// A rejected operation gives back a sequence raised by its cascade.
func TestRejectedCascadeRestoresSequence(t *testing.T) {
	type profile struct{ UserID int64 }
	type pin struct{ ID, UserID int64 }
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	profiles := NewTable(s, "profiles", func(p *profile) *int64 { return &p.UserID })
	pins := NewTable(s, "pins", func(p *pin) *int64 { return &p.ID })
	ForeignKey(profiles, "user", func(p *profile) *int64 { return &p.UserID }, users, OnUpdate(Cascade))
	ForeignKey(pins, "user", func(p *pin) *int64 { return &p.UserID }, users) // NO ACTION: fails at the end
	db, _ := Open(s)
	tx := MustTx(db.BeginWrite())
	defer tx.Abort()
	for _, err := range []error{
		func() error { _, err := users.Insert(tx, User{ID: 1}); return err }(),
		func() error { _, err := profiles.Insert(tx, profile{1}); return err }(),
		func() error { _, err := pins.Insert(tx, pin{1, 1}); return err }(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	before := slices.Clone(tx.w.seq)
	if err := users.UpdateKey(tx, 1, User{ID: 1000}); !errors.Is(err, ErrForeignKey) {
		t.Fatalf("got %v, want ErrForeignKey from pins", err)
	}
	if !slices.Equal(before, tx.w.seq) {
		t.Errorf("sequences %v after the rejected re-key, want %v", tx.w.seq, before)
	}
}

// Regression: string keys holding a NUL byte survive an ON UPDATE CASCADE
// (the new key is decoded into each child's field) and SET DEFAULT.
func TestStringKeysWithNULThroughActions(t *testing.T) {
	type dir struct{ Path string }
	type file struct {
		Name string
		Dir  string
	}
	s := NewSchema()
	dirs := NewTable(s, "dirs", func(d *dir) *string { return &d.Path })
	files := NewTable(s, "files", func(f *file) *string { return &f.Name })
	in := ForeignKey(files, "dir", func(f *file) *string { return &f.Dir }, dirs,
		OnUpdate(Cascade), OnDelete(SetDefault), Default(string("root\x00")))
	db, _ := Open(s)
	MustUpdate(t, db, func(tx *Tx) error {
		for _, d := range []string{"root\x00", "a\x00b"} {
			if _, err := dirs.Insert(tx, dir{d}); err != nil {
				return err
			}
		}
		_, err := files.Insert(tx, file{"f", "a\x00b"})
		return err
	})
	MustUpdate(t, db, func(tx *Tx) error { return dirs.UpdateKey(tx, "a\x00b", dir{"c\x00d"}) })
	check := func(want string) {
		t.Helper()
		_ = db.View(func(tx *Tx) error {
			f, err := files.Get(tx, "f")
			if err != nil || f.Dir != want {
				t.Errorf("file's dir %q (%v), want %q", f.Dir, err, want)
			}
			if kids, _ := in.ListChildren(tx, want); len(kids) != 1 {
				t.Errorf("dir %q has %d files", want, len(kids))
			}
			return nil
		})
		verify(t, db)
	}
	check("c\x00d")
	MustUpdate(t, db, func(tx *Tx) error { return dirs.Delete(tx, "c\x00d") })
	check("root\x00")
}

// A very large fan-out: one user with 100,000 posts, which cascade away
// (and, for another user's editor relation, are set to NULL) in one delete.
func TestLargeFanOut(t *testing.T) {
	const n = 100_000
	b := NewBlog(t, DefaultRules())
	MustUpdate(t, b.DB, func(tx *Tx) error {
		for _, u := range []User{{1, "a", "a"}, {2, "b", "b"}} {
			if _, err := b.Users.Insert(tx, u); err != nil {
				return err
			}
		}
		for i := range n {
			p := Post{UserID: 1}
			if i%2 == 0 {
				p = Post{UserID: 2, EditorID: NotNull[int64](1)}
			}
			if _, err := b.Posts.Insert(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Users.Delete(tx, 1) })
	verify(t, b.DB)
	_ = b.DB.View(func(tx *Tx) error {
		left, _ := b.Posts.Len(tx)
		edited, _ := b.Editor.Count(tx, 1)
		if left != n/2 || edited != 0 {
			t.Errorf("%d posts left (want %d), %d still edited by the deleted user", left, n/2, edited)
		}
		return nil
	})
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
		_, err := tables[6].Insert(tx, node{ID: "child", Ref: NotNull("abc")})
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
		_, err := tables[112].Insert(tx, node{ID: "\x05abc", Ref: NotNull("missing")})
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
