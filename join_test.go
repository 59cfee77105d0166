package memrel_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

// eagerState is what every eager strategy loads, for comparing with lazy
// navigation in the same transaction.
type eagerState struct {
	Posts     map[int64][]memrel.Post // user -> posts
	Tags      map[int64][]memrel.Tag  // post -> tags
	TaggedAs  map[int64][]memrel.Post // tag -> posts
	BatchTags map[int64][]memrel.Tag  // post -> tags, for a batch of posts
}

// eagerNow loads b with EagerAll both ways and with Eager on a batch.
func eagerNow(tb testing.TB, b *memrel.Blog, tx *memrel.Tx) eagerState {
	tb.Helper()
	s := eagerState{map[int64][]memrel.Post{}, map[int64][]memrel.Tag{}, map[int64][]memrel.Post{}, map[int64][]memrel.Tag{}}
	posts := memrel.Many(b.Author)
	users, res, err := memrel.EagerAll(tx, b.Users, posts)
	if err != nil {
		tb.Fatal(err)
	}
	for _, u := range users {
		s.Posts[u.ID] = posts.Of(res, u)
	}
	tags := b.Tagging.LoadRights()
	allPosts, res, err := memrel.EagerAll(tx, b.Posts, tags)
	if err != nil {
		tb.Fatal(err)
	}
	var batch []memrel.Post
	for i, p := range allPosts {
		s.Tags[p.ID] = tags.Of(res, p)
		if i%3 == 0 {
			batch = append(batch, p)
		}
	}
	tagged := b.Tagging.LoadLefts()
	allTags, res, err := memrel.EagerAll(tx, b.Tags, tagged)
	if err != nil {
		tb.Fatal(err)
	}
	for _, t := range allTags {
		s.TaggedAs[t.ID] = tagged.Of(res, t)
	}
	res, err = memrel.Eager(tx, batch, tags)
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range batch {
		s.BatchTags[p.ID] = tags.Of(res, p)
	}
	return s
}

// lazyNow builds the same state by lazy navigation.
func lazyNow(b *memrel.Blog, tx *memrel.Tx) eagerState {
	s := eagerState{map[int64][]memrel.Post{}, map[int64][]memrel.Tag{}, map[int64][]memrel.Post{}, map[int64][]memrel.Tag{}}
	collect := func(seq func(func(memrel.Post) bool)) (out []memrel.Post) {
		for p := range seq {
			out = append(out, p)
		}
		return
	}
	i := 0
	for u := range b.Users.All(tx) {
		s.Posts[u.ID] = collect(b.Author.Children(tx, u.ID))
	}
	for p := range b.Posts.All(tx) {
		var ts []memrel.Tag
		for t := range b.Tagging.Rights(tx, p.ID) {
			ts = append(ts, t)
		}
		s.Tags[p.ID] = ts
		if i%3 == 0 {
			s.BatchTags[p.ID] = ts
		}
		i++
	}
	for t := range b.Tags.All(tx) {
		s.TaggedAs[t.ID] = collect(b.Tagging.Lefts(tx, t.ID))
	}
	return s
}

// checkEager compares eager loading with lazy navigation in tx.
func checkEager(t *testing.T, b *memrel.Blog, tx *memrel.Tx, when string) {
	t.Helper()
	if diff := cmp.Diff(lazyNow(b, tx), eagerNow(t, b, tx)); diff != "" {
		t.Errorf("%s: eager differs from lazy (-lazy +eager):\n%s", when, diff)
	}
}

func viewCheck(t *testing.T, b *memrel.Blog, when string) {
	t.Helper()
	if err := b.DB.View(func(tx *memrel.Tx) error { checkEager(t, b, tx, when); return nil }); err != nil {
		t.Fatal(err)
	}
}

// Eager loading reads join indexes that it builds and keeps between
// transactions; every write must be seen, by the writer at once and by
// every later reader, and no reader may see a later snapshot's rows.
func TestJoinIndexesFollowWrites(t *testing.T) {
	for _, pair := range []bool{false, true} {
		t.Run(fmt.Sprintf("pair=%v", pair), func(t *testing.T) {
			r := memrel.DefaultRules()
			r.PairTags = pair
			b := memrel.NewBlog(t, r).Fill(t, 30, 4, 12, 3)
			viewCheck(t, b, "first load")
			viewCheck(t, b, "second load")

			// A writer sees the join indexes before it writes and its own
			// writes after.
			before := map[int64]string{}
			memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
				checkEager(t, b, tx, "writer, before writing")
				if _, err := b.Tagging.Link(tx, 1, 12); err != nil {
					return err
				}
				checkEager(t, b, tx, "writer, after a link")
				if _, err := b.Tagging.Unlink(tx, 2, 3); err != nil {
					return err
				}
				if err := b.Posts.Delete(tx, 5); err != nil { // cascades to its links
					return err
				}
				checkEager(t, b, tx, "writer, after an unlink and a cascade")
				return nil
			})
			viewCheck(t, b, "after the writer committed")

			// Changing only the rows at either end of the association
			// keeps its join index, and the loads show the new rows.
			memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
				for tg := range b.Tags.All(tx) {
					before[tg.ID] = tg.Name
					tg.Name += "!"
					if err := b.Tags.Update(tx, tg); err != nil {
						return err
					}
				}
				checkEager(t, b, tx, "writer, after renaming tags")
				for p := range b.Posts.All(tx) {
					p.Title += "!"
					if err := b.Posts.Update(tx, p); err != nil {
						return err
					}
				}
				checkEager(t, b, tx, "writer, after renaming posts")
				return nil
			})
			viewCheck(t, b, "after renaming tags")
			_ = b.DB.View(func(tx *memrel.Tx) error {
				for tg := range b.Tags.All(tx) {
					if tg.Name != before[tg.ID]+"!" {
						t.Errorf("tag %d is %q, want %q", tg.ID, tg.Name, before[tg.ID]+"!")
					}
				}
				return nil
			})

			// A reader that began before a change keeps its snapshot, even
			// after a later reader has rebuilt the join indexes.
			old := memrel.MustTx(b.DB.BeginRead())
			want := lazyNow(b, old)
			memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
				_, err := b.Tagging.Clear(tx, 1)
				return err
			})
			viewCheck(t, b, "after clearing post 1")
			if diff := cmp.Diff(want, eagerNow(t, b, old)); diff != "" {
				t.Errorf("a reader from before the change (-its snapshot +eager):\n%s", diff)
			}
			if len(want.Tags[1]) == 0 {
				t.Error("post 1 had no tags before it was cleared: the test tests nothing")
			}
			old.Abort()
			viewCheck(t, b, "after the old reader rebuilt its own")

			// A snapshot of the store shares its join indexes; the two
			// part when either changes.
			snap := b.DB.Fork()
			sb := *b
			sb.DB = snap
			memrel.MustUpdate(t, snap, func(tx *memrel.Tx) error {
				_, err := b.Tagging.Link(tx, 2, 3)
				return err
			})
			viewCheck(t, &sb, "snapshot after a link")
			viewCheck(t, b, "original after the snapshot's link")
			if err := b.DB.Verify(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Readers loading eagerly while a writer links and unlinks: each sees its
// own snapshot (run with -race).
func TestJoinIndexesConcurrent(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 20, 3, 8, 2)
	var wg, started sync.WaitGroup
	stop := make(chan struct{})
	for r := range 2 {
		wg.Add(1)
		started.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				if n == 1 {
					started.Done()
				}
				select {
				case <-stop:
					if n == 0 {
						started.Done()
					}
					return
				default:
				}
				err := b.DB.View(func(tx *memrel.Tx) error {
					if diff := cmp.Diff(lazyNow(b, tx), eagerNow(t, b, tx)); diff != "" {
						return fmt.Errorf("reader %d, load %d (-lazy +eager):\n%s", r, n, diff)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					if n == 0 {
						started.Done()
					}
					return
				}
			}
		}()
	}
	started.Wait() // every reader has loaded once: the writer races the next
	for n := range 100 {
		post, tag := int64(n%60+1), int64(n%8+1)
		memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
			if n%2 == 0 {
				_, err := b.Tagging.Link(tx, post, tag)
				return err
			}
			_, err := b.Tagging.Unlink(tx, post, tag)
			return err
		})
	}
	close(stop)
	wg.Wait()
}

var joinSeed = flag.Int64("joinseed", 0, "TestJoinIndexesRandom's seed (0: from the clock)")

// Random writes between eager loads, some inside the writer, some from
// readers that began long before: every load equals lazy navigation of the
// same snapshot. The seed is printed; -joinseed replays it.
func TestJoinIndexesRandom(t *testing.T) {
	seed := *joinSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (replay with -joinseed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 12, 3, 6, 2)
	var old []*memrel.Tx // readers left open across writes
	defer func() {
		for _, tx := range old {
			tx.Abort()
		}
	}()
	nextPost := int64(1000)
	for step := range 300 {
		err := b.DB.Update(func(tx *memrel.Tx) error {
			for range 1 + rng.IntN(3) {
				post, tag, user := int64(1+rng.IntN(40)), int64(1+rng.IntN(6)), int64(1+rng.IntN(12))
				var err error
				switch rng.IntN(7) {
				case 0, 1:
					_, err = b.Tagging.Link(tx, post, tag)
				case 2:
					_, err = b.Tagging.Unlink(tx, post, tag)
				case 3:
					err = b.Posts.Delete(tx, post) // cascades to its links
				case 4:
					nextPost++
					_, err = b.Posts.Insert(tx, memrel.Post{ID: nextPost, UserID: user, Title: "new"})
				case 5: // move a post to another author
					if p, gerr := b.Posts.Get(tx, post); gerr == nil {
						p.UserID = user
						err = b.Posts.Update(tx, p)
					}
				case 6:
					if tg, gerr := b.Tags.Get(tx, tag); gerr == nil {
						tg.Name = fmt.Sprint("t", step)
						err = b.Tags.Update(tx, tg)
					}
				}
				if err != nil && !errors.Is(err, memrel.ErrNotFound) && !errors.Is(err, memrel.ErrForeignKey) {
					return err
				}
			}
			if rng.IntN(4) == 0 {
				checkEager(t, b, tx, fmt.Sprintf("step %d, writer", step))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if rng.IntN(2) == 0 {
			viewCheck(t, b, fmt.Sprintf("step %d", step))
		}
		if rng.IntN(10) == 0 {
			old = append(old, memrel.MustTx(b.DB.BeginRead()))
		}
		if len(old) > 0 && rng.IntN(5) == 0 {
			n := rng.IntN(len(old))
			checkEager(t, b, old[n], fmt.Sprintf("step %d, a reader from before", step))
			old[n].Abort()
			old = append(old[:n], old[n+1:]...)
		}
		if t.Failed() {
			return
		}
	}
}
