package memrel_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/memrel/memrel"
)

// BenchmarkWriteThenLoad is what a test does with a large fixture: fork
// the store, write one row, load. Per iteration: a fork, a one-row Update,
// then the first eager load of the fork: one user's posts (load=one-user:
// its cost must not grow with the store), or every user's (load=all-users:
// the join index the write made stale is patched with the commit's change,
// not rebuilt from the whole index). load=all-users-current is that load
// with no write before it, its join index current: the floor.
func BenchmarkWriteThenLoad(b *testing.B) {
	for _, posts := range []int{1_000, 100_000, 1_000_000} {
		users := posts / 10
		bl := memrel.NewBlog(b, memrel.DefaultRules()).Fill(b, users, 10, 1, 0)
		one := []memrel.User{{ID: int64(users / 2)}}
		many := memrel.Many(bl.Author)
		loadOne := func(tx *memrel.Tx) (int, error) {
			res, err := memrel.Eager(tx, one, many)
			return len(many.Of(res, one[0])), err
		}
		loadAll := func(tx *memrel.Tx) (int, error) {
			us, res, err := memrel.EagerAll(tx, bl.Users, many)
			n := 0
			for _, u := range us {
				n += len(many.Of(res, u))
			}
			return n, err
		}
		_ = bl.DB.View(func(tx *memrel.Tx) error { _, err := loadAll(tx); return err }) // the join index the forks share
		runtime.GC()
		for _, c := range []struct {
			name  string
			write bool
			load  func(tx *memrel.Tx) (int, error)
			want  int // posts loaded
		}{
			{"one-user", true, loadOne, 10},
			{"all-users", true, loadAll, posts + 1},
			{"all-users-current", false, loadAll, posts},
		} {
			b.Run(fmt.Sprintf("posts=%d/load=%s", posts, c.name), func(b *testing.B) {
				run := func() int {
					db := bl.DB.Fork()
					if c.write {
						err := db.Update(func(tx *memrel.Tx) error {
							_, err := bl.Posts.Insert(tx, memrel.Post{Title: "new", UserID: 1})
							return err
						})
						if err != nil {
							b.Fatal(err)
						}
					}
					var n int
					err := db.View(func(tx *memrel.Tx) (err error) { n, err = c.load(tx); return err })
					if err != nil {
						b.Fatal(err)
					}
					return n
				}
				if got := run(); got != c.want {
					b.Fatalf("loaded %d posts, want %d", got, c.want)
				}
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					run()
					n++
				}
				perItem(b, n, c.want, "post")
			})
		}
	}
}
