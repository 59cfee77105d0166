package memrel

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// A SchemaDifference is one way a database's schema differs from a memrel
// schema, as CompareSQL finds it.
type SchemaDifference struct {
	Table string
	// Object is what differs: "table", "column email", "primary key",
	// "unique (tenant_id, code)", "foreign key (user_id) -> users".
	Object string
	// Memrel and Database say what each side has there; "" is nothing.
	Memrel, Database string
}

func (d SchemaDifference) String() string {
	or := func(s string) string {
		if s == "" {
			return "none"
		}
		return s
	}
	if d.Object == "table" {
		return fmt.Sprintf("table %s: memrel %s, database %s", d.Table, or(d.Memrel), or(d.Database))
	}
	return fmt.Sprintf("%s: %s: memrel %s, database %s", d.Table, d.Object, or(d.Memrel), or(d.Database))
}

// sqlTable is a table as both sides of CompareSQL describe it.
type sqlTable struct {
	columns map[string]sqlColumn
	order   []string // column names in declaration order
	key     []string
	// autoIncrement (SQLite): keys are never reused, as memrel's
	// sequences; an INTEGER PRIMARY KEY without it reuses the largest.
	autoIncrement bool
	uniques       map[string]bool // column lists, sorted, joined by ", "
	// expressions are the database's unique indexes on expressions
	// (lower(email)), which memrel has no counterpart of.
	expressions []string
	fks         []sqlFK
}

type sqlColumn struct {
	typ     string
	notNull bool
	time    bool // memrel's side: a time.Time field
}

type sqlFK struct {
	cols, refs         []string // sorted by column, refs alongside
	parent             string
	onDelete, onUpdate Action
	deferred           bool
	matchFull          bool
}

func (fk sqlFK) match() string { return strings.Join(fk.cols, ", ") + " -> " + fk.parent }

func (fk sqlFK) String() string {
	s := fmt.Sprintf("(%s) -> %s (%s) ON DELETE %s ON UPDATE %s", strings.Join(fk.cols, ", "), fk.parent, strings.Join(fk.refs, ", "), fk.onDelete, fk.onUpdate)
	if fk.matchFull {
		s += " MATCH FULL"
	}
	if fk.deferred {
		s += " INITIALLY DEFERRED"
	}
	return s
}

// CompareSQL compares the schema of db, a live database of dialect d, with
// s, as WriteSQL would declare it (the same ColumnNames), and returns
// every difference, sorted by table: tables and columns missing on either
// side; column types (PostgreSQL's exactly, as its catalog names them:
// "text" and an unbounded "character varying" alike, a varchar(n) not, nor
// an identity GENERATED ALWAYS, which refuses explicit keys; SQLite's by
// affinity, NUMERIC holding integers and reals, DATE and TIME types times)
// and NULL or NOT NULL; the primary key, by its columns in any order;
// unique constraints and indexes, by their columns in any order; and
// foreign keys, matched by their columns and parent, whose referenced
// columns, actions, MATCH FULL (PostgreSQL) or initial deferral differ.
// Secondary indexes and column defaults are not compared. A test that
// fails on any difference keeps a memrel fake true to production:
//
//	diffs, err := memrel.CompareSQL(ctx, db, schema, memrel.PostgreSQL)
//
// s must have been opened (Open), as for WriteSQL. db needs only
// database/sql and its driver. In PostgreSQL the tables are
// those of the current schema: search_path is a connection's, so pass the
// *sql.Conn that set it, or set it in the DSN.
func CompareSQL(ctx context.Context, db Querier, s *Schema, d Dialect, opts ...SQLOption) ([]SchemaDifference, error) {
	if d != PostgreSQL && d != SQLite {
		return nil, invalid("CompareSQL: unknown dialect %v", d)
	}
	o := sqlOptions{column: SnakeCase}
	for _, opt := range opts {
		opt(&o)
	}
	if err := s.opened("CompareSQL"); err != nil {
		return nil, err
	}
	want, err := declared(s, d, o)
	if err != nil {
		return nil, err
	}
	var have map[string]*sqlTable
	if d == PostgreSQL {
		have, err = introspectPostgres(ctx, db)
	} else {
		have, err = introspectSQLite(ctx, db)
	}
	if err != nil {
		return nil, fmt.Errorf("memrel: CompareSQL: reading the catalog of a %s database (is it one?): %w", d, err)
	}
	var out []SchemaDifference
	add := func(table, object, m, db string) {
		out = append(out, SchemaDifference{Table: table, Object: object, Memrel: m, Database: db})
	}
	for name, w := range want {
		h, ok := have[name]
		if !ok {
			add(name, "table", "declared", "")
			continue
		}
		for _, c := range w.order {
			wc, hc := w.columns[c], h.columns[c]
			switch {
			case hc.typ == "":
				add(name, "column "+c, wc.String(), "")
			case !sameType(wc, hc.typ, d) || wc.notNull != hc.notNull:
				add(name, "column "+c, wc.String(), hc.String())
			}
		}
		for _, c := range h.order {
			if _, ok := w.columns[c]; !ok {
				add(name, "column "+c, "", h.columns[c].String())
			}
		}
		if uniqueName(w.key) != uniqueName(h.key) || w.autoIncrement != h.autoIncrement {
			add(name, "primary key", w.keyString(), h.keyString())
		}
		for u := range w.uniques {
			if !h.uniques[u] {
				add(name, "unique ("+u+")", "declared", "")
			}
		}
		for u := range h.uniques {
			if !w.uniques[u] {
				add(name, "unique ("+u+")", "", "declared")
			}
		}
		for _, e := range h.expressions {
			add(name, "unique index on expressions", "", e)
		}
		for _, wf := range w.fks {
			i := slices.IndexFunc(h.fks, func(f sqlFK) bool { return f.match() == wf.match() })
			if i < 0 {
				add(name, "foreign key "+wf.match(), wf.String(), "")
				continue
			}
			hf := h.fks[i]
			if d == SQLite {
				hf.matchFull = wf.matchFull // SQLite parses MATCH and ignores it
			}
			if hf.String() != wf.String() {
				add(name, "foreign key "+wf.match(), wf.String(), hf.String())
			}
		}
		for _, hf := range h.fks {
			if !slices.ContainsFunc(w.fks, func(f sqlFK) bool { return f.match() == hf.match() }) {
				add(name, "foreign key "+hf.match(), "", hf.String())
			}
		}
	}
	for name := range have {
		if _, ok := want[name]; !ok && !slices.Contains(o.ignore, name) {
			add(name, "table", "", "present")
		}
	}
	slices.SortFunc(out, func(a, b SchemaDifference) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Object, b.Object))
	})
	return out, nil
}

func (t *sqlTable) keyString() string {
	if len(t.key) == 0 {
		return ""
	}
	s := "(" + strings.Join(t.key, ", ") + ")"
	if t.autoIncrement {
		s += " AUTOINCREMENT"
	}
	return s
}

func (c sqlColumn) String() string {
	if c.notNull {
		return c.typ + " NOT NULL"
	}
	return c.typ
}

// sameType compares a column type memrel declares with the database's.
func sameType(c sqlColumn, have string, d Dialect) bool {
	want := c.typ
	if d == SQLite {
		w, h := affinity(want), affinity(have)
		upper := strings.ToUpper(have)
		dated := c.time && (strings.Contains(upper, "DATE") || strings.Contains(upper, "TIME"))
		return w == h || h == "NUMERIC" && (w == "INTEGER" || w == "REAL") || dated // BOOLEAN, DECIMAL, DATETIME
	}
	have = strings.ToLower(have)
	switch {
	case want == have:
		return true
	case want == "text":
		return have == "character varying"
	case want == "jsonb":
		return have == "json"
	}
	return false
}

// affinity is SQLite's type affinity of a declared type.
func affinity(t string) string {
	t = strings.ToUpper(t)
	switch {
	case strings.Contains(t, "INT"):
		return "INTEGER"
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return "TEXT"
	case t == "", strings.Contains(t, "BLOB"):
		return "BLOB"
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return "REAL"
	}
	return "NUMERIC"
}

// declared is s as WriteSQL declares it in d.
func declared(s *Schema, d Dialect, o sqlOptions) (map[string]*sqlTable, error) {
	tables := s.Tables()
	if len(tables) == 0 {
		return nil, invalid("CompareSQL: the schema has no tables")
	}
	out := map[string]*sqlTable{}
	byPath := map[string]map[string]string{}
	for _, t := range tables {
		if t.Row == nil {
			return nil, invalid("CompareSQL: table %s has no row type", t.Name)
		}
		st := &sqlTable{columns: map[string]sqlColumn{}, uniques: map[string]bool{}}
		byPath[t.Name] = map[string]string{}
		for _, c := range columnsOf(t, d, o) {
			typ := c.typ
			if d == PostgreSQL { // as the catalog names it
				typ = strings.ToLower(typ)
				if typ == "timestamptz" {
					typ = "timestamp with time zone"
				}
			}
			st.columns[c.name] = sqlColumn{typ: typ, notNull: c.notNull, time: isTimeType(c.gotype)}
			st.order = append(st.order, c.name)
			byPath[t.Name][c.path] = c.name
		}
		if t.AutoKey && len(t.Key) == 1 && d == SQLite {
			c := byPath[t.Name][t.Key[0]]
			st.columns[c] = sqlColumn{typ: "INTEGER", notNull: true}
			st.autoIncrement = true
		}
		out[t.Name] = st
	}
	names := func(table string, paths []string) []string {
		cs := make([]string, len(paths))
		for i, p := range paths {
			cs[i] = byPath[table][p]
		}
		return cs
	}
	for _, t := range tables {
		st := out[t.Name]
		st.key = names(t.Name, t.Key)
		for _, ix := range t.Indexes {
			if ix.Unique {
				st.uniques[uniqueName(names(t.Name, ix.Fields))] = true
			}
		}
		for _, r := range t.Relations {
			if r.Unique {
				st.uniques[uniqueName(names(t.Name, r.Fields))] = true
			}
			st.fks = append(st.fks, newFK(names(t.Name, r.Fields), r.Parent, names(r.Parent, r.References), r.OnDelete, r.OnUpdate, r.Deferred, r.MatchFull))
		}
	}
	return out, nil
}

func isTimeType(t reflect.Type) bool {
	switch {
	case isNull(t):
		return isTimeType(t.Field(0).Type)
	case t.Kind() == reflect.Pointer:
		return isTimeType(t.Elem())
	}
	return t == timeType
}

func uniqueName(cols []string) string {
	return strings.Join(slices.Sorted(slices.Values(cols)), ", ")
}

// newFK is a foreign key with its columns sorted, so that both sides
// match whatever order they list them in.
func newFK(cols []string, parent string, refs []string, onDelete, onUpdate Action, deferred, matchFull bool) sqlFK {
	idx := make([]int, len(cols))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(cols[a], cols[b]) })
	fk := sqlFK{parent: parent, onDelete: onDelete, onUpdate: onUpdate, deferred: deferred, matchFull: matchFull}
	for _, i := range idx {
		fk.cols = append(fk.cols, cols[i])
		if i < len(refs) {
			fk.refs = append(fk.refs, refs[i])
		}
	}
	return fk
}

func actionOf(s string) Action {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "RESTRICT", "R":
		return Restrict
	case "CASCADE", "C":
		return Cascade
	case "SET NULL", "N":
		return SetNull
	case "SET DEFAULT", "D":
		return SetDefault
	}
	return NoAction
}

// queryRows runs q and calls scan for each row.
func queryRows(ctx context.Context, db Querier, q string, scan func(scan func(...any) error) error, args ...any) error {
	rs, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs.Scan); err != nil {
			return err
		}
	}
	return rs.Err()
}

func introspectPostgres(ctx context.Context, db Querier) (map[string]*sqlTable, error) {
	out := map[string]*sqlTable{}
	table := func(name string) *sqlTable {
		if out[name] == nil {
			out[name] = &sqlTable{columns: map[string]sqlColumn{}, uniques: map[string]bool{}}
		}
		return out[name]
	}
	// An identity GENERATED ALWAYS refuses the explicit keys memrel
	// writes: it is part of the type, so that it differs.
	const cols = `SELECT c.relname, a.attname,
  format_type(a.atttypid, a.atttypmod) || CASE a.attidentity WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' ELSE '' END,
  a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.relname, a.attnum`
	err := queryRows(ctx, db, cols, func(scan func(...any) error) error {
		var t, c, typ string
		var notNull bool
		if err := scan(&t, &c, &typ, &notNull); err != nil {
			return err
		}
		st := table(t)
		st.columns[c] = sqlColumn{typ: typ, notNull: notNull}
		st.order = append(st.order, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Unique indexes, the primary key's among them, without predicates:
	// one on expressions is named by its definition.
	const uniques = `SELECT t.relname, ix.indisprimary,
  array_to_string(ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(n, i)
    JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n ORDER BY k.i), ','),
  ix.indexprs IS NOT NULL, pg_get_indexdef(ix.indexrelid)
FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND ix.indisunique AND ix.indpred IS NULL`
	err = queryRows(ctx, db, uniques, func(scan func(...any) error) error {
		var t, list, def string
		var primary, expr bool
		if err := scan(&t, &primary, &list, &expr, &def); err != nil {
			return err
		}
		st := table(t)
		if expr {
			st.expressions = append(st.expressions, def)
			return nil
		}
		if primary {
			st.key = strings.Split(list, ",")
		} else {
			st.uniques[uniqueName(strings.Split(list, ","))] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	const fks = `SELECT t.relname, p.relname,
  array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i), ','),
  array_to_string(ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
    JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i), ','),
  c.confdeltype::text, c.confupdtype::text, c.condeferred, c.confmatchtype::text
FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND c.contype = 'f'`
	err = queryRows(ctx, db, fks, func(scan func(...any) error) error {
		var t, parent, from, to, del, upd, match string
		var deferred bool
		if err := scan(&t, &parent, &from, &to, &del, &upd, &deferred, &match); err != nil {
			return err
		}
		st := table(t)
		st.fks = append(st.fks, newFK(strings.Split(from, ","), parent, strings.Split(to, ","), pgAction(del), pgAction(upd), deferred, match == "f"))
		return nil
	})
	return out, err
}

func pgAction(c string) Action {
	if c == "a" {
		return NoAction
	}
	return actionOf(c)
}
