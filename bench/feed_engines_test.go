package bench

import (
	"container/heap"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/memrel/memrel"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// The feed's engines (BenchmarkFeed, feed_test.go). Each reads a page the
// way its users would write it, as fast as that way goes.

// --- memrel ---
//
// follows is keyed by the pair (follower, followee), with a foreign key to
// users on each side: the follower side reads the primary key. A page is
// one read transaction of a strict store (no lazy load can hide in it):
// the follower's follows by an eager Many, the page by Ordering.Merge of
// the followees' runs of posts by CreatedAt, then the authors and tags of
// the page's posts by one eager load.

type memrelFeed struct {
	db        *memrel.DB
	users     *memrel.Table[User, int64]
	posts     *memrel.Table[FeedPost, int64]
	tags      *memrel.Table[Tag, int64]
	links     *memrel.Table[PostTag, memrel.Pair[int64, int64]]
	follows   *memrel.Table[Follow, memrel.Pair[int64, int64]]
	byCreated *memrel.Ordering[FeedPost, User, int64]

	followees memrel.ManyLoader[Follow, User, int64]
	author    memrel.OneLoader[FeedPost, User, int64]
	tagged    memrel.ThroughLoader[PostTag, FeedPost, Tag, int64]
}

func (e *memrelFeed) load(w *feedWorkload) error {
	s := memrel.NewSchema()
	e.users = memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	e.posts = memrel.NewTable(s, "posts", func(p *FeedPost) *int64 { return &p.ID })
	e.tags = memrel.NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	postID := func(pt *PostTag) *int64 { return &pt.PostID }
	tagID := func(pt *PostTag) *int64 { return &pt.TagID }
	e.links = memrel.NewPairTable(s, "post_tags", postID, tagID)
	followerID := func(f *Follow) *int64 { return &f.FollowerID }
	followeeID := func(f *Follow) *int64 { return &f.FolloweeID }
	e.follows = memrel.NewPairTable(s, "follows", followerID, followeeID)
	cascade := memrel.OnDelete(memrel.Cascade)
	author := memrel.ForeignKey(e.posts, "author", func(p *FeedPost) *int64 { return &p.UserID }, e.users, cascade)
	e.byCreated = memrel.OrderChildren(author, "by_created", func(p *FeedPost) *int64 { return &p.CreatedAt })
	tagging := memrel.ManyToMany(
		memrel.ForeignKey(e.links, "post", postID, e.posts, cascade),
		memrel.ForeignKey(e.links, "tag", tagID, e.tags, cascade))
	follower := memrel.ForeignKey(e.follows, "follower", followerID, e.users, cascade)
	memrel.ForeignKey(e.follows, "followee", followeeID, e.users, cascade)
	e.followees = memrel.Many(follower)
	e.author = memrel.One(author)
	e.tagged = tagging.LoadRights()
	db, err := memrel.Open(s, memrel.Strict(true))
	if err != nil {
		return err
	}
	e.db = db
	return db.Update(func(tx *memrel.Tx) error {
		for _, u := range w.users {
			if _, err := e.users.Insert(tx, u); err != nil {
				return err
			}
		}
		for _, t := range w.tags {
			if _, err := e.tags.Insert(tx, t); err != nil {
				return err
			}
		}
		for _, p := range w.posts {
			if _, err := e.posts.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, pt := range w.postTags {
			if _, err := e.links.Insert(tx, pt); err != nil {
				return err
			}
		}
		for _, f := range w.follows {
			if _, err := e.follows.Insert(tx, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func (e *memrelFeed) page(user int64, after *FeedPost) (items []FeedItem, err error) {
	err = e.db.View(func(tx *memrel.Tx) error {
		// Many reads only the parent's key from the row it is given: the
		// reader's User row is not needed, its ID is.
		me := []User{{ID: user}}
		res, err := memrel.Eager(tx, me, e.followees)
		if err != nil {
			return err
		}
		follows := e.followees.Of(res, me[0])
		ids := make([]int64, len(follows))
		for i, f := range follows {
			ids[i] = f.FolloweeID
		}
		page, err := e.byCreated.Merge(tx, ids, memrel.Page[FeedPost]{Backward: true, Limit: feedPage, After: after})
		if err != nil {
			return err
		}
		if res, err = memrel.Eager(tx, page, e.author, e.tagged); err != nil {
			return err
		}
		items = make([]FeedItem, len(page))
		for i, p := range page {
			a, ok := e.author.Of(res, p)
			if !ok {
				return fmt.Errorf("post %d: no author", p.ID)
			}
			items[i] = FeedItem{Post: p, Author: a, Tags: e.tagged.Of(res, p)}
		}
		return nil
	})
	return items, err
}

func (e *memrelFeed) close() {}

// --- raw go-memdb, with typed indexers and integrity by hand ---
//
// posts has an index on (user, created), to which go-memdb appends the ID:
// each followee's posts newest first are a reverse prefix seek, or from
// the cursor a ReverseLowerBound on (followee, created, ID). A page merges
// the followees' runs with a heap (container/heap), then looks up each
// post's author and tags (a prefix seek on post_tags' (post, tag) key),
// each distinct author and tag once per page.

type memdbFeed struct{ db *memdb.MemDB }

// fieldsIndexer indexes a row by the concatenation of some int64 fields;
// its arguments are any number of int64 values, concatenated the same way:
// a prefix of the entry, or (for a non-unique index, to which go-memdb
// appends the ID) the whole entry.
type fieldsIndexer[T any] struct{ fields []func(*T) int64 }

func (x fieldsIndexer[T]) FromObject(o any) (bool, []byte, error) {
	t, ok := o.(*T)
	if !ok {
		return false, nil, errors.New("wrong type")
	}
	out := make([]byte, 0, 8*len(x.fields))
	for _, f := range x.fields {
		out = binary.BigEndian.AppendUint64(out, uint64(f(t))^1<<63)
	}
	return true, out, nil
}

func (x fieldsIndexer[T]) FromArgs(args ...any) ([]byte, error) {
	out := make([]byte, 0, 8*len(args))
	for _, a := range args {
		v, ok := a.(int64)
		if !ok {
			return nil, errors.New("int64 arguments")
		}
		out = binary.BigEndian.AppendUint64(out, uint64(v)^1<<63)
	}
	return out, nil
}

func (e *memdbFeed) load(w *feedWorkload) error {
	schema := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		"users": {Name: "users", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: intIndexer[User]{func(u *User) int64 { return u.ID }}}}},
		"posts": {Name: "posts", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: intIndexer[FeedPost]{func(p *FeedPost) int64 { return p.ID }}},
			"user_created": {Name: "user_created", Indexer: fieldsIndexer[FeedPost]{[]func(*FeedPost) int64{
				func(p *FeedPost) int64 { return p.UserID }, func(p *FeedPost) int64 { return p.CreatedAt }}}}}},
		"tags": {Name: "tags", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: intIndexer[Tag]{func(t *Tag) int64 { return t.ID }}}}},
		"post_tags": {Name: "post_tags", Indexes: map[string]*memdb.IndexSchema{
			"id":  {Name: "id", Unique: true, Indexer: pairIndexer{}},
			"tag": {Name: "tag", Indexer: intIndexer[PostTag]{func(pt *PostTag) int64 { return pt.TagID }}}}},
		"follows": {Name: "follows", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: fieldsIndexer[Follow]{[]func(*Follow) int64{
				func(f *Follow) int64 { return f.FollowerID }, func(f *Follow) int64 { return f.FolloweeID }}}},
			"followee": {Name: "followee", Indexer: intIndexer[Follow]{func(f *Follow) int64 { return f.FolloweeID }}}}},
	}}
	db, err := memdb.NewMemDB(schema)
	if err != nil {
		return err
	}
	e.db = db
	txn := db.Txn(true)
	defer txn.Abort()
	exists := func(table string, id int64) bool { o, _ := txn.First(table, "id", id); return o != nil }
	for _, u := range w.users {
		if err := txn.Insert("users", &u); err != nil {
			return err
		}
	}
	for _, t := range w.tags {
		if err := txn.Insert("tags", &t); err != nil {
			return err
		}
	}
	for _, p := range w.posts {
		if !exists("users", p.UserID) {
			return fmt.Errorf("post %d: no user %d", p.ID, p.UserID)
		}
		if err := txn.Insert("posts", &p); err != nil {
			return err
		}
	}
	for _, pt := range w.postTags {
		if !exists("posts", pt.PostID) || !exists("tags", pt.TagID) {
			return fmt.Errorf("link %v: a side is missing", pt)
		}
		if err := txn.Insert("post_tags", &pt); err != nil {
			return err
		}
	}
	for _, f := range w.follows {
		if !exists("users", f.FollowerID) || !exists("users", f.FolloweeID) {
			return fmt.Errorf("follow %v: a side is missing", f)
		}
		if err := txn.Insert("follows", &f); err != nil {
			return err
		}
	}
	txn.Commit()
	return nil
}

// memdbRun is one followee's posts, newest first, one read ahead.
type memdbRun struct {
	it    memdb.ResultIterator
	user  int64
	after *FeedPost
	cur   *FeedPost
}

func (r *memdbRun) advance() bool {
	for o := r.it.Next(); o != nil; o = r.it.Next() {
		p := o.(*FeedPost)
		if p.UserID != r.user {
			return false // past the followee's posts
		}
		if r.after != nil && p.ID == r.after.ID {
			continue // the cursor itself
		}
		r.cur = p
		return true
	}
	return false
}

type memdbRuns []*memdbRun

func (h memdbRuns) Len() int           { return len(h) }
func (h memdbRuns) Less(i, j int) bool { return newestFirst(h[i].cur, h[j].cur) < 0 }
func (h memdbRuns) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *memdbRuns) Push(x any)        { *h = append(*h, x.(*memdbRun)) }
func (h *memdbRuns) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}

func (e *memdbFeed) page(user int64, after *FeedPost) ([]FeedItem, error) {
	txn := e.db.Txn(false)
	fit, err := txn.Get("follows", "id", user) // a prefix seek: the key begins with the follower
	if err != nil {
		return nil, err
	}
	var runs memdbRuns
	for o := fit.Next(); o != nil; o = fit.Next() {
		f := o.(*Follow).FolloweeID
		var it memdb.ResultIterator
		if after == nil {
			it, err = txn.GetReverse("posts", "user_created", f)
		} else {
			it, err = txn.ReverseLowerBound("posts", "user_created", f, after.CreatedAt, after.ID)
		}
		if err != nil {
			return nil, err
		}
		r := &memdbRun{it: it, user: f, after: after}
		if r.advance() {
			runs = append(runs, r)
		}
	}
	heap.Init(&runs)
	posts := make([]*FeedPost, 0, feedPage)
	for len(runs) > 0 && len(posts) < feedPage {
		r := runs[0]
		posts = append(posts, r.cur)
		if r.advance() {
			heap.Fix(&runs, 0)
		} else {
			heap.Pop(&runs)
		}
	}
	authors := make(map[int64]*User, len(posts))
	tags := make(map[int64]*Tag, 3*len(posts))
	items := make([]FeedItem, len(posts))
	var tagRows []Tag // the page's tags, each post's a slice of it
	for i, p := range posts {
		a, ok := authors[p.UserID]
		if !ok {
			o, err := txn.First("users", "id", p.UserID)
			if err != nil || o == nil {
				return nil, fmt.Errorf("post %d: no author (%v)", p.ID, err)
			}
			a = o.(*User)
			authors[p.UserID] = a
		}
		lit, err := txn.Get("post_tags", "id", p.ID) // a prefix seek on (post, tag)
		if err != nil {
			return nil, err
		}
		start := len(tagRows)
		for o := lit.Next(); o != nil; o = lit.Next() {
			id := o.(*PostTag).TagID
			t, ok := tags[id]
			if !ok {
				to, err := txn.First("tags", "id", id)
				if err != nil || to == nil {
					return nil, fmt.Errorf("post %d: no tag %d (%v)", p.ID, id, err)
				}
				t = to.(*Tag)
				tags[id] = t
			}
			tagRows = append(tagRows, *t)
		}
		items[i] = FeedItem{Post: *p, Author: *a, Tags: tagRows[start:len(tagRows):len(tagRows)]}
	}
	return items, nil
}

func (e *memdbFeed) close() {}

// --- hand-written Go maps: the floor ---
//
// Each user's posts are kept in a slice sorted newest first (sorted once,
// at load). A page finds each followee's first post after the cursor by
// binary search, merges the followees' runs with a hand-written binary
// heap, and copies each post's author and tags out of their maps.

type mapsFeed struct {
	users       map[int64]User
	tags        map[int64]Tag
	following   map[int64][]int64
	postsByUser map[int64][]FeedPost // newest first
	tagsByPost  map[int64][]int64
}

func (e *mapsFeed) load(w *feedWorkload) error {
	e.users, e.tags = make(map[int64]User, len(w.users)), make(map[int64]Tag, len(w.tags))
	e.following = make(map[int64][]int64, len(w.users))
	e.postsByUser = make(map[int64][]FeedPost, len(w.users))
	e.tagsByPost = make(map[int64][]int64, len(w.posts))
	for _, u := range w.users {
		e.users[u.ID] = u
	}
	for _, t := range w.tags {
		e.tags[t.ID] = t
	}
	posts := make(map[int64]bool, len(w.posts))
	for _, p := range w.posts {
		if _, ok := e.users[p.UserID]; !ok {
			return fmt.Errorf("post %d: no user", p.ID)
		}
		posts[p.ID] = true
		e.postsByUser[p.UserID] = append(e.postsByUser[p.UserID], p)
	}
	for _, ps := range e.postsByUser {
		slices.SortFunc(ps, func(a, b FeedPost) int { return newestFirst(&a, &b) })
	}
	for _, pt := range w.postTags {
		if _, ok := e.tags[pt.TagID]; !ok || !posts[pt.PostID] {
			return fmt.Errorf("link %v: a side is missing", pt)
		}
		e.tagsByPost[pt.PostID] = append(e.tagsByPost[pt.PostID], pt.TagID)
	}
	for _, f := range w.follows {
		_, ok1 := e.users[f.FollowerID]
		_, ok2 := e.users[f.FolloweeID]
		if !ok1 || !ok2 {
			return fmt.Errorf("follow %v: a side is missing", f)
		}
		e.following[f.FollowerID] = append(e.following[f.FollowerID], f.FolloweeID)
	}
	return nil
}

// mapsRuns is a binary heap of runs (each newest first, never empty),
// newest head on top.
type mapsRuns [][]FeedPost

func (h mapsRuns) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && newestFirst(&h[r][0], &h[l][0]) < 0 {
			c = r
		}
		if newestFirst(&h[c][0], &h[i][0]) >= 0 {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

func (e *mapsFeed) page(user int64, after *FeedPost) ([]FeedItem, error) {
	fs := e.following[user]
	runs := make(mapsRuns, 0, len(fs))
	for _, f := range fs {
		ps := e.postsByUser[f]
		if after != nil { // the first post older than the cursor
			i, _ := slices.BinarySearchFunc(ps, after, func(p FeedPost, c *FeedPost) int {
				if newestFirst(&p, c) <= 0 {
					return -1
				}
				return 1
			})
			ps = ps[i:]
		}
		if len(ps) > 0 {
			runs = append(runs, ps)
		}
	}
	for i := len(runs)/2 - 1; i >= 0; i-- {
		runs.down(i)
	}
	items := make([]FeedItem, 0, feedPage)
	var tagRows []Tag
	for len(runs) > 0 && len(items) < feedPage {
		p := runs[0][0]
		if runs[0] = runs[0][1:]; len(runs[0]) == 0 {
			runs[0] = runs[len(runs)-1]
			runs = runs[:len(runs)-1]
		}
		runs.down(0)
		start := len(tagRows)
		for _, t := range e.tagsByPost[p.ID] {
			tagRows = append(tagRows, e.tags[t])
		}
		items = append(items, FeedItem{Post: p, Author: e.users[p.UserID], Tags: tagRows[start:len(tagRows):len(tagRows)]})
	}
	return items, nil
}

func (e *mapsFeed) close() {}

// --- SQLite in memory, through database/sql ---
//
// Indexes: follows keyed by (follower_id, followee_id), posts(user_id,
// created_at, id). A page is one query, the keyset condition a row-value
// comparison on (created_at, id), then the authors and the tags of the
// page, each one query with an IN list (TestFeedQueryPlans checks the
// plans). Statements are prepared once.

type sqlFeed struct {
	driver string
	db     *sql.DB
	stmts  map[string]*sql.Stmt
	tagsIn map[int]*sql.Stmt // the tags of n posts, by n
	authIn map[int]*sql.Stmt // n authors, by n
}

var feedSchemaSQL = []string{
	"PRAGMA foreign_keys=ON",
	"CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE)",
	"CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, created_at INTEGER NOT NULL, title TEXT NOT NULL)",
	"CREATE INDEX posts_user_created ON posts(user_id, created_at, id)",
	"CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
	"CREATE TABLE post_tags (post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE, tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE, PRIMARY KEY (post_id, tag_id)) WITHOUT ROWID",
	"CREATE INDEX post_tags_tag ON post_tags(tag_id)",
	"CREATE TABLE follows (follower_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, followee_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, PRIMARY KEY (follower_id, followee_id)) WITHOUT ROWID",
	"CREATE INDEX follows_followee ON follows(followee_id)",
}

const feedPageSQL = "SELECT p.id, p.user_id, p.created_at, p.title FROM follows f JOIN posts p ON p.user_id = f.followee_id WHERE f.follower_id = ?%s ORDER BY p.created_at DESC, p.id DESC LIMIT 20"

var feedSQL = map[string]string{
	"user":   "INSERT INTO users (id, name, email) VALUES (?, ?, ?)",
	"post":   "INSERT INTO posts (id, user_id, created_at, title) VALUES (?, ?, ?, ?)",
	"tag":    "INSERT INTO tags (id, name) VALUES (?, ?)",
	"link":   "INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)",
	"follow": "INSERT INTO follows (follower_id, followee_id) VALUES (?, ?)",
	"first":  fmt.Sprintf(feedPageSQL, ""),
	"next":   fmt.Sprintf(feedPageSQL, " AND (p.created_at, p.id) < (?, ?)"),
}

func inList(n int) string { return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")" }

func authorsSQL(n int) string { return "SELECT id, name, email FROM users WHERE id IN " + inList(n) }

func tagsSQL(n int) string {
	return "SELECT pt.post_id, t.id, t.name FROM post_tags pt JOIN tags t ON t.id = pt.tag_id WHERE pt.post_id IN " + inList(n)
}

func (e *sqlFeed) load(w *feedWorkload) error {
	db, err := sql.Open(e.driver, ":memory:")
	if err != nil {
		return err
	}
	// One connection: an in-memory database lives and dies with it.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	e.db = db
	for _, s := range feedSchemaSQL {
		if _, err := db.Exec(s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	e.stmts, e.tagsIn, e.authIn = map[string]*sql.Stmt{}, map[int]*sql.Stmt{}, map[int]*sql.Stmt{}
	for name, q := range feedSQL {
		if e.stmts[name], err = db.Prepare(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st := func(name string) *sql.Stmt { return tx.Stmt(e.stmts[name]) }
	user, tag, post, link, follow := st("user"), st("tag"), st("post"), st("link"), st("follow")
	for _, u := range w.users {
		if _, err := user.Exec(u.ID, u.Name, u.Email); err != nil {
			return err
		}
	}
	for _, t := range w.tags {
		if _, err := tag.Exec(t.ID, t.Name); err != nil {
			return err
		}
	}
	for _, p := range w.posts {
		if _, err := post.Exec(p.ID, p.UserID, p.CreatedAt, p.Title); err != nil {
			return err
		}
	}
	for _, pt := range w.postTags {
		if _, err := link.Exec(pt.PostID, pt.TagID); err != nil {
			return err
		}
	}
	for _, f := range w.follows {
		if _, err := follow.Exec(f.FollowerID, f.FolloweeID); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.Exec("ANALYZE")
	return err
}

// in returns the statement of cache for n arguments, prepared on first use.
func (e *sqlFeed) in(cache map[int]*sql.Stmt, n int, q func(int) string) (*sql.Stmt, error) {
	if s, ok := cache[n]; ok {
		return s, nil
	}
	s, err := e.db.Prepare(q(n))
	if err != nil {
		return nil, err
	}
	cache[n] = s
	return s, nil
}

func (e *sqlFeed) page(user int64, after *FeedPost) ([]FeedItem, error) {
	var rows *sql.Rows
	var err error
	if after == nil {
		rows, err = e.stmts["first"].Query(user)
	} else {
		rows, err = e.stmts["next"].Query(user, after.CreatedAt, after.ID)
	}
	if err != nil {
		return nil, err
	}
	items := make([]FeedItem, 0, feedPage)
	for rows.Next() {
		var p FeedPost
		if err := rows.Scan(&p.ID, &p.UserID, &p.CreatedAt, &p.Title); err != nil {
			rows.Close()
			return nil, err
		}
		items = append(items, FeedItem{Post: p})
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(items) == 0 {
		return items, err
	}
	// The page's distinct authors, and its posts, as IN lists.
	byPost := make(map[int64]int, len(items))
	postArgs := make([]any, len(items))
	var authorArgs []any
	for i, it := range items {
		byPost[it.Post.ID] = i
		postArgs[i] = it.Post.ID
		if !slices.Contains(authorArgs, any(it.Post.UserID)) {
			authorArgs = append(authorArgs, it.Post.UserID)
		}
	}
	authors, err := e.in(e.authIn, len(authorArgs), authorsSQL)
	if err != nil {
		return nil, err
	}
	if rows, err = authors.Query(authorArgs...); err != nil {
		return nil, err
	}
	byID := make(map[int64]User, len(authorArgs))
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name, &u.Email); err != nil {
			rows.Close()
			return nil, err
		}
		byID[u.ID] = u
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range items {
		u, ok := byID[items[i].Post.UserID]
		if !ok {
			return nil, fmt.Errorf("post %d: no author", items[i].Post.ID)
		}
		items[i].Author = u
	}
	tags, err := e.in(e.tagsIn, len(postArgs), tagsSQL)
	if err != nil {
		return nil, err
	}
	if rows, err = tags.Query(postArgs...); err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var post int64
		var t Tag
		if err := rows.Scan(&post, &t.ID, &t.Name); err != nil {
			return nil, err
		}
		i := byPost[post]
		items[i].Tags = append(items[i].Tags, t)
	}
	return items, rows.Err()
}

func (e *sqlFeed) close() {
	if e.db != nil {
		e.db.Close()
	}
}

// explain returns SQLite's plan for a query, its lines joined by "; ".
func explain(db *sql.DB, q string, args ...any) (string, error) {
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; "), rows.Err()
}

// --- GORM on SQLite (mattn), with Preload ---
//
// The models reuse User and Tag (tables users and tags). posts has the
// same composite index as the SQL engines'; the keyset condition is a
// Where, the followees a subquery, and Preload loads the authors (one
// query) and the tags (two: the join table, then the tags).

type GFeedPost struct {
	ID        int64 `gorm:"primaryKey;index:g_posts_user_created,priority:3"`
	UserID    int64 `gorm:"not null;index:g_posts_user_created,priority:1"`
	CreatedAt int64 `gorm:"not null;autoCreateTime:false;index:g_posts_user_created,priority:2"`
	Title     string
	Author    User  `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
	Tags      []Tag `gorm:"many2many:g_feed_post_tags;constraint:OnDelete:CASCADE"`
}

type GFollow struct {
	FollowerID int64 `gorm:"primaryKey"`
	FolloweeID int64 `gorm:"primaryKey;index"`
	Follower   User  `gorm:"foreignKey:FollowerID;constraint:OnDelete:CASCADE"`
	Followee   User  `gorm:"foreignKey:FolloweeID;constraint:OnDelete:CASCADE"`
}

type gormFeed struct{ db *gorm.DB }

func (e *gormFeed) load(w *feedWorkload) error {
	db, err := gorm.Open(sqlite.Open("file::memory:?_foreign_keys=on"), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true, PrepareStmt: true})
	if err != nil {
		return err
	}
	raw, err := db.DB()
	if err != nil {
		return err
	}
	raw.SetMaxOpenConns(1)
	raw.SetMaxIdleConns(1)
	raw.SetConnMaxLifetime(0)
	e.db = db
	if err := db.AutoMigrate(&User{}, &Tag{}, &GFeedPost{}, &GFollow{}); err != nil {
		return err
	}
	posts := make([]GFeedPost, len(w.posts))
	for i, p := range w.posts {
		posts[i] = GFeedPost{ID: p.ID, UserID: p.UserID, CreatedAt: p.CreatedAt, Title: p.Title}
	}
	follows := make([]GFollow, len(w.follows))
	for i, f := range w.follows {
		follows[i] = GFollow{FollowerID: f.FollowerID, FolloweeID: f.FolloweeID}
	}
	links := make([]map[string]any, len(w.postTags))
	for i, pt := range w.postTags {
		links[i] = map[string]any{"g_feed_post_id": pt.PostID, "tag_id": pt.TagID}
	}
	if err := db.Transaction(func(tx *gorm.DB) error {
		for _, step := range []func() error{
			func() error { return tx.CreateInBatches(w.users, 500).Error },
			func() error { return tx.CreateInBatches(w.tags, 500).Error },
			func() error { return tx.Omit(clause.Associations).CreateInBatches(posts, 500).Error },
			func() error { return tx.Table("g_feed_post_tags").CreateInBatches(links, 500).Error },
			func() error { return tx.Omit(clause.Associations).CreateInBatches(follows, 500).Error },
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return db.Exec("ANALYZE").Error
}

func (e *gormFeed) page(user int64, after *FeedPost) ([]FeedItem, error) {
	followees := e.db.Model(&GFollow{}).Select("followee_id").Where("follower_id = ?", user)
	q := e.db.Preload("Author").Preload("Tags").Where("user_id IN (?)", followees)
	if after != nil {
		q = q.Where("(created_at, id) < (?, ?)", after.CreatedAt, after.ID)
	}
	var posts []GFeedPost
	if err := q.Order("created_at DESC, id DESC").Limit(feedPage).Find(&posts).Error; err != nil {
		return nil, err
	}
	items := make([]FeedItem, len(posts))
	for i, p := range posts {
		items[i] = FeedItem{Post: FeedPost{ID: p.ID, UserID: p.UserID, CreatedAt: p.CreatedAt, Title: p.Title}, Author: p.Author, Tags: p.Tags}
	}
	return items, nil
}

func (e *gormFeed) close() {
	if e.db != nil {
		if raw, err := e.db.DB(); err == nil {
			raw.Close()
		}
	}
}
