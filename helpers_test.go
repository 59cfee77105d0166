package memrel

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The test model: users write posts (author, CASCADE by default in blog);
// posts may have an editor (nullable, SET NULL); comments belong to posts
// and reply to each other (a self-referential tree).
type User struct {
	ID    int64
	Name  string
	Email string
}

type Post struct {
	ID       int64
	Title    string
	UserID   int64
	EditorID Null[int64]
}

type Comment struct {
	ID       int64
	PostID   int64
	ParentID Null[int64]
	Body     string
}

type blog struct {
	db       *DB
	users    *Table[User, int64]
	posts    *Table[Post, int64]
	comments *Table[Comment, int64]
	email    *Index[User, int64, string]
	author   *Relation[Post, User, int64]
	editor   *Relation[Post, User, int64]
	onPost   *Relation[Comment, Post, int64]
	replies  *Relation[Comment, Comment, int64]
}

// blogRules are the rules of the blog's relations; zero values mean NO
// ACTION everywhere.
type blogRules struct {
	author, editor, onPost, replies []Rule
}

func defaultRules() blogRules {
	return blogRules{
		author:  []Rule{OnDelete(Cascade), OnUpdate(Cascade)},
		editor:  []Rule{OnDelete(SetNull), OnUpdate(Cascade)},
		onPost:  []Rule{OnDelete(Cascade), OnUpdate(Cascade)},
		replies: []Rule{OnDelete(Cascade), OnUpdate(Cascade)},
	}
}

func newBlog(tb testing.TB, r blogRules) *blog {
	tb.Helper()
	s := NewSchema()
	b := &blog{}
	b.users = NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	b.posts = NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	b.comments = NewTable(s, "comments", func(c *Comment) *int64 { return &c.ID })
	b.email = NewUniqueIndex(b.users, "email", func(u *User) *string { return &u.Email })
	b.author = ForeignKey(b.posts, "author", func(p *Post) *int64 { return &p.UserID }, b.users, r.author...)
	b.editor = NullableForeignKey(b.posts, "editor", func(p *Post) *Null[int64] { return &p.EditorID }, b.users, r.editor...)
	b.onPost = ForeignKey(b.comments, "post", func(c *Comment) *int64 { return &c.PostID }, b.posts, r.onPost...)
	b.replies = NullableForeignKey(b.comments, "parent", func(c *Comment) *Null[int64] { return &c.ParentID }, b.comments, r.replies...)
	db, err := Open(s)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	b.db = db
	return b
}

// seed loads two users, three posts and a thread of comments:
//
//	user 1 ann: post 10 (comments 100 <- 101 <- 102), post 11
//	user 2 bob: post 20 (edited by 1)
func (b *blog) seed(tb testing.TB) {
	tb.Helper()
	mustUpdate(tb, b.db, func(tx *Tx) error {
		for _, u := range []User{{1, "ann", "ann@x"}, {2, "bob", "bob@x"}} {
			if _, err := b.users.Insert(tx, u); err != nil {
				return err
			}
		}
		for _, p := range []Post{{10, "a1", 1, Null[int64]{}}, {11, "a2", 1, Null[int64]{}}, {20, "b1", 2, Valid[int64](1)}} {
			if _, err := b.posts.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, c := range []Comment{{100, 10, Null[int64]{}, "root"}, {101, 10, Valid[int64](100), "reply"}, {102, 10, Valid[int64](101), "reply to reply"}} {
			if _, err := b.comments.Insert(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

func mustUpdate(tb testing.TB, db *DB, fn func(tx *Tx) error) {
	tb.Helper()
	if err := db.Update(fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// dump returns every row of every table, in key order, for comparing whole
// states with cmp.
func dump(tb testing.TB, db *DB) map[string][]any {
	tb.Helper()
	out := map[string][]any{}
	err := db.View(func(tx *Tx) error {
		out = dumpTx(tx)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func dumpTx(tx *Tx) map[string][]any {
	out := map[string][]any{}
	for _, ti := range tx.db.schema.tables {
		rows := []any{}
		for r := range tx.scan(ti.name, "id", nil) {
			rows = append(rows, r.row)
		}
		out[ti.name] = rows
	}
	return out
}

// verify fails the test if the store is not sound.
func verify(tb testing.TB, db *DB) {
	tb.Helper()
	if err := db.Verify(); err != nil {
		tb.Fatalf("Verify: %v", err)
	}
}

// unchanged runs fn and fails the test if the store's rows differ after it.
func unchanged(tb testing.TB, db *DB, fn func()) {
	tb.Helper()
	before := dump(tb, db)
	fn()
	if diff := cmp.Diff(before, dump(tb, db)); diff != "" {
		tb.Errorf("store changed (-before +after):\n%s", diff)
	}
	verify(tb, db)
}

func mustView(tb testing.TB, db *DB, fn func(tx *Tx) error) {
	tb.Helper()
	if err := db.View(fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// mustTx returns tx, for a transaction whose start cannot fail.
func mustTx(tx *Tx, err error) *Tx {
	if err != nil {
		panic(err)
	}
	return tx
}
