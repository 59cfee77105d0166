package memrel_test

import (
	"errors"
	"fmt"

	"github.com/memrel/memrel"
)

// The seed: SQLAlchemy's User and Post with posts = relationship('Post',
// backref='author'), in Go.
func Example() {
	type User struct {
		ID   int64
		Name string
	}
	type Post struct {
		ID     int64
		Title  string
		UserID int64 // db.ForeignKey('user.id'), nullable=False
	}

	s := memrel.NewSchema()
	users := memrel.NewTable(s, "user", func(u *User) *int64 { return &u.ID })
	posts := memrel.NewTable(s, "post", func(p *Post) *int64 { return &p.ID })
	// posts = db.relationship('Post', backref='author', lazy=True)
	author := memrel.ForeignKey(posts, "author", func(p *Post) *int64 { return &p.UserID }, users)

	db, err := memrel.Open(s)
	if err != nil {
		panic(err)
	}

	// u = User(name='John'); p1 = Post(title='My First Post', author=u)
	// db.session.add(u); db.session.add(p1); db.session.commit()
	var u User
	var p1 Post
	err = db.Update(func(tx *memrel.Tx) error {
		if u, err = users.Insert(tx, User{Name: "John"}); err != nil {
			return err
		}
		p1, err = posts.Insert(tx, Post{Title: "My First Post", UserID: u.ID})
		return err
	})
	if err != nil {
		panic(err)
	}

	_ = db.View(func(tx *memrel.Tx) error {
		// print(u.posts)
		for p := range author.Children(tx, u.ID) {
			fmt.Printf("%+v\n", p)
		}
		// print(p1.author.name)
		a, err := author.Parent(tx, p1)
		fmt.Println(a.Name, err)
		return nil
	})

	// A post by nobody is rejected, and nothing of it is stored.
	err = db.Update(func(tx *memrel.Tx) error {
		_, err := posts.Insert(tx, Post{Title: "Orphan", UserID: 42})
		return err
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, memrel.ErrForeignKey))
	// Output:
	// {ID:1 Title:My First Post UserID:1}
	// John <nil>
	// memrel: insert post: foreign key violation: user 42 does not exist (post.author)
	// true
}

type Author struct {
	ID   int64
	Name string
}

type Book struct {
	ID       int64
	Title    string
	AuthorID int64
	EditorID memrel.Null[int64]
}

type library struct {
	db      *memrel.DB
	authors *memrel.Table[Author, int64]
	books   *memrel.Table[Book, int64]
	wrote   *memrel.Relation[Book, Author, int64]
	edited  *memrel.Relation[Book, Author, int64]
}

// openLibrary declares authors and books: deleting an author deletes their
// books (CASCADE) and clears the editor of the books they edited (SET NULL).
func openLibrary(rules []memrel.Rule) *library {
	s := memrel.NewSchema()
	l := &library{}
	l.authors = memrel.NewTable(s, "authors", func(a *Author) *int64 { return &a.ID })
	l.books = memrel.NewTable(s, "books", func(b *Book) *int64 { return &b.ID })
	l.wrote = memrel.ForeignKey(l.books, "author", func(b *Book) *int64 { return &b.AuthorID }, l.authors, rules...)
	l.edited = memrel.NullableForeignKey(l.books, "editor", func(b *Book) *memrel.Null[int64] { return &b.EditorID }, l.authors,
		memrel.OnDelete(memrel.SetNull))
	db, err := memrel.Open(s)
	if err != nil {
		panic(err)
	}
	l.db = db
	return l
}

func (l *library) load() error {
	return l.db.Update(func(tx *memrel.Tx) error {
		for _, a := range []Author{{1, "Le Guin"}, {2, "Calvino"}} {
			if _, err := l.authors.Insert(tx, a); err != nil {
				return err
			}
		}
		for _, b := range []Book{
			{ID: 10, Title: "The Dispossessed", AuthorID: 1},
			{ID: 11, Title: "The Lathe of Heaven", AuthorID: 1},
			{ID: 20, Title: "Invisible Cities", AuthorID: 2, EditorID: memrel.NullFrom[int64](1)},
		} {
			if _, err := l.books.Insert(tx, b); err != nil {
				return err
			}
		}
		return nil
	})
}

func ExampleForeignKey() {
	l := openLibrary([]memrel.Rule{memrel.OnDelete(memrel.Cascade)})
	if err := l.load(); err != nil {
		panic(err)
	}
	// DELETE FROM authors WHERE id = 1: her books go (CASCADE), and the
	// book she edited loses its editor (SET NULL).
	if err := l.db.Update(func(tx *memrel.Tx) error { return l.authors.Delete(tx, 1) }); err != nil {
		panic(err)
	}
	_ = l.db.View(func(tx *memrel.Tx) error {
		for b := range l.books.All(tx) {
			fmt.Printf("%s (author %d, editor %v)\n", b.Title, b.AuthorID, b.EditorID)
		}
		return nil
	})
	// Output:
	// Invisible Cities (author 2, editor NULL)
}

func ExampleConstraintError() {
	l := openLibrary([]memrel.Rule{memrel.OnDelete(memrel.Restrict)})
	if err := l.load(); err != nil {
		panic(err)
	}
	err := l.db.Update(func(tx *memrel.Tx) error { return l.authors.Delete(tx, 2) })
	var ce *memrel.ConstraintError
	if errors.As(err, &ce) {
		fmt.Println(ce.Op, ce.Table, ce.Key, "blocked by", ce.Child, "through", ce.Constraint)
	}
	fmt.Println(errors.Is(err, memrel.ErrRestrict))
	// Output:
	// delete authors 2 blocked by books 20 through books.author
	// true
}

// Deferred checks let rows go in in any order; Commit reports every
// reference still dangling, and then nothing of the transaction persists.
func ExampleTx_DeferConstraints() {
	l := openLibrary([]memrel.Rule{})
	err := l.db.Update(func(tx *memrel.Tx) error {
		if err := tx.DeferConstraints(); err != nil {
			return err
		}
		// The book first, its author afterwards: fine at commit.
		if _, err := l.books.Insert(tx, Book{ID: 1, Title: "Ficciones", AuthorID: 3}); err != nil {
			return err
		}
		_, err := l.authors.Insert(tx, Author{ID: 3, Name: "Borges"})
		return err
	})
	fmt.Println("first commit:", err)

	err = l.db.Update(func(tx *memrel.Tx) error {
		_ = tx.DeferConstraints()
		_, _ = l.books.Insert(tx, Book{ID: 2, Title: "Nobody's", AuthorID: 8})
		_, _ = l.books.Insert(tx, Book{ID: 3, Title: "Nobody's either", AuthorID: 9})
		return nil
	})
	fmt.Println(err)
	// Output:
	// first commit: <nil>
	// memrel: commit: 2 violations
	// 	memrel: commit books 2: foreign key violation: authors 8 does not exist (books.author)
	// 	memrel: commit books 3: foreign key violation: authors 9 does not exist (books.author)
}

// A snapshot is an O(1) fork: load fixtures once, give each test its own.
func ExampleDB_Fork() {
	l := openLibrary([]memrel.Rule{memrel.OnDelete(memrel.Cascade)})
	if err := l.load(); err != nil {
		panic(err)
	}
	fork := l.db.Fork()
	_ = fork.Update(func(tx *memrel.Tx) error { return l.authors.Delete(tx, 1) })
	count := func(db *memrel.DB) (n int) {
		_ = db.View(func(tx *memrel.Tx) (err error) { n, err = l.books.Len(tx); return err })
		return n
	}
	fmt.Println("fork:", count(fork), "original:", count(l.db))
	// Output:
	// fork: 1 original: 3
}

func ExampleRelation_Children() {
	l := openLibrary([]memrel.Rule{})
	if err := l.load(); err != nil {
		panic(err)
	}
	_ = l.db.View(func(tx *memrel.Tx) error {
		// author.books, lazily: read when ranged over.
		for b := range l.wrote.Children(tx, 1) {
			fmt.Println(b.Title)
		}
		// book.author
		b, _ := l.books.Get(tx, 20)
		a, _ := l.wrote.Parent(tx, b)
		fmt.Println(b.Title, "by", a.Name)
		return nil
	})
	// Output:
	// The Dispossessed
	// The Lathe of Heaven
	// Invisible Cities by Calvino
}

// Savepoints: SQL's SAVEPOINT, ROLLBACK TO and RELEASE (SQLAlchemy's
// begin_nested, GORM's nested Transaction). Nested runs a function in one:
// its error undoes what it did, and only that.
func ExampleTx_Nested() {
	l := openLibrary([]memrel.Rule{memrel.OnDelete(memrel.Cascade)})
	if err := l.load(); err != nil {
		panic(err)
	}
	_ = l.db.Update(func(tx *memrel.Tx) error {
		err := tx.Nested(func(tx *memrel.Tx) error {
			if err := l.authors.Delete(tx, 1); err != nil { // cascades to two books
				return err
			}
			return errors.New("changed my mind")
		})
		n, _ := l.books.Len(tx)
		fmt.Println(err, "- books:", n)

		sp, _ := tx.Savepoint() // SAVEPOINT sp
		_, _ = l.books.Insert(tx, Book{ID: 30, Title: "The Baron in the Trees", AuthorID: 2})
		n, _ = l.books.Len(tx)
		fmt.Println("after the insert:", n)
		_ = sp.Rollback() // ROLLBACK TO sp
		n, _ = l.books.Len(tx)
		fmt.Println("rolled back:", n)
		return sp.Release() // RELEASE sp
	})
	// Output:
	// changed my mind - books: 3
	// after the insert: 4
	// rolled back: 3
}
