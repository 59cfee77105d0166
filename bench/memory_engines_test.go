package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/memrel/memrel"
)

// --- memrel ---

type memrelEngine struct {
	db      *memrel.DB
	users   *memrel.Table[User, int64]
	posts   *memrel.Table[Post, int64]
	tags    *memrel.Table[Tag, int64]
	links   *memrel.Table[PostTag, memrel.Pair[int64, int64]]
	author  *memrel.Relation[Post, User, int64]
	tagging *memrel.Association[PostTag, Post, Tag, int64, int64]
}

func (e *memrelEngine) load(w *workload) error {
	s := memrel.NewSchema()
	e.users = memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	e.posts = memrel.NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	e.tags = memrel.NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	postID := func(pt *PostTag) *int64 { return &pt.PostID }
	tagID := func(pt *PostTag) *int64 { return &pt.TagID }
	e.links = memrel.NewPairTable(s, "post_tags", postID, tagID)
	cascade := []memrel.Rule{memrel.OnDelete(memrel.Cascade)}
	e.author = memrel.ForeignKey(e.posts, "author", func(p *Post) *int64 { return &p.UserID }, e.users, cascade...)
	e.tagging = memrel.ManyToMany(
		memrel.ForeignKey(e.links, "post", postID, e.posts, cascade...),
		memrel.ForeignKey(e.links, "tag", tagID, e.tags, cascade...))
	db, err := memrel.Open(s)
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
		return nil
	})
}

func (e *memrelEngine) view(fn func(tx *memrel.Tx) (int64, int64, error)) (count, sum int64, err error) {
	err = e.db.View(func(tx *memrel.Tx) error { count, sum, err = fn(tx); return err })
	return
}

func (e *memrelEngine) lazy() (int64, int64, error) {
	return e.view(func(tx *memrel.Tx) (count, sum int64, err error) {
		for u := range e.users.All(tx) {
			for p := range e.author.Children(tx, u.ID) {
				count++
				sum += p.ID * u.ID
			}
		}
		return
	})
}

func (e *memrelEngine) eager() (int64, int64, error) {
	return e.view(func(tx *memrel.Tx) (count, sum int64, err error) {
		posts := memrel.Many(e.author)
		users, res, err := memrel.EagerAll(tx, e.users, posts)
		for _, u := range users {
			for _, p := range posts.Of(res, u) {
				count++
				sum += p.ID * u.ID
			}
		}
		return count, sum, err
	})
}

func (e *memrelEngine) reverse() (int64, int64, error) {
	return e.view(func(tx *memrel.Tx) (count, sum int64, err error) {
		for p := range e.posts.All(tx) {
			u, err := e.author.Parent(tx, p)
			if err != nil {
				return count, sum, err
			}
			count++
			sum += p.ID * u.ID
		}
		return
	})
}

func (e *memrelEngine) postTags() (int64, int64, error) {
	return e.view(func(tx *memrel.Tx) (count, sum int64, err error) {
		tags := e.tagging.LoadRights()
		posts, res, err := memrel.EagerAll(tx, e.posts, tags)
		for _, p := range posts {
			for _, t := range tags.Of(res, p) {
				count++
				sum += p.ID * t.ID
			}
		}
		return count, sum, err
	})
}

func (e *memrelEngine) deleteUser(id int64) error {
	return e.db.Update(func(tx *memrel.Tx) error { return e.users.Delete(tx, id) })
}

func (e *memrelEngine) reject() error {
	err := e.db.Update(func(tx *memrel.Tx) error {
		_, err := e.posts.Insert(tx, Post{UserID: -1, Title: "orphan"})
		return err
	})
	if errors.Is(err, memrel.ErrForeignKey) {
		return errRejected
	}
	return err
}

func (e *memrelEngine) fork() error {
	return e.db.Fork().Update(func(tx *memrel.Tx) error {
		_, err := e.posts.Insert(tx, Post{UserID: 1, Title: "fork"})
		return err
	})
}

func (e *memrelEngine) close() {}

// --- raw go-memdb, with typed indexers and integrity by hand ---

type memdbEngine struct{ db *memdb.MemDB }

func enc(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)^1<<63) }

type intIndexer[T any] struct{ f func(*T) int64 }

func (x intIndexer[T]) FromObject(o any) (bool, []byte, error) {
	t, ok := o.(*T)
	if !ok {
		return false, nil, errors.New("wrong type")
	}
	return true, enc(x.f(t)), nil
}

func (x intIndexer[T]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, errors.New("one argument")
	}
	v, ok := args[0].(int64)
	if !ok {
		return nil, errors.New("int64 argument")
	}
	return enc(v), nil
}

func (x intIndexer[T]) PrefixFromArgs(args ...any) ([]byte, error) { return x.FromArgs(args...) }

// pairIndexer keys post_tags by (post, tag): a prefix seek on the post
// finds its links with no index of their own.
type pairIndexer struct{}

func (pairIndexer) FromObject(o any) (bool, []byte, error) {
	pt, ok := o.(*PostTag)
	if !ok {
		return false, nil, errors.New("wrong type")
	}
	return true, append(enc(pt.PostID), enc(pt.TagID)...), nil
}

func (pairIndexer) FromArgs(args ...any) ([]byte, error) {
	var out []byte
	for _, a := range args {
		v, ok := a.(int64)
		if !ok {
			return nil, errors.New("int64 arguments")
		}
		out = append(out, enc(v)...)
	}
	return out, nil
}

func (e *memdbEngine) load(w *workload) error {
	schema := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		"users": {Name: "users", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: intIndexer[User]{func(u *User) int64 { return u.ID }}}}},
		"posts": {Name: "posts", Indexes: map[string]*memdb.IndexSchema{
			"id":   {Name: "id", Unique: true, Indexer: intIndexer[Post]{func(p *Post) int64 { return p.ID }}},
			"user": {Name: "user", Indexer: intIndexer[Post]{func(p *Post) int64 { return p.UserID }}}}},
		"tags": {Name: "tags", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: intIndexer[Tag]{func(t *Tag) int64 { return t.ID }}}}},
		"post_tags": {Name: "post_tags", Indexes: map[string]*memdb.IndexSchema{
			"id":  {Name: "id", Unique: true, Indexer: pairIndexer{}},
			"tag": {Name: "tag", Indexer: intIndexer[PostTag]{func(pt *PostTag) int64 { return pt.TagID }}}}},
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
	txn.Commit()
	return nil
}

func (e *memdbEngine) lazy() (count, sum int64, err error) {
	txn := e.db.Txn(false)
	users, err := txn.Get("users", "id")
	if err != nil {
		return 0, 0, err
	}
	for uo := users.Next(); uo != nil; uo = users.Next() {
		u := *uo.(*User)
		it, err := txn.Get("posts", "user", u.ID)
		if err != nil {
			return 0, 0, err
		}
		for o := it.Next(); o != nil; o = it.Next() {
			p := *o.(*Post)
			count++
			sum += p.ID * u.ID
		}
	}
	return
}

// eager groups every post by author in one pass over the author index.
func (e *memdbEngine) eager() (count, sum int64, err error) {
	txn := e.db.Txn(false)
	byUser := map[int64][]Post{}
	it, err := txn.Get("posts", "user")
	if err != nil {
		return 0, 0, err
	}
	for o := it.Next(); o != nil; o = it.Next() {
		p := *o.(*Post)
		byUser[p.UserID] = append(byUser[p.UserID], p)
	}
	users, _ := txn.Get("users", "id")
	for uo := users.Next(); uo != nil; uo = users.Next() {
		u := *uo.(*User)
		for _, p := range byUser[u.ID] {
			count++
			sum += p.ID * u.ID
		}
	}
	return
}

func (e *memdbEngine) reverse() (count, sum int64, err error) {
	txn := e.db.Txn(false)
	it, err := txn.Get("posts", "id")
	if err != nil {
		return 0, 0, err
	}
	for o := it.Next(); o != nil; o = it.Next() {
		p := *o.(*Post)
		uo, err := txn.First("users", "id", p.UserID)
		if err != nil || uo == nil {
			return 0, 0, fmt.Errorf("post %d: no author", p.ID)
		}
		count++
		sum += p.ID * uo.(*User).ID
	}
	return
}

// postTags walks the links in (post, tag) order, looking each tag up once.
func (e *memdbEngine) postTags() (count, sum int64, err error) {
	txn := e.db.Txn(false)
	tags := map[int64]Tag{}
	it, err := txn.Get("post_tags", "id")
	if err != nil {
		return 0, 0, err
	}
	for o := it.Next(); o != nil; o = it.Next() {
		pt := o.(*PostTag)
		t, ok := tags[pt.TagID]
		if !ok {
			to, err := txn.First("tags", "id", pt.TagID)
			if err != nil || to == nil {
				return 0, 0, fmt.Errorf("link to a missing tag %d", pt.TagID)
			}
			t = *to.(*Tag)
			tags[pt.TagID] = t
		}
		count++
		sum += pt.PostID * t.ID
	}
	return
}

func (e *memdbEngine) deleteUser(id int64) error {
	txn := e.db.Txn(true)
	defer txn.Abort()
	u, err := txn.First("users", "id", id)
	if err != nil || u == nil {
		return fmt.Errorf("no user %d", id)
	}
	var posts []any
	it, _ := txn.Get("posts", "user", id)
	for o := it.Next(); o != nil; o = it.Next() {
		posts = append(posts, o)
	}
	for _, p := range posts {
		var links []any
		lit, _ := txn.Get("post_tags", "id", p.(*Post).ID) // a prefix seek: the key begins with the post
		for o := lit.Next(); o != nil; o = lit.Next() {
			links = append(links, o)
		}
		for _, l := range links {
			if err := txn.Delete("post_tags", l); err != nil {
				return err
			}
		}
		if err := txn.Delete("posts", p); err != nil {
			return err
		}
	}
	if err := txn.Delete("users", u); err != nil {
		return err
	}
	txn.Commit()
	return nil
}

func (e *memdbEngine) reject() error {
	txn := e.db.Txn(true)
	defer txn.Abort()
	if u, _ := txn.First("users", "id", int64(-1)); u == nil {
		return errRejected
	}
	return txn.Insert("posts", &Post{UserID: -1})
}

func (e *memdbEngine) fork() error {
	txn := e.db.Snapshot().Txn(true)
	if u, _ := txn.First("users", "id", int64(1)); u == nil {
		txn.Abort()
		return errors.New("no user 1")
	}
	if err := txn.Insert("posts", &Post{ID: -1, UserID: 1, Title: "fork"}); err != nil {
		txn.Abort()
		return err
	}
	txn.Commit()
	return nil
}

func (e *memdbEngine) close() {}

// --- hand-written Go maps, with integrity by hand: the floor ---

type mapsEngine struct {
	users       map[int64]User
	posts       map[int64]Post
	tags        map[int64]Tag
	postsByUser map[int64][]int64 // in key order
	tagsByPost  map[int64][]int64
	userOrder   []int64
}

func (e *mapsEngine) load(w *workload) error {
	e.users, e.posts, e.tags = map[int64]User{}, map[int64]Post{}, map[int64]Tag{}
	e.postsByUser, e.tagsByPost = map[int64][]int64{}, map[int64][]int64{}
	e.userOrder = nil
	for _, u := range w.users {
		e.users[u.ID] = u
		e.userOrder = append(e.userOrder, u.ID)
	}
	for _, t := range w.tags {
		e.tags[t.ID] = t
	}
	for _, p := range w.posts {
		if _, ok := e.users[p.UserID]; !ok {
			return fmt.Errorf("post %d: no user", p.ID)
		}
		e.posts[p.ID] = p
		e.postsByUser[p.UserID] = append(e.postsByUser[p.UserID], p.ID)
	}
	for _, pt := range w.postTags {
		_, okP := e.posts[pt.PostID]
		_, okT := e.tags[pt.TagID]
		if !okP || !okT {
			return fmt.Errorf("link %v: a side is missing", pt)
		}
		e.tagsByPost[pt.PostID] = append(e.tagsByPost[pt.PostID], pt.TagID)
	}
	return nil
}

func (e *mapsEngine) lazy() (count, sum int64, err error) {
	for _, u := range e.userOrder {
		for _, id := range e.postsByUser[u] {
			count++
			sum += e.posts[id].ID * u
		}
	}
	return
}

// eager builds what an eager load returns: each user with its posts.
func (e *mapsEngine) eager() (count, sum int64, err error) {
	type userPosts struct {
		User  User
		Posts []Post
	}
	out := make([]userPosts, 0, len(e.userOrder))
	for _, u := range e.userOrder {
		ids := e.postsByUser[u]
		ps := make([]Post, len(ids))
		for i, id := range ids {
			ps[i] = e.posts[id]
		}
		out = append(out, userPosts{e.users[u], ps})
	}
	for _, up := range out {
		for _, p := range up.Posts {
			count++
			sum += p.ID * up.User.ID
		}
	}
	return
}

func (e *mapsEngine) reverse() (count, sum int64, err error) {
	for _, p := range e.posts {
		u, ok := e.users[p.UserID]
		if !ok {
			return 0, 0, fmt.Errorf("post %d: no author", p.ID)
		}
		count++
		sum += p.ID * u.ID
	}
	return
}

// postTags builds each post's tags, as an eager load returns them.
func (e *mapsEngine) postTags() (count, sum int64, err error) {
	type postTags struct {
		Post Post
		Tags []Tag
	}
	out := make([]postTags, 0, len(e.tagsByPost))
	for p, ts := range e.tagsByPost {
		tags := make([]Tag, len(ts))
		for i, t := range ts {
			tags[i] = e.tags[t]
		}
		out = append(out, postTags{e.posts[p], tags})
	}
	for _, pt := range out {
		for _, t := range pt.Tags {
			count++
			sum += pt.Post.ID * t.ID
		}
	}
	return
}

func (e *mapsEngine) deleteUser(id int64) error {
	if _, ok := e.users[id]; !ok {
		return fmt.Errorf("no user %d", id)
	}
	for _, p := range e.postsByUser[id] {
		delete(e.tagsByPost, p)
		delete(e.posts, p)
	}
	delete(e.postsByUser, id)
	delete(e.users, id)
	return nil
}

func (e *mapsEngine) reject() error {
	if _, ok := e.users[-1]; !ok {
		return errRejected
	}
	return nil
}

// fork copies every map: what a per-test copy of plain maps costs.
func (e *mapsEngine) fork() error {
	c := &mapsEngine{users: maps.Clone(e.users), posts: maps.Clone(e.posts), tags: maps.Clone(e.tags),
		postsByUser: maps.Clone(e.postsByUser), tagsByPost: maps.Clone(e.tagsByPost)}
	c.posts[-1] = Post{ID: -1, UserID: 1, Title: "fork"}
	c.postsByUser[1] = append(c.postsByUser[1][:len(c.postsByUser[1]):len(c.postsByUser[1])], -1)
	return nil
}

func (e *mapsEngine) close() {}
