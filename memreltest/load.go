package memreltest

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/memrel/memrel"
)

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
