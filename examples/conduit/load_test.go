package main

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/memrel/memrel"
)

// Clients on several goroutines register, follow, post, favorite, comment
// and read feeds against one server over loopback, for a bounded time
// and count. Afterwards no request got a 5xx, the store verifies, and its
// rows are what the clients were told they created.
func TestLoad(t *testing.T) {
	t.Parallel()
	db := base.Fork(t, memrel.Strict(false))
	s := serve(t, db)
	const clients, rounds = 8, 40
	deadline := time.Now().Add(3 * time.Second)
	var mu sync.Mutex
	created := map[string]int{}
	follows, favorites := map[[2]string]bool{}, map[[2]string]bool{}
	var fives []string
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			name := fmt.Sprint("client", c)
			check := func(r response, what string) bool {
				if r.status >= 500 {
					mu.Lock()
					fives = append(fives, fmt.Sprintf("%s: %d %s", what, r.status, r.raw))
					mu.Unlock()
				}
				return r.status < 300
			}
			r := s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": name, "email": name + "@example.com", "password": "pw"}})
			if !check(r, "register") {
				return
			}
			mu.Lock()
			created["users"]++
			mu.Unlock()
			tok := r.body["user"].(map[string]any)["token"].(string)
			for i := 0; i < rounds && time.Now().Before(deadline); i++ {
				other := fmt.Sprint("client", rng.IntN(clients))
				if rng.IntN(2) == 0 {
					other = []string{"jake", "ann", "bob"}[rng.IntN(3)]
				}
				switch rng.IntN(5) {
				case 0:
					if other != name && check(s.do("POST", "/api/profiles/"+other+"/follow", tok, nil), "follow") {
						mu.Lock()
						follows[[2]string{name, other}] = true
						mu.Unlock()
					}
				case 1:
					body := map[string]any{"article": map[string]any{"title": fmt.Sprint(name, " ", i), "description": "d", "body": "b", "tagList": []string{fmt.Sprint("t", rng.IntN(4))}}}
					if check(s.do("POST", "/api/articles", tok, body), "post") {
						mu.Lock()
						created["articles"]++
						mu.Unlock()
					}
				case 2, 3:
					list := s.do("GET", fmt.Sprint("/api/articles?limit=5&offset=", rng.IntN(10)), tok, nil)
					arts, _ := list.body["articles"].([]any)
					if !check(list, "list") || len(arts) == 0 {
						continue
					}
					slug := arts[rng.IntN(len(arts))].(map[string]any)["slug"].(string)
					if check(s.do("POST", "/api/articles/"+slug+"/favorite", tok, nil), "favorite") {
						mu.Lock()
						favorites[[2]string{name, slug}] = true
						mu.Unlock()
					}
					if check(s.do("POST", "/api/articles/"+slug+"/comments", tok, map[string]any{"comment": map[string]string{"body": "hi"}}), "comment") {
						mu.Lock()
						created["comments"]++
						mu.Unlock()
					}
				case 4:
					check(s.do("GET", "/api/articles/feed?limit=10", tok, nil), "feed")
				}
			}
		}()
	}
	wg.Wait()
	for _, f := range fives {
		t.Error(f)
	}
	if err := db.Verify(); err != nil {
		t.Fatal(err)
	}
	seed := map[string]int{"users": 3, "articles": 4, "comments": 2, "follows": 3, "favorites": 3}
	want := map[string]int{"users": seed["users"] + created["users"], "articles": seed["articles"] + created["articles"],
		"comments": seed["comments"] + created["comments"], "follows": seed["follows"] + len(follows), "favorites": seed["favorites"] + len(favorites)}
	got := map[string]int{}
	_ = db.View(func(tx *memrel.Tx) error {
		for name, n := range map[string]func() (int, error){
			"users": func() (int, error) { return testSchema.users.Len(tx) }, "articles": func() (int, error) { return testSchema.articles.Len(tx) },
			"comments": func() (int, error) { return testSchema.comments.Len(tx) }, "follows": func() (int, error) { return testSchema.follows.Len(tx) },
			"favorites": func() (int, error) { return testSchema.favorites.Len(tx) },
		} {
			got[name], _ = n()
		}
		return nil
	})
	// The clients never unfollow or unfavorite, and the seed's follows and
	// favorites are not among theirs.
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v (created %v)", got, want, created)
	}
	if created["articles"] == 0 || created["comments"] == 0 || len(follows) == 0 || len(favorites) == 0 {
		t.Errorf("the clients did too little to test: %v, %d follows, %d favorites", created, len(follows), len(favorites))
	}
	t.Logf("created %v, %d follows, %d favorites", created, len(follows), len(favorites))
}
