// Package memrel is an in-memory relational store for Go structs: typed
// tables on github.com/hashicorp/go-memdb, foreign keys navigable both ways,
// and referential integrity enforced with the semantics of SQLite and
// PostgreSQL. It is SQLAlchemy's ForeignKey and relationship, done with
// generics, for tests that want a fast stand-in for their database and for
// prototyping data models.
//
// # Basics
//
// Declare a Schema of tables (NewTable, NewPairTable), indexes (NewIndex,
// NewUniqueIndex, and on two fields NewPairIndex, NewUniquePairIndex) and
// relations (ForeignKey, NullableForeignKey), then Open it. Keys are
// integers, strings, booleans, UUIDs ([16]byte) or times (see Key). Tables and relations are typed Go values: a misspelt table or
// relation does not compile. Every mistake in the schema itself is reported
// by Open, each naming its table and field.
//
// Read and write through transactions: DB.Update and DB.View run a function
// in a transaction that commits when it returns nil and aborts on an error
// or a panic; BeginWrite and BeginRead give explicit control. DB.Fork
// forks the store in constant time, for a test of its own. Tables, indexes
// and relations belong to the schema, not to a store: the same handles
// work on every store opened from it, and on every fork of those.
//
// # Relations
//
// A Relation is a foreign key from child rows to parent rows, with its
// backref: Children lists a parent's children lazily, from the index
// behind the foreign key, and Parent follows a child to its parent.
// ManyToMany joins two relations of an association table into a
// many-to-many relationship (Association.Rights, Association.Lefts), and
// NewThrough declares one direction of it with a name (post.tags,
// user.following), read from the row it starts at;
// OrderChildren declares another order for a relation's children;
// Descendants and Ancestors walk a self-referential relation to any depth.
//
// Navigation starts from what the caller holds: upwards (Parent, Ancestors)
// from a child row, whose foreign key is in it (ParentKey reads it);
// downwards (Children, Descendants, Count, Exists, Child) from the parent's
// key. Get, Update and Delete of one row that does not exist fail with
// ErrNotFound; Unlink and Clear, which remove a set of links, and the
// set-based statements DeleteWhere, UpdateWhere and DeleteKeys return how
// many rows they changed, as SQL's DELETE and UPDATE report rows affected
// (0, not an error, when nothing matches).
//
// # Loading
//
// Lazy navigation is one index seek per call, so a loop over parents that
// navigates each is the N+1 pattern. Eager (a batch of rows), EagerAll (a
// whole table) and EagerStream (a whole table, a run of rows at a time) run
// loaders for every row at once, one batch per loader and
// level: Many (a parent's children), One (a child's parent), Count (how
// many children), Tree (a self-referential relation to any depth), and
// Through.Load (a named many-to-many direction; Association.LoadRights and
// LoadLefts). Several loaders may run at one level, and With nests loaders
// under any of them. The load returns a Result, and each loader's Of reads
// what it loaded for a row, at any depth:
//
//	res, err := memrel.Eager(tx, posts, memrel.One(author), tags.Load())
//	a, _ := memrel.One(author).Of(res, posts[0])
//	ts := tags.Load().Of(res, posts[0])
//
// A relation's loaders are values: Many(rel) is the same loader at every
// call, and so are One, Count, Tree and Load; a loader changed by Where,
// OrderedBy, Limit, With and the like is a new one, so keep it in a
// variable to read what it loaded.
//
// Reads of part of an ordered sequence take a Page: a cursor (After, the
// last row of the previous page), a direction, a filter, an offset and a
// limit. Table.Page, Index.Page, Index.From, PairIndex.Prefix,
// Relation.Page, Through.Page and Ordering.Page read one sequence;
// Ordering.Merge reads the children of several parents in one order (a
// feed: the newest posts of the people a user follows) by merging their
// runs of the ordering's index, reading only as far as the page needs.
//
// Tx.Strict makes lazy navigation fail with ErrLazyLoad, naming the loader
// to use (the Strict option of Open and Fork makes every transaction of a
// store strict), and Tx.LoadStats and DB.LoadStats count what each relation
// loaded, so a test can hold code to a budget.
//
// # Transactions and concurrency
//
// There is one writer at a time and any number of readers, each on its own
// snapshot. A DB, its forks and its transactions are safe for
// concurrent use. A Tx may be shared by goroutines: each call is atomic with
// respect to the others, and an operation that fails or panics leaves
// nothing behind. A write transaction waits for the writer lock at most
// WriteWait, then fails with ErrBusy naming where the holder began, so a
// write transaction begun while the same goroutine holds one fails instead
// of hanging. Sequences (All, Children, Rights, Descendants ...) cannot
// return an error: the transaction keeps it (Tx.Err), and Commit, Update
// and View return it. A sequence reads the snapshot it started on, so a
// write transaction may change or delete rows while it ranges over them.
// Relation.Watch returns a channel closed when a commit
// changes a parent's children. Tx.Savepoint and Tx.Nested nest
// transactions, as SQL's SAVEPOINT does: a rollback to a savepoint undoes
// exactly what the transaction did since.
//
// # Integrity
//
// A child whose non-NULL foreign key names no parent is rejected. Deleting a
// parent, or changing its key, runs each referencing relation's action:
// NoAction (checked when the operation ends, or at commit if deferred),
// Restrict (checked at once, never deferred), Cascade, SetNull or SetDefault.
// Actions cascade to any depth. An operation that is rejected anywhere in its
// cascade leaves the transaction exactly as it was; the transaction remains
// usable. Rejections are *ConstraintError values wrapping ErrForeignKey,
// ErrRestrict or ErrUnique; Commit reports all deferred violations at once
// in an *IntegrityError. Verify checks a whole store.
//
// # Caveats
//
// Rows go in and come out by value, and each row's keys are encoded once,
// when it is written, so changing a struct you passed in or got back never
// changes the store. But the copy is shallow: slices, maps and pointers
// inside a row are shared with the store. Never modify what they point to;
// Verify reports a row whose fields no longer match its stored keys.
//
// An integer key that is zero on Insert or Upsert takes the table's next
// sequence number (SQLite assigns one for a NULL key, and stores an
// explicit 0); InsertWithKey stores key 0 as given. A row's encoded keys
// may take up to 64 KiB together.
package memrel
