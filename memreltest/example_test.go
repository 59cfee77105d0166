package memreltest_test

import (
	"fmt"
	"testing/fstest"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/memreltest"
)

// Fixtures in Go, in any order, referencing each other by label: a comment
// before its post, a user whose favourite post is her own (a cycle).
func ExampleLoadTx() {
	b := newBlog()
	db, _ := memrel.Open(b.schema)
	_ = db.Update(func(tx *memrel.Tx) error {
		labels, err := memreltest.LoadTx(tx,
			memreltest.Row(b.comments, "", Comment{Body: "Nice"}, memreltest.Ref(b.post, "hello")),
			memreltest.Row(b.posts, "hello", Post{Title: "Hello"}, memreltest.Ref(b.author, "ann")),
			memreltest.Row(b.users, "ann", User{Name: "Ann", Email: "ann@x"}, memreltest.Ref(b.favorite, "hello")),
		)
		ann, _ := memreltest.Key(labels, b.users, "ann")
		u, _ := b.users.Get(tx, ann)
		fmt.Println(u.Name, u.Favorite, err)
		return err
	})
	// Output:
	// Ann 1 <nil>
}

// Fixture files: labeled rows, references by relation ("author") or by
// field ("Editor"), Null fields as plain JSON, and every problem reported
// with its file and line.
func ExampleFiles() {
	b := newBlog()
	db, _ := memrel.Open(b.schema)
	fsys := fstest.MapFS{"blog.json": {Data: []byte(`{
  "users": {"ann": {"Name": "Ann", "Email": "ann@x"}},
  "posts": [
    {"Title": "Hello", "author": "@ann", "Editor": "@ann"},
    {"Title": "Draft", "author": "@bob", "Editor": null}
  ]
}`)}}
	err := db.Update(func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx, memreltest.Files(fsys, "*.json"))
		return err
	})
	fmt.Println(err)
	// Output:
	// memreltest: 1 fixture problem
	// 	blog.json:5: posts: posts.author: no users row is labeled @bob
}

// A deterministic dump of a store, for golden files (Golden), and the
// difference between a store and a fork of it.
func ExampleDiff() {
	b := newBlog()
	db, _ := memrel.Open(b.schema)
	_ = db.Update(func(tx *memrel.Tx) error {
		_, err := memreltest.LoadTx(tx, memreltest.Rows(b.users, User{Name: "Ann", Email: "ann@x"}, User{Name: "Bob", Email: "bob@x"}))
		return err
	})
	before := db.Fork()
	_ = db.Update(func(tx *memrel.Tx) error { return b.users.Delete(tx, 2) })
	d, _ := memreltest.Diff(before, db)
	fmt.Print(d)
	dump, _ := memreltest.Dump(db)
	fmt.Print(string(dump))
	// Output:
	// users:
	//   - {ID:2 Name:Bob Email:bob@x Favorite:NULL}
	// {
	//   "users": [
	//     {"ID":1,"Name":"Ann","Email":"ann@x","Favorite":null}
	//   ],
	//   "posts": [],
	//   "comments": []
	// }
}
