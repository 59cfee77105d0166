package bench

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	iradix "github.com/hashicorp/go-immutable-radix"
	"github.com/memrel/memrel"
)

// check runs every read of e and compares it with the workload.
func check(e engine, w *workload) error {
	for name, read := range map[string]func() (int64, int64, error){"lazy": e.lazy, "eager": e.eager, "reverse": e.reverse} {
		n, sum, err := read()
		if err != nil {
			return err
		}
		if n != int64(len(w.posts)) || sum != w.postSum {
			return errorf("%s: %d posts, checksum %d; want %d, %d", name, n, sum, len(w.posts), w.postSum)
		}
	}
	n, sum, err := e.postTags()
	if err != nil {
		return err
	}
	if n != int64(len(w.postTags)) || sum != w.pairSum {
		return errorf("postTags: %d pairs, checksum %d; want %d, %d", n, sum, len(w.postTags), w.pairSum)
	}
	if err := e.reject(); !errors.Is(err, errRejected) {
		return errorf("a post by a missing user: %v, want it rejected", err)
	}
	return nil
}

func errorf(format string, args ...any) error {
	return errors.New(strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// Every engine reads the workload back the same, rejects a dangling
// foreign key, cascades a delete, and forks without changing the store.
func TestEngines(t *testing.T) {
	w := newWorkload(50, 4, 10, 3)
	for _, en := range engines {
		t.Run(en.name, func(t *testing.T) {
			e := en.new()
			defer e.close()
			if err := e.load(w); err != nil {
				t.Fatal(err)
			}
			if err := check(e, w); err != nil {
				t.Fatal(err)
			}
			if err := e.fork(); err != nil {
				t.Fatal(err)
			}
			if err := check(e, w); err != nil {
				t.Fatalf("after a fork: %v", err)
			}
			if err := e.deleteUser(3); err != nil {
				t.Fatal(err)
			}
			n, _, err := e.lazy()
			if err != nil || n != int64(len(w.posts)-4) {
				t.Fatalf("after deleting user 3: %d posts (%v), want %d", n, err, len(w.posts)-4)
			}
			pairs, _, err := e.postTags()
			if err != nil || pairs != int64(len(w.postTags)-4*3) {
				t.Fatalf("after deleting user 3: %d links (%v), want %d", pairs, err, len(w.postTags)-12)
			}
		})
	}
}

// SQLite uses the indexes memrel's comparison assumes.
func TestQueryPlans(t *testing.T) {
	w := newWorkload(10, 2, 3, 1)
	for _, driver := range []string{"sqlite", "sqlite3"} {
		e := &sqlEngine{driver: driver}
		if err := e.load(w); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]string{
			queries["posts"]:                           "USING INDEX posts_user",
			queries["author"]:                          "USING INTEGER PRIMARY KEY",
			"DELETE FROM post_tags WHERE post_id = 1":  "USING PRIMARY KEY",
			"SELECT * FROM post_tags WHERE tag_id = 1": "INDEX post_tags_tag",
		} {
			args := []any{}
			if strings.Count(q, "?") == 1 {
				args = append(args, int64(1))
			}
			plan, err := e.queryPlan(q, args...)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(plan, want) {
				t.Errorf("%s: %s: plan %q, want %q", driver, q, plan, want)
			}
		}
		e.close()
	}
}

// read is one of BenchmarkOp's reads: items of unit visited per call.
type read struct {
	op, unit string
	items    int
	read     func() (int64, int64, error)
}

func (r read) bench(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, _, err := r.read(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*r.items), "ns/"+r.unit)
}

// BenchmarkOp runs each operation on each engine; benchstat -col /engine
// puts the engines side by side. Each result is checked before timing.
func BenchmarkOp(b *testing.B) {
	w := newWorkload(*flagUsers, *flagPosts, *flagTags, *flagPer)
	for _, en := range engines {
		e := en.new()
		if err := e.load(w); err != nil {
			b.Fatalf("%s: %v", en.name, err)
		}
		if err := check(e, w); err != nil {
			b.Fatalf("%s: %v", en.name, err)
		}
		runtime.GC()
		reads := []read{
			{"lazy", "post", len(w.posts), e.lazy},
			{"eager", "post", len(w.posts), e.eager},
			{"reverse", "post", len(w.posts), e.reverse},
			{"m2m", "pair", len(w.postTags), e.postTags},
		}
		for _, r := range reads {
			b.Run("op="+r.op+"/engine="+en.name, r.bench)
		}
		// memrel's eager loads again, without the join indexes that the
		// loads above kept: what the first eager load after a write costs.
		if me, ok := e.(*memrelEngine); ok {
			kept := me.db
			me.db = kept.Fork(memrel.KeepJoinIndexes(false))
			if err := check(e, w); err != nil {
				b.Fatalf("%s without join indexes: %v", en.name, err)
			}
			for _, r := range reads {
				if r.op == "eager" || r.op == "m2m" {
					b.Run("op="+r.op+"/engine="+en.name+"-cold", r.bench)
				}
			}
			me.db = kept
		}
		b.Run("op=reject/engine="+en.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := e.reject(); !errors.Is(err, errRejected) {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/reject")
		})
		b.Run("op=fork/engine="+en.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := e.fork(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/fork")
		})
		e.close()
		// Writes: a fresh store each round, outside the timer.
		b.Run("op=load/engine="+en.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				f := en.new()
				if err := f.load(w); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				f.close()
				b.StartTimer()
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*w.rows()), "ns/row")
		})
		b.Run("op=cascade/engine="+en.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				b.StopTimer()
				f := en.new()
				if err := f.load(w); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for _, u := range w.users {
					if err := f.deleteUser(u.ID); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if count, _, err := f.lazy(); err != nil || count != 0 {
					b.Fatalf("%d posts left after deleting every user (%v)", count, err)
				}
				f.close()
				b.StartTimer()
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(w.users)), "ns/user")
		})
	}
}

// BenchmarkLookup splits a point read (a post's author) into its layers:
// the radix tree go-memdb keeps, go-memdb's First on it, memrel's Get, a Go
// map, and SQLite (cgo). The difference between the tree and go-memdb is
// go-memdb's cost per call (it finds the index's tree by name and opens a
// radix transaction for every read), which memrel's reads inherit.
func BenchmarkLookup(b *testing.B) {
	w := newWorkload(*flagUsers, *flagPosts, *flagTags, *flagPer)
	authors := make([]int64, len(w.posts))
	for i, p := range w.posts {
		authors[i] = p.UserID
	}
	tree := iradix.New()
	byID := make(map[int64]*User, len(w.users))
	for i := range w.users {
		tree, _, _ = tree.Insert(enc(w.users[i].ID), &w.users[i])
		byID[w.users[i].ID] = &w.users[i]
	}
	mr, md, sq := &memrelEngine{}, &memdbEngine{}, &sqlEngine{driver: "sqlite3"}
	for _, e := range []engine{mr, md, sq} {
		if err := e.load(w); err != nil {
			b.Fatal(err)
		}
		defer e.close()
	}
	var tx *memrel.Tx
	txn := md.db.Txn(false)
	ways := []struct {
		name   string
		lookup func(id int64) (int64, error)
	}{
		{"radix", func(id int64) (int64, error) {
			v, ok := tree.Get(enc(id))
			if !ok {
				return 0, errorf("no user %d", id)
			}
			return v.(*User).ID, nil
		}},
		{"memdb", func(id int64) (int64, error) {
			o, err := txn.First("users", "id", id)
			if err != nil || o == nil {
				return 0, errorf("no user %d (%v)", id, err)
			}
			return o.(*User).ID, nil
		}},
		{"memrel", func(id int64) (int64, error) {
			u, err := mr.users.Get(tx, id)
			return u.ID, err
		}},
		{"maps", func(id int64) (int64, error) {
			u, ok := byID[id]
			if !ok {
				return 0, errorf("no user %d", id)
			}
			return u.ID, nil
		}},
		{"sqlite-mattn", func(id int64) (int64, error) {
			var u User
			err := sq.stmts["author"].QueryRow(id).Scan(&u.ID, &u.Name, &u.Email)
			return u.ID, err
		}},
	}
	run := func(lookup func(int64) (int64, error)) (sum int64, err error) {
		for _, id := range authors {
			got, err := lookup(id)
			if err != nil {
				return 0, err
			}
			sum += got
		}
		return sum, nil
	}
	var want int64
	for _, id := range authors {
		want += id
	}
	_ = mr.db.View(func(t *memrel.Tx) error {
		tx = t
		for _, way := range ways {
			if sum, err := run(way.lookup); err != nil || sum != want {
				b.Fatalf("%s: checksum %d (%v), want %d", way.name, sum, err, want)
			}
			b.Run("way="+way.name, func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					if _, err := run(way.lookup); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(authors)), "ns/lookup")
			})
		}
		return nil
	})
}
