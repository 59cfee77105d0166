package memrel

import (
	"errors"
	"go/ast"
	"go/parser"
	"strings"
	"testing"
)

// A foreign key on the field a pair key begins with is served by the
// primary key's index: go-memdb has no index for it.
func TestKeyPrefixRelationHasNoIndex(t *testing.T) {
	b := NewBlog(t, BlogRules{PairTags: true}) // post_tags keyed by (post, tag)
	lead, other := b.Tagged, b.Tag
	if !lead.info.index.shared || other.info.index.shared {
		t.Errorf("shared: lead %v, other %v", lead.info.index.shared, other.info.index.shared)
	}
	idx := b.DB.schema.mdb.Tables["post_tags"].Indexes
	if _, ok := idx["ix:post"]; ok || len(idx) != 2 {
		t.Errorf("go-memdb indexes of post_tags: %v", len(idx))
	}
}

// Parent of a NULL foreign key loads nothing: strict mode allows it, it is
// not counted, and it still reports that there is no parent.
func TestParentOfNullKeyIsNotALoad(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t)
	err := b.DB.View(func(tx *Tx) error {
		if err := tx.Strict(); err != nil {
			return err
		}
		p, err := b.Posts.Get(tx, 10) // no editor
		if err != nil {
			return err
		}
		if _, err := b.Editor.Parent(tx, p); !errors.Is(err, ErrNotFound) {
			t.Errorf("Parent of a NULL key in strict mode: %v, want ErrNotFound", err)
		}
		if got := tx.LoadStats(b.Editor); got != (LoadStats{}) {
			t.Errorf("LoadStats after Parent of a NULL key = %+v, want none", got)
		}
		edited, err := b.Posts.Get(tx, 20) // edited by user 1: a real load
		if err != nil {
			return err
		}
		if _, err := b.Editor.Parent(tx, edited); !errors.Is(err, ErrLazyLoad) {
			t.Errorf("Parent of a non-NULL key in strict mode: %v, want ErrLazyLoad", err)
		}
		return nil
	})
	if !errors.Is(err, ErrLazyLoad) { // the lazy load, recorded
		t.Errorf("View = %v, want the recorded ErrLazyLoad", err)
	}
}

// Every strict-mode error names the loader to use as Go that parses, and
// that calls a loader memrel has: no hint refers to a name that does not
// exist.
func TestStrictHintsAreGo(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t)
	loaders := map[string]bool{"Many": true, "One": true, "Tree": true, "Count": true, "LoadRights": true, "LoadLefts": true, "OrderedBy": true}
	type lazyCall struct {
		name string
		run  func(tx *Tx) error
	}
	post := Post{ID: 20, UserID: 2, EditorID: NullFrom[int64](1)}
	comment := Comment{ID: 102, PostID: 10, ParentID: NullFrom[int64](101)}
	calls := []lazyCall{
		{"Children", func(tx *Tx) error {
			for range b.Author.Children(tx, 1) {
			}
			return tx.Err()
		}},
		{"ListChildren", func(tx *Tx) error { _, err := b.Author.ListChildren(tx, 1); return err }},
		{"Child", func(tx *Tx) error { _, err := b.Author.Child(tx, 1); return err }},
		{"Parent", func(tx *Tx) error { _, err := b.Editor.Parent(tx, post); return err }},
		{"Descendants", func(tx *Tx) error {
			for range b.Replies.Descendants(tx, 100, 0) {
			}
			return tx.Err()
		}},
		{"Ancestors", func(tx *Tx) error {
			for range b.Replies.Ancestors(tx, comment, 0) {
			}
			return tx.Err()
		}},
		{"Rights", func(tx *Tx) error {
			for range b.Tagging.Rights(tx, 10) {
			}
			return tx.Err()
		}},
		{"Lefts", func(tx *Tx) error {
			for range b.Tagging.Lefts(tx, 1) {
			}
			return tx.Err()
		}},
	}
	// An ordering's Children, on a schema that declares one.
	m := NewTitled(t)
	db, byTitle := m.DB, m.ByTitle
	_ = db.View(func(tx *Tx) error { // fails with the recorded ErrLazyLoad
		if err := tx.Strict(); err != nil {
			return err
		}
		for range byTitle.Children(tx, 1) {
		}
		checkHint(t, "Ordering.Children", tx.Err(), loaders)
		return nil
	})
	_ = db.View(func(tx *Tx) error {
		if err := tx.Strict(); err != nil {
			return err
		}
		_, err := byTitle.Page(tx, 1, Page[Post]{})
		checkHint(t, "Ordering.Page", err, loaders)
		if err == nil || !strings.Contains(err.Error(), "OrderedBy(o)") {
			t.Errorf("Ordering.Page in strict mode: %v, want a hint naming the ordering", err)
		}
		return nil
	})
	for _, c := range calls {
		tx, err := b.DB.BeginRead()
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Strict(); err != nil {
			t.Fatal(err)
		}
		err = c.run(tx)
		tx.Abort()
		checkHint(t, c.name, err, loaders)
	}
}

// checkHint checks that err is ErrLazyLoad whose hint parses as a Go
// expression calling only known loaders.
func checkHint(t *testing.T, name string, err error, loaders map[string]bool) {
	t.Helper()
	if !errors.Is(err, ErrLazyLoad) {
		t.Errorf("%s in strict mode: %v, want ErrLazyLoad", name, err)
		return
	}
	msg := err.Error()
	_, hint, ok := strings.Cut(msg, "load it eagerly with ")
	if !ok {
		t.Errorf("%s: no hint in %q", name, msg)
		return
	}
	hint, _, _ = strings.Cut(hint, " (")
	expr, perr := parser.ParseExpr(hint)
	if perr != nil {
		t.Errorf("%s: hint %q is not Go: %v", name, hint, perr)
		return
	}
	ast.Inspect(expr, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && !loaders[sel.Sel.Name] {
				t.Errorf("%s: hint %q calls %s, which is no loader", name, hint, sel.Sel.Name)
			}
		}
		return true
	})
}

// Strict(true) on a fork makes every transaction of the fork strict, the
// ones the code under test begins included; the original stays lax.
func TestStrictStore(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t)
	strict := b.DB.Fork(Strict(true))
	lazily := func(db *DB) error {
		return db.View(func(tx *Tx) error {
			_, err := b.Author.ListChildren(tx, 1)
			return err
		})
	}
	if err := lazily(strict); !errors.Is(err, ErrLazyLoad) {
		t.Errorf("lazy load in a strict fork's View: %v, want ErrLazyLoad", err)
	}
	err := strict.Update(func(tx *Tx) error {
		_, err := b.Posts.Insert(tx, Post{ID: 30, UserID: 1})
		if err != nil {
			return err
		}
		_, err = b.Author.Parent(tx, Post{UserID: 1})
		return err
	})
	if !errors.Is(err, ErrLazyLoad) {
		t.Errorf("lazy load in a strict fork's Update: %v, want ErrLazyLoad", err)
	}
	if err := lazily(b.DB); err != nil {
		t.Errorf("the original is not strict: %v", err)
	}
	if err := lazily(strict.Fork()); !errors.Is(err, ErrLazyLoad) {
		t.Errorf("a fork of a strict fork: %v, want ErrLazyLoad", err)
	}
	if err := lazily(strict.Fork(Strict(false))); err != nil {
		t.Errorf("a fork with Strict(false): %v", err)
	}
	// Eager loading is allowed.
	err = strict.View(func(tx *Tx) error {
		_, _, err := EagerAll(tx, b.Users, Many(b.Author))
		return err
	})
	if err != nil {
		t.Errorf("eager load in a strict fork: %v", err)
	}
}
