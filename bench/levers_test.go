package bench

import (
	"fmt"
	"testing"

	"github.com/memrel/memrel"
)

// A link keyed by its own ID, for the id-keyed variant of BenchmarkLevers.
type linkRow struct {
	ID     int64
	PostID int64
	TagID  int64
}

// leverStore is memrel's write path in one of the layouts BenchmarkLevers
// compares.
type leverStore struct {
	db    *memrel.DB
	users *memrel.Table[User, int64]
	posts *memrel.Table[Post, int64]
	count func(tx *memrel.Tx) (int, error) // association rows
}

// openLevers declares the workload's schema with the association keyed by
// the pair (the default) or by an ID of its own with an index on each side,
// and loads w into the store.
func openLevers(w *workload, idKeyed bool) (*leverStore, error) {
	s := memrel.NewSchema()
	l := &leverStore{}
	l.users = memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	l.posts = memrel.NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	tags := memrel.NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	cascade := []memrel.Rule{memrel.OnDelete(memrel.Cascade)}
	memrel.ForeignKey(l.posts, "author", func(p *Post) *int64 { return &p.UserID }, l.users, cascade...)
	var link func(tx *memrel.Tx, pt PostTag) error
	if idKeyed {
		links := memrel.NewTable(s, "post_tags", func(r *linkRow) *int64 { return &r.ID })
		memrel.ForeignKey(links, "post", func(r *linkRow) *int64 { return &r.PostID }, l.posts, cascade...)
		memrel.ForeignKey(links, "tag", func(r *linkRow) *int64 { return &r.TagID }, tags, cascade...)
		link = func(tx *memrel.Tx, pt PostTag) error {
			_, err := links.Insert(tx, linkRow{PostID: pt.PostID, TagID: pt.TagID})
			return err
		}
		l.count = func(tx *memrel.Tx) (int, error) { return links.Len(tx) }
	} else {
		postID := func(pt *PostTag) *int64 { return &pt.PostID }
		tagID := func(pt *PostTag) *int64 { return &pt.TagID }
		links := memrel.NewPairTable(s, "post_tags", postID, tagID)
		memrel.ForeignKey(links, "post", postID, l.posts, cascade...)
		memrel.ForeignKey(links, "tag", tagID, tags, cascade...)
		link = func(tx *memrel.Tx, pt PostTag) error { _, err := links.Insert(tx, pt); return err }
		l.count = func(tx *memrel.Tx) (int, error) { return links.Len(tx) }
	}
	db, err := memrel.Open(s)
	if err != nil {
		return nil, err
	}
	l.db = db
	return l, db.Update(func(tx *memrel.Tx) error {
		for _, u := range w.users {
			if _, err := l.users.Insert(tx, u); err != nil {
				return err
			}
		}
		for _, t := range w.tags {
			if _, err := tags.Insert(tx, t); err != nil {
				return err
			}
		}
		for _, p := range w.posts {
			if _, err := l.posts.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, pt := range w.postTags {
			if err := link(tx, pt); err != nil {
				return err
			}
		}
		return nil
	})
}

// counts returns how many posts and association rows the store holds.
func (l *leverStore) counts() (posts, links int, err error) {
	err = l.db.View(func(tx *memrel.Tx) error {
		if posts, err = l.posts.Len(tx); err != nil {
			return err
		}
		links, err = l.count(tx)
		return err
	})
	return
}

// BenchmarkLevers measures what two storage choices give memrel's write
// path on the peers workload: load (per row) and cascade deletes, each in
// its own transaction (per user). Variants: pair (the association keyed by
// (post, tag), so the post side needs no index: the default) and id-keyed
// (an ID of its own and an index on each side). A third lever, writing
// without go-memdb's watch tracking (as a store made by Snapshot did), was
// measured here and taken: every store now writes that way, since memrel's
// watches are its own (bench/levers.txt of 2026-11-29 has the run).
func BenchmarkLevers(b *testing.B) {
	w := newWorkload(*flagUsers, *flagPosts, *flagTags, *flagPer)
	for _, v := range []struct {
		name    string
		idKeyed bool
	}{{"pair", false}, {"id-keyed", true}} {
		open := func(b *testing.B) *leverStore {
			l, err := openLevers(w, v.idKeyed)
			if err != nil {
				b.Fatal(err)
			}
			return l
		}
		// Checked once: everything loads, and deleting every user leaves
		// no post and no link.
		l := open(b)
		if posts, links, err := l.counts(); err != nil || posts != len(w.posts) || links != len(w.postTags) {
			b.Fatalf("%s: %d posts, %d links after the load (%v)", v.name, posts, links, err)
		}
		for _, u := range w.users {
			if err := l.db.Update(func(tx *memrel.Tx) error { return l.users.Delete(tx, u.ID) }); err != nil {
				b.Fatal(err)
			}
		}
		if posts, links, err := l.counts(); err != nil || posts != 0 || links != 0 {
			b.Fatalf("%s: %d posts, %d links after deleting every user (%v)", v.name, posts, links, err)
		}
		b.Run(fmt.Sprintf("op=load/variant=%s", v.name), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				open(b)
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*w.rows()), "ns/row")
		})
		b.Run(fmt.Sprintf("op=cascade/variant=%s", v.name), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				b.StopTimer()
				l := open(b)
				b.StartTimer()
				for _, u := range w.users {
					if err := l.db.Update(func(tx *memrel.Tx) error { return l.users.Delete(tx, u.ID) }); err != nil {
						b.Fatal(err)
					}
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(w.users)), "ns/user")
		})
	}
}
