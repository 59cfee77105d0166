package memreltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
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

// fxRow is one fixture row on its way in.
type fxRow struct {
	tableName string
	table     memrel.TableDesc
	label     string
	val       reflect.Value // *T, the row as it will be inserted
	refs      []ref
	where     string // file, or "Go fixture"
	line      int
	state     int8 // 0 new, 1 inserting (on the DFS path), 2 inserted
	stored    any  // the row as stored
	key       string
	fixups    []ref           // references left for after the cycle they close
	broken    map[string]bool // relations whose reference is reported already
}

type loader struct {
	tx       *memrel.Tx
	tables   map[string]memrel.TableDesc
	rows     []*fxRow
	labels   map[string]map[string]*fxRow
	failed   map[string]bool // "table label" of rows that did not parse: reported already
	problems []Problem
}

func (l *loader) problem(p Problem) { l.problems = append(l.problems, p) }

func (l *loader) rowProblem(r *fxRow, relation string, err error) {
	l.problem(Problem{File: r.where, Line: r.line, Table: r.tableName, Label: r.label, Key: r.key, Relation: relation, Err: err})
}

func (l *loader) add(r *fxRow) {
	d, ok := l.tables[r.tableName]
	if !ok {
		l.rowProblem(r, "", fmt.Errorf("no table %q in the store's schema", r.tableName))
		return
	}
	r.table = d
	if r.val.Kind() != reflect.Pointer || r.val.Elem().Type() != d.Row {
		l.rowProblem(r, "", fmt.Errorf("a row of type %s, not %s", r.val.Type(), d.Row))
		return
	}
	if r.label != "" {
		m := l.labels[r.tableName]
		if m == nil {
			m = map[string]*fxRow{}
			l.labels[r.tableName] = m
		}
		if prev, dup := m[r.label]; dup {
			l.rowProblem(r, "", fmt.Errorf("label used twice (first at %s)", position(prev)))
		} else {
			m[r.label] = r
		}
	}
	l.rows = append(l.rows, r)
}

func position(r *fxRow) string {
	if r.line > 0 {
		return fmt.Sprintf("%s:%d", r.where, r.line)
	}
	return r.where
}

func (l *loader) relation(d memrel.TableDesc, name string) (memrel.RelationDesc, bool) {
	for _, rd := range d.Relations {
		if rd.Name == name {
			return rd, true
		}
	}
	return memrel.RelationDesc{}, false
}

// load inserts every row, parents before the children that reference them
// by label (a depth-first walk; a reference that closes a cycle is set by
// an update at the end), then checks the deferred foreign keys.
func (l *loader) load() (*Labels, error) {
	sp, err := l.tx.Savepoint()
	if err != nil {
		return nil, err
	}
	if err := l.tx.DeferConstraints(); err != nil {
		return nil, err
	}
	// Rows that parsed go in even if others did not, so that one run
	// reports every problem.
	for _, r := range l.rows {
		l.insert(r)
	}
	for _, r := range l.rows {
		l.fixup(r)
	}
	l.dangling()
	sort.SliceStable(l.problems, func(i, j int) bool {
		a, b := l.problems[i], l.problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	if len(l.problems) > 0 {
		if err := sp.Rollback(); err != nil {
			return nil, err
		}
		return nil, &FixtureError{Problems: l.problems}
	}
	if err := sp.Release(); err != nil {
		return nil, err
	}
	labels := &Labels{keys: map[string]map[string]any{}}
	for table, m := range l.labels {
		labels.keys[table] = map[string]any{}
		for label, r := range m {
			labels.keys[table][label], _ = r.table.PrimaryKey(r.stored)
		}
	}
	return labels, nil
}

func (l *loader) insert(r *fxRow) {
	if r.state != 0 {
		return
	}
	r.state = 1
	for _, f := range r.refs {
		rd, parent, ok := l.target(r, f)
		if !ok {
			continue
		}
		switch parent.state {
		case 1: // a cycle: set it once the parent is in
			r.fixups = append(r.fixups, f)
			continue
		case 0:
			l.insert(parent)
		}
		if parent.stored == nil {
			continue // refused: reported already
		}
		if err := setRef(r.val.Elem(), rd, reflect.ValueOf(parent.stored)); err != nil {
			l.rowProblem(r, rd.QName(), err)
		}
	}
	r.state = 2
	var stored any
	var err error
	if autoKeyZero(r.table, r.val) {
		stored, err = r.table.Insert(l.tx, r.val.Interface())
	} else {
		stored, err = r.table.InsertWithKey(l.tx, r.val.Interface())
	}
	if err != nil {
		l.rowProblem(r, constraintOf(err), err)
		return
	}
	r.stored = stored
	r.key, _ = r.table.KeyOf(stored)
}

// target resolves reference f of row r to its relation and parent row.
func (l *loader) target(r *fxRow, f ref) (memrel.RelationDesc, *fxRow, bool) {
	rd, ok := l.relation(r.table, f.rel)
	if !ok {
		l.rowProblem(r, "", fmt.Errorf("no relation %s.%s", r.tableName, f.rel))
		return rd, nil, false
	}
	parent := l.labels[rd.Parent][f.label]
	if parent == nil {
		if !l.failed[rd.Parent+" "+f.label] { // else that row's own problem says it
			l.rowProblem(r, rd.QName(), fmt.Errorf("no %s row is labeled @%s", rd.Parent, f.label))
		}
		if r.broken == nil {
			r.broken = map[string]bool{}
		}
		r.broken[rd.QName()] = true
		return rd, nil, false
	}
	return rd, parent, true
}

// fixup sets the references of r that closed a cycle, now that every row
// is in.
func (l *loader) fixup(r *fxRow) {
	if len(r.fixups) == 0 || r.stored == nil {
		return
	}
	v := reflect.New(r.table.Row)
	v.Elem().Set(reflect.ValueOf(r.stored))
	for _, f := range r.fixups {
		rd, parent, ok := l.target(r, f)
		if !ok || parent.stored == nil {
			continue
		}
		if err := setRef(v.Elem(), rd, reflect.ValueOf(parent.stored)); err != nil {
			l.rowProblem(r, rd.QName(), err)
			return
		}
	}
	if err := r.table.Update(l.tx, v.Interface()); err != nil {
		l.rowProblem(r, constraintOf(err), err)
		return
	}
	r.stored = v.Elem().Interface()
}

// dangling reports every foreign key that names no row, each with the
// fixture row that holds it.
func (l *loader) dangling() {
	err := l.tx.Verify()
	if err == nil {
		return
	}
	var ie *memrel.IntegrityError
	if !errors.As(err, &ie) {
		l.problem(Problem{Err: err})
		return
	}
	at := map[string]*fxRow{}
	for _, r := range l.rows {
		if r.stored != nil {
			at[r.tableName+" "+r.key] = r
		}
	}
	for _, v := range ie.Violations {
		r := at[v.Table+" "+v.Key]
		if r != nil && r.broken[v.Constraint] {
			continue // its reference named no row: reported already
		}
		if r == nil {
			l.problem(Problem{Table: v.Table, Key: v.Key, Relation: v.Constraint, Err: v})
			continue
		}
		err := error(v)
		if errors.Is(v, memrel.ErrForeignKey) && v.Parent != "" {
			err = fmt.Errorf("%w: %s does not exist", memrel.ErrForeignKey, v.Parent)
		}
		l.rowProblem(r, v.Constraint, err)
	}
}

func constraintOf(err error) string {
	var ce *memrel.ConstraintError
	if errors.As(err, &ce) {
		return ce.Constraint
	}
	return ""
}

// fieldByPath returns the field of struct value v at a path of TableDesc's
// ("ID", "Key.TenantID").
func fieldByPath(v reflect.Value, p string) reflect.Value {
	for _, name := range strings.Split(p, ".") {
		v = v.FieldByName(name)
	}
	return v
}

// autoKeyZero reports whether row v (a pointer) of a table whose key is
// assigned from a sequence has the key 0, for Insert to assign.
func autoKeyZero(d memrel.TableDesc, v reflect.Value) bool {
	return d.AutoKey && len(d.Key) == 1 && fieldByPath(v.Elem(), d.Key[0]).IsZero()
}

// setRef sets child's foreign key through rd to parent's referenced key:
// each column from the parent field it references, through JSON so that
// a Null column takes a plain value.
func setRef(child reflect.Value, rd memrel.RelationDesc, parent reflect.Value) error {
	for i, f := range rd.Fields {
		src := fieldByPath(parent, rd.References[i])
		dst := fieldByPath(child, f)
		if !src.IsValid() || !dst.IsValid() || !dst.CanSet() {
			return fmt.Errorf("cannot set %s from %s", f, rd.References[i])
		}
		if src.Type() == dst.Type() {
			dst.Set(src)
			continue
		}
		b, err := json.Marshal(src.Interface())
		if err == nil {
			err = json.Unmarshal(b, dst.Addr().Interface())
		}
		if err != nil {
			return fmt.Errorf("cannot set %s from %s: %v", f, rd.References[i], err)
		}
	}
	return nil
}

// parseFile reads one file of fixtures; lines says whether offsets in
// data are the file's (JSON) or not (YAML, re-encoded).
func (l *loader) parseFile(name string, data []byte, lines bool) {
	table := strings.TrimSuffix(path.Base(name), path.Ext(name))
	line := func(off int64) int {
		if !lines {
			return 0
		}
		for int(off) < len(data) && strings.ContainsRune(" \t\r\n,:[", rune(data[off])) {
			off++
		}
		return 1 + bytes.Count(data[:off], []byte("\n"))
	}
	fail := func(off int64, err error) {
		l.problem(Problem{File: name, Line: line(off), Err: err})
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, ok := l.tables[table]; ok {
		l.parseTable(dec, name, table, line, fail)
		return
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		fail(dec.InputOffset(), fmt.Errorf("want an object of tables (or a file named after a table: %s)", tableNames(l.tables)))
		return
	}
	for dec.More() {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			fail(off, err)
			return
		}
		t, _ := tok.(string)
		if _, ok := l.tables[t]; !ok {
			fail(off, fmt.Errorf("no table %q in the store's schema (%s)", t, tableNames(l.tables)))
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				fail(dec.InputOffset(), err)
				return
			}
			continue
		}
		if !l.parseTable(dec, name, t, line, fail) {
			return
		}
	}
}

func tableNames(m map[string]memrel.TableDesc) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return "tables " + strings.Join(names, ", ")
}

// parseTable reads one table's rows: an array of objects, or an object of
// labeled objects. It reports false if the file cannot be read further.
func (l *loader) parseTable(dec *json.Decoder, file, table string, line func(int64) int, fail func(int64, error)) bool {
	off := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		fail(off, err)
		return false
	}
	labeled := tok == json.Delim('{')
	if !labeled && tok != json.Delim('[') {
		fail(off, fmt.Errorf("table %s: want an array of rows or an object of labeled rows", table))
		return false
	}
	for dec.More() {
		label := ""
		off := dec.InputOffset()
		if labeled {
			tok, err := dec.Token()
			if err != nil {
				fail(off, err)
				return false
			}
			label, _ = tok.(string)
			off = dec.InputOffset()
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			fail(off, err)
			return false
		}
		l.parseRow(file, line(off), table, label, raw)
	}
	if _, err := dec.Token(); err != nil {
		fail(dec.InputOffset(), err)
		return false
	}
	return true
}

// parseRow decodes one row object into the table's row type, taking out
// its label and its references.
func (l *loader) parseRow(file string, line int, table, label string, raw json.RawMessage) {
	d := l.tables[table]
	r := &fxRow{tableName: table, label: label, where: file, line: line}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		l.rowProblem(r, "", fmt.Errorf("a row must be an object: %v", err))
		return
	}
	if lb, ok := fields["_label"]; ok {
		delete(fields, "_label")
		if err := json.Unmarshal(lb, &r.label); err != nil || labeledTwice(label, r.label) {
			l.rowProblem(r, "", errors.New(`"_label" must be a string, and the row's only label`))
			return
		}
	}
	for k, v := range fields {
		var s string
		if json.Unmarshal(v, &s) != nil || !strings.HasPrefix(s, "@") {
			continue
		}
		if strings.HasPrefix(s, "@@") {
			fields[k], _ = json.Marshal(s[1:])
			continue
		}
		rd, ok := l.relation(d, k)
		if !ok {
			rd, ok = relationOfField(d, k)
		}
		if !ok {
			continue // a string that happens to begin with @
		}
		r.refs = append(r.refs, ref{rel: rd.Name, label: s[1:]})
		delete(fields, k)
	}
	// In the relations' declared order, so that the keys a load assigns
	// do not depend on the order of a Go map.
	order := map[string]int{}
	for i, rd := range d.Relations {
		order[rd.Name] = i
	}
	sort.SliceStable(r.refs, func(i, j int) bool { return order[r.refs[i].rel] < order[r.refs[j].rel] })
	clean, _ := json.Marshal(fields)
	v := reflect.New(d.Row)
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		names := make([]string, len(d.Relations))
		for i, rd := range d.Relations {
			names[i] = rd.Name
		}
		l.rowProblem(r, "", fmt.Errorf("%v (the fields of %s: %s; its relations: %s)", err, d.Row, fieldNames(d.Row), strings.Join(names, ", ")))
		if r.label != "" {
			l.failed[table+" "+r.label] = true
		}
		return
	}
	r.val = v
	l.add(r)
}

func labeledTwice(outer, inner string) bool { return outer != "" && inner != "" }

// relationOfField finds the one-column relation of d whose column is the
// JSON field key.
func relationOfField(d memrel.TableDesc, key string) (memrel.RelationDesc, bool) {
	for _, rd := range d.Relations {
		if len(rd.Fields) == 1 && strings.EqualFold(jsonName(d.Row, rd.Fields[0]), key) {
			return rd, true
		}
	}
	return memrel.RelationDesc{}, false
}

// jsonName is the name encoding/json gives the field at path p of t, at
// the top level of the row's object ("" if it is nested, not promoted).
func jsonName(t reflect.Type, p string) string {
	parts := strings.Split(p, ".")
	for i, name := range parts {
		f, ok := t.FieldByName(name)
		if !ok {
			return ""
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if i == len(parts)-1 {
			if tag != "" {
				return tag
			}
			return f.Name
		}
		if !f.Anonymous || tag != "" {
			return "" // a nested object, not promoted
		}
		t = f.Type
	}
	return ""
}

func fieldNames(t reflect.Type) string {
	var names []string
	for _, f := range reflect.VisibleFields(t) {
		if f.IsExported() && !f.Anonymous {
			names = append(names, f.Name)
		}
	}
	return strings.Join(names, ", ")
}
