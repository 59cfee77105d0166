package memreltest

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

// update is the test binary's -update flag: memreltest defines it, unless
// a package initialized before it has.
var update = func() func() bool {
	if f := flag.Lookup("update"); f != nil {
		return func() bool {
			g, ok := f.Value.(flag.Getter)
			if !ok {
				return false
			}
			b, _ := g.Get().(bool)
			return b
		}
	}
	b := flag.Bool("update", false, "rewrite golden files (memreltest.Golden)")
	return func() bool { return *b }
}()

// Updating reports whether the test binary was given -update, for golden
// files of a test's own: memreltest defines the flag, so a test package
// that imports it must not define another flag named update.
func Updating() bool { return update() }

// Dump writes every row of db as JSON: tables in schema order, each
// table's rows in key order, each row on a line of its own as
// encoding/json writes it. Two stores with the same rows dump the same
// bytes.
func Dump(db *memrel.DB) ([]byte, error) {
	var b bytes.Buffer
	err := db.View(func(tx *memrel.Tx) error {
		b.WriteString("{")
		for i, d := range db.Schema().Tables() {
			if i > 0 {
				b.WriteString(",")
			}
			name, _ := json.Marshal(d.Name)
			fmt.Fprintf(&b, "\n  %s: [", name)
			n := 0
			for r := range d.Rows(tx) {
				row, err := json.Marshal(r)
				if err != nil {
					return fmt.Errorf("table %s: %w", d.Name, err)
				}
				if n > 0 {
					b.WriteString(",")
				}
				b.WriteString("\n    ")
				b.Write(row)
				n++
			}
			if n > 0 {
				b.WriteString("\n  ")
			}
			b.WriteString("]")
		}
		b.WriteString("\n}\n")
		return tx.Err()
	})
	return b.Bytes(), err
}

// Golden compares db's Dump with the file at path and fails the test with
// a line diff if they differ, naming each table that differs with its key
// and foreign keys. With -update (go test -update) it writes the file
// instead.
func Golden(tb testing.TB, db *memrel.DB, path string) {
	tb.Helper()
	got, err := Dump(db)
	if err != nil {
		tb.Fatalf("memreltest.Golden: %v", err)
	}
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("memreltest.Golden: %v (run go test -update to write it)", err)
	}
	if bytes.Equal(want, got) {
		return
	}
	diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n"))
	tb.Errorf("memreltest.Golden: the store differs from %s (-want +got; go test -update rewrites it):\n%s%s", path, diff, tablesIn(db, want, got))
}

// tablesIn describes the tables whose rows differ between the dump in
// want and got.
func tablesIn(db *memrel.DB, want, got []byte) string {
	var w, g map[string][]json.RawMessage
	if json.Unmarshal(want, &w) != nil || json.Unmarshal(got, &g) != nil {
		return ""
	}
	var b strings.Builder
	for _, d := range db.Schema().Tables() {
		if !cmp.Equal(w[d.Name], g[d.Name], cmp.Transformer("", func(r json.RawMessage) string { return string(r) })) {
			fmt.Fprintf(&b, "\ntable %s", d)
		}
	}
	return b.String()
}
