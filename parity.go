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
	deferrable         bool // memrel's always are: any transaction may defer its checks
	deferred           bool
	matchFull          bool
}

func (fk sqlFK) match() string { return strings.Join(fk.cols, ", ") + " -> " + fk.parent }

func (fk sqlFK) String() string {
	s := fmt.Sprintf("(%s) -> %s (%s) ON DELETE %s ON UPDATE %s", strings.Join(fk.cols, ", "), fk.parent, strings.Join(fk.refs, ", "), fk.onDelete, fk.onUpdate)
	if fk.matchFull {
		s += " MATCH FULL"
	}
	switch {
	case !fk.deferrable:
		s += " NOT DEFERRABLE"
	case fk.deferred:
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
	if d == SQLite { // SQLite's names are the same in any case
		want, have = lowered(want), lowered(have)
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

// lowered is tables with every name in lower case.
func lowered(tables map[string]*sqlTable) map[string]*sqlTable {
	low := func(ss []string) []string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = strings.ToLower(s)
		}
		return out
	}
	out := map[string]*sqlTable{}
	for name, t := range tables {
		l := &sqlTable{columns: map[string]sqlColumn{}, order: low(t.order), key: low(t.key), autoIncrement: t.autoIncrement,
			uniques: map[string]bool{}, expressions: t.expressions}
		for c, col := range t.columns {
			l.columns[strings.ToLower(c)] = col
		}
		for u := range t.uniques {
			l.uniques[strings.ToLower(u)] = true
		}
		for _, fk := range t.fks {
			f := newFK(low(fk.cols), strings.ToLower(fk.parent), low(fk.refs), fk.onDelete, fk.onUpdate, fk.deferred, fk.matchFull)
			f.deferrable = fk.deferrable
			l.fks = append(l.fks, f)
		}
		out[strings.ToLower(name)] = l
	}
	return out
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
	want, have = strings.ToLower(want), strings.ToLower(have)
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
		cols, err := columnsOf(t, d, o)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			typ := c.typ
			if d == PostgreSQL { // as the catalog names it
				typ = strings.ToLower(typ)
				if typ == "timestamptz" {
					typ = "timestamp with time zone"
				}
				if t.AutoKey && len(t.Key) == 1 && c.path == t.Key[0] {
					typ += " GENERATED BY DEFAULT AS IDENTITY"
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
	fk := sqlFK{parent: parent, onDelete: onDelete, onUpdate: onUpdate, deferrable: true, deferred: deferred, matchFull: matchFull}
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
	// The tables of the current schema: plain and partitioned ones, not
	// partitions or views. Names are listed joined by a unit separator,
	// which no identifier holds.
	const tables = `c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = current_schema()`
	const names = `array_to_string(ARRAY(SELECT a.attname FROM unnest(%s) WITH ORDINALITY k(n, i)
    JOIN pg_attribute a ON a.attrelid = %s AND a.attnum = k.n %s ORDER BY k.i), chr(31))`
	split := func(s string) []string { return strings.Split(s, "\x1f") }
	// An identity is part of the type: GENERATED ALWAYS refuses the keys
	// memrel writes, and a key without one (or a serial's nextval) is not
	// assigned by the database as memrel's sequence assigns it.
	const cols = `SELECT c.relname, a.attname,
  format_type(a.atttypid, a.atttypmod) || CASE
    WHEN a.attidentity = 'a' THEN ' GENERATED ALWAYS AS IDENTITY'
    WHEN a.attidentity = 'd' OR pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%' THEN ' GENERATED BY DEFAULT AS IDENTITY'
    ELSE '' END,
  a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE ` + tables + ` AND a.attnum > 0 AND NOT a.attisdropped
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
	// Unique indexes, the primary key's among them, by their key columns
	// (INCLUDE ones aside). One memrel cannot declare, on expressions,
	// with a predicate or NULLS NOT DISTINCT (PostgreSQL 15; read through
	// to_jsonb so that older servers answer too), is listed by its
	// definition.
	uniques := `SELECT c.relname, ix.indisprimary, ` + fmt.Sprintf(names, "ix.indkey", "ix.indrelid", "WHERE k.i <= ix.indnkeyatts") + `,
  ix.indexprs IS NOT NULL OR ix.indpred IS NOT NULL OR COALESCE((to_jsonb(ix)->>'indnullsnotdistinct')::boolean, false),
  pg_get_indexdef(ix.indexrelid)
FROM pg_index ix JOIN pg_class c ON c.oid = ix.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE ` + tables + ` AND ix.indisunique`
	err = queryRows(ctx, db, uniques, func(scan func(...any) error) error {
		var t, list, def string
		var primary, other bool
		if err := scan(&t, &primary, &list, &other, &def); err != nil {
			return err
		}
		st := table(t)
		switch {
		case other:
			st.expressions = append(st.expressions, def)
		case primary:
			st.key = split(list)
		default:
			st.uniques[uniqueName(split(list))] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Foreign keys; a parent in another schema is named with it.
	fks := `SELECT c.relname, CASE WHEN pn.nspname = current_schema() THEN p.relname ELSE pn.nspname || '.' || p.relname END,
  ` + fmt.Sprintf(names, "f.conkey", "f.conrelid", "") + `,
  ` + fmt.Sprintf(names, "f.confkey", "f.confrelid", "") + `,
  f.confdeltype::text, f.confupdtype::text, f.condeferrable, f.condeferred, f.confmatchtype::text
FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class p ON p.oid = f.confrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE ` + tables + ` AND f.contype = 'f'`
	err = queryRows(ctx, db, fks, func(scan func(...any) error) error {
		var t, parent, from, to, del, upd, match string
		var deferrable, deferred bool
		if err := scan(&t, &parent, &from, &to, &del, &upd, &deferrable, &deferred, &match); err != nil {
			return err
		}
		fk := newFK(split(from), parent, split(to), pgAction(del), pgAction(upd), deferred, match == "f")
		fk.deferrable = deferrable
		st := table(t)
		st.fks = append(st.fks, fk)
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
