// Package bench compares memrel with the engines a user might choose
// instead, on one workload, in one process: raw go-memdb and hand-written
// Go maps (each with integrity written by hand), SQLite in memory through
// modernc.org/sqlite (pure Go) and github.com/mattn/go-sqlite3 (cgo), and
// GORM on SQLite. It is a module of its own so that none of them becomes a
// dependency of memrel.
//
//	go test -run '^$' -bench Op -count 6 | tee peers.txt
//	benchstat -col /engine peers.txt
package bench

import (
	"errors"
	"flag"
	"fmt"
)

var (
	flagUsers = flag.Int("users", 1000, "users in the workload")
	flagPosts = flag.Int("posts", 10, "posts per user")
	flagTags  = flag.Int("tags", 100, "tags")
	flagPer   = flag.Int("per", 3, "tags per post")
)

type User struct {
	ID    int64
	Name  string
	Email string
}

type Post struct {
	ID     int64
	UserID int64
	Title  string
}

type Tag struct {
	ID   int64
	Name string
}

type PostTag struct {
	PostID int64
	TagID  int64
}

// workload is the data every engine loads, and what reading it must give.
type workload struct {
	users    []User
	posts    []Post
	tags     []Tag
	postTags []PostTag

	postSum int64 // sum of post ID x author ID over all posts
	pairSum int64 // sum of post ID x tag ID over all links
}

func newWorkload(users, postsPer, tags, per int) *workload {
	w := &workload{}
	for u := 1; u <= users; u++ {
		w.users = append(w.users, User{ID: int64(u), Name: fmt.Sprint("user", u), Email: fmt.Sprint("user", u, "@example.com")})
	}
	for t := 1; t <= tags; t++ {
		w.tags = append(w.tags, Tag{ID: int64(t), Name: fmt.Sprint("tag", t)})
	}
	id := int64(0)
	for u := 1; u <= users; u++ {
		for range postsPer {
			id++
			w.posts = append(w.posts, Post{ID: id, UserID: int64(u), Title: fmt.Sprint("post", id)})
			w.postSum += id * int64(u)
		}
	}
	for p := int64(1); p <= id; p++ {
		for k := range per {
			t := (p+int64(k)*7)%int64(tags) + 1
			w.postTags = append(w.postTags, PostTag{PostID: p, TagID: t})
			w.pairSum += p * t
		}
	}
	return w
}

func (w *workload) rows() int { return len(w.users) + len(w.posts) + len(w.tags) + len(w.postTags) }

// errRejected is what every engine's reject returns when it refused, as it
// must, a post whose author does not exist.
var errRejected = errors.New("rejected")

// engine is one way of storing the workload. Reads return how many items
// they visited and a checksum (post ID x user ID, or post ID x tag ID).
type engine interface {
	// load creates a fresh store and loads w with every foreign key checked,
	// in one transaction.
	load(w *workload) error
	// lazy visits every user's posts, one query per user (N+1).
	lazy() (count, sum int64, err error)
	// eager loads every user with their posts in as few queries as the
	// engine allows.
	eager() (count, sum int64, err error)
	// reverse visits every post's author, one lookup per post.
	reverse() (count, sum int64, err error)
	// postTags loads every post with its tags, eagerly.
	postTags() (count, sum int64, err error)
	// deleteUser deletes a user, its posts and their tag links, in a
	// transaction of its own.
	deleteUser(id int64) error
	// reject inserts a post by a user that does not exist and returns
	// errRejected when the engine refuses it.
	reject() error
	// fork gives a test its own copy of the store, writes one post to it,
	// and discards it: the engine's cheapest per-test isolation.
	fork() error
	close()
}

var engines = []struct {
	name string
	new  func() engine
}{
	{"memrel", func() engine { return &memrelEngine{} }},
	{"memdb", func() engine { return &memdbEngine{} }},
	{"maps", func() engine { return &mapsEngine{} }},
	{"sqlite-modernc", func() engine { return &sqlEngine{driver: "sqlite"} }},
	{"sqlite-mattn", func() engine { return &sqlEngine{driver: "sqlite3"} }},
	{"gorm", func() engine { return &gormEngine{} }},
}
