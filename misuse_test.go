package memrel

import (
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"testing"
)

// Parallel tests open one package-level schema at once (run with -race).
func TestOpenOneSchemaConcurrently(t *testing.T) {
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	NewUniqueIndex(users, "email", func(u *User) *string { return &u.Email })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(s)
			if err != nil {
				t.Error(err)
				return
			}
			if err := db.Update(func(tx *Tx) error { _, err := users.Insert(tx, User{Email: "a"}); return err }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// An index or an ordering declared after Open is refused when used, like
// a late table or relation, instead of silently doing nothing.
func TestIndexAndOrderingDeclaredAfterOpen(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	name := NewUniqueIndex(b.users, "name", func(u *User) *string { return &u.Name })
	byTitle := OrderChildren(b.author, "by_title", func(p *Post) *string { return &p.Title })
	err := b.db.Update(func(tx *Tx) error {
		if _, err := b.users.Insert(tx, User{ID: 3, Name: "ann", Email: "c"}); err != nil {
			return err // the late unique index is not part of the store
		}
		if _, err := name.First(tx, "ann"); !errors.Is(err, ErrSchema) {
			t.Errorf("First on an index declared after Open: %v", err)
		}
		if _, err := Eager(tx, []User{{ID: 1}}, Many(b.author).OrderedBy(byTitle)); !errors.Is(err, ErrSchema) {
			t.Errorf("loading in an order declared after Open: %v", err)
		}
		for range byTitle.Children(tx, 1) {
			t.Error("an ordering declared after Open yielded a row")
		}
		if err := tx.Err(); !errors.Is(err, ErrSchema) {
			t.Errorf("Err after ranging over a late ordering: %v", err)
		}
		return nil
	})
	if !errors.Is(err, ErrSchema) {
		t.Errorf("Update that ranged over a late ordering: %v", err)
	}
	if _, err := Open(b.db.schema); err == nil || !strings.Contains(err.Error(), "index users.name declared after Open") {
		t.Errorf("reopening: %v", err)
	}
}

// Every sequence that cannot be read records why on its transaction, so
// that View, Update and Commit fail instead of passing for "no rows".
func TestSequencesReportErrors(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	other := newBlog(t, defaultRules()) // another schema
	byTitle := OrderChildren(other.author, "by_title", func(p *Post) *string { return &p.Title })
	if _, err := Open(other.db.schema); err == nil {
		t.Fatal("the schema opened with a late ordering") // sanity: other is used only for its handles
	}
	tags := newTagged(t)
	seqs := map[string]func(tx *Tx) iter.Seq[any]{
		"Table.All":         func(tx *Tx) iter.Seq[any] { return anySeq(b.users.All(tx)) },
		"Index.List":        func(tx *Tx) iter.Seq[any] { return anySeq(b.email.List(tx, "ann@x")) },
		"Index.All":         func(tx *Tx) iter.Seq[any] { return anySeq(b.email.All(tx)) },
		"Relation.Children": func(tx *Tx) iter.Seq[any] { return anySeq(b.author.Children(tx, 1)) },
		"Descendants":       func(tx *Tx) iter.Seq[any] { return anySeq2(b.replies.Descendants(tx, 100, 0)) },
		"Ancestors": func(tx *Tx) iter.Seq[any] {
			return anySeq2(b.replies.Ancestors(tx, Comment{ParentID: Valid[int64](101)}, 0))
		},
		"Association.Rights": func(tx *Tx) iter.Seq[any] {
			return anySeq(tags.m.Rights(tx, 1))
		},
		"Association.Lefts": func(tx *Tx) iter.Seq[any] { return anySeq(tags.m.Lefts(tx, 1)) },
	}
	for name, seq := range seqs {
		t.Run(name, func(t *testing.T) {
			// A transaction of another store.
			foreign := other
			if strings.HasPrefix(name, "Association") {
				foreign = b
			}
			err := foreign.db.View(func(tx *Tx) error {
				for range seq(tx) {
					t.Error("yielded a row from another store")
				}
				return nil
			})
			if !errors.Is(err, ErrSchema) {
				t.Errorf("View over another store's sequence: got %v, want ErrSchema", err)
			}
			// A finished transaction.
			tx := mustTx(b.db.BeginRead())
			if strings.HasPrefix(name, "Association") {
				tx = mustTx(tags.db.BeginRead())
			}
			tx.Abort()
			for range seq(tx) {
				t.Error("yielded a row after the transaction ended")
			}
			if err := tx.Err(); !errors.Is(err, ErrTxDone) {
				t.Errorf("Err after ranging over an ended transaction: %v", err)
			}
		})
	}
	// A bad argument: a recursive walk of a relation that is not
	// self-referential.
	err := b.db.View(func(tx *Tx) error {
		for range b.author.Descendants(tx, 1, 0) {
			t.Error("Descendants of a relation between two tables yielded a row")
		}
		return nil
	})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Descendants of posts.author: %v", err)
	}
	// Strict mode and ordering through a late declaration already record
	// (TestStrictMode, TestIndexAndOrderingDeclaredAfterOpen).
	_ = byTitle
}

func anySeq[T any](s iter.Seq[T]) iter.Seq[any] {
	return func(yield func(any) bool) {
		for v := range s {
			if !yield(v) {
				return
			}
		}
	}
}

func anySeq2[T any](s iter.Seq2[T, int]) iter.Seq[any] {
	return func(yield func(any) bool) {
		for v := range s {
			if !yield(v) {
				return
			}
		}
	}
}

// tagged is posts and tags linked through a table whose tag side may be
// NULL (SET NULL), with its own integer key.
type tagged struct {
	db    *DB
	posts *Table[Post, int64]
	tags  *Table[parent, int64]
	links *Table[link, int64]
	m     *Association[link, Post, parent, int64, int64]
}

type link struct {
	ID     int64
	PostID int64
	TagID  Null[int64]
}

func newTagged(tb testing.TB) *tagged {
	tb.Helper()
	s := NewSchema()
	g := &tagged{}
	g.posts = NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	g.tags = NewTable(s, "tags", func(p *parent) *int64 { return &p.ID })
	g.links = NewTable(s, "links", func(l *link) *int64 { return &l.ID })
	post := ForeignKey(g.links, "post", func(l *link) *int64 { return &l.PostID }, g.posts, OnDelete(Cascade))
	tag := NullableForeignKey(g.links, "tag", func(l *link) *Null[int64] { return &l.TagID }, g.tags, OnDelete(SetNull))
	g.m = ManyToMany(post, tag)
	db, err := Open(s)
	if err != nil {
		tb.Fatal(err)
	}
	g.db = db
	mustUpdate(tb, db, func(tx *Tx) error {
		for _, id := range []int64{1, 2} {
			if _, err := g.posts.Insert(tx, Post{ID: id}); err != nil {
				return err
			}
		}
		for _, id := range []int64{1, 2, 3} {
			if _, err := g.tags.Insert(tx, parent{id}); err != nil {
				return err
			}
		}
		for _, l := range [][2]int64{{1, 2}, {1, 3}, {2, 1}} {
			if _, err := g.m.Link(tx, l[0], l[1]); err != nil {
				return err
			}
		}
		return nil
	})
	return g
}

// A link whose side was SET NULL links nothing: lazy navigation, eager
// loading and Count agree, in readers and in the writer that nulled it.
func TestManyToManyNullSide(t *testing.T) {
	g := newTagged(t)
	check := func(tx *Tx, when string) {
		t.Helper()
		var lazy []int64
		for tg := range g.m.Rights(tx, 1) {
			lazy = append(lazy, tg.ID)
		}
		eager, err := Eager(tx, []Post{{ID: 1}}, g.m.LoadRights())
		if err != nil {
			t.Fatal(err)
		}
		var loaded []int64
		for _, tg := range eager[0].Loaded {
			loaded = append(loaded, tg.ID)
		}
		n, err := g.m.Count(tx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(lazy) != "[3]" || fmt.Sprint(loaded) != "[3]" || n != 1 {
			t.Errorf("%s: lazy %v, eager %v, count %d; want [3], [3], 1", when, lazy, loaded, n)
		}
		var lefts []int64
		for p := range g.m.Lefts(tx, 2) {
			lefts = append(lefts, p.ID)
		}
		if len(lefts) != 0 {
			t.Errorf("%s: tag 2 still links posts %v", when, lefts)
		}
	}
	mustUpdate(t, g.db, func(tx *Tx) error {
		if err := g.tags.Delete(tx, 2); err != nil { // post 1's link to tag 2 is nulled
			return err
		}
		check(tx, "writer")
		return nil
	})
	mustView(t, g.db, func(tx *Tx) error { check(tx, "reader"); return nil })
	verify(t, g.db)
}

// Ending a transaction inside a range over one of its sequences stops the
// sequence, which records ErrTxDone; nothing panics.
func TestRangeAcrossTheEnd(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	mustUpdate(t, b.db, func(tx *Tx) error { _, err := b.posts.Insert(tx, Post{ID: 12, UserID: 1}); return err })
	g := newTagged(t)
	seqs := map[string]func(tx *Tx) iter.Seq[any]{
		"Table.All":         func(tx *Tx) iter.Seq[any] { return anySeq(b.posts.All(tx)) },
		"Index.All":         func(tx *Tx) iter.Seq[any] { return anySeq(b.email.All(tx)) },
		"Relation.Children": func(tx *Tx) iter.Seq[any] { return anySeq(b.author.Children(tx, 1)) },
		"Descendants":       func(tx *Tx) iter.Seq[any] { return anySeq2(b.replies.Descendants(tx, 100, 0)) },
		"Ancestors": func(tx *Tx) iter.Seq[any] {
			return anySeq2(b.replies.Ancestors(tx, Comment{ParentID: Valid[int64](102)}, 0))
		},
		"Association.Rights": func(tx *Tx) iter.Seq[any] { return anySeq(g.m.Rights(tx, 1)) },
	}
	for name, seq := range seqs {
		for _, end := range []string{"Abort", "Commit"} {
			for _, write := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/write=%v", name, end, write), func(t *testing.T) {
					db := b.db
					if strings.HasPrefix(name, "Association") {
						db = g.db
					}
					tx := mustTx(db.BeginRead())
					if write {
						tx = mustTx(db.BeginWrite())
					}
					defer tx.Abort()
					n := 0
					for range seq(tx) {
						n++
						if end == "Abort" {
							tx.Abort()
						} else if err := tx.Commit(); err != nil {
							t.Fatal(err)
						}
					}
					if n != 1 {
						t.Errorf("%d rows yielded, want 1 before the end", n)
					}
					if err := tx.Err(); !errors.Is(err, ErrTxDone) {
						t.Errorf("Err: %v, want ErrTxDone", err)
					}
				})
			}
		}
	}
}

// A panic inside an operation (here an index accessor, during a cascade's
// SET NULL) undoes the whole operation before it leaves memrel: a caller
// that recovers it and commits commits nothing of it, and the next
// operation runs none of the dead one's actions.
func TestPanicInsideAnOperationUndoesIt(t *testing.T) {
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	posts := NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users, OnDelete(Cascade))
	NullableForeignKey(posts, "editor", func(p *Post) *Null[int64] { return &p.EditorID }, users, OnDelete(SetNull))
	NewIndex(posts, "title", func(p *Post) *string {
		if p.Title == "boom" && !p.EditorID.Valid {
			panic("accessor failed")
		}
		return &p.Title
	})
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	mustUpdate(t, db, func(tx *Tx) error {
		for _, u := range []User{{ID: 1}, {ID: 2}} {
			if _, err := users.Insert(tx, u); err != nil {
				return err
			}
		}
		// Post 1 goes with user 2 (CASCADE); post 2, edited by user 2,
		// panics when SET NULL rewrites it.
		for _, p := range []Post{{ID: 1, UserID: 2}, {ID: 2, Title: "boom", UserID: 1, EditorID: Valid[int64](2)}} {
			if _, err := posts.Insert(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	before := dump(t, db)
	mustUpdate(t, db, func(tx *Tx) error {
		func() {
			defer func() {
				if p := recover(); p != "accessor failed" {
					t.Errorf("recovered %v", p)
				}
			}()
			_ = users.Delete(tx, 2)
			t.Error("Delete returned")
		}()
		// The transaction is as it was: user 2 and both posts are there,
		// and an unrelated operation runs no leftover action.
		if _, err := users.Insert(tx, User{ID: 3}); err != nil {
			return err
		}
		return users.Delete(tx, 3)
	})
	after := dump(t, db)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("store changed:\nbefore %v\nafter  %v", before, after)
	}
	verify(t, db)
}

// The zero value of every handle is refused with ErrInvalid, never a panic.
func TestZeroHandles(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	var (
		table Table[User, int64]
		index Index[User, int64, string]
		rel   Relation[Post, User, int64]
		assoc Association[link, Post, parent, int64, int64]
		order Ordering[Post, User, int64]
		db    DB
		tx    Tx
	)
	if table.Name() != "" || rel.Name() != "" || ForeignKey[Post, int64](nil, "x", func(p *Post) *int64 { return &p.UserID }, b.users).Name() != "" {
		t.Error("a zero handle has a name")
	}
	if _, err := Open(NewSchema(), nil); !errors.Is(err, ErrSchema) {
		t.Errorf("Open of an empty schema: %v", err)
	}
	if db.Snapshot() != nil {
		t.Error("a zero store made a snapshot")
	}
	for name, err := range map[string]error{
		"DB.BeginWrite": func() error { _, err := db.BeginWrite(); return err }(),
		"DB.BeginRead":  func() error { _, err := db.BeginRead(); return err }(),
		"DB.Update":     db.Update(func(*Tx) error { return nil }),
		"DB.View":       db.View(func(*Tx) error { return nil }),
		"DB.Verify":     db.Verify(),
		"Tx.Commit":     tx.Commit(),
		"Tx.Err":        tx.Err(),
		"Tx.Strict":     tx.Strict(),
		"Tx.Verify":     tx.Verify(),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s of a zero value: %v", name, err)
		}
	}
	tx.Abort()
	err := b.db.Update(func(tx *Tx) error {
		for name, err := range map[string]error{
			"Table.Insert":  func() error { _, err := table.Insert(tx, User{}); return err }(),
			"Table.Get":     func() error { _, err := table.Get(tx, 1); return err }(),
			"Table.Len":     func() error { _, err := table.Len(tx); return err }(),
			"Table.Delete":  table.Delete(tx, 1),
			"Index.First":   func() error { _, err := index.First(tx, ""); return err }(),
			"Relation":      func() error { _, err := rel.ListChildren(tx, 1); return err }(),
			"Relation.Key":  func() error { _, ok := rel.Key(Post{}); return map[bool]error{false: ErrInvalid}[ok] }(),
			"Association":   func() error { _, err := assoc.Link(tx, 1, 1); return err }(),
			"Count":         func() error { _, err := assoc.Count(tx, 1); return err }(),
			"Eager":         func() error { _, err := Eager(tx, []Post{{}}, One(&rel)); return err }(),
			"EagerAll":      func() error { _, err := EagerAll(tx, &table, Many(b.author)); return err }(),
			"LoadRights":    func() error { _, err := Eager(tx, []Post{{}}, assoc.LoadRights()); return err }(),
			"Ordering":      func() error { _, err := Eager(tx, []User{{ID: 1}}, Many(b.author).OrderedBy(&order)); return err }(),
			"Table.Name":    map[bool]error{true: ErrInvalid}[table.Name() == ""],
			"Relation.Name": map[bool]error{true: ErrInvalid}[rel.Name() == ""],
		} {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s of a zero value: %v", name, err)
			}
		}
		for range table.All(tx) {
			t.Error("a zero table yielded a row")
		}
		for range order.Children(tx, 1) {
			t.Error("a zero ordering yielded a row")
		}
		return nil
	})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Update that ranged over zero handles: %v", err)
	}
	verify(t, b.db)
}

// UpdateKey may not move a row to key 0, which Insert and Upsert take for
// "assign a key": the row could never be addressed by them again.
func TestUpdateKeyToZero(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	unchanged(t, b.db, func() {
		err := b.db.Update(func(tx *Tx) error { return b.users.UpdateKey(tx, 2, User{ID: 0, Email: "bob@x"}) })
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("UpdateKey to 0: %v", err)
		}
	})
}

// A violation of a whole index (not of one row) names no key.
func TestTableViolationNamesNoKey(t *testing.T) {
	e := &ConstraintError{Op: "verify", Table: "users", Constraint: "users.email", Other: "3 index entries for 2 rows with a value", Err: ErrCorrupt}
	if got, want := e.Error(), "memrel: verify users: store corrupt (users.email): 3 index entries for 2 rows with a value"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
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
	mustUpdate(t, db, func(tx *Tx) error {
		if _, err := tables[5].Insert(tx, node{ID: "abc"}); err != nil {
			return err
		}
		_, err := tables[6].Insert(tx, node{ID: "child", Ref: Valid("abc")})
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
		_, err := tables[112].Insert(tx, node{ID: "\x05abc", Ref: Valid("missing")})
		return err
	})
	if !errors.Is(err, ErrForeignKey) {
		t.Fatalf("commit with a dangling deferred reference: %v", err)
	}
	verify(t, db)
}

// A Where function may use the transaction (no deadlock), and may even end
// it: the load then fails with ErrTxDone, and nothing panics.
func TestWhereUsesTheTransaction(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	for _, write := range []bool{false, true} {
		tx := mustTx(b.db.BeginRead())
		if write {
			tx = mustTx(b.db.BeginWrite())
		}
		commented := Many(b.author).Where(func(p Post) bool {
			n, err := b.onPost.Count(tx, p.ID)
			return err == nil && n > 0
		})
		got, err := EagerAll(tx, b.users, commented)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || len(got[0].Loaded) != 1 || got[0].Loaded[0].ID != 10 || len(got[1].Loaded) != 0 {
			t.Errorf("write=%v: posts with comments: %+v", write, got)
		}
		ending := Many(b.author).Where(func(Post) bool { tx.Abort(); return true })
		if _, err := EagerAll(tx, b.users, ManyWith(ending, Many(b.onPost))); !errors.Is(err, ErrTxDone) {
			t.Errorf("write=%v: a load whose Where ended the transaction: %v", write, err)
		}
		if _, err := Eager(tx, []User{{ID: 1}}, ending); !errors.Is(err, ErrTxDone) {
			t.Errorf("write=%v: Eager on the ended transaction: %v", write, err)
		}
	}
	verify(t, b.db)
}
