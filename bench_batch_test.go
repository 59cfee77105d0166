package memrel_test

import (
	"fmt"
	"testing"

	"github.com/memrel/memrel"
)

// BenchmarkBatch compares an eager load of a batch of parents with the N+1
// loop it replaces, at every batch size: eager must never cost more time or
// bytes than lazy, however small the batch.
//
//	go test -run '^$' -bench Batch -benchmem -count 6 | tee batch.txt
//	benchstat -col /strategy batch.txt
//
// The store holds 10,000 users with 10 posts each; a batch is the first n
// users. Both strategies check their count and checksum once before timing.
func BenchmarkBatch(b *testing.B) {
	blog := memrel.NewBlog(b, memrel.DefaultRules()).Fill(b, 10_000, 10, 0, 0)
	tx, err := blog.DB.BeginRead()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Abort()
	users, err := collect(blog.Users.All(tx), tx)
	if err != nil {
		b.Fatal(err)
	}
	posts := memrel.Many(blog.Author)
	lazy := func(batch []memrel.User) (n, sum int64) {
		for _, u := range batch {
			ps, err := blog.Author.ListChildren(tx, u.ID)
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range ps {
				n++
				sum += p.ID
			}
		}
		return n, sum
	}
	eager := func(batch []memrel.User) (n, sum int64) {
		res, err := memrel.Eager(tx, batch, posts)
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range batch {
			for _, p := range posts.Of(res, u) {
				n++
				sum += p.ID
			}
		}
		return n, sum
	}
	for _, size := range []int{1, 10, 100, 1000, 10_000} {
		batch := users[:size]
		wantN, wantSum := lazy(batch)
		if wantN != int64(10*size) {
			b.Fatalf("batch of %d: %d posts, want %d", size, wantN, 10*size)
		}
		for _, s := range []struct {
			name string
			run  func([]memrel.User) (int64, int64)
		}{{"lazy", lazy}, {"eager", eager}} {
			b.Run(fmt.Sprintf("parents=%d/strategy=%s", size, s.name), func(b *testing.B) {
				if n, sum := s.run(batch); n != wantN || sum != wantSum {
					b.Fatalf("%s: %d posts, checksum %d; want %d, %d", s.name, n, sum, wantN, wantSum)
				}
				b.ReportAllocs()
				for b.Loop() {
					s.run(batch)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/parent")
			})
		}
	}
}

// collect gathers a sequence, and the error its transaction recorded.
func collect[T any](seq func(func(T) bool), tx *memrel.Tx) ([]T, error) {
	var out []T
	for v := range seq {
		out = append(out, v)
	}
	return out, tx.Err()
}
