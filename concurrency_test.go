package memrel

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scale runs the tests that have a large size at it (CI runs them so once,
// without -race); by default they run at a tenth of it or less.
var scale = flag.Bool("scale", false, "run the scale tests at full size (a million reads beside 100,000 writes)")

// One writer and several readers at once. The writer makes 10,000 writes
// (100,000 with -scale): users with posts and comments, and deletes that
// cascade through them. Readers, through View and through snapshots, make
// at least 100,000 reads (1,000,000); each read checks that every post it
// sees has its author and every comment its post in the same view, and
// every 2,000th read runs Verify on the whole view. Under -race (CI runs
// it so) this also checks memrel's own synchronisation.
func TestConcurrentReadersAndWriterAtScale(t *testing.T) {
	writes, reads := 10_000, int64(100_000)
	if *scale {
		writes, reads = 100_000, 1_000_000
	}
	b := NewBlog(t, DefaultRules())
	goroutines := runtime.NumGoroutine()

	var done atomic.Bool
	var readCount atomic.Int64
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	reader := func(id int, snapshots bool) {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(uint64(id), 7))
		for n := 0; ; n++ {
			if done.Load() && readCount.Load() >= reads {
				return
			}
			db := b.DB
			if snapshots && n%100 == 0 {
				db = b.DB.Fork()
			}
			err := db.View(func(tx *Tx) error {
				u := int64(1 + rng.IntN(2000))
				for p := range b.Author.Children(tx, u) {
					if ok, _ := b.Users.Has(tx, p.UserID); !ok {
						return fmt.Errorf("post %d has no author %d", p.ID, p.UserID)
					}
					for c := range b.OnPost.Children(tx, p.ID) {
						if c.PostID != p.ID {
							return fmt.Errorf("comment %d is on post %d, not %d", c.ID, c.PostID, p.ID)
						}
					}
				}
				if n%2000 == 0 {
					return tx.Verify()
				}
				return nil
			})
			readCount.Add(1)
			if err != nil {
				errs <- err
				return
			}
		}
	}
	for i := range 3 {
		wg.Add(1)
		go reader(i, i == 2)
	}

	// The writer: every step is one write transaction with one operation.
	rng := rand.New(rand.NewPCG(42, 42))
	next := int64(0)
	written := 0
	for written < writes {
		var err error
		switch k := rng.IntN(10); {
		case k < 3 || next < 50:
			next++
			err = b.DB.Update(func(tx *Tx) error {
				_, err := b.Users.Insert(tx, User{ID: next, Email: fmt.Sprint(next)})
				return err
			})
		case k < 8:
			u := next - int64(rng.IntN(40))
			err = b.DB.Update(func(tx *Tx) error {
				if ok, _ := b.Users.Has(tx, u); !ok {
					return nil
				}
				p, err := b.Posts.Insert(tx, Post{UserID: u})
				if err != nil {
					return err
				}
				_, err = b.Comments.Insert(tx, Comment{PostID: p.ID})
				return err
			})
		default:
			u := next - 20 - int64(rng.IntN(40))
			err = b.DB.Update(func(tx *Tx) error {
				if err := b.Users.Delete(tx, u); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
				return nil
			})
		}
		if err != nil {
			t.Fatal(err)
		}
		written++
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	verify(t, b.DB)
	t.Logf("%d writes, %d reads", written, readCount.Load())
	if readCount.Load() < reads {
		t.Errorf("only %d reads", readCount.Load())
	}
	// No goroutine outlives the test (there are none behind watches or
	// iterators to leak).
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("goroutines: %d before, %d after", goroutines, n)
	}
}
