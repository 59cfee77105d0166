package memrel

import (
	"errors"
	"fmt"
	"strings"
)

// These errors are returned by memrel. Test for them with errors.Is: most are
// wrapped in a *ConstraintError or an *IntegrityError that says where.
var (
	// ErrNotFound is returned when a row with the given key does not exist:
	// by Get, Update, Delete, Index.First, Relation.Child, by Parent when
	// the foreign key is NULL, and by a One load whose foreign key names no
	// row. It is wrapped in a *NotFoundError that says where.
	ErrNotFound = errors.New("memrel: not found")

	// ErrForeignKey is returned when a non-NULL foreign key names no parent
	// row: on insert or update of a child, when a parent with NO ACTION
	// children is deleted or re-keyed, and at commit for deferred relations.
	ErrForeignKey = errors.New("memrel: foreign key violation")

	// ErrRestrict is returned when a parent row that has children through a
	// RESTRICT relation is deleted or has its key changed. RESTRICT is
	// checked at once and cannot be deferred.
	ErrRestrict = errors.New("memrel: restrict violation")

	// ErrUnique is returned when an insert or update would give two rows the
	// same primary key or the same value in a unique index.
	ErrUnique = errors.New("memrel: unique violation")

	// ErrTxDone is returned when a transaction is used after Commit or
	// Abort, or after the function given to Update or View has returned.
	ErrTxDone = errors.New("memrel: transaction has already been committed or aborted")

	// ErrBusy is returned by BeginWrite and Update when the writer lock
	// stayed taken for longer than the store's WriteWait. The error names
	// where the transaction holding it began: most often a write
	// transaction begun while the same goroutine holds one, which could
	// never start.
	ErrBusy = errors.New("memrel: store is busy")

	// ErrReadOnly is returned when a read transaction is asked to write.
	ErrReadOnly = errors.New("memrel: write in a read-only transaction")

	// ErrSchema is returned by Open for an invalid schema (each error names
	// the table and field), and by an operation given a table or relation
	// that does not belong to the store's schema.
	ErrSchema = errors.New("memrel: schema error")

	// ErrInvalid is returned for a row or argument the store cannot accept:
	// a nil transaction, table or relation, an empty string primary key, a key too
	// long to index, or an exhausted auto-increment sequence.
	ErrInvalid = errors.New("memrel: invalid argument")

	// ErrLazyLoad is returned, or recorded for Tx.Err, by lazy navigation
	// in a strict transaction (Children, ListChildren, Child, Parent,
	// Descendants, Ancestors and Relation.Page; an Ordering's Children,
	// Backward and Page; Association.Rights and Lefts; a Through's List
	// and Page), and by reads of rows by key (Get, Has, Index.First) past
	// the StrictGets budget: the error names the relation or table and the
	// eager loader that would avoid the N+1 queries. Reads of a table or an
	// index as a sequence or a page (All, Table.Page, Index.List, Index.Page,
	// Index.From, PairIndex.Prefix) and counts (Count, Exists) are not lazy
	// loads: strict mode allows them, however many.
	ErrLazyLoad = errors.New("memrel: lazy load in strict mode")

	// ErrCorrupt is returned by Verify when an index disagrees with the rows
	// it indexes, or a stored row no longer matches the keys it was stored
	// under (a field of reference type changed in place).
	ErrCorrupt = errors.New("memrel: store corrupt")
)

// Op is the operation that a ConstraintError, an IntegrityError or a
// NotFoundError describes.
type Op string

// The operations.
const (
	OpInsert Op = "insert" // Insert, an Upsert that inserts, Link, Replace
	OpUpdate Op = "update" // Update, an Upsert that updates, UpdateKey
	OpDelete Op = "delete" // Delete, Unlink, Clear, Replace
	OpCommit Op = "commit" // the deferred checks of Commit
	OpVerify Op = "verify" // Verify
	OpGet    Op = "get"    // Get, Index.First, Relation.Child, Relation.Parent
	OpLoad   Op = "load"   // an eager load (Eager, EagerAll)
)

// NotFoundError is ErrNotFound with what was looked for. A failing test
// prints it as, for example:
//
//	memrel: get posts 7: not found
//	memrel: load users 9 (posts.author of posts 3): not found
type NotFoundError struct {
	Op    Op
	Table string // the table looked in
	Key   string // the key, or the indexed value, looked for, formatted; "NULL" for a NULL foreign key
	Via   string // the index or relation looked through, and for a load the row that names the key
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "memrel: %s %s %s", e.Op, e.Table, e.Key)
	if e.Via != "" {
		fmt.Fprintf(&b, " (%s)", e.Via)
	}
	b.WriteString(": not found")
	return b.String()
}

func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// notFound is a NotFoundError for the row of ti with key pk.
func notFound(op Op, ti *tableInfo, pk []byte, via string) error {
	return &NotFoundError{Op: op, Table: ti.name, Key: ti.front.formatKey(pk), Via: via}
}

// ConstraintError describes one rejected operation or one violation found at
// commit or by Verify. It wraps one of ErrForeignKey, ErrRestrict, ErrUnique
// or ErrCorrupt.
//
// A failing test prints it as, for example:
//
//	memrel: delete users 1: restrict violation: posts 7 references it through posts.author
type ConstraintError struct {
	Op         Op
	Table      string // the table of the row the operation was applied to
	Key        string // that row's key, formatted ("" for a violation of a whole index, or an insert refused before its key was assigned)
	Constraint string // the relation or index: "posts.author", "users.email", "users.primary key"

	// For ErrForeignKey and ErrRestrict: the parent row, as "users 1", and
	// the child row that references it, as "posts 7". The operation's row
	// is one of them: the child whose parent is missing, or the parent
	// that a child still references. An inserted row that was to be given
	// a key is named by its table alone ("posts").
	Parent, Child string

	// For ErrUnique, the row that holds the value; for ErrCorrupt, what is
	// wrong.
	Other string

	// For ErrUnique on a unique index, the value taken, formatted:
	// `"ann@example.com"`, or `(2, "roadmap")` for a composite index.
	Value string

	Err error // the sentinel
}

func (e *ConstraintError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "memrel: %s %s", e.Op, e.Table)
	if e.Key != "" {
		fmt.Fprintf(&b, " %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", strings.TrimPrefix(e.Err.Error(), "memrel: "))
	switch {
	case e.Child != "" && e.Parent == e.Table+" "+e.Key:
		fmt.Fprintf(&b, ": %s references it through %s", e.Child, e.Constraint)
	case e.Parent != "":
		fmt.Fprintf(&b, ": %s does not exist (%s)", e.Parent, e.Constraint)
	case errors.Is(e.Err, ErrUnique) && e.Value != "":
		fmt.Fprintf(&b, ": %s %s is taken by %s", e.Constraint, e.Value, e.Other)
	case errors.Is(e.Err, ErrUnique):
		fmt.Fprintf(&b, ": %s is taken by %s", e.Constraint, e.Other)
	default:
		if e.Constraint != "" {
			fmt.Fprintf(&b, " (%s)", e.Constraint)
		}
		if e.Other != "" {
			fmt.Fprintf(&b, ": %s", e.Other)
		}
	}
	return b.String()
}

func (e *ConstraintError) Unwrap() error { return e.Err }

// IntegrityError lists every violation found by Commit (for deferred
// constraints) or by Verify. errors.Is and errors.As see each violation.
type IntegrityError struct {
	Op         Op // OpCommit or OpVerify
	Violations []*ConstraintError
}

func (e *IntegrityError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "memrel: %s: %d violation", e.Op, len(e.Violations))
	if len(e.Violations) != 1 {
		b.WriteByte('s')
	}
	for _, v := range e.Violations {
		b.WriteString("\n\t")
		b.WriteString(v.Error())
	}
	return b.String()
}

func (e *IntegrityError) Unwrap() []error {
	errs := make([]error, len(e.Violations))
	for i, v := range e.Violations {
		errs[i] = v
	}
	return errs
}

// schemaError is an ErrSchema naming where in the schema the problem is.
func schemaError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSchema, fmt.Sprintf(format, args...))
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
