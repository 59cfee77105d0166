package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/memrel/memrel"
)

// benchStore is 100 users with 100 articles each (10,000), 20 tags, a
// favorite and a comment per article; user 1 follows users 2 to 51.
func benchStore(b *testing.B) (*app, string) {
	b.Helper()
	c := testSchema
	db, err := memrel.Open(c.s)
	if err != nil {
		b.Fatal(err)
	}
	err = db.Update(func(tx *memrel.Tx) error {
		for u := int64(1); u <= 100; u++ {
			if _, err := c.users.Insert(tx, User{ID: u, Email: fmt.Sprint("u", u, "@x"), Username: fmt.Sprint("u", u)}); err != nil {
				return err
			}
			if u > 1 && u <= 51 {
				if _, err := c.follows.Insert(tx, Follow{FollowerID: 1, FolloweeID: u}); err != nil {
					return err
				}
			}
		}
		for t := int64(1); t <= 20; t++ {
			if _, err := c.tags.Insert(tx, Tag{ID: t, Name: fmt.Sprint("tag", t)}); err != nil {
				return err
			}
		}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := int64(1); i <= 10000; i++ {
			at := start.Add(time.Duration(i) * time.Minute)
			art, err := c.articles.Insert(tx, Article{Slug: fmt.Sprint("a", i), Title: "t", Description: "d", Body: "b", AuthorID: (i-1)%100 + 1, CreatedAt: at, UpdatedAt: at})
			if err == nil {
				_, err = c.articleTags.Insert(tx, ArticleTag{ArticleID: art.ID, TagID: i%20 + 1})
			}
			if err == nil {
				_, err = c.favorites.Insert(tx, Favorite{UserID: (i+7)%100 + 1, ArticleID: art.ID})
			}
			if err == nil {
				_, err = c.comments.Insert(tx, Comment{ArticleID: art.ID, AuthorID: (i+3)%100 + 1, Body: "c", CreatedAt: at, UpdatedAt: at})
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	a := newApp(c, db, []byte("a bench secret, 32 bytes long..."))
	tok, err := a.token(User{ID: 1})
	if err != nil {
		b.Fatal(err)
	}
	return a, tok
}

// BenchmarkConduit: a page of 20 articles at 10,000, per request, through
// the handler (no network): the global list, a tag's, an author's, and the
// feed of a user who follows 50 authors. Each checks its page first.
func BenchmarkConduit(b *testing.B) {
	a, tok := benchStore(b)
	for _, c := range []struct{ name, path string }{
		{"list", "/api/articles"},
		{"tag", "/api/articles?tag=tag3"},
		{"author", "/api/articles?author=u7"},
		{"feed", "/api/articles/feed"},
		{"list-offset-5000", "/api/articles?offset=5000"},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", c.path, nil)
			req.Header.Set("Authorization", "Token "+tok)
			get := func() *httptest.ResponseRecorder {
				w := httptest.NewRecorder()
				a.ServeHTTP(w, req)
				return w
			}
			var page struct {
				Articles []struct {
					Author struct{ Username string }
				}
				ArticlesCount int
			}
			w := get()
			if err := json.Unmarshal(w.Body.Bytes(), &page); w.Code != http.StatusOK || err != nil || len(page.Articles) != 20 || page.ArticlesCount < 20 {
				b.Fatalf("%s: %d, %d articles of %d: %s", c.path, w.Code, len(page.Articles), page.ArticlesCount, w.Body.String()[:min(200, w.Body.Len())])
			}
			b.ReportAllocs()
			for b.Loop() {
				get()
			}
		})
	}
}
