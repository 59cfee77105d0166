package memrel

import (
	"errors"
	"fmt"
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
	return Post{ID: id, UserID: writer, EditorID: NullFrom(editor)}
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
		{Title: "no editor", UserID: 1, EditorID: NullFrom[int64](9)},
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

// Two relations from posts to users keep their own actions.
func TestTwoRelationsBetweenSameTables(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Users.UpdateKey(tx, 1, User{5, "ann", "ann@x"}) })
	verify(t, b.DB)
	got := dump(t, b.DB)["posts"]
	want := []any{&Post{10, "a1", 5, Null[int64]{}}, &Post{11, "a2", 5, Null[int64]{}}, &Post{20, "b1", 2, NullFrom[int64](5)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("posts after re-keying user 1 to 5 (-want +got):\n%s", diff)
	}
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
			`memrel: insert users 3: unique violation: users.email "ann@x" is taken by users 1`},
		{"duplicate email on update", func(tx *Tx) error { return b.Users.Update(tx, User{2, "bob", "ann@x"}) },
			`memrel: update users 2: unique violation: users.email "ann@x" is taken by users 1`},
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
		_, err := nodes.Insert(tx, node{ID: 6, Name: "b", Parent: NullFrom[int64](6)})
		return err
	})
	unchanged(t, db, func() {
		err := db.Update(func(tx *Tx) error { return nodes.UpdateKey(tx, 5, node{ID: 2, Name: "a", Parent: NullFrom[int64](5)}) })
		if !errors.Is(err, ErrRestrict) {
			t.Errorf("self-reference to the old key: got %v, want ErrRestrict", err)
		}
		err = db.Update(func(tx *Tx) error { return nodes.UpdateKey(tx, 6, node{ID: 7, Name: "a", Parent: NullFrom[int64](6)}) })
		if !errors.Is(err, ErrUnique) {
			t.Errorf("unique and restrict both broken: got %v, want ErrUnique first", err)
		}
	})
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

// An insert whose key is to be assigned and whose parent is missing is
// refused before the sequence lends it a key, and the error names no key:
// on the fast path (no unique index) and on the full one (users has a
// unique email) alike. A row that breaks a unique index and a foreign key
// is refused for the unique index, as SQL checks it first.
func TestRejectedInsertNamesNoKey(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t)
	s := NewSchema()
	accounts := NewTable(s, "accounts", func(u *User) *int64 { return &u.ID })
	NewUniqueIndex(accounts, "email", func(u *User) *string { return &u.Email })
	owners := NewTable(s, "owners", func(tg *Tag) *int64 { return &tg.ID })
	ForeignKey(accounts, "owner", func(u *User) *int64 { return &u.ID }, owners) // an account's ID is its owner's
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx *Tx) error {
		if _, err := owners.Insert(tx, Tag{ID: 1}); err != nil {
			return err
		}
		_, err := accounts.Insert(tx, User{ID: 1, Email: "a@x"})
		return err
	})
	check := func(what string, err error, want error, msg string) {
		t.Helper()
		var ce *ConstraintError
		if !errors.Is(err, want) || !errors.As(err, &ce) {
			t.Fatalf("%s: %v, want %v", what, err, want)
		}
		if err.Error() != msg {
			t.Errorf("%s:\n got %q\nwant %q", what, err.Error(), msg)
		}
	}
	before := dump(t, b.DB)
	err = b.DB.Update(func(tx *Tx) error {
		_, err := b.Posts.Insert(tx, Post{Title: "orphan", UserID: 42})
		check("fast path", err, ErrForeignKey, "memrel: insert posts: foreign key violation: users 42 does not exist (posts.author)")
		p, err := b.Posts.Insert(tx, Post{Title: "next", UserID: 1})
		if err == nil && p.ID != 21 {
			t.Errorf("the insert after a refused one got key %d, want 21: the refusal took a key", p.ID)
		}
		return errors.New("roll back")
	})
	if err == nil || err.Error() != "roll back" {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, dump(t, b.DB)); diff != "" {
		t.Errorf("the store changed:\n%s", diff)
	}
	err = db.Update(func(tx *Tx) error {
		_, err := accounts.Insert(tx, User{Email: "b@x"}) // key 2: no owner 2
		check("full path", err, ErrForeignKey, "memrel: insert accounts: foreign key violation: owners 2 does not exist (accounts.owner)")
		_, err = accounts.Insert(tx, User{Email: "a@x"})
		check("both", err, ErrUnique, `memrel: insert accounts: unique violation: accounts.email "a@x" is taken by accounts 1`)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
