package memreltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"sort"
	"strings"

	"github.com/memrel/memrel"
)

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
