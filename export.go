package memrel

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Dialect is a SQL dialect the schema exports to.
type Dialect uint8

const (
	PostgreSQL Dialect = iota + 1
	SQLite
)

func (d Dialect) String() string {
	switch d {
	case PostgreSQL:
		return "postgres"
	case SQLite:
		return "sqlite"
	}
	return fmt.Sprintf("Dialect(%d)", d)
}

// An SQLOption adjusts WriteSQL, WriteRows, ReadRows or CompareSQL.
type SQLOption func(*sqlOptions)

type sqlOptions struct {
	column func(table, field string) string
	ignore []string // tables CompareSQL does not report
}

// IgnoreTables makes CompareSQL leave out tables that only the database
// has, such as a migration tool's own ("schema_migrations").
func IgnoreTables(names ...string) SQLOption {
	return func(o *sqlOptions) { o.ignore = append(o.ignore, names...) }
}

// ColumnNames names the columns: name(table, field) for each field path of
// a row ("Email", "Key.TenantID"). The default is the snake_case of the
// field's own name ("Email" -> "email", "UserID" -> "user_id").
func ColumnNames(name func(table, field string) string) SQLOption {
	return func(o *sqlOptions) { o.column = name }
}

// SnakeCase is the default column name of a field path: its last part in
// snake_case, an initialism kept together ("UserID" -> "user_id",
// "HTTPServer" -> "http_server").
func SnakeCase(table, field string) string {
	if i := strings.LastIndex(field, "."); i >= 0 {
		field = field[i+1:]
	}
	r := []rune(field)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			lowerBefore := i > 0 && (unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]))
			upperRun := i > 0 && unicode.IsUpper(r[i-1]) && i+1 < len(r) && unicode.IsLower(r[i+1])
			if lowerBefore || upperRun {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// column is one column of an exported table.
type column struct {
	path    string // field path in the row
	index   []int  // the field's index sequence in the row
	gotype  reflect.Type
	name    string
	typ     string
	notNull bool
}

// WriteSQL writes the schema as SQL DDL for dialect d: a CREATE TABLE per
// table in dependency order (parents first), with its columns (types
// derived from the Go field types; a Null or pointer field is nullable,
// every other column NOT NULL), its primary key (an integer key a sequence assigns is
// an identity column in PostgreSQL and INTEGER PRIMARY KEY AUTOINCREMENT in
// SQLite), its unique indexes as UNIQUE constraints (NULLs distinct, as
// memrel's), and its foreign keys with their actions, MATCH FULL and
// DEFERRABLE INITIALLY DEFERRED; then the other indexes. In PostgreSQL a
// foreign key that closes a cycle is added by ALTER TABLE after its parent
// exists; SQLite resolves references when rows are written, so its foreign
// keys stay in their tables.
//
// Fields of struct, slice, map and array types (other than time.Time,
// [16]byte and []byte) are JSON: JSONB in PostgreSQL, TEXT in SQLite.
// Columns are named by ColumnNames (snake_case by default). A relation's
// Default is its columns' DEFAULT. In PostgreSQL a foreign key that is not
// Deferred is DEFERRABLE INITIALLY IMMEDIATE: checked at the end of each
// statement, as one that is not deferrable, but open to SET CONSTRAINTS
// ALL DEFERRED, which is Tx.DeferConstraints, and which the data script of
// WriteRows uses.
//
// s must have been opened (Open), without errors: what is exported is what
// Open accepted.
func WriteSQL(w io.Writer, s *Schema, d Dialect, opts ...SQLOption) error {
	if d != PostgreSQL && d != SQLite {
		return invalid("WriteSQL: unknown dialect %v", d)
	}
	o := sqlOptions{column: SnakeCase}
	for _, opt := range opts {
		opt(&o)
	}
	if err := s.opened("WriteSQL"); err != nil {
		return err
	}
	tables := s.Tables()
	if len(tables) == 0 {
		return invalid("WriteSQL: the schema has no tables")
	}
	cols := map[string][]column{}
	byPath := map[string]map[string]string{} // table -> field path -> column name
	for _, t := range tables {
		if t.Row == nil {
			return invalid("WriteSQL: table %s has no row type", t.Name)
		}
		cs, err := columnsOf(t, d, o)
		if err != nil {
			return err
		}
		cols[t.Name] = cs
		byPath[t.Name] = map[string]string{}
		for _, c := range cs {
			byPath[t.Name][c.path] = c.name
		}
	}
	names := func(table string, paths []string) string {
		out := make([]string, len(paths))
		for i, p := range paths {
			out[i] = quote(byPath[table][p])
		}
		return strings.Join(out, ", ")
	}
	defaults := map[string]map[string]string{} // table -> field path -> DEFAULT literal
	for _, t := range tables {
		for _, r := range t.Relations {
			lits, err := defaultLiterals(r, d)
			if err != nil {
				return invalid("WriteSQL: relation %s: Default: %v", r.QName(), err)
			}
			for i, l := range lits {
				if defaults[t.Name] == nil {
					defaults[t.Name] = map[string]string{}
				}
				defaults[t.Name][r.Fields[i]] = l
			}
		}
	}
	bw := bufio.NewWriter(w)
	created := map[string]bool{}
	var later []string // ALTER TABLE ... ADD CONSTRAINT, for cycles
	for _, t := range dependencyOrder(tables) {
		fmt.Fprintf(bw, "CREATE TABLE %s (\n", quote(t.Name))
		var lines []string
		auto := t.AutoKey && len(t.Key) == 1
		for _, c := range cols[t.Name] {
			line := "  " + quote(c.name) + " " + c.typ
			switch {
			case auto && c.path == t.Key[0] && d == PostgreSQL:
				line += " GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
			case auto && c.path == t.Key[0]:
				line = "  " + quote(c.name) + " INTEGER PRIMARY KEY AUTOINCREMENT"
			case c.notNull:
				line += " NOT NULL"
			}
			if l, ok := defaults[t.Name][c.path]; ok {
				line += " DEFAULT " + l
			}
			lines = append(lines, line)
		}
		if !auto {
			lines = append(lines, fmt.Sprintf("  PRIMARY KEY (%s)", names(t.Name, t.Key)))
		}
		for _, ix := range t.Indexes {
			if ix.Unique {
				lines = append(lines, fmt.Sprintf("  CONSTRAINT %s UNIQUE (%s)", quote(objectName(t.Name, ix.Name)), names(t.Name, ix.Fields)))
			}
		}
		for _, r := range t.Relations {
			if r.Unique {
				lines = append(lines, fmt.Sprintf("  CONSTRAINT %s UNIQUE (%s)", quote(objectName(t.Name, r.Name, "unique")), names(t.Name, r.Fields)))
			}
		}
		for _, r := range t.Relations {
			fk := fmt.Sprintf("CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s)", quote(objectName(t.Name, r.Name)), names(t.Name, r.Fields), quote(r.Parent), names(r.Parent, r.References))
			if r.MatchFull {
				fk += " MATCH FULL"
			}
			fk += fmt.Sprintf(" ON DELETE %s ON UPDATE %s", r.OnDelete, r.OnUpdate)
			switch {
			case r.Deferred:
				fk += " DEFERRABLE INITIALLY DEFERRED"
			case d == PostgreSQL:
				// Any memrel transaction may defer its checks
				// (Tx.DeferConstraints); SET CONSTRAINTS ALL DEFERRED
				// reaches only DEFERRABLE constraints.
				fk += " DEFERRABLE INITIALLY IMMEDIATE"
			}
			if d == PostgreSQL && !created[r.Parent] && r.Parent != t.Name {
				later = append(later, fmt.Sprintf("ALTER TABLE %s ADD %s;\n", quote(t.Name), fk))
				continue
			}
			lines = append(lines, "  "+fk)
		}
		fmt.Fprintf(bw, "%s\n);\n", strings.Join(lines, ",\n"))
		created[t.Name] = true
		for _, ix := range t.Indexes {
			if !ix.Unique {
				fmt.Fprintf(bw, "CREATE INDEX %s ON %s (%s);\n", quote(objectName(t.Name, ix.Name)), quote(t.Name), names(t.Name, ix.Fields))
			}
		}
		for _, r := range t.Relations {
			if !r.Unique && !isPrefix(r.Fields, t.Key) { // a prefix of the key is served by the key's index
				fmt.Fprintf(bw, "CREATE INDEX %s ON %s (%s);\n", quote(objectName(t.Name, r.Name, "index")), quote(t.Name), names(t.Name, r.Fields))
			}
		}
		bw.WriteString("\n")
	}
	for _, l := range later {
		bw.WriteString(l)
	}
	return bw.Flush()
}

// defaultLiterals are the DEFAULT literals of r's columns, in the order
// of r.Fields: none without a Default; a composite key's fields in order.
func defaultLiterals(r RelationDesc, d Dialect) ([]string, error) {
	if r.Default == nil {
		return nil, nil
	}
	v := reflect.ValueOf(r.Default)
	var parts []reflect.Value
	if len(r.Fields) == 1 {
		parts = []reflect.Value{v}
	} else {
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				parts = append(parts, v.Field(i))
			}
		}
		if len(parts) != len(r.Fields) {
			return nil, fmt.Errorf("%d fields for %d columns", len(parts), len(r.Fields))
		}
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		b, err := literalOf(p.Type(), d)(nil, p)
		if err != nil {
			return nil, err
		}
		if b[0] != '\'' && b[0] != '-' && (b[0] < '0' || b[0] > '9') && string(b) != "NULL" && string(b) != "TRUE" && string(b) != "FALSE" {
			b = append(append([]byte{'('}, b...), ')') // an expression: CAST(...), X'..'
		}
		out[i] = string(b)
	}
	return out, nil
}

// opened returns an error unless s was opened without errors: a schema
// is exported as Open accepts it, never one it refuses.
func (s *Schema) opened(what string) error {
	if s == nil {
		return invalid("%s: nil schema", what)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case !s.frozen:
		return invalid("%s: the schema is not open; Open it first, so that what is exported is what Open accepts", what)
	case len(s.errs) > 0:
		return fmt.Errorf("memrel: %s of a schema Open refused: %w", what, errors.Join(s.errs...))
	}
	return nil
}

func isPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// dependencyOrder orders tables parents first, keeping declaration order
// where no foreign key decides; in a cycle, the table reached last comes
// first, and its foreign key into the cycle is the one WriteSQL adds by
// ALTER TABLE.
func dependencyOrder(tables []TableDesc) []TableDesc {
	done := map[string]bool{}
	visiting := map[string]bool{}
	byName := map[string]TableDesc{}
	for _, t := range tables {
		byName[t.Name] = t
	}
	var out []TableDesc
	var visit func(t TableDesc)
	visit = func(t TableDesc) {
		if done[t.Name] || visiting[t.Name] {
			return
		}
		visiting[t.Name] = true
		for _, r := range t.Relations {
			if p, ok := byName[r.Parent]; ok && r.Parent != t.Name {
				visit(p)
			}
		}
		visiting[t.Name] = false
		done[t.Name] = true
		out = append(out, t)
	}
	for _, t := range tables {
		visit(t)
	}
	return out
}

// columnsOf lists t's columns: its exported fields, with embedded structs
// and the composite key's struct flattened into their fields.
func columnsOf(t TableDesc, d Dialect, o sqlOptions) ([]column, error) {
	// The struct fields to flatten: those on the path to a field that a
	// key, an index or a foreign key names ("Key" of "Key.TenantID",
	// "Ref" and "Ref.Owner" of "Ref.Owner.ID"), and embedded ones.
	flatten := map[string]bool{}
	paths := slices.Clone(t.Key)
	for _, ix := range t.Indexes {
		paths = append(paths, ix.Fields...)
	}
	for _, r := range t.Relations {
		paths = append(paths, r.Fields...)
	}
	for _, p := range paths {
		parts := strings.Split(p, ".")
		for i := 1; i < len(parts); i++ {
			flatten[strings.Join(parts[:i], ".")] = true
		}
	}
	type leaf struct {
		column
		depth    int  // embedded structs crossed
		promoted bool // reached through embedded structs only
	}
	var leaves []leaf
	var walk func(rt reflect.Type, prefix string, index []int, depth int, promoted bool)
	walk = func(rt reflect.Type, prefix string, index []int, depth int, promoted bool) {
		for i := range rt.NumField() {
			f := rt.Field(i)
			p := prefix + f.Name
			ix := append(index[:len(index):len(index)], i)
			structural := f.Type.Kind() == reflect.Struct && f.Type != timeType && !isNull(f.Type)
			switch {
			case structural && f.Anonymous: // its exported fields are the row's, even if it is not
				walk(f.Type, p+".", ix, depth+1, promoted)
				continue
			case !f.IsExported():
				continue
			case structural && flatten[p]:
				walk(f.Type, p+".", ix, depth+1, false)
				continue
			}
			typ, notNull := sqlType(f.Type, d)
			leaves = append(leaves, leaf{column{path: p, index: ix, gotype: f.Type, name: o.column(t.Name, p), typ: typ, notNull: notNull}, depth, promoted})
		}
	}
	walk(t.Row, "", nil, 0, true)
	// Go's promotion: of fields of one name reached through embedded
	// structs, the shallowest is the row's; a tie hides them all.
	shallowest := map[string]int{}
	count := map[[2]any]int{}
	for _, l := range leaves {
		if l.promoted {
			name := l.path[strings.LastIndex(l.path, ".")+1:]
			if d, ok := shallowest[name]; !ok || l.depth < d {
				shallowest[name] = l.depth
			}
			count[[2]any{name, l.depth}]++
		}
	}
	var out []column
	names := map[string]string{}
	for _, l := range leaves {
		if l.promoted {
			name := l.path[strings.LastIndex(l.path, ".")+1:]
			if l.depth != shallowest[name] || count[[2]any{name, l.depth}] > 1 {
				continue
			}
		}
		if other, ok := names[l.name]; ok {
			return nil, invalid("table %s: fields %s and %s are both column %q: name them apart with ColumnNames", t.Name, other, l.path, l.name)
		}
		names[l.name] = l.path
		out = append(out, l.column)
	}
	return out, nil
}

var bytesType = reflect.TypeFor[[]byte]()

func isNull(t reflect.Type) bool {
	if t.Kind() != reflect.Struct || t.NumField() != 2 {
		return false
	}
	v, ok1 := t.FieldByName("V")
	_, ok2 := t.FieldByName("Valid")
	return ok1 && ok2 && strings.HasPrefix(t.Name(), "Null[") && t.PkgPath() == reflect.TypeFor[Null[int]]().PkgPath() && v.Index[0] == 0
}

// sqlType is the column type of a Go type in d, and whether it is NOT NULL.
func sqlType(t reflect.Type, d Dialect) (string, bool) {
	if isNull(t) {
		typ, _ := sqlType(t.Field(0).Type, d)
		return typ, false
	}
	pg := d == PostgreSQL
	pick := func(p, s string) (string, bool) {
		if pg {
			return p, true
		}
		return s, true
	}
	switch {
	case t == timeType:
		return pick("TIMESTAMPTZ", "TEXT")
	case t == bytesType || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return pick("BYTEA", "BLOB")
	case t.Kind() == reflect.Array && t.Len() == 16 && t.Elem().Kind() == reflect.Uint8:
		return pick("UUID", "BLOB")
	}
	switch t.Kind() {
	case reflect.Bool:
		return pick("BOOLEAN", "INTEGER")
	case reflect.Int8, reflect.Int16, reflect.Uint8:
		return pick("SMALLINT", "INTEGER")
	case reflect.Int32, reflect.Uint16:
		return pick("INTEGER", "INTEGER")
	case reflect.Int, reflect.Int64, reflect.Uint32, reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return pick("BIGINT", "INTEGER")
	case reflect.Float32:
		return pick("REAL", "REAL")
	case reflect.Float64:
		return pick("DOUBLE PRECISION", "REAL")
	case reflect.String:
		return pick("TEXT", "TEXT")
	case reflect.Pointer:
		typ, _ := sqlType(t.Elem(), d)
		return typ, false
	}
	return pick("JSONB", "TEXT")
}

// maxIdent is PostgreSQL's longest identifier, in bytes (NAMEDATALEN - 1):
// a longer one is cut, and two names cut alike would collide.
const maxIdent = 63

// objectName names a constraint or an index of table: its parts joined by
// underscores, and if that is longer than maxIdent, its start and a hash
// of the whole, so that names stay distinct within the limit.
func objectName(table string, parts ...string) string {
	name := strings.Join(append([]string{table}, parts...), "_")
	if len(name) <= maxIdent {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	cut := maxIdent - 9
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return fmt.Sprintf("%s_%08x", name[:cut], h.Sum32())
}

// quote quotes an identifier for both dialects.
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// WriteMermaid writes the schema as a Mermaid ER diagram (erDiagram), for
// READMEs and design documents: each table with its columns (PK, FK and UK
// marked), and each relation as a line from parent to child with its
// cardinality (one-to-one for Unique, zero-or-one parent for a nullable
// foreign key) and its actions.
// Like WriteSQL, it needs a schema Open accepted.
func WriteMermaid(w io.Writer, s *Schema) error {
	if err := s.opened("WriteMermaid"); err != nil {
		return err
	}
	tables := s.Tables()
	if len(tables) == 0 {
		return invalid("WriteMermaid: the schema has no tables")
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("erDiagram\n")
	o := sqlOptions{column: SnakeCase}
	for _, t := range tables {
		if t.Row == nil {
			continue
		}
		role := map[string][]string{}
		for _, k := range t.Key {
			role[k] = append(role[k], "PK")
		}
		for _, r := range t.Relations {
			for _, f := range r.Fields {
				role[f] = append(role[f], "FK")
			}
		}
		for _, ix := range t.Indexes {
			if ix.Unique {
				for _, f := range ix.Fields {
					role[f] = append(role[f], "UK")
				}
			}
		}
		fmt.Fprintf(bw, "  %s {\n", t.Name)
		cols, err := columnsOf(t, PostgreSQL, o)
		if err != nil {
			return err
		}
		for _, c := range cols {
			typ := strings.ReplaceAll(strings.ToLower(c.typ), " ", "_")
			line := fmt.Sprintf("    %s %s", typ, c.name)
			if rs := dedupe(role[c.path]); len(rs) > 0 {
				line += " " + strings.Join(rs, ", ")
			}
			bw.WriteString(line + "\n")
		}
		bw.WriteString("  }\n")
	}
	for _, t := range tables {
		for _, r := range t.Relations {
			parent, child := "||", "o{"
			if r.Nullable {
				parent = "|o"
			}
			if r.Unique {
				child = "o|"
			}
			label := fmt.Sprintf("%s: on delete %s", r.Name, strings.ToLower(r.OnDelete.String()))
			if r.OnUpdate != NoAction {
				label += ", on update " + strings.ToLower(r.OnUpdate.String())
			}
			fmt.Fprintf(bw, "  %s %s--%s %s : %q\n", r.Parent, parent, child, t.Name, label)
		}
	}
	return bw.Flush()
}

func dedupe(s []string) []string {
	var out []string
	for _, x := range s {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}
