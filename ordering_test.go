package memrel_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

func TestOrderChildren(t *testing.T) {
	type Entry struct {
		ID        int64
		UserID    int64
		CreatedAt int64
	}
	s := memrel.NewSchema()
	users := memrel.NewTable(s, "users", func(u *memrel.User) *int64 { return &u.ID })
	entries := memrel.NewTable(s, "entries", func(e *Entry) *int64 { return &e.ID })
	author := memrel.ForeignKey(entries, "author", func(e *Entry) *int64 { return &e.UserID }, users)
	byDate := memrel.OrderChildren(author, "by_date", func(e *Entry) *int64 { return &e.CreatedAt })
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		for u := int64(1); u <= 3; u++ {
			if _, err := users.Insert(tx, memrel.User{ID: u}); err != nil {
				return err
			}
		}
		// Keys and dates in different orders; two entries share a date.
		for _, e := range []Entry{{1, 1, 30}, {2, 1, 10}, {3, 2, 5}, {4, 1, 20}, {5, 1, 10}, {6, 3, -7}} {
			if _, err := entries.Insert(tx, e); err != nil {
				return err
			}
		}
		// Moving an entry in time moves it in the order.
		return entries.Update(tx, Entry{4, 1, 40})
	})
	ids := func(seq func(func(Entry) bool)) []int64 {
		out := []int64{}
		for e := range seq {
			out = append(out, e.ID)
		}
		return out
	}
	err = db.View(func(tx *memrel.Tx) error {
		if diff := cmp.Diff([]int64{2, 5, 1, 4}, ids(byDate.Children(tx, 1))); diff != "" {
			t.Errorf("user 1 by date (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int64{4, 1, 5, 2}, ids(byDate.Backward(tx, 1))); diff != "" {
			t.Errorf("user 1 by date, backward (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int64{1, 2, 4, 5}, ids(author.Children(tx, 1))); diff != "" {
			t.Errorf("user 1 by key (-want +got):\n%s", diff)
		}
		// The first EagerAll builds a join index that the others read;
		// backward loads read none, and keep the last three.
		for _, c := range []struct{ all, backward bool }{{true, false}, {false, false}, {true, false}, {true, true}, {false, true}} {
			all := c.all
			loader := memrel.Many(author).OrderedBy(byDate).Limit(3)
			lazy := byDate.Children
			if c.backward {
				loader = memrel.Many(author).OrderedBy(byDate).Backward().Limit(3)
				lazy = byDate.Backward
			}
			var rows []memrel.User
			var res *memrel.Result
			if all {
				rows, res, err = memrel.EagerAll(tx, users, loader)
			} else {
				rows = []memrel.User{{ID: 3}, {ID: 1}, {ID: 2}}
				res, err = memrel.Eager(tx, rows, loader)
			}
			if err != nil {
				return err
			}
			if len(rows) != 3 {
				t.Fatalf("all=%v: %d users", all, len(rows))
			}
			for _, w := range memrel.ZipLoaded(rows, memrel.BindOf(res, loader.Of)) {
				want := ids(lazy(tx, w.Row.ID))
				if len(want) > 3 {
					want = want[:3]
				}
				gotIDs := []int64{}
				for _, e := range w.Loaded {
					gotIDs = append(gotIDs, e.ID)
				}
				if diff := cmp.Diff(want, gotIDs); diff != "" {
					t.Errorf("all=%v backward=%v user %d eager by date (-lazy +eager):\n%s", all, c.backward, w.Row.ID, diff)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Verify(); err != nil {
		t.Fatal(err)
	}
}
