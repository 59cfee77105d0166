package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/memrel/memrel"
	"golang.org/x/crypto/bcrypt"
)

// maxBody is the largest request body read: an article of a few hundred
// kilobytes fits, and no client makes the server hold more.
const maxBody = 1 << 20

// app is the server: one store, the key that signs tokens, and a count of
// the writes committed, which the saver watches.
type app struct {
	c          *schema
	db         *memrel.DB
	secret     []byte
	bcryptCost int
	now        func() time.Time
	writes     atomic.Int64
	inflight   sync.WaitGroup // the requests being served
	log        *log.Logger
	mux        *http.ServeMux
}

func newApp(c *schema, db *memrel.DB, secret []byte) *app {
	a := &app{c: c, db: db, secret: secret, bcryptCost: bcrypt.DefaultCost, now: func() time.Time { return time.Now().UTC() }, log: log.Default()}
	m := http.NewServeMux()
	m.HandleFunc("POST /api/users/login", a.login)
	m.HandleFunc("POST /api/users", a.register)
	m.HandleFunc("GET /api/user", a.auth(a.currentUser))
	m.HandleFunc("PUT /api/user", a.auth(a.updateUser))
	m.HandleFunc("GET /api/profiles/{username}", a.optional(a.profile))
	m.HandleFunc("POST /api/profiles/{username}/follow", a.auth(a.follow))
	m.HandleFunc("DELETE /api/profiles/{username}/follow", a.auth(a.unfollow))
	m.HandleFunc("GET /api/articles", a.optional(a.listArticles))
	m.HandleFunc("GET /api/articles/feed", a.auth(a.feed))
	m.HandleFunc("POST /api/articles", a.auth(a.createArticle))
	m.HandleFunc("GET /api/articles/{slug}", a.optional(a.getArticle))
	m.HandleFunc("PUT /api/articles/{slug}", a.auth(a.updateArticle))
	m.HandleFunc("DELETE /api/articles/{slug}", a.auth(a.deleteArticle))
	m.HandleFunc("POST /api/articles/{slug}/favorite", a.auth(a.favorite))
	m.HandleFunc("DELETE /api/articles/{slug}/favorite", a.auth(a.unfavorite))
	m.HandleFunc("GET /api/articles/{slug}/comments", a.optional(a.listComments))
	m.HandleFunc("POST /api/articles/{slug}/comments", a.auth(a.addComment))
	m.HandleFunc("DELETE /api/articles/{slug}/comments/{id}", a.auth(a.deleteComment))
	m.HandleFunc("GET /api/tags", a.listTags)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	a.mux = m
	return a
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.inflight.Add(1)
	defer a.inflight.Done()
	defer func() {
		// A handler's panic is a bug; the client gets a 500 with the
		// spec's error body, and the server goes on. memrel has undone
		// the transaction it happened in.
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			a.log.Printf("panic serving %s %s: %v", r.Method, r.URL.Path, p)
			writeError(w, http.StatusInternalServerError, "internal error")
		}
	}()
	a.mux.ServeHTTP(&logged{ResponseWriter: w, log: a.log}, r)
}

// logged lets respond log internal errors to the app's log.
type logged struct {
	http.ResponseWriter
	log *log.Logger
}

// An httpError is a response the spec describes: a status and messages
// for the body of {"errors": {"body": [...]}}.
type httpError struct {
	status int
	msgs   []string
}

func (e *httpError) Error() string { return strings.Join(e.msgs, "; ") }

func fail(status int, format string, args ...any) error {
	return &httpError{status: status, msgs: []string{fmt.Sprintf(format, args...)}}
}

func unprocessable(format string, args ...any) error {
	return fail(http.StatusUnprocessableEntity, format, args...)
}

func notFound(what string) error { return fail(http.StatusNotFound, "%s not found", what) }

var errUnauthorized = fail(http.StatusUnauthorized, "unauthorized: send Authorization: Token <jwt>")

func writeError(w http.ResponseWriter, status int, msgs ...string) {
	writeJSON(w, status, map[string]any{"errors": map[string][]string{"body": msgs}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// respond writes v with status, or err as the spec's error body: an
// httpError as it says, a unique violation as 422, anything else as 500.
func respond(w http.ResponseWriter, status int, v any, err error) {
	var he *httpError
	var ce *memrel.ConstraintError
	switch {
	case err == nil:
		writeJSON(w, status, v)
	case errors.As(err, &he):
		writeError(w, he.status, he.msgs...)
	case errors.Is(err, memrel.ErrUnique) && errors.As(err, &ce):
		field := ce.Constraint[strings.LastIndex(ce.Constraint, ".")+1:]
		writeError(w, http.StatusUnprocessableEntity, field+" has already been taken")
	case errors.Is(err, memrel.ErrBusy): // the writer lock, waited for in vain
		writeError(w, http.StatusServiceUnavailable, "busy: try again")
	default:
		// The details are the server's, in its log.
		l := log.Default()
		if lw, ok := w.(*logged); ok {
			l = lw.log
		}
		l.Printf("internal error: %v", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

// decode reads the request's JSON body into dst, at most maxBody bytes.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(body)
	err := dec.Decode(dst)
	if err == nil {
		var tooBig *http.MaxBytesError
		switch _, next := dec.Token(); {
		case errors.As(next, &tooBig):
			err = next
		case next != io.EOF:
			err = errTrailing
		}
	}
	return jsonError(err, "")
}

// requestOf decodes a request body of the spec's form, {name: {...}}, into
// a T; on an error it responds with it and returns false.
func requestOf[T any](w http.ResponseWriter, r *http.Request, name string) (*T, bool) {
	var raw map[string]json.RawMessage
	err := decode(w, r, &raw)
	var v T
	if err == nil {
		if inner, ok := raw[name]; !ok || string(inner) == "null" {
			err = unprocessable("%s can't be blank", name)
		} else {
			err = jsonError(json.Unmarshal(inner, &v), name+".")
		}
	}
	if err != nil {
		respond(w, 0, nil, err)
		return nil, false
	}
	return &v, true
}

// jsonError is a decoding error as the spec's 422 (or 413), naming the
// request's field: prefix is the path to the value decoded.
func jsonError(err error, prefix string) error {
	var tooBig *http.MaxBytesError
	var typ *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return fail(http.StatusRequestEntityTooLarge, "body: larger than %d bytes", maxBody)
	case errors.As(err, &typ) && typ.Field != "":
		return unprocessable("%s: want %s, not %s", prefix+jsonPath(typ.Field), jsonKind(typ.Type.Kind()), typ.Value)
	case errors.As(err, &typ) && prefix != "":
		return unprocessable("%s: want %s, not %s", strings.TrimSuffix(prefix, "."), jsonKind(typ.Type.Kind()), typ.Value)
	case errors.As(err, &typ):
		return unprocessable("body: want %s, not %s", jsonKind(typ.Type.Kind()), typ.Value)
	case errors.As(err, &syntax):
		return unprocessable("body: invalid JSON at byte %d", syntax.Offset)
	case errors.Is(err, errTrailing):
		return unprocessable("body: more than one JSON value")
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return unprocessable("body: incomplete JSON")
	}
	return unprocessable("body: invalid JSON: %v", err)
}

var errTrailing = errors.New("trailing data")

// jsonPath is a decoder's field path as the request names it:
// "user.Username" is user.username.
func jsonPath(p string) string {
	parts := strings.Split(p, ".")
	for i, s := range parts {
		if s != "" {
			parts[i] = strings.ToLower(s[:1]) + s[1:]
		}
	}
	return strings.Join(parts, ".")
}

// jsonKind names a Go kind as JSON does.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Bool:
		return "true or false"
	}
	return "a number"
}

// maxText is the longest a name, e-mail, title or tag may be (a body or a
// bio may be longer): they are keys of unique indexes, and a slug is made
// of the title.
const maxText = 200

// tooLong names the fields longer than maxText.
func tooLong(fields ...[2]string) error {
	for _, f := range fields {
		if len(f[1]) > maxText {
			return unprocessable("%s is too long (at most %d bytes)", f[0], maxText)
		}
	}
	return nil
}

// auth serves h to a signed-in user only; optional to anyone, with the
// user if the request carries a valid token (an invalid one is refused).
func (a *app) auth(h func(w http.ResponseWriter, r *http.Request, me *User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me, err := a.user(r)
		if err == nil && me == nil {
			err = errUnauthorized
		}
		if err != nil {
			respond(w, 0, nil, err)
			return
		}
		h(w, r, me)
	}
}

func (a *app) optional(h func(w http.ResponseWriter, r *http.Request, me *User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me, err := a.user(r)
		if err != nil {
			respond(w, 0, nil, err)
			return
		}
		h(w, r, me)
	}
}

// user is the request's signed-in user: nil without an Authorization
// header, an error for a token that is not valid or names no user.
func (a *app) user(r *http.Request) (*User, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || (scheme != "Token" && scheme != "Bearer") {
		return nil, errUnauthorized
	}
	id, err := a.verifyToken(token)
	if err != nil {
		return nil, errUnauthorized
	}
	var u User
	err = a.db.View(func(tx *memrel.Tx) error {
		u, err = a.c.users.Get(tx, id)
		return err
	})
	if errors.Is(err, memrel.ErrNotFound) {
		return nil, errUnauthorized
	}
	return &u, err
}

// maxLimit is the most articles one page holds.
const maxLimit = 100

// paging reads limit (default 20, at most maxLimit; 0 is an empty page)
// and offset (default 0).
func paging(r *http.Request) (limit, offset int, err error) {
	limit, offset = 20, 0
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &limit}, {"offset", &offset}} {
		v := r.URL.Query().Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, unprocessable("%s: %q is not a non-negative integer", p.name, v)
		}
		*p.dst = n
	}
	return min(limit, maxLimit), offset, nil
}

// write runs fn in a write transaction and counts the commit for the
// saver.
func (a *app) write(fn func(tx *memrel.Tx) error) error {
	err := a.db.Update(fn)
	if err == nil {
		a.writes.Add(1)
	}
	return err
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
