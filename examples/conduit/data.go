package main

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/memrel/memrel"
)

// seedJSON is the small blog a server starts with, unless -empty: three
// users (password "password"), articles, tags, favorites, follows and
// comments, in the data file's form.
//
//go:embed seed.json
var seedJSON []byte

// snapshot is the data file: every table's rows, and the key that signs
// tokens, so that they stay valid across restarts.
type snapshot struct {
	Version     int          `json:"version"`
	Secret      string       `json:"secret"`
	Users       []User       `json:"users"`
	Follows     []Follow     `json:"follows"`
	Articles    []Article    `json:"articles"`
	Tags        []Tag        `json:"tags"`
	ArticleTags []ArticleTag `json:"article_tags"`
	Favorites   []Favorite   `json:"favorites"`
	Comments    []Comment    `json:"comments"`
	// Sequences are the tables' key sequences (memrel's Table.Sequence).
	Sequences struct {
		Users, Articles, Tags, Comments int64
	} `json:"sequences"`
}

// snapshotOf reads every row of db in one transaction.
func snapshotOf(c *schema, db *memrel.DB, secret []byte) (*snapshot, error) {
	s := &snapshot{Version: 1, Secret: hex.EncodeToString(secret)}
	err := db.View(func(tx *memrel.Tx) error {
		s.Users = collect(tx, c.users)
		s.Follows = collect(tx, c.follows)
		s.Articles = collect(tx, c.articles)
		s.Tags = collect(tx, c.tags)
		s.ArticleTags = collect(tx, c.articleTags)
		s.Favorites = collect(tx, c.favorites)
		s.Comments = collect(tx, c.comments)
		var err error
		for _, q := range []struct {
			dst *int64
			seq func(*memrel.Tx) (int64, error)
		}{{&s.Sequences.Users, c.users.Sequence}, {&s.Sequences.Articles, c.articles.Sequence},
			{&s.Sequences.Tags, c.tags.Sequence}, {&s.Sequences.Comments, c.comments.Sequence}} {
			if *q.dst, err = q.seq(tx); err != nil {
				return err
			}
		}
		return tx.Err()
	})
	return s, err
}

func collect[T any, K comparable](tx *memrel.Tx, t *memrel.Table[T, K]) []T {
	out := []T{}
	for r := range t.All(tx) {
		out = append(out, r)
	}
	return out
}

// load parses data and stores its rows in db, which must be empty; memrel
// checks every key and reference as it would for any write, so that a
// file edited by hand into something inconsistent is refused whole.
func load(c *schema, db *memrel.DB, data []byte) (secret []byte, err error) {
	var s snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a conduit data file: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a conduit data file: more than one JSON value")
	}
	if s.Version != 1 {
		return nil, fmt.Errorf("data file version %d, want 1", s.Version)
	}
	if secret, err = hex.DecodeString(s.Secret); err != nil || len(secret) < 16 {
		return nil, errors.New("data file: secret: want at least 16 bytes in hex")
	}
	err = db.Update(func(tx *memrel.Tx) error {
		if err := tx.DeferConstraints(); err != nil { // rows in any order
			return err
		}
		for _, load := range []func() error{
			func() error { return insertAll(tx, c.users, s.Users) }, func() error { return insertAll(tx, c.follows, s.Follows) },
			func() error { return insertAll(tx, c.articles, s.Articles) }, func() error { return insertAll(tx, c.tags, s.Tags) },
			func() error { return insertAll(tx, c.articleTags, s.ArticleTags) }, func() error { return insertAll(tx, c.favorites, s.Favorites) },
			func() error { return insertAll(tx, c.comments, s.Comments) },
		} {
			if err := load(); err != nil {
				return err
			}
		}
		// The sequences as they were, so that keys of rows deleted before
		// the save are not given again.
		for _, r := range []struct {
			seq   int64
			raise func(*memrel.Tx, int64) error
		}{{s.Sequences.Users, c.users.RaiseSequence}, {s.Sequences.Articles, c.articles.RaiseSequence},
			{s.Sequences.Tags, c.tags.RaiseSequence}, {s.Sequences.Comments, c.comments.RaiseSequence}} {
			if err := r.raise(tx, r.seq); err != nil {
				return err
			}
		}
		return nil
	})
	return secret, err
}

func insertAll[T any, K comparable](tx *memrel.Tx, t *memrel.Table[T, K], rows []T) error {
	for _, r := range rows {
		if _, err := t.InsertWithKey(tx, r); err != nil {
			return err
		}
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// save writes the snapshot to path atomically: a temporary file in the
// same directory, synced, then renamed over path. A crash at any moment
// leaves the old file or the new one, whole.
func save(path string, s *snapshot) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, there is nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	// The rename itself, durable: sync the directory that holds it.
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// newSecret is a random key for signing tokens.
func newSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}
