package memrel

import (
	"context"
	"database/sql"
	"slices"
	"strings"
)

// introspectSQLite reads a SQLite schema through its pragmas; deferral,
// which no pragma reports, is read from each table's CREATE TABLE text.
func introspectSQLite(ctx context.Context, db Querier) (map[string]*sqlTable, error) {
	out := map[string]*sqlTable{}
	ddl := map[string]string{}
	err := queryRows(ctx, db, `SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`, func(scan func(...any) error) error {
		var name string
		var text sql.NullString
		if err := scan(&name, &text); err != nil {
			return err
		}
		out[name] = &sqlTable{columns: map[string]sqlColumn{}, uniques: map[string]bool{}}
		ddl[name] = text.String
		return nil
	})
	if err != nil {
		return nil, err
	}
	raw := map[string][]*fkRow{}
	for name, st := range out {
		var keyTypes []string
		pk := map[int]string{}
		err := queryRows(ctx, db, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, func(scan func(...any) error) error {
			var c, typ string
			var notNull bool
			var key int
			if err := scan(&c, &typ, &notNull, &key); err != nil {
				return err
			}
			st.columns[c] = sqlColumn{typ: typ, notNull: notNull}
			st.order = append(st.order, c)
			if key > 0 {
				pk[key] = c
				keyTypes = append(keyTypes, typ)
			}
			return nil
		}, name)
		if err != nil {
			return nil, err
		}
		for i := 1; i <= len(pk); i++ {
			st.key = append(st.key, pk[i])
		}
		// An INTEGER PRIMARY KEY is the rowid: never NULL, whatever
		// table_info says.
		if len(st.key) == 1 && strings.EqualFold(keyTypes[0], "INTEGER") {
			c := st.columns[st.key[0]]
			c.notNull = true
			st.columns[st.key[0]] = c
		}
		var indexes []string
		err = queryRows(ctx, db, `SELECT name FROM pragma_index_list(?) WHERE "unique" AND origin <> 'pk' AND NOT partial`, func(scan func(...any) error) error {
			var ix string
			if err := scan(&ix); err != nil {
				return err
			}
			indexes = append(indexes, ix)
			return nil
		}, name)
		if err != nil {
			return nil, err
		}
		for _, ix := range indexes {
			var cols []string
			plain := true
			err := queryRows(ctx, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, func(scan func(...any) error) error {
				var c sql.NullString
				if err := scan(&c); err != nil {
					return err
				}
				plain = plain && c.Valid
				cols = append(cols, c.String)
				return nil
			}, ix)
			if err != nil {
				return nil, err
			}
			if plain {
				st.uniques[uniqueName(cols)] = true
			} else {
				st.expressions = append(st.expressions, ix)
			}
		}
		var rows []*fkRow
		byID := map[int]*fkRow{}
		err = queryRows(ctx, db, `SELECT id, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, func(scan func(...any) error) error {
			var id int
			var parent, from, upd, del string
			var to sql.NullString
			if err := scan(&id, &parent, &from, &to, &upd, &del); err != nil {
				return err
			}
			r := byID[id]
			if r == nil {
				r = &fkRow{parent: parent, onDelete: del, onUpdate: upd}
				byID[id] = r
				rows = append(rows, r)
			}
			r.from = append(r.from, from)
			r.to = append(r.to, to.String) // "" for the parent's primary key
			return nil
		}, name)
		if err != nil {
			return nil, err
		}
		st.autoIncrement = slices.ContainsFunc(sqlTokens(ddl[name]), func(t string) bool { return strings.EqualFold(t, "AUTOINCREMENT") })
		raw[name] = rows
	}
	// A reference to the parent's primary key names no columns: resolve
	// it, in declaration order, before the columns are sorted.
	byLower := map[string]*sqlTable{} // SQLite's names are the same in any case
	for name, st := range out {
		byLower[strings.ToLower(name)] = st
	}
	for name, rows := range raw {
		deferred := deferredKeys(ddl[name])
		for _, r := range rows {
			if p := byLower[strings.ToLower(r.parent)]; p != nil && r.to[0] == "" {
				r.to = append([]string(nil), p.key...)
			}
			fk := newFK(r.from, r.parent, r.to, actionOf(r.onDelete), actionOf(r.onUpdate), false, false)
			fk.deferred = deferred[strings.ToLower(fk.match())]
			fk.deferrable = true // SQLite defers any foreign key (PRAGMA defer_foreign_keys)
			out[name].fks = append(out[name].fks, fk)
		}
	}
	return out, nil
}

// fkRow is a foreign key as SQLite's pragma lists it.
type fkRow struct {
	parent             string
	from, to           []string
	onDelete, onUpdate string
}

// deferredKeys reads a CREATE TABLE statement and returns its foreign keys
// declared DEFERRABLE INITIALLY DEFERRED, by their match() lowercased:
// "a, b -> parent".
func deferredKeys(ddl string) map[string]bool {
	toks := sqlTokens(ddl)
	out := map[string]bool{}
	// The table's elements are the tokens between its outer parentheses,
	// split at commas of depth 1.
	start := -1
	for i, t := range toks {
		if t == "(" {
			start = i + 1
			break
		}
	}
	if start < 0 {
		return out
	}
	depth := 1
	var elem []string
	flush := func() {
		defer func() { elem = elem[:0] }()
		up := make([]string, len(elem))
		for i, t := range elem {
			up[i] = strings.ToUpper(t)
		}
		ref := indexOf(up, "REFERENCES")
		if ref < 0 || ref+1 >= len(elem) {
			return
		}
		var cols []string
		if f := indexOf(up, "FOREIGN"); f >= 0 && f < ref {
			open := indexOf(up[f:ref], "(") // FOREIGN KEY ( a, b ) REFERENCES
			for i := f + open + 1; open >= 0 && i < ref && elem[i] != ")"; i++ {
				if elem[i] != "," {
					cols = append(cols, unquoteIdent(elem[i]))
				}
			}
		} else if strings.EqualFold(elem[0], "CONSTRAINT") {
			return
		} else {
			cols = []string{unquoteIdent(elem[0])}
		}
		deferred := false
		for i := ref; i+2 < len(up); i++ {
			if up[i] == "DEFERRABLE" && up[i+1] == "INITIALLY" && up[i+2] == "DEFERRED" && up[i-1] != "NOT" {
				deferred = true
			}
		}
		if deferred {
			fk := newFK(cols, unquoteIdent(elem[ref+1]), nil, NoAction, NoAction, false, false)
			out[strings.ToLower(fk.match())] = true
		}
	}
	for _, t := range toks[start:] {
		switch t {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				flush()
				return out
			}
		case ",":
			if depth == 1 {
				flush()
				continue
			}
		}
		elem = append(elem, t)
	}
	return out
}

func indexOf(s []string, x string) int {
	for i, t := range s {
		if t == x {
			return i
		}
	}
	return -1
}

func unquoteIdent(t string) string {
	if len(t) >= 2 {
		switch t[0] {
		case '"', '`':
			return strings.ReplaceAll(t[1:len(t)-1], string(t[0])+string(t[0]), string(t[0]))
		case '[':
			return t[1 : len(t)-1]
		}
	}
	return t
}

// sqlTokens splits SQL text into identifiers, keywords, quoted names,
// string literals and single punctuation, dropping comments.
func sqlTokens(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case c == '"' || c == '`' || c == '\'' || c == '[':
			closing := c
			if c == '[' {
				closing = ']'
			}
			j := i + 1
			for j < len(s) {
				if s[j] == closing {
					if closing != ']' && j+1 < len(s) && s[j+1] == closing {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(s) {
				return append(out, s[i:])
			}
			out = append(out, s[i:j+1])
			i = j + 1
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		default:
			out = append(out, s[i:i+1])
			i++
		}
	}
	return out
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
