package bench

import (
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

var flagScale = flag.String("scale", "1000,10000,100000", "user counts for BenchmarkScale (x 10 posts each, no tags)")

// BenchmarkScale shows how memrel's and raw go-memdb's per-item costs grow
// with the store, and what a stored row costs in heap: for each size, lazy,
// eager and reverse reads (per post), a load (per row), cascade deletes of
// a sample of 1,000 users (per user), and heap bytes per row after GC: the
// store's, and for memrel what the join index of its eager loads adds.
func BenchmarkScale(b *testing.B) {
	var sizes []int
	for _, f := range strings.Split(*flagScale, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("-scale: %q is not a user count", f)
		}
		sizes = append(sizes, n)
	}
	for _, users := range sizes {
		w := newWorkload(users, 10, 1, 0)
		for _, en := range engines[:2] { // memrel and memdb
			name := fmt.Sprintf("users=%d/engine=%s", users, en.name)
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			e := en.new()
			if err := e.load(w); err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			var loaded runtime.MemStats
			runtime.ReadMemStats(&loaded)
			perRow := float64(loaded.HeapAlloc-before.HeapAlloc) / float64(w.rows())
			if err := check(e, w); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			b.Run("op=memory/"+name, func(b *testing.B) {
				for b.Loop() {
				}
				b.ReportMetric(perRow, "B/row")
			})
			if _, ok := e.(*memrelEngine); ok {
				// What the join index that the check's eager load kept
				// adds, per row of the store.
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				joins := (float64(after.HeapAlloc) - float64(loaded.HeapAlloc)) / float64(w.rows())
				b.Run("op=joins/"+name, func(b *testing.B) {
					for b.Loop() {
					}
					b.ReportMetric(joins, "B/row")
				})
			}
			for _, r := range []struct {
				op   string
				read func() (int64, int64, error)
			}{{"lazy", e.lazy}, {"eager", e.eager}, {"reverse", e.reverse}} {
				b.Run("op="+r.op+"/"+name, func(b *testing.B) {
					n := 0
					for b.Loop() {
						if _, _, err := r.read(); err != nil {
							b.Fatal(err)
						}
						n++
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(w.posts)), "ns/post")
				})
			}
			e = nil // so that no two large stores are alive at once
			// Cascade deletes of a sample of users, spread over a fresh store.
			sample := min(1000, users)
			b.Run("op=cascade/"+name, func(b *testing.B) {
				n := 0
				for b.Loop() {
					b.StopTimer()
					f := en.new()
					if err := f.load(w); err != nil {
						b.Fatal(err)
					}
					runtime.GC()
					b.StartTimer()
					for i := range sample {
						if err := f.deleteUser(int64(i*users/sample + 1)); err != nil {
							b.Fatal(err)
						}
					}
					if n == 0 { // the sample's posts, and only those, are gone
						b.StopTimer()
						want := int64(len(w.posts) - sample*len(w.posts)/users)
						if count, _, err := f.lazy(); err != nil || count != want {
							b.Fatalf("%d posts left after deleting %d users (%v), want %d", count, sample, err, want)
						}
						b.StartTimer()
					}
					n++
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*sample), "ns/user")
			})
			b.Run("op=load/"+name, func(b *testing.B) {
				n := 0
				for b.Loop() {
					f := en.new()
					if err := f.load(w); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*w.rows()), "ns/row")
			})
		}
	}
}
