package memreltest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/memrel/memrel"
)

// A Fixture is rows for Load: Go values (Row) or files (Files). Fixtures
// load in any order, whatever their foreign keys: rows reference each
// other by label, and the load defers its checks to its end, so that
// cycles load too.
type Fixture interface {
	rows(l *loader) // adds its rows to l, or problems
}

// Row is one row of table t for Load, labeled label ("" for none), whose
// foreign keys refs set to other fixture rows' keys:
//
//	memreltest.Row(users, "ann", User{Name: "Ann"}),
//	memreltest.Row(posts, "hello", Post{Title: "Hello"}, memreltest.Ref(author, "ann")),
//
// A row whose integer key is 0 gets the next key of the table's sequence,
// as Insert gives it; a row with a key keeps it (InsertWithKey).
func Row[T any, K comparable](t *memrel.Table[T, K], label string, row T, refs ...Reference[T]) Fixture {
	return goRow{table: t.Name(), label: label, row: &row, refs: refsOf(refs)}
}

// Rows is rows of table t for Load, without labels.
func Rows[T any, K comparable](t *memrel.Table[T, K], rows ...T) Fixture {
	var out fixtures
	for i := range rows {
		out = append(out, goRow{table: t.Name(), row: &rows[i]})
	}
	return out
}

// A Reference sets a foreign key of a fixture row of type C to the key of
// another fixture row, named by its label. Make one with Ref.
type Reference[C any] struct {
	rel   string // the relation's name
	label string
}

// Ref is the reference through rel to the parent row labeled label: the
// row's foreign key (every column of a composite one) is set to that
// row's key once it has one.
func Ref[C, P any, K comparable](rel *memrel.Relation[C, P, K], label string) Reference[C] {
	return Reference[C]{rel: rel.Name(), label: label}
}

func refsOf[C any](refs []Reference[C]) []ref {
	out := make([]ref, len(refs))
	for i, r := range refs {
		out[i] = ref{rel: r.rel, label: r.label}
	}
	return out
}

type ref struct{ rel, label string }

type goRow struct {
	table, label string
	row          any // *T
	refs         []ref
}

func (g goRow) rows(l *loader) {
	l.add(&fxRow{tableName: g.table, label: g.label, val: reflect.ValueOf(g.row), refs: g.refs, where: "Go fixture"})
}

type fixtures []Fixture

func (fs fixtures) rows(l *loader) {
	for _, f := range fs {
		f.rows(l)
	}
}

// Files is the JSON (or, with YAML, YAML) files of fsys that match the
// patterns (path.Match's), in name order. A file named after a table
// (testdata/users.json) holds that table's rows; any other holds an object
// whose keys are table names. A table's rows are an array of objects, or
// an object whose keys are labels:
//
//	{"users": {"ann": {"Name": "Ann"}},
//	 "posts": [{"Title": "Hello", "author": "@ann"},
//	           {"_label": "draft", "Title": "Draft", "UserID": "@ann"}]}
//
// An object's keys are its row type's fields, as encoding/json decodes
// them; a field it does not have is an error. A string "@label" given for
// a relation (by its name, or by its field for a one-column foreign key)
// is a reference to the row of the parent table with that label ("@@" at
// the start stands for a literal "@"): the foreign key gets that row's
// referenced key, its primary key or, for a foreign key to a unique index,
// the indexed value (an e-mail). A row of a table keyed by two foreign
// keys is written with both references: {"post": "@hello", "tag": "@go"}.
// Null fields are plain JSON: 2, or null.
func Files(fsys fs.FS, patterns ...string) Fixture {
	return files{fsys: fsys, patterns: patterns}
}

// YAML is Files for YAML files, read with unmarshal (yaml.Unmarshal of
// gopkg.in/yaml.v3 or of sigs.k8s.io/yaml), so that memrel depends on no
// YAML library: each file is decoded into an any and then read as JSON
// would be. A YAML decoder gives no positions, so problems name the row's
// table and label, not its line.
func YAML(unmarshal func([]byte, any) error, fsys fs.FS, patterns ...string) Fixture {
	return files{fsys: fsys, patterns: patterns, yaml: unmarshal}
}

type files struct {
	fsys     fs.FS
	patterns []string
	yaml     func([]byte, any) error
}

func (f files) rows(l *loader) {
	if f.fsys == nil {
		l.problem(Problem{Err: errors.New("Files: nil file system")})
		return
	}
	var names []string
	for _, p := range f.patterns {
		m, err := fs.Glob(f.fsys, p)
		if err != nil {
			l.problem(Problem{File: p, Err: err})
			continue
		}
		if len(m) == 0 {
			l.problem(Problem{File: p, Err: errors.New("no file matches")})
		}
		names = append(names, m...)
	}
	sort.Strings(names)
	for i, name := range names {
		if i > 0 && names[i-1] == name {
			continue
		}
		data, err := fs.ReadFile(f.fsys, name)
		if err != nil {
			l.problem(Problem{File: name, Err: err})
			continue
		}
		if f.yaml != nil {
			var v any
			if err := f.yaml(data, &v); err != nil {
				l.problem(Problem{File: name, Err: err})
				continue
			}
			if data, err = json.Marshal(jsonable(v)); err != nil {
				l.problem(Problem{File: name, Err: err})
				continue
			}
			l.parseFile(name, data, false)
			continue
		}
		l.parseFile(name, data, true)
	}
}

// jsonable turns what a YAML decoder returns (maps with keys of any type)
// into what encoding/json can write.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case map[string]any:
		for k, e := range v {
			v[k] = jsonable(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = jsonable(e)
		}
		return v
	}
	return v
}

// A Problem is one thing wrong with the fixtures: where (the file and line,
// or "Go fixture"), which row (table, label, key), which relation, and what.
type Problem struct {
	File     string
	Line     int // 0 if unknown
	Table    string
	Label    string
	Key      string // the row's key, once it has one
	Relation string
	Err      error
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Table != "" {
		b.WriteString(p.Table)
		if p.Label != "" {
			fmt.Fprintf(&b, " @%s", p.Label)
		}
		if p.Key != "" {
			fmt.Fprintf(&b, " (key %s)", p.Key)
		}
		b.WriteString(": ")
	}
	if p.Relation != "" {
		fmt.Fprintf(&b, "%s: ", p.Relation)
	}
	b.WriteString(strings.TrimPrefix(p.Err.Error(), "memrel: "))
	return b.String()
}

// FixtureError is every problem a load found, all at once: a load reports
// them all rather than stopping at the first. Each Problem's Err is
// memrel's error where memrel refused a row, for errors.Is.
type FixtureError struct{ Problems []Problem }

func (e *FixtureError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "memreltest: %d fixture problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.String())
	}
	return b.String()
}

func (e *FixtureError) Unwrap() []error {
	out := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Err
	}
	return out
}

// Labels are the keys the labeled fixture rows got, by table and label.
type Labels struct{ keys map[string]map[string]any }

// Key returns the key of the row of table t labeled label, and whether
// there is one.
func Key[T any, K comparable](l *Labels, t *memrel.Table[T, K], label string) (K, bool) {
	var zero K
	if l == nil {
		return zero, false
	}
	k, ok := l.keys[t.Name()][label].(K)
	return k, ok
}

// Load loads fixtures into db in one write transaction, and fails the
// test with every problem found, each with its file and line: a file that
// does not parse, a field the row type does not have, a label used twice
// or named by no row, a row memrel refuses (a unique value taken), and,
// when the load ends, every dangling foreign key, with its relation.
func Load(tb testing.TB, db *memrel.DB, fixtures ...Fixture) *Labels {
	tb.Helper()
	var labels *Labels
	var ferr *FixtureError
	err := db.Update(func(tx *memrel.Tx) error {
		var err error
		labels, err = LoadTx(tx, fixtures...)
		return err
	})
	switch {
	case errors.As(err, &ferr):
		tb.Fatal(ferr.Error())
	case err != nil:
		tb.Fatalf("memreltest.Load: %v", err)
	}
	return labels
}

// LoadTx is Load in a write transaction of the caller's (a Base's seed):
// it returns the problems as a *FixtureError instead of failing a test,
// having rolled tx back to where it was (a savepoint). It defers tx's
// constraints (DeferConstraints, which stays on) and checks them itself
// before it returns.
//
// Rows go in parents first: a row after the rows its references name, and
// otherwise in the order given (Go fixtures in argument order, files in
// name order and rows in file order, labeled objects included), so a
// generated key is the same run after run. A reference may set a nullable
// foreign key as well as a NOT NULL one.
func LoadTx(tx *memrel.Tx, fixtures ...Fixture) (*Labels, error) {
	l := &loader{tx: tx, tables: map[string]memrel.TableDesc{}, labels: map[string]map[string]*fxRow{}, failed: map[string]bool{}}
	if tx == nil {
		return nil, errors.New("memreltest: nil transaction")
	}
	if s := tx.Schema(); s != nil {
		for _, d := range s.Tables() {
			l.tables[d.Name] = d
		}
	}
	for _, f := range fixtures {
		if f != nil {
			f.rows(l)
		}
	}
	return l.load()
}
