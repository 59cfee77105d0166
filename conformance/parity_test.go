package conformance

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
	"github.com/memrel/memrel/internal/blogdb"
)

// A production schema that drifted from the memrel one in every way
// CompareSQL looks at, on each dialect: each drift is reported once, and
// nothing else.
func TestCompareSQL(t *testing.T) {
	b, err := blogdb.Open()
	if err != nil {
		t.Fatal(err)
	}
	s := b.DB.Schema()
	// The same drifts on both: posts lost its title; users.name is
	// VARCHAR(20) (PostgreSQL; SQLite: INT, another affinity); users.email
	// may be NULL; users has an extra column and a unique name; post_tags
	// lost its tag foreign key; posts' author RESTRICTs and is deferred;
	// tags lost the unique name; an extra table.
	want := []string{
		"table audit: memrel none, database present",
		"post_tags: foreign key tag_id -> tags: memrel (tag_id) -> tags (id) ON DELETE CASCADE ON UPDATE CASCADE, database none",
		"posts: column title: memrel %TEXT NOT NULL, database none",
		"posts: foreign key user_id -> users: memrel (user_id) -> users (id) ON DELETE CASCADE ON UPDATE CASCADE, database (user_id) -> users (id) ON DELETE RESTRICT ON UPDATE CASCADE INITIALLY DEFERRED",
		"tags: unique (name): memrel declared, database none",
		"users: column age: memrel none, database %INTEGER",
		"users: column email: memrel %TEXT NOT NULL, database %TEXT",
		"users: column name: memrel %TEXT NOT NULL, database %VARCHAR NOT NULL",
		"users: unique (name): memrel none, database declared",
	}
	types := map[memrel.Dialect][]string{
		memrel.PostgreSQL: {"%TEXT", "text", "%INTEGER", "integer", "%VARCHAR", "character varying(20)"},
		memrel.SQLite:     {"%TEXT", "TEXT", "%INTEGER", "INTEGER", "%VARCHAR", "INT"},
	}
	for d, conn := range databases(t) {
		t.Run(d.String(), func(t *testing.T) {
			ctx := context.Background()
			var ddl bytes.Buffer
			if err := memrel.WriteSQL(&ddl, s, d); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, ddl.String()); err != nil {
				t.Fatal(err)
			}
			if diffs, err := memrel.CompareSQL(ctx, conn, s, d); err != nil || len(diffs) > 0 {
				t.Fatalf("the exported schema: %v %v", diffs, err)
			}
			drift := `
ALTER TABLE posts DROP COLUMN title;
ALTER TABLE users ALTER COLUMN name TYPE VARCHAR(20);
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ADD COLUMN age INTEGER;
CREATE UNIQUE INDEX users_name ON users (name);
ALTER TABLE post_tags DROP CONSTRAINT post_tags_tag;
ALTER TABLE posts DROP CONSTRAINT posts_author;
ALTER TABLE posts ADD CONSTRAINT posts_author FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE RESTRICT ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE tags DROP CONSTRAINT tags_name;
ALTER TABLE tags ALTER COLUMN id SET GENERATED ALWAYS;
CREATE TABLE audit (id BIGINT);`
			if d == memrel.SQLite {
				// SQLite alters constraints by rebuilding the table.
				drift = `
PRAGMA foreign_keys = OFF;
DROP TABLE post_tags; DROP TABLE posts; DROP TABLE tags; DROP TABLE users;
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name INT NOT NULL, email TEXT, age INTEGER, UNIQUE (email));
CREATE UNIQUE INDEX users_name ON users (name);
CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL,
  FOREIGN KEY (user_id) REFERENCES users ON DELETE RESTRICT ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE tags (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
CREATE TABLE post_tags (id INTEGER PRIMARY KEY AUTOINCREMENT, post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE ON UPDATE CASCADE, tag_id INTEGER NOT NULL);
CREATE TABLE audit (id BIGINT);
PRAGMA foreign_keys = ON;`
			}
			got := differences(t, conn, drift, s, d)
			var wantD []string
			lines := want
			if d == memrel.PostgreSQL { // an identity that refuses explicit keys
				lines = append(append([]string{}, want[:4]...), append([]string{"tags: column id: memrel bigint NOT NULL, database bigint GENERATED ALWAYS AS IDENTITY NOT NULL"}, want[4:]...)...)
			}
			for _, w := range lines {
				r := types[d]
				for i := 0; i < len(r); i += 2 {
					w = strings.ReplaceAll(w, r[i], r[i+1])
				}
				wantD = append(wantD, w)
			}
			if diff := cmp.Diff(wantD, got); diff != "" {
				t.Errorf("differences (-want +got):\n%s", diff)
			}
		})
	}
}

// What SQLite calls a time or a boolean column holds memrel's times and
// bools as they are: no difference.
func TestCompareSQLiteTypes(t *testing.T) {
	type Event struct {
		ID   int64
		At   time.Time
		Done bool
		Due  memrel.Null[time.Time]
	}
	s := memrel.NewSchema()
	memrel.NewTable(s, "events", func(e *Event) *int64 { return &e.ID })
	if _, err := memrel.Open(s); err != nil {
		t.Fatal(err)
	}
	conn := databases(t)[memrel.SQLite]
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, at DATETIME NOT NULL, done BOOLEAN NOT NULL, due TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	if diffs, err := memrel.CompareSQL(ctx, conn, s, memrel.SQLite); err != nil || len(diffs) > 0 {
		t.Errorf("CompareSQL: %v %v", diffs, err)
	}
}

// What CompareSQL also catches: a SQLite key without AUTOINCREMENT, which
// reuses keys memrel's sequence never does, and unique indexes on
// expressions, which memrel cannot declare.
func TestCompareSQLKeysAndExpressions(t *testing.T) {
	type Account struct {
		ID    int64
		Email string
	}
	s := memrel.NewSchema()
	memrel.NewTable(s, "accounts", func(a *Account) *int64 { return &a.ID })
	if _, err := memrel.Open(s); err != nil {
		t.Fatal(err)
	}
	for d, conn := range databases(t) {
		t.Run(d.String(), func(t *testing.T) {
			ddl := `CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL); CREATE UNIQUE INDEX accounts_email ON accounts (lower(email))`
			if d == memrel.PostgreSQL {
				ddl = `CREATE TABLE accounts (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email TEXT NOT NULL); CREATE UNIQUE INDEX accounts_email ON accounts (lower(email))`
			}
			got := differences(t, conn, ddl, s, d)
			want := []string{"accounts: primary key: memrel (id) AUTOINCREMENT, database (id)", "accounts: unique index on expressions: memrel none, database accounts_email"}
			if d == memrel.PostgreSQL {
				want = []string{"accounts: unique index on expressions: memrel none, database CREATE UNIQUE INDEX accounts_email ON " + "SCHEMA.accounts USING btree (lower(email))"}
				for i, g := range got {
					if j := strings.Index(g, " ON "); j >= 0 {
						if k := strings.Index(g[j+4:], ".accounts"); k >= 0 {
							got[i] = g[:j+4] + "SCHEMA" + g[j+4+k:]
						}
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("differences (-want +got):\n%s", diff)
			}
		})
	}
}

// differences runs ddl on conn, then returns CompareSQL's differences
// between conn and s, as strings.
func differences(t *testing.T, conn *sql.Conn, ddl string, s *memrel.Schema, d memrel.Dialect) []string {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, ddl); err != nil {
		t.Fatal(err)
	}
	diffs, err := memrel.CompareSQL(ctx, conn, s, d)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, df := range diffs {
		got = append(got, df.String())
	}
	return got
}
