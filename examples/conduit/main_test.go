package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/memrel/memrel"
)

// started runs the program with args on a free port until the returned
// stop is called, and returns a client of it and stop, which returns
// run's error.
func started(t *testing.T, args ...string) (*server, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var log bytes.Buffer
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-save-every", "20ms"}, args...), &log, ready)
	}()
	select {
	case addr := <-ready:
		return &server{t: t, url: "http://" + addr}, func() error {
			cancel()
			return <-done
		}
	case err := <-done:
		cancel()
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	return nil, nil
}

// The data survives a restart, tokens included; the file is written by
// rename, so no temporary file is left; a corrupt file is refused and
// left as it was.
func TestDataFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conduit.json")
	s, stop := started(t, "-data", path)
	tok := s.login("jake@example.com")
	s.do("POST", "/api/articles", tok, map[string]any{"article": map[string]any{"title": "Kept", "description": "d", "body": "b"}}).ok(t, 201)
	c := s.do("POST", "/api/articles/kept/comments", tok, map[string]any{"comment": map[string]string{"body": "gone soon"}}).ok(t, 200).object(t, "comment", commentKeys...)
	s.do("DELETE", fmt.Sprintf("/api/articles/kept/comments/%v", c["id"]), tok, nil).ok(t, 200)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the data directory holds %v, want only the data file", entries)
	}
	s, stop = started(t, "-data", path, "-empty") // -empty: the file wins
	s.do("GET", "/api/articles/kept", "", nil).ok(t, 200)
	s.do("GET", "/api/user", tok, nil).ok(t, 200) // the signing key was kept
	// The comments' sequence was kept: the deleted comment's id is not
	// given again.
	c2 := s.do("POST", "/api/articles/kept/comments", tok, map[string]any{"comment": map[string]string{"body": "new"}}).ok(t, 200).object(t, "comment", commentKeys...)
	if c2["id"].(float64) <= c["id"].(float64) {
		t.Errorf("a comment after the restart has id %v; the deleted one had %v", c2["id"], c["id"])
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	for name, data := range map[string]string{
		"not JSON":         "{oops",
		"a dangling ref":   strings.Replace(mustRead(t, path), `"AuthorID":1`, `"AuthorID":99`, 1),
		"an unknown field": `{"version": 1, "secret": "00112233445566778899aabbccddeeff", "extra": 1}`,
		"a taken key":      strings.Replace(mustRead(t, path), `"Username":"ann"`, `"Username":"jake"`, 1),
	} {
		bad := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(bad, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", bad}, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), "left as it is") {
			t.Errorf("%s: run: %v, want a refusal", name, err)
		}
		if got := mustRead(t, bad); got != data {
			t.Errorf("%s: the file changed", name)
		}
	}
	if err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, io.Discard, nil); err == nil {
		t.Error("a directory as -data: no error")
	}
	// A -data that cannot be written fails at start, not at the first save.
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "no", "such", "dir.json")}, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "-data") {
		t.Errorf("an unwritable -data: %v", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A request in flight when shutdown begins is served, and what it wrote
// is saved; SIGTERM shuts down as the context does.
func TestGracefulShutdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conduit.json")
	s, stop := started(t, "-data", path)
	tok := s.login("ann@example.com")
	body := `{"article": {"title": "In flight", "description": "d", "body": "b"}}`
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/articles HTTP/1.1\r\nHost: x\r\nAuthorization: Token %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", tok, len(body), body[:10])
	time.Sleep(50 * time.Millisecond) // the server is reading the body
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(100 * time.Millisecond) // shutdown has begun: the listener is closed
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(s.url, "http://"), time.Second); err == nil {
		t.Error("a new connection was accepted during shutdown")
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 201 {
		t.Errorf("the request in flight: %d", res.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(mustRead(t, path), `"Title":"In flight"`) {
		t.Error("the request in flight's article was not saved")
	}

	// SIGTERM: run stops serving and returns nil.
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"-addr", "127.0.0.1:0", "-data", path}, io.Discard, ready)
	}()
	<-ready
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not stop the server")
	}
}

// memrel enforces the schema's integrity whatever a handler does: a
// comment on a deleted article cannot be stored, and deleting a user
// cascades to everything of theirs.
func TestIntegrity(t *testing.T) {
	t.Parallel()
	db := base.Fork(t)
	c := testSchema
	err := db.Update(func(tx *memrel.Tx) error {
		if err := c.articles.Delete(tx, 1); err != nil {
			return err
		}
		_, err := c.comments.Insert(tx, Comment{ArticleID: 1, AuthorID: 2, Body: "too late"})
		return err
	})
	if !strings.Contains(fmt.Sprint(err), "foreign key violation") {
		t.Errorf("a comment on a deleted article: %v", err)
	}
	// ann (2) wrote articles 2 and 3, comment 1, favorited article 1, is
	// followed by jake and bob.
	err = db.Update(func(tx *memrel.Tx) error { return c.users.Delete(tx, 2) })
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *memrel.Tx) error {
		for name, n := range map[string]func() (int, error){
			"articles": func() (int, error) { return c.articles.Len(tx) }, "comments": func() (int, error) { return c.comments.Len(tx) },
			"follows": func() (int, error) { return c.follows.Len(tx) }, "favorites": func() (int, error) { return c.favorites.Len(tx) },
			"article_tags": func() (int, error) { return c.articleTags.Len(tx) },
		} {
			got, _ := n()
			// What is left: articles 1 and 4; comment 2 was on article 2;
			// the follow bob->jake; bob's favorite of 1; article 1's tags.
			want := map[string]int{"articles": 2, "comments": 0, "follows": 1, "favorites": 1, "article_tags": 2}[name]
			if got != want {
				t.Errorf("%s after deleting ann: %d, want %d", name, got, want)
			}
		}
		return nil
	})
	if err := db.Verify(); err != nil {
		t.Error(err)
	}
}
