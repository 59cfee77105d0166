package conformance

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
	"github.com/memrel/memrel/internal/blogdb"
)

// A database on each dialect for round trips: SQLite in memory, and a
// fresh schema of the PostgreSQL at MEMREL_PG_DSN. Each is empty, with
// foreign keys enforced.
func databases(t *testing.T) map[memrel.Dialect]*sql.Conn {
	t.Helper()
	ctx := context.Background()
	lite, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	lc, err := lite.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lc.Close() })
	if _, err := lc.ExecContext(ctx, "PRAGMA foreign_keys=ON"); err != nil {
		t.Fatal(err)
	}
	out := map[memrel.Dialect]*sql.Conn{memrel.SQLite: lc}
	if !havePostgres() {
		t.Log(noPostgres)
		return out
	}
	pc, err := pgPool(t).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("trip_%d_%d", os.Getpid(), pg.n.Add(1))
	if _, err := pc.ExecContext(ctx, fmt.Sprintf("CREATE SCHEMA %s; SET search_path TO %s", schema, schema)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = pc.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE; RESET search_path")
		pc.Close()
	})
	out[memrel.PostgreSQL] = pc
	return out
}

// roundTrip exports db's schema and rows to conn, reads them back into a
// new store of schema (made by open), and compares every row.
func roundTrip(t *testing.T, conn *sql.Conn, d memrel.Dialect, db *memrel.DB, open func() (*memrel.DB, error)) {
	t.Helper()
	ctx := context.Background()
	var script bytes.Buffer
	if err := memrel.WriteSQL(&script, db.Schema(), d); err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(tx *memrel.Tx) error { return memrel.WriteRows(&script, tx, d) }); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, script.String()); err != nil {
		t.Fatalf("%s: %v\n%s", d, err, head(script.String()))
	}
	if diffs, err := memrel.CompareSQL(ctx, conn, db.Schema(), d); err != nil || len(diffs) > 0 {
		t.Errorf("%s: CompareSQL of the exported schema: %v %v", d, diffs, err)
	}
	back, err := open()
	if err != nil {
		t.Fatal(err)
	}
	err = back.Update(func(tx *memrel.Tx) error { return memrel.ReadRows(ctx, conn, tx) })
	if err != nil {
		t.Fatalf("%s: ReadRows: %v", d, err)
	}
	if diff := cmp.Diff(allRows(t, db), allRows(t, back)); diff != "" {
		t.Errorf("%s: rows differ after the round trip (-exported +read back):\n%s", d, diff)
	}
	if err := back.Verify(); err != nil {
		t.Errorf("%s: Verify: %v", d, err)
	}
}

func head(s string) string {
	if len(s) > 4000 {
		return s[:4000] + "..."
	}
	return s
}

func allRows(t *testing.T, db *memrel.DB) map[string][]any {
	t.Helper()
	out := map[string][]any{}
	err := db.View(func(tx *memrel.Tx) error {
		for _, td := range db.Schema().Tables() {
			out[td.Name] = []any{}
			for r := range td.Rows(tx) {
				out[td.Name] = append(out[td.Name], r)
			}
		}
		return tx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The demo's blog, exported to SQLite and PostgreSQL and read back.
func TestRoundTripDemo(t *testing.T) {
	for d, conn := range databases(t) {
		t.Run(d.String(), func(t *testing.T) {
			b, err := blogdb.Open()
			if err != nil {
				t.Fatal(err)
			}
			var ds blogdb.Dataset
			if err := json.Unmarshal(blogdb.JSON, &ds); err != nil {
				t.Fatal(err)
			}
			if err := b.Load(&ds); err != nil {
				t.Fatal(err)
			}
			// A user added and deleted: memrel's sequence is above every
			// key, and the database's must be too.
			err = b.DB.Update(func(tx *memrel.Tx) error {
				u, err := b.Users.Insert(tx, blogdb.User{Name: "Gone", Email: "gone@example.com"})
				if err != nil {
					return err
				}
				return b.Users.Delete(tx, u.ID)
			})
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, conn, d, b.DB, func() (*memrel.DB, error) {
				b, err := blogdb.Open()
				if err != nil {
					return nil, err
				}
				return b.DB, nil
			})
			// The next user gets the same new key in memrel and in the
			// database, not the deleted one's.
			var next blogdb.User
			_ = b.DB.Update(func(tx *memrel.Tx) error {
				next, err = b.Users.Insert(tx, blogdb.User{Name: "New", Email: "new@example.com"})
				return errors.New("roll back")
			})
			var dbNext int64
			q := `INSERT INTO users (name, email) VALUES ('New', 'new@example.com') RETURNING id`
			if err := conn.QueryRowContext(context.Background(), q).Scan(&dbNext); err != nil {
				t.Fatal(err)
			}
			if next.ID != dbNext || next.ID != int64(len(ds.Users))+2 {
				t.Errorf("next user: memrel %d, %s %d; want both %d, past the deleted one", next.ID, d, dbNext, len(ds.Users)+2)
			}
		})
	}
}

// Random stores of the differential schema (composite keys, NULLs, a
// self-reference, a reference to a unique e-mail, deferred relations),
// drawn by TestRandom's generator, exported and read back.
func TestRoundTripRandom(t *testing.T) {
	_, rng := seeded(t)
	for i := range 20 {
		c := randomCase(rng)
		c.cfg = config{} // every relation NO ACTION: the rows are what counts
		mem, err := newMem(t, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		rows := 0
		for _, tx := range append([]txn{randomFill(rng)}, c.txs...) {
			if err := mem.begin(false); err != nil {
				t.Fatal(err)
			}
			for _, o := range tx.Ops {
				mem.do(o)
			}
			mem.commit()
		}
		for _, r := range allRows(t, mem.db) {
			rows += len(r)
		}
		for d, conn := range databases(t) {
			t.Run(fmt.Sprintf("%d/%s", i, d), func(t *testing.T) {
				roundTrip(t, conn, d, mem.db, func() (*memrel.DB, error) {
					e, err := newMem(t, c.cfg)
					if err != nil {
						return nil, err
					}
					return e.db, nil
				})
			})
		}
		mem.close()
	}
}

// Every field type the export maps, with NULLs and awkward values.
type Kinds struct {
	ID      int64
	Small   int8
	Count   uint32
	Big     uint64
	Flag    bool
	Ratio   float64
	Single  float32
	Name    string
	At      time.Time
	Blob    []byte
	UUID    [16]byte
	Maybe   memrel.Null[string]
	When    memrel.Null[time.Time]
	Ptr     *int64
	Labels  []string
	Attrs   map[string]int
	Address struct{ City, Zip string }
}

func TestRoundTripTypes(t *testing.T) {
	open := func() (*memrel.DB, error) {
		s := memrel.NewSchema()
		memrel.NewTable(s, "kinds", func(k *Kinds) *int64 { return &k.ID })
		return memrel.Open(s)
	}
	db, err := open()
	if err != nil {
		t.Fatal(err)
	}
	seven := int64(7)
	at := time.Date(2026, 12, 1, 10, 30, 0, 123456000, time.FixedZone("", 3600))
	err = db.Update(func(tx *memrel.Tx) error {
		for _, td := range tx.Schema().Tables() {
			for _, k := range []Kinds{
				{ID: 1, Small: -8, Count: 4e9, Big: 1 << 62, Flag: true, Ratio: -0.1, Single: 1.5, Name: "O'Brien \"quoted\" ünïcode\n",
					At: at, Blob: []byte{0, 1, 0xff, '\''}, UUID: [16]byte{1, 2, 3, 15: 0xff}, Maybe: memrel.NullFrom("x"),
					When: memrel.NullFrom(at.UTC()), Ptr: &seven, Labels: []string{"a", "b"}, Attrs: map[string]int{"k": 1}},
				{ID: 2, At: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), Address: struct{ City, Zip string }{"Köln", "50667"}},
			} {
				if _, err := td.InsertWithKey(tx, k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for d, conn := range databases(t) {
		t.Run(d.String(), func(t *testing.T) { roundTrip(t, conn, d, db, open) })
	}
}

// What a dialect cannot hold is refused by WriteRows, naming the row.
func TestWriteRowsRefuses(t *testing.T) {
	type Row struct {
		ID   int64
		Text string
		N    uint64
		F    float64
	}
	s := memrel.NewSchema()
	rows := memrel.NewTable(s, "rows", func(r *Row) *int64 { return &r.ID })
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		row     Row
		d       memrel.Dialect
		message string
	}{
		{Row{ID: 1, Text: "a\x00b"}, memrel.PostgreSQL, "rows 1: column text"},
		{Row{ID: 2, Text: "\xff"}, memrel.PostgreSQL, "not valid PostgreSQL text"},
		{Row{ID: 3, N: 1 << 63}, memrel.SQLite, "does not fit a BIGINT"},
		{Row{ID: 4, F: math.NaN()}, memrel.SQLite, "NaN has no SQLite value"},
	} {
		err := db.Update(func(tx *memrel.Tx) error {
			if _, err := rows.InsertWithKey(tx, c.row); err != nil {
				return err
			}
			err := memrel.WriteRows(&bytes.Buffer{}, tx, c.d)
			if err == nil || !errors.Is(err, memrel.ErrInvalid) || !strings.Contains(err.Error(), c.message) {
				t.Errorf("%+v in %s: %v, want an ErrInvalid with %q", c.row, c.d, err, c.message)
			}
			return errors.New("roll back")
		})
		if err == nil {
			t.Fatal("no rollback")
		}
	}
}

// ReadRows' errors name where they arose, once prefixed, and unwrap.
func TestReadRowsErrors(t *testing.T) {
	type Note struct {
		ID   int64
		Body *string
		Flag bool
	}
	open := func() *memrel.DB {
		s := memrel.NewSchema()
		memrel.NewTable(s, "notes", func(n *Note) *int64 { return &n.ID })
		db, err := memrel.Open(s)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	ctx := context.Background()
	read := func(ddl string, db *memrel.DB) error {
		conn := databases(t)[memrel.SQLite]
		if _, err := conn.ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
		return db.Update(func(tx *memrel.Tx) error { return memrel.ReadRows(ctx, conn, tx) })
	}
	// A column the table lacks: SQLite would read "body" as a string.
	err := read(`CREATE TABLE notes (id INTEGER PRIMARY KEY, flag INTEGER NOT NULL); INSERT INTO notes VALUES (1, 0)`, open())
	if err == nil || !strings.HasPrefix(err.Error(), "memrel: ReadRows: table notes: ") || !strings.Contains(err.Error(), "body") {
		t.Errorf("a missing column: %v", err)
	}
	// A value of the wrong type, shown.
	err = read(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, flag TEXT); INSERT INTO notes VALUES (1, NULL, 'yes')`, open())
	if want := `memrel: ReadRows: table notes, row 1: column flag: cannot store "yes" (string) in a field of type bool`; err == nil || err.Error() != want {
		t.Errorf("a wrong type: %v, want %s", err, want)
	}
	// A key the store holds already: ErrUnique, one "memrel:" prefix.
	db := open()
	if err := db.Update(func(tx *memrel.Tx) error {
		_, err := db.Schema().Tables()[0].InsertWithKey(tx, Note{ID: 1})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = read(`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, flag INTEGER NOT NULL); INSERT INTO notes VALUES (1, 'x', 1)`, db)
	if !errors.Is(err, memrel.ErrUnique) || strings.Count(err.Error(), "memrel:") != 1 || !strings.HasPrefix(err.Error(), "memrel: ReadRows: table notes, row 1: ") {
		t.Errorf("a taken key: %v", err)
	}
	// A read-only transaction.
	conn := databases(t)[memrel.SQLite]
	err = open().View(func(tx *memrel.Tx) error { return memrel.ReadRows(ctx, conn, tx) })
	if err == nil || !strings.HasPrefix(err.Error(), "memrel: ReadRows: ") || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("in View: %v", err)
	}
}
