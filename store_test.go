package memrel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUpdateCommitsOrAborts(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	boom := errors.New("boom")
	unchanged(t, b.DB, func() {
		err := b.DB.Update(func(tx *Tx) error {
			if err := b.Users.Delete(tx, 1); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("got %v, want the function's error", err)
		}
	})
	unchanged(t, b.DB, func() {
		func() {
			defer func() {
				if p := recover(); p != "panic in Update" {
					t.Fatalf("recovered %v", p)
				}
			}()
			_ = b.DB.Update(func(tx *Tx) error {
				_ = b.Users.Delete(tx, 1)
				panic("panic in Update")
			})
		}()
	})
	// The writer lock was released: another write goes through.
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Users.Delete(tx, 1) })
}

func TestTransactionLifecycle(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)

	tx := MustTx(b.DB.BeginWrite())
	if _, err := b.Users.Insert(tx, User{ID: 3, Email: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tx.Abort() // after Commit: nothing
	if err := tx.Commit(); !errors.Is(err, ErrTxDone) {
		t.Errorf("second Commit: %v", err)
	}
	if _, err := b.Users.Get(tx, 1); !errors.Is(err, ErrTxDone) {
		t.Errorf("Get after Commit: %v", err)
	}
	if _, err := b.Users.Insert(tx, User{ID: 4, Email: "d"}); !errors.Is(err, ErrTxDone) {
		t.Errorf("Insert after Commit: %v", err)
	}
	if n := len(slices.Collect(b.Users.All(tx))); n != 0 {
		t.Errorf("All after Commit yielded %d rows", n)
	}
	if _, err := b.Author.ListChildren(tx, 1); !errors.Is(err, ErrTxDone) {
		t.Errorf("ListChildren after Commit: %v", err)
	}

	// Read transactions refuse writes.
	err := b.DB.View(func(tx *Tx) error {
		_, err := b.Users.Insert(tx, User{ID: 5, Email: "e"})
		if !errors.Is(err, ErrReadOnly) {
			t.Errorf("Insert in View: %v", err)
		}
		if err := b.Users.Delete(tx, 1); !errors.Is(err, ErrReadOnly) {
			t.Errorf("Delete in View: %v", err)
		}
		if err := tx.DeferConstraints(); !errors.Is(err, ErrReadOnly) {
			t.Errorf("DeferConstraints in View: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A transaction escaping its Update is done.
	var escaped *Tx
	MustUpdate(t, b.DB, func(tx *Tx) error { escaped = tx; return nil })
	if _, err := b.Users.Get(escaped, 1); !errors.Is(err, ErrTxDone) {
		t.Errorf("escaped tx: %v", err)
	}
	// Commit inside Update is refused, and Update then commits normally.
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if err := tx.Commit(); err == nil {
			t.Error("Commit inside Update succeeded")
		}
		_, err := b.Users.Insert(tx, User{ID: 6, Email: "f"})
		return err
	})
	if err := b.DB.View(func(tx *Tx) error { _, err := b.Users.Get(tx, 6); return err }); err != nil {
		t.Error(err)
	}
}

func TestReadersSeeSnapshots(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	r := MustTx(b.DB.BeginRead())
	defer r.Abort()
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Users.Delete(tx, 1) })
	if ok, _ := b.Users.Has(r, 1); !ok {
		t.Error("reader opened before the delete does not see user 1")
	}
	if n, _ := b.Posts.Len(r); n != 3 {
		t.Errorf("reader sees %d posts, want 3", n)
	}
}

func TestForkIsIndependent(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	before := dump(t, b.DB)
	fork := b.DB.Fork()
	MustUpdate(t, fork, func(tx *Tx) error {
		if err := b.Users.Delete(tx, 1); err != nil {
			return err
		}
		_, err := b.Users.Insert(tx, User{Name: "new", Email: "n"})
		return err
	})
	if diff := cmp.Diff(before, dump(t, b.DB)); diff != "" {
		t.Errorf("original changed by a write to its snapshot:\n%s", diff)
	}
	// The sequence travels with the snapshot: the original assigns 3 too.
	MustUpdate(t, b.DB, func(tx *Tx) error {
		u, err := b.Users.Insert(tx, User{Name: "orig", Email: "o"})
		if u.ID != 3 {
			t.Errorf("original assigned %d, want 3", u.ID)
		}
		return err
	})
	verify(t, fork)
	verify(t, b.DB)
}

func TestNavigationBothWays(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	err := b.DB.View(func(tx *Tx) error {
		var titles []string
		for p := range b.Author.Children(tx, 1) {
			titles = append(titles, p.Title)
		}
		if diff := cmp.Diff([]string{"a1", "a2"}, titles); diff != "" {
			t.Errorf("user 1's posts (-want +got):\n%s", diff)
		}
		// Breaking out of the sequence early is fine.
		for range b.Author.Children(tx, 1) {
			break
		}
		edited, err := b.Editor.ListChildren(tx, 1)
		if err != nil || len(edited) != 1 || edited[0].ID != 20 {
			t.Errorf("posts edited by 1: %v %v", edited, err)
		}
		p, _ := b.Posts.Get(tx, 20)
		a, err := b.Author.Parent(tx, p)
		if err != nil || a.Name != "bob" {
			t.Errorf("author of 20: %v %v", a, err)
		}
		e, err := b.Editor.Parent(tx, p)
		if err != nil || e.Name != "ann" {
			t.Errorf("editor of 20: %v %v", e, err)
		}
		p, _ = b.Posts.Get(tx, 10)
		if _, err := b.Editor.Parent(tx, p); !errors.Is(err, ErrNotFound) {
			t.Errorf("NULL editor: %v", err)
		}
		if k, ok := b.Editor.ParentKey(p); ok {
			t.Errorf("Key of NULL editor: %v", k)
		}
		replies, _ := b.Replies.ListChildren(tx, 100)
		if len(replies) != 1 || replies[0].ID != 101 {
			t.Errorf("replies to 100: %v", replies)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Lazy children read the transaction's state when ranged over.
func TestChildrenAreLazy(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error {
		seq := b.Author.Children(tx, 2)
		if _, err := b.Posts.Insert(tx, Post{ID: 21, UserID: 2}); err != nil {
			return err
		}
		if n := len(slices.Collect(seq)); n != 2 {
			t.Errorf("sequence made before the insert yields %d posts, want 2", n)
		}
		return nil
	})
}

func TestMutationSafety(t *testing.T) {
	type Doc struct {
		ID   string
		Tags []string
		Ref  Null[string]
	}
	s := NewSchema()
	docs := NewTable(s, "docs", func(d *Doc) *string { return &d.ID })
	NullableForeignKey(docs, "ref", func(d *Doc) *Null[string] { return &d.Ref }, docs)
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	in := Doc{ID: "a", Tags: []string{"x"}}
	MustUpdate(t, db, func(tx *Tx) error {
		if _, err := docs.Insert(tx, in); err != nil {
			return err
		}
		_, err := docs.Insert(tx, Doc{ID: "b", Ref: NullFrom("a")})
		return err
	})
	// Changing the struct passed in changes nothing stored.
	in.ID, in.Ref = "zzz", NullFrom("nowhere")
	verify(t, db)
	// Nor does changing a struct read out.
	err = db.View(func(tx *Tx) error {
		got, err := docs.Get(tx, "b")
		got.ID, got.Ref = "c", NullFrom("nowhere")
		again, _ := docs.Get(tx, "b")
		if again.Ref != NullFrom("a") || again.ID != "b" {
			t.Errorf("stored row changed: %+v", again)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, db)
	// Slices are shared (documented): the indexes still hold, Verify
	// still passes since Tags is not a key.
	in.Tags[0] = "y"
	verify(t, db)
}

// A key field of reference type changed in place is caught by Verify.
func TestVerifyFindsRowsChangedInPlace(t *testing.T) {
	type Box struct {
		ID  int64
		Key *int64
	}
	type Link struct{ ID, Box int64 }
	s := NewSchema()
	boxes := NewTable(s, "boxes", func(b *Box) *int64 { return &b.ID })
	links := NewTable(s, "links", func(l *Link) *int64 { return &l.ID })
	ForeignKey(links, "box", func(l *Link) *int64 { return &l.Box }, boxes)
	db, _ := Open(s)
	MustUpdate(t, db, func(tx *Tx) error {
		_, err := boxes.Insert(tx, Box{ID: 1})
		if err == nil {
			_, err = links.Insert(tx, Link{1, 1})
		}
		return err
	})
	verify(t, db)
	// Reach into the store the way a shared pointer would, and move a key.
	_ = db.View(func(tx *Tx) error {
		r := tx.get(links.info, encodeKey(links.codec, 1))
		r.row.(*Link).Box = 99
		return nil
	})
	err := db.Verify()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Verify: %v", err)
	}
}

func TestSchemaValidation(t *testing.T) {
	type A struct {
		ID   int64
		Name string
		BID  int64
		Opt  Null[int64]
	}
	var outside int64
	cases := []struct {
		name  string
		build func(s *Schema)
		want  string
	}{
		{"no tables", func(s *Schema) {}, "schema has no tables"},
		{"duplicate table", func(s *Schema) {
			NewTable(s, "a", func(a *A) *int64 { return &a.ID })
			NewTable(s, "a", func(a *A) *int64 { return &a.ID })
		}, "table a declared twice"},
		{"bad table name", func(s *Schema) {
			NewTable(s, "a.b", func(a *A) *int64 { return &a.ID })
		}, `table "a.b": names are letters`},
		{"nil key accessor", func(s *Schema) {
			NewTable[A, int64](s, "a", nil)
		}, "table a: key accessor is nil"},
		{"key accessor not a field", func(s *Schema) {
			NewTable(s, "a", func(a *A) *int64 { return &outside })
		}, "table a: key accessor must return the address of a field"},
		{"key accessor panics", func(s *Schema) {
			NewTable(s, "a", func(a *A) *int64 { panic("no") })
		}, "table a: key accessor panicked"},
		{"rows not structs", func(s *Schema) {
			NewTable(s, "a", func(a *int64) *int64 { return a })
		}, "table a: rows must be structs"},
		{"duplicate relation", func(s *Schema) {
			a := NewTable(s, "a", func(a *A) *int64 { return &a.ID })
			ForeignKey(a, "b", func(a *A) *int64 { return &a.BID }, a)
			ForeignKey(a, "b", func(a *A) *int64 { return &a.BID }, a)
		}, "table a: name b is used twice among its relations and indexes"},
		{"index and relation share a name", func(s *Schema) {
			a := NewTable(s, "a", func(a *A) *int64 { return &a.ID })
			NewIndex(a, "b", func(a *A) *string { return &a.Name })
			ForeignKey(a, "b", func(a *A) *int64 { return &a.BID }, a)
		}, "table a: name b is used twice among its relations and indexes"},
		{"set null on a non-nullable key", func(s *Schema) {
			a := NewTable(s, "a", func(a *A) *int64 { return &a.ID })
			ForeignKey(a, "b", func(a *A) *int64 { return &a.BID }, a, OnDelete(SetNull))
		}, "relation a.b: SET NULL on a.BID, which is not nullable"},
		{"a default of another type", func(s *Schema) {
			a := NewTable(s, "a", func(a *A) *int64 { return &a.ID })
			ForeignKey(a, "b", func(a *A) *int64 { return &a.BID }, a, OnDelete(SetDefault), Default(7))
		}, "relation a.b: Default(7) has type int, but the foreign key has type int64"},
		{"unknown action", func(s *Schema) {
			a := NewTable(s, "a", func(a *A) *int64 { return &a.ID })
			NullableForeignKey(a, "b", func(a *A) *Null[int64] { return &a.Opt }, a, OnDelete(9))
		}, "relation a.b (a.Opt): unknown action"},
		{"parent from another schema", func(s *Schema) {
			a := NewTable(s, "a", func(a *A) *int64 { return &a.ID })
			other := NewTable(NewSchema(), "o", func(a *A) *int64 { return &a.ID })
			ForeignKey(a, "b", func(a *A) *int64 { return &a.BID }, other)
		}, "relation a.b: parent table o belongs to another schema"},
		{"index accessor not a field", func(s *Schema) {
			a := NewTable(s, "a", func(a *A) *int64 { return &a.ID })
			NewIndex(a, "n", func(a *A) *int64 { return &outside })
		}, "table a: index n accessor must return the address of a field"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewSchema()
			c.build(s)
			db, err := Open(s)
			if db != nil || !errors.Is(err, ErrSchema) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open: %v\nwant an ErrSchema containing %q", err, c.want)
			}
		})
	}
	if _, err := Open(nil); !errors.Is(err, ErrSchema) {
		t.Errorf("Open(nil): %v", err)
	}
}

func TestDeclaredAfterOpen(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	s := b.DB.schema
	late := NewTable(s, "late", func(tg *Tag) *int64 { return &tg.ID })
	rel := ForeignKey(b.Posts, "late", func(p *Post) *int64 { return &p.UserID }, b.Users)
	err := b.DB.Update(func(tx *Tx) error {
		if _, err := late.Insert(tx, Tag{ID: 1}); !errors.Is(err, ErrSchema) {
			t.Errorf("insert into a table declared after Open: %v", err)
		}
		if _, err := rel.ListChildren(tx, 1); !errors.Is(err, ErrSchema) {
			t.Errorf("relation declared after Open: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(s); !errors.Is(err, ErrSchema) {
		t.Errorf("reopening a schema with late declarations: %v", err)
	}
}

// Every public entry point, given bad input, returns an error and leaves the
// store as it was.
func TestBadInput(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	other := NewBlog(t, DefaultRules()) // same types, another schema

	type namedTag struct{ Name string } // keyed by a string
	s := NewSchema()
	tags := NewTable(s, "tags", func(t *namedTag) *string { return &t.Name })
	tagDB, _ := Open(s)

	var nilTable *Table[User, int64]
	var nilRel *Relation[Post, User, int64]
	var nilIndex *Index[User, int64, string]
	huge := strings.Repeat("x", maxKeyLen+1)

	cases := []struct {
		name string
		db   *DB
		op   func(tx *Tx) error
		want error
	}{
		{"nil table insert", b.DB, func(tx *Tx) error { _, err := nilTable.Insert(tx, User{}); return err }, ErrInvalid},
		{"nil table get", b.DB, func(tx *Tx) error { _, err := nilTable.Get(tx, 1); return err }, ErrInvalid},
		{"nil relation", b.DB, func(tx *Tx) error { _, err := nilRel.ListChildren(tx, 1); return err }, ErrInvalid},
		{"nil relation parent", b.DB, func(tx *Tx) error { _, err := nilRel.Parent(tx, Post{}); return err }, ErrInvalid},
		{"nil index", b.DB, func(tx *Tx) error { _, err := nilIndex.First(tx, "x"); return err }, ErrInvalid},
		{"nil tx", b.DB, func(*Tx) error { _, err := b.Users.Insert(nil, User{}); return err }, ErrInvalid},
		{"nil tx delete", b.DB, func(*Tx) error { return b.Users.Delete(nil, 1) }, ErrInvalid},
		{"table of another schema", b.DB, func(tx *Tx) error { _, err := other.Users.Insert(tx, User{Email: "z"}); return err }, ErrSchema},
		{"relation of another schema", b.DB, func(tx *Tx) error { _, err := other.Author.ListChildren(tx, 1); return err }, ErrSchema},
		{"empty string key", tagDB, func(tx *Tx) error { _, err := tags.Insert(tx, namedTag{}); return err }, ErrInvalid},
		{"huge key", tagDB, func(tx *Tx) error { _, err := tags.Insert(tx, namedTag{huge}); return err }, ErrInvalid},
		{"huge index value", b.DB, func(tx *Tx) error { _, err := b.Users.Insert(tx, User{Email: huge}); return err }, ErrInvalid},
		{"duplicate key", b.DB, func(tx *Tx) error { _, err := b.Users.Insert(tx, User{ID: 1, Email: "q"}); return err }, ErrUnique},
		{"update missing row", b.DB, func(tx *Tx) error { return b.Users.Update(tx, User{ID: 99}) }, ErrNotFound},
		{"update zero key", b.DB, func(tx *Tx) error { return b.Users.Update(tx, User{}) }, ErrNotFound},
		{"re-key missing row", b.DB, func(tx *Tx) error { return b.Users.UpdateKey(tx, 99, User{ID: 98}) }, ErrNotFound},
		{"delete missing row", b.DB, func(tx *Tx) error { return b.Users.Delete(tx, 99) }, ErrNotFound},
		{"get missing row", b.DB, func(tx *Tx) error { _, err := b.Users.Get(tx, 99); return err }, ErrNotFound},
		{"FK into a deleted parent", b.DB, func(tx *Tx) error {
			if err := b.Users.Delete(tx, 2); err != nil {
				return err
			}
			_, err := b.Posts.Insert(tx, Post{UserID: 2})
			return err
		}, ErrForeignKey},
		{"nil function", b.DB, func(*Tx) error { return b.DB.Update(nil) }, ErrInvalid},
		{"nil function view", b.DB, func(*Tx) error { return b.DB.View(nil) }, ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			unchanged(t, c.db, func() {
				// Run outside a transaction when the case makes its own.
				var err error
				if strings.HasPrefix(c.name, "nil function") {
					err = c.op(nil)
				} else {
					err = c.db.Update(c.op)
				}
				if !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
			})
		})
	}
	var nilDB *DB
	if err := nilDB.Update(func(*Tx) error { return nil }); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil DB: %v", err)
	}
}

// Readers run beside a writer that cascades; every reader sees a sound store.
func TestConcurrentReadersDuringWrites(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	const writes = 300
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := b.DB.View(func(tx *Tx) error {
					if err := tx.Verify(); err != nil {
						return err
					}
					for u := range b.Users.All(tx) {
						for p := range b.Author.Children(tx, u.ID) {
							if _, err := b.Author.Parent(tx, p); err != nil {
								return fmt.Errorf("post %d: %w", p.ID, err)
							}
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := int64(1); i <= writes; i++ {
		MustUpdate(t, b.DB, func(tx *Tx) error {
			u, err := b.Users.Insert(tx, User{Email: fmt.Sprint(i)})
			if err != nil {
				return err
			}
			for range 3 {
				if _, err := b.Posts.Insert(tx, Post{UserID: u.ID}); err != nil {
					return err
				}
			}
			if i%3 == 0 {
				return b.Users.Delete(tx, i-1)
			}
			return nil
		})
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	verify(t, b.DB)
}

// The undo log holds only the operation under way: a long transaction does
// not keep an entry per row written, and an operation rejected after many
// successful ones still leaves nothing behind.
func TestUndoLogIsPerOperation(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	before := dump(t, b.DB)
	tx := MustTx(b.DB.BeginWrite())
	defer tx.Abort()
	for i := range 100 {
		if _, err := b.Users.Insert(tx, User{Email: fmt.Sprint("u", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Users.Delete(tx, 1); err != nil { // cascades to posts and comments
		t.Fatal(err)
	}
	if len(tx.w.undo) != 0 || tx.w.ops != 0 {
		t.Fatalf("after the operations: %d undo entries, %d operations open", len(tx.w.undo), tx.w.ops)
	}
	mid := dumpTx(tx)
	if _, err := b.Posts.Insert(tx, Post{Title: "orphan", UserID: 9999}); !errors.Is(err, ErrForeignKey) {
		t.Fatalf("orphan post: %v", err)
	}
	if err := b.Users.Delete(tx, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleting user 1 again: %v", err)
	}
	if diff := cmp.Diff(mid, dumpTx(tx)); diff != "" {
		t.Errorf("a rejected operation left changes (-want +got):\n%s", diff)
	}
	tx.Abort()
	if diff := cmp.Diff(before, dump(t, b.DB)); diff != "" {
		t.Errorf("an aborted transaction left changes (-want +got):\n%s", diff)
	}
}
