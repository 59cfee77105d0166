package memrel

import (
	"fmt"
	"testing"
)

// A panic inside an operation (here an index accessor, during a cascade's
// SET NULL) undoes the whole operation before it leaves memrel: a caller
// that recovers it and commits commits nothing of it, and the next
// operation runs none of the dead one's actions.
func TestPanicInsideAnOperationUndoesIt(t *testing.T) {
	s := NewSchema()
	users := NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	posts := NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users, OnDelete(Cascade))
	NullableForeignKey(posts, "editor", func(p *Post) *Null[int64] { return &p.EditorID }, users, OnDelete(SetNull))
	NewIndex(posts, "title", func(p *Post) *string {
		if p.Title == "boom" && !p.EditorID.Valid {
			panic("accessor failed")
		}
		return &p.Title
	})
	db, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx *Tx) error {
		for _, u := range []User{{ID: 1}, {ID: 2}} {
			if _, err := users.Insert(tx, u); err != nil {
				return err
			}
		}
		// Post 1 goes with user 2 (CASCADE); post 2, edited by user 2,
		// panics when SET NULL rewrites it.
		for _, p := range []Post{{ID: 1, UserID: 2}, {ID: 2, Title: "boom", UserID: 1, EditorID: NullFrom[int64](2)}} {
			if _, err := posts.Insert(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	before := dump(t, db)
	MustUpdate(t, db, func(tx *Tx) error {
		func() {
			defer func() {
				if p := recover(); p != "accessor failed" {
					t.Errorf("recovered %v", p)
				}
			}()
			_ = users.Delete(tx, 2)
			t.Error("Delete returned")
		}()
		// The transaction is as it was: user 2 and both posts are there,
		// and an unrelated operation runs no leftover action.
		if _, err := users.Insert(tx, User{ID: 3}); err != nil {
			return err
		}
		return users.Delete(tx, 3)
	})
	after := dump(t, db)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("store changed:\nbefore %v\nafter  %v", before, after)
	}
	verify(t, db)
}
