package bench

import (
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The feed: for one user, a page of the newest posts of the people they
// follow, across all of them (CreatedAt descending, then ID descending),
// each post with its author and its tags; then the next page, from a
// keyset cursor (the last post of the page before). The engines are in
// feed_engines_test.go.

var flagFeedUsers = flag.String("feedusers", "1000", "user counts for BenchmarkFeed, comma-separated (each user follows 50 others and has 10 posts)")

// feedPage is the number of posts on a page.
const feedPage = 20

// FeedPost is a post with a creation time: the rows a feed orders.
type FeedPost struct {
	ID        int64
	UserID    int64
	CreatedAt int64
	Title     string
}

// Follow says that the follower follows the followee.
type Follow struct {
	FollowerID int64
	FolloweeID int64
}

// FeedItem is one post of a page, with its author and its tags.
type FeedItem struct {
	Post   FeedPost
	Author User
	Tags   []Tag
}

// newestFirst orders posts as a feed does: CreatedAt descending, then ID
// descending.
func newestFirst(a, b *FeedPost) int {
	if c := cmp.Compare(b.CreatedAt, a.CreatedAt); c != 0 {
		return c
	}
	return cmp.Compare(b.ID, a.ID)
}

// feedEngine is one way of storing the feed's data and reading its pages.
type feedEngine interface {
	// load creates a fresh store and loads w, every foreign key checked.
	load(w *feedWorkload) error
	// page returns the feedPage newest posts of the users that user
	// follows, after the post after if it is not nil, newest first, each
	// with its author and its tags; a page of its own (its own read
	// transaction, for the engines that have them), as a request is.
	page(user int64, after *FeedPost) ([]FeedItem, error)
	close()
}

var feedEngines = []struct {
	name string
	new  func() feedEngine
}{
	{"memrel", func() feedEngine { return &memrelFeed{} }},
	{"memdb", func() feedEngine { return &memdbFeed{} }},
	{"maps", func() feedEngine { return &mapsFeed{} }},
	{"sqlite-modernc", func() feedEngine { return &sqlFeed{driver: "sqlite"} }},
	{"sqlite-mattn", func() feedEngine { return &sqlFeed{driver: "sqlite3"} }},
	{"gorm", func() feedEngine { return &gormFeed{} }},
}

// feedConfig is the shape of a feed workload.
type feedConfig struct {
	users     int
	following int   // users each user follows (at most users-1)
	posts     int   // posts per user
	tags      int   // tags in all
	tagsPer   int   // tags per post (at most tags)
	span      int64 // CreatedAt is drawn from [0, span): small spans make ties
	seed      uint64
}

// defaultFeed is BenchmarkFeed's workload for a number of users: each
// follows 50 others and has 10 posts, 100 tags, 3 per post, CreatedAt over
// four times as many values as there are posts (a feed of 500 posts has
// a few ties, broken by ID).
func defaultFeed(users int) feedConfig {
	return feedConfig{users: users, following: min(50, users-1), posts: 10, tags: 100, tagsPer: 3,
		span: 4 * int64(users) * 10, seed: 1}
}

// feedWorkload is the data every engine loads, laid out so that a user's
// rows are found by arithmetic: user u (IDs from 1) is users[u-1], its
// follows are follows[(u-1)*following:u*following] and its posts
// posts[(u-1)*posts:u*posts]; post p's links are
// postTags[(p-1)*tagsPer:p*tagsPer].
type feedWorkload struct {
	cfg      feedConfig
	users    []User
	posts    []FeedPost
	tags     []Tag
	postTags []PostTag
	follows  []Follow
	order    []int64 // every user once, in a pseudo-random order: who reads the feed next
}

func newFeedWorkload(cfg feedConfig) *feedWorkload {
	if cfg.following > cfg.users-1 || cfg.tagsPer > cfg.tags {
		panic(fmt.Sprintf("feed workload %+v: too many follows or tags per post", cfg))
	}
	rng := rand.New(rand.NewPCG(cfg.seed, 0x5eed))
	w := &feedWorkload{cfg: cfg}
	w.users = make([]User, cfg.users)
	for i := range w.users {
		u := int64(i + 1)
		w.users[i] = User{ID: u, Name: "user" + strconv.FormatInt(u, 10), Email: "user" + strconv.FormatInt(u, 10) + "@example.com"}
	}
	w.tags = make([]Tag, cfg.tags)
	for i := range w.tags {
		w.tags[i] = Tag{ID: int64(i + 1), Name: "tag" + strconv.Itoa(i+1)}
	}
	w.follows = make([]Follow, 0, cfg.users*cfg.following)
	for u := int64(1); u <= int64(cfg.users); u++ {
		start := len(w.follows)
		for len(w.follows)-start < cfg.following {
			f := 1 + rng.Int64N(int64(cfg.users))
			if f == u || slices.ContainsFunc(w.follows[start:], func(x Follow) bool { return x.FolloweeID == f }) {
				continue // no self-follow, no duplicate
			}
			w.follows = append(w.follows, Follow{FollowerID: u, FolloweeID: f})
		}
	}
	w.posts = make([]FeedPost, 0, cfg.users*cfg.posts)
	w.postTags = make([]PostTag, 0, cfg.users*cfg.posts*cfg.tagsPer)
	for u := int64(1); u <= int64(cfg.users); u++ {
		for range cfg.posts {
			id := int64(len(w.posts) + 1)
			w.posts = append(w.posts, FeedPost{ID: id, UserID: u, CreatedAt: rng.Int64N(cfg.span), Title: "post" + strconv.FormatInt(id, 10)})
			start := len(w.postTags)
			for len(w.postTags)-start < cfg.tagsPer {
				t := 1 + rng.Int64N(int64(cfg.tags))
				if slices.ContainsFunc(w.postTags[start:], func(x PostTag) bool { return x.TagID == t }) {
					continue
				}
				w.postTags = append(w.postTags, PostTag{PostID: id, TagID: t})
			}
		}
	}
	w.order = make([]int64, cfg.users)
	for i, p := range rng.Perm(cfg.users) {
		w.order[i] = int64(p + 1)
	}
	return w
}

func (w *feedWorkload) rows() int {
	return len(w.users) + len(w.posts) + len(w.tags) + len(w.postTags) + len(w.follows)
}

func (w *feedWorkload) followsOf(u int64) []Follow {
	f := w.cfg.following
	return w.follows[int(u-1)*f : int(u)*f]
}

func (w *feedWorkload) postsOf(u int64) []FeedPost {
	n := w.cfg.posts
	return w.posts[int(u-1)*n : int(u)*n]
}

func (w *feedWorkload) tagsOf(p int64) []Tag {
	n := w.cfg.tagsPer
	var ts []Tag
	for _, pt := range w.postTags[int(p-1)*n : int(p)*n] {
		ts = append(ts, w.tags[pt.TagID-1])
	}
	slices.SortFunc(ts, func(a, b Tag) int { return cmp.Compare(a.ID, b.ID) })
	return ts
}

// feed is user's whole feed, by brute force: every post of every user it
// follows, sorted. The engines' pages must be its consecutive slices.
func (w *feedWorkload) feed(user int64) []FeedItem {
	var posts []FeedPost
	for _, f := range w.followsOf(user) {
		posts = append(posts, w.postsOf(f.FolloweeID)...)
	}
	slices.SortFunc(posts, func(a, b FeedPost) int { return newestFirst(&a, &b) })
	items := make([]FeedItem, len(posts))
	for i, p := range posts {
		items[i] = FeedItem{Post: p, Author: w.users[p.UserID-1], Tags: w.tagsOf(p.ID)}
	}
	return items
}

// checkFeed compares e's pages of each of users' feeds with the brute
// force's: pages of them (0: every page, to the empty one past the end).
// Tags are compared as sets: an engine may return them in any order.
func checkFeed(e feedEngine, w *feedWorkload, users []int64, pages int) error {
	for _, u := range users {
		want := w.feed(u)
		var after *FeedPost
		for n := 0; pages <= 0 || n < pages; n++ {
			got, err := e.page(u, after)
			if err != nil {
				return fmt.Errorf("user %d, page %d: %w", u, n+1, err)
			}
			from := min(n*feedPage, len(want))
			if err := samePage(got, want[from:min(from+feedPage, len(want))]); err != nil {
				return fmt.Errorf("user %d, page %d: %w", u, n+1, err)
			}
			if len(got) == 0 {
				break
			}
			after = &got[len(got)-1].Post
		}
	}
	return nil
}

func samePage(got, want []FeedItem) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d posts, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Post != w.Post {
			return fmt.Errorf("post %d is %+v, want %+v", i, g.Post, w.Post)
		}
		if g.Author != w.Author {
			return fmt.Errorf("post %d (%d): author %+v, want %+v", i, g.Post.ID, g.Author, w.Author)
		}
		tags := slices.Clone(g.Tags)
		slices.SortFunc(tags, func(a, b Tag) int { return cmp.Compare(a.ID, b.ID) })
		if !slices.Equal(tags, w.Tags) {
			return fmt.Errorf("post %d (%d): tags %v, want %v", i, g.Post.ID, g.Tags, w.Tags)
		}
	}
	return nil
}

// feedSample is the users whose pages are checked before timing: the
// first readers of the benchmark's order, at most 100 of them.
func feedSample(w *feedWorkload) []int64 { return w.order[:min(100, len(w.order))] }

// Every engine pages through every user's feed exactly as the brute force
// does: a workload with many ties in CreatedAt (across followees and at
// page boundaries), and one whose feeds end on their second page. memrel's
// store is strict, so a lazy load anywhere in its page fails it.
func TestFeedEngines(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  feedConfig
	}{
		{"ties", feedConfig{users: 60, following: 12, posts: 5, tags: 10, tagsPer: 3, span: 40, seed: 2}},
		{"short", feedConfig{users: 30, following: 2, posts: 12, tags: 8, tagsPer: 2, span: 1000, seed: 3}},
	} {
		w := newFeedWorkload(c.cfg)
		if c.name == "ties" && !tieAtCursor(w) {
			t.Fatal("no feed of the ties workload has a tie in CreatedAt across a page boundary")
		}
		for _, en := range feedEngines {
			t.Run(c.name+"/"+en.name, func(t *testing.T) {
				e := en.new()
				defer e.close()
				if err := e.load(w); err != nil {
					t.Fatal(err)
				}
				if err := checkFeed(e, w, w.order, 0); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// tieAtCursor reports whether some feed of w has a page whose last post
// and the next page's first post were created at the same time: the case
// where a cursor on CreatedAt alone would skip or repeat posts.
func tieAtCursor(w *feedWorkload) bool {
	for _, u := range w.order {
		f := w.feed(u)
		for i := feedPage; i < len(f); i += feedPage {
			if f[i-1].Post.CreatedAt == f[i].Post.CreatedAt {
				return true
			}
		}
	}
	return false
}

// SQLite reads a feed page through the indexes the comparison assumes:
// the follower's follows by primary key, each followee's posts from
// posts(user_id, created_at, id), and the page's tags by primary key.
func TestFeedQueryPlans(t *testing.T) {
	// Large enough for the plans a real store gets: the planner reads
	// ANALYZE's statistics, and on a few rows it rightly scans.
	w := newFeedWorkload(defaultFeed(100))
	for _, driver := range []string{"sqlite", "sqlite3"} {
		e := &sqlFeed{driver: driver}
		if err := e.load(w); err != nil {
			t.Fatal(err)
		}
		tagArgs := make([]any, feedPage)
		for i := range tagArgs {
			tagArgs[i] = int64(i + 1)
		}
		for _, c := range []struct {
			q    string
			args []any
			want []string
		}{
			{feedSQL["first"], []any{int64(1)}, []string{"SEARCH f USING PRIMARY KEY (follower_id=?)", "SEARCH p USING INDEX posts_user_created (user_id=?)"}},
			{feedSQL["next"], []any{int64(1), int64(500), int64(7)}, []string{"SEARCH f USING PRIMARY KEY (follower_id=?)", "SEARCH p USING INDEX posts_user_created (user_id=? AND created_at<?)"}},
			{authorsSQL(2), []any{int64(1), int64(2)}, []string{"SEARCH users USING INTEGER PRIMARY KEY (rowid=?)"}},
			{tagsSQL(feedPage), tagArgs, []string{"SEARCH pt USING PRIMARY KEY (post_id=?)", "SEARCH t USING INTEGER PRIMARY KEY (rowid=?)"}},
		} {
			plan, err := explain(e.db, c.q, c.args...)
			if err != nil {
				t.Fatalf("%s: %s: %v", driver, c.q, err)
			}
			for _, want := range c.want {
				if !strings.Contains(plan, want) {
					t.Errorf("%s: %s:\nplan %q,\nwant %q", driver, c.q, plan, want)
				}
			}
		}
		e.close()
	}
}

// The workload and the engine last built, kept between the benchmark's
// runs (-count) so that each engine is loaded and checked once: one store
// at a time, since a large one takes gigabytes.
var feedCache struct {
	w      *feedWorkload
	name   string
	engine feedEngine
}

func feedStore(b *testing.B, engine string, new func() feedEngine, users int) (*feedWorkload, feedEngine) {
	c := &feedCache
	if c.w == nil || c.w.cfg.users != users {
		if c.engine != nil {
			c.engine.close()
			c.engine, c.name = nil, ""
		}
		c.w = nil
		runtime.GC()
		c.w = newFeedWorkload(defaultFeed(users))
	}
	if c.name != engine {
		if c.engine != nil {
			c.engine.close()
			c.engine, c.name = nil, ""
			runtime.GC()
		}
		e := new()
		if err := e.load(c.w); err != nil {
			b.Fatalf("load: %v", err)
		}
		if err := checkFeed(e, c.w, feedSample(c.w), 2); err != nil {
			e.close()
			b.Fatalf("check: %v", err)
		}
		c.engine, c.name = e, engine
	}
	return c.w, c.engine
}

// BenchmarkFeed reads feed pages on each engine: one user's first page,
// then that user's next page from the first page's last post, then the
// next user's (users in a pseudo-random order), one page per iteration,
// each a request of its own. ns/page is ns/op, and B/op and allocs/op are
// per page. Each engine's first and second pages of 100 users are checked
// against the brute force before timing.
func BenchmarkFeed(b *testing.B) {
	var sizes []int
	for _, f := range strings.Split(*flagFeedUsers, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			b.Fatalf("-feedusers: %q is not a user count (at least 2)", f)
		}
		sizes = append(sizes, n)
	}
	for _, users := range sizes {
		for _, en := range feedEngines {
			b.Run(fmt.Sprintf("users=%d/engine=%s", users, en.name), func(b *testing.B) {
				w, e := feedStore(b, en.name, en.new, users)
				total := w.cfg.following * w.cfg.posts // every feed's length
				lens := [2]int{min(feedPage, total), min(feedPage, max(0, total-feedPage))}
				runtime.GC()
				b.ReportAllocs()
				var cursor FeedPost
				n := 0
				for b.Loop() {
					u := w.order[(n/2)%len(w.order)]
					var after *FeedPost
					if n%2 == 1 {
						after = &cursor
					}
					items, err := e.page(u, after)
					if err != nil {
						b.Fatal(err)
					}
					if len(items) != lens[n%2] {
						b.Fatalf("user %d: %d posts on page %d, want %d", u, len(items), n%2+1, lens[n%2])
					}
					if n%2 == 0 && len(items) > 0 {
						cursor = items[len(items)-1].Post
					}
					n++
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/page")
			})
		}
	}
	if feedCache.engine != nil {
		feedCache.engine.close()
	}
	feedCache.w, feedCache.engine, feedCache.name = nil, nil, ""
}
