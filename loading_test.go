package memrel_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

// The loading tests' model: users write posts; posts are tagged through
// post_tags (an association object with its own key); posts may have an
// editor.
type LUser struct {
	ID   int64
	Name string
}

type LPost struct {
	ID       int64
	UserID   int64
	EditorID memrel.Null[int64]
	Title    string
}

type LTag struct {
	ID   int64
	Name string
}

type LPostTag struct {
	ID     int64
	PostID int64
	TagID  int64
}

type lblog struct {
	db       *memrel.DB
	users    *memrel.Table[LUser, int64]
	posts    *memrel.Table[LPost, int64]
	tags     *memrel.Table[LTag, int64]
	postTags *memrel.Table[LPostTag, int64]                     // ID-keyed layout
	pairTags *memrel.Table[LPostTag, memrel.Pair[int64, int64]] // pair-keyed layout
	author   *memrel.Relation[LPost, LUser, int64]
	editor   *memrel.Relation[LPost, LUser, int64]
	tagged   *memrel.Relation[LPostTag, LPost, int64]
	tag      *memrel.Relation[LPostTag, LTag, int64]
	tagging  *memrel.Association[LPostTag, LPost, LTag, int64, int64]
}

// newLBlog loads users x postsPer posts, tags tags, tagsPer tags per post.
// Every third post is edited by the next user; user IDs start at 1.
func newLBlog(tb testing.TB, users, postsPer, tags, tagsPer int) *lblog {
	tb.Helper()
	return newLBlogLayout(tb, false, users, postsPer, tags, tagsPer)
}

// newLBlogLayout builds the blog with post_tags keyed by its own ID, or
// (pair) by (post, tag), so that the post relation is a key prefix.
func newLBlogLayout(tb testing.TB, pair bool, users, postsPer, tags, tagsPer int) *lblog {
	tb.Helper()
	s := memrel.NewSchema()
	b := &lblog{}
	b.users = memrel.NewTable(s, "users", func(u *LUser) *int64 { return &u.ID })
	b.posts = memrel.NewTable(s, "posts", func(p *LPost) *int64 { return &p.ID })
	b.tags = memrel.NewTable(s, "tags", func(t *LTag) *int64 { return &t.ID })
	cascade := []memrel.Rule{memrel.OnDelete(memrel.Cascade)}
	b.author = memrel.ForeignKey(b.posts, "author", func(p *LPost) *int64 { return &p.UserID }, b.users, cascade...)
	b.editor = memrel.NullableForeignKey(b.posts, "editor", func(p *LPost) *memrel.Null[int64] { return &p.EditorID }, b.users,
		memrel.OnDelete(memrel.SetNull))
	postID := func(pt *LPostTag) *int64 { return &pt.PostID }
	tagID := func(pt *LPostTag) *int64 { return &pt.TagID }
	if pair {
		b.pairTags = memrel.NewPairTable(s, "post_tags", postID, tagID)
		b.tagged = memrel.ForeignKey(b.pairTags, "post", postID, b.posts, cascade...)
		b.tag = memrel.ForeignKey(b.pairTags, "tag", tagID, b.tags, cascade...)
	} else {
		b.postTags = memrel.NewTable(s, "post_tags", func(pt *LPostTag) *int64 { return &pt.ID })
		b.tagged = memrel.ForeignKey(b.postTags, "post", postID, b.posts, cascade...)
		b.tag = memrel.ForeignKey(b.postTags, "tag", tagID, b.tags, cascade...)
	}
	b.tagging = memrel.ManyToMany(b.tagged, b.tag)
	db, err := memrel.Open(s)
	if err != nil {
		tb.Fatal(err)
	}
	b.db = db
	err = db.Update(func(tx *memrel.Tx) error {
		for t := 1; t <= tags; t++ {
			if _, err := b.tags.Insert(tx, LTag{ID: int64(t), Name: fmt.Sprintf("tag%d", t)}); err != nil {
				return err
			}
		}
		for u := 1; u <= users; u++ {
			if _, err := b.users.Insert(tx, LUser{ID: int64(u), Name: fmt.Sprintf("user%d", u)}); err != nil {
				return err
			}
		}
		id := int64(0)
		for u := 1; u <= users; u++ {
			for range postsPer {
				id++
				p := LPost{ID: id, UserID: int64(u), Title: fmt.Sprintf("post%d", id)}
				if id%3 == 0 {
					p.EditorID = memrel.Valid(int64(u%users + 1))
				}
				if _, err := b.posts.Insert(tx, p); err != nil {
					return err
				}
			}
		}
		// Links after all posts, as a bulk load would: interleaving them
		// scatters posts in memory and slows every scan of them.
		for id := int64(1); id <= int64(users*postsPer); id++ {
			for k := range tagsPer {
				t := (id+int64(k)*7)%int64(tags) + 1
				pt := LPostTag{PostID: id, TagID: t}
				var err error
				if pair {
					_, err = b.pairTags.Insert(tx, pt)
				} else {
					_, err = b.postTags.Insert(tx, pt)
				}
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// nested is users -> posts -> (post_tags -> tag).
type nested = []memrel.With[LUser, []memrel.With[LPost, []memrel.With[LPostTag, *LTag]]]

// lazyNested builds the same structure with lazy navigation (N+1).
func (b *lblog) lazyNested(tb testing.TB, tx *memrel.Tx, users []LUser) nested {
	tb.Helper()
	var out nested
	for _, u := range users {
		w := memrel.With[LUser, []memrel.With[LPost, []memrel.With[LPostTag, *LTag]]]{Row: u, Loaded: []memrel.With[LPost, []memrel.With[LPostTag, *LTag]]{}}
		for p := range b.author.Children(tx, u.ID) {
			pw := memrel.With[LPost, []memrel.With[LPostTag, *LTag]]{Row: p, Loaded: []memrel.With[LPostTag, *LTag]{}}
			for pt := range b.tagged.Children(tx, p.ID) {
				t, err := b.tag.Parent(tx, pt)
				if err != nil {
					tb.Fatal(err)
				}
				pw.Loaded = append(pw.Loaded, memrel.With[LPostTag, *LTag]{Row: pt, Loaded: &t})
			}
			w.Loaded = append(w.Loaded, pw)
		}
		out = append(out, w)
	}
	return out
}

// normalize turns nil slices into empty ones, so lazy and eager compare.
var normalize = cmp.Transformer("normalize", func(in []memrel.With[LPost, []memrel.With[LPostTag, *LTag]]) []memrel.With[LPost, []memrel.With[LPostTag, *LTag]] {
	out := []memrel.With[LPost, []memrel.With[LPostTag, *LTag]]{}
	for _, w := range in {
		if w.Loaded == nil {
			w.Loaded = []memrel.With[LPostTag, *LTag]{}
		}
		out = append(out, w)
	}
	return out
})

func TestEagerMatchesLazy(t *testing.T) {
	b := newLBlog(t, 50, 4, 10, 3)
	// A user with no posts, and a post with no tags.
	mustUpdateL(t, b.db, func(tx *memrel.Tx) error {
		if _, err := b.users.Insert(tx, LUser{ID: 100, Name: "quiet"}); err != nil {
			return err
		}
		_, err := b.posts.Insert(tx, LPost{ID: 1000, UserID: 7, Title: "untagged"})
		return err
	})
	loader := memrel.ManyWith(memrel.Many(b.author), memrel.ManyWith(memrel.Many(b.tagged), memrel.One(b.tag)))
	err := b.db.View(func(tx *memrel.Tx) error {
		var users []LUser
		for u := range b.users.All(tx) {
			users = append(users, u)
		}
		want := b.lazyNested(t, tx, users)

		all, err := memrel.EagerAll(tx, b.users, loader)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(want, nested(all), normalize); diff != "" {
			t.Errorf("EagerAll (merge join) differs from lazy (-lazy +eager):\n%s", diff)
		}
		// A batch in another order, with a repeat and a user with nothing.
		batch := []LUser{users[9], users[3], users[9], users[len(users)-1]}
		got, err := memrel.Eager(tx, batch, loader)
		if err != nil {
			return err
		}
		if diff := cmp.Diff(b.lazyNested(t, tx, batch), nested(got), normalize); diff != "" {
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
	b := newLBlog(t, 10, 3, 5, 1)
	err := b.db.View(func(tx *memrel.Tx) error {
		var posts []LPost
		for p := range b.posts.All(tx) {
			posts = append(posts, p)
		}
		editors, err := memrel.Eager(tx, posts, memrel.One(b.editor))
		if err != nil {
			return err
		}
		authors, err := memrel.EagerAll(tx, b.posts, memrel.OneWith(b.author, memrel.Many(b.author)))
		if err != nil {
			return err
		}
		for i, p := range posts {
			e, err := b.editor.Parent(tx, p)
			switch {
			case errors.Is(err, memrel.ErrNotFound):
				if editors[i].Loaded != nil {
					t.Errorf("post %d: NULL editor loaded as %+v", p.ID, *editors[i].Loaded)
				}
			case editors[i].Loaded == nil || *editors[i].Loaded != e:
				t.Errorf("post %d: editor %v, want %+v", p.ID, editors[i].Loaded, e)
			}
			a, _ := b.author.Parent(tx, p)
			got := authors[i].Loaded
			if got.Row != a {
				t.Errorf("post %d: author %+v, want %+v", p.ID, got.Row, a)
			}
			// The author's posts, loaded one level further down.
			siblings, _ := b.author.ListChildren(tx, a.ID)
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
	b := newLBlog(t, 20, 6, 5, 1)
	err := b.db.View(func(tx *memrel.Tx) error {
		odd := memrel.Many(b.author).Where(func(p LPost) bool { return p.ID%2 == 1 }).Limit(2)
		for _, all := range []bool{true, false} {
			var got []memrel.With[LUser, []LPost]
			var err error
			if all {
				got, err = memrel.EagerAll(tx, b.users, odd)
			} else {
				var users []LUser
				for u := range b.users.All(tx) {
					users = append(users, u)
				}
				got, err = memrel.Eager(tx, users, odd)
			}
			if err != nil {
				return err
			}
			for _, w := range got {
				var want []LPost
				for p := range b.author.Children(tx, w.Row.ID) {
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
	b := newLBlog(t, 3, 2, 2, 1)
	_ = b.db.View(func(tx *memrel.Tx) error {
		got, err := memrel.EagerAll(tx, b.users, memrel.Many(b.author))
		if err != nil {
			t.Fatal(err)
		}
		got[0].Row.Name = "changed"
		got[0].Loaded[0].Title = "changed"
		return nil
	})
	if err := b.db.Verify(); err != nil {
		t.Fatal(err)
	}
	_ = b.db.View(func(tx *memrel.Tx) error {
		u, _ := b.users.Get(tx, 1)
		p, _ := b.posts.Get(tx, 1)
		if u.Name != "user1" || p.Title != "post1" {
			t.Errorf("stored rows changed: %+v %+v", u, p)
		}
		return nil
	})
}

// A thousand users with ten posts and three tags each load in a constant
// number of calls; the counters say so; strict mode catches the N+1 loop.
func TestNPlusOneMadeVisible(t *testing.T) {
	b := newLBlog(t, 1000, 10, 100, 3)
	loader := memrel.ManyWith(memrel.Many(b.author), memrel.ManyWith(memrel.Many(b.tagged), memrel.One(b.tag)))
	var loaded nested
	err := b.db.View(func(tx *memrel.Tx) error {
		if err := tx.Strict(); err != nil {
			return err
		}
		all, err := memrel.EagerAll(tx, b.users, loader)
		loaded = all
		if err != nil {
			return err
		}
		want := map[string]memrel.LoadStats{
			"author": {Batches: 1, Rows: 10000},
			"tagged": {Batches: 1, Rows: 30000},
			"tag":    {Batches: 1, Rows: 100}, // each tag loaded once
		}
		got := map[string]memrel.LoadStats{"author": tx.LoadStats(b.author), "tagged": tx.LoadStats(b.tagged), "tag": tx.LoadStats(b.tag)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("load counters (-want +got):\n%s", diff)
		}
		// Count and Exists are allowed in strict mode.
		if n, err := b.author.Count(tx, 1); n != 10 || err != nil {
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
	err = b.db.View(func(tx *memrel.Tx) error {
		_ = tx.Strict()
		for u := range b.users.All(tx) {
			if _, err := b.author.ListChildren(tx, u.ID); err != nil && first == nil {
				first = err
			}
			for range b.author.Children(tx, u.ID) {
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
	before := b.db.LoadStats(b.author)
	err = b.db.View(func(tx *memrel.Tx) error {
		for u := range b.users.All(tx) {
			for range b.author.Children(tx, u.ID) {
			}
		}
		if got := tx.LoadStats(b.author); got != (memrel.LoadStats{Lazy: 1000, Rows: 10000}) {
			t.Errorf("lazy loop: %+v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after := b.db.LoadStats(b.author)
	if after.Lazy-before.Lazy != 1000 || after.Rows-before.Rows != 10000 {
		t.Errorf("store counters moved from %+v to %+v", before, after)
	}
}

func TestStrictWriteTransactionDoesNotCommit(t *testing.T) {
	b := newLBlog(t, 2, 1, 1, 1)
	err := b.db.Update(func(tx *memrel.Tx) error {
		_ = tx.Strict()
		if _, err := b.users.Insert(tx, LUser{ID: 9}); err != nil {
			return err
		}
		for range b.author.Children(tx, 1) {
		}
		return nil
	})
	if !errors.Is(err, memrel.ErrLazyLoad) {
		t.Fatalf("got %v", err)
	}
	_ = b.db.View(func(tx *memrel.Tx) error {
		if ok, _ := b.users.Has(tx, 9); ok {
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
	users := memrel.NewTable(s, "users", func(u *LUser) *int64 { return &u.ID })
	profiles := memrel.NewTable(s, "profiles", func(p *Profile) *int64 { return &p.ID })
	of := memrel.ForeignKey(profiles, "user", func(p *Profile) *int64 { return &p.UserID }, users,
		memrel.Unique(), memrel.OnDelete(memrel.Cascade))
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	mustUpdateL(t, db, func(tx *memrel.Tx) error {
		if _, err := users.Insert(tx, LUser{ID: 1}); err != nil {
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

func mustUpdateL(tb testing.TB, db *memrel.DB, fn func(tx *memrel.Tx) error) {
	tb.Helper()
	if err := db.Update(fn); err != nil {
		tb.Fatal(err)
	}
}

// links returns every association row, in the table's key order.
func (b *lblog) links(tx *memrel.Tx) []LPostTag {
	var out []LPostTag
	if b.pairTags != nil {
		for pt := range b.pairTags.All(tx) {
			out = append(out, pt)
		}
		return out
	}
	for pt := range b.postTags.All(tx) {
		out = append(out, pt)
	}
	return out
}
