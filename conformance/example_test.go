package conformance

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/internal/blogdb"
	"github.com/memrel/memrel/memreltest"
)

// A test of the user's: production's migrations, run on a fresh SQLite,
// must declare what the memrel schema of the tests does.
func TestProductionSchema(t *testing.T) {
	db := migrated(t, "testdata/migrations/*.sql")
	blog, _ := blogdb.Open()
	memreltest.AssertSQLSchema(t, db, blog.DB.Schema(), memrel.SQLite, memrel.IgnoreTables("schema_migrations"))
}

// migrated is a new in-memory SQLite with the migrations that match glob
// run in order of their names.
func migrated(t *testing.T, glob string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // one in-memory database
	files, _ := filepath.Glob(glob)
	for _, f := range files {
		m, err := os.ReadFile(f)
		if err == nil {
			_, err = db.Exec(string(m))
		}
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if len(files) == 0 {
		t.Fatalf("no migrations match %s", glob)
	}
	return db
}

// recorder is a testing.TB that keeps what a helper reports.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, args...))
}
func (r *recorder) Fatalf(f string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(f, args...))
}

// A drifted database fails AssertSQLSchema with every difference listed.
func TestAssertSQLSchemaReports(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
CREATE TABLE schema_migrations (version TEXT)`); err != nil {
		t.Fatal(err)
	}
	blog, _ := blogdb.Open()
	r := &recorder{TB: t}
	memreltest.AssertSQLSchema(r, db, blog.DB.Schema(), memrel.SQLite, memrel.IgnoreTables("schema_migrations"))
	want := `memreltest: the sqlite schema differs from memrel's in 5 ways:
	table post_tags: memrel declared, database none
	table posts: memrel declared, database none
	table tags: memrel declared, database none
	users: primary key: memrel (id) AUTOINCREMENT, database (id)
	users: unique (email): memrel declared, database none`
	if len(r.errors) != 1 || r.errors[0] != want {
		t.Errorf("AssertSQLSchema reported %q, want %q", r.errors, want)
	}
}
