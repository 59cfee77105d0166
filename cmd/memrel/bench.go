package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/memrel/memrel"
)

const benchUsage = `usage: memrel bench [-users N] [-posts N] [-tags N] [-per N] [-time D] [-json | -gobench]

Each operation of the workload runs repeatedly until its timed runs add up
to -time (preparing a fresh store for a run is not timed). The table and
-json report time, allocations and bytes per item the operation handles
(per post, per post-tag pair, ...) and, in -json, per run as well;
-gobench prints Go benchmark lines (ns/op, ns per item, B/op, allocs/op)
for benchstat. An operation that handles no items (every post operation
with -posts 0, every pair operation with -per 0) is still run, but has no
per-item figures: the table shows -, -json gives 0 items and 0 per item,
and -gobench prints only its per-run figures.

flags:
`

// benchResult is one measured operation: per run, and per item handled.
// Items is what one run handles; the per-item figures are 0 when it is 0.
type benchResult struct {
	Op            string  `json:"op"`
	Name          string  `json:"name"` // in Go benchmark form, without "Benchmark"
	Unit          string  `json:"unit"`
	Items         int     `json:"items"`
	Runs          int     `json:"runs"`
	NsPerRun      float64 `json:"ns_per_run"`
	AllocsPerRun  float64 `json:"allocs_per_run"`
	BytesPerRun   float64 `json:"bytes_per_run"`
	NsPerItem     float64 `json:"ns_per_item"`
	AllocsPerItem float64 `json:"allocs_per_item"`
	BytesPerItem  float64 `json:"bytes_per_item"`

	ns, allocs, bytes uint64 // totals over the runs
}

// benchCase is one operation of the workload. run does the work once, on
// target or, if setup is set, on a store setup prepares before each run
// (untimed); it returns how many items it handled and a checksum.
type benchCase struct {
	op, name, unit string
	target         *blog
	setup          func() *blog
	run            func(b *blog) (items int, sum int64, err error)
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("memrel bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	users := fs.Int("users", 1000, "users in the workload")
	posts := fs.Int("posts", 10, "posts per user")
	tags := fs.Int("tags", 100, "tags")
	per := fs.Int("per", 3, "tags per post")
	benchtime := fs.Duration("time", time.Second, "how long to run each operation")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	goBench := fs.Bool("gobench", false, "print Go benchmark lines instead of a table, for benchstat")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "memrel bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *users < 1 || *posts < 0 || *tags < 1 || *per < 0 || *per > *tags || *benchtime <= 0:
		fmt.Fprintln(stderr, "memrel bench: -users and -tags must be at least 1, -posts and -per at least 0, -per at most -tags, -time positive")
		return 2
	case *asJSON && *goBench:
		fmt.Fprintln(stderr, "memrel bench: -json and -gobench cannot be combined")
		return 2
	}
	w := workload{users: *users, posts: *posts, tags: *tags, per: *per}
	results, err := w.measure(*benchtime, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "memrel bench: %v\n", err)
		return 1
	}
	var out bytes.Buffer
	switch {
	case *asJSON:
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		err = enc.Encode(results)
	case *goBench:
		w.writeGoBench(&out, results)
	default:
		w.writeTable(&out, results)
	}
	if err == nil {
		_, err = stdout.Write(out.Bytes())
	}
	if err != nil {
		fmt.Fprintf(stderr, "memrel bench: writing the results: %v\n", err)
		return 1
	}
	return 0
}

func (w workload) writeTable(out io.Writer, results []benchResult) {
	fmt.Fprintf(out, "memrel workload: %d users x %d posts, %d tags, %d tags per post\n\n", w.users, w.posts, w.tags, w.per)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tper\tns\tallocs\tbytes\t")
	for _, r := range results {
		if r.Items == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t\n", r.Op, r.Unit)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.2f\t%.0f\t\n", r.Op, r.Unit, r.NsPerItem, r.AllocsPerItem, r.BytesPerItem)
	}
	tw.Flush()
}

// benchPkg is the package named in -gobench output.
const benchPkg = "github.com/memrel/memrel/cmd/memrel"

// writeGoBench prints results in the Go benchmark format that go test
// -bench prints and benchstat reads, the workload as configuration lines.
func (w workload) writeGoBench(out io.Writer, results []benchResult) {
	fmt.Fprintf(out, "goos: %s\ngoarch: %s\npkg: %s\n", runtime.GOOS, runtime.GOARCH, benchPkg)
	fmt.Fprintf(out, "users: %d\nposts: %d\ntags: %d\nper: %d\n", w.users, w.posts, w.tags, w.per)
	procs := runtime.GOMAXPROCS(0)
	names := make([]string, len(results))
	width := 0
	for i, r := range results {
		names[i] = "Benchmark" + r.Name
		if procs != 1 {
			names[i] += fmt.Sprintf("-%d", procs)
		}
		width = max(width, len(names[i]))
	}
	for i, r := range results {
		var line strings.Builder
		fmt.Fprintf(&line, "%-*s\t%8d\t", width, names[i], r.Runs)
		metric(&line, r.NsPerRun, "ns/op")
		if r.Items > 0 {
			line.WriteByte('\t')
			metric(&line, r.NsPerItem, "ns/"+r.Unit)
		}
		fmt.Fprintf(&line, "\t%8d B/op\t%8d allocs/op\n", r.bytes/uint64(r.Runs), r.allocs/uint64(r.Runs))
		io.WriteString(out, line.String())
	}
}

// metric writes x and its unit as go test does: whole numbers in ten
// places, smaller ones to four significant figures, decimal points aligned.
func metric(b *strings.Builder, x float64, unit string) {
	var format string
	switch y := math.Abs(x); {
	case y == 0 || y >= 999.95:
		format = "%10.0f %s"
	case y >= 99.995:
		format = "%12.1f %s"
	case y >= 9.9995:
		format = "%13.2f %s"
	case y >= 0.99995:
		format = "%14.3f %s"
	case y >= 0.099995:
		format = "%15.4f %s"
	case y >= 0.0099995:
		format = "%16.5f %s"
	case y >= 0.00099995:
		format = "%17.6f %s"
	default:
		format = "%18.7f %s"
	}
	fmt.Fprintf(b, format, x, unit)
}

type workload struct{ users, posts, tags, per int }

// dataset builds the workload's rows.
func (w workload) dataset() *dataset {
	d := &dataset{}
	for u := 1; u <= w.users; u++ {
		d.Users = append(d.Users, User{ID: int64(u), Name: fmt.Sprint("user", u), Email: fmt.Sprint("user", u, "@example.com")})
	}
	for t := 1; t <= w.tags; t++ {
		d.Tags = append(d.Tags, Tag{ID: int64(t), Name: fmt.Sprint("tag", t)})
	}
	id := int64(0)
	for u := 1; u <= w.users; u++ {
		for range w.posts {
			id++
			d.Posts = append(d.Posts, Post{ID: id, Title: fmt.Sprint("post", id), UserID: int64(u)})
		}
	}
	for p := int64(1); p <= id; p++ {
		for k := range w.per {
			d.PostTags = append(d.PostTags, PostTag{PostID: p, TagID: (p+int64(k)*7)%int64(w.tags) + 1})
		}
	}
	return d
}

func (w workload) measure(benchtime time.Duration, progress io.Writer) ([]benchResult, error) {
	d := w.dataset()
	loaded, err := openBlog()
	if err != nil {
		return nil, err
	}
	if err := loaded.Load(d); err != nil {
		return nil, err
	}
	fork := func() *blog { c := *loaded; c.DB = loaded.DB.Fork(); return &c }
	// The same store keeping no join indexes: every eager load is a first.
	noJoins := &blog{}
	*noJoins = *loaded
	noJoins.DB = loaded.DB.Fork(memrel.KeepJoinIndexes(false))
	nPosts, nPairs := len(d.Posts), len(d.PostTags)
	view := func(b *blog, fn func(tx *memrel.Tx) (int, int64, error)) (n int, sum int64, err error) {
		err = b.DB.View(func(tx *memrel.Tx) error { n, sum, err = fn(tx); return err })
		return
	}
	eagerPosts := func(b *blog) (int, int64, error) {
		return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
			posts := memrel.Many(b.Author)
			users, res, err := memrel.EagerAll(tx, b.Users, posts)
			for _, u := range users {
				for _, p := range posts.Of(res, u) {
					n++
					sum += p.ID
				}
			}
			return n, sum, err
		})
	}
	eagerTags := func(b *blog) (int, int64, error) {
		return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
			tags := b.Tagging.LoadRights()
			posts, res, err := memrel.EagerAll(tx, b.Posts, tags)
			for _, p := range posts {
				for range tags.Of(res, p) {
					n++
					sum += p.ID
				}
			}
			return n, sum, err
		})
	}
	cases := []benchCase{
		{op: "load (FK-checked insert)", name: "Load", unit: "row", run: func(*blog) (int, int64, error) {
			b, err := openBlog()
			if err != nil {
				return 0, 0, err
			}
			return len(d.Users) + len(d.Tags) + nPosts + nPairs, 0, b.Load(d)
		}},
		{op: "lazy user -> posts (N+1)", name: "UserPosts/lazy", unit: "post", target: loaded, run: func(b *blog) (int, int64, error) {
			return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
				for u := range b.Users.All(tx) {
					for p := range b.Author.Children(tx, u.ID) {
						n++
						sum += p.ID
					}
				}
				return
			})
		}},
		{op: "eager users with posts", name: "UserPosts/eager", unit: "post", target: loaded, run: eagerPosts},
		{op: "eager users with posts, first load", name: "UserPosts/eager_first_load", unit: "post", target: noJoins, run: eagerPosts},
		{op: "reverse post -> author", name: "PostAuthor", unit: "post", target: loaded, run: func(b *blog) (int, int64, error) {
			return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
				for p := range b.Posts.All(tx) {
					if _, err := b.Author.Parent(tx, p); err != nil {
						return n, sum, err
					}
					n++
					sum += p.ID
				}
				return
			})
		}},
		{op: "many-to-many post -> tags, lazy (N+1)", name: "PostTags/lazy", unit: "pair", target: loaded, run: func(b *blog) (int, int64, error) {
			return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
				for p := range b.Posts.All(tx) {
					for range b.Tagging.Rights(tx, p.ID) {
						n++
						sum += p.ID
					}
				}
				return
			})
		}},
		{op: "many-to-many post -> tags, eager", name: "PostTags/eager", unit: "pair", target: loaded, run: eagerTags},
		{op: "many-to-many post -> tags, eager, first load", name: "PostTags/eager_first_load", unit: "pair", target: noJoins, run: eagerTags},
		{op: "cascade delete user (own transaction)", name: "CascadeDeleteUser", unit: "user", setup: fork, run: func(b *blog) (int, int64, error) {
			for u := range w.users {
				if err := b.DB.Update(func(tx *memrel.Tx) error { return b.Users.Delete(tx, int64(u+1)) }); err != nil {
					return 0, 0, err
				}
			}
			return w.users, 0, nil
		}},
		{op: "rejected FK violation", name: "RejectedFK", unit: "rejection", target: loaded, run: func(b *blog) (int, int64, error) {
			tx, err := b.DB.BeginWrite()
			if err != nil {
				return 0, 0, err
			}
			defer tx.Abort()
			for range 100 {
				if _, err := b.Posts.Insert(tx, Post{UserID: int64(w.users + 1)}); !errors.Is(err, memrel.ErrForeignKey) {
					return 0, 0, fmt.Errorf("a post by a missing user: %v", err)
				}
			}
			return 100, 0, nil
		}},
		{op: "per-test fork (snapshot + one write)", name: "Fork", unit: "fork", target: loaded, run: func(b *blog) (int, int64, error) {
			f := b.DB.Fork()
			return 1, 0, f.Update(func(tx *memrel.Tx) error {
				_, err := b.Posts.Insert(tx, Post{Title: "fork", UserID: 1})
				return err
			})
		}},
	}
	want := map[string]int{"post": nPosts, "pair": nPairs}
	var results []benchResult
	for i, c := range cases {
		fmt.Fprintf(progress, "memrel bench: %d/%d %s\n", i+1, len(cases), c.op)
		// Check the result once before timing it.
		items, _, err := c.run(c.store())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.op, err)
		}
		if n, ok := want[c.unit]; ok && items != n {
			return nil, fmt.Errorf("%s: visited %d, want %d", c.op, items, n)
		}
		r, err := c.measure(benchtime)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.op, err)
		}
		r.Items = items
		if items > 0 {
			all := float64(r.Runs) * float64(items)
			r.NsPerItem = float64(r.ns) / all
			r.AllocsPerItem = float64(r.allocs) / all
			r.BytesPerItem = float64(r.bytes) / all
		}
		results = append(results, r)
	}
	return results, nil
}

// store returns the store for one run of c.
func (c benchCase) store() *blog {
	if c.setup != nil {
		return c.setup()
	}
	return c.target
}

// maxRuns bounds the runs of one round, as go test does.
const maxRuns = 1e9

// measure runs c in rounds of a growing number of runs, as go test -bench
// does, until a round's timed runs take at least benchtime, and reports
// that round per run.
func (c benchCase) measure(benchtime time.Duration) (benchResult, error) {
	n := 1
	for {
		elapsed, allocs, bytes, err := c.round(n)
		if err != nil {
			return benchResult{}, err
		}
		if elapsed >= benchtime || n >= maxRuns {
			return benchResult{
				Op: c.op, Name: c.name, Unit: c.unit, Runs: n,
				NsPerRun:     float64(elapsed.Nanoseconds()) / float64(n),
				AllocsPerRun: float64(allocs) / float64(n),
				BytesPerRun:  float64(bytes) / float64(n),
				ns:           uint64(elapsed.Nanoseconds()), allocs: allocs, bytes: bytes,
			}, nil
		}
		n = nextRuns(benchtime, n, elapsed)
	}
}

// nextRuns predicts how many runs will take benchtime from n runs having
// taken elapsed: 1.2 times the estimate, at most 100 times n, at least
// n+1, and at most maxRuns.
func nextRuns(benchtime time.Duration, n int, elapsed time.Duration) int {
	prev := max(float64(elapsed.Nanoseconds()), 1)
	next := float64(benchtime.Nanoseconds()) * float64(n) / prev
	next += next / 5
	next = min(next, 100*float64(n))
	next = max(next, float64(n)+1)
	return int(min(next, maxRuns))
}

// round runs c n times and returns the time, allocations and bytes
// allocated of the runs, leaving out setup.
func (c benchCase) round(n int) (elapsed time.Duration, allocs, bytes uint64, err error) {
	var before, after runtime.MemStats
	runtime.GC()
	if c.setup == nil {
		runtime.ReadMemStats(&before)
		start := time.Now()
		for range n {
			if _, _, err := c.run(c.target); err != nil {
				return 0, 0, 0, err
			}
		}
		elapsed = time.Since(start)
		runtime.ReadMemStats(&after)
		return elapsed, after.Mallocs - before.Mallocs, after.TotalAlloc - before.TotalAlloc, nil
	}
	for range n {
		target := c.setup()
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, _, err := c.run(target)
		elapsed += time.Since(start)
		runtime.ReadMemStats(&after)
		if err != nil {
			return 0, 0, 0, err
		}
		allocs += after.Mallocs - before.Mallocs
		bytes += after.TotalAlloc - before.TotalAlloc
	}
	return elapsed, allocs, bytes, nil
}
