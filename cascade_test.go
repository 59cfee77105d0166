package memrel

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
				want = []any{&Comment{101, 10, Null[int64]{}, "reply"}, &Comment{102, 10, NullFrom[int64](101), "reply to reply"}}
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
		_, err := b.Comments.Insert(tx, Comment{200, 11, NullFrom[int64](200), "me"})
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
				c.ParentID = NullFrom(i - 1)
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
				nd.Parent = NullFrom(i - 1)
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
				p = Post{UserID: 2, EditorID: NullFrom[int64](1)}
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

// SET DEFAULT with no Default writes the column's default, as SQL does:
// NULL for a nullable foreign key; a NOT NULL one is refused by Open
// (SQLite fails it when the action runs).
func TestSetDefaultWithoutDefault(t *testing.T) {
	r := DefaultRules()
	r.Editor = []Rule{OnDelete(SetDefault)}
	b := NewBlog(t, r).Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if err := b.Users.Delete(tx, 1); err != nil { // post 20's editor
			return err
		}
		p, err := b.Posts.Get(tx, 20)
		if err != nil || p.EditorID.Valid {
			t.Errorf("post 20 after its editor went: %+v, %v; want a NULL editor", p, err)
		}
		return err
	})
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	posts := NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users, OnDelete(SetDefault))
	if _, err := Open(s); !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), "needs a Default") {
		t.Errorf("Open with SET DEFAULT on a NOT NULL key and no Default: %v", err)
	}
}
