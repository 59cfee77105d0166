package memrel

import (
	"errors"
	"flag"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var compSeed = flag.Uint64("compseed", 0, "TestCompositionRandom's seed (0: from the clock)")

// world is a random blog, and the same data in plain maps: the hand-built
// expectation every load is compared with.
type world struct {
	b        *Blog
	users    []User
	posts    []Post
	comments []Comment
	tags     []Tag
	links    []PostTag
}

// newWorld fills a blog at random: users, posts with NULL-able editors,
// comment forests (some with a cycle made by an update under deferred
// checks), tags and links.
func newWorld(t *testing.T, rng *rand.Rand) *world {
	t.Helper()
	r := DefaultRules()
	r.Replies = []Rule{OnDelete(Cascade), Deferred()}
	w := &world{b: NewBlog(t, r)}
	nu, np, nt := 1+rng.IntN(8), rng.IntN(25), 1+rng.IntN(6)
	for i := 1; i <= nu; i++ {
		w.users = append(w.users, User{ID: int64(i), Name: "u", Email: string(rune('a'+i)) + "@x"})
	}
	for i := 1; i <= np; i++ {
		p := Post{ID: int64(i), UserID: int64(1 + rng.IntN(nu))}
		if rng.IntN(3) == 0 {
			p.EditorID = NullFrom(int64(1 + rng.IntN(nu)))
		}
		w.posts = append(w.posts, p)
	}
	for i := 1; i <= nt; i++ {
		w.tags = append(w.tags, Tag{ID: int64(i)})
	}
	if np > 0 {
		for i := 1; i <= rng.IntN(60); i++ {
			c := Comment{ID: int64(i), PostID: int64(1 + rng.IntN(np))}
			if i > 1 && rng.IntN(3) > 0 {
				c.ParentID = NullFrom(int64(1 + rng.IntN(i-1))) // an earlier comment
			}
			w.comments = append(w.comments, c)
		}
		for _, p := range w.posts {
			for _, tg := range rng.Perm(nt)[:rng.IntN(nt+1)] {
				w.links = append(w.links, PostTag{PostID: p.ID, TagID: int64(tg + 1)})
			}
		}
	}
	// A cycle: an earlier comment made the reply of a later one.
	if len(w.comments) > 2 && rng.IntN(2) == 0 {
		last := &w.comments[len(w.comments)-1]
		if last.ParentID.Valid {
			w.comments[last.ParentID.V-1].ParentID = NullFrom(last.ID)
		}
	}
	MustUpdate(t, w.b.DB, func(tx *Tx) error {
		if err := tx.DeferConstraints(); err != nil {
			return err
		}
		for _, u := range w.users {
			if _, err := w.b.Users.Insert(tx, u); err != nil {
				return err
			}
		}
		for _, p := range w.posts {
			if _, err := w.b.Posts.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, tg := range w.tags {
			if _, err := w.b.Tags.Insert(tx, tg); err != nil {
				return err
			}
		}
		for _, c := range w.comments {
			if _, err := w.b.Comments.Insert(tx, c); err != nil {
				return err
			}
		}
		for i, l := range w.links {
			l, err := w.b.PostTags.Insert(tx, l)
			if err != nil {
				return err
			}
			w.links[i] = l
		}
		return nil
	})
	return w
}

// The maps the expectations are built from.
func (w *world) postsBy(user int64) []Post {
	var out []Post
	for _, p := range w.posts {
		if p.UserID == user {
			out = append(out, p)
		}
	}
	return out
}

func (w *world) user(id int64) User { return w.users[id-1] }

func (w *world) tagsOf(post int64) []Tag {
	var out []Tag
	for _, l := range w.links { // in post_tags key order, as the load
		if l.PostID == post {
			out = append(out, w.tags[l.TagID-1])
		}
	}
	return out
}

func (w *world) postsTagged(tag int64) []Post {
	var out []Post
	for _, l := range w.links {
		if l.TagID == tag {
			out = append(out, w.posts[l.PostID-1])
		}
	}
	return out
}

func (w *world) commentsOn(post int64) []Comment {
	var out []Comment
	for _, c := range w.comments {
		if c.PostID == post {
			out = append(out, c)
		}
	}
	return out
}

func (w *world) replies(id int64) []Comment {
	var out []Comment
	for _, c := range w.comments {
		if c.ParentID.Valid && c.ParentID.V == id {
			out = append(out, c)
		}
	}
	return out
}

// TestCompositionRandom runs composed loaders (several at one level, nested
// under one-to-many, many-to-one and many-to-many, counts, trees) on random
// blogs, through Eager on batches with repeats and through EagerAll, and
// compares every value with the hand-built expectation and with a lazy
// walk.
func TestCompositionRandom(t *testing.T) {
	seed := *compSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -compseed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for round := range 40 {
		w := newWorld(t, rng)
		b := w.b
		// users -> posts (each with its author again, its tags with their
		// other posts, its comment count, its comments with their reply
		// trees and each tree comment's post).
		commentPost := One(b.OnPost)
		tree := Tree(b.Replies).With(commentPost)
		comments := Many(b.OnPost).With(tree)
		count := Count(b.OnPost)
		tagPosts := b.Tagging.LoadLefts()
		tags := b.Tagging.LoadRights().With(tagPosts)
		author := One(b.Author)
		editor := One(b.Editor).With(Count(b.Author))
		posts := Many(b.Author).With(author, editor, tags, count, comments)

		newest := Many(b.Author).Backward().Limit(2) // the last two by key
		check := func(how string, users []User, res *Result) {
			for _, u := range users {
				want := w.postsBy(u.ID)
				slices.Reverse(want)
				want = want[:min(2, len(want))]
				if diff := cmp.Diff(want, newest.Of(res, u)); diff != "" {
					t.Fatalf("round %d %s: newest posts of user %d (-want +got):\n%s", round, how, u.ID, diff)
				}
				got := posts.Of(res, u)
				if diff := cmp.Diff(w.postsBy(u.ID), got); diff != "" {
					t.Fatalf("round %d %s: posts of user %d (-want +got):\n%s", round, how, u.ID, diff)
				}
				for _, p := range got {
					if a, ok := author.Of(res, p); !ok || a != w.user(p.UserID) {
						t.Fatalf("round %d %s: author of post %d = %v, %v", round, how, p.ID, a, ok)
					}
					e, ok := editor.Of(res, p)
					if ok != p.EditorID.Valid || ok && e != w.user(p.EditorID.V) {
						t.Fatalf("round %d %s: editor of post %d = %v, %v; want %v", round, how, p.ID, e, ok, p.EditorID)
					}
					if diff := cmp.Diff(w.tagsOf(p.ID), tags.Of(res, p)); diff != "" {
						t.Fatalf("round %d %s: tags of post %d (-want +got):\n%s", round, how, p.ID, diff)
					}
					for _, tg := range tags.Of(res, p) {
						if diff := cmp.Diff(w.postsTagged(tg.ID), tagPosts.Of(res, tg)); diff != "" {
							t.Fatalf("round %d %s: posts of tag %d (-want +got):\n%s", round, how, tg.ID, diff)
						}
					}
					want := w.commentsOn(p.ID)
					if n := count.Of(res, p); n != len(want) {
						t.Fatalf("round %d %s: comment count of post %d = %d, want %d", round, how, p.ID, n, len(want))
					}
					if diff := cmp.Diff(want, comments.Of(res, p)); diff != "" {
						t.Fatalf("round %d %s: comments of post %d (-want +got):\n%s", round, how, p.ID, diff)
					}
					for _, c := range comments.Of(res, p) {
						if diff := cmp.Diff(w.replies(c.ID), tree.Of(res, c)); diff != "" {
							t.Fatalf("round %d %s: replies to comment %d (-want +got):\n%s", round, how, c.ID, diff)
						}
						for _, r := range tree.Of(res, c) {
							if cp, ok := commentPost.Of(res, r); !ok || cp != w.posts[r.PostID-1] {
								t.Fatalf("round %d %s: post of reply %d = %v, %v", round, how, r.ID, cp, ok)
							}
						}
					}
				}
			}
		}
		mustView(t, b.DB, func(tx *Tx) error {
			all, res, err := EagerAll(tx, b.Users, posts, newest)
			if err != nil {
				return err
			}
			if diff := cmp.Diff(w.users, all); diff != "" {
				t.Fatalf("round %d: EagerAll rows (-want +got):\n%s", round, diff)
			}
			check("EagerAll", all, res)
			// A batch in another order, with repeats.
			batch := slices.Clone(w.users)
			rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			batch = append(batch, batch[:len(batch)/2]...)
			res, err = Eager(tx, batch, posts, newest)
			if err != nil {
				return err
			}
			check("Eager", batch, res)
			// The lazy walk agrees with the expectation too.
			for _, u := range w.users {
				lazy, err := b.Author.ListChildren(tx, u.ID)
				if err != nil {
					return err
				}
				if diff := cmp.Diff(w.postsBy(u.ID), lazy); diff != "" {
					t.Fatalf("round %d: lazy posts of user %d (-want +got):\n%s", round, u.ID, diff)
				}
			}
			for _, c := range w.comments {
				var lazy []Comment
				for r := range b.Replies.Children(tx, c.ID) {
					lazy = append(lazy, r)
				}
				if diff := cmp.Diff(w.replies(c.ID), lazy); diff != "" {
					t.Fatalf("round %d: lazy replies to %d (-want +got):\n%s", round, c.ID, diff)
				}
			}
			return nil
		})
	}
}

// A tree load is one batch per level, cycle-safe, and stops at MaxDepth;
// nested loaders run once for the whole tree.
func TestTreeLevels(t *testing.T) {
	r := DefaultRules()
	r.Replies = []Rule{Deferred()}
	b := NewBlog(t, r).Seed(t) // post 10: 100 <- 101 <- 102
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if err := tx.DeferConstraints(); err != nil {
			return err
		}
		// 103 replies to 102, and 100 to 103: a cycle 100 -> 101 -> 102 -> 103 -> 100.
		if _, err := b.Comments.Insert(tx, Comment{ID: 103, PostID: 10, ParentID: NullFrom[int64](102)}); err != nil {
			return err
		}
		return b.Comments.Update(tx, Comment{ID: 100, PostID: 10, ParentID: NullFrom[int64](103), Body: "root"})
	})
	mustView(t, b.DB, func(tx *Tx) error {
		root, err := b.Comments.Get(tx, 100)
		if err != nil {
			return err
		}
		post := One(b.OnPost)
		tree := Tree(b.Replies).With(post)
		res, err := Eager(tx, []Comment{root}, tree)
		if err != nil {
			return err
		}
		var ids []int64
		for c, depth := root, 0; depth < 10; depth++ { // the cycle, followed by hand
			kids := tree.Of(res, c)
			if len(kids) != 1 {
				break
			}
			c = kids[0]
			ids = append(ids, c.ID)
		}
		// Each comment's children are loaded once: following them round the
		// cycle comes back to 100, whose children are the ones loaded first.
		if want := []int64{101, 102, 103, 100, 101, 102, 103, 100, 101, 102}; !slices.Equal(ids, want) {
			t.Errorf("walked %v, want %v", ids, want)
		}
		if got, want := tx.LoadStats(b.Replies).Batches, int64(4); got != want {
			t.Errorf("Tree over a cycle of 4: %d batches, want %d (one per level)", got, want)
		}
		if got := tx.LoadStats(b.OnPost).Batches; got != 1 {
			t.Errorf("the nested One ran in %d batches, want 1", got)
		}
		// MaxDepth(2): 101 and 102, and nothing below.
		short := Tree(b.Replies).MaxDepth(2)
		res, err = Eager(tx, []Comment{root}, short)
		if err != nil {
			return err
		}
		first := short.Of(res, root)
		if len(first) != 1 || first[0].ID != 101 {
			t.Fatalf("depth 1: %v", first)
		}
		second := short.Of(res, first[0])
		if len(second) != 1 || second[0].ID != 102 {
			t.Fatalf("depth 2: %v", second)
		}
		if third := short.Of(res, second[0]); third != nil {
			t.Errorf("depth 3 past MaxDepth(2): %v", third)
		}
		return nil
	})
}

// One tells a NULL key (false) from a key that names no row (the load
// fails with a NotFoundError naming both rows).
func TestOneNullAndMissing(t *testing.T) {
	r := DefaultRules()
	r.Editor = []Rule{Deferred()}
	b := NewBlog(t, r).Seed(t)
	tx, err := b.DB.BeginWrite()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Abort()
	editor := One(b.Editor)
	posts, res, err := EagerAll(tx, b.Posts, editor)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range posts {
		e, ok := editor.Of(res, p)
		if ok != p.EditorID.Valid || ok && e.ID != p.EditorID.V {
			t.Errorf("editor of post %d: %v, %v", p.ID, e, ok)
		}
	}
	if _, err := b.Posts.Insert(tx, Post{ID: 30, UserID: 1, EditorID: NullFrom[int64](9)}); err != nil {
		t.Fatal(err) // deferred: checked at commit
	}
	_, _, err = EagerAll(tx, b.Posts, editor)
	var nf *NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("load of a dangling editor: %v, want a NotFoundError", err)
	}
	if want := "memrel: load users 9 (posts.editor of posts 30): not found"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

// Loaders are values: each constructor and each changing method makes a
// new identity, so two loaders of one relation in one load keep their own
// values, and a loader not in the load reads nothing.
func TestLoaderIdentity(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Seed(t)
	mustView(t, b.DB, func(tx *Tx) error {
		all := Many(b.Author)
		first := all.Limit(1)
		users, res, err := EagerAll(tx, b.Users, all, first)
		if err != nil {
			return err
		}
		ann := users[0]
		if n := len(all.Of(res, ann)); n != 2 {
			t.Errorf("all of ann's posts: %d, want 2", n)
		}
		if n := len(first.Of(res, ann)); n != 1 {
			t.Errorf("first of ann's posts: %d, want 1", n)
		}
		if got := Many(b.Author).Of(res, ann); len(got) != 2 {
			t.Errorf("Many(rel) is one loader each time: its Of read %v, want ann's 2 posts", got)
		}
		if got := Many(b.Author).Limit(5).Of(res, ann); got != nil {
			t.Errorf("a loader not in the load read %v", got)
		}
		if Count(b.Author) != Count(b.Author) || One(b.Author) != One(b.Author) || Tree(b.Replies) != Tree(b.Replies) || b.Tagging.LoadRights() != b.Tagging.LoadRights() {
			t.Error("a relation's own loaders are new ones each time")
		}
		if got := all.Of(nil, ann); got != nil {
			t.Errorf("Of a nil Result: %v", got)
		}
		if _, err := Eager(tx, users, all.With(nil)); !errors.Is(err, ErrInvalid) {
			t.Errorf("With(nil): %v, want ErrInvalid", err)
		}
		// The same loader twice at one level loads once.
		before := tx.LoadStats(b.Author).Batches
		if _, err := Eager(tx, users, all, all); err != nil {
			return err
		}
		if got := tx.LoadStats(b.Author).Batches - before; got != 1 {
			t.Errorf("one loader given twice: %d batches, want 1", got)
		}
		leaf, err := b.Comments.Get(tx, 102) // no replies: the nested loader is still checked
		if err != nil {
			return err
		}
		if _, err := Eager(tx, []Comment{leaf}, Tree(b.Replies).With(nil)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Tree.With(nil) on a leaf: %v, want ErrInvalid", err)
		}
		var zero ManyLoader[Post, User, int64]
		if _, err := Eager(tx, users, zero); !errors.Is(err, ErrInvalid) {
			t.Errorf("a zero ManyLoader: %v, want ErrInvalid", err)
		}
		if _, err := Eager(tx, users, Loader[User](nil)); !errors.Is(err, ErrInvalid) {
			t.Errorf("a nil loader: %v, want ErrInvalid", err)
		}
		return nil
	})
}
