package memrel

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// streamed is what one row of a load read: its key and each loader's values.
type streamed struct {
	User    int64
	Posts   []Post
	Newest  []Post
	Edited  int
	Tags    [][]Tag
	Authors []User
}

// EagerStream yields what EagerAll returns, row by row, across runs of every
// length (tables of 0 to 2,100 users, so runs of 16, 32, ... 1,024 and a
// short last run), with every kind of loader nested under it; a break stops
// it, and a failed load stops it with the error in Tx.Err.
func TestEagerStream(t *testing.T) {
	for _, users := range []int{0, 1, 15, 16, 17, 100, 2100} {
		b := NewBlog(t, DefaultRules()).Fill(t, users, 3, 7, 2)
		posts := Many(b.Author).Where(func(p Post) bool { return p.ID%5 != 0 })
		newest := Many(b.Author).Backward().Limit(1)
		edited := Count(b.Editor)
		tags := b.Tagging.LoadRights()
		author := One(b.Author)
		with := posts.With(tags, author)
		loaders := []Loader[User]{with, newest, edited}
		read := func(res *Result, u User) streamed {
			s := streamed{User: u.ID, Posts: with.Of(res, u), Newest: newest.Of(res, u), Edited: edited.Of(res, u)}
			for _, p := range s.Posts {
				s.Tags = append(s.Tags, tags.Of(res, p))
				a, _ := author.Of(res, p)
				s.Authors = append(s.Authors, a)
			}
			return s
		}
		var want, got []streamed
		mustView(t, b.DB, func(tx *Tx) error {
			rows, res, err := EagerAll(tx, b.Users, loaders...)
			if err != nil {
				return err
			}
			for _, u := range rows {
				want = append(want, read(res, u))
			}
			return nil
		})
		var stats LoadStats
		mustView(t, b.DB, func(tx *Tx) error {
			if err := tx.Strict(); err != nil {
				return err
			}
			for u, res := range EagerStream(tx, b.Users, loaders...) {
				got = append(got, read(res, u))
			}
			stats = tx.LoadStats(b.Author)
			return tx.Err()
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%d users: EagerStream differs from EagerAll (-want +got):\n%s", users, diff)
		}
		runs := 0
		for n, size := users, 16; n > 0; size = min(2*size, 1024) {
			runs++
			n -= size
		}
		// Many and its nested One each count a batch per run on the relation.
		if want := int64(3 * runs); stats.Batches != want {
			t.Errorf("%d users: %d batches through posts.author, want %d (3 loaders in each of %d runs)", users, stats.Batches, want, runs)
		}
	}
}

func TestEagerStreamStops(t *testing.T) {
	b := NewBlog(t, DefaultRules()).Fill(t, 40, 2, 3, 1)
	mustView(t, b.DB, func(tx *Tx) error {
		n := 0
		for range EagerStream(tx, b.Users, Many(b.Author)) {
			n++
			if n == 20 {
				break
			}
		}
		if n != 20 || tx.Err() != nil {
			t.Errorf("a break after 20 rows: %d rows, %v", n, tx.Err())
		}
		return nil
	})
	err := b.DB.View(func(tx *Tx) error {
		for range EagerStream(tx, b.Users, Many(b.Author), nil) {
			t.Error("a load with a nil loader yielded a row")
		}
		return nil
	})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("a nil loader: %v, want ErrInvalid from View", err)
	}
	tx := MustTx(b.DB.BeginRead())
	stop := Many(b.Author).Where(func(Post) bool { tx.Abort(); return true })
	for range EagerStream(tx, b.Users, stop) {
		t.Error("a load whose Where ended the transaction yielded a row")
	}
	if !errors.Is(tx.Err(), ErrTxDone) {
		t.Errorf("ended inside the load: %v, want ErrTxDone", tx.Err())
	}
}
