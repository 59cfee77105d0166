package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/memrel/memrel"
)

//go:embed blog.json
var blogJSON []byte

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

type dataset struct {
	Users    []User    `json:"users"`
	Posts    []Post    `json:"posts"`
	Tags     []Tag     `json:"tags"`
	PostTags []PostTag `json:"post_tags"`
}

type blog struct {
	db       *memrel.DB
	users    *memrel.Table[User, int64]
	posts    *memrel.Table[Post, int64]
	tags     *memrel.Table[Tag, int64]
	postTags *memrel.Table[PostTag, int64]
	author   *memrel.Relation[Post, User, int64]
	tagged   *memrel.Relation[PostTag, Post, int64]
	tag      *memrel.Relation[PostTag, Tag, int64]
	tagging  *memrel.Association[PostTag, Post, Tag, int64, int64]
}

func openBlog() (*blog, error) {
	s := memrel.NewSchema()
	b := &blog{}
	b.users = memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	b.posts = memrel.NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	b.tags = memrel.NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	b.postTags = memrel.NewTable(s, "post_tags", func(pt *PostTag) *int64 { return &pt.ID })
	memrel.NewUniqueIndex(b.users, "email", func(u *User) *string { return &u.Email })
	memrel.NewUniqueIndex(b.tags, "name", func(t *Tag) *string { return &t.Name })
	cascade := memrel.Rules[int64]{OnDelete: memrel.Cascade, OnUpdate: memrel.Cascade}
	b.author = memrel.ForeignKey(b.posts, "author", func(p *Post) *int64 { return &p.UserID }, b.users, cascade)
	b.tagged = memrel.ForeignKey(b.postTags, "post", func(pt *PostTag) *int64 { return &pt.PostID }, b.posts, cascade)
	b.tag = memrel.ForeignKey(b.postTags, "tag", func(pt *PostTag) *int64 { return &pt.TagID }, b.tags, cascade)
	b.tagging = memrel.ManyToMany(b.tagged, b.tag)
	db, err := memrel.Open(s)
	b.db = db
	return b, err
}

func (b *blog) load(d *dataset) error {
	return b.db.Update(func(tx *memrel.Tx) error {
		for _, u := range d.Users {
			if _, err := b.users.Insert(tx, u); err != nil {
				return err
			}
		}
		for _, t := range d.Tags {
			if _, err := b.tags.Insert(tx, t); err != nil {
				return err
			}
		}
		for _, p := range d.Posts {
			if _, err := b.posts.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, pt := range d.PostTags {
			if _, err := b.postTags.Insert(tx, pt); err != nil {
				return err
			}
		}
		return nil
	})
}

func parseDataset(data []byte) (*dataset, error) {
	var d dataset
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return &d, nil
}

func demo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("memrel demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataPath := fs.String("data", "", "a blog dataset in the embedded one's JSON form (default: the embedded blog)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: memrel demo [-data file.json]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "memrel demo: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	data, source := blogJSON, "the embedded blog dataset"
	if *dataPath != "" {
		var err error
		if data, err = os.ReadFile(*dataPath); err != nil {
			fmt.Fprintf(stderr, "memrel demo: %v\n", err)
			return 1
		}
		source = *dataPath
	}
	if err := runDemo(data, source, stdout); err != nil {
		fmt.Fprintf(stderr, "memrel demo: %v\n", err)
		return 1
	}
	return 0
}

func runDemo(data []byte, source string, w io.Writer) error {
	d, err := parseDataset(data)
	if err != nil {
		return err
	}
	b, err := openBlog()
	if err != nil {
		return err
	}
	if err := b.load(d); err != nil {
		return fmt.Errorf("loading %s: %w", source, err)
	}
	fmt.Fprintf(w, "Loaded %d users, %d posts, %d tags and %d post-tag links from %s.\n",
		len(d.Users), len(d.Posts), len(d.Tags), len(d.PostTags), source)

	err = b.db.View(func(tx *memrel.Tx) error {
		fmt.Fprintln(w, "\nuser.posts (one-to-many, lazy):")
		for u := range b.users.All(tx) {
			fmt.Fprintf(w, "  %s:", u.Name)
			for p := range b.author.Children(tx, u.ID) {
				fmt.Fprintf(w, " %q", p.Title)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "\npost.author and post.tags (many-to-one, and many-to-many through post_tags):")
		for p := range b.posts.All(tx) {
			a, err := b.author.Parent(tx, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  %q by %s, tagged", p.Title, a.Name)
			for t := range b.tagging.Rights(tx, p.ID) {
				fmt.Fprintf(w, " %s", t.Name)
			}
			fmt.Fprintln(w)
		}
		return nil
	})
	if err != nil {
		return err
	}

	fmt.Fprintln(w, "\nIntegrity:")
	err = b.db.Update(func(tx *memrel.Tx) error {
		_, err := b.posts.Insert(tx, Post{Title: "Who wrote this?", UserID: 99})
		return err
	})
	var ce *memrel.ConstraintError
	if !errors.As(err, &ce) {
		return fmt.Errorf("a post by a missing user was not rejected: %v", err)
	}
	fmt.Fprintf(w, "  rejected: %v\n", err)
	fmt.Fprintf(w, "  errors.Is(err, memrel.ErrForeignKey) = %v\n", errors.Is(err, memrel.ErrForeignKey))

	var victim *User // the first user stored (a zero ID in the data was assigned one)
	_ = b.db.View(func(tx *memrel.Tx) error {
		for u := range b.users.All(tx) {
			victim = &u
			break
		}
		return nil
	})
	if victim != nil {
		before, err := counts(b)
		if err != nil {
			return err
		}
		if err := b.db.Update(func(tx *memrel.Tx) error { return b.users.Delete(tx, victim.ID) }); err != nil {
			return err
		}
		after, err := counts(b)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  deleting user %s cascades: posts %d -> %d, post-tag links %d -> %d\n",
			victim.Name, before[0], after[0], before[1], after[1])
	}
	if err := b.db.Verify(); err != nil {
		return err
	}
	fmt.Fprintln(w, "  Verify: every foreign key resolves, every index agrees with its rows")
	return nil
}

func counts(b *blog) ([2]int, error) {
	var c [2]int
	err := b.db.View(func(tx *memrel.Tx) (err error) {
		if c[0], err = b.posts.Len(tx); err != nil {
			return err
		}
		c[1], err = b.postTags.Len(tx)
		return err
	})
	return c, err
}
