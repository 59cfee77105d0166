package memrel

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

var pageSeed = flag.Uint64("pageseed", 0, "TestPagesRandom's seed (0: from the clock)")

// applyPage is Page's meaning on a slice already in the sequence's order:
// the reference every page is compared with.
func applyPage[T any](all []T, p Page[T], same func(a, b T) bool) []T {
	seq := slices.Clone(all)
	if p.Backward {
		slices.Reverse(seq)
	}
	if p.After != nil {
		i := slices.IndexFunc(seq, func(v T) bool { return same(v, *p.After) })
		seq = seq[i+1:]
	}
	var out []T
	skip := p.Offset
	for _, v := range seq {
		if p.Limit > 0 && len(out) >= p.Limit {
			break
		}
		if p.Where != nil && !p.Where(v) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		out = append(out, v)
	}
	return out
}

// TestPagesRandom compares every kind of page (a table's, a parent's
// children by key and in an ordering, several parents' children merged in
// the ordering) with the same page cut from a sorted slice, on random data
// and random pages: cursors, both directions, filters, offsets, limits.
func TestPagesRandom(t *testing.T) {
	seed := *pageSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -pageseed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	m := NewTitled(t)
	db, users, posts, author, byTitle := m.DB, m.Users, m.Posts, m.Author, m.ByTitle
	const nu = 6
	var all []Post
	MustUpdate(t, db, func(tx *Tx) error {
		for u := int64(1); u <= nu; u++ {
			if _, err := users.Insert(tx, User{ID: u}); err != nil {
				return err
			}
		}
		for i := int64(1); i <= 80; i++ {
			p := Post{ID: i, UserID: 1 + rng.Int64N(nu-1), Title: string(rune('a' + rng.IntN(8)))} // user 6 has none
			if _, err := posts.Insert(tx, p); err != nil {
				return err
			}
			all = append(all, p)
		}
		return nil
	})
	byKey := func(a, b Post) int { return cmp.Compare(a.ID, b.ID) }
	inOrder := func(a, b Post) int { return cmp.Or(cmp.Compare(a.Title, b.Title), cmp.Compare(a.ID, b.ID)) }
	same := func(a, b Post) bool { return a.ID == b.ID }
	of := func(ks ...int64) []Post {
		var out []Post
		for _, p := range all {
			if slices.Contains(ks, p.UserID) {
				out = append(out, p)
			}
		}
		return out
	}
	randomPage := func(seq []Post) Page[Post] {
		var p Page[Post]
		p.Backward = rng.IntN(2) == 0
		if len(seq) > 0 && rng.IntN(2) == 0 {
			a := seq[rng.IntN(len(seq))]
			p.After = &a
		}
		if rng.IntN(3) == 0 {
			p.Where = func(p Post) bool { return p.ID%3 != 0 }
		}
		p.Offset = rng.IntN(3)
		p.Limit = rng.IntN(8)
		return p
	}
	mustView(t, db, func(tx *Tx) error {
		for round := range 300 {
			k := 1 + rng.Int64N(nu)
			ks := []int64{k, 1 + rng.Int64N(nu), k}[:1+rng.IntN(3)]
			cases := []struct {
				name string
				seq  []Post
				cmp  func(a, b Post) int
				page func(Page[Post]) ([]Post, error)
			}{
				{"Table.Page", all, byKey, func(p Page[Post]) ([]Post, error) { return posts.Page(tx, p) }},
				{"Relation.Page", of(k), byKey, func(p Page[Post]) ([]Post, error) { return author.Page(tx, k, p) }},
				{"Ordering.Page", of(k), inOrder, func(p Page[Post]) ([]Post, error) { return byTitle.Page(tx, k, p) }},
				{"Ordering.Merge", of(ks...), inOrder, func(p Page[Post]) ([]Post, error) { return byTitle.Merge(tx, ks, p) }},
			}
			for _, c := range cases {
				seq := slices.SortedFunc(slices.Values(c.seq), c.cmp)
				p := randomPage(seq)
				if c.name == "Ordering.Merge" && rng.IntN(4) == 0 {
					other := all[rng.IntN(len(all))] // a cursor from any parent, merged or not
					p.After = &other
					if !slices.ContainsFunc(c.seq, func(v Post) bool { return same(v, other) }) {
						seq = slices.SortedFunc(slices.Values(append(slices.Clone(c.seq), other)), c.cmp)
					}
				}
				want := applyPage(seq, p, same)
				if p.After != nil && !slices.ContainsFunc(c.seq, func(v Post) bool { return same(v, *p.After) }) {
					want = slices.DeleteFunc(want, func(v Post) bool { return same(v, *p.After) })
				}
				got, err := c.page(p)
				if err != nil {
					return err
				}
				if diff := gocmp.Diff(want, got); diff != "" {
					after := "nil"
					if p.After != nil {
						after = fmt.Sprint(*p.After)
					}
					t.Fatalf("round %d %s(%v) after %s %+v (-want +got):\n%s", round, c.name, ks, after, p, diff)
				}
			}
		}
		return nil
	})
}

// A merged page reads what it returns, counts as one batch, and is allowed
// in strict mode; a parent's page is a lazy load. A cursor from another
// parent's sequence is refused.
func TestMergeIsOneBatch(t *testing.T) {
	m := NewTitled(t, Strict(true))
	db, users, posts, author, byTitle := m.DB, m.Users, m.Posts, m.Author, m.ByTitle
	MustUpdate(t, db, func(tx *Tx) error {
		for u := int64(1); u <= 50; u++ {
			if _, err := users.Insert(tx, User{ID: u}); err != nil {
				return err
			}
			for i := range int64(20) {
				if _, err := posts.Insert(tx, Post{ID: u*100 + i, UserID: u, Title: string(rune('a' + i))}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	var ks []int64
	for u := int64(1); u <= 50; u++ {
		ks = append(ks, u)
	}
	err := db.View(func(tx *Tx) error {
		page, err := byTitle.Merge(tx, ks, Page[Post]{Backward: true, Limit: 20})
		if err != nil {
			return err
		}
		if len(page) != 20 || page[0].Title != "t" || page[19].Title != "t" {
			t.Errorf("the 20 last by title: %v", page)
		}
		if got := tx.LoadStats(author); got != (LoadStats{Batches: 1, Rows: 20}) {
			t.Errorf("LoadStats after one merged page = %+v, want one batch of 20 rows", got)
		}
		next, err := byTitle.Merge(tx, ks, Page[Post]{Backward: true, Limit: 20, After: &page[19]})
		if err != nil {
			return err
		}
		if len(next) != 20 || next[0].Title != "t" || next[0].ID >= page[19].ID {
			t.Errorf("the next page: %v", next)
		}
		other := Post{ID: 205, UserID: 2, Title: "f"}
		if _, err := byTitle.Page(tx, 1, Page[Post]{After: &other}); !errors.Is(err, ErrLazyLoad) {
			t.Errorf("Ordering.Page in strict mode: %v, want ErrLazyLoad", err)
		}
		return nil
	})
	if !errors.Is(err, ErrLazyLoad) {
		t.Fatalf("View: %v, want the recorded ErrLazyLoad", err)
	}
	mustView(t, db.Fork(Strict(false)), func(tx *Tx) error {
		other := Post{ID: 205, UserID: 2, Title: "f"}
		if _, err := byTitle.Page(tx, 1, Page[Post]{After: &other}); !errors.Is(err, ErrInvalid) {
			t.Errorf("a cursor of another parent: %v, want ErrInvalid", err)
		}
		return nil
	})
}
