package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/memrel/memrel"
	"github.com/memrel/memrel/memreltest"
	"golang.org/x/crypto/bcrypt"
)

// The tests' schema and base: one declaration, the seed loaded once, and
// a fork of it per test (strict: a lazy load of a relation in a handler
// fails its request), as the memrel README recommends.
var (
	testSchema = newSchema()
	base       = memreltest.NewBase(testSchema.s, seedTx)
)

// seedTx inserts the embedded seed's rows.
func seedTx(tx *memrel.Tx) error {
	var s snapshot
	if err := json.Unmarshal(seedJSON, &s); err != nil {
		return err
	}
	return firstErr(
		insertAll(tx, testSchema.users, s.Users), insertAll(tx, testSchema.follows, s.Follows),
		insertAll(tx, testSchema.articles, s.Articles), insertAll(tx, testSchema.tags, s.Tags),
		insertAll(tx, testSchema.articleTags, s.ArticleTags), insertAll(tx, testSchema.favorites, s.Favorites),
		insertAll(tx, testSchema.comments, s.Comments))
}

// server is a test's Conduit: a fork of the base behind an httptest
// server, with cheap password hashes.
type server struct {
	t   *testing.T
	app *app
	db  *memrel.DB
	url string
}

func newServer(t *testing.T, opts ...memrel.Option) *server {
	t.Helper()
	return serve(t, base.Fork(t, opts...))
}

// serve is db's Conduit behind an httptest server.
func serve(t *testing.T, db *memrel.DB) *server {
	t.Helper()
	a := newApp(testSchema, db, []byte("a test secret, 32 bytes long...."))
	a.bcryptCost = bcrypt.MinCost
	hs := httptest.NewServer(a)
	t.Cleanup(hs.Close)
	return &server{t: t, app: a, db: db, url: hs.URL}
}

// response is a reply: its status, headers and body, decoded.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with a JSON body (a string, or a value to encode)
// and the token, if any.
func (s *server) do(method, path, token string, body any) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	r := response{status: res.StatusCode, header: res.Header, raw: string(data)}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &r.body); err != nil {
			s.t.Fatalf("%s %s: %d, not JSON: %q", method, path, res.StatusCode, data)
		}
	}
	return r
}

// ok fails the test unless r has status and a JSON content type.
func (r response) ok(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	return r
}

// failed fails the test unless r is an error of status with the spec's
// body, {"errors": {"body": [...]}}, one of whose messages has want.
func (r response) failed(t *testing.T, status int, want string) {
	t.Helper()
	r.ok(t, status)
	errs, _ := r.body["errors"].(map[string]any)
	msgs, _ := errs["body"].([]any)
	if len(r.body) != 1 || len(errs) != 1 || len(msgs) == 0 {
		t.Fatalf("error body %s, want {\"errors\": {\"body\": [...]}}", r.raw)
	}
	for _, m := range msgs {
		if s, _ := m.(string); strings.Contains(s, want) {
			return
		}
	}
	t.Errorf("error messages %v, want one with %q", msgs, want)
}

// object is r's member name, an object, with exactly the keys given.
func (r response) object(t *testing.T, name string, keys ...string) map[string]any {
	t.Helper()
	o, ok := r.body[name].(map[string]any)
	if !ok {
		t.Fatalf("no object %q in %s", name, r.raw)
	}
	shape(t, name, o, keys...)
	return o
}

func shape(t *testing.T, name string, o map[string]any, keys ...string) {
	t.Helper()
	if len(o) != len(keys) {
		t.Errorf("%s has keys %v, want %v", name, keysOf(o), keys)
	}
	for _, k := range keys {
		if _, ok := o[k]; !ok {
			t.Errorf("%s has no %q: %v", name, k, o)
		}
	}
}

func keysOf(o map[string]any) []string {
	var ks []string
	for k := range o {
		ks = append(ks, k)
	}
	return ks
}

var (
	userKeys    = []string{"email", "token", "username", "bio", "image"}
	profileKeys = []string{"username", "bio", "image", "following"}
	articleKeys = []string{"slug", "title", "description", "body", "tagList", "createdAt", "updatedAt", "favorited", "favoritesCount", "author"}
	commentKeys = []string{"id", "createdAt", "updatedAt", "body", "author"}
)

// login is the token of a seed user (password "password").
func (s *server) login(email string) string {
	s.t.Helper()
	r := s.do("POST", "/api/users/login", "", map[string]any{"user": map[string]string{"email": email, "password": "password"}})
	u := r.ok(s.t, 200).object(s.t, "user", userKeys...)
	return u["token"].(string)
}

// articles is r's list of articles, each checked for the spec's shape.
func (r response) articles(t *testing.T) []map[string]any {
	t.Helper()
	list, ok := r.body["articles"].([]any)
	if _, counted := r.body["articlesCount"].(float64); !ok || !counted || len(r.body) != 2 {
		t.Fatalf("not a list of articles: %s", r.raw)
	}
	var out []map[string]any
	for _, a := range list {
		o := a.(map[string]any)
		shape(t, "article", o, articleKeys...)
		shape(t, "author", o["author"].(map[string]any), profileKeys...)
		out = append(out, o)
	}
	return out
}

func slugs(arts []map[string]any) []string {
	var out []string
	for _, a := range arts {
		out = append(out, a["slug"].(string))
	}
	return out
}
