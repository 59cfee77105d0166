package memrel_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

var updateExport = flag.Bool("update-export", false, "rewrite testdata/export")

// The DDL and the diagram of a schema with composite keys, a composite
// foreign key, a reference to a unique key, a nullable composite unique
// index and a deferred relation, against files checked by hand (and run on
// SQLite and PostgreSQL by conformance/'s TestExportedSchemaRuns).
func TestExport(t *testing.T) {
	ts := newTenantSchema(t, []memrel.Rule{memrel.OnDelete(memrel.Cascade), memrel.Deferred()}, []memrel.Rule{memrel.OnUpdate(memrel.Cascade), memrel.OnDelete(memrel.SetNull)})
	s := ts.db.Schema()
	for name, write := range map[string]func(*bytes.Buffer) error{
		"tenants.postgres.sql": func(b *bytes.Buffer) error { return memrel.WriteSQL(b, s, memrel.PostgreSQL) },
		"tenants.sqlite.sql":   func(b *bytes.Buffer) error { return memrel.WriteSQL(b, s, memrel.SQLite) },
		"tenants.mmd":          func(b *bytes.Buffer) error { return memrel.WriteMermaid(b, s) },
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
	want := `ALTER TABLE "b" ADD CONSTRAINT "b_a" FOREIGN KEY ("a") REFERENCES "a" ("id") ON DELETE NO ACTION ON UPDATE NO ACTION;`
	if !bytes.HasSuffix(out.Bytes(), []byte(want+"\n")) || bytes.Count(out.Bytes(), []byte("ALTER TABLE")) != 1 {
		t.Errorf("no ALTER TABLE for the cycle:\n%s", out.String())
	}
}
