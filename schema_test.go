package memrel

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

// Parallel tests open one package-level schema at once (run with -race).
func TestOpenOneSchemaConcurrently(t *testing.T) {
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	NewUniqueIndex(users, "email", func(u *User) *string { return &u.Email })
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := Open(s)
			if err != nil {
				t.Error(err)
				return
			}
			if err := db.Update(func(tx *Tx) error { _, err := users.Insert(tx, User{Email: "a"}); return err }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// An index or an ordering declared after Open is refused when used, like
// a late table or relation, instead of silently doing nothing.
func TestIndexAndOrderingDeclaredAfterOpen(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	name := NewUniqueIndex(b.Users, "name", func(u *User) *string { return &u.Name })
	byTitle := OrderChildren(b.Author, "by_title", func(p *Post) *string { return &p.Title })
	err := b.DB.Update(func(tx *Tx) error {
		if _, err := b.Users.Insert(tx, User{ID: 3, Name: "ann", Email: "c"}); err != nil {
			return err // the late unique index is not part of the store
		}
		if _, err := name.First(tx, "ann"); !errors.Is(err, ErrSchema) {
			t.Errorf("First on an index declared after Open: %v", err)
		}
		if _, err := Eager(tx, []User{{ID: 1}}, Many(b.Author).OrderedBy(byTitle)); !errors.Is(err, ErrSchema) {
			t.Errorf("loading in an order declared after Open: %v", err)
		}
		for range byTitle.Children(tx, 1) {
			t.Error("an ordering declared after Open yielded a row")
		}
		if err := tx.Err(); !errors.Is(err, ErrSchema) {
			t.Errorf("Err after ranging over a late ordering: %v", err)
		}
		return nil
	})
	if !errors.Is(err, ErrSchema) {
		t.Errorf("Update that ranged over a late ordering: %v", err)
	}
	if _, err := Open(b.DB.schema); err == nil || !strings.Contains(err.Error(), "index users.name declared after Open") {
		t.Errorf("reopening: %v", err)
	}
}

// A declaration in one goroutine and an Open of the same schema in another
// (run with -race): Open sees all of the declaration or none of it.
func TestDeclareWhileOpening(t *testing.T) {
	for range 50 {
		s := NewSchema()
		users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			posts := NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
			ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users)
			NewIndex(posts, "title", func(p *Post) *string { return &p.Title })
		}()
		go func() {
			defer wg.Done()
			_, _ = Open(s) // may fail (a declaration after Open), must not race
		}()
		wg.Wait()
	}
}
