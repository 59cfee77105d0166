package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/memrel/memrel"
)

// benchResult is one measured operation, per item.
type benchResult struct {
	Op            string  `json:"op"`
	Unit          string  `json:"unit"`
	Items         int     `json:"items"`
	NsPerItem     float64 `json:"ns_per_item"`
	AllocsPerItem float64 `json:"allocs_per_item"`
	BytesPerItem  float64 `json:"bytes_per_item"`
}

// benchCase is one operation of the workload: setup is not timed; run does
// the work once and returns how many items it handled and a checksum.
type benchCase struct {
	op, unit string
	setup    func() *blog
	run      func(b *blog) (items int, sum int64, err error)
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
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: memrel bench [-users N] [-posts N] [-tags N] [-per N] [-time D] [-json]\n\n")
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
	}
	w := workload{users: *users, posts: *posts, tags: *tags, per: *per}
	results, err := w.measure(*benchtime, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "memrel bench: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "memrel workload: %d users x %d posts, %d tags, %d tags per post\n\n", w.users, w.posts, w.tags, w.per)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tper\tns\tallocs\tbytes\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%.1f\t%.2f\t%.0f\t\n", r.Op, r.Unit, r.NsPerItem, r.AllocsPerItem, r.BytesPerItem)
	}
	tw.Flush()
	return 0
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
	if err := loaded.load(d); err != nil {
		return nil, err
	}
	same := func() *blog { return loaded }
	fork := func() *blog { c := *loaded; c.db = loaded.db.Snapshot(); return &c }
	// The same store keeping no join indexes: every eager load is a first.
	noJoins := fork()
	noJoins.db.KeepJoinIndexes(false)
	firstLoad := func() *blog { return noJoins }
	nPosts, nPairs := len(d.Posts), len(d.PostTags)
	view := func(b *blog, fn func(tx *memrel.Tx) (int, int64, error)) (n int, sum int64, err error) {
		err = b.db.View(func(tx *memrel.Tx) error { n, sum, err = fn(tx); return err })
		return
	}
	eagerPosts := func(b *blog) (int, int64, error) {
		return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
			all, err := memrel.EagerAll(tx, b.users, memrel.Many(b.author))
			for _, u := range all {
				for _, p := range u.Loaded {
					n++
					sum += p.ID
				}
			}
			return n, sum, err
		})
	}
	eagerTags := func(b *blog) (int, int64, error) {
		return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
			all, err := memrel.EagerAll(tx, b.posts, b.tagging.LoadRights())
			for _, p := range all {
				for range p.Loaded {
					n++
					sum += p.Row.ID
				}
			}
			return n, sum, err
		})
	}
	cases := []benchCase{
		{"load (FK-checked insert)", "row", func() *blog { return nil }, func(*blog) (int, int64, error) {
			b, err := openBlog()
			if err != nil {
				return 0, 0, err
			}
			return len(d.Users) + len(d.Tags) + nPosts + nPairs, 0, b.load(d)
		}},
		{"lazy user -> posts (N+1)", "post", same, func(b *blog) (int, int64, error) {
			return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
				for u := range b.users.All(tx) {
					for p := range b.author.Children(tx, u.ID) {
						n++
						sum += p.ID
					}
				}
				return
			})
		}},
		{"eager users with posts", "post", same, eagerPosts},
		{"eager users with posts, first load", "post", firstLoad, eagerPosts},
		{"reverse post -> author", "post", same, func(b *blog) (int, int64, error) {
			return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
				for p := range b.posts.All(tx) {
					if _, err := b.author.Parent(tx, p); err != nil {
						return n, sum, err
					}
					n++
					sum += p.ID
				}
				return
			})
		}},
		{"many-to-many post -> tags, lazy (N+1)", "pair", same, func(b *blog) (int, int64, error) {
			return view(b, func(tx *memrel.Tx) (n int, sum int64, err error) {
				for p := range b.posts.All(tx) {
					for range b.tagging.Rights(tx, p.ID) {
						n++
						sum += p.ID
					}
				}
				return
			})
		}},
		{"many-to-many post -> tags, eager", "pair", same, eagerTags},
		{"many-to-many post -> tags, eager, first load", "pair", firstLoad, eagerTags},
		{"cascade delete user (own transaction)", "user", fork, func(b *blog) (int, int64, error) {
			for u := range w.users {
				if err := b.db.Update(func(tx *memrel.Tx) error { return b.users.Delete(tx, int64(u+1)) }); err != nil {
					return 0, 0, err
				}
			}
			return w.users, 0, nil
		}},
		{"rejected FK violation", "rejection", same, func(b *blog) (int, int64, error) {
			tx := b.db.BeginWrite()
			defer tx.Abort()
			for range 100 {
				if _, err := b.posts.Insert(tx, Post{UserID: int64(w.users + 1)}); !errors.Is(err, memrel.ErrForeignKey) {
					return 0, 0, fmt.Errorf("a post by a missing user: %v", err)
				}
			}
			return 100, 0, nil
		}},
		{"per-test fork (snapshot + one write)", "fork", same, func(b *blog) (int, int64, error) {
			f := b.db.Snapshot()
			return 1, 0, f.Update(func(tx *memrel.Tx) error {
				_, err := b.posts.Insert(tx, Post{Title: "fork", UserID: 1})
				return err
			})
		}},
	}
	var want = map[string]int{"post": nPosts, "pair": nPairs}
	testing.Init()
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		return nil, err
	}
	var results []benchResult
	for i, c := range cases {
		fmt.Fprintf(progress, "memrel bench: %d/%d %s\n", i+1, len(cases), c.op)
		// Check the result once before timing it.
		items, _, err := c.run(c.setup())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.op, err)
		}
		if n, ok := want[c.unit]; ok && items != n {
			return nil, fmt.Errorf("%s: visited %d, want %d", c.op, items, n)
		}
		var runErr error
		r := testing.Benchmark(func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				target := c.setup()
				b.StartTimer()
				if _, _, err := c.run(target); err != nil {
					runErr = err
				}
			}
		})
		if runErr != nil {
			return nil, fmt.Errorf("%s: %w", c.op, runErr)
		}
		per := float64(r.N * items)
		results = append(results, benchResult{
			Op: c.op, Unit: c.unit, Items: items,
			NsPerItem:     float64(r.T.Nanoseconds()) / per,
			AllocsPerItem: float64(r.MemAllocs) / per,
			BytesPerItem:  float64(r.MemBytes) / per,
		})
	}
	return results, nil
}
