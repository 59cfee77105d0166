package main

import (
	"bytes"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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
	if dec.More() {
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
		return firstErr(
			insertAll(tx, c.users, s.Users), insertAll(tx, c.follows, s.Follows),
			insertAll(tx, c.articles, s.Articles), insertAll(tx, c.tags, s.Tags),
			insertAll(tx, c.articleTags, s.ArticleTags), insertAll(tx, c.favorites, s.Favorites),
			insertAll(tx, c.comments, s.Comments))
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
	return os.Rename(f.Name(), path)
}

// newSecret is a random key for signing tokens.
func newSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return b
}
