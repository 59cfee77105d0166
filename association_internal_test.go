package memrel

import (
	"fmt"
	"testing"
)

// tagged is posts and tags linked through a table whose tag side may be
// NULL (SET NULL), with its own integer key.
type tagged struct {
	db    *DB
	posts *Table[Post, int64]
	tags  *Table[parent, int64]
	links *Table[link, int64]
	m     *Association[link, Post, parent, int64, int64]
}

type link struct {
	ID     int64
	PostID int64
	TagID  Null[int64]
}

func newTagged(tb testing.TB) *tagged {
	tb.Helper()
	s := NewSchema()
	g := &tagged{}
	g.posts = NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	g.tags = NewTable(s, "tags", func(p *parent) *int64 { return &p.ID })
	g.links = NewTable(s, "links", func(l *link) *int64 { return &l.ID })
	post := ForeignKey(g.links, "post", func(l *link) *int64 { return &l.PostID }, g.posts, OnDelete(Cascade))
	tag := NullableForeignKey(g.links, "tag", func(l *link) *Null[int64] { return &l.TagID }, g.tags, OnDelete(SetNull))
	g.m = ManyToMany(post, tag)
	db, err := Open(s)
	if err != nil {
		tb.Fatal(err)
	}
	g.db = db
	mustUpdate(tb, db, func(tx *Tx) error {
		for _, id := range []int64{1, 2} {
			if _, err := g.posts.Insert(tx, Post{ID: id}); err != nil {
				return err
			}
		}
		for _, id := range []int64{1, 2, 3} {
			if _, err := g.tags.Insert(tx, parent{id}); err != nil {
				return err
			}
		}
		for _, l := range [][2]int64{{1, 2}, {1, 3}, {2, 1}} {
			if _, err := g.m.Link(tx, l[0], l[1]); err != nil {
				return err
			}
		}
		return nil
	})
	return g
}

// A link whose side was SET NULL links nothing: lazy navigation, eager
// loading and Count agree, in readers and in the writer that nulled it.
func TestManyToManyNullSide(t *testing.T) {
	g := newTagged(t)
	check := func(tx *Tx, when string) {
		t.Helper()
		var lazy []int64
		for tg := range g.m.Rights(tx, 1) {
			lazy = append(lazy, tg.ID)
		}
		eager, err := Eager(tx, []Post{{ID: 1}}, g.m.LoadRights())
		if err != nil {
			t.Fatal(err)
		}
		var loaded []int64
		for _, tg := range eager[0].Loaded {
			loaded = append(loaded, tg.ID)
		}
		n, err := g.m.Count(tx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(lazy) != "[3]" || fmt.Sprint(loaded) != "[3]" || n != 1 {
			t.Errorf("%s: lazy %v, eager %v, count %d; want [3], [3], 1", when, lazy, loaded, n)
		}
		var lefts []int64
		for p := range g.m.Lefts(tx, 2) {
			lefts = append(lefts, p.ID)
		}
		if len(lefts) != 0 {
			t.Errorf("%s: tag 2 still links posts %v", when, lefts)
		}
	}
	mustUpdate(t, g.db, func(tx *Tx) error {
		if err := g.tags.Delete(tx, 2); err != nil { // post 1's link to tag 2 is nulled
			return err
		}
		check(tx, "writer")
		return nil
	})
	mustView(t, g.db, func(tx *Tx) error { check(tx, "reader"); return nil })
	verify(t, g.db)
}
