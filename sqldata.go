package memrel

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// rowsPerInsert is the rows of one INSERT statement of WriteRows: enough
// to cut the statements' overhead, few enough to keep each one small.
const rowsPerInsert = 500

// WriteRows writes the rows of tx's store as a SQL script for dialect d
// that loads them into the tables WriteSQL creates, with the same column
// names (pass the same ColumnNames). The script is one transaction that
// defers every foreign key check to its COMMIT (SET CONSTRAINTS ALL
// DEFERRED in PostgreSQL, PRAGMA defer_foreign_keys in SQLite), so that
// rows load whatever their references, cycles and self-references
// included; tables come parents first, rows in key order, 500 to an
// INSERT. The script then sets each table's sequence to memrel's
// (Table.Sequence): PostgreSQL's identity by setval, SQLite's
// AUTOINCREMENT in sqlite_sequence, so that the database assigns the next
// keys as memrel would, never one of a row deleted before the export.
//
// Rows are written as they are read, through a buffer, never held: the
// script of a million rows costs the memory of one. A value that a
// dialect cannot hold is an error naming its table, row and column: a
// uint64 above the largest BIGINT; a string with NUL or invalid UTF-8 in
// PostgreSQL (SQLite takes it, through a BLOB cast); a float NaN in
// SQLite; a time outside years 1 to 9999 in PostgreSQL. PostgreSQL's
// TIMESTAMPTZ keeps microseconds, in UTC; SQLite's TEXT keeps every digit
// and the offset.
//
// SQLite enforces foreign keys only on a connection with PRAGMA
// foreign_keys=ON. A script that fails leaves its transaction open on the
// connection that ran it: roll it back (ROLLBACK) before reusing it.
func WriteRows(w io.Writer, tx *Tx, d Dialect, opts ...SQLOption) error {
	if d != PostgreSQL && d != SQLite {
		return invalid("WriteRows: unknown dialect %v", d)
	}
	if tx == nil || tx.db == nil {
		return invalid("WriteRows: nil transaction")
	}
	o := sqlOptions{column: SnakeCase}
	for _, opt := range opts {
		opt(&o)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("BEGIN;\n")
	if d == PostgreSQL {
		// The literals are written for standard strings (a backslash is a
		// backslash), whatever the server's default.
		bw.WriteString("SET LOCAL standard_conforming_strings = on;\n")
		bw.WriteString("SET CONSTRAINTS ALL DEFERRED;\n")
	} else {
		bw.WriteString("PRAGMA defer_foreign_keys = ON;\n")
	}
	var buf []byte
	var sequences []string
	for _, t := range dependencyOrder(tx.Schema().Tables()) {
		if t.Row == nil {
			return invalid("WriteRows: table %s has no row type", t.Name)
		}
		cols, err := columnsOf(t, d, o)
		if err != nil {
			return err
		}
		lits := make([]literal, len(cols))
		names := make([]string, len(cols))
		for i, c := range cols {
			lits[i], names[i] = literalOf(c.gotype, d), quote(c.name)
		}
		head := fmt.Sprintf("INSERT INTO %s (%s) VALUES\n", quote(t.Name), strings.Join(names, ", "))
		n := 0
		for row := range t.Rows(tx) {
			if n%rowsPerInsert == 0 {
				if n > 0 {
					bw.WriteString(";\n")
				}
				bw.WriteString(head)
			} else {
				bw.WriteString(",\n")
			}
			n++
			v := reflect.ValueOf(row)
			buf = append(buf[:0], '(')
			for i, c := range cols {
				if i > 0 {
					buf = append(buf, ", "...)
				}
				var err error
				if buf, err = lits[i](buf, v.FieldByIndex(c.index)); err != nil {
					key, _ := t.KeyOf(row)
					return invalid("WriteRows: %s %s: column %s: %v", t.Name, key, c.name, err)
				}
			}
			buf = append(buf, ')')
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
		if err := tx.Err(); err != nil {
			return err
		}
		if n > 0 {
			bw.WriteString(";\n")
		}
		if t.AutoKey && len(t.Key) == 1 {
			seq, err := t.sequence(tx)
			if err != nil {
				return err
			}
			name := cols[0].name
			for _, c := range cols {
				if c.path == t.Key[0] {
					name = c.name
				}
			}
			sequences = append(sequences, sequenceSQL(d, t.Name, name, seq))
		}
	}
	for _, s := range sequences {
		bw.WriteString(s)
	}
	bw.WriteString("COMMIT;\n")
	return bw.Flush()
}

// sequenceSQL sets a database's sequence of table's key column to memrel's
// seq, the highest key it has given, so that the database goes on where
// memrel was: PostgreSQL's identity by setval, SQLite's AUTOINCREMENT by
// its sqlite_sequence row.
func sequenceSQL(d Dialect, table, column string, seq int64) string {
	t, _ := appendString(nil, quote(table), d)
	if d == PostgreSQL {
		c, _ := appendString(nil, column, d)
		return fmt.Sprintf("SELECT setval(pg_get_serial_sequence(%s, %s), %d, false);\n", t, c, seq+1)
	}
	n, _ := appendString(nil, table, d)
	return fmt.Sprintf("INSERT INTO sqlite_sequence (name, seq) SELECT %s, 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s);\n"+
		"UPDATE sqlite_sequence SET seq = %d WHERE name = %s AND seq < %d;\n", n, n, seq, n, seq)
}

// A Querier runs queries: *sql.DB, *sql.Conn and *sql.Tx are Queriers. A
// *sql.DB may run each query on another pooled connection: where a
// connection's settings matter (PostgreSQL's search_path, an in-memory
// SQLite), pass the *sql.Conn that holds them.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ReadRows reads every table of tx's schema from db, a database of the
// tables WriteSQL declares (the same ColumnNames), and inserts the rows
// into tx with their keys, parents first. It defers tx's foreign key
// checks to its commit (Tx.DeferConstraints), so that references load in
// any order: a dangling one fails Commit with an *IntegrityError that
// lists them all. A refused row (a unique key taken) stops the read with
// the *ConstraintError; tx then holds the rows read before it, so abort
// it.
//
// Values convert from what the drivers return: integers from int64 (or
// their text), bools from bool or SQLite's 0 and 1 (another integer is an
// error), times from time.Time
// or SQLite's text, UUIDs from 16 bytes or their text, JSON columns into
// the field's type. Each table's sequence rises to the largest key read,
// as InsertWithKey raises it; the database's own sequence (past keys of
// rows deleted there) is not read: raise it with Table.RaiseSequence.
// A NULL reaches only a Null or pointer field; elsewhere
// it is an error naming the table, row and column, as is a column the
// table lacks. An empty []byte reads as nil: SQL has one empty value where
// Go has two.
func ReadRows(ctx context.Context, db Querier, tx *Tx, opts ...SQLOption) error {
	if tx == nil || tx.db == nil {
		return invalid("ReadRows: nil transaction")
	}
	o := sqlOptions{column: SnakeCase}
	for _, opt := range opts {
		opt(&o)
	}
	if err := tx.DeferConstraints(); err != nil {
		return readError("", 0, "", err)
	}
	for _, t := range dependencyOrder(tx.Schema().Tables()) {
		if t.Row == nil {
			return invalid("ReadRows: table %s has no row type", t.Name)
		}
		cols, err := columnsOf(t, PostgreSQL, o)
		if err != nil {
			return err
		}
		if err := readTable(ctx, db, tx, t, cols); err != nil {
			return err
		}
	}
	return nil
}

func readTable(ctx context.Context, db Querier, tx *Tx, t TableDesc, cols []column) error {
	names := make([]string, len(cols))
	scans := make([]scanner, len(cols))
	for i, c := range cols {
		// Qualified, so that a column the table lacks is an error: SQLite
		// reads an unknown "name" alone as a string.
		names[i], scans[i] = quote(t.Name)+"."+quote(c.name), scannerOf(c.gotype)
	}
	rs, err := db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s", strings.Join(names, ", "), quote(t.Name)))
	if err != nil {
		return readError(t.Name, 0, "", err)
	}
	defer rs.Close()
	vals := make([]any, len(cols))
	dst := make([]any, len(cols))
	for i := range vals {
		dst[i] = &vals[i]
	}
	for n := 1; rs.Next(); n++ {
		if err := rs.Scan(dst...); err != nil {
			return readError(t.Name, n, "", err)
		}
		row := reflect.New(t.Row).Elem()
		for i, c := range cols {
			if err := scans[i](row.FieldByIndex(c.index), vals[i]); err != nil {
				return readError(t.Name, n, c.name, err)
			}
		}
		if _, err := t.InsertWithKey(tx, row.Interface()); err != nil {
			return readError(t.Name, n, "", err)
		}
	}
	if err := rs.Err(); err != nil {
		return readError(t.Name, 0, "", err)
	}
	return nil
}

// readError is err of ReadRows, at a table, row and column where known;
// it unwraps to err.
func readError(table string, row int, column string, err error) error {
	msg := "memrel: ReadRows"
	if table != "" {
		msg += ": table " + table
	}
	if row > 0 {
		msg += fmt.Sprintf(", row %d", row)
	}
	if column != "" {
		msg += ": column " + column
	}
	return &prefixed{msg: msg + ": " + strings.TrimPrefix(err.Error(), "memrel: "), err: err}
}

// prefixed is an error with a message of its own that unwraps to err.
type prefixed struct {
	msg string
	err error
}

func (e *prefixed) Error() string { return e.msg }
func (e *prefixed) Unwrap() error { return e.err }
