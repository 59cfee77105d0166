package memrel_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

// nested is users -> posts -> (post_tags -> tag), as plain structures
// that cmp compares.
type nested = []memrel.Loaded[memrel.User, []memrel.Loaded[memrel.Post, []memrel.Loaded[memrel.PostTag, *memrel.Tag]]]

// lazyNested builds the structure with lazy navigation (N+1).
func lazyNested(tb testing.TB, b *memrel.Blog, tx *memrel.Tx, users []memrel.User) nested {
	tb.Helper()
	var out nested
	for _, u := range users {
		w := memrel.Loaded[memrel.User, []memrel.Loaded[memrel.Post, []memrel.Loaded[memrel.PostTag, *memrel.Tag]]]{Row: u, Loaded: []memrel.Loaded[memrel.Post, []memrel.Loaded[memrel.PostTag, *memrel.Tag]]{}}
		for p := range b.Author.Children(tx, u.ID) {
			pw := memrel.Loaded[memrel.Post, []memrel.Loaded[memrel.PostTag, *memrel.Tag]]{Row: p, Loaded: []memrel.Loaded[memrel.PostTag, *memrel.Tag]{}}
			for pt := range b.Tagged.Children(tx, p.ID) {
				t, err := b.Tag.Parent(tx, pt)
				if err != nil {
					tb.Fatal(err)
				}
				pw.Loaded = append(pw.Loaded, memrel.Loaded[memrel.PostTag, *memrel.Tag]{Row: pt, Loaded: &t})
			}
			w.Loaded = append(w.Loaded, pw)
		}
		out = append(out, w)
	}
	return out
}

// nestedLoad is the eager load of users -> posts -> (post_tags -> tag):
// the loader for the users, posts, and the loaders of the levels below,
// whose Of reads a Result at their level.
type nestedLoad struct {
	posts  memrel.ManyLoader[memrel.Post, memrel.User, int64]
	tagged memrel.ManyLoader[memrel.PostTag, memrel.Post, int64]
	tag    memrel.OneLoader[memrel.PostTag, memrel.Tag, int64]
}

func newNestedLoad(b *memrel.Blog) nestedLoad {
	var l nestedLoad
	l.tag = memrel.One(b.Tag)
	l.tagged = memrel.Many(b.Tagged).With(l.tag)
	l.posts = memrel.Many(b.Author).With(l.tagged)
	return l
}

// of is what res loaded for users, in the structure lazyNested builds.
func (l nestedLoad) of(res *memrel.Result, users []memrel.User) nested {
	return memrel.ZipLoaded(users, func(u memrel.User) []memrel.Loaded[memrel.Post, []memrel.Loaded[memrel.PostTag, *memrel.Tag]] {
		return memrel.ZipLoaded(l.posts.Of(res, u), func(p memrel.Post) []memrel.Loaded[memrel.PostTag, *memrel.Tag] {
			return memrel.ZipLoaded(l.tagged.Of(res, p), memrel.BindParentOf(res, l.tag.Of))
		})
	})
}

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
	l := newNestedLoad(b)
	err := b.DB.View(func(tx *memrel.Tx) error {
		var users []memrel.User
		for u := range b.Users.All(tx) {
			users = append(users, u)
		}
		want := lazyNested(t, b, tx, users)

		rows, res, err := memrel.EagerAll(tx, b.Users, l.posts)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(users, rows); diff != "" {
			t.Errorf("EagerAll's rows (-want +got):\n%s", diff)
		}
		all := l.of(res, rows)
		if diff := cmp.Diff(want, all); diff != "" {
			t.Errorf("EagerAll (merge join) differs from lazy (-lazy +eager):\n%s", diff)
		}
		// A batch in another order, with a repeat and a user with nothing.
		batch := []memrel.User{users[9], users[3], users[9], users[len(users)-1]}
		res, err = memrel.Eager(tx, batch, l.posts)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(lazyNested(t, b, tx, batch), l.of(res, batch)); diff != "" {
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
		editor := memrel.One(b.Editor)
		editors, err := memrel.Eager(tx, posts, editor)
		if err != nil {
			return err
		}
		postsOf := memrel.Many(b.Author)
		author := memrel.One(b.Author).With(postsOf)
		rows, authors, err := memrel.EagerAll(tx, b.Posts, author)
		if err != nil {
			return err
		}
		// Posts that share an author share one loaded copy: each of the 10
		// authors is loaded once, and its posts once.
		if got := tx.LoadStats(b.Author); got != (memrel.LoadStats{Batches: 2, Rows: 10 + 30}) {
			t.Errorf("authors and their posts loaded as %+v, want each author and each post once", got)
		}
		if diff := cmp.Diff(posts, rows); diff != "" {
			t.Errorf("EagerAll's rows (-want +got):\n%s", diff)
		}
		for _, p := range posts {
			e, err := b.Editor.Parent(tx, p)
			loaded, ok := editor.Of(editors, p)
			switch {
			case errors.Is(err, memrel.ErrNotFound):
				if ok {
					t.Errorf("post %d: NULL editor loaded as %+v", p.ID, loaded)
				}
			case !ok || loaded != e:
				t.Errorf("post %d: editor %+v (%v), want %+v", p.ID, loaded, ok, e)
			}
			a, _ := b.Author.Parent(tx, p)
			got, ok := author.Of(authors, p)
			if !ok || got != a {
				t.Errorf("post %d: author %+v (%v), want %+v", p.ID, got, ok, a)
			}
			// The author's posts, loaded one level further down.
			siblings, _ := b.Author.ListChildren(tx, a.ID)
			if diff := cmp.Diff(siblings, postsOf.Of(authors, got)); diff != "" {
				t.Errorf("post %d: the author's posts (-lazy +eager):\n%s", p.ID, diff)
			}
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
			var users []memrel.User
			var res *memrel.Result
			var err error
			if all {
				users, res, err = memrel.EagerAll(tx, b.Users, odd)
			} else {
				for u := range b.Users.All(tx) {
					users = append(users, u)
				}
				res, err = memrel.Eager(tx, users, odd)
			}
			if err != nil {
				return err
			}
			if len(users) != 20 {
				t.Fatalf("all=%v: %d users", all, len(users))
			}
			for _, w := range memrel.ZipLoaded(users, memrel.BindOf(res, odd.Of)) {
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
		posts := memrel.Many(b.Author)
		users, res, err := memrel.EagerAll(tx, b.Users, posts)
		if err != nil {
			t.Fatal(err)
		}
		users[0].Name = "changed"
		posts.Of(res, users[0])[0].Title = "changed"
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
	l := newNestedLoad(b)
	var loaded nested
	err := b.DB.View(func(tx *memrel.Tx) error {
		if err := tx.Strict(); err != nil {
			return err
		}
		users, res, err := memrel.EagerAll(tx, b.Users, l.posts)
		if err != nil {
			return err
		}
		loaded = l.of(res, users)
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
	want := "memrel: lazy load in strict mode: ListChildren of posts.author; load it eagerly with memrel.Many(rel) (rel: the *Relation posts.author)"
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
