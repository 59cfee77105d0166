package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/memreltest"
)

// big is the seed and, by ann, 30 more articles tagged go, each favorited
// by jake and commented on by bob, who follows her: lists longer than any
// page.
var big = memreltest.NewBase(testSchema.s, func(tx *memrel.Tx) error {
	if err := seedTx(tx); err != nil {
		return err
	}
	c := testSchema
	for i := range 30 {
		at := time.Date(2026, 11, 10, 0, i, 0, 0, time.UTC)
		art, err := c.articles.Insert(tx, Article{Slug: fmt.Sprint("more-", i), Title: "More", Description: "d", Body: "b", AuthorID: 2, CreatedAt: at, UpdatedAt: at})
		if err != nil {
			return err
		}
		if _, err := c.articleTags.Insert(tx, ArticleTag{ArticleID: art.ID, TagID: 3}); err != nil {
			return err
		}
		if _, err := c.favorites.Insert(tx, Favorite{UserID: 1, ArticleID: art.ID}); err != nil {
			return err
		}
		if _, err := c.comments.Insert(tx, Comment{ArticleID: 2, AuthorID: 3, Body: fmt.Sprint("comment ", i), CreatedAt: at, UpdatedAt: at}); err != nil {
			return err
		}
	}
	return nil
})

// loads is every counter of db's schema, by name: tables and relations.
func loads(db *memrel.DB) map[string]memrel.LoadStats {
	out := map[string]memrel.LoadStats{}
	for _, t := range db.Schema().Tables() {
		out[t.Name] = db.LoadStats(t)
		for _, r := range t.Relations {
			out[r.QName()] = db.LoadStats(r)
		}
	}
	return out
}

// loadsOf is the loads and batches fn makes, relation by relation and
// table by table (rows aside).
func loadsOf(db *memrel.DB, fn func()) map[string][2]int64 {
	before := loads(db)
	fn()
	out := map[string][2]int64{}
	for name, after := range loads(db) {
		if d := [2]int64{after.Lazy - before[name].Lazy, after.Batches - before[name].Batches}; d != [2]int64{} {
			out[name] = d
		}
	}
	return out
}

// Every list endpoint loads eagerly: the same loads, relation by
// relation, for a page of 1 and of 20, signed in and not, on a strict
// fork (a lazy load of a relation would fail the request); and within
// budgets that name the loaders.
func TestListsLoadInConstantBatches(t *testing.T) {
	t.Parallel()
	db := big.Fork(t)
	s := serve(t, db)
	jake := s.login("jake@example.com")
	bob := s.login("bob@example.com")
	c := testSchema
	for _, e := range []struct{ path, token string }{
		{"/api/articles", ""},
		{"/api/articles", jake},
		{"/api/articles?tag=go", jake},
		{"/api/articles?author=ann", jake},
		{"/api/articles?favorited=jake", bob},
		{"/api/articles?author=ann&tag=go", jake},
		{"/api/articles?tag=go&favorited=jake", ""},
		{"/api/articles/feed", bob},
		{"/api/articles/relations-in-memory/comments", jake},
	} {
		t.Run(e.path, func(t *testing.T) {
			var sizes []int
			var counts []map[string][2]int64
			for _, limit := range []int{1, 20} {
				path := e.path + sep(e.path) + fmt.Sprint("limit=", limit)
				var r response
				counts = append(counts, loadsOf(db, func() { r = s.do("GET", path, e.token, nil).ok(t, 200) }))
				if list, ok := r.body["articles"].([]any); ok {
					sizes = append(sizes, len(list))
				}
			}
			if fmt.Sprint(counts[0]) != fmt.Sprint(counts[1]) {
				t.Errorf("loads at limit 1: %v\nat limit 20: %v", counts[0], counts[1])
			}
			if len(sizes) == 2 && (sizes[0] != 1 || sizes[1] < 2) {
				t.Errorf("pages of %v articles: the test needs longer lists", sizes)
			}
			memreltest.AssertLoads(t, db, func() { s.do("GET", e.path, e.token, nil).ok(t, 200) },
				memreltest.Batches(c.author, 3), memreltest.Batches(c.tagged, 1), memreltest.Batches(c.favorited, 2),
				memreltest.Batches(c.followee, 2), memreltest.Batches(c.commented, 1), memreltest.Batches(c.commenter, 1),
				memreltest.Batches(c.articles, 1), memreltest.Lazy(4))
		})
	}
}

func sep(path string) string {
	for _, r := range path {
		if r == '?' {
			return "&"
		}
	}
	return "?"
}
