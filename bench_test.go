package memrel_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"testing"

	memdb "github.com/hashicorp/go-memdb"
	"github.com/memrel/memrel"
)

// The foundation benchmarks: one workload (1,000 users x 10 posts), five
// operations, two engines in the same run: memrel, and raw go-memdb as a
// careful user would write it (typed indexers, foreign keys checked by hand
// in the same write transaction). Compare with
//
//	go test -run '^$' -bench Foundation -count 6 | tee new.txt
//	benchstat -col /engine new.txt
//
// Every benchmark checks its result once before it is timed.

const (
	benchUsers = 1000
	benchPosts = 10 // per user
)

func benchUser(i int64) memrel.User { return memrel.User{ID: i, Name: fmt.Sprintf("user%d", i)} }

func benchPost(i int64) memrel.Post {
	return memrel.Post{ID: i, Title: fmt.Sprintf("post%d", i), UserID: (i-1)/benchPosts + 1}
}

const totalPosts = benchUsers * benchPosts

// --- memrel ---

// memBlog is the shared model's users and posts (memrel.User, memrel.Post)
// with only the author relation, CASCADE on delete: the schema rawBlog
// mirrors, so that the engines do the same work. memrel.NewBlog declares
// more tables, indexes and relations.
type memBlog struct {
	db     *memrel.DB
	users  *memrel.Table[memrel.User, int64]
	posts  *memrel.Table[memrel.Post, int64]
	author *memrel.Relation[memrel.Post, memrel.User, int64]
}

func newMemBlog(tb testing.TB) *memBlog {
	s := memrel.NewSchema()
	m := &memBlog{}
	m.users = memrel.NewTable(s, "users", func(u *memrel.User) *int64 { return &u.ID })
	m.posts = memrel.NewTable(s, "posts", func(p *memrel.Post) *int64 { return &p.ID })
	m.author = memrel.ForeignKey(m.posts, "author", func(p *memrel.Post) *int64 { return &p.UserID }, m.users,
		memrel.OnDelete(memrel.Cascade))
	db, err := memrel.Open(s)
	if err != nil {
		tb.Fatal(err)
	}
	m.db = db
	return m
}

func (m *memBlog) load(tb testing.TB) {
	err := m.db.Update(func(tx *memrel.Tx) error {
		for i := int64(1); i <= benchUsers; i++ {
			if _, err := m.users.Insert(tx, benchUser(i)); err != nil {
				return err
			}
		}
		for i := int64(1); i <= totalPosts; i++ {
			if _, err := m.posts.Insert(tx, benchPost(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// --- raw go-memdb ---

// intIndex is a typed go-memdb indexer: an int64 field, encoded as memrel
// does (8 bytes, big-endian, sign bit flipped).
type intIndex[T any] struct{ field func(*T) int64 }

func encInt(v int64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(v)^1<<63)
}

func (x intIndex[T]) FromObject(obj any) (bool, []byte, error) {
	o, ok := obj.(*T)
	if !ok {
		return false, nil, errors.New("wrong type")
	}
	return true, encInt(x.field(o)), nil
}

func (x intIndex[T]) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, errors.New("one argument")
	}
	v, ok := args[0].(int64)
	if !ok {
		return nil, errors.New("int64 argument")
	}
	return encInt(v), nil
}

var errNoParent = errors.New("foreign key violation")

type rawBlog struct{ db *memdb.MemDB }

func newRawBlog(tb testing.TB) *rawBlog {
	schema := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{
		"users": {Name: "users", Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: intIndex[memrel.User]{func(u *memrel.User) int64 { return u.ID }}},
		}},
		"posts": {Name: "posts", Indexes: map[string]*memdb.IndexSchema{
			"id":   {Name: "id", Unique: true, Indexer: intIndex[memrel.Post]{func(p *memrel.Post) int64 { return p.ID }}},
			"user": {Name: "user", Indexer: intIndex[memrel.Post]{func(p *memrel.Post) int64 { return p.UserID }}},
		}},
	}}
	db, err := memdb.NewMemDB(schema)
	if err != nil {
		tb.Fatal(err)
	}
	return &rawBlog{db: db}
}

// insertPost checks the author exists, then inserts a copy of p.
func rawInsertPost(txn *memdb.Txn, p memrel.Post) error {
	u, err := txn.First("users", "id", p.UserID)
	if err != nil {
		return err
	}
	if u == nil {
		// A careful user's error says what was rejected and why.
		return fmt.Errorf("insert posts %d: users %d: %w", p.ID, p.UserID, errNoParent)
	}
	return txn.Insert("posts", &p)
}

func (r *rawBlog) load(tb testing.TB) {
	txn := r.db.Txn(true)
	defer txn.Abort()
	for i := int64(1); i <= benchUsers; i++ {
		u := benchUser(i)
		if err := txn.Insert("users", &u); err != nil {
			tb.Fatal(err)
		}
	}
	for i := int64(1); i <= totalPosts; i++ {
		if err := rawInsertPost(txn, benchPost(i)); err != nil {
			tb.Fatal(err)
		}
	}
	txn.Commit()
}

// rawDeleteUser deletes a user and, by hand, its posts.
func rawDeleteUser(txn *memdb.Txn, id int64) (int, error) {
	u, err := txn.First("users", "id", id)
	if err != nil || u == nil {
		return 0, fmt.Errorf("user %d: %v", id, err)
	}
	it, err := txn.Get("posts", "user", id)
	if err != nil {
		return 0, err
	}
	var posts []any
	for p := it.Next(); p != nil; p = it.Next() {
		posts = append(posts, p)
	}
	for _, p := range posts {
		if err := txn.Delete("posts", p); err != nil {
			return 0, err
		}
	}
	return len(posts) + 1, txn.Delete("users", u)
}

// --- the benchmarks ---

// perItem reports the time per item of the timed loop.
func perItem(b *testing.B, iters, items int, unit string) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iters*items), "ns/"+unit)
}

func BenchmarkFoundation(b *testing.B) {
	mem := newMemBlog(b)
	mem.load(b)
	raw := newRawBlog(b)
	raw.load(b)
	runtime.GC() // so that the first case does not pay for the setup's garbage

	b.Run("op=insert/engine=memrel", func(b *testing.B) {
		check := newMemBlog(b)
		check.load(b)
		if err := check.db.Verify(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			newMemBlog(b).load(b)
			n++
		}
		perItem(b, n, benchUsers+totalPosts, "row")
	})
	b.Run("op=insert/engine=memdb", func(b *testing.B) {
		check := newRawBlog(b)
		check.load(b)
		if got := rawCount(check.db, "posts"); got != totalPosts {
			b.Fatalf("%d posts", got)
		}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			newRawBlog(b).load(b)
			n++
		}
		perItem(b, n, benchUsers+totalPosts, "row")
	})

	// Lazy children: every user's posts, one query per user (N+1).
	memChildren := func() (count, sum int64) {
		_ = mem.db.View(func(tx *memrel.Tx) error {
			for u := int64(1); u <= benchUsers; u++ {
				for p := range mem.author.Children(tx, u) {
					count++
					sum += p.ID * u
				}
			}
			return nil
		})
		return
	}
	rawChildren := func() (count, sum int64) {
		txn := raw.db.Txn(false)
		for u := int64(1); u <= benchUsers; u++ {
			it, err := txn.Get("posts", "user", u)
			if err != nil {
				b.Fatal(err)
			}
			for o := it.Next(); o != nil; o = it.Next() {
				p := *o.(*memrel.Post)
				count++
				sum += p.ID * u
			}
		}
		return
	}
	wantCount, wantSum := int64(totalPosts), expectedChildSum()
	b.Run("op=children/engine=memrel", func(b *testing.B) { benchRead(b, memChildren, wantCount, wantSum, "post") })
	b.Run("op=children/engine=memdb", func(b *testing.B) { benchRead(b, rawChildren, wantCount, wantSum, "post") })

	// Parent lookup: every post's author.
	var posts []memrel.Post
	_ = mem.db.View(func(tx *memrel.Tx) error {
		for p := range mem.posts.All(tx) {
			posts = append(posts, p)
		}
		return nil
	})
	memParents := func() (count, sum int64) {
		_ = mem.db.View(func(tx *memrel.Tx) error {
			for _, p := range posts {
				u, err := mem.author.Parent(tx, p)
				if err != nil {
					b.Fatal(err)
				}
				count++
				sum += u.ID * p.ID
			}
			return nil
		})
		return
	}
	rawParents := func() (count, sum int64) {
		txn := raw.db.Txn(false)
		for _, p := range posts {
			o, err := txn.First("users", "id", p.UserID)
			if err != nil || o == nil {
				b.Fatal(err)
			}
			u := *o.(*memrel.User)
			count++
			sum += u.ID * p.ID
		}
		return
	}
	b.Run("op=parent/engine=memrel", func(b *testing.B) { benchRead(b, memParents, wantCount, wantSum, "post") })
	b.Run("op=parent/engine=memdb", func(b *testing.B) { benchRead(b, rawParents, wantCount, wantSum, "post") })

	// Cascade delete: every user, each in its own transaction, from a fork
	// of the loaded store; per deleted row (the user and its 10 posts).
	memCascade := func(db *memrel.DB) int {
		for u := int64(1); u <= benchUsers; u++ {
			if err := db.Update(func(tx *memrel.Tx) error { return mem.users.Delete(tx, u) }); err != nil {
				b.Fatal(err)
			}
		}
		return benchUsers * (benchPosts + 1)
	}
	rawCascade := func(db *memdb.MemDB) int {
		deleted := 0
		for u := int64(1); u <= benchUsers; u++ {
			txn := db.Txn(true)
			n, err := rawDeleteUser(txn, u)
			if err != nil {
				b.Fatal(err)
			}
			txn.Commit()
			deleted += n
		}
		return deleted
	}
	b.Run("op=cascade/engine=memrel", func(b *testing.B) {
		fork := mem.db.Fork()
		memCascade(fork)
		var left int
		_ = fork.View(func(tx *memrel.Tx) (err error) { left, err = mem.posts.Len(tx); return err })
		if left != 0 || fork.Verify() != nil {
			b.Fatalf("%d posts left after deleting every user", left)
		}
		b.ReportAllocs()
		n, rows := 0, 0
		for b.Loop() {
			rows += memCascade(mem.db.Fork())
			n++
		}
		perItem(b, 1, rows, "row")
	})
	b.Run("op=cascade/engine=memdb", func(b *testing.B) {
		fork := raw.db.Snapshot()
		if got := rawCascade(fork); got != benchUsers*(benchPosts+1) || rawCount(fork, "posts") != 0 {
			b.Fatalf("deleted %d rows, %d posts left", got, rawCount(fork, "posts"))
		}
		b.ReportAllocs()
		rows := 0
		for b.Loop() {
			rows += rawCascade(raw.db.Snapshot())
		}
		perItem(b, 1, rows, "row")
	})

	// A rejected foreign key: a post whose author does not exist.
	b.Run("op=reject/engine=memrel", func(b *testing.B) {
		tx := memrel.MustTx(mem.db.BeginWrite())
		defer tx.Abort()
		bad := memrel.Post{Title: "orphan", UserID: benchUsers + 1}
		if _, err := mem.posts.Insert(tx, bad); !errors.Is(err, memrel.ErrForeignKey) {
			b.Fatalf("got %v, want ErrForeignKey", err)
		}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if _, err := mem.posts.Insert(tx, bad); err == nil {
				b.Fatal("accepted")
			}
			n++
		}
		perItem(b, n, 1, "reject")
	})
	b.Run("op=reject/engine=memdb", func(b *testing.B) {
		txn := raw.db.Txn(true)
		defer txn.Abort()
		bad := memrel.Post{ID: totalPosts + 1, Title: "orphan", UserID: benchUsers + 1}
		if err := rawInsertPost(txn, bad); !errors.Is(err, errNoParent) {
			b.Fatalf("got %v", err)
		}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if err := rawInsertPost(txn, bad); err == nil {
				b.Fatal("accepted")
			}
			n++
		}
		perItem(b, n, 1, "reject")
	})
}

// benchRead checks read once, then times it; per post visited.
func benchRead(b *testing.B, read func() (count, sum int64), wantCount, wantSum int64, unit string) {
	if c, s := read(); c != wantCount || s != wantSum {
		b.Fatalf("visited %d posts with checksum %d, want %d and %d", c, s, wantCount, wantSum)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		read()
		n++
	}
	perItem(b, n, int(wantCount), unit)
}

// expectedChildSum is the sum of post ID x author ID over all posts.
func expectedChildSum() int64 {
	var s int64
	for i := int64(1); i <= totalPosts; i++ {
		s += i * benchPost(i).UserID
	}
	return s
}

func rawCount(db *memdb.MemDB, table string) int {
	it, err := db.Txn(false).Get(table, "id")
	if err != nil {
		return -1
	}
	n := 0
	for o := it.Next(); o != nil; o = it.Next() {
		n++
	}
	return n
}
