package memreltest_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/memreltest"
)

// The blog the kit's tests use: users, their posts (an author and an
// editor), comments that reply to comments, and a user's favourite post,
// which makes users and posts reference each other (a cycle).

type User struct {
	ID       int64
	Name     string
	Email    string
	Favorite memrel.Null[int64]
}

type Post struct {
	ID     int64
	Title  string
	UserID int64
	Editor memrel.Null[int64]
}

type Comment struct {
	ID      int64
	PostID  int64
	ReplyTo memrel.Null[int64]
	Body    string
}

type blog struct {
	schema   *memrel.Schema
	users    *memrel.Table[User, int64]
	posts    *memrel.Table[Post, int64]
	comments *memrel.Table[Comment, int64]
	author   *memrel.Relation[Post, User, int64]
	editor   *memrel.Relation[Post, User, int64]
	post     *memrel.Relation[Comment, Post, int64]
	reply    *memrel.Relation[Comment, Comment, int64]
	favorite *memrel.Relation[User, Post, int64]
}

func newBlog() *blog {
	b := &blog{schema: memrel.NewSchema()}
	s := b.schema
	b.users = memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	memrel.NewUniqueIndex(b.users, "email", func(u *User) *string { return &u.Email })
	b.posts = memrel.NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	b.comments = memrel.NewTable(s, "comments", func(c *Comment) *int64 { return &c.ID })
	b.author = memrel.ForeignKey(b.posts, "author", func(p *Post) *int64 { return &p.UserID }, b.users, memrel.OnDelete(memrel.Cascade))
	b.editor = memrel.NullableForeignKey(b.posts, "editor", func(p *Post) *memrel.Null[int64] { return &p.Editor }, b.users, memrel.OnDelete(memrel.SetNull))
	b.post = memrel.ForeignKey(b.comments, "post", func(c *Comment) *int64 { return &c.PostID }, b.posts, memrel.OnDelete(memrel.Cascade))
	b.reply = memrel.NullableForeignKey(b.comments, "reply", func(c *Comment) *memrel.Null[int64] { return &c.ReplyTo }, b.comments, memrel.OnDelete(memrel.Cascade))
	b.favorite = memrel.NullableForeignKey(b.users, "favorite", func(u *User) *memrel.Null[int64] { return &u.Favorite }, b.posts, memrel.OnDelete(memrel.SetNull))
	return b
}

func TestLoadGoFixturesInAnyOrder(t *testing.T) {
	b := newBlog()
	db := memreltest.Open(t, b.schema)
	// Children first, and a cycle: ann's favourite is her own post.
	labels := memreltest.Load(t, db,
		memreltest.Row(b.comments, "reply", Comment{Body: "Thanks"}, memreltest.Ref(b.post, "hello"), memreltest.Ref(b.reply, "first")),
		memreltest.Row(b.comments, "first", Comment{Body: "Nice"}, memreltest.Ref(b.post, "hello")),
		memreltest.Row(b.posts, "hello", Post{Title: "Hello"}, memreltest.Ref(b.author, "ann"), memreltest.Ref(b.editor, "bob")),
		memreltest.Row(b.users, "ann", User{Name: "Ann", Email: "ann@x"}, memreltest.Ref(b.favorite, "hello")),
		memreltest.Row(b.users, "bob", User{Name: "Bob", Email: "bob@x"}),
	)
	ann, _ := memreltest.Key(labels, b.users, "ann")
	bob, _ := memreltest.Key(labels, b.users, "bob")
	hello, ok := memreltest.Key(labels, b.posts, "hello")
	first, _ := memreltest.Key(labels, b.comments, "first")
	if !ok || ann == bob || ann == 0 || bob == 0 {
		t.Fatalf("keys: ann %d, bob %d, hello %d (%v)", ann, bob, hello, ok)
	}
	_ = db.View(func(tx *memrel.Tx) error {
		memreltest.AssertRows(t, tx, b.users, []User{
			{ID: ann, Name: "Ann", Email: "ann@x", Favorite: memrel.NullFrom(hello)},
			{ID: bob, Name: "Bob", Email: "bob@x"},
		})
		memreltest.AssertRows(t, tx, b.posts, []Post{{ID: hello, Title: "Hello", UserID: ann, Editor: memrel.NullFrom(bob)}})
		memreltest.AssertRows(t, tx, b.comments, []Comment{
			{PostID: hello, Body: "Nice"},
			{PostID: hello, ReplyTo: memrel.NullFrom(first), Body: "Thanks"},
		}, memreltest.IgnoreFields("ID"))
		return nil
	})
}

func TestLoadFiles(t *testing.T) {
	b := newBlog()
	db := memreltest.Open(t, b.schema)
	labels := memreltest.Load(t, db, memreltest.Files(os.DirFS("testdata/fixtures"), "*.json"))
	ann, _ := memreltest.Key(labels, b.users, "ann")
	bob, _ := memreltest.Key(labels, b.users, "bob")
	hello, _ := memreltest.Key(labels, b.posts, "hello")
	second, _ := memreltest.Key(labels, b.comments, "second")
	_ = db.View(func(tx *memrel.Tx) error {
		memreltest.AssertRows(t, tx, b.users, []User{
			{ID: ann, Name: "Ann", Email: "ann@example.com", Favorite: memrel.NullFrom(hello)},
			{ID: bob, Name: "Bob", Email: "bob@example.com"},
		})
		memreltest.AssertRows(t, tx, b.posts, []Post{
			{Title: "Hello", UserID: ann},
			{Title: "@handle", UserID: bob, Editor: memrel.NullFrom(ann)},
			{ID: 100, Title: "Fixed key", UserID: bob, Editor: memrel.NullFrom[int64](2)},
		}, memreltest.IgnoreFields("ID"))
		memreltest.AssertRows(t, tx, b.comments, []Comment{
			{PostID: hello, Body: "Thanks"},
			{PostID: hello, Body: "Nice", ReplyTo: memrel.NullFrom(second)},
		}, memreltest.IgnoreFields("ID"))
		return nil
	})
}

// Every problem of a broken fixture set is reported at once, each with its
// file and line.
func TestFixtureProblems(t *testing.T) {
	b := newBlog()
	db := memreltest.Open(t, b.schema)
	var ferr *memreltest.FixtureError
	err := db.Update(func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx, memreltest.Files(os.DirFS("testdata/broken"), "*.json"))
		return err
	})
	if !errors.As(err, &ferr) {
		t.Fatalf("LoadTx: %v, want a *FixtureError", err)
	}
	var got []string
	for _, p := range ferr.Problems {
		got = append(got, p.String())
	}
	want := []string{
		"posts.json:2: posts @p1: posts.author: no users row is labeled @nobody",
		"posts.json:3: posts @p2 (key 2): posts.author: foreign key violation: users 99 does not exist",
		"posts.json:4: posts @p1: label used twice (first at posts.json:2)",
		`users.json:3: users @ann2: users.email: insert users: unique violation: users.email "ann@example.com" is taken by users 1`,
		`users.json:4: users @cat: json: unknown field "Age" (the fields of memreltest_test.User: ID, Name, Email, Favorite; its relations: favorite)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// With the parse problems fixed, the rows themselves: a unique value
	// taken, a label no row has, a key that names no row.
	err = db.Update(func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx,
			memreltest.Row(b.users, "ann", User{Name: "Ann", Email: "ann@x"}),
			memreltest.Row(b.users, "ann2", User{Name: "Ann again", Email: "ann@x"}),
			memreltest.Row(b.posts, "p1", Post{Title: "One"}, memreltest.Ref(b.author, "nobody")),
			memreltest.Row(b.posts, "p2", Post{Title: "Two", UserID: 99}),
			memreltest.Row(b.posts, "p3", Post{Title: "Three", UserID: 98}),
		)
		return err
	})
	if !errors.As(err, &ferr) || !errors.Is(err, memrel.ErrUnique) {
		t.Fatalf("LoadTx: %v, want a *FixtureError with ErrUnique", err)
	}
	got = got[:0]
	for _, p := range ferr.Problems {
		got = append(got, p.String())
	}
	want = []string{
		`Go fixture: users @ann2: users.email: insert users: unique violation: users.email "ann@x" is taken by users 1`,
		"Go fixture: posts @p1: posts.author: no users row is labeled @nobody",
		"Go fixture: posts @p2 (key 2): posts.author: foreign key violation: users 99 does not exist",
		"Go fixture: posts @p3 (key 3): posts.author: foreign key violation: users 98 does not exist",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Dangling keys: every one, at once.
	err = db.Update(func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx,
			memreltest.Row(b.posts, "p2", Post{Title: "Two", UserID: 99}),
			memreltest.Row(b.posts, "p3", Post{Title: "Three", UserID: 98, Editor: memrel.NullFrom[int64](97)}),
		)
		return err
	})
	if !errors.As(err, &ferr) || !errors.Is(err, memrel.ErrForeignKey) {
		t.Fatalf("LoadTx: %v, want dangling keys", err)
	}
	got = got[:0]
	for _, p := range ferr.Problems {
		got = append(got, p.String())
	}
	want = []string{
		"Go fixture: posts @p2 (key 1): posts.author: foreign key violation: users 99 does not exist",
		"Go fixture: posts @p3 (key 2): posts.author: foreign key violation: users 98 does not exist",
		"Go fixture: posts @p3 (key 2): posts.editor: foreign key violation: users 97 does not exist",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Nothing of the failed loads stayed.
	_ = db.View(func(tx *memrel.Tx) error {
		memreltest.AssertRows(t, tx, b.users, nil)
		memreltest.AssertRows(t, tx, b.posts, nil)
		return nil
	})
}

func TestNullJSON(t *testing.T) {
	type Row struct {
		A memrel.Null[int64]
		B memrel.Null[string]
	}
	var r Row
	if err := jsonRoundTrip(`{"A":2,"B":null}`, &r); err != nil || r != (Row{A: memrel.NullFrom[int64](2)}) {
		t.Fatalf("decode: %+v, %v", r, err)
	}
	out, _ := jsonMarshal(Row{B: memrel.NullFrom("x")})
	if out != `{"A":null,"B":"x"}` {
		t.Errorf("encode: %s", out)
	}
}

// YAML goes through the decoder the caller passes: here a stand-in that
// returns what yaml.v2 does (maps keyed by any), read as JSON would be.
func TestLoadYAML(t *testing.T) {
	b := newBlog()
	db := memreltest.Open(t, b.schema)
	fakeYAML := func(data []byte, v any) error {
		if string(data) != "users: {ann: {Name: Ann, Email: ann@x}}" {
			return errors.New("unexpected input")
		}
		*v.(*any) = map[any]any{"users": map[any]any{"ann": map[any]any{"Name": "Ann", "Email": "ann@x"}}}
		return nil
	}
	fsys := fstest.MapFS{"seed.yaml": {Data: []byte("users: {ann: {Name: Ann, Email: ann@x}}")}}
	labels := memreltest.Load(t, db, memreltest.YAML(fakeYAML, fsys, "*.yaml"))
	ann, ok := memreltest.Key(labels, b.users, "ann")
	if !ok || ann != 1 {
		t.Fatalf("ann's key: %d, %v", ann, ok)
	}
	broken := fstest.MapFS{"seed.yaml": {Data: []byte("x")}}
	err := db.Update(func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx, memreltest.YAML(fakeYAML, broken, "*.yaml"))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "seed.yaml: unexpected input") {
		t.Errorf("a YAML decoder's error: %v", err)
	}
}

// A row that does not parse is reported once: a reference to its label is
// not a second problem.
func TestFixtureFollowOnProblems(t *testing.T) {
	b := newBlog()
	db := memreltest.Open(t, b.schema)
	fsys := fstest.MapFS{"blog.json": {Data: []byte(`{
  "users": {"ann": {"Nmae": "Ann"}},
  "posts": [{"Title": "Hello", "author": "@ann"}]
}`)}}
	err := db.Update(func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx, memreltest.Files(fsys, "*.json"))
		return err
	})
	var ferr *memreltest.FixtureError
	if !errors.As(err, &ferr) || len(ferr.Problems) != 1 || !strings.Contains(err.Error(), `blog.json:2: users @ann: json: unknown field "Nmae"`) {
		t.Errorf("a broken parent: %v", err)
	}
}
