package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/memrel/memrel"
)

// BenchmarkTestStore measures what a test pays for a store of its own with
// the seed's rows in it, then its first write: memrel's fork of a seeded
// base, beside what users do instead, in the same run:
//
//   - memrel-fork: base.Fork() and an Update inserting one post (what
//     memreltest's Base.Fork gives a test, without its Verify at the end);
//   - memrel-rebuild: Open and load the seed, then the write;
//   - sqlite-modernc, sqlite-mattn: SQLite :memory: with the schema and the
//     seed per test, pure Go and cgo;
//   - postgres-template: CREATE DATABASE ... TEMPLATE of a seeded database,
//     connect, write, drop (pgtestdb's approach), on a real PostgreSQL named
//     by MEMREL_PG_DSN (scripts/pg.sh start); skipped with a message
//     without it.
//
// The seed is the workload of the other benchmarks (users, 10 posts each,
// 100 tags, 3 per post): -storerows picks its sizes in users.
func BenchmarkTestStore(b *testing.B) {
	for _, users := range storeSizes(b) {
		w := newWorkload(users, 10, 100, 3)
		rows := len(w.users) + len(w.posts) + len(w.tags) + len(w.postTags)
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			b.Run("engine=memrel-fork", func(b *testing.B) {
				base := &memrelEngine{}
				if err := base.load(w); err != nil {
					b.Fatal(err)
				}
				write := func() *memrel.DB {
					db := base.db.Fork()
					if err := db.Update(func(tx *memrel.Tx) error {
						_, err := base.posts.Insert(tx, Post{UserID: 1, Title: "fork"})
						return err
					}); err != nil {
						b.Fatal(err)
					}
					return db
				}
				checkStore(b, base, write(), len(w.posts)+1)
				checkStore(b, base, base.db, len(w.posts)) // the base is untouched
				b.ResetTimer()
				for b.Loop() {
					write()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/store")
			})
			b.Run("engine=postgres-template", func(b *testing.B) { benchTemplate(b, w) })
			if users > *flagStoreRebuild {
				return // rebuilding takes seconds a store at this size: measured up to -storerebuild
			}
			b.Run("engine=memrel-rebuild", func(b *testing.B) {
				var e *memrelEngine
				build := func() {
					e = &memrelEngine{}
					if err := e.load(w); err != nil {
						b.Fatal(err)
					}
					if err := e.db.Update(func(tx *memrel.Tx) error {
						_, err := e.posts.Insert(tx, Post{UserID: 1, Title: "fork"})
						return err
					}); err != nil {
						b.Fatal(err)
					}
				}
				build()
				checkStore(b, e, e.db, len(w.posts)+1)
				b.ResetTimer()
				for b.Loop() {
					build()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/store")
			})
			for _, driver := range []string{"sqlite", "sqlite3"} {
				name := map[string]string{"sqlite": "sqlite-modernc", "sqlite3": "sqlite-mattn"}[driver]
				b.Run("engine="+name, func(b *testing.B) {
					build := func() *sqlEngine {
						e := &sqlEngine{driver: driver}
						if err := e.load(w); err != nil {
							b.Fatal(err)
						}
						if _, err := e.stmts["forkWrite"].Exec(); err != nil {
							b.Fatal(err)
						}
						return e
					}
					e := build()
					var n int
					if err := e.db.QueryRow("SELECT count(*) FROM posts").Scan(&n); err != nil || n != len(w.posts)+1 {
						b.Fatalf("SQLite store: %d posts, %v; want %d", n, err, len(w.posts)+1)
					}
					e.close()
					b.ResetTimer()
					for b.Loop() {
						build().close()
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/store")
				})
			}
		})
	}
}

var (
	flagStoreRows    = flag.String("storerows", "25,2500", "BenchmarkTestStore's sizes, in users (41 rows each); scripts/bench.sh adds 25000")
	flagStoreRebuild = flag.Int("storerebuild", 2500, "the largest size, in users, at which BenchmarkTestStore rebuilds stores")
)

func storeSizes(b *testing.B) []int {
	var out []int
	for _, f := range strings.Split(*flagStoreRows, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("-storerows %q: want user counts like 25,2500", *flagStoreRows)
		}
		out = append(out, n)
	}
	return out
}

func checkStore(b *testing.B, e *memrelEngine, db *memrel.DB, posts int) {
	b.Helper()
	if err := db.View(func(tx *memrel.Tx) error {
		n, err := e.posts.Len(tx)
		if err == nil && n != posts {
			err = fmt.Errorf("%d posts, want %d", n, posts)
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
}

var templateN atomic.Int64

// benchTemplate seeds a database once, then clones it per test.
func benchTemplate(b *testing.B, w *workload) {
	dsn := os.Getenv("MEMREL_PG_DSN")
	if dsn == "" {
		b.Skip("no PostgreSQL: start one with scripts/pg.sh start and set MEMREL_PG_DSN to the DSN it prints")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatalf("MEMREL_PG_DSN: %v", err)
	}
	defer admin.Close(ctx)
	tmpl := fmt.Sprintf("memrel_seed_%d", len(w.posts))
	exec := func(c *pgx.Conn, q string) {
		b.Helper()
		if _, err := c.Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	exec(admin, "DROP DATABASE IF EXISTS "+tmpl)
	exec(admin, "CREATE DATABASE "+tmpl)
	seed, err := pgx.Connect(ctx, withDB(dsn, tmpl))
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE)",
		"CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE, title text NOT NULL)",
		"CREATE INDEX posts_user ON posts(user_id)",
		"CREATE TABLE tags (id bigint PRIMARY KEY, name text NOT NULL)",
		"CREATE TABLE post_tags (post_id bigint NOT NULL REFERENCES posts(id) ON DELETE CASCADE, tag_id bigint NOT NULL REFERENCES tags(id) ON DELETE CASCADE, PRIMARY KEY (post_id, tag_id))",
		"CREATE INDEX post_tags_tag ON post_tags(tag_id)",
	} {
		exec(seed, q)
	}
	copyRows := func(table string, cols []string, n int, row func(i int) []any) {
		b.Helper()
		if _, err := seed.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil })); err != nil {
			b.Fatalf("COPY %s: %v", table, err)
		}
	}
	copyRows("users", []string{"id", "name", "email"}, len(w.users), func(i int) []any { u := w.users[i]; return []any{u.ID, u.Name, u.Email} })
	copyRows("tags", []string{"id", "name"}, len(w.tags), func(i int) []any { t := w.tags[i]; return []any{t.ID, t.Name} })
	copyRows("posts", []string{"id", "user_id", "title"}, len(w.posts), func(i int) []any { p := w.posts[i]; return []any{p.ID, p.UserID, p.Title} })
	copyRows("post_tags", []string{"post_id", "tag_id"}, len(w.postTags), func(i int) []any { pt := w.postTags[i]; return []any{pt.PostID, pt.TagID} })
	exec(seed, fmt.Sprintf("SELECT setval('posts_id_seq', %d)", len(w.posts)))
	seed.Close(ctx)
	defer func() { _, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+tmpl) }()
	clone := func(count bool) int {
		name := fmt.Sprintf("memrel_test_%d_%d", os.Getpid(), templateN.Add(1))
		exec(admin, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl))
		c, err := pgx.Connect(ctx, withDB(dsn, name))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Exec(ctx, "INSERT INTO posts (user_id, title) VALUES (1, 'fork')"); err != nil {
			b.Fatal(err)
		}
		n := 0
		if count {
			if err := c.QueryRow(ctx, "SELECT count(*) FROM posts").Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
		c.Close(ctx)
		exec(admin, "DROP DATABASE "+name)
		return n
	}
	if n := clone(true); n != len(w.posts)+1 {
		b.Fatalf("a cloned database has %d posts, want %d", n, len(w.posts)+1)
	}
	b.ResetTimer()
	for b.Loop() {
		clone(false)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/store")
}

// withDB returns dsn naming database name instead.
func withDB(dsn, name string) string {
	var out []string
	for _, f := range strings.Fields(dsn) {
		if !strings.HasPrefix(f, "dbname=") {
			out = append(out, f)
		}
	}
	return strings.Join(append(out, "dbname="+name), " ")
}
