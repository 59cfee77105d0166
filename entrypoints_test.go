package memrel

import (
	"errors"
	"testing"
)

// Every public entry point that takes a transaction refuses a nil one, a
// finished one and, for writes, a read-only one, with the documented error
// and no panic; sequences yield nothing.
func TestEveryEntryPointRefusesBadTransactions(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	errYielded := errors.New("yielded")
	seq := func(n int) error {
		if n > 0 {
			return errYielded
		}
		return nil
	}
	count := func(s func(func(User) bool)) int {
		n := 0
		s(func(User) bool { n++; return true })
		return n
	}
	countPosts := func(s func(func(Post) bool)) int {
		n := 0
		s(func(Post) bool { n++; return true })
		return n
	}
	type entry struct {
		name  string
		write bool
		seq   bool // a sequence: yields nothing instead of an error
		call  func(tx *Tx) error
	}
	entries := []entry{
		{"Table.Insert", true, false, func(tx *Tx) error { _, err := b.users.Insert(tx, User{Email: "new"}); return err }},
		{"Table.Update", true, false, func(tx *Tx) error { return b.users.Update(tx, User{ID: 1, Email: "ann@x"}) }},
		{"Table.Upsert", true, false, func(tx *Tx) error { _, err := b.users.Upsert(tx, User{ID: 1, Email: "ann@x"}); return err }},
		{"Table.UpdateKey", true, false, func(tx *Tx) error { return b.users.UpdateKey(tx, 1, User{ID: 9, Email: "ann@x"}) }},
		{"Table.Delete", true, false, func(tx *Tx) error { return b.users.Delete(tx, 2) }},
		{"Tx.DeferConstraints", true, false, func(tx *Tx) error { return tx.DeferConstraints() }},
		{"Table.Get", false, false, func(tx *Tx) error { _, err := b.users.Get(tx, 1); return err }},
		{"Table.Has", false, false, func(tx *Tx) error { _, err := b.users.Has(tx, 1); return err }},
		{"Table.Len", false, false, func(tx *Tx) error { _, err := b.users.Len(tx); return err }},
		{"Table.All", false, true, func(tx *Tx) error { return seq(count(b.users.All(tx))) }},
		{"Index.Get", false, true, func(tx *Tx) error { return seq(count(b.email.Get(tx, "ann@x"))) }},
		{"Index.All", false, true, func(tx *Tx) error { return seq(count(b.email.All(tx))) }},
		{"Index.First", false, false, func(tx *Tx) error { _, err := b.email.First(tx, "ann@x"); return err }},
		{"Relation.Children", false, true, func(tx *Tx) error { return seq(countPosts(b.author.Children(tx, 1))) }},
		{"Relation.ListChildren", false, false, func(tx *Tx) error { _, err := b.author.ListChildren(tx, 1); return err }},
		{"Relation.Parent", false, false, func(tx *Tx) error { _, err := b.author.Parent(tx, Post{UserID: 1}); return err }},
		{"Tx.Verify", false, false, func(tx *Tx) error { return tx.Verify() }},
		{"Tx.Commit", false, false, func(tx *Tx) error { return tx.Commit() }},
	}
	finished := b.db.BeginWrite()
	finished.Abort()
	for _, e := range entries {
		t.Run(e.name, func(t *testing.T) {
			unchanged(t, b.db, func() {
				want := map[string]error{"nil": ErrInvalid, "finished": ErrTxDone}
				for kind, tx := range map[string]*Tx{"nil": nil, "finished": finished} {
					err := e.call(tx)
					if e.seq && err != nil || !e.seq && !errors.Is(err, want[kind]) {
						t.Errorf("%s transaction: got %v, want %v", kind, err, want[kind])
					}
				}
				if e.write {
					r := b.db.BeginRead()
					defer r.Abort()
					if err := e.call(r); !errors.Is(err, ErrReadOnly) {
						t.Errorf("read transaction: got %v, want ErrReadOnly", err)
					}
				}
			})
		})
	}
	// Transactions and forks of a nil store.
	var nilDB *DB
	if nilDB.Snapshot() != nil || nilDB.BeginWrite() != nil || nilDB.BeginRead() != nil {
		t.Error("a nil store began something")
	}
	if err := nilDB.Verify(); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil store Verify: %v", err)
	}
	var nilTx *Tx
	nilTx.Abort()
}

// Declarations given nil schemas and tables do not panic; what they
// declare cannot be used, and a nil parent is reported by Open.
func TestNilDeclarations(t *testing.T) {
	orphan := NewTable(nil, "orphan", func(p *parent) *int64 { return &p.ID })
	ix := NewIndex(orphan, "id", func(p *parent) *int64 { return &p.ID })
	var nilTable *Table[parent, int64]
	ix2 := NewUniqueIndex(nilTable, "id", func(p *parent) *int64 { return &p.ID })
	rel := ForeignKey(nilTable, "p", func(p *parent) *int64 { return &p.ID }, orphan)

	s := NewSchema()
	kids := NewTable(s, "kids", func(k *kid) *int64 { return &k.ID })
	ForeignKey(kids, "p", func(k *kid) *int64 { return &k.ID }, nilTable)
	if _, err := Open(s); !errors.Is(err, ErrSchema) {
		t.Errorf("Open with a nil parent: %v", err)
	}

	b := newBlog(t, defaultRules())
	_ = b.db.View(func(tx *Tx) error {
		if _, err := orphan.Get(tx, 1); !errors.Is(err, ErrSchema) {
			t.Errorf("table of no schema: %v", err)
		}
		if _, err := ix.First(tx, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("index of a table of no schema: %v", err)
		}
		if _, err := ix2.First(tx, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("index of a nil table: %v", err)
		}
		if _, err := rel.ListChildren(tx, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("relation of a nil table: %v", err)
		}
		return nil
	})
}

// Two stores opened from one schema are independent.
func TestOneSchemaTwoStores(t *testing.T) {
	b := newBlog(t, defaultRules())
	other, err := Open(b.db.schema)
	if err != nil {
		t.Fatal(err)
	}
	b.seed(t)
	if n := len(dump(t, other)["users"]); n != 0 {
		t.Errorf("the second store has %d users", n)
	}
}
