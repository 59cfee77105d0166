package memrel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A key that an ON UPDATE CASCADE gives a row (here a one-to-one profile
// keyed by its user's key) raises that table's sequence, so an insert of
// that key later is a duplicate, not a silent overwrite.
func TestCascadedKeyRaisesSequence(t *testing.T) {
	type profile struct {
		UserID int64
		Bio    string
	}
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	profiles := NewTable(s, "profiles", func(p *profile) *int64 { return &p.UserID })
	ForeignKey(profiles, "user", func(p *profile) *int64 { return &p.UserID }, users, OnUpdate(Cascade), OnDelete(Cascade))
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx *Tx) error {
		if _, err := users.Insert(tx, User{ID: 1}); err != nil {
			return err
		}
		_, err := profiles.Insert(tx, profile{1, "one"})
		return err
	})
	MustUpdate(t, db, func(tx *Tx) error { return users.UpdateKey(tx, 1, User{ID: 1000}) })
	err = db.Update(func(tx *Tx) error {
		if _, err := users.Insert(tx, User{ID: 5}); err != nil {
			return err
		}
		_, err := profiles.Insert(tx, profile{1000, "dup"})
		return err
	})
	if !errors.Is(err, ErrUnique) {
		t.Fatalf("insert of a key a cascade created: got %v, want ErrUnique", err)
	}
	verify(t, db)
	got := dump(t, db)["profiles"]
	if diff := cmp.Diff([]any{&profile{1000, "one"}}, got); diff != "" {
		t.Errorf("profiles (-want +got):\n%s", diff)
	}
	// The users' sequence went on from the re-key too.
	MustUpdate(t, db, func(tx *Tx) error {
		p, err := users.Insert(tx, User{})
		if p.ID != 1001 {
			t.Errorf("next user key %d, want 1001", p.ID)
		}
		return err
	})
}

// A rejected operation gives back a sequence raised by its cascade.
func TestRejectedCascadeRestoresSequence(t *testing.T) {
	type profile struct{ UserID int64 }
	type pin struct{ ID, UserID int64 }
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	profiles := NewTable(s, "profiles", func(p *profile) *int64 { return &p.UserID })
	pins := NewTable(s, "pins", func(p *pin) *int64 { return &p.ID })
	ForeignKey(profiles, "user", func(p *profile) *int64 { return &p.UserID }, users, OnUpdate(Cascade))
	ForeignKey(pins, "user", func(p *pin) *int64 { return &p.UserID }, users) // NO ACTION: fails at the end
	db, _ := Open(s)
	tx := MustTx(db.BeginWrite())
	defer tx.Abort()
	for _, err := range []error{
		func() error { _, err := users.Insert(tx, User{ID: 1}); return err }(),
		func() error { _, err := profiles.Insert(tx, profile{1}); return err }(),
		func() error { _, err := pins.Insert(tx, pin{1, 1}); return err }(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	before := slices.Clone(tx.w.seq)
	if err := users.UpdateKey(tx, 1, User{ID: 1000}); !errors.Is(err, ErrForeignKey) {
		t.Fatalf("got %v, want ErrForeignKey from pins", err)
	}
	if !slices.Equal(before, tx.w.seq) {
		t.Errorf("sequences %v after the rejected re-key, want %v", tx.w.seq, before)
	}
}

func TestAutoIncrement(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	ids := func(tx *Tx, n int) []int64 {
		var out []int64
		for range n {
			u, err := b.Users.Insert(tx, User{Email: fmt.Sprint(len(out), tx)})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, u.ID)
		}
		return out
	}
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if got := ids(tx, 2); !slices.Equal(got, []int64{1, 2}) {
			t.Errorf("got %v", got)
		}
		// An explicit key raises the sequence.
		_, err := b.Users.Insert(tx, User{ID: 10, Email: "ten"})
		return err
	})
	// An aborted transaction gives its numbers back.
	tx := MustTx(b.DB.BeginWrite())
	if got := ids(tx, 1); !slices.Equal(got, []int64{11}) {
		t.Errorf("got %v", got)
	}
	tx.Abort()
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if got := ids(tx, 1); !slices.Equal(got, []int64{11}) {
			t.Errorf("after abort got %v, want [11]", got)
		}
		// A rejected insert gives its number back too.
		if _, err := b.Users.Insert(tx, User{Email: "ten"}); !errors.Is(err, ErrUnique) {
			t.Errorf("got %v", err)
		}
		// Deleting the highest key does not reuse it (AUTOINCREMENT).
		if err := b.Users.Delete(tx, 11); err != nil {
			return err
		}
		if got := ids(tx, 1); !slices.Equal(got, []int64{12}) {
			t.Errorf("got %v, want [12]", got)
		}
		return nil
	})
}

func TestAutoIncrementExhausted(t *testing.T) {
	type small struct{ ID int8 }
	s := NewSchema()
	tab := NewTable(s, "small", func(r *small) *int8 { return &r.ID })
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *Tx) error {
		if _, err := tab.Insert(tx, small{126}); err != nil {
			return err
		}
		if r, err := tab.Insert(tx, small{}); err != nil || r.ID != 127 {
			t.Errorf("got %v, %v", r, err)
		}
		_, err := tab.Insert(tx, small{})
		return err
	})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "exhausted") {
		t.Fatalf("got %v", err)
	}
}

// Key 0 is a key like any other when given explicitly: InsertWithKey stores
// it, UpdateKey moves a row to it, SET DEFAULT children point to it, and the
// sequence is not moved by it; Insert and Upsert still take 0 for "assign".
func TestExplicitKeyZero(t *testing.T) {
	r := DefaultRules()
	r.Author = []Rule{OnDelete(SetDefault), OnUpdate(Cascade), Default(int64(0))}
	b := NewBlog(t, r).Seed(t)
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if _, err := b.Users.InsertWithKey(tx, User{ID: 0, Name: "unknown", Email: "nobody@x"}); err != nil {
			return err
		}
		if _, err := b.Users.InsertWithKey(tx, User{ID: 0, Email: "again@x"}); !errors.Is(err, ErrUnique) {
			t.Errorf("a second explicit 0: %v, want ErrUnique", err)
		}
		u, err := b.Users.Insert(tx, User{Email: "new@x"})
		if err != nil || u.ID != 3 {
			t.Errorf("Insert of key 0 after an explicit 0: key %d, %v; want the sequence's 3", u.ID, err)
		}
		if err := b.Users.Delete(tx, 2); err != nil { // bob's post 20 goes to user 0
			return err
		}
		p, err := b.Posts.Get(tx, 20)
		if err != nil || p.UserID != 0 {
			t.Errorf("post 20 after its author went: %+v, %v; want user 0 by SET DEFAULT", p, err)
		}
		if err := b.Users.UpdateKey(tx, 3, User{ID: 0}); !errors.Is(err, ErrUnique) {
			t.Errorf("UpdateKey onto the taken key 0: %v", err)
		}
		if err := b.Users.Delete(tx, 0); !errors.Is(err, ErrForeignKey) {
			t.Errorf("deleting user 0, whose SET DEFAULT child would point to it again: %v, want ErrForeignKey", err)
		}
		if err := b.Posts.Delete(tx, 20); err != nil {
			return err
		}
		if err := b.Users.Delete(tx, 0); err != nil {
			return err
		}
		return b.Users.UpdateKey(tx, 1, User{ID: 0, Name: "ann", Email: "ann@x"}) // posts 10, 11 follow (ON UPDATE CASCADE)
	})
	mustView(t, b.DB, func(tx *Tx) error {
		ps, err := b.Author.ListChildren(tx, 0)
		if err != nil || len(ps) != 2 {
			t.Errorf("user 0's posts after UpdateKey to 0: %v, %v", ps, err)
		}
		return nil
	})
	verify(t, b.DB)
}
