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
	// memrel: insert post 2: foreign key violation: user 42 does not exist (post.author)
	// true
}
