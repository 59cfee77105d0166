// Package blogdb is the blog of memrel's demo, its schema and its
// dataset, shared by the command and by conformance/'s round trips.
package blogdb

import (
	_ "embed"

	"github.com/memrel/memrel"
)

//go:embed blog.json
var JSON []byte

// The blog model: users write posts; posts and tags are linked through
// post_tags. Deleting a user deletes their posts and those posts' links.
type User struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type Post struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	UserID int64  `json:"user_id"`
}

type Tag struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type PostTag struct {
	ID     int64 `json:"-"`
	PostID int64 `json:"post_id"`
	TagID  int64 `json:"tag_id"`
}

type Dataset struct {
	Users    []User    `json:"users"`
	Posts    []Post    `json:"posts"`
	Tags     []Tag     `json:"tags"`
	PostTags []PostTag `json:"post_tags"`
}

type Blog struct {
	DB       *memrel.DB
	Users    *memrel.Table[User, int64]
	Posts    *memrel.Table[Post, int64]
	Tags     *memrel.Table[Tag, int64]
	PostTags *memrel.Table[PostTag, int64]
	Author   *memrel.Relation[Post, User, int64]
	Tagged   *memrel.Relation[PostTag, Post, int64]
	Tag      *memrel.Relation[PostTag, Tag, int64]
	Tagging  *memrel.Association[PostTag, Post, Tag, int64, int64]
}

func Open() (*Blog, error) {
	s := memrel.NewSchema()
	b := &Blog{}
	b.Users = memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	b.Posts = memrel.NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	b.Tags = memrel.NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	b.PostTags = memrel.NewTable(s, "post_tags", func(pt *PostTag) *int64 { return &pt.ID })
	memrel.NewUniqueIndex(b.Users, "email", func(u *User) *string { return &u.Email })
	memrel.NewUniqueIndex(b.Tags, "name", func(t *Tag) *string { return &t.Name })
	cascade := []memrel.Rule{memrel.OnDelete(memrel.Cascade), memrel.OnUpdate(memrel.Cascade)}
	b.Author = memrel.ForeignKey(b.Posts, "author", func(p *Post) *int64 { return &p.UserID }, b.Users, cascade...)
	b.Tagged = memrel.ForeignKey(b.PostTags, "post", func(pt *PostTag) *int64 { return &pt.PostID }, b.Posts, cascade...)
	b.Tag = memrel.ForeignKey(b.PostTags, "tag", func(pt *PostTag) *int64 { return &pt.TagID }, b.Tags, cascade...)
	b.Tagging = memrel.ManyToMany(b.Tagged, b.Tag)
	db, err := memrel.Open(s)
	b.DB = db
	return b, err
}

func (b *Blog) Load(d *Dataset) error {
	return b.DB.Update(func(tx *memrel.Tx) error {
		for _, u := range d.Users {
			if _, err := b.Users.Insert(tx, u); err != nil {
				return err
			}
		}
		for _, t := range d.Tags {
			if _, err := b.Tags.Insert(tx, t); err != nil {
				return err
			}
		}
		for _, p := range d.Posts {
			if _, err := b.Posts.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, pt := range d.PostTags {
			if _, err := b.PostTags.Insert(tx, pt); err != nil {
				return err
			}
		}
		return nil
	})
}
