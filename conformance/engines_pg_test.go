package conformance

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/memrel/memrel"
)

// PostgreSQL runs where MEMREL_PG_DSN names one (scripts/pg.sh start
// prints it; .ci/run starts one and sets it). Each engine is a schema of
// its own on a connection of a shared pool, made from the DDL memrel
// exports for the case's memrel schema: what the cases prove on
// PostgreSQL is what memrel.WriteSQL declares.

const noPostgres = "no PostgreSQL: MEMREL_PG_DSN is unset, so every PostgreSQL conformance test is SKIPPED; run scripts/pg.sh start and set MEMREL_PG_DSN to its output (.ci/run does)"

var pg struct {
	once sync.Once
	db   *sql.DB
	err  error
	n    atomic.Int64 // schemas made
}

// havePostgres reports whether a PostgreSQL is configured.
func havePostgres() bool { return os.Getenv("MEMREL_PG_DSN") != "" }

// pgPool returns the shared pool, skipping t without a PostgreSQL.
func pgPool(t testing.TB) *sql.DB {
	t.Helper()
	if !havePostgres() {
		t.Skip(noPostgres)
	}
	pg.once.Do(func() {
		// exec: no statement cache, whose plans would outlive the
		// schemas they were prepared in.
		pg.db, pg.err = sql.Open("pgx", os.Getenv("MEMREL_PG_DSN")+" default_query_exec_mode=exec")
		if pg.err == nil {
			pg.err = pg.db.Ping()
		}
		// A connection per engine: a backend that has created and dropped
		// thousands of schemas slows down (its caches grow), and a new one
		// costs a few milliseconds.
		pg.db.SetMaxIdleConns(0)
	})
	if pg.err != nil {
		t.Fatalf("PostgreSQL at MEMREL_PG_DSN: %v", pg.err)
	}
	return pg.db
}

// newPG is c's schema on PostgreSQL, as memrel.WriteSQL declares it.
func newPG(t testing.TB, c config) *sqlEngine {
	t.Helper()
	mem, err := newMem(t, c)
	if err != nil {
		t.Fatalf("memrel Open: %v", err)
	}
	var ddl bytes.Buffer
	err = memrel.WriteSQL(&ddl, mem.db.Schema(), memrel.PostgreSQL)
	mem.close()
	if err != nil {
		t.Fatal(err)
	}
	return newPGWith(t, ddl.String())
}

// newPGWith is a PostgreSQL engine of the schema ddl declares.
func newPGWith(t testing.TB, ddl string) *sqlEngine {
	t.Helper()
	db := pgPool(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("case_%d_%d", os.Getpid(), pg.n.Add(1))
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE SCHEMA %s; SET search_path TO %s; %s", schema, schema, ddl)); err != nil {
		conn.Close()
		t.Fatalf("%v\n%s", err, ddl)
	}
	e := &sqlEngine{name: "PostgreSQL", dialect: memrel.PostgreSQL, conn: conn, ctx: ctx}
	e.drop = func() {
		_, _ = conn.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE; RESET search_path")
	}
	return e
}

func pgOutcome(err error) string {
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return ok
	case !errors.As(err, &pe):
		return "error: " + err.Error()
	}
	switch pe.Code {
	case "23503", "23001": // foreign_key_violation, restrict_violation
		return fk
	case "23505":
		return unique
	case "3B001":
		return noSave
	case "23502":
		return notNull
	}
	return fmt.Sprintf("error: %s (SQLSTATE %s)", pe.Message, pe.Code)
}

// TestMain says loudly when the PostgreSQL half of the conformance suite
// will not run.
func TestMain(m *testing.M) {
	if !havePostgres() {
		fmt.Fprintln(os.Stderr, "conformance: "+noPostgres)
	}
	os.Exit(m.Run())
}
