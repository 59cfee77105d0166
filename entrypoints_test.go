package memrel

import (
	"errors"
	"testing"
)

// entry is a public entry point, called with a transaction.
type entry struct {
	name  string
	write bool
	seq   bool // a sequence: yields nothing instead of an error
	call  func(tx *Tx) error
}

// checkEntries calls each entry with a nil and a finished transaction and,
// for writes, a read-only one, and checks the error and that db is
// unchanged.
func checkEntries(t *testing.T, db *DB, finished func() *Tx, entries []entry) {
	t.Helper()
	for _, e := range entries {
		t.Run(e.name, func(t *testing.T) {
			unchanged(t, db, func() {
				want := map[string]error{"nil": ErrInvalid, "finished": ErrTxDone}
				for kind, tx := range map[string]*Tx{"nil": nil, "finished": finished()} {
					err := e.call(tx)
					if e.seq && err != nil || !e.seq && !errors.Is(err, want[kind]) {
						t.Errorf("%s transaction: got %v, want %v", kind, err, want[kind])
					}
					// A sequence cannot return its error: the transaction
					// keeps it, for Err, Commit, Update and View.
					if e.seq && tx != nil && !errors.Is(tx.Err(), want[kind]) {
						t.Errorf("%s transaction: Err() = %v, want %v", kind, tx.Err(), want[kind])
					}
				}
				if e.write {
					r := MustTx(db.BeginRead())
					defer r.Abort()
					if err := e.call(r); !errors.Is(err, ErrReadOnly) {
						t.Errorf("read transaction: got %v, want ErrReadOnly", err)
					}
				}
			})
		})
	}
}

// Every public entry point that takes a transaction refuses a nil one, a
// finished one and, for writes, a read-only one, with the documented error
// and no panic; sequences yield nothing.
func TestEveryEntryPointRefusesBadTransactions(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
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
	entries := []entry{
		{"Table.Insert", true, false, func(tx *Tx) error { _, err := b.Users.Insert(tx, User{Email: "new"}); return err }},
		{"Table.Update", true, false, func(tx *Tx) error { return b.Users.Update(tx, User{ID: 1, Email: "ann@x"}) }},
		{"Table.Upsert", true, false, func(tx *Tx) error { _, err := b.Users.Upsert(tx, User{ID: 1, Email: "ann@x"}); return err }},
		{"Table.UpdateKey", true, false, func(tx *Tx) error { return b.Users.UpdateKey(tx, 1, User{ID: 9, Email: "ann@x"}) }},
		{"Table.Delete", true, false, func(tx *Tx) error { return b.Users.Delete(tx, 2) }},
		{"Tx.DeferConstraints", true, false, func(tx *Tx) error { return tx.DeferConstraints() }},
		{"Table.Get", false, false, func(tx *Tx) error { _, err := b.Users.Get(tx, 1); return err }},
		{"Table.Has", false, false, func(tx *Tx) error { _, err := b.Users.Has(tx, 1); return err }},
		{"Table.Len", false, false, func(tx *Tx) error { _, err := b.Users.Len(tx); return err }},
		{"Table.All", false, true, func(tx *Tx) error { return seq(count(b.Users.All(tx))) }},
		{"Index.List", false, true, func(tx *Tx) error { return seq(count(b.Email.List(tx, "ann@x"))) }},
		{"Index.All", false, true, func(tx *Tx) error { return seq(count(b.Email.All(tx))) }},
		{"Index.First", false, false, func(tx *Tx) error { _, err := b.Email.First(tx, "ann@x"); return err }},
		{"Relation.Children", false, true, func(tx *Tx) error { return seq(countPosts(b.Author.Children(tx, 1))) }},
		{"Relation.ListChildren", false, false, func(tx *Tx) error { _, err := b.Author.ListChildren(tx, 1); return err }},
		{"Relation.Parent", false, false, func(tx *Tx) error { _, err := b.Author.Parent(tx, Post{UserID: 1}); return err }},
		{"Tx.Verify", false, false, func(tx *Tx) error { return tx.Verify() }},
		{"Tx.Commit", false, false, func(tx *Tx) error { return tx.Commit() }},
	}
	checkEntries(t, b.DB, func() *Tx {
		tx := MustTx(b.DB.BeginWrite())
		tx.Abort()
		return tx
	}, entries)
	// Transactions and forks of a nil store.
	var nilDB *DB
	if nilDB.Fork() != nil {
		t.Error("a nil store made a snapshot")
	}
	if tx, err := nilDB.BeginWrite(); tx != nil || !errors.Is(err, ErrInvalid) {
		t.Errorf("nil store BeginWrite: %v, %v", tx, err)
	}
	if tx, err := nilDB.BeginRead(); tx != nil || !errors.Is(err, ErrInvalid) {
		t.Errorf("nil store BeginRead: %v, %v", tx, err)
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
	orphan := NewTable(nil, "orphan", func(u *User) *int64 { return &u.ID })
	ix := NewIndex(orphan, "id", func(u *User) *int64 { return &u.ID })
	var nilTable *Table[User, int64]
	ix2 := NewUniqueIndex(nilTable, "id", func(u *User) *int64 { return &u.ID })
	rel := ForeignKey(nilTable, "p", func(u *User) *int64 { return &u.ID }, orphan)

	s := NewSchema()
	posts := NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, nilTable)
	if _, err := Open(s); !errors.Is(err, ErrSchema) {
		t.Errorf("Open with a nil parent: %v", err)
	}

	b := NewBlog(t, DefaultRules())
	_ = b.DB.View(func(tx *Tx) error {
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
	b := NewBlog(t, DefaultRules())
	other, err := Open(b.DB.schema)
	if err != nil {
		t.Fatal(err)
	}
	b.Seed(t)
	if n := len(dump(t, other)["users"]); n != 0 {
		t.Errorf("the second store has %d users", n)
	}
}

// The same for the relations API: one-to-one, counting, watching,
// traversal, orderings, eager loading, associations and plans.
func TestRelationEntryPointsRefuseBadTransactions(t *testing.T) {
	type like struct{ UserID, PostID int64 }
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	posts := NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	likes := NewPairTable(s, "likes", func(l *like) *int64 { return &l.UserID }, func(l *like) *int64 { return &l.PostID })
	author := ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users, OnDelete(Cascade))
	editor := NullableForeignKey(posts, "editor", func(p *Post) *Null[int64] { return &p.EditorID }, posts)
	byTitle := OrderChildren(author, "by_title", func(p *Post) *string { return &p.Title })
	likers := ForeignKey(likes, "user", func(l *like) *int64 { return &l.UserID }, users, OnDelete(Cascade))
	liked := ForeignKey(likes, "post", func(l *like) *int64 { return &l.PostID }, posts, OnDelete(Cascade))
	m := ManyToMany(likers, liked)
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx *Tx) error {
		if _, err := users.Insert(tx, User{ID: 1}); err != nil {
			return err
		}
		if _, err := posts.Insert(tx, Post{ID: 1, UserID: 1}); err != nil {
			return err
		}
		_, err := m.Link(tx, 1, 1)
		return err
	})
	yielded := func(n int) error {
		if n > 0 {
			return errors.New("yielded")
		}
		return nil
	}
	count2 := func(seq func(func(Post, int) bool)) int {
		n := 0
		seq(func(Post, int) bool { n++; return true })
		return n
	}
	countP := func(seq func(func(Post) bool)) int {
		n := 0
		seq(func(Post) bool { n++; return true })
		return n
	}
	entries := []entry{
		{"Relation.Child", false, false, func(tx *Tx) error { _, err := author.Child(tx, 1); return err }},
		{"Relation.Count", false, false, func(tx *Tx) error { _, err := author.Count(tx, 1); return err }},
		{"Relation.Exists", false, false, func(tx *Tx) error { _, err := author.Exists(tx, 1); return err }},
		{"Relation.Watch", false, false, func(tx *Tx) error { _, err := author.Watch(tx, 1); return err }},
		{"Relation.Descendants", false, true, func(tx *Tx) error { return yielded(count2(editor.Descendants(tx, 1, 0))) }},
		{"Relation.Ancestors", false, true, func(tx *Tx) error {
			return yielded(count2(editor.Ancestors(tx, Post{EditorID: NullFrom[int64](1)}, 0)))
		}},
		{"Ordering.Children", false, true, func(tx *Tx) error { return yielded(countP(byTitle.Children(tx, 1))) }},
		{"Ordering.Backward", false, true, func(tx *Tx) error { return yielded(countP(byTitle.Backward(tx, 1))) }},
		{"Eager Many", false, false, func(tx *Tx) error { _, err := Eager(tx, []User{{ID: 1}}, Many(author)); return err }},
		{"EagerAll One", false, false, func(tx *Tx) error { _, _, err := EagerAll(tx, posts, One(author)); return err }},
		{"EagerAll Many.With", false, false, func(tx *Tx) error {
			_, _, err := EagerAll(tx, users, Many(author).With(m.LoadLefts()))
			return err
		}},
		{"Eager One.With", false, false, func(tx *Tx) error {
			_, err := Eager(tx, []Post{{UserID: 1}}, One(author).With(m.LoadRights()))
			return err
		}},
		{"Association.Rights", false, true, func(tx *Tx) error { return yielded(countP(m.Rights(tx, 1))) }},
		{"Association.Count", false, false, func(tx *Tx) error { _, err := m.Count(tx, 1); return err }},
		{"Association.Link", true, false, func(tx *Tx) error { _, err := m.Link(tx, 1, 1); return err }},
		{"Association.Unlink", true, false, func(tx *Tx) error { _, err := m.Unlink(tx, 1, 1); return err }},
		{"Association.Replace", true, false, func(tx *Tx) error { return m.Replace(tx, 1, nil) }},
		{"Association.Clear", true, false, func(tx *Tx) error { _, err := m.Clear(tx, 1); return err }},
		{"Table.PlanDelete", true, false, func(tx *Tx) error { _, err := users.PlanDelete(tx, 1); return err }},
		{"Tx.Strict", false, false, func(tx *Tx) error { return tx.Strict() }},
	}
	finished := MustTx(db.BeginRead())
	finished.Abort()
	checkEntries(t, db, func() *Tx {
		tx := MustTx(db.BeginRead())
		tx.Abort()
		return tx
	}, entries)
	// LoadStats of nil relations and stores are zero, not a panic.
	var nilRel *Relation[Post, User, int64]
	if (LoadStats{}) != db.LoadStats(nilRel) || (LoadStats{}) != finished.LoadStats(nil) {
		t.Error("LoadStats of nothing is not zero")
	}
}

// The zero value of every handle is refused with ErrInvalid, never a panic.
func TestZeroHandles(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	var (
		table Table[User, int64]
		index Index[User, int64, string]
		rel   Relation[Post, User, int64]
		assoc Association[PostTag, Post, Tag, int64, int64]
		order Ordering[Post, User, int64]
		db    DB
		tx    Tx
	)
	if table.Name() != "" || rel.Name() != "" || ForeignKey[Post, int64](nil, "x", func(p *Post) *int64 { return &p.UserID }, b.Users).Name() != "" {
		t.Error("a zero handle has a name")
	}
	if _, err := Open(NewSchema(), nil); !errors.Is(err, ErrSchema) {
		t.Errorf("Open of an empty schema: %v", err)
	}
	if db.Fork() != nil {
		t.Error("a zero store made a snapshot")
	}
	for name, err := range map[string]error{
		"DB.BeginWrite": func() error { _, err := db.BeginWrite(); return err }(),
		"DB.BeginRead":  func() error { _, err := db.BeginRead(); return err }(),
		"DB.Update":     db.Update(func(*Tx) error { return nil }),
		"DB.View":       db.View(func(*Tx) error { return nil }),
		"DB.Verify":     db.Verify(),
		"Tx.Commit":     tx.Commit(),
		"Tx.Err":        tx.Err(),
		"Tx.Strict":     tx.Strict(),
		"Tx.Verify":     tx.Verify(),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s of a zero value: %v", name, err)
		}
	}
	tx.Abort()
	err := b.DB.Update(func(tx *Tx) error {
		for name, err := range map[string]error{
			"Table.Insert":       func() error { _, err := table.Insert(tx, User{}); return err }(),
			"Table.Get":          func() error { _, err := table.Get(tx, 1); return err }(),
			"Table.Len":          func() error { _, err := table.Len(tx); return err }(),
			"Table.Delete":       table.Delete(tx, 1),
			"Index.First":        func() error { _, err := index.First(tx, ""); return err }(),
			"Relation":           func() error { _, err := rel.ListChildren(tx, 1); return err }(),
			"Relation.ParentKey": func() error { _, ok := rel.ParentKey(Post{}); return map[bool]error{false: ErrInvalid}[ok] }(),
			"Association":        func() error { _, err := assoc.Link(tx, 1, 1); return err }(),
			"Count":              func() error { _, err := assoc.Count(tx, 1); return err }(),
			"Eager":              func() error { _, err := Eager(tx, []Post{{}}, One(&rel)); return err }(),
			"EagerAll":           func() error { _, _, err := EagerAll(tx, &table, Many(b.Author)); return err }(),
			"LoadRights":         func() error { _, err := Eager(tx, []Post{{}}, assoc.LoadRights()); return err }(),
			"Ordering":           func() error { _, err := Eager(tx, []User{{ID: 1}}, Many(b.Author).OrderedBy(&order)); return err }(),
			"ManyLoader":         func() error { _, err := Eager(tx, []User{{ID: 1}}, ManyLoader[Post, User, int64]{}); return err }(),
			"OneLoader":          func() error { _, err := Eager(tx, []Post{{UserID: 1}}, OneLoader[Post, User, int64]{}); return err }(),
			"CountLoader":        func() error { _, err := Eager(tx, []User{{ID: 1}}, CountLoader[Post, User, int64]{}); return err }(),
			"TreeLoader":         func() error { _, err := Eager(tx, []Comment{{ID: 100}}, TreeLoader[Comment, int64]{}); return err }(),
			"ThroughLoader":      func() error { _, err := Eager(tx, []Post{{}}, ThroughLoader[PostTag, Post, Tag, int64]{}); return err }(),
			"Table.Name":         map[bool]error{true: ErrInvalid}[table.Name() == ""],
			"Relation.Name":      map[bool]error{true: ErrInvalid}[rel.Name() == ""],
		} {
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%s of a zero value: %v", name, err)
			}
		}
		// The zero loaders read nothing from a Result, nor from none.
		var (
			many    ManyLoader[Post, User, int64]
			one     OneLoader[Post, User, int64]
			count   CountLoader[Post, User, int64]
			tree    TreeLoader[Comment, int64]
			through ThroughLoader[PostTag, Post, Tag, int64]
		)
		for _, res := range []*Result{nil, {}} {
			_, found := one.Of(res, Post{UserID: 1})
			if many.Of(res, User{ID: 1}) != nil || found || count.Of(res, User{ID: 1}) != 0 ||
				tree.Of(res, Comment{ID: 100}) != nil || through.Of(res, Post{ID: 10}) != nil {
				t.Error("a zero loader found rows")
			}
		}
		for range table.All(tx) {
			t.Error("a zero table yielded a row")
		}
		for range order.Children(tx, 1) {
			t.Error("a zero ordering yielded a row")
		}
		var nilAssoc *Association[PostTag, Post, Tag, int64, int64]
		half := ManyToMany((*Relation[PostTag, Post, int64])(nil), (*Relation[PostTag, Tag, int64])(nil))
		for _, m := range []*Association[PostTag, Post, Tag, int64, int64]{&assoc, nilAssoc, half} {
			for range m.Rights(tx, 1) {
				t.Error("an undeclared association yielded a row")
			}
			for range m.Lefts(tx, 1) {
				t.Error("an undeclared association yielded a row")
			}
		}
		return nil
	})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("Update that ranged over zero handles: %v", err)
	}
	verify(t, b.DB)
}
