package memrel

import (
	"errors"
	"testing"
	"time"
)

// overlap runs first in a write transaction that commits while second's
// write transaction is waiting for the writer lock, and returns second's
// error.
func overlap(t *testing.T, db *DB, first, second func(tx *Tx) error) error {
	t.Helper()
	tx := db.BeginWrite()
	if err := first(tx); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		close(started)
		result <- db.Update(second)
	}()
	<-started
	time.Sleep(20 * time.Millisecond) // let the second writer block on the lock
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return <-result
}

// A writer that waited for the lock checks references against the store as
// the writer before it left it: the parent it names was deleted meanwhile.
func TestWaitingWriterSeesDeletedParent(t *testing.T) {
	b := newBlog(t, blogRules{})
	mustUpdate(t, b.db, func(tx *Tx) error {
		_, err := b.users.Insert(tx, User{ID: 1, Email: "a"})
		return err
	})
	err := overlap(t, b.db,
		func(tx *Tx) error { return b.users.Delete(tx, 1) },
		func(tx *Tx) error { _, err := b.posts.Insert(tx, Post{ID: 1, UserID: 1}); return err })
	if !errors.Is(err, ErrForeignKey) {
		t.Fatalf("insert of a post by a user deleted meanwhile: got %v, want ErrForeignKey", err)
	}
	verify(t, b.db)
}

// A writer that waited for the lock sees the row the writer before it
// inserted, and does not silently replace it.
func TestWaitingWriterSeesInsertedKey(t *testing.T) {
	b := newBlog(t, blogRules{})
	err := overlap(t, b.db,
		func(tx *Tx) error { _, err := b.users.Insert(tx, User{ID: 5, Name: "first", Email: "a"}); return err },
		func(tx *Tx) error { _, err := b.users.Insert(tx, User{ID: 5, Name: "second", Email: "b"}); return err })
	if !errors.Is(err, ErrUnique) {
		t.Fatalf("second insert of user 5: got %v, want ErrUnique", err)
	}
	mustView(t, b.db, func(tx *Tx) error {
		u, err := b.users.Get(tx, 5)
		if err != nil || u.Name != "first" {
			t.Errorf("user 5 = %+v, %v; want the first writer's", u, err)
		}
		return nil
	})
	verify(t, b.db)
}
