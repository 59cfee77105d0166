package memrel

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A merge join builds the store's join index once; later loads of the same
// snapshot read it, a write makes the next merge join rebuild it, and a
// transaction that has written the table neither reads nor builds one.
func TestJoinIndexReuse(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	ix := b.Author.info.index
	key := joinKey{ix: ix, slot: ix.slot, val: -1}
	load := func(tx *Tx) {
		t.Helper()
		if _, _, err := EagerAll(tx, b.Users, Many(b.Author)); err != nil {
			t.Fatal(err)
		}
	}
	view := func(fn func(tx *Tx)) {
		t.Helper()
		if err := b.DB.View(func(tx *Tx) error { fn(tx); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if b.DB.joins.get(key) != nil {
		t.Fatal("a join index before any load")
	}
	// A batch does not build one: it may be a few rows of a large table.
	view(func(tx *Tx) {
		if _, err := Eager(tx, []User{{ID: 1}}, Many(b.Author)); err != nil {
			t.Fatal(err)
		}
	})
	if b.DB.joins.get(key) != nil {
		t.Fatal("a batch built a join index")
	}
	view(load)
	first := b.DB.joins.get(key)
	if first == nil {
		t.Fatal("EagerAll built no join index")
	}
	if got, want := len(first.recs), 3; got != want {
		t.Fatalf("join index of %d posts, want %d", got, want)
	}
	view(load)
	if b.DB.joins.get(key) != first {
		t.Fatal("the second load rebuilt the join index of an unchanged snapshot")
	}
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if tx.join(b.Author.info, ix, -1, current) != first {
			t.Error("a writer that has written nothing does not see the join index")
		}
		if _, err := b.Posts.Insert(tx, Post{ID: 30, Title: "n", UserID: 2}); err != nil {
			return err
		}
		load(tx)
		if tx.join(b.Author.info, ix, -1, walkOrPatch) != nil {
			t.Error("a writer that has written posts got a join index")
		}
		return nil
	})
	if b.DB.joins.get(key) != first {
		t.Fatal("a writer replaced the join index")
	}
	view(load)
	if j := b.DB.joins.get(key); j == first || j == nil || len(j.recs) != 4 {
		t.Fatalf("after a write, the join index was not rebuilt with 4 posts")
	}
}

// A nested load under EagerAll is whole when every child of the level
// above is kept and its foreign key is never NULL: then it builds a join
// index too.
func TestJoinIndexNested(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	ix := b.OnPost.info.index
	key := joinKey{ix: ix, slot: ix.slot, val: -1}
	load := func(l Loader[User]) {
		t.Helper()
		err := b.DB.View(func(tx *Tx) error {
			_, _, err := EagerAll(tx, b.Users, l)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	load(Many(b.Author).Where(func(p Post) bool { return p.ID != 11 }).With(Many(b.OnPost)))
	if b.DB.joins.get(key) != nil {
		t.Fatal("the comments of some posts built a join index")
	}
	load(Many(b.Author).With(Many(b.OnPost)))
	if j := b.DB.joins.get(key); j == nil || len(j.recs) != 3 {
		t.Fatal("the comments of every post built no join index of 3 comments")
	}
}

// findSorted finds the same rows as one lookup per key, whether it steps
// through the index or seeks, for keys present, missing, and beyond both
// ends of the table.
func TestFindSorted(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	MustUpdate(t, b.DB, func(tx *Tx) error {
		for id := int64(10); id <= 2000; id += 2 {
			if _, err := b.Users.Insert(tx, User{ID: id, Name: "u", Email: fmt.Sprint(id)}); err != nil {
				return err
			}
		}
		return nil
	})
	keysets := map[string][]int64{
		"dense":  {10, 11, 12, 13, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64, 66, 68},
		"sparse": {1, 2, 3, 12, 100, 101, 500, 502, 504, 900, 1000, 1001, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 1990, 1992, 1994, 1996, 1998, 1999, 2000, 2001, 2002, 5000, 6000, 7000},
		"few":    {4, 10, 2000},
	}
	for name, ids := range keysets {
		t.Run(name, func(t *testing.T) {
			err := b.DB.View(func(tx *Tx) error {
				keys := make([][]byte, len(ids))
				var want []int64
				for n, id := range ids {
					keys[n] = b.Users.codec.append(nil, id)
					if tx.get(b.Users.info, keys[n]) != nil {
						want = append(want, id)
					}
				}
				var got []int64
				tx.findSorted(b.Author.info, len(keys), func(n int) []byte { return keys[n] }, func(n int, r *rec) {
					if u := r.row.(*User); u.ID != ids[n] {
						t.Errorf("key %d found user %d", ids[n], u.ID)
					}
					got = append(got, ids[n])
				})
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("found (-lookups +findSorted):\n%s", diff)
				}
				if len(want) == 0 {
					t.Error("no key is present: the test tests nothing")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A store opened or forked with KeepJoinIndexes(false) keeps none, and
// loads the same rows; its forks inherit the setting unless told
// otherwise.
func TestKeepJoinIndexes(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	ix := b.Author.info.index
	key := joinKey{ix: ix, slot: ix.slot, val: -1}
	load := func(db *DB) []Loaded[User, []Post] {
		t.Helper()
		var out []Loaded[User, []Post]
		err := db.View(func(tx *Tx) error {
			posts := Many(b.Author)
			users, res, err := EagerAll(tx, b.Users, posts)
			out = ZipLoaded(users, BindOf(res, posts.Of))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := load(b.DB)
	if b.DB.joins.get(key) == nil {
		t.Fatal("no join index kept by default")
	}
	none := b.DB.Fork(KeepJoinIndexes(false))
	if none.joins.get(key) != nil {
		t.Fatal("a fork with KeepJoinIndexes(false) has the original's join index")
	}
	if diff := cmp.Diff(want, load(none)); diff != "" {
		t.Errorf("without join indexes (-with +without):\n%s", diff)
	}
	inherited := none.Fork()
	load(inherited)
	if none.joins.get(key) != nil || inherited.joins.get(key) != nil {
		t.Fatal("a join index kept with KeepJoinIndexes(false)")
	}
	again := none.Fork(KeepJoinIndexes(true))
	load(again)
	if again.joins.get(key) == nil {
		t.Fatal("no join index kept by a fork with KeepJoinIndexes(true)")
	}
	opened, err := Open(b.DB.schema, KeepJoinIndexes(false))
	if err != nil {
		t.Fatal(err)
	}
	if !opened.joins.drop {
		t.Error("Open ignored KeepJoinIndexes(false)")
	}
}
