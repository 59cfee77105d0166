package conformance

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/memrel/memrel"
)

// The DDL memrel exports for the differential schema (composite keys, a
// composite foreign key, a reference to a unique e-mail, a nullable
// composite unique index, deferred and cascading relations, a
// self-reference) runs on SQLite and on PostgreSQL, and declares there the
// foreign keys memrel enforces.
func TestExportedSchemaRuns(t *testing.T) {
	cfg := config{
		Author:  rel{OnDelete: memrel.Cascade, OnUpdate: memrel.Cascade, Deferred: true},
		Editor:  rel{OnDelete: memrel.SetNull},
		Parent:  rel{OnDelete: memrel.Cascade},
		Tenant:  rel{OnDelete: memrel.Restrict},
		Project: rel{OnDelete: memrel.SetNull, OnUpdate: memrel.Cascade},
		Owner:   rel{OnUpdate: memrel.Cascade},
	}
	mem, err := newMem(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.close()
	t.Run("sqlite", func(t *testing.T) {
		var ddl bytes.Buffer
		if err := memrel.WriteSQL(&ddl, mem.db.Schema(), memrel.SQLite); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		if _, err := db.Exec("PRAGMA foreign_keys=ON; " + ddl.String()); err != nil {
			t.Fatalf("%v\n%s", err, ddl.String())
		}
		// The composite foreign key, as SQLite reads it back.
		rows, err := db.Query(`SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list('tasks') ORDER BY id, seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var table, from, to, upd, del string
			if err := rows.Scan(&table, &from, &to, &upd, &del); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s.%s->%s %s/%s", table, from, to, upd, del))
		}
		want := "users.owner->email CASCADE/NO ACTION projects.tenant_id->tenant_id CASCADE/SET NULL projects.project_id->id CASCADE/SET NULL"
		if g := strings.Join(got, " "); !sameWords(g, want) {
			t.Errorf("tasks' foreign keys in SQLite: %s, want %s", g, want)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("MEMREL_PG_DSN")
		if dsn == "" {
			t.Skip("no PostgreSQL: start one with scripts/pg.sh start and set MEMREL_PG_DSN (.ci/run does)")
		}
		var ddl bytes.Buffer
		if err := memrel.WriteSQL(&ddl, mem.db.Schema(), memrel.PostgreSQL); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close(ctx)
		name := fmt.Sprintf("memrel_export_%d", os.Getpid())
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		defer admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name)
		c, err := pgx.Connect(ctx, dsn+" dbname="+name)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, ddl.String()); err != nil {
			t.Fatalf("%v\n%s", err, ddl.String())
		}
		var n int
		if err := c.QueryRow(ctx, `SELECT count(*) FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if want := 9; n != want {
			t.Errorf("PostgreSQL has %d foreign keys, want %d", n, want)
		}
		var deferred string
		if err := c.QueryRow(ctx, `SELECT initially_deferred FROM information_schema.table_constraints WHERE constraint_name = 'posts_author'`).Scan(&deferred); err != nil || deferred != "YES" {
			t.Errorf("posts.author deferred: %q, %v", deferred, err)
		}
	})
}

func sameWords(a, b string) bool {
	wa, wb := strings.Fields(a), strings.Fields(b)
	if len(wa) != len(wb) {
		return false
	}
	seen := map[string]int{}
	for _, w := range wa {
		seen[w]++
	}
	for _, w := range wb {
		seen[w]--
		if seen[w] < 0 {
			return false
		}
	}
	return true
}

// Constraint and index names longer than PostgreSQL's 63 bytes stay
// distinct: with a table name of 60 bytes, by_a and by_b would both be cut
// to its name and "_by".
func TestExportLongNames(t *testing.T) {
	type Row struct {
		ID   int64
		A, B string
	}
	s := memrel.NewSchema()
	rows := memrel.NewTable(s, strings.Repeat("t", 60), func(r *Row) *int64 { return &r.ID })
	memrel.NewUniqueIndex(rows, "by_a", func(r *Row) *string { return &r.A })
	memrel.NewUniqueIndex(rows, "by_b", func(r *Row) *string { return &r.B })
	memrel.NewIndex(rows, "by_ab", func(r *Row) *string { return &r.A })
	if _, err := memrel.Open(s); err != nil {
		t.Fatal(err)
	}
	for d, conn := range databases(t) {
		t.Run(d.String(), func(t *testing.T) {
			var ddl bytes.Buffer
			if err := memrel.WriteSQL(&ddl, s, d); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(context.Background(), ddl.String()); err != nil {
				t.Fatalf("%v\n%s", err, ddl.String())
			}
			if diffs := differences(t, conn, "SELECT 1", s, d); len(diffs) > 0 {
				t.Errorf("CompareSQL: %v", diffs)
			}
		})
	}
}
