package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/internal/blogdb"
)

// The demo's blog: its schema and dataset are internal/blogdb's, shared
// with conformance/, which round-trips it through SQLite and PostgreSQL.
type (
	blog    = blogdb.Blog
	dataset = blogdb.Dataset
	User    = blogdb.User
	Post    = blogdb.Post
	Tag     = blogdb.Tag
	PostTag = blogdb.PostTag
)

var blogJSON = blogdb.JSON

func openBlog() (*blog, error) { return blogdb.Open() }

// parseDataset decodes data, named name in errors, as exactly one JSON
// object in the dataset's form: unknown fields and anything but white space
// after the object are errors. An error names name and, where the decoder
// gives an offset, the line and column (in bytes, from 1) as name:line:col.
func parseDataset(name string, data []byte) (*dataset, error) {
	var d dataset
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&d)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%s: no JSON value", name)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, fmt.Errorf("%s: unexpected end of JSON input", position(name, data, int64(len(data))))
	case errors.As(err, &syntax):
		return nil, fmt.Errorf("%s: %w", position(name, data, syntax.Offset-1), err)
	case errors.As(err, &typ):
		return nil, fmt.Errorf("%s: %w", position(name, data, typ.Offset-1), err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	start := int64(len(data) - len(bytes.TrimLeft(data, jsonSpace)))
	if data[start] != '{' { // null: every other kind of value is a type error
		return nil, fmt.Errorf("%s: the dataset is not a JSON object", position(name, data, start))
	}
	end := dec.InputOffset()
	if rest := bytes.TrimLeft(data[end:], jsonSpace); len(rest) > 0 {
		return nil, fmt.Errorf("%s: data after the dataset's JSON object", position(name, data, int64(len(data)-len(rest))))
	}
	return &d, nil
}

// jsonSpace is the white space JSON allows between values.
const jsonSpace = " \t\r\n"

// position formats the place of byte off of data as name:line:col.
func position(name string, data []byte, off int64) string {
	off = max(0, min(off, int64(len(data))))
	before := data[:off]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%s:%d:%d", name, line, col)
}

// absentKey returns a key that is not in keys: one above the largest
// positive key (1 if there is none) or, when that would overflow, the
// smallest positive key not taken.
func absentKey(keys map[int64]bool) int64 {
	largest := int64(0)
	for k := range keys {
		largest = max(largest, k)
	}
	if largest < math.MaxInt64 {
		return largest + 1
	}
	k := int64(1)
	for keys[k] { // ends within len(keys)+1 steps
		k++
	}
	return k
}

// keysOf returns the keys of the rows of t.
func keysOf[T any](b *blog, t *memrel.Table[T, int64], key func(*T) int64) (map[int64]bool, error) {
	keys := map[int64]bool{}
	err := b.DB.View(func(tx *memrel.Tx) error {
		for r := range t.All(tx) {
			keys[key(&r)] = true
		}
		return nil
	})
	return keys, err
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
	out := &errWriter{w: stdout}
	if err := runDemo(data, source, out); err != nil {
		fmt.Fprintf(stderr, "memrel demo: %v\n", err)
		return 1
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "memrel demo: writing the output: %v\n", out.err)
		return 1
	}
	return 0
}

func runDemo(data []byte, source string, w io.Writer) error {
	d, err := parseDataset(source, data)
	if err != nil {
		return err
	}
	b, err := openBlog()
	if err != nil {
		return err
	}
	if err := b.Load(d); err != nil {
		return fmt.Errorf("loading %s: %w", source, err)
	}
	fmt.Fprintf(w, "Loaded %d users, %d posts, %d tags and %d post-tag links from %s.\n",
		len(d.Users), len(d.Posts), len(d.Tags), len(d.PostTags), source)

	err = b.DB.View(func(tx *memrel.Tx) error {
		fmt.Fprintln(w, "\nuser.posts (one-to-many, lazy):")
		for u := range b.Users.All(tx) {
			fmt.Fprintf(w, "  %s:", u.Name)
			for p := range b.Author.Children(tx, u.ID) {
				fmt.Fprintf(w, " %q", p.Title)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, "\npost.author and post.tags (many-to-one, and many-to-many through post_tags):")
		for p := range b.Posts.All(tx) {
			a, err := b.Author.Parent(tx, p)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "  %q by %s, tagged", p.Title, a.Name)
			for t := range b.Tagging.Rights(tx, p.ID) {
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
	// A post by a user who does not exist, under a post key not taken, so
	// that the foreign key is the only reason to reject it.
	userKeys, err := keysOf(b, b.Users, func(u *User) int64 { return u.ID })
	if err != nil {
		return err
	}
	postKeys, err := keysOf(b, b.Posts, func(p *Post) int64 { return p.ID })
	if err != nil {
		return err
	}
	orphan := Post{ID: absentKey(postKeys), Title: "Who wrote this?", UserID: absentKey(userKeys)}
	err = b.DB.Update(func(tx *memrel.Tx) error {
		_, err := b.Posts.Insert(tx, orphan)
		return err
	})
	var ce *memrel.ConstraintError
	if !errors.As(err, &ce) || !errors.Is(err, memrel.ErrForeignKey) {
		return fmt.Errorf("a post by missing user %d was not rejected by its foreign key: %v", orphan.UserID, err)
	}
	fmt.Fprintf(w, "  rejected: %v\n", err)
	fmt.Fprintf(w, "  errors.Is(err, memrel.ErrForeignKey) = %v\n", errors.Is(err, memrel.ErrForeignKey))

	var victim *User // the first user stored (a zero ID in the data was assigned one)
	_ = b.DB.View(func(tx *memrel.Tx) error {
		for u := range b.Users.All(tx) {
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
		if err := b.DB.Update(func(tx *memrel.Tx) error { return b.Users.Delete(tx, victim.ID) }); err != nil {
			return err
		}
		after, err := counts(b)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  deleting user %s cascades: posts %d -> %d, post-tag links %d -> %d\n",
			victim.Name, before[0], after[0], before[1], after[1])
	}
	if err := b.DB.Verify(); err != nil {
		return err
	}
	fmt.Fprintln(w, "  Verify: every foreign key resolves, every index agrees with its rows")
	return nil
}

func counts(b *blog) ([2]int, error) {
	var c [2]int
	err := b.DB.View(func(tx *memrel.Tx) (err error) {
		if c[0], err = b.Posts.Len(tx); err != nil {
			return err
		}
		c[1], err = b.PostTags.Len(tx)
		return err
	})
	return c, err
}
