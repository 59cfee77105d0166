package main

import (
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/memrel/memrel"
	"golang.org/x/crypto/bcrypt"
)

var updateSeed = flag.Bool("update-seed", false, "rewrite seed.json from seedRows")

// seedRows is the embedded seed: three users who all have the password
// "password", four articles, their tags, follows, favorites and comments.
func seedRows(t *testing.T) *snapshot {
	hash, err := bcrypt.GenerateFromPassword([]byte("password"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	at := func(day int) time.Time { return time.Date(2026, 11, day, 9, 0, 0, 0, time.UTC) }
	return &snapshot{
		Version: 1, Secret: "73656564207365637265742c207265706c61636564206174207374617274",
		Users: []User{
			{ID: 1, Email: "jake@example.com", Username: "jake", PasswordHash: string(hash), Bio: "I work at statefarm"},
			{ID: 2, Email: "ann@example.com", Username: "ann", PasswordHash: string(hash), Image: "https://api.realworld.io/images/smiley-cyrus.jpeg"},
			{ID: 3, Email: "bob@example.com", Username: "bob", PasswordHash: string(hash)},
		},
		Follows: []Follow{{1, 2}, {3, 1}, {3, 2}},
		Articles: []Article{
			{ID: 1, Slug: "how-to-train-your-dragon", Title: "How to train your dragon", Description: "Ever wonder how?", Body: "It takes a Jacobian", AuthorID: 1, CreatedAt: at(1), UpdatedAt: at(1)},
			{ID: 2, Slug: "relations-in-memory", Title: "Relations in memory", Description: "memrel at work", Body: "Foreign keys both ways.", AuthorID: 2, CreatedAt: at(2), UpdatedAt: at(3)},
			{ID: 3, Slug: "the-n-1-problem", Title: "The N+1 problem", Description: "and how loaders avoid it", Body: "One batch per level.", AuthorID: 2, CreatedAt: at(4), UpdatedAt: at(4)},
			{ID: 4, Slug: "hello-conduit", Title: "Hello, Conduit", Description: "a first post", Body: "Hi!", AuthorID: 3, CreatedAt: at(5), UpdatedAt: at(5)},
		},
		Tags:        []Tag{{1, "dragons"}, {2, "training"}, {3, "go"}, {4, "databases"}},
		ArticleTags: []ArticleTag{{1, 1}, {1, 2}, {2, 3}, {2, 4}, {3, 3}},
		Favorites:   []Favorite{{2, 1}, {3, 1}, {1, 2}},
		Comments: []Comment{
			{ID: 1, ArticleID: 1, AuthorID: 2, Body: "Thank you so much!", CreatedAt: at(2), UpdatedAt: at(2)},
			{ID: 2, ArticleID: 2, AuthorID: 1, Body: "Both ways, at last.", CreatedAt: at(3), UpdatedAt: at(3)},
		},
	}
}

// The embedded seed loads, and is what seedRows says (rewrite it with
// -update-seed); its users log in with "password".
func TestSeed(t *testing.T) {
	if *updateSeed {
		data, err := json.MarshalIndent(seedRows(t), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("seed.json", append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	c := newSchema()
	db, err := memrel.Open(c.s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := load(c, db, seedJSON); err != nil {
		t.Fatal(err)
	}
	s, err := snapshotOf(c, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := seedRows(t)
	if len(s.Users) != len(want.Users) || len(s.Articles) != len(want.Articles) || len(s.Comments) != len(want.Comments) || len(s.Favorites) != len(want.Favorites) {
		t.Errorf("seed.json holds %d users, %d articles, %d comments, %d favorites; seedRows %d, %d, %d, %d: run go test -run TestSeed -update-seed",
			len(s.Users), len(s.Articles), len(s.Comments), len(s.Favorites), len(want.Users), len(want.Articles), len(want.Comments), len(want.Favorites))
	}
	for _, u := range s.Users {
		if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("password")) != nil {
			t.Errorf("%s's password is not \"password\"", u.Username)
		}
	}
}
