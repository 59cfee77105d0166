package memrel_test

import (
	"fmt"

	"github.com/memrel/memrel"
)

// The relations examples' model: authors write books; books have genres
// through book_genres, keyed by (book, genre); books may be sequels of
// other books.
type Genre struct {
	ID   int64
	Name string
}

type BookGenre struct {
	BookID  int64
	GenreID int64
}

type Novel struct {
	ID       int64
	Title    string
	AuthorID int64
	Year     int64
	SequelOf memrel.Null[int64]
}

type shelf struct {
	db         *memrel.DB
	authors    *memrel.Table[Author, int64]
	novels     *memrel.Table[Novel, int64]
	genres     *memrel.Table[Genre, int64]
	wrote      *memrel.Relation[Novel, Author, int64]
	byYear     *memrel.Ordering[Novel, Author, int64]
	sequels    *memrel.Relation[Novel, Novel, int64]
	bookGenres *memrel.Association[BookGenre, Novel, Genre, int64, int64]
	genresOf   *memrel.Through[BookGenre, Novel, Genre, int64, int64] // novels.genres
}

func openShelf() *shelf {
	s := memrel.NewSchema()
	sh := &shelf{}
	sh.authors = memrel.NewTable(s, "authors", func(a *Author) *int64 { return &a.ID })
	sh.novels = memrel.NewTable(s, "novels", func(n *Novel) *int64 { return &n.ID })
	sh.genres = memrel.NewTable(s, "genres", func(g *Genre) *int64 { return &g.ID })
	// An association table keyed by the pair (book, genre).
	links := memrel.NewPairTable(s, "book_genres",
		func(bg *BookGenre) *int64 { return &bg.BookID },
		func(bg *BookGenre) *int64 { return &bg.GenreID })
	cascade := []memrel.Rule{memrel.OnDelete(memrel.Cascade)}
	sh.wrote = memrel.ForeignKey(sh.novels, "author", func(n *Novel) *int64 { return &n.AuthorID }, sh.authors, cascade...)
	sh.byYear = memrel.OrderChildren(sh.wrote, "by_year", func(n *Novel) *int64 { return &n.Year })
	sh.sequels = memrel.NullableForeignKey(sh.novels, "sequel_of", func(n *Novel) *memrel.Null[int64] { return &n.SequelOf }, sh.novels,
		memrel.OnDelete(memrel.SetNull))
	book := memrel.ForeignKey(links, "book", func(bg *BookGenre) *int64 { return &bg.BookID }, sh.novels, cascade...)
	genre := memrel.ForeignKey(links, "genre", func(bg *BookGenre) *int64 { return &bg.GenreID }, sh.genres, cascade...)
	sh.bookGenres = memrel.ManyToMany(book, genre)
	sh.genresOf = memrel.NewThrough(book, "genres", genre)
	db, err := memrel.Open(s)
	if err != nil {
		panic(err)
	}
	sh.db = db
	err = db.Update(func(tx *memrel.Tx) error {
		for _, a := range []Author{{1, "Le Guin"}, {2, "Calvino"}} {
			if _, err := sh.authors.Insert(tx, a); err != nil {
				return err
			}
		}
		for _, g := range []Genre{{1, "fantasy"}, {2, "science fiction"}, {3, "fable"}} {
			if _, err := sh.genres.Insert(tx, g); err != nil {
				return err
			}
		}
		for _, n := range []Novel{
			{ID: 1, Title: "A Wizard of Earthsea", AuthorID: 1, Year: 1968},
			{ID: 2, Title: "The Tombs of Atuan", AuthorID: 1, Year: 1971, SequelOf: memrel.NullFrom[int64](1)},
			{ID: 3, Title: "The Dispossessed", AuthorID: 1, Year: 1974},
			{ID: 4, Title: "The Left Hand of Darkness", AuthorID: 1, Year: 1969},
			{ID: 5, Title: "The Baron in the Trees", AuthorID: 2, Year: 1957},
		} {
			if _, err := sh.novels.Insert(tx, n); err != nil {
				return err
			}
		}
		for _, l := range [][2]int64{{1, 1}, {2, 1}, {3, 2}, {4, 2}, {5, 3}, {5, 1}} {
			if _, err := sh.bookGenres.Link(tx, l[0], l[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return sh
}

// EagerAll loads a whole table with its children in one pass over each
// index (SQLAlchemy's joinedload); Eager loads them for a batch of rows
// (selectinload). Either way, one call per level, however many rows; the
// loader's Of reads what it loaded for a row.
func ExampleEagerAll() {
	sh := openShelf()
	_ = sh.db.View(func(tx *memrel.Tx) error {
		novels := memrel.Many(sh.wrote)
		authors, res, err := memrel.EagerAll(tx, sh.authors, novels)
		if err != nil {
			return err
		}
		for _, a := range authors {
			fmt.Println(a.Name, len(novels.Of(res, a)), "novels")
		}
		fmt.Println(tx.LoadStats(sh.wrote))
		return nil
	})
	// Output:
	// Le Guin 4 novels
	// Calvino 1 novels
	// {0 1 5}
}

// Loaders compose: several at one level, and With for the level below, to
// any depth, each one batch. Here each author's novels, newest first and
// at most two, each with its genres and its number of sequels; and each
// author's novel count. Every loader's Of reads its rows from the one
// Result: no nested result types to spell.
func ExampleManyLoader_With() {
	sh := openShelf()
	_ = sh.db.View(func(tx *memrel.Tx) error {
		genres := sh.genresOf.Load()
		sequels := memrel.Count(sh.sequels)
		newest := memrel.Many(sh.wrote).OrderedBy(sh.byYear).Where(func(n Novel) bool { return n.Year > 1960 }).Limit(2).
			With(genres, sequels)
		count := memrel.Count(sh.wrote)
		authors := []Author{{ID: 1, Name: "Le Guin"}}
		res, err := memrel.Eager(tx, authors, newest, count)
		if err != nil {
			return err
		}
		for _, a := range authors {
			fmt.Println(a.Name, count.Of(res, a), "novels")
			for _, n := range newest.Of(res, a) {
				fmt.Println(n.Year, n.Title, genres.Of(res, n), sequels.Of(res, n), "sequel")
			}
		}
		return nil
	})
	// Output:
	// Le Guin 4 novels
	// 1968 A Wizard of Earthsea [{1 fantasy}] 1 sequel
	// 1969 The Left Hand of Darkness [{2 science fiction}] 0 sequel
}

// Tree loads a self-referential relation to any depth, one batch per level
// (a recursive common table expression), safe on cycles; With loads more
// for every row of the tree. Of gives one level; call it again for the next.
func ExampleTree() {
	sh := openShelf()
	_ = sh.db.View(func(tx *memrel.Tx) error {
		author := memrel.One(sh.wrote)
		series := memrel.Tree(sh.sequels).With(author)
		roots := []Novel{{ID: 1, Title: "A Wizard of Earthsea"}}
		res, err := memrel.Eager(tx, roots, series)
		if err != nil {
			return err
		}
		var show func(n Novel, depth int)
		show = func(n Novel, depth int) {
			for _, s := range series.Of(res, n) {
				a, _ := author.Of(res, s)
				fmt.Println(depth, s.Title, "by", a.Name)
				show(s, depth+1)
			}
		}
		show(roots[0], 1)
		fmt.Println(tx.LoadStats(sh.sequels))
		return nil
	})
	// Output:
	// 1 The Tombs of Atuan by Le Guin
	// {0 2 1}
}

// A feed: the newest novels of several authors, merged from their ordered
// novels a page at a time, then loaded eagerly; the last row of a page is
// the cursor of the next (keyset pagination). A page reads what it shows,
// however many novels the authors have.
func ExampleOrdering_Merge() {
	sh := openShelf()
	_ = sh.db.View(func(tx *memrel.Tx) error {
		author, genres := memrel.One(sh.wrote), sh.genresOf.Load()
		page := memrel.Page[Novel]{Backward: true, Limit: 2}
		for {
			novels, err := sh.byYear.Merge(tx, []int64{1, 2}, page)
			if err != nil || len(novels) == 0 {
				return err
			}
			res, err := memrel.Eager(tx, novels, author, genres)
			if err != nil {
				return err
			}
			for _, n := range novels {
				a, _ := author.Of(res, n)
				fmt.Println(n.Year, n.Title, "by", a.Name, genres.Of(res, n))
			}
			fmt.Println("--")
			page.After = &novels[len(novels)-1]
		}
	})
	// Output:
	// 1974 The Dispossessed by Le Guin [{2 science fiction}]
	// 1971 The Tombs of Atuan by Le Guin [{1 fantasy}]
	// --
	// 1969 The Left Hand of Darkness by Le Guin [{2 science fiction}]
	// 1968 A Wizard of Earthsea by Le Guin [{1 fantasy}]
	// --
	// 1957 The Baron in the Trees by Calvino [{1 fantasy} {3 fable}]
	// --
}

// Many-to-many through an association table, declared once, navigated and
// loaded both ways.
func ExampleManyToMany() {
	sh := openShelf()
	m := sh.bookGenres
	_ = sh.db.Update(func(tx *memrel.Tx) error {
		if _, err := m.Link(tx, 3, 3); err != nil { // The Dispossessed is a fable too
			return err
		}
		_, err := m.Unlink(tx, 5, 1)
		return err
	})
	_ = sh.db.View(func(tx *memrel.Tx) error {
		for g := range m.Rights(tx, 3) { // book.genres, lazily
			fmt.Println("The Dispossessed:", g.Name)
		}
		books := m.LoadLefts() // genre.books, eagerly
		genres, res, err := memrel.EagerAll(tx, sh.genres, books)
		if err != nil {
			return err
		}
		for _, g := range genres {
			fmt.Println(g.Name, len(books.Of(res, g)))
		}
		return nil
	})
	// Output:
	// The Dispossessed: science fiction
	// The Dispossessed: fable
	// fantasy 2
	// science fiction 2
	// fable 2
}

// A self-referential relation: sequels, walked down and up.
func ExampleRelation_Descendants() {
	sh := openShelf()
	_ = sh.db.View(func(tx *memrel.Tx) error {
		for n, depth := range sh.sequels.Descendants(tx, 1, 0) {
			fmt.Println(depth, n.Title)
		}
		tombs, _ := sh.novels.Get(tx, 2)
		for n, depth := range sh.sequels.Ancestors(tx, tombs, 0) {
			fmt.Println(-depth, n.Title)
		}
		return nil
	})
	// Output:
	// 1 The Tombs of Atuan
	// -1 A Wizard of Earthsea
}

// Strict mode turns lazy loading into an error that names the loader to use:
// the N+1 query problem, caught by a test.
func ExampleTx_Strict() {
	sh := openShelf()
	err := sh.db.View(func(tx *memrel.Tx) error {
		_ = tx.Strict()
		for a := range sh.authors.All(tx) {
			if _, err := sh.wrote.ListChildren(tx, a.ID); err != nil {
				return err
			}
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// memrel: lazy load in strict mode: ListChildren of novels.author; load it eagerly with memrel.Many(rel) (rel: the *Relation novels.author)
}

// PlanDelete shows what a delete would do, and which rule does each part.
func ExampleTable_PlanDelete() {
	sh := openShelf()
	_ = sh.db.Update(func(tx *memrel.Tx) error {
		plan, err := sh.authors.PlanDelete(tx, 2)
		for _, s := range plan {
			fmt.Println(s.Op, s.Table, s.Key, s.Relation, s.Action)
		}
		return err
	})
	// Output:
	// delete authors 2  NO ACTION
	// delete novels 5 novels.author CASCADE
	// delete book_genres (5, 1) book_genres.book CASCADE
	// delete book_genres (5, 3) book_genres.book CASCADE
}
