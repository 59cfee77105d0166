package memrel_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

// A Scramble store returns every unordered read reversed (seed 0) or
// shuffled, and leaves ordered reads alone.
func TestScramble(t *testing.T) {
	type Author struct{ ID int64 }
	type Book struct {
		ID, AuthorID, Year int64
	}
	type Tag struct{ ID int64 }
	type BookTag struct{ BookID, TagID int64 }
	s := memrel.NewSchema()
	authors := memrel.NewTable(s, "authors", func(a *Author) *int64 { return &a.ID })
	books := memrel.NewTable(s, "books", func(b *Book) *int64 { return &b.ID })
	tags := memrel.NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	wrote := memrel.ForeignKey(books, "author", func(b *Book) *int64 { return &b.AuthorID }, authors)
	byYear := memrel.OrderChildren(wrote, "by_year", func(b *Book) *int64 { return &b.Year })
	year := memrel.NewIndex(books, "year", func(b *Book) *int64 { return &b.Year })
	bookTags := memrel.NewPairTable(s, "book_tags", func(bt *BookTag) *int64 { return &bt.BookID }, func(bt *BookTag) *int64 { return &bt.TagID })
	tagged := memrel.ForeignKey(bookTags, "book", func(bt *BookTag) *int64 { return &bt.BookID }, books)
	tag := memrel.ForeignKey(bookTags, "tag", func(bt *BookTag) *int64 { return &bt.TagID }, tags)
	tagsOf := memrel.NewThrough(tagged, "tags", tag)
	plain, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, plain, func(tx *memrel.Tx) error {
		_, _ = authors.Insert(tx, Author{})
		for i := range int64(12) {
			_, _ = tags.Insert(tx, Tag{})
			if _, err := books.Insert(tx, Book{AuthorID: 1, Year: 2000 + i%3}); err != nil {
				return err
			}
		}
		for tg := int64(1); tg <= 12; tg++ {
			if _, err := bookTags.Insert(tx, BookTag{BookID: 1, TagID: tg}); err != nil {
				return err
			}
		}
		return nil
	})
	type reads struct {
		all, children, list, many, index, through, load, eager, ordered, page []int64
	}
	read := func(db *memrel.DB) (r reads) {
		ids := func(bs []Book) []int64 {
			var out []int64
			for _, b := range bs {
				out = append(out, b.ID)
			}
			return out
		}
		_ = db.View(func(tx *memrel.Tx) error {
			r.all = ids(slices.Collect(books.All(tx)))
			r.children = ids(slices.Collect(wrote.Children(tx, 1)))
			l, _ := wrote.ListChildren(tx, 1)
			r.list = ids(l)
			r.index = ids(slices.Collect(year.List(tx, 2001)))
			for tg := range tagsOf.List(tx, 1) {
				r.through = append(r.through, tg.ID)
			}
			rows, res, _ := memrel.EagerAll(tx, authors, memrel.Many(wrote), memrel.Many(wrote).OrderedBy(byYear))
			r.many = ids(memrel.Many(wrote).Of(res, rows[0]))
			r.ordered = ids(memrel.Many(wrote).OrderedBy(byYear).Of(res, rows[0]))
			bs, res2, _ := memrel.EagerAll(tx, books, tagsOf.Load())
			r.eager = ids(bs)
			for _, tg := range tagsOf.Load().Of(res2, bs[slices.IndexFunc(bs, func(b Book) bool { return b.ID == 1 })]) {
				r.load = append(r.load, tg.ID)
			}
			p, _ := books.Page(tx, memrel.Page[Book]{Limit: 5})
			r.page = ids(p)
			return tx.Err()
		})
		return r
	}
	want := read(plain)
	if !slices.IsSorted(want.all) || len(want.all) != 12 || len(want.through) != 12 || len(want.index) != 4 {
		t.Fatalf("the plain store's reads: %+v", want)
	}
	rev := func(s []int64) []int64 { c := slices.Clone(s); slices.Reverse(c); return c }
	reversed := read(plain.Fork(memrel.Scramble(0)))
	wantRev := reads{all: rev(want.all), children: rev(want.children), list: rev(want.list), many: rev(want.many),
		index: rev(want.index), through: rev(want.through), load: rev(want.load), eager: rev(want.eager),
		ordered: want.ordered, page: want.page}
	if diff := cmp.Diff(wantRev, reversed, cmp.AllowUnexported(reads{})); diff != "" {
		t.Errorf("Scramble(0) (-want +got):\n%s", diff)
	}
	shuffled := plain.Fork(memrel.Scramble(42))
	moved := false
	for range 5 {
		got := read(shuffled)
		for _, pair := range [][2][]int64{{got.all, want.all}, {got.children, want.children}, {got.many, want.many}, {got.through, want.through}, {got.eager, want.eager}} {
			s := slices.Clone(pair[0])
			slices.Sort(s)
			if !slices.Equal(s, pair[1]) {
				t.Fatalf("a shuffle lost or added rows: %v, want a permutation of %v", pair[0], pair[1])
			}
			moved = moved || !slices.Equal(pair[0], pair[1])
		}
		if !slices.Equal(got.ordered, want.ordered) || !slices.Equal(got.page, want.page) {
			t.Errorf("ordered reads changed: %v, %v", got.ordered, got.page)
		}
	}
	if !moved {
		t.Error("Scramble(42) never changed an order")
	}
}
