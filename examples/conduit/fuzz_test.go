package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// No request body, whatever its bytes, gets a 5xx from any endpoint that
// reads one: bad JSON, wrong types and odd values are the spec's 4xx.
func FuzzBodies(f *testing.F) {
	for _, seed := range []string{
		`{"user": {"username": "u", "email": "u@x", "password": "p"}}`,
		`{"user": {"email": "jake@example.com", "password": "password"}}`,
		`{"user": {"bio": null, "image": "x"}}`,
		`{"article": {"title": "T", "description": "d", "body": "b", "tagList": ["a", "b"]}}`,
		`{"article": {"title": null, "tagList": [1]}}`,
		`{"comment": {"body": "hi"}}`,
		`[]`, `null`, `{"user": 1}`, `{"user": {}} x`, "\xff",
	} {
		for ep := range 6 {
			f.Add(uint8(ep), seed)
		}
	}
	db := base.Fork(f)
	a := newApp(testSchema, db, []byte("a fuzz secret, 32 bytes long...."))
	a.bcryptCost = bcrypt.MinCost
	tok, err := a.token(User{ID: 1})
	if err != nil {
		f.Fatal(err)
	}
	endpoints := []struct{ method, path string }{
		{"POST", "/api/users"}, {"POST", "/api/users/login"}, {"PUT", "/api/user"},
		{"POST", "/api/articles"}, {"PUT", "/api/articles/how-to-train-your-dragon"}, {"POST", "/api/articles/relations-in-memory/comments"},
	}
	f.Fuzz(func(t *testing.T, ep uint8, body string) {
		e := endpoints[int(ep)%len(endpoints)]
		req := httptest.NewRequest(e.method, e.path, strings.NewReader(body))
		req.Header.Set("Authorization", "Token "+tok)
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", e.method, e.path, body, w.Code, w.Body.String())
		}
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s %s %q: Content-Type %q", e.method, e.path, body, w.Header().Get("Content-Type"))
		}
	})
}
