package memreltest_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/memreltest"
)

// fakeTB records what a helper reports, so that a test can check the
// failure messages the kit gives. Fatal stops the helper as testing's does
// (runtime.Goexit is not needed: run recovers the sentinel panic).
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	logs     []string
	fatal    bool
	cleanups []func()
}

type fatalStop struct{}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.Errorf(format, args...)
	f.fatal = true
	panic(fatalStop{})
}
func (f *fakeTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Failed() bool      { return len(f.errors) > 0 }

// run runs fn as a test body on a fakeTB, then its cleanups, and returns
// what it reported.
func run(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	t.Helper()
	f := &fakeTB{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(fatalStop); !ok {
					panic(p)
				}
			}
		}()
		fn(f)
	}()
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f
}

func (f *fakeTB) text() string { return strings.Join(f.errors, "\n") }

func seeded(t *testing.T) (*blog, *memrel.DB, *memreltest.Labels) {
	b := newBlog()
	db := memreltest.Open(t, b.schema, memrel.Strict(false))
	labels := memreltest.Load(t, db, memreltest.Files(os.DirFS("testdata/fixtures"), "*.json"))
	return b, db, labels
}

func TestOpenIsStrictAndVerified(t *testing.T) {
	b := newBlog()
	db := memreltest.Open(t, b.schema)
	memreltest.Load(t, db, memreltest.Row(b.users, "ann", User{Name: "Ann", Email: "a@x"}))
	err := db.View(func(tx *memrel.Tx) error {
		_, err := b.author.ListChildren(tx, 1)
		return err
	})
	if !errors.Is(err, memrel.ErrLazyLoad) {
		t.Errorf("a lazy load in a test store: %v, want ErrLazyLoad", err)
	}
	if err := memreltest.Fork(t, db, memrel.Strict(false)).View(func(tx *memrel.Tx) error {
		_, err := b.author.ListChildren(tx, 1)
		return err
	}); err != nil {
		t.Errorf("Strict(false): %v", err)
	}
	// A schema Open refuses fails the test, with Open's error.
	bad := memrel.NewSchema()
	f := run(t, func(tb testing.TB) { memreltest.Open(tb, bad) })
	if !f.fatal || !strings.Contains(f.text(), "memreltest.Open: memrel: schema error: schema has no tables") {
		t.Errorf("Open of an empty schema reported %q", f.text())
	}
}

// Forks of one base, in parallel tests, are independent: each sees only
// its own writes, draws the same next keys, counts its own loads.
func TestForksAreIndependent(t *testing.T) {
	b := newBlog()
	base := memreltest.NewBase(b.schema, func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx, memreltest.Files(os.DirFS("testdata/fixtures"), "*.json"))
		return err
	})
	for i := range 8 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			db := base.Fork(t)
			var id int64
			mustUpdate(t, db, func(tx *memrel.Tx) error {
				u, err := b.users.Insert(tx, User{Name: fmt.Sprint("user", i), Email: fmt.Sprint(i, "@x")})
				id = u.ID
				return err
			})
			if id != 3 {
				t.Errorf("fork %d: the new user's key is %d, want 3 (the base has 2)", i, id)
			}
			_ = db.View(func(tx *memrel.Tx) error {
				if n, _ := b.users.Len(tx); n != 3 {
					t.Errorf("fork %d sees %d users, want 3", i, n)
				}
				if _, _, err := memrel.EagerAll(tx, b.users, memrel.Many(b.author)); err != nil {
					t.Error(err)
				}
				return nil
			})
			if s := db.LoadStats(b.author); s.Batches != 1 {
				t.Errorf("fork %d counted %+v, want its own one batch", i, s)
			}
		})
	}
	t.Cleanup(func() {
		db, err := base.DB()
		if err != nil {
			t.Fatal(err)
		}
		_ = db.View(func(tx *memrel.Tx) error {
			if n, _ := b.users.Len(tx); n != 2 {
				t.Errorf("the base has %d users after the forks wrote, want 2", n)
			}
			return nil
		})
	})
}

func TestBaseSeedFailure(t *testing.T) {
	b := newBlog()
	base := memreltest.NewBase(b.schema, func(tx *memrel.Tx) error { return errors.New("no seed today") })
	f := run(t, func(tb testing.TB) { base.Fork(tb) })
	if !f.fatal || !strings.Contains(f.text(), "the base store's seed failed: no seed today") {
		t.Errorf("reported %q", f.text())
	}
	// The next test to fork it is told in a line, not the problems again.
	f = run(t, func(tb testing.TB) { base.Fork(tb) })
	if !f.fatal || !strings.Contains(f.text(), "reported by the first test that forked it") || strings.Contains(f.text(), "no seed today") {
		t.Errorf("reported again %q", f.text())
	}
}

// A lazy many-to-many read names its direction's loader.
func TestCheckLoadsNamesTheThrough(t *testing.T) {
	type Tag struct{ ID int64 }
	type PostTag struct{ PostID, TagID int64 }
	b := newBlog()
	tags := memrel.NewTable(b.schema, "tags", func(t *Tag) *int64 { return &t.ID })
	postTags := memrel.NewPairTable(b.schema, "post_tags", func(pt *PostTag) *int64 { return &pt.PostID }, func(pt *PostTag) *int64 { return &pt.TagID })
	tagged := memrel.ForeignKey(postTags, "post", func(pt *PostTag) *int64 { return &pt.PostID }, b.posts)
	tag := memrel.ForeignKey(postTags, "tag", func(pt *PostTag) *int64 { return &pt.TagID }, tags)
	tagsOf := memrel.NewThrough(tagged, "tags", tag)
	db := memreltest.Open(t, b.schema, memrel.Strict(false))
	memreltest.Load(t, db,
		memreltest.Row(b.users, "ann", User{Name: "Ann", Email: "a@x"}),
		memreltest.Row(b.posts, "p", Post{Title: "P"}, memreltest.Ref(b.author, "ann")),
		memreltest.Row(tags, "go", Tag{}),
		memreltest.Row(postTags, "", PostTag{}, memreltest.Ref(tagged, "p"), memreltest.Ref(tag, "go")))
	err := memreltest.CheckLoads(db, func() {
		_ = db.View(func(tx *memrel.Tx) error {
			for p := range b.posts.All(tx) {
				for range tagsOf.List(tx, p.ID) {
				}
			}
			return nil
		})
	})
	if err == nil || !strings.Contains(err.Error(), "post_tags.post: 1 lazy load, budget 0; for the many-to-many direction posts.tags, load it eagerly with t.Load()") {
		t.Errorf("CheckLoads: %v", err)
	}
}

func TestAssertRowsReports(t *testing.T) {
	b, db, _ := seeded(t)
	f := run(t, func(tb testing.TB) {
		_ = db.View(func(tx *memrel.Tx) error {
			memreltest.AssertRows(tb, tx, b.users, []User{{Name: "Ann", Email: "ann@example.com"}, {Name: "Rob", Email: "bob@example.com"}},
				memreltest.IgnoreKeys(), memreltest.IgnoreFields("Favorite"))
			return nil
		})
	})
	text := f.text()
	for _, want := range []string{"table users (-want +got)", `"Rob"`, `"Bob"`, "table users (ID; favorite: Favorite -> posts)"} {
		if !strings.Contains(text, want) {
			t.Errorf("AssertRows' report lacks %q:\n%s", want, text)
		}
	}
	// Order: ignored unless InOrder.
	f = run(t, func(tb testing.TB) {
		_ = db.View(func(tx *memrel.Tx) error {
			rows := []User{{Name: "Bob", Email: "bob@example.com"}, {Name: "Ann", Email: "ann@example.com"}}
			memreltest.AssertRows(tb, tx, b.users, rows, memreltest.IgnoreKeys(), memreltest.IgnoreFields("Favorite"))
			memreltest.AssertRows(tb, tx, b.users, rows, memreltest.IgnoreKeys(), memreltest.IgnoreFields("Favorite"), memreltest.InOrder())
			return nil
		})
	})
	if len(f.errors) != 1 {
		t.Errorf("want one failure, for InOrder; got %q", f.errors)
	}
	// IgnoreKeys still tells a NULL foreign key from a set one.
	f = run(t, func(tb testing.TB) {
		_ = db.View(func(tx *memrel.Tx) error {
			posts := []Post{{Title: "Hello", Editor: memrel.NullFrom[int64](1)}, {Title: "@handle", Editor: memrel.NullFrom[int64](1)}, {Title: "Fixed key", Editor: memrel.NullFrom[int64](1)}}
			memreltest.AssertRows(tb, tx, b.posts, posts, memreltest.IgnoreKeys())
			posts[0].Editor = memrel.Null[int64]{}
			memreltest.AssertRows(tb, tx, b.posts, posts, memreltest.IgnoreKeys())
			return nil
		})
	})
	if len(f.errors) != 1 || !strings.Contains(f.text(), "Valid") {
		t.Errorf("IgnoreKeys and a NULL editor: want one failure, for the first call; got %q", f.errors)
	}
	f = run(t, func(tb testing.TB) {
		_ = db.View(func(tx *memrel.Tx) error {
			memreltest.AssertRows(tb, tx, b.users, nil, memreltest.IgnoreFields("Nope"))
			return nil
		})
	})
	if !f.fatal || !strings.Contains(f.text(), `IgnoreFields("Nope"): memreltest_test.User has no such field`) {
		t.Errorf("a wrong field: %q", f.text())
	}
}

func TestDiffAndChanges(t *testing.T) {
	b, db, labels := seeded(t)
	ann, _ := memreltest.Key(labels, b.users, "ann")
	d := memreltest.Changes(t, db, func() {
		mustUpdate(t, db, func(tx *memrel.Tx) error {
			if err := b.users.Update(tx, User{ID: ann, Name: "Annie", Email: "ann@example.com"}); err != nil {
				return err
			}
			_, err := b.users.Insert(tx, User{Name: "Cat", Email: "cat@example.com"})
			return err
		})
	})
	users := d.Table("users")
	if len(d.Tables) != 1 || len(users.Changed) != 1 || len(users.Added) != 1 || len(users.Removed) != 0 {
		t.Fatalf("changes:\n%s", d)
	}
	if c := users.Changed[0]; c.Key != fmt.Sprint(ann) || c.After.(User).Name != "Annie" || c.Before.(User).Name != "Ann" {
		t.Errorf("changed %+v", c)
	}
	// Deleting bob cascades to his posts and their comments, and sets
	// Ann's editorship to NULL: the diff shows all of it.
	before := db.Fork()
	bob, _ := memreltest.Key(labels, b.users, "bob")
	mustUpdate(t, db, func(tx *memrel.Tx) error { return b.users.Delete(tx, bob) })
	d, err := memreltest.Diff(before, db)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][3]int{}
	for _, td := range d.Tables {
		got[td.Table] = [3]int{len(td.Added), len(td.Removed), len(td.Changed)}
	}
	want := map[string][3]int{"users": {0, 1, 0}, "posts": {0, 2, 0}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("delete bob: %v, want %v\n%s", got, want, d)
	}
	if !strings.Contains(d.String(), `  - {ID:2 Name:Bob Email:bob@example.com Favorite:NULL}`) {
		t.Errorf("the diff reads:\n%s", d)
	}
}

func TestGolden(t *testing.T) {
	b, db, _ := seeded(t)
	path := filepath.Join(t.TempDir(), "blog.golden")
	f := run(t, func(tb testing.TB) { memreltest.Golden(tb, db, path) })
	if !f.fatal || !strings.Contains(f.text(), "go test -update") {
		t.Errorf("a missing golden file: %q", f.text())
	}
	if err := flag.Set("update", "true"); err != nil {
		t.Fatal(err)
	}
	memreltest.Golden(t, db, path)
	_ = flag.Set("update", "false")
	memreltest.Golden(t, db, path) // the same store: passes
	dump, _ := memreltest.Dump(db)
	again, _ := memreltest.Dump(db.Fork())
	if string(dump) != string(again) {
		t.Errorf("Dump is not deterministic:\n%s\n%s", dump, again)
	}
	if !strings.HasPrefix(string(dump), "{\n  \"users\": [\n    {\"ID\":1,\"Name\":\"Ann\"") {
		t.Errorf("dump:\n%s", dump)
	}
	mustUpdate(t, db, func(tx *memrel.Tx) error { return b.users.Delete(tx, 2) })
	f = run(t, func(tb testing.TB) { memreltest.Golden(tb, db, path) })
	for _, want := range []string{"differs from", "table users (ID; favorite: Favorite -> posts)", "table posts (ID; author: UserID -> users; editor: Editor -> users)"} {
		if !strings.Contains(f.text(), want) {
			t.Errorf("a changed store's report lacks %q:\n%s", want, f.text())
		}
	}
	if strings.Contains(f.text(), "table comments") {
		t.Errorf("the report names comments, which did not change:\n%s", f.text())
	}
}

func TestAssertLoads(t *testing.T) {
	b, db, _ := seeded(t)
	n1 := func() {
		_ = db.View(func(tx *memrel.Tx) error {
			for u := range b.users.All(tx) {
				for range b.author.Children(tx, u.ID) {
				}
			}
			return nil
		})
	}
	f := run(t, func(tb testing.TB) { memreltest.AssertLoads(tb, db, n1) })
	if !strings.Contains(f.text(), "posts.author: 2 lazy loads, budget 0; load them eagerly with memrel.Many(rel)") {
		t.Errorf("an N+1 loop: %q", f.text())
	}
	if f := run(t, func(tb testing.TB) { memreltest.AssertLoads(tb, db, n1, memreltest.LazyOf(b.author, 2)) }); f.Failed() {
		t.Errorf("within its budget: %q", f.text())
	}
	eager := func() {
		_ = db.View(func(tx *memrel.Tx) error {
			_, _, err := memrel.EagerAll(tx, b.users, memrel.Many(b.author).With(memrel.Many(b.post)))
			return err
		})
	}
	if f := run(t, func(tb testing.TB) { memreltest.AssertLoads(tb, db, eager, memreltest.Batches(b.author, 1)) }); f.Failed() {
		t.Errorf("an eager load: %q", f.text())
	}
	f = run(t, func(tb testing.TB) {
		memreltest.AssertLoads(tb, db, func() { eager(); eager() }, memreltest.Batches(b.author, 1))
	})
	if !strings.Contains(f.text(), "posts.author: 2 eager batches, budget 1") {
		t.Errorf("two eager loads: %q", f.text())
	}
	gets := func() {
		_ = db.View(func(tx *memrel.Tx) error {
			for id := int64(1); id <= 2; id++ {
				_, _ = b.users.Get(tx, id)
			}
			return nil
		})
	}
	if f := run(t, func(tb testing.TB) { memreltest.AssertLoads(tb, db, gets) }); f.Failed() {
		t.Errorf("two Gets, within strict mode's default: %q", f.text())
	}
	f = run(t, func(tb testing.TB) { memreltest.AssertLoads(tb, db, gets, memreltest.LazyOf(b.users, 1)) })
	if !strings.Contains(f.text(), "users: 2 reads by key (Get, Has, Index.First), budget 1; read them with users.GetBatch") {
		t.Errorf("Gets in a loop: %q", f.text())
	}
}

// A test that relies on key order by accident fails on a Scrambled store,
// which logs the seed that replays it.
func TestScrambledCatchesOrderDependence(t *testing.T) {
	b := newBlog()
	var rows []User
	for i := range 10 {
		rows = append(rows, User{Name: fmt.Sprint("u", i), Email: fmt.Sprint(i, "@x")})
	}
	base := memreltest.NewBase(b.schema, func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx, memreltest.Rows(b.users, rows...))
		return err
	})
	firstIsU0 := func(tb testing.TB, db *memrel.DB) {
		_ = db.View(func(tx *memrel.Tx) error {
			for u := range b.users.All(tx) {
				if u.Name != "u0" {
					tb.Errorf("the first user is %s", u.Name)
				}
				break
			}
			return nil
		})
	}
	firstIsU0(t, base.Fork(t)) // passes on key order
	failed := 0
	for range 6 { // each keeps u0 first with probability 1/10
		f := run(t, func(tb testing.TB) { firstIsU0(tb, base.Fork(tb, memreltest.Scrambled(tb))) })
		if f.Failed() {
			failed++
			if len(f.logs) != 1 || !strings.Contains(f.logs[0], "replay with memrel.Scramble(") {
				t.Errorf("the failure logged %q, want the seed", f.logs)
			}
		}
	}
	if failed == 0 {
		t.Error("six scrambled runs all kept key order")
	}
	// An assertion that does not depend on order passes on a scrambled
	// store.
	_ = base.Fork(t, memreltest.Scrambled(t)).View(func(tx *memrel.Tx) error {
		memreltest.AssertRows(t, tx, b.users, rows, memreltest.IgnoreKeys())
		return nil
	})
}

// An N+1 loop on a strict store, whose errors the code drops, still fails
// its budget: refused loads are counted.
func TestAssertLoadsCountsRefusedLoads(t *testing.T) {
	b, db, _ := seeded(t)
	strict := memreltest.Fork(t, db)
	f := run(t, func(tb testing.TB) {
		memreltest.AssertLoads(tb, strict, func() {
			_ = strict.View(func(tx *memrel.Tx) error {
				for u := range b.users.All(tx) {
					_, _ = b.author.ListChildren(tx, u.ID)
				}
				return nil
			})
		})
	})
	if !strings.Contains(f.text(), "posts.author: 2 lazy loads, budget 0") {
		t.Errorf("refused lazy loads: %q", f.text())
	}
}
