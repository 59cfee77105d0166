package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// Register: 201, the user with a token that works.
	r := s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": "cara", "email": "cara@example.com", "password": "secret"}})
	u := r.ok(t, 201).object(t, "user", userKeys...)
	if u["username"] != "cara" || u["email"] != "cara@example.com" || u["bio"] != "" || u["image"] != "" {
		t.Errorf("registered %v", u)
	}
	tok := u["token"].(string)
	s.do("GET", "/api/user", tok, nil).ok(t, 200).object(t, "user", userKeys...)
	// Taken e-mail and username, missing fields, bad JSON, wrong types.
	s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": "cara2", "email": "cara@example.com", "password": "x"}}).failed(t, 422, "email has already been taken")
	s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": "cara", "email": "c2@example.com", "password": "x"}}).failed(t, 422, "username has already been taken")
	s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"email": "x@example.com"}}).failed(t, 422, "username can't be blank")
	s.do("POST", "/api/users", "", `{"user": {"username": "x", "email": "x@x", "password":`).failed(t, 422, "incomplete JSON")
	s.do("POST", "/api/users", "", `{"user": {"username": 7}}`).failed(t, 422, "user.username: want a string, not number")
	s.do("POST", "/api/users", "", `{"user": {"username": "x" "email"}}`).failed(t, 422, "invalid JSON at byte")
	s.do("POST", "/api/users", "", `{"user": {}}]`).failed(t, 422, "more than one JSON value")
	s.do("POST", "/api/users", "", `{}`).failed(t, 422, "user can't be blank")
	s.do("POST", "/api/users", "", `[1, 2]`).failed(t, 422, "want an object, not array")
	// E-mails are compared trimmed and in lower case; usernames are path
	// segments; names are at most 200 bytes.
	s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": "jake2", "email": " JAKE@example.com", "password": "x"}}).failed(t, 422, "email has already been taken")
	s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": "x", "email": "not-an-email", "password": "x"}}).failed(t, 422, "email is invalid")
	s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": "a/b", "email": "ab@example.com", "password": "x"}}).failed(t, 422, "username may not")
	s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": strings.Repeat("x", 70000), "email": "x@example.com", "password": "x"}}).failed(t, 422, "username is too long")
	s.do("POST", "/api/users", "", `{"user": {}} {"more": 1}`).failed(t, 422, "more than one JSON value")
	s.do("POST", "/api/users", "", `{"user": {"username": "`+strings.Repeat("x", maxBody)+`"}}`).failed(t, 413, "larger than")

	// Login: 200 with a token; wrong passwords and unknown e-mails 401.
	s.do("POST", "/api/users/login", "", map[string]any{"user": map[string]string{"email": "Cara@Example.com ", "password": "secret"}}).ok(t, 200).object(t, "user", userKeys...)
	s.do("POST", "/api/users/login", "", map[string]any{"user": map[string]string{"email": "cara@example.com", "password": "wrong"}}).failed(t, 401, "invalid")
	s.do("POST", "/api/users/login", "", map[string]any{"user": map[string]string{"email": "nobody@example.com", "password": "x"}}).failed(t, 401, "invalid")
	s.do("POST", "/api/users/login", "", map[string]any{"user": map[string]string{"email": "cara@example.com"}}).failed(t, 422, "password can't be blank")

	// Current user: a token is needed, and must be valid.
	s.do("GET", "/api/user", "", nil).failed(t, 401, "unauthorized")
	s.do("GET", "/api/user", "not.a.jwt", nil).failed(t, 401, "unauthorized")
	s.do("GET", "/api/user", tok[:len(tok)-2]+"xx", nil).failed(t, 401, "unauthorized")
	other := newApp(testSchema, s.db, []byte("another secret, 32 bytes long..."))
	forged, _ := other.token(User{ID: 1})
	s.do("GET", "/api/user", forged, nil).failed(t, 401, "unauthorized")

	// Update: any field; the new password logs in, e-mails stay unique.
	r = s.do("PUT", "/api/user", tok, map[string]any{"user": map[string]string{"bio": "Hi", "image": "https://x/i.png", "password": "new"}})
	u = r.ok(t, 200).object(t, "user", userKeys...)
	if u["bio"] != "Hi" || u["image"] != "https://x/i.png" {
		t.Errorf("updated %v", u)
	}
	s.do("POST", "/api/users/login", "", map[string]any{"user": map[string]string{"email": "cara@example.com", "password": "new"}}).ok(t, 200)
	s.do("PUT", "/api/user", tok, map[string]any{"user": map[string]string{"email": "jake@example.com"}}).failed(t, 422, "email has already been taken")
	s.do("PUT", "/api/user", tok, map[string]any{"user": map[string]string{}}).failed(t, 422, "at least one")
	// A null bio or image clears it; a null e-mail is blank.
	if u := s.do("PUT", "/api/user", tok, `{"user": {"bio": null}}`).ok(t, 200).object(t, "user", userKeys...); u["bio"] != "" || u["image"] != "https://x/i.png" {
		t.Errorf("after a null bio: %v", u)
	}
	s.do("PUT", "/api/user", tok, `{"user": {"email": null}}`).failed(t, 422, "email can't be blank")
	s.do("PUT", "/api/user", tok, `{"user": {"bio": 3}}`).failed(t, 422, "want a string")
	s.do("PUT", "/api/user", tok, map[string]any{"user": map[string]string{"email": strings.Repeat("x", 300) + "@example.com"}}).failed(t, 422, "email is too long")
	s.do("PUT", "/api/user", tok, map[string]any{"user": map[string]string{"username": " "}}).failed(t, 422, "username can't be blank")
	s.do("PUT", "/api/user", "", map[string]any{"user": map[string]string{"bio": "x"}}).failed(t, 401, "unauthorized")
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	jake := s.login("jake@example.com")
	p := s.do("GET", "/api/profiles/ann", "", nil).ok(t, 200).object(t, "profile", profileKeys...)
	if p["username"] != "ann" || p["following"] != false {
		t.Errorf("ann, anonymously: %v", p)
	}
	if p := s.do("GET", "/api/profiles/ann", jake, nil).ok(t, 200).object(t, "profile", profileKeys...); p["following"] != true {
		t.Errorf("ann, to jake who follows her: %v", p)
	}
	s.do("GET", "/api/profiles/nobody", "", nil).failed(t, 404, "not found")
	// Follow twice is follow once; unfollow twice likewise.
	for range 2 {
		if p := s.do("POST", "/api/profiles/bob/follow", jake, nil).ok(t, 200).object(t, "profile", profileKeys...); p["following"] != true {
			t.Errorf("followed bob: %v", p)
		}
	}
	if p := s.do("GET", "/api/profiles/bob", jake, nil).ok(t, 200).object(t, "profile", profileKeys...); p["following"] != true {
		t.Errorf("bob after follow: %v", p)
	}
	for range 2 {
		if p := s.do("DELETE", "/api/profiles/bob/follow", jake, nil).ok(t, 200).object(t, "profile", profileKeys...); p["following"] != false {
			t.Errorf("unfollowed bob: %v", p)
		}
	}
	s.do("POST", "/api/profiles/jake/follow", jake, nil).failed(t, 422, "yourself")
	s.do("POST", "/api/profiles/nobody/follow", jake, nil).failed(t, 404, "not found")
	s.do("POST", "/api/profiles/bob/follow", "", nil).failed(t, 401, "unauthorized")
}

func TestArticles(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	jake, ann := s.login("jake@example.com"), s.login("ann@example.com")
	// The global list, newest first, and its pages.
	all := s.do("GET", "/api/articles", "", nil).ok(t, 200)
	if got, want := slugs(all.articles(t)), []string{"hello-conduit", "the-n-1-problem", "relations-in-memory", "how-to-train-your-dragon"}; !slices.Equal(got, want) {
		t.Errorf("articles %v, want %v", got, want)
	}
	if all.body["articlesCount"] != 4.0 {
		t.Errorf("articlesCount %v", all.body["articlesCount"])
	}
	if got := slugs(s.do("GET", "/api/articles?limit=2&offset=1", "", nil).ok(t, 200).articles(t)); !slices.Equal(got, []string{"the-n-1-problem", "relations-in-memory"}) {
		t.Errorf("limit 2 offset 1: %v", got)
	}
	s.do("GET", "/api/articles?limit=-1", "", nil).failed(t, 422, "limit")
	s.do("GET", "/api/articles?offset=x", "", nil).failed(t, 422, "offset")
	// Filters, alone and together; a name that matches nothing, nothing.
	for q, want := range map[string][]string{
		"tag=go":                      {"the-n-1-problem", "relations-in-memory"},
		"author=ann":                  {"the-n-1-problem", "relations-in-memory"},
		"favorited=jake":              {"relations-in-memory"},
		"favorited=bob":               {"how-to-train-your-dragon"},
		"tag=dragons&favorited=ann":   {"how-to-train-your-dragon"},
		"author=ann&tag=databases":    {"relations-in-memory"},
		"author=ann&favorited=jake":   {"relations-in-memory"},
		"author=jake&tag=go":          nil,
		"tag=go&limit=1&offset=1":     {"relations-in-memory"},
		"tag=nothing":                 nil,
		"author=nobody":               nil,
		"favorited=nobody&tag=go":     nil,
		"author=ann&tag=go&limit=1":   {"the-n-1-problem"},
		"author=ann&tag=go&offset=1":  {"relations-in-memory"},
		"tag=go&favorited=jake":       {"relations-in-memory"},
		"author=ann&favorited=nobody": nil,
	} {
		r := s.do("GET", "/api/articles?"+q, "", nil).ok(t, 200)
		if got := slugs(r.articles(t)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	if n := s.do("GET", "/api/articles?tag=go&limit=1", "", nil).body["articlesCount"]; n != 2.0 {
		t.Errorf("tag=go&limit=1: articlesCount %v, want 2 (all that match)", n)
	}
	// As jake sees them: ann's articles' author followed, his favorite
	// favorited, counts.
	for _, a := range s.do("GET", "/api/articles?author=ann", jake, nil).ok(t, 200).articles(t) {
		if a["author"].(map[string]any)["following"] != true {
			t.Errorf("jake follows ann: %v", a["author"])
		}
		if fav := a["slug"] == "relations-in-memory"; a["favorited"] != fav {
			t.Errorf("%s favorited %v, want %v", a["slug"], a["favorited"], fav)
		}
	}

	// Create: 201, a slug of the title (another if taken), sorted tags.
	body := map[string]any{"article": map[string]any{"title": "How to train your dragon", "description": "d", "body": "b", "tagList": []string{"z", "dragons", "z"}}}
	a := s.do("POST", "/api/articles", ann, body).ok(t, 201).object(t, "article", articleKeys...)
	if a["slug"] != "how-to-train-your-dragon--5" || !cmp.Equal(a["tagList"], []any{"dragons", "z"}) || a["favoritesCount"] != 0.0 || a["author"].(map[string]any)["username"] != "ann" {
		t.Errorf("created %v", a)
	}
	s.do("POST", "/api/articles", ann, map[string]any{"article": map[string]any{"title": "t", "description": "d"}}).failed(t, 422, "body can't be blank")
	s.do("POST", "/api/articles", ann, map[string]any{"article": map[string]any{"title": 1}}).failed(t, 422, "article.title: want a string")
	s.do("POST", "/api/articles", ann, map[string]any{"article": map[string]any{"title": strings.Repeat("t", 70000), "description": "d", "body": "b"}}).failed(t, 422, "title is too long")
	s.do("POST", "/api/articles", ann, map[string]any{"article": map[string]any{"title": "t", "description": "d", "body": "b", "tagList": []string{strings.Repeat("t", 300)}}}).failed(t, 422, "tag is too long")
	// Many new tags at once, on a strict fork: one scan of the tags, not
	// a lookup per tag (strict mode would refuse the third).
	if m := s.do("POST", "/api/articles", ann, map[string]any{"article": map[string]any{"title": "Tags", "description": "d", "body": "b", "tagList": []string{"t4", "t1", "t3", "t2", "go"}}}).ok(t, 201).object(t, "article", articleKeys...); !cmp.Equal(m["tagList"], []any{"go", "t1", "t2", "t3", "t4"}) {
		t.Errorf("tags %v", m["tagList"])
	}
	s.do("DELETE", "/api/articles/tags", ann, nil).ok(t, 200)
	// A title whose slug would be the feed's path gets another.
	if f := s.do("POST", "/api/articles", ann, map[string]any{"article": map[string]any{"title": "Feed", "description": "d", "body": "b"}}).ok(t, 201).object(t, "article", articleKeys...); f["slug"] != "feed--7" {
		t.Errorf("an article titled Feed: slug %v", f["slug"])
	}
	// limit=0: the count alone.
	if r := s.do("GET", "/api/articles?limit=0", "", nil).ok(t, 200); len(r.articles(t)) != 0 || r.body["articlesCount"] != 6.0 {
		t.Errorf("limit=0: %s", r.raw)
	}
	s.do("POST", "/api/articles", "", body).failed(t, 401, "unauthorized")
	if tags := s.do("GET", "/api/tags", "", nil).ok(t, 200).body["tags"]; !cmp.Equal(tags, []any{"databases", "dragons", "go", "training", "z"}) {
		t.Errorf("tags %v", tags)
	}

	// Read by slug; update, renaming the slug; only the author may.
	got := s.do("GET", "/api/articles/how-to-train-your-dragon--5", "", nil).ok(t, 200).object(t, "article", articleKeys...)
	if got["body"] != "b" {
		t.Errorf("read %v", got)
	}
	s.do("GET", "/api/articles/nothing", "", nil).failed(t, 404, "not found")
	up := s.do("PUT", "/api/articles/how-to-train-your-dragon--5", ann, map[string]any{"article": map[string]any{"title": "Dragons, again", "tagList": []string{"go"}}}).ok(t, 200).object(t, "article", articleKeys...)
	if up["slug"] != "dragons-again" || up["title"] != "Dragons, again" || up["body"] != "b" || !cmp.Equal(up["tagList"], []any{"go"}) || up["updatedAt"] == up["createdAt"] {
		t.Errorf("updated %v", up)
	}
	s.do("GET", "/api/articles/how-to-train-your-dragon--5", "", nil).failed(t, 404, "not found")
	// z left the article's tags, and no other article has it: unlisted.
	if tags := s.do("GET", "/api/tags", "", nil).ok(t, 200).body["tags"]; !cmp.Equal(tags, []any{"databases", "dragons", "go", "training"}) {
		t.Errorf("tags after the update %v", tags)
	}
	s.do("PUT", "/api/articles/dragons-again", jake, map[string]any{"article": map[string]any{"body": "mine now"}}).failed(t, 403, "not yours")
	s.do("PUT", "/api/articles/dragons-again", ann, map[string]any{"article": map[string]any{}}).failed(t, 422, "at least one")
	s.do("PUT", "/api/articles/nothing", ann, map[string]any{"article": map[string]any{"body": "x"}}).failed(t, 404, "not found")

	// Favorite and unfavorite, idempotent; counts follow.
	for range 2 {
		f := s.do("POST", "/api/articles/dragons-again/favorite", jake, nil).ok(t, 200).object(t, "article", articleKeys...)
		if f["favorited"] != true || f["favoritesCount"] != 1.0 {
			t.Errorf("favorited: %v %v", f["favorited"], f["favoritesCount"])
		}
	}
	for range 2 {
		f := s.do("DELETE", "/api/articles/dragons-again/favorite", jake, nil).ok(t, 200).object(t, "article", articleKeys...)
		if f["favorited"] != false || f["favoritesCount"] != 0.0 {
			t.Errorf("unfavorited: %v %v", f["favorited"], f["favoritesCount"])
		}
	}
	s.do("POST", "/api/articles/nothing/favorite", jake, nil).failed(t, 404, "not found")
	s.do("POST", "/api/articles/dragons-again/favorite", "", nil).failed(t, 401, "unauthorized")

	// Delete: only the author; its comments and favorites go with it.
	s.do("POST", "/api/articles/dragons-again/comments", jake, map[string]any{"comment": map[string]string{"body": "nice"}}).ok(t, 200)
	s.do("POST", "/api/articles/dragons-again/favorite", jake, nil).ok(t, 200)
	s.do("DELETE", "/api/articles/dragons-again", jake, nil).failed(t, 403, "not yours")
	s.do("DELETE", "/api/articles/dragons-again", ann, nil).ok(t, 200)
	s.do("DELETE", "/api/articles/dragons-again", ann, nil).failed(t, 404, "not found")
	s.do("GET", "/api/articles/dragons-again/comments", "", nil).failed(t, 404, "not found")
	if n := s.do("GET", "/api/articles?favorited=jake", "", nil).ok(t, 200).body["articlesCount"]; n != 1.0 {
		t.Errorf("jake's favorites after the delete: %v, want 1", n)
	}
	// A title that spells a suffixed slug never blocks another: the
	// suffix has two hyphens, which no title's slug has.
	s.do("POST", "/api/articles", ann, map[string]any{"article": map[string]any{"title": "Hello Conduit 9", "description": "d", "body": "b"}}).ok(t, 201)
	if h := s.do("POST", "/api/articles", jake, map[string]any{"article": map[string]any{"title": "Hello, Conduit", "description": "d", "body": "b"}}).ok(t, 201).object(t, "article", articleKeys...); h["slug"] != "hello-conduit--9" {
		t.Errorf("a second Hello, Conduit: slug %v", h["slug"])
	}
	// 21 copies of one tag are one tag; names like .. are refused.
	s.do("POST", "/api/articles", ann, map[string]any{"article": map[string]any{"title": "x", "description": "d", "body": "b", "tagList": slices.Repeat([]string{"x"}, 21)}}).ok(t, 201)
	s.do("POST", "/api/users", "", map[string]any{"user": map[string]string{"username": "..", "email": "dots@example.com", "password": "x"}}).failed(t, 422, "username may not")
	if err := s.db.Verify(); err != nil {
		t.Error(err)
	}
}

func TestFeed(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	bob, jake := s.login("bob@example.com"), s.login("jake@example.com")
	// bob follows jake and ann: their articles, newest first.
	r := s.do("GET", "/api/articles/feed", bob, nil).ok(t, 200)
	if got, want := slugs(r.articles(t)), []string{"the-n-1-problem", "relations-in-memory", "how-to-train-your-dragon"}; !slices.Equal(got, want) || r.body["articlesCount"] != 3.0 {
		t.Errorf("bob's feed %v (%v), want %v", got, r.body["articlesCount"], want)
	}
	if got := slugs(s.do("GET", "/api/articles/feed?limit=1&offset=2", bob, nil).ok(t, 200).articles(t)); !slices.Equal(got, []string{"how-to-train-your-dragon"}) {
		t.Errorf("page: %v", got)
	}
	// A new article of a followed author comes first.
	s.do("POST", "/api/articles", jake, map[string]any{"article": map[string]any{"title": "Fresh", "description": "d", "body": "b"}}).ok(t, 201)
	if got := slugs(s.do("GET", "/api/articles/feed?limit=1", bob, nil).ok(t, 200).articles(t)); !slices.Equal(got, []string{"fresh"}) {
		t.Errorf("after jake's post: %v", got)
	}
	if arts := s.do("GET", "/api/articles/feed", s.login("ann@example.com"), nil).ok(t, 200).articles(t); len(arts) != 0 {
		t.Errorf("ann follows nobody: %v", slugs(arts))
	}
	s.do("GET", "/api/articles/feed", "", nil).failed(t, 401, "unauthorized")
}

func TestComments(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	jake, ann := s.login("jake@example.com"), s.login("ann@example.com")
	c := s.do("POST", "/api/articles/relations-in-memory/comments", ann, map[string]any{"comment": map[string]string{"body": "Thanks!"}}).ok(t, 200).object(t, "comment", commentKeys...)
	if c["body"] != "Thanks!" || c["author"].(map[string]any)["username"] != "ann" {
		t.Errorf("added %v", c)
	}
	list := s.do("GET", "/api/articles/relations-in-memory/comments", jake, nil).ok(t, 200)
	comments, _ := list.body["comments"].([]any)
	if len(comments) != 2 {
		t.Fatalf("comments %s", list.raw)
	}
	for _, x := range comments {
		shape(t, "comment", x.(map[string]any), commentKeys...)
	}
	if a := comments[1].(map[string]any)["author"].(map[string]any); a["username"] != "ann" || a["following"] != true {
		t.Errorf("the new comment's author, to jake: %v", a)
	}
	if got := s.do("GET", "/api/articles/how-to-train-your-dragon/comments", "", nil).ok(t, 200).body["comments"]; len(got.([]any)) != 1 {
		t.Errorf("anonymous list: %v", got)
	}
	id := fmt.Sprint(int64(c["id"].(float64)))
	s.do("POST", "/api/articles/relations-in-memory/comments", ann, map[string]any{"comment": map[string]string{}}).failed(t, 422, "body can't be blank")
	s.do("POST", "/api/articles/nothing/comments", ann, map[string]any{"comment": map[string]string{"body": "x"}}).failed(t, 404, "not found")
	s.do("POST", "/api/articles/relations-in-memory/comments", "", map[string]any{"comment": map[string]string{"body": "x"}}).failed(t, 401, "unauthorized")
	// Only its author deletes a comment, and only under its article.
	s.do("DELETE", "/api/articles/relations-in-memory/comments/"+id, jake, nil).failed(t, 403, "not yours")
	s.do("DELETE", "/api/articles/how-to-train-your-dragon/comments/"+id, ann, nil).failed(t, 404, "not found")
	s.do("DELETE", "/api/articles/relations-in-memory/comments/x", ann, nil).failed(t, 422, "not an integer")
	s.do("DELETE", "/api/articles/relations-in-memory/comments/"+id, ann, nil).ok(t, 200)
	s.do("DELETE", "/api/articles/relations-in-memory/comments/"+id, ann, nil).failed(t, 404, "not found")
	s.do("GET", "/api/nothing", "", nil).failed(t, 404, "no such endpoint")
}
