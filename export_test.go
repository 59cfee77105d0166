package memrel_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

var updateExport = flag.Bool("update-export", false, "rewrite testdata/export")

// The DDL, the diagram and the rows of a schema with composite keys, a
// composite foreign key, a reference to a unique key, a nullable composite
// unique index, a deferred relation and defaults, against files checked by
// hand (and run on SQLite and PostgreSQL by conformance/'s
// TestExportedSchemaRuns and round trips).
func TestExport(t *testing.T) {
	ts := newTenantSchema(t, []memrel.Rule{memrel.OnDelete(memrel.Cascade), memrel.Deferred(), memrel.Default(TenantKey{1, 1})},
		[]memrel.Rule{memrel.OnUpdate(memrel.Cascade), memrel.OnDelete(memrel.SetNull), memrel.Default("it's@x")})
	s := ts.db.Schema()
	rows := func(d memrel.Dialect) func(*bytes.Buffer) error {
		return func(b *bytes.Buffer) error {
			return ts.db.View(func(tx *memrel.Tx) error { return memrel.WriteRows(b, tx, d) })
		}
	}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"tenants.postgres.sql":      func(b *bytes.Buffer) error { return memrel.WriteSQL(b, s, memrel.PostgreSQL) },
		"tenants.sqlite.sql":        func(b *bytes.Buffer) error { return memrel.WriteSQL(b, s, memrel.SQLite) },
		"tenants.mmd":               func(b *bytes.Buffer) error { return memrel.WriteMermaid(b, s) },
		"tenants.rows.postgres.sql": rows(memrel.PostgreSQL),
		"tenants.rows.sqlite.sql":   rows(memrel.SQLite),
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "export", name)
		if *updateExport {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), b.String()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{"ID": "id", "UserID": "user_id", "HTTPServer": "http_server", "Key.TenantID": "tenant_id", "createdAt": "created_at", "V2Name": "v2_name"} {
		if got := memrel.SnakeCase("t", in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// A cycle: PostgreSQL gets the closing foreign key by ALTER TABLE.
func TestExportCycle(t *testing.T) {
	type A struct {
		ID int64
		B  memrel.Null[int64]
	}
	type B struct{ ID, A int64 }
	s := memrel.NewSchema()
	as := memrel.NewTable(s, "a", func(a *A) *int64 { return &a.ID })
	bs := memrel.NewTable(s, "b", func(b *B) *int64 { return &b.ID })
	memrel.NullableForeignKey(as, "b", func(a *A) *memrel.Null[int64] { return &a.B }, bs, memrel.Deferred())
	memrel.ForeignKey(bs, "a", func(b *B) *int64 { return &b.A }, as)
	if _, err := memrel.Open(s); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := memrel.WriteSQL(&out, s, memrel.PostgreSQL); err != nil {
		t.Fatal(err)
	}
	want := `ALTER TABLE "b" ADD CONSTRAINT "b_a" FOREIGN KEY ("a") REFERENCES "a" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION DEFERRABLE INITIALLY IMMEDIATE;`
	if !bytes.HasSuffix(out.Bytes(), []byte(want+"\n")) || bytes.Count(out.Bytes(), []byte("ALTER TABLE")) != 1 {
		t.Errorf("no ALTER TABLE for the cycle:\n%s", out.String())
	}
}

// chunks records the size of each write it receives.
type chunks struct{ sizes []int }

func (c *chunks) Write(p []byte) (int, error) { c.sizes = append(c.sizes, len(p)); return len(p), nil }

// WriteRows streams: the script leaves in buffer-sized writes as rows are
// read, never as one piece built in memory.
func TestWriteRowsStreams(t *testing.T) {
	type Row struct {
		ID   int64
		Text string
	}
	s := memrel.NewSchema()
	rows := memrel.NewTable(s, "rows", func(r *Row) *int64 { return &r.ID })
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		for range 20000 {
			if _, err := rows.Insert(tx, Row{Text: "a row of some length, to fill the buffer"}); err != nil {
				return err
			}
		}
		return nil
	})
	var c chunks
	if err := db.View(func(tx *memrel.Tx) error { return memrel.WriteRows(&c, tx, memrel.SQLite) }); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range c.sizes {
		total += n
		if n > 64<<10 {
			t.Errorf("a write of %d bytes: more than the 64 KiB buffer", n)
		}
	}
	if len(c.sizes) < total/(64<<10) || total < 20000*40 {
		t.Errorf("%d bytes in %d writes", total, len(c.sizes))
	}
}

// A schema is exported as Open accepts it: not before Open, and never one
// Open refused.
func TestExportNeedsAnOpenedSchema(t *testing.T) {
	type Row struct {
		ID, Parent int64
	}
	s := memrel.NewSchema()
	rows := memrel.NewTable(s, "rows", func(r *Row) *int64 { return &r.ID })
	memrel.ForeignKey(rows, "parent", func(r *Row) *int64 { return &r.Parent }, rows, memrel.OnDelete(memrel.SetNull))
	var b bytes.Buffer
	if err := memrel.WriteSQL(&b, s, memrel.SQLite); !errors.Is(err, memrel.ErrInvalid) || !strings.Contains(err.Error(), "Open it first") {
		t.Errorf("before Open: %v", err)
	}
	if _, err := memrel.Open(s); err == nil {
		t.Fatal("Open accepted SET NULL on a NOT NULL column")
	}
	for name, err := range map[string]error{
		"WriteSQL":     memrel.WriteSQL(&b, s, memrel.PostgreSQL),
		"WriteMermaid": memrel.WriteMermaid(&b, s),
	} {
		if !errors.Is(err, memrel.ErrSchema) || !strings.Contains(err.Error(), "SET NULL") {
			t.Errorf("%s of a refused schema: %v", name, err)
		}
	}
	if _, err := memrel.CompareSQL(context.Background(), nil, s, memrel.SQLite); !errors.Is(err, memrel.ErrSchema) {
		t.Errorf("CompareSQL of a refused schema: %v", err)
	}
	if b.Len() > 0 {
		t.Errorf("wrote %q", b.String())
	}
}

// Columns as Go sees the fields: an unexported embedded struct's fields
// are the row's, a shallower field hides a deeper one, a foreign key on a
// field of a named struct is a column; two fields of one column name are
// an error that says what to do.
func TestExportColumns(t *testing.T) {
	type base struct{ ID, Version int64 }
	type Ref struct{ OwnerID int64 }
	type Row struct {
		base
		Version string // hides base.Version
		Ref     Ref
	}
	type Owner struct{ ID int64 }
	s := memrel.NewSchema()
	rows := memrel.NewTable(s, "rows", func(r *Row) *int64 { return &r.ID })
	owners := memrel.NewTable(s, "owners", func(o *Owner) *int64 { return &o.ID })
	memrel.ForeignKey(rows, "owner", func(r *Row) *int64 { return &r.Ref.OwnerID }, owners)
	if _, err := memrel.Open(s); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := memrel.WriteSQL(&b, s, memrel.SQLite); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"id" INTEGER PRIMARY KEY AUTOINCREMENT`, `"version" TEXT NOT NULL`, `FOREIGN KEY ("owner_id") REFERENCES "owners"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %s in\n%s", want, b.String())
		}
	}
	if strings.Count(b.String(), `"version"`) != 1 {
		t.Errorf("base.Version is hidden by Row.Version:\n%s", b.String())
	}

	type Twin struct {
		ID       int64
		Key      struct{ TenantID int64 }
		TenantID int64
	}
	s = memrel.NewSchema()
	memrel.NewTable(s, "twins", func(t *Twin) *int64 { return &t.ID })
	twins := s
	if _, err := memrel.Open(twins); err != nil {
		t.Fatal(err)
	}
	// Key is not flattened (no key or relation names it): one tenant_id.
	if err := memrel.WriteSQL(&b, twins, memrel.SQLite); err != nil {
		t.Errorf("twins: %v", err)
	}
	err := memrel.WriteSQL(&b, twins, memrel.SQLite, memrel.ColumnNames(func(table, field string) string { return "same" }))
	if !errors.Is(err, memrel.ErrInvalid) || !strings.Contains(err.Error(), "ColumnNames") {
		t.Errorf("two fields named one column: %v", err)
	}
}
