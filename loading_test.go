package memrel_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

// nested is users -> posts -> (post_tags -> tag).
type nested = []memrel.With[memrel.User, []memrel.With[memrel.Post, []memrel.With[memrel.PostTag, *memrel.Tag]]]

// lazyNested builds the same structure with lazy navigation (N+1).
func lazyNested(tb testing.TB, b *memrel.Blog, tx *memrel.Tx, users []memrel.User) nested {
	tb.Helper()
	var out nested
	for _, u := range users {
		w := memrel.With[memrel.User, []memrel.With[memrel.Post, []memrel.With[memrel.PostTag, *memrel.Tag]]]{Row: u, Loaded: []memrel.With[memrel.Post, []memrel.With[memrel.PostTag, *memrel.Tag]]{}}
		for p := range b.Author.Children(tx, u.ID) {
			pw := memrel.With[memrel.Post, []memrel.With[memrel.PostTag, *memrel.Tag]]{Row: p, Loaded: []memrel.With[memrel.PostTag, *memrel.Tag]{}}
			for pt := range b.Tagged.Children(tx, p.ID) {
				t, err := b.Tag.Parent(tx, pt)
				if err != nil {
					tb.Fatal(err)
				}
				pw.Loaded = append(pw.Loaded, memrel.With[memrel.PostTag, *memrel.Tag]{Row: pt, Loaded: &t})
			}
			w.Loaded = append(w.Loaded, pw)
		}
		out = append(out, w)
	}
	return out
}

// normalize turns nil slices into empty ones, so lazy and eager compare.
var normalize = cmp.Transformer("normalize", func(in []memrel.With[memrel.Post, []memrel.With[memrel.PostTag, *memrel.Tag]]) []memrel.With[memrel.Post, []memrel.With[memrel.PostTag, *memrel.Tag]] {
	out := []memrel.With[memrel.Post, []memrel.With[memrel.PostTag, *memrel.Tag]]{}
	for _, w := range in {
		if w.Loaded == nil {
			w.Loaded = []memrel.With[memrel.PostTag, *memrel.Tag]{}
		}
		out = append(out, w)
	}
	return out
})

func TestEagerMatchesLazy(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 50, 4, 10, 3)
	// A user with no posts, and a post with no tags.
	memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
		if _, err := b.Users.Insert(tx, memrel.User{ID: 100, Name: "quiet"}); err != nil {
			return err
		}
		_, err := b.Posts.Insert(tx, memrel.Post{ID: 1000, UserID: 7, Title: "untagged"})
		return err
	})
	loader := memrel.ManyWith(memrel.Many(b.Author), memrel.ManyWith(memrel.Many(b.Tagged), memrel.One(b.Tag)))
	err := b.DB.View(func(tx *memrel.Tx) error {
		var users []memrel.User
		for u := range b.Users.All(tx) {
			users = append(users, u)
		}
		want := lazyNested(t, b, tx, users)

		all, err := memrel.EagerAll(tx, b.Users, loader)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, nested(all), normalize); diff != "" {
			t.Errorf("EagerAll (merge join) differs from lazy (-lazy +eager):\n%s", diff)
		}
		// A batch in another order, with a repeat and a user with nothing.
		batch := []memrel.User{users[9], users[3], users[9], users[len(users)-1]}
		got, err := memrel.Eager(tx, batch, loader)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(lazyNested(t, b, tx, batch), nested(got), normalize); diff != "" {
			t.Errorf("Eager (batch) differs from lazy (-lazy +eager):\n%s", diff)
		}
		// A hand-built expectation for one user: user 2 wrote posts 5..8.
		var titles []string
		for _, p := range all[1].Loaded {
			titles = append(titles, p.Row.Title)
		}
		if diff := cmp.Diff([]string{"post5", "post6", "post7", "post8"}, titles); diff != "" {
			t.Errorf("user 2's posts (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEagerManyToOne(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 10, 3, 5, 1)
	err := b.DB.View(func(tx *memrel.Tx) error {
		var posts []memrel.Post
		for p := range b.Posts.All(tx) {
			posts = append(posts, p)
		}
		editors, err := memrel.Eager(tx, posts, memrel.One(b.Editor))
		if err != nil {
			return err
		}
		authors, err := memrel.EagerAll(tx, b.Posts, memrel.OneWith(b.Author, memrel.Many(b.Author)))
		if err != nil {
			return err
		}
		for i, p := range posts {
			e, err := b.Editor.Parent(tx, p)
			switch {
			case errors.Is(err, memrel.ErrNotFound):
				if editors[i].Loaded != nil {
					t.Errorf("post %d: NULL editor loaded as %+v", p.ID, *editors[i].Loaded)
				}
			case editors[i].Loaded == nil || *editors[i].Loaded != e:
				t.Errorf("post %d: editor %v, want %+v", p.ID, editors[i].Loaded, e)
			}
			a, _ := b.Author.Parent(tx, p)
			got := authors[i].Loaded
			if got.Row != a {
				t.Errorf("post %d: author %+v, want %+v", p.ID, got.Row, a)
			}
			// The author's posts, loaded one level further down.
			siblings, _ := b.Author.ListChildren(tx, a.ID)
			if diff := cmp.Diff(siblings, got.Loaded); diff != "" {
				t.Errorf("post %d: the author's posts (-lazy +eager):\n%s", p.ID, diff)
			}
		}
		// Posts that share an author share one loaded copy.
		if authors[0].Loaded != authors[1].Loaded {
			t.Error("posts by the same author got different copies")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestEagerWhereAndLimit(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 20, 6, 5, 1)
	err := b.DB.View(func(tx *memrel.Tx) error {
		odd := memrel.Many(b.Author).Where(func(p memrel.Post) bool { return p.ID%2 == 1 }).Limit(2)
		for _, all := range []bool{true, false} {
			var got []memrel.With[memrel.User, []memrel.Post]
			var err error
			if all {
				got, err = memrel.EagerAll(tx, b.Users, odd)
			} else {
				var users []memrel.User
				for u := range b.Users.All(tx) {
					users = append(users, u)
				}
				got, err = memrel.Eager(tx, users, odd)
			}
			if err != nil {
				return err
			}
			for _, w := range got {
				var want []memrel.Post
				for p := range b.Author.Children(tx, w.Row.ID) {
					if p.ID%2 == 1 && len(want) < 2 {
						want = append(want, p)
					}
				}
				if diff := cmp.Diff(want, w.Loaded); diff != "" {
					t.Errorf("all=%v user %d (-want +got):\n%s", all, w.Row.ID, diff)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Eager results are copies: changing them changes nothing stored.
func TestEagerResultsAreCopies(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 3, 2, 2, 1)
	_ = b.DB.View(func(tx *memrel.Tx) error {
		got, err := memrel.EagerAll(tx, b.Users, memrel.Many(b.Author))
		if err != nil {
			t.Fatal(err)
		}
		got[0].Row.Name = "changed"
		got[0].Loaded[0].Title = "changed"
		return nil
	})
	if err := b.DB.Verify(); err != nil {
		t.Fatal(err)
	}
	_ = b.DB.View(func(tx *memrel.Tx) error {
		u, _ := b.Users.Get(tx, 1)
		p, _ := b.Posts.Get(tx, 1)
		if u.Name != "user1" || p.Title != "post1" {
			t.Errorf("stored rows changed: %+v %+v", u, p)
		}
		return nil
	})
}

// A thousand users with ten posts and three tags each load in a constant
// number of calls; the counters say so; strict mode catches the N+1 loop.
func TestNPlusOneMadeVisible(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 1000, 10, 100, 3)
	loader := memrel.ManyWith(memrel.Many(b.Author), memrel.ManyWith(memrel.Many(b.Tagged), memrel.One(b.Tag)))
	var loaded nested
	err := b.DB.View(func(tx *memrel.Tx) error {
		if err := tx.Strict(); err != nil {
			return err
		}
		all, err := memrel.EagerAll(tx, b.Users, loader)
		loaded = all
		if err != nil {
			return err
		}
		want := map[string]memrel.LoadStats{
			"author": {Batches: 1, Rows: 10000},
			"tagged": {Batches: 1, Rows: 30000},
			"tag":    {Batches: 1, Rows: 100}, // each tag loaded once
		}
		got := map[string]memrel.LoadStats{"author": tx.LoadStats(b.Author), "tagged": tx.LoadStats(b.Tagged), "tag": tx.LoadStats(b.Tag)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("load counters (-want +got):\n%s", diff)
		}
		// Count and Exists are allowed in strict mode.
		if n, err := b.Author.Count(tx, 1); n != 10 || err != nil {
			t.Errorf("Count: %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(loaded); n != 1000 || len(loaded[999].Loaded) != 10 || len(loaded[999].Loaded[9].Loaded) != 3 {
		t.Fatalf("loaded %d users", n)
	}

	// The deliberate N+1 loop, in strict mode: the first lazy load fails,
	// naming the relation and the loader to use, and so does the View.
	var first error
	err = b.DB.View(func(tx *memrel.Tx) error {
		_ = tx.Strict()
		for u := range b.Users.All(tx) {
			if _, err := b.Author.ListChildren(tx, u.ID); err != nil && first == nil {
				first = err
			}
			for range b.Author.Children(tx, u.ID) {
				t.Fatal("Children yielded in strict mode")
			}
		}
		return nil
	})
	want := "memrel: lazy load in strict mode: ListChildren of posts.author; load it eagerly with memrel.Many(author)"
	if first == nil || first.Error() != want {
		t.Errorf("lazy load in strict mode: %v\nwant %s", first, want)
	}
	if !errors.Is(err, memrel.ErrLazyLoad) {
		t.Errorf("View after a lazy load in strict mode: %v", err)
	}

	// Without strict mode the loop runs, and the counters show N+1.
	before := b.DB.LoadStats(b.Author)
	err = b.DB.View(func(tx *memrel.Tx) error {
		for u := range b.Users.All(tx) {
			for range b.Author.Children(tx, u.ID) {
			}
		}
		if got := tx.LoadStats(b.Author); got != (memrel.LoadStats{Lazy: 1000, Rows: 10000}) {
			t.Errorf("lazy loop: %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after := b.DB.LoadStats(b.Author)
	if after.Lazy-before.Lazy != 1000 || after.Rows-before.Rows != 10000 {
		t.Errorf("store counters moved from %+v to %+v", before, after)
	}
}

func TestStrictWriteTransactionDoesNotCommit(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 2, 1, 1, 1)
	err := b.DB.Update(func(tx *memrel.Tx) error {
		_ = tx.Strict()
		if _, err := b.Users.Insert(tx, memrel.User{ID: 9}); err != nil {
			return err
		}
		for range b.Author.Children(tx, 1) {
		}
		return nil
	})
	if !errors.Is(err, memrel.ErrLazyLoad) {
		t.Fatalf("got %v", err)
	}
	_ = b.DB.View(func(tx *memrel.Tx) error {
		if ok, _ := b.Users.Has(tx, 9); ok {
			t.Error("a strict transaction with a lazy load committed")
		}
		return nil
	})
}

func TestOneToOne(t *testing.T) {
	type Profile struct {
		ID     int64
		UserID int64
		Bio    string
	}
	s := memrel.NewSchema()
	users := memrel.NewTable(s, "users", func(u *memrel.User) *int64 { return &u.ID })
	profiles := memrel.NewTable(s, "profiles", func(p *Profile) *int64 { return &p.ID })
	of := memrel.ForeignKey(profiles, "user", func(p *Profile) *int64 { return &p.UserID }, users,
		memrel.Unique(), memrel.OnDelete(memrel.Cascade))
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		if _, err := users.Insert(tx, memrel.User{ID: 1}); err != nil {
			return err
		}
		_, err := profiles.Insert(tx, Profile{UserID: 1, Bio: "hi"})
		return err
	})
	err = db.Update(func(tx *memrel.Tx) error {
		_, err := profiles.Insert(tx, Profile{UserID: 1, Bio: "second"})
		return err
	})
	if !errors.Is(err, memrel.ErrUnique) {
		t.Fatalf("second profile for one user: %v", err)
	}
	_ = db.View(func(tx *memrel.Tx) error {
		p, err := of.Child(tx, 1)
		if err != nil || p.Bio != "hi" {
			t.Errorf("Child: %+v %v", p, err)
		}
		if _, err := of.Child(tx, 2); !errors.Is(err, memrel.ErrNotFound) {
			t.Errorf("Child of a user without a profile: %v", err)
		}
		if ok, _ := of.Exists(tx, 1); !ok {
			t.Error("Exists: false")
		}
		return nil
	})
}
