package memrel

import (
	"fmt"
	"testing"
)

// The test model, one blog for every test: users write posts (Author) and
// may edit other users' posts (Editor, NULL-able); comments belong to posts
// (OnPost) and reply to one another (Replies, a self-referential tree);
// posts are tagged through post_tags, keyed by its own ID or, with
// BlogRules.PairTags, by the pair (post, tag). Two many-to-many
// relationships are declared over it: Tagging, posts <-> tags through
// post_tags, and Editing, authors <-> the editors of their posts through
// posts, whose right side is NULL-able.
//
//	users ──< posts          Author  (Post.UserID)
//	users ──< posts          Editor  (Post.EditorID, NULL-able)
//	posts ──< comments       OnPost  (Comment.PostID)
//	comments ──< comments    Replies (Comment.ParentID, NULL-able)
//	posts ──< post_tags      Tagged  (PostTag.PostID)
//	tags  ──< post_tags      Tag     (PostTag.TagID)
//	posts >─< tags           Tagging (through post_tags)
//	users >─< users          Editing (through posts: author <-> editor)
//
// The exported names are visible to package memrel_test too (the package is
// compiled with its _test.go files when the external tests are), so both
// kinds of tests share them.
type User struct {
	ID    int64
	Name  string
	Email string // unique
}

type Post struct {
	ID       int64
	Title    string
	UserID   int64
	EditorID Null[int64]
}

type Comment struct {
	ID       int64
	PostID   int64
	ParentID Null[int64]
	Body     string
}

type Tag struct {
	ID   int64
	Name string
}

type PostTag struct {
	ID     int64 // the key of the ID layout; zero in the pair layout
	PostID int64
	TagID  int64
}

// Blog is the model's store and handles.
type Blog struct {
	DB       *DB
	Users    *Table[User, int64]
	Posts    *Table[Post, int64]
	Comments *Table[Comment, int64]
	Tags     *Table[Tag, int64]
	PostTags *Table[PostTag, int64]              // post_tags keyed by its own ID; nil with PairTags
	PairTags *Table[PostTag, Pair[int64, int64]] // post_tags keyed by (post, tag); nil without
	Email    *Index[User, int64, string]         // unique
	Author   *Relation[Post, User, int64]        // posts.author
	Editor   *Relation[Post, User, int64]        // posts.editor
	OnPost   *Relation[Comment, Post, int64]     // comments.post
	Replies  *Relation[Comment, Comment, int64]  // comments.parent
	Tagged   *Relation[PostTag, Post, int64]     // post_tags.post
	Tag      *Relation[PostTag, Tag, int64]      // post_tags.tag
	Tagging  *Association[PostTag, Post, Tag, int64, int64]
	Editing  *Association[Post, User, User, int64, int64] // author -> editors
}

// BlogRules are the rules of the blog's relations, and its layout; the zero
// value is NO ACTION everywhere, post_tags keyed by its own ID.
type BlogRules struct {
	Author, Editor, OnPost, Replies, Tagged, Tag []Rule
	PairTags                                     bool // key post_tags by (post, tag)
}

// DefaultRules cascades everywhere but on the editor relation, which is
// SET NULL on delete.
func DefaultRules() BlogRules {
	cascade := []Rule{OnDelete(Cascade), OnUpdate(Cascade)}
	return BlogRules{
		Author:  cascade,
		Editor:  []Rule{OnDelete(SetNull), OnUpdate(Cascade)},
		OnPost:  cascade,
		Replies: cascade,
		Tagged:  cascade,
		Tag:     cascade,
	}
}

// NewBlog declares the model with rules r and opens an empty store.
func NewBlog(tb testing.TB, r BlogRules) *Blog {
	tb.Helper()
	s := NewSchema()
	b := &Blog{}
	b.Users = NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	b.Posts = NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	b.Comments = NewTable(s, "comments", func(c *Comment) *int64 { return &c.ID })
	b.Tags = NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	b.Email = NewUniqueIndex(b.Users, "email", func(u *User) *string { return &u.Email })
	b.Author = ForeignKey(b.Posts, "author", func(p *Post) *int64 { return &p.UserID }, b.Users, r.Author...)
	b.Editor = NullableForeignKey(b.Posts, "editor", func(p *Post) *Null[int64] { return &p.EditorID }, b.Users, r.Editor...)
	b.OnPost = ForeignKey(b.Comments, "post", func(c *Comment) *int64 { return &c.PostID }, b.Posts, r.OnPost...)
	b.Replies = NullableForeignKey(b.Comments, "parent", func(c *Comment) *Null[int64] { return &c.ParentID }, b.Comments, r.Replies...)
	postID := func(pt *PostTag) *int64 { return &pt.PostID }
	tagID := func(pt *PostTag) *int64 { return &pt.TagID }
	if r.PairTags {
		b.PairTags = NewPairTable(s, "post_tags", postID, tagID)
		b.Tagged = ForeignKey(b.PairTags, "post", postID, b.Posts, r.Tagged...)
		b.Tag = ForeignKey(b.PairTags, "tag", tagID, b.Tags, r.Tag...)
	} else {
		b.PostTags = NewTable(s, "post_tags", func(pt *PostTag) *int64 { return &pt.ID })
		b.Tagged = ForeignKey(b.PostTags, "post", postID, b.Posts, r.Tagged...)
		b.Tag = ForeignKey(b.PostTags, "tag", tagID, b.Tags, r.Tag...)
	}
	b.Tagging = ManyToMany(b.Tagged, b.Tag)
	b.Editing = ManyToMany(b.Author, b.Editor)
	db, err := Open(s)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	b.DB = db
	return b
}

// Seed loads two users, three posts and a thread of comments, and no tags:
//
//	user 1 ann: post 10 (comments 100 <- 101 <- 102), post 11
//	user 2 bob: post 20 (edited by 1)
func (b *Blog) Seed(tb testing.TB) *Blog {
	tb.Helper()
	MustUpdate(tb, b.DB, func(tx *Tx) error {
		for _, u := range []User{{1, "ann", "ann@x"}, {2, "bob", "bob@x"}} {
			if _, err := b.Users.Insert(tx, u); err != nil {
				return err
			}
		}
		for _, p := range []Post{{10, "a1", 1, Null[int64]{}}, {11, "a2", 1, Null[int64]{}}, {20, "b1", 2, NullFrom[int64](1)}} {
			if _, err := b.Posts.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, c := range []Comment{{100, 10, Null[int64]{}, "root"}, {101, 10, NullFrom[int64](100), "reply"}, {102, 10, NullFrom[int64](101), "reply to reply"}} {
			if _, err := b.Comments.Insert(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	return b
}

// Fill loads tags tags, users users ("user1", ...; IDs from 1) with postsPer
// posts each ("post1", ...; IDs from 1, user 1's first), and tagsPer tags
// per post: post p's k-th tag is (p+7k) mod tags + 1. Every third post is
// edited by the next user. No comments.
func (b *Blog) Fill(tb testing.TB, users, postsPer, tags, tagsPer int) *Blog {
	tb.Helper()
	MustUpdate(tb, b.DB, func(tx *Tx) error {
		for t := 1; t <= tags; t++ {
			if _, err := b.Tags.Insert(tx, Tag{ID: int64(t), Name: fmt.Sprintf("tag%d", t)}); err != nil {
				return err
			}
		}
		for u := 1; u <= users; u++ {
			if _, err := b.Users.Insert(tx, numberedUser(int64(u))); err != nil {
				return err
			}
		}
		id := int64(0)
		for u := 1; u <= users; u++ {
			for range postsPer {
				id++
				p := Post{ID: id, UserID: int64(u), Title: fmt.Sprintf("post%d", id)}
				if id%3 == 0 {
					p.EditorID = NullFrom(int64(u%users + 1))
				}
				if _, err := b.Posts.Insert(tx, p); err != nil {
					return err
				}
			}
		}
		// Links after all posts, as a bulk load would: interleaving them
		// scatters posts in memory and slows every scan of them.
		for id := int64(1); id <= int64(users*postsPer); id++ {
			for k := range tagsPer {
				t := (id+int64(k)*7)%int64(tags) + 1
				if err := b.insertPostTag(tx, PostTag{PostID: id, TagID: t}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return b
}

// numberedUser is user id as Fill makes it: "user<id>", "user<id>@x".
func numberedUser(id int64) User {
	return User{ID: id, Name: fmt.Sprintf("user%d", id), Email: fmt.Sprintf("user%d@x", id)}
}

func (b *Blog) insertPostTag(tx *Tx, pt PostTag) error {
	var err error
	if b.PairTags != nil {
		_, err = b.PairTags.Insert(tx, pt)
	} else {
		_, err = b.PostTags.Insert(tx, pt)
	}
	return err
}

// Links returns every post_tags row, in the table's key order.
func (b *Blog) Links(tx *Tx) []PostTag {
	var out []PostTag
	if b.PairTags != nil {
		for pt := range b.PairTags.All(tx) {
			out = append(out, pt)
		}
		return out
	}
	for pt := range b.PostTags.All(tx) {
		out = append(out, pt)
	}
	return out
}

// Titled is users and posts only, with the posts of each user ordered by
// title: the model of the ordering and page tests.
type Titled struct {
	DB      *DB
	Users   *Table[User, int64]
	Posts   *Table[Post, int64]
	Author  *Relation[Post, User, int64]
	ByTitle *Ordering[Post, User, int64]
}

// NewTitled declares the titled model and opens an empty store with opts.
func NewTitled(tb testing.TB, opts ...Option) *Titled {
	tb.Helper()
	s := NewSchema()
	m := &Titled{}
	m.Users = NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	m.Posts = NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	m.Author = ForeignKey(m.Posts, "author", func(p *Post) *int64 { return &p.UserID }, m.Users)
	m.ByTitle = OrderChildren(m.Author, "by_title", func(p *Post) *string { return &p.Title })
	db, err := Open(s, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	m.DB = db
	return m
}
