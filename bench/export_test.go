package bench

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/memrel/memrel"
	"github.com/memrel/memrel/internal/blogdb"
)

var flagExportRows = flag.String("exportrows", "10000", "BenchmarkExport's store sizes, in rows; scripts/bench.sh measures 1000000")

// blogOf is the demo's blog of about rows rows: users with 33 posts each,
// 100 tags, 2 tags per post (100 rows a user).
func blogOf(b *testing.B, rows int) (*blogdb.Blog, int) {
	b.Helper()
	users := max(1, (rows-100)/100)
	bl, err := blogdb.Open()
	if err != nil {
		b.Fatal(err)
	}
	d := &blogdb.Dataset{}
	for u := 1; u <= users; u++ {
		d.Users = append(d.Users, blogdb.User{ID: int64(u), Name: fmt.Sprint("user", u), Email: fmt.Sprint("user", u, "@example.com")})
	}
	for t := 1; t <= 100; t++ {
		d.Tags = append(d.Tags, blogdb.Tag{ID: int64(t), Name: fmt.Sprint("tag", t)})
	}
	for p := int64(1); p <= int64(users*33); p++ {
		d.Posts = append(d.Posts, blogdb.Post{ID: p, Title: fmt.Sprint("post ", p, " isn't short"), UserID: (p-1)/33 + 1})
		for k := range int64(2) {
			d.PostTags = append(d.PostTags, blogdb.PostTag{PostID: p, TagID: (p+k*7)%100 + 1})
		}
	}
	if err := bl.Load(d); err != nil {
		b.Fatal(err)
	}
	return bl, len(d.Users) + len(d.Tags) + len(d.Posts) + len(d.PostTags)
}

// BenchmarkExport: a store of the demo's blog as SQL (WriteRows), loaded
// into PostgreSQL and SQLite (the script of WriteSQL and WriteRows, run as
// one Exec), and read back from PostgreSQL into a new store (ReadRows).
// Each step's result is checked after its timed runs: the rows in the
// database, the rows read back.
func BenchmarkExport(b *testing.B) {
	ctx := context.Background()
	for _, f := range strings.Split(*flagExportRows, ",") {
		rows, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || rows < 200 {
			b.Fatalf("-exportrows %q: want row counts of 200 or more", *flagExportRows)
		}
		bl, n := blogOf(b, rows)
		var ddl, script bytes.Buffer
		must(b, memrel.WriteSQL(&ddl, bl.DB.Schema(), memrel.PostgreSQL))
		must(b, bl.DB.View(func(tx *memrel.Tx) error { return memrel.WriteRows(&script, tx, memrel.PostgreSQL) }))
		b.Run(fmt.Sprintf("rows=%d/step=write-rows", n), func(b *testing.B) {
			for b.Loop() {
				must(b, bl.DB.View(func(tx *memrel.Tx) error { return memrel.WriteRows(io.Discard, tx, memrel.PostgreSQL) }))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
		})
		b.Run(fmt.Sprintf("rows=%d/step=load-postgres", n), func(b *testing.B) {
			dsn := os.Getenv("MEMREL_PG_DSN")
			if dsn == "" {
				b.Skip("no PostgreSQL: start one with scripts/pg.sh start and set MEMREL_PG_DSN to the DSN it prints")
			}
			c, err := pgx.Connect(ctx, dsn)
			must(b, err)
			defer c.Close(ctx)
			i := 0
			for b.Loop() {
				i++
				// A fresh schema each run; creating it is a few milliseconds
				// of the load's seconds.
				schema := fmt.Sprintf("export_%d_%d", os.Getpid(), i)
				_, err := c.Exec(ctx, fmt.Sprintf("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; SET search_path TO %s; %s", schema, schema, schema, ddl.String()))
				must(b, err)
				_, err = c.Exec(ctx, script.String())
				must(b, err)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
			checkCount(b, n, func(q string) (int, error) {
				var got int
				return got, c.QueryRow(ctx, q).Scan(&got)
			})
			for j := 1; j <= i; j++ {
				_, _ = c.Exec(ctx, fmt.Sprintf("DROP SCHEMA IF EXISTS export_%d_%d CASCADE", os.Getpid(), j))
			}
		})
		b.Run(fmt.Sprintf("rows=%d/step=read-postgres", n), func(b *testing.B) {
			dsn := os.Getenv("MEMREL_PG_DSN")
			if dsn == "" {
				b.Skip("no PostgreSQL: start one with scripts/pg.sh start and set MEMREL_PG_DSN to the DSN it prints")
			}
			schema := fmt.Sprintf("export_read_%d", os.Getpid())
			db, err := sql.Open("pgx", dsn+" search_path="+schema)
			must(b, err)
			defer db.Close()
			_, err = db.Exec(fmt.Sprintf("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; SET search_path TO %s; %s", schema, schema, schema, ddl.String()))
			must(b, err)
			defer db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
			conn, err := db.Conn(ctx)
			must(b, err)
			defer conn.Close()
			_, err = conn.ExecContext(ctx, script.String())
			must(b, err)
			var back *blogdb.Blog
			for b.Loop() {
				back, err = blogdb.Open()
				must(b, err)
				must(b, back.DB.Update(func(tx *memrel.Tx) error { return memrel.ReadRows(ctx, conn, tx) }))
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
			must(b, back.DB.View(func(tx *memrel.Tx) error {
				got := 0
				for _, t := range tx.Schema().Tables() {
					for range t.Rows(tx) {
						got++
					}
				}
				if got != n {
					return fmt.Errorf("read back %d rows, want %d", got, n)
				}
				return tx.Err()
			}))
		})
		b.Run(fmt.Sprintf("rows=%d/step=load-sqlite", n), func(b *testing.B) {
			var lite bytes.Buffer
			must(b, memrel.WriteSQL(&lite, bl.DB.Schema(), memrel.SQLite))
			must(b, bl.DB.View(func(tx *memrel.Tx) error { return memrel.WriteRows(&lite, tx, memrel.SQLite) }))
			var db *sql.DB
			for b.Loop() {
				if db != nil {
					db.Close()
				}
				var err error
				db, err = sql.Open("sqlite", ":memory:")
				must(b, err)
				db.SetMaxOpenConns(1)
				_, err = db.Exec("PRAGMA foreign_keys=ON; " + lite.String())
				must(b, err)
			}
			defer db.Close()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/row")
			checkCount(b, n, func(q string) (int, error) {
				var got int
				return got, db.QueryRow(q).Scan(&got)
			})
		})
	}
}

func checkCount(b *testing.B, want int, count func(q string) (int, error)) {
	b.Helper()
	got, err := count(`SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM posts) + (SELECT count(*) FROM tags) + (SELECT count(*) FROM post_tags)`)
	if err != nil || got != want {
		b.Fatalf("the database holds %d rows, want %d (%v)", got, want, err)
	}
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
