// Package conformance runs the same operations on memrel and on SQLite
// (modernc.org/sqlite, PRAGMA foreign_keys=ON) and compares what each
// accepts, what each rejects and why, and the rows each ends with. It is a
// module of its own so that SQLite never becomes a dependency of memrel.
package conformance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/memrel/memrel"
	_ "modernc.org/sqlite"
)

// The schema both engines run: users write posts (author, NOT NULL), posts
// may have an editor (nullable), comments belong to posts and reply to
// comments (nullable self-reference), and posts are tagged through
// post_tags, keyed by the pair. Users are also tenants: projects are keyed
// by (tenant_id, id), the tenant a foreign key to users (NOT NULL, the
// key's leading column), and have a code unique within their tenant (a
// NULL code never collides). Tasks may belong to a project by (tenant_id,
// project_id), a composite foreign key of two nullable columns that, with
// either NULL, references nothing (MATCH SIMPLE), and may have an owner,
// a user referenced by e-mail, the users' unique key. Each relation's rules
// vary by case.

type rel struct {
	OnDelete, OnUpdate memrel.Action
	Deferred           bool
	// Default is the parent SET DEFAULT writes: its id; for Owner the
	// number of its e-mail ("eN"); for Project the project's id, of the
	// tenant DefaultTenant.
	Default, DefaultTenant int64
	// NullDefault (nullable relations only): SET DEFAULT writes NULL, the
	// column's default when it declares none (memrel: no Default rule).
	NullDefault bool
	// MatchFull (Project only): MATCH FULL, which SQLite parses and
	// ignores.
	MatchFull bool
}

type config struct {
	Author, Editor, Post, Parent rel
	Tagged, Tag                  rel // post_tags -> posts, post_tags -> tags (never SET NULL: they form the key)
	Tenant                       rel // projects -> users (never SET NULL: it leads the key)
	Project                      rel // tasks -> projects by (tenant_id, project_id)
	Owner                        rel // tasks -> users by email
}

// op is one operation. Table is "users", "posts", "comments", "tags",
// "post_tags", "projects" or "tasks"; for users A is the e-mail's number
// (email "eA", unique), for posts A is user_id and B editor_id, for
// comments A is post_id and B parent_id (nil is NULL), for tags A is the
// name's number; for post_tags, keyed by (post_id, tag_id), ID is the post
// and A the tag, and only insert (link) and delete (unlink) apply. For
// projects, keyed by (tenant_id, id), A is the tenant and B the code, and
// rekey moves (A, ID) to (A, NewID), or to (C, NewID) when C is set. For
// tasks B is tenant_id, C project_id and D the owner's e-mail number
// (owner "eD"), each nil for NULL. The kinds savepoint, rollback-to and
// release have no table: ID numbers the savepoint (SQL's s1, s2, ...).
type op struct {
	// insert, update, upsert, rekey, delete; savepoint, rollback-to,
	// release; for posts, comments, projects and tasks the statements
	// delete-where (the rows whose A column is A: user_id, post_id,
	// tenant_id, tenant_id) and update-where (posts and comments: their B
	// column set to B; projects: code set to B; tasks: project_id set to C
	// and owner to D), and for every table but post_tags shift (id + 1
	// where id >= ID).
	Kind    string
	Table   string
	ID      int64
	NewID   int64 // rekey
	A       int64
	B, C, D *int64
}

func (o op) String() string {
	n := func(p *int64) string {
		if p == nil {
			return "NULL"
		}
		return fmt.Sprint(*p)
	}
	owner := "NULL"
	if o.D != nil {
		owner = emailOf(*o.D)
	}
	switch o.Kind {
	case "savepoint", "rollback-to", "release":
		return fmt.Sprintf("%s s%d", o.Kind, o.ID)
	case "shift":
		return fmt.Sprintf("update %s set id = id + 1 where id >= %d", o.Table, o.ID)
	}
	switch o.Table {
	case "projects":
		key := fmt.Sprintf("(%d, %d)", o.A, o.ID)
		switch o.Kind {
		case "delete-where":
			return fmt.Sprintf("delete projects where tenant %d", o.A)
		case "update-where":
			return fmt.Sprintf("update projects set code %s where tenant %d", n(o.B), o.A)
		case "delete":
			return "delete projects " + key
		case "rekey":
			tenant := o.A
			if o.C != nil {
				tenant = *o.C
			}
			return fmt.Sprintf("rekey projects %s->(%d, %d) code %s", key, tenant, o.NewID, n(o.B))
		}
		return fmt.Sprintf("%s projects %s code %s", o.Kind, key, n(o.B))
	case "tasks":
		cols := fmt.Sprintf("(tenant %s, project %s, owner %s)", n(o.B), n(o.C), owner)
		switch o.Kind {
		case "delete-where":
			return fmt.Sprintf("delete tasks where tenant %d", o.A)
		case "update-where":
			return fmt.Sprintf("update tasks set project %s, owner %s where tenant %d", n(o.C), owner, o.A)
		case "delete":
			return fmt.Sprintf("delete tasks %d", o.ID)
		case "rekey":
			return fmt.Sprintf("rekey tasks %d->%d %s", o.ID, o.NewID, cols)
		}
		return fmt.Sprintf("%s tasks %d %s", o.Kind, o.ID, cols)
	}
	b := n(o.B)
	switch o.Kind {
	case "delete-where":
		return fmt.Sprintf("delete %s where parent %d", o.Table, o.A)
	case "update-where":
		return fmt.Sprintf("update %s set ref %s where parent %d", o.Table, b, o.A)
	case "delete":
		return fmt.Sprintf("delete %s %d", o.Table, o.ID)
	case "rekey":
		return fmt.Sprintf("rekey %s %d->%d (%d, %s)", o.Table, o.ID, o.NewID, o.A, b)
	}
	return fmt.Sprintf("%s %s %d (%d, %s)", o.Kind, o.Table, o.ID, o.A, b)
}

func ref(v int64) *int64 { return &v }

// Outcomes, common to both engines.
const (
	ok       = "ok"
	fk       = "foreign key"
	unique   = "unique"
	notFound = "not found"
	noSave   = "no such savepoint"
	notNull  = "not null" // SQL only: memrel refuses such a schema at Open
)

// engine is one side of the comparison.
type engine interface {
	begin(deferAll bool) error
	do(o op) string
	commit() string
	abort()
	rows() map[string][][]any
	close()
}

// --- memrel ---

type User struct {
	ID    int64
	Email string
}

type Post struct {
	ID       int64
	UserID   int64
	EditorID memrel.Null[int64]
}

type Comment struct {
	ID       int64
	PostID   int64
	ParentID memrel.Null[int64]
}

type Tag struct {
	ID   int64
	Name string
}

type PostTag struct {
	PostID, TagID int64
}

type ProjectKey struct{ TenantID, ID int64 }

type Project struct {
	ProjectKey
	Code memrel.Null[int64]
}

// ProjectCode is the value of projects' unique (tenant_id, code).
type ProjectCode struct{ TenantID, Code int64 }

type Task struct {
	ID                  int64
	TenantID, ProjectID memrel.Null[int64]
	Owner               memrel.Null[string] // a user's email
}

type memEngine struct {
	db       *memrel.DB
	users    *memrel.Table[User, int64]
	posts    *memrel.Table[Post, int64]
	comments *memrel.Table[Comment, int64]
	tags     *memrel.Table[Tag, int64]
	postTags *memrel.Table[PostTag, memrel.Pair[int64, int64]]
	projects *memrel.Table[Project, ProjectKey]
	tasks    *memrel.Table[Task, int64]
	tx       *memrel.Tx
	saves    []named  // the transaction's savepoints, oldest first
	problems []string // Verify failures
}

// named is a savepoint and its SQL name's number.
type named struct {
	id int64
	sp *memrel.Savepoint
}

// rulesWith is r's clauses, SET DEFAULT writing def unless r.NullDefault.
func rulesWith(r rel, def memrel.Rule) []memrel.Rule {
	rs := []memrel.Rule{memrel.OnDelete(r.OnDelete), memrel.OnUpdate(r.OnUpdate)}
	if !r.NullDefault {
		rs = append(rs, def)
	}
	if r.Deferred {
		rs = append(rs, memrel.Deferred())
	}
	if r.MatchFull {
		rs = append(rs, memrel.MatchFull())
	}
	return rs
}

func rules(r rel) []memrel.Rule { return rulesWith(r, memrel.Default(r.Default)) }

func newMem(t testing.TB, c config) (*memEngine, error) {
	s := memrel.NewSchema()
	e := &memEngine{}
	e.users = memrel.NewTable(s, "users", func(u *User) *int64 { return &u.ID })
	e.posts = memrel.NewTable(s, "posts", func(p *Post) *int64 { return &p.ID })
	e.comments = memrel.NewTable(s, "comments", func(c *Comment) *int64 { return &c.ID })
	email := memrel.NewUniqueIndex(e.users, "email", func(u *User) *string { return &u.Email })
	memrel.ForeignKey(e.posts, "author", func(p *Post) *int64 { return &p.UserID }, e.users, rules(c.Author)...)
	memrel.NullableForeignKey(e.posts, "editor", func(p *Post) *memrel.Null[int64] { return &p.EditorID }, e.users, rules(c.Editor)...)
	memrel.ForeignKey(e.comments, "post", func(c *Comment) *int64 { return &c.PostID }, e.posts, rules(c.Post)...)
	memrel.NullableForeignKey(e.comments, "parent", func(c *Comment) *memrel.Null[int64] { return &c.ParentID }, e.comments, rules(c.Parent)...)
	e.tags = memrel.NewTable(s, "tags", func(t *Tag) *int64 { return &t.ID })
	postID := func(pt *PostTag) *int64 { return &pt.PostID }
	tagID := func(pt *PostTag) *int64 { return &pt.TagID }
	e.postTags = memrel.NewPairTable(s, "post_tags", postID, tagID)
	tagged := memrel.ForeignKey(e.postTags, "post", postID, e.posts, rules(c.Tagged)...)
	tag := memrel.ForeignKey(e.postTags, "tag", tagID, e.tags, rules(c.Tag)...)
	memrel.ManyToMany(tagged, tag)
	e.projects = memrel.NewCompositeTable(s, "projects", func(p *Project) *ProjectKey { return &p.ProjectKey })
	// The tenant leads the primary key, so its children are found by
	// seeks on the key, as SQLite finds them by the key's index.
	memrel.ForeignKey(e.projects, "tenant", func(p *Project) *int64 { return &p.TenantID }, e.users, rules(c.Tenant)...)
	memrel.NewUniqueCompositeIndex(e.projects, "code", memrel.Columns(
		memrel.Col(func(p *Project) *int64 { return &p.TenantID }, func(k *ProjectCode) *int64 { return &k.TenantID }),
		memrel.NullCol(func(p *Project) *memrel.Null[int64] { return &p.Code }, func(k *ProjectCode) *int64 { return &k.Code })))
	e.tasks = memrel.NewTable(s, "tasks", func(t *Task) *int64 { return &t.ID })
	memrel.CompositeForeignKey(e.tasks, "project", memrel.Columns(
		memrel.NullCol(func(t *Task) *memrel.Null[int64] { return &t.TenantID }, func(k *ProjectKey) *int64 { return &k.TenantID }),
		memrel.NullCol(func(t *Task) *memrel.Null[int64] { return &t.ProjectID }, func(k *ProjectKey) *int64 { return &k.ID })),
		e.projects, rulesWith(c.Project, memrel.Default(ProjectKey{TenantID: c.Project.DefaultTenant, ID: c.Project.Default}))...)
	memrel.NullableForeignKey(e.tasks, "owner", func(t *Task) *memrel.Null[string] { return &t.Owner }, email,
		rulesWith(c.Owner, memrel.Default(emailOf(c.Owner.Default)))...)
	db, err := memrel.Open(s)
	if err != nil {
		return nil, err
	}
	e.db = db
	return e, nil
}

func null(b *int64) memrel.Null[int64] {
	if b == nil {
		return memrel.Null[int64]{}
	}
	return memrel.NullFrom(*b)
}

// emailOf is the e-mail numbered n.
func emailOf(n int64) string { return fmt.Sprintf("e%d", n) }

// nullEmail is the e-mail numbered *d, NULL for nil.
func nullEmail(d *int64) memrel.Null[string] {
	if d == nil {
		return memrel.Null[string]{}
	}
	return memrel.NullFrom(emailOf(*d))
}

func (e *memEngine) begin(deferAll bool) error {
	tx, err := e.db.BeginWrite()
	if err != nil {
		return err
	}
	e.tx = tx
	e.saves = nil
	if deferAll {
		return e.tx.DeferConstraints()
	}
	return nil
}

// savepoint runs a savepoint op as SQL does: ROLLBACK TO and RELEASE name
// the latest savepoint of that name; ROLLBACK TO keeps it and drops the
// later ones, RELEASE drops it and the later ones.
func (e *memEngine) savepoint(o op) string {
	if o.Kind == "savepoint" {
		sp, err := e.tx.Savepoint()
		if err != nil {
			return memOutcome(err)
		}
		e.saves = append(e.saves, named{o.ID, sp})
		return ok
	}
	i := len(e.saves) - 1
	for i >= 0 && e.saves[i].id != o.ID {
		i--
	}
	if i < 0 {
		return noSave
	}
	var err error
	if o.Kind == "rollback-to" {
		err = e.saves[i].sp.Rollback()
		e.saves = e.saves[:i+1]
	} else {
		err = e.saves[i].sp.Release()
		e.saves = e.saves[:i]
	}
	return memOutcome(err)
}

func (e *memEngine) do(o op) string {
	var err error
	switch o.Table {
	case "":
		out := e.savepoint(o)
		if verr := e.tx.Verify(); verr != nil && !hasDeferred(verr) {
			e.problems = append(e.problems, fmt.Sprintf("after %v: Verify: %v", o, verr))
		}
		return out
	case "users":
		if o.Kind == "shift" {
			return memStatement(e.users.UpdateWhere(e.tx, func(u User) bool { return u.ID >= o.ID }, func(u User) User { u.ID++; return u }))
		}
		err = write(e.tx, e.users, o, o.ID, User{ID: o.ID, Email: emailOf(o.A)}, func(u *User) { u.ID = o.NewID })
	case "posts":
		switch o.Kind {
		case "delete-where":
			return memStatement(e.posts.DeleteWhere(e.tx, func(p Post) bool { return p.UserID == o.A }))
		case "update-where":
			return memStatement(e.posts.UpdateWhere(e.tx, func(p Post) bool { return p.UserID == o.A }, func(p Post) Post { p.EditorID = null(o.B); return p }))
		case "shift":
			return memStatement(e.posts.UpdateWhere(e.tx, func(p Post) bool { return p.ID >= o.ID }, func(p Post) Post { p.ID++; return p }))
		}
		err = write(e.tx, e.posts, o, o.ID, Post{ID: o.ID, UserID: o.A, EditorID: null(o.B)}, func(p *Post) { p.ID = o.NewID })
	case "comments":
		switch o.Kind {
		case "delete-where":
			return memStatement(e.comments.DeleteWhere(e.tx, func(c Comment) bool { return c.PostID == o.A }))
		case "update-where":
			return memStatement(e.comments.UpdateWhere(e.tx, func(c Comment) bool { return c.PostID == o.A }, func(c Comment) Comment { c.ParentID = null(o.B); return c }))
		case "shift":
			return memStatement(e.comments.UpdateWhere(e.tx, func(c Comment) bool { return c.ID >= o.ID }, func(c Comment) Comment { c.ID++; return c }))
		}
		err = write(e.tx, e.comments, o, o.ID, Comment{ID: o.ID, PostID: o.A, ParentID: null(o.B)}, func(c *Comment) { c.ID = o.NewID })
	case "tags":
		err = write(e.tx, e.tags, o, o.ID, Tag{ID: o.ID, Name: fmt.Sprintf("t%d", o.A)}, func(t *Tag) { t.ID = o.NewID })
	case "post_tags":
		if o.Kind == "delete" {
			err = e.postTags.Delete(e.tx, memrel.Pair[int64, int64]{A: o.ID, B: o.A})
		} else {
			_, err = e.postTags.Insert(e.tx, PostTag{PostID: o.ID, TagID: o.A})
		}
	case "projects":
		switch o.Kind {
		case "delete-where":
			return memStatement(e.projects.DeleteWhere(e.tx, func(p Project) bool { return p.TenantID == o.A }))
		case "update-where":
			return memStatement(e.projects.UpdateWhere(e.tx, func(p Project) bool { return p.TenantID == o.A }, func(p Project) Project { p.Code = null(o.B); return p }))
		case "shift":
			return memStatement(e.projects.UpdateWhere(e.tx, func(p Project) bool { return p.ID >= o.ID }, func(p Project) Project { p.ID++; return p }))
		}
		key := ProjectKey{TenantID: o.A, ID: o.ID}
		err = write(e.tx, e.projects, o, key, Project{ProjectKey: key, Code: null(o.B)}, func(p *Project) {
			p.ID = o.NewID
			if o.C != nil {
				p.TenantID = *o.C
			}
		})
	case "tasks":
		switch o.Kind {
		case "delete-where":
			return memStatement(e.tasks.DeleteWhere(e.tx, func(t Task) bool { return t.TenantID == memrel.NullFrom(o.A) }))
		case "update-where":
			return memStatement(e.tasks.UpdateWhere(e.tx, func(t Task) bool { return t.TenantID == memrel.NullFrom(o.A) }, func(t Task) Task {
				t.ProjectID, t.Owner = null(o.C), nullEmail(o.D)
				return t
			}))
		case "shift":
			return memStatement(e.tasks.UpdateWhere(e.tx, func(t Task) bool { return t.ID >= o.ID }, func(t Task) Task { t.ID++; return t }))
		}
		err = write(e.tx, e.tasks, o, o.ID, Task{ID: o.ID, TenantID: null(o.B), ProjectID: null(o.C), Owner: nullEmail(o.D)}, func(t *Task) { t.ID = o.NewID })
	}
	if verr := e.tx.Verify(); verr != nil && !hasDeferred(verr) {
		e.problems = append(e.problems, fmt.Sprintf("after %v: Verify: %v", o, verr))
	}
	return memOutcome(err)
}

// hasDeferred reports whether Verify found only dangling references, which
// a transaction with deferred checks may hold until it commits.
func hasDeferred(err error) bool {
	var ie *memrel.IntegrityError
	if !errors.As(err, &ie) {
		return false
	}
	for _, v := range ie.Violations {
		if !errors.Is(v, memrel.ErrForeignKey) {
			return false
		}
	}
	return true
}

// write runs o's kind on t: row is the row o writes, key the key it names
// (the row's, or for a rekey the old one), and rekey gives row its new key.
func write[T any, K comparable](tx *memrel.Tx, t *memrel.Table[T, K], o op, key K, row T, rekey func(*T)) error {
	switch o.Kind {
	case "insert":
		// Explicit keys, as SQL's INSERT gives them: key 0 is stored.
		_, err := t.InsertWithKey(tx, row)
		return err
	case "update":
		return t.Update(tx, row)
	case "upsert":
		_, err := t.Upsert(tx, row)
		return err
	case "rekey":
		rekey(&row)
		return t.UpdateKey(tx, key, row)
	case "delete":
		return t.Delete(tx, key)
	}
	return fmt.Errorf("unknown op %q", o.Kind)
}

// memStatement is a statement's outcome: "ok N" for N rows affected.
func memStatement(n int, err error) string {
	if err != nil {
		return memOutcome(err)
	}
	return fmt.Sprintf("ok %d", n)
}

func memOutcome(err error) string {
	switch {
	case err == nil:
		return ok
	case errors.Is(err, memrel.ErrNotFound):
		return notFound
	case errors.Is(err, memrel.ErrForeignKey), errors.Is(err, memrel.ErrRestrict):
		return fk
	case errors.Is(err, memrel.ErrUnique):
		return unique
	}
	return "error: " + err.Error()
}

func (e *memEngine) commit() string {
	err := e.tx.Commit()
	if err == nil {
		if verr := e.db.Verify(); verr != nil {
			e.problems = append(e.problems, fmt.Sprintf("after commit: Verify: %v", verr))
		}
	}
	return memOutcome(err)
}

func (e *memEngine) abort() { e.tx.Abort() }

func (e *memEngine) rows() map[string][][]any {
	var out map[string][][]any
	_ = e.db.View(func(tx *memrel.Tx) error { out = e.rowsOf(tx); return nil })
	return out
}

func (e *memEngine) rowsTx() map[string][][]any { return e.rowsOf(e.tx) }

func (e *memEngine) rowsOf(tx *memrel.Tx) map[string][][]any {
	out := map[string][][]any{"users": {}, "posts": {}, "comments": {}, "tags": {}, "post_tags": {}, "projects": {}, "tasks": {}}
	for u := range e.users.All(tx) {
		out["users"] = append(out["users"], []any{u.ID, u.Email})
	}
	for p := range e.posts.All(tx) {
		out["posts"] = append(out["posts"], []any{p.ID, p.UserID, nullAny(p.EditorID)})
	}
	for c := range e.comments.All(tx) {
		out["comments"] = append(out["comments"], []any{c.ID, c.PostID, nullAny(c.ParentID)})
	}
	for t := range e.tags.All(tx) {
		out["tags"] = append(out["tags"], []any{t.ID, t.Name})
	}
	for pt := range e.postTags.All(tx) {
		out["post_tags"] = append(out["post_tags"], []any{pt.PostID, pt.TagID})
	}
	for p := range e.projects.All(tx) {
		out["projects"] = append(out["projects"], []any{p.TenantID, p.ID, nullAny(p.Code)})
	}
	for t := range e.tasks.All(tx) {
		var owner any
		if t.Owner.Valid {
			owner = t.Owner.V
		}
		out["tasks"] = append(out["tasks"], []any{t.ID, nullAny(t.TenantID), nullAny(t.ProjectID), owner})
	}
	return out
}

func nullAny(n memrel.Null[int64]) any {
	if !n.Valid {
		return nil
	}
	return n.V
}

func (e *memEngine) close() {
	if e.tx != nil {
		e.tx.Abort()
	}
}

// --- SQLite ---

// sqlEngine is a SQL database: SQLite, or PostgreSQL (engines_pg_test.go).
type sqlEngine struct {
	name    string // "SQLite", "PostgreSQL"
	dialect memrel.Dialect
	db      *sql.DB // SQLite's own; nil for PostgreSQL's shared pool
	conn    *sql.Conn
	tx      *sql.Tx
	ctx     context.Context
	drop    func() // PostgreSQL: drops the engine's schema
}

func ddlRef(col, parent string, notNull bool, r rel) string {
	s := col + " INTEGER"
	if notNull {
		s += " NOT NULL"
	}
	return s + ddlDefault(r, fmt.Sprint(r.Default)) + fmt.Sprintf(" REFERENCES %s(id)", parent) + ddlActions(r)
}

// ddlDefault is a column's DEFAULT clause: none (NULL) if r.NullDefault.
func ddlDefault(r rel, v string) string {
	if r.NullDefault {
		return ""
	}
	return " DEFAULT " + v
}

// ddlActions is a foreign key's clauses after REFERENCES.
func ddlActions(r rel) string {
	s := fmt.Sprintf(" ON DELETE %s ON UPDATE %s", r.OnDelete, r.OnUpdate)
	if r.MatchFull {
		s += " MATCH FULL"
	}
	if r.Deferred {
		s += " DEFERRABLE INITIALLY DEFERRED"
	}
	return s
}

func newSQLite(t testing.TB, c config) *sqlEngine {
	t.Helper()
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	e := &sqlEngine{name: "SQLite", dialect: memrel.SQLite, db: db, ctx: context.Background()}
	if e.conn, err = db.Conn(e.ctx); err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		"PRAGMA foreign_keys=ON",
		"CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)",
		"CREATE TABLE posts (id INTEGER PRIMARY KEY, " + ddlRef("user_id", "users", true, c.Author) + ", " + ddlRef("editor_id", "users", false, c.Editor) + ")",
		"CREATE INDEX posts_user ON posts(user_id)",
		"CREATE INDEX posts_editor ON posts(editor_id)",
		"CREATE TABLE comments (id INTEGER PRIMARY KEY, " + ddlRef("post_id", "posts", true, c.Post) + ", " + ddlRef("parent_id", "comments", false, c.Parent) + ")",
		"CREATE INDEX comments_post ON comments(post_id)",
		"CREATE INDEX comments_parent ON comments(parent_id)",
		"CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
		"CREATE TABLE post_tags (" + ddlRef("post_id", "posts", true, c.Tagged) + ", " + ddlRef("tag_id", "tags", true, c.Tag) + ", PRIMARY KEY (post_id, tag_id))",
		"CREATE INDEX post_tags_tag ON post_tags(tag_id)",
		// WITHOUT ROWID: rows are stored, and a statement visits them, in
		// the order of the key, as memrel's are, so that a shift of ids
		// collides, or does not, as it does in memrel.
		"CREATE TABLE projects (" + ddlRef("tenant_id", "users", true, c.Tenant) + ", id INTEGER NOT NULL, code INTEGER, " +
			"PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code)) WITHOUT ROWID",
		"CREATE TABLE tasks (id INTEGER PRIMARY KEY, " +
			"tenant_id INTEGER" + ddlDefault(c.Project, fmt.Sprint(c.Project.DefaultTenant)) + ", " +
			"project_id INTEGER" + ddlDefault(c.Project, fmt.Sprint(c.Project.Default)) + ", " +
			"owner TEXT" + ddlDefault(c.Owner, "'"+emailOf(c.Owner.Default)+"'") + " REFERENCES users(email)" + ddlActions(c.Owner) + ", " +
			"FOREIGN KEY (tenant_id, project_id) REFERENCES projects(tenant_id, id)" + ddlActions(c.Project) + ")",
		"CREATE INDEX tasks_project ON tasks(tenant_id, project_id)",
		"CREATE INDEX tasks_owner ON tasks(owner)",
	}
	for _, s := range stmts {
		if _, err := e.conn.ExecContext(e.ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return e
}

func (e *sqlEngine) begin(deferAll bool) error {
	tx, err := e.conn.BeginTx(e.ctx, nil)
	if err != nil {
		return err
	}
	e.tx = tx
	switch {
	case deferAll && e.dialect == memrel.PostgreSQL:
		_, err = tx.Exec("SET CONSTRAINTS ALL DEFERRED")
	case deferAll:
		_, err = tx.Exec("PRAGMA defer_foreign_keys=ON")
	}
	return err
}

func (e *sqlEngine) do(o op) string {
	var cols []string
	var args []any
	switch o.Table {
	case "":
		return e.savepoint(o)
	case "users":
		cols, args = []string{"email"}, []any{emailOf(o.A)}
	case "posts":
		cols, args = []string{"user_id", "editor_id"}, []any{o.A, sqlNull(o.B)}
	case "comments":
		cols, args = []string{"post_id", "parent_id"}, []any{o.A, sqlNull(o.B)}
	case "tags":
		cols, args = []string{"name"}, []any{fmt.Sprintf("t%d", o.A)}
	case "post_tags":
		if o.Kind == "delete" {
			return e.exec(o, "DELETE FROM post_tags WHERE post_id = ? AND tag_id = ?", o.ID, o.A)
		}
		return e.exec(o, "INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)", o.ID, o.A)
	case "projects":
		return e.project(o)
	case "tasks":
		cols, args = []string{"tenant_id", "project_id", "owner"}, []any{sqlNull(o.B), sqlNull(o.C), sqlEmail(o.D)}
		if o.Kind == "update-where" {
			return e.exec(o, "UPDATE tasks SET project_id = ?, owner = ? WHERE tenant_id = ?", sqlNull(o.C), sqlEmail(o.D), o.A)
		}
	}
	parent, ref := map[string]string{"posts": "user_id", "comments": "post_id", "tasks": "tenant_id"}[o.Table], map[string]string{"posts": "editor_id", "comments": "parent_id"}[o.Table]
	switch o.Kind {
	case "delete-where":
		return e.exec(o, fmt.Sprintf("DELETE FROM %s WHERE %s = ?", o.Table, parent), o.A)
	case "update-where":
		return e.exec(o, fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ?", o.Table, ref, parent), sqlNull(o.B), o.A)
	case "shift":
		return e.exec(o, fmt.Sprintf("UPDATE %s SET id = id + 1 WHERE id >= ?", o.Table), o.ID)
	}
	var q string
	switch o.Kind {
	case "insert":
		q = fmt.Sprintf("INSERT INTO %s (id, %s) VALUES (?%s)", o.Table, strings.Join(cols, ", "), strings.Repeat(", ?", len(cols)))
		args = append([]any{o.ID}, args...)
	case "upsert":
		// ON CONFLICT DO UPDATE is an update: children stay. (INSERT OR
		// REPLACE would delete the old row and run ON DELETE actions.)
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = excluded." + c
		}
		q = fmt.Sprintf("INSERT INTO %s (id, %s) VALUES (?%s) ON CONFLICT(id) DO UPDATE SET %s", o.Table, strings.Join(cols, ", "), strings.Repeat(", ?", len(cols)), strings.Join(set, ", "))
		args = append([]any{o.ID}, args...)
	case "update", "rekey":
		id := o.ID
		if o.Kind == "rekey" {
			id = o.NewID
		}
		set := make([]string, len(cols))
		for i, c := range cols {
			set[i] = c + " = ?"
		}
		q = fmt.Sprintf("UPDATE %s SET id = ?, %s WHERE id = ?", o.Table, strings.Join(set, ", "))
		args = append(append([]any{id}, args...), o.ID)
	case "delete":
		q, args = fmt.Sprintf("DELETE FROM %s WHERE id = ?", o.Table), []any{o.ID}
	}
	return e.exec(o, q, args...)
}

// project runs o on projects, whose key is (tenant_id, id).
func (e *sqlEngine) project(o op) string {
	switch o.Kind {
	case "insert":
		return e.exec(o, "INSERT INTO projects (tenant_id, id, code) VALUES (?, ?, ?)", o.A, o.ID, sqlNull(o.B))
	case "upsert":
		return e.exec(o, "INSERT INTO projects (tenant_id, id, code) VALUES (?, ?, ?) ON CONFLICT(tenant_id, id) DO UPDATE SET code = excluded.code", o.A, o.ID, sqlNull(o.B))
	case "update":
		return e.exec(o, "UPDATE projects SET code = ? WHERE tenant_id = ? AND id = ?", sqlNull(o.B), o.A, o.ID)
	case "rekey":
		tenant := o.A
		if o.C != nil {
			tenant = *o.C
		}
		return e.exec(o, "UPDATE projects SET tenant_id = ?, id = ?, code = ? WHERE tenant_id = ? AND id = ?", tenant, o.NewID, sqlNull(o.B), o.A, o.ID)
	case "delete":
		return e.exec(o, "DELETE FROM projects WHERE tenant_id = ? AND id = ?", o.A, o.ID)
	case "delete-where":
		return e.exec(o, "DELETE FROM projects WHERE tenant_id = ?", o.A)
	case "update-where":
		return e.exec(o, "UPDATE projects SET code = ? WHERE tenant_id = ?", sqlNull(o.B), o.A)
	case "shift":
		return e.exec(o, "UPDATE projects SET id = id + 1 WHERE id >= ?", o.ID)
	}
	return "error: unknown op " + o.Kind
}

// savepoint runs a savepoint op. In PostgreSQL a failed statement fails
// the transaction: ROLLBACK TO and RELEASE, which fail for an unknown
// name, run under a savepoint of their own, which they release when they
// succeed (it is newer than the one they name).
func (e *sqlEngine) savepoint(o op) string {
	q := map[string]string{"savepoint": "SAVEPOINT", "rollback-to": "ROLLBACK TO", "release": "RELEASE"}[o.Kind]
	q = fmt.Sprintf("%s s%d", q, o.ID)
	guard := e.dialect == memrel.PostgreSQL && o.Kind != "savepoint"
	if guard {
		if _, err := e.tx.Exec("SAVEPOINT op"); err != nil {
			return e.outcome(err)
		}
	}
	_, err := e.tx.Exec(q)
	if err != nil && guard {
		_, _ = e.tx.Exec("ROLLBACK TO op")
		_, _ = e.tx.Exec("RELEASE op")
	}
	return e.outcome(err)
}

// exec runs one statement for o and classifies its outcome.
func (e *sqlEngine) exec(o op, q string, args ...any) string {
	if e.dialect == memrel.PostgreSQL {
		q = numbered(q)
	}
	// Each statement runs under a savepoint, rolled back if it fails. SQLite
	// undoes a failed statement's rows on its own, but not the deferred
	// violations it counted: without the savepoint, an INSERT rejected by
	// an immediate foreign key still fails the COMMIT if it also broke a
	// deferred one. memrel undoes a rejected operation entirely, as
	// PostgreSQL does with a savepoint.
	if _, err := e.tx.Exec("SAVEPOINT op"); err != nil {
		return e.outcome(err)
	}
	res, err := e.tx.Exec(q, args...)
	if err != nil {
		_, _ = e.tx.Exec("ROLLBACK TO op")
		_, _ = e.tx.Exec("RELEASE op")
		return e.outcome(err)
	}
	if _, err := e.tx.Exec("RELEASE op"); err != nil {
		return e.outcome(err)
	}
	n, _ := res.RowsAffected()
	switch o.Kind {
	case "delete-where", "update-where", "shift":
		return fmt.Sprintf("ok %d", n)
	}
	if n == 0 && o.Kind != "insert" && o.Kind != "upsert" {
		return notFound
	}
	return ok
}

func sqlNull(b *int64) any {
	if b == nil {
		return nil
	}
	return *b
}

// sqlEmail is the e-mail numbered *d, NULL for nil.
func sqlEmail(d *int64) any {
	if d == nil {
		return nil
	}
	return emailOf(*d)
}

// numbered turns ? placeholders into PostgreSQL's $1, $2, ...
func numbered(q string) string {
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (e *sqlEngine) outcome(err error) string {
	if e.dialect == memrel.PostgreSQL {
		return pgOutcome(err)
	}
	return sqliteOutcome(err)
}

func sqliteOutcome(err error) string {
	switch {
	case err == nil:
		return ok
	case strings.Contains(err.Error(), "no such savepoint"):
		return noSave
	case strings.Contains(err.Error(), "FOREIGN KEY constraint failed"):
		return fk
	case strings.Contains(err.Error(), "UNIQUE constraint failed"):
		return unique
	}
	return "error: " + err.Error()
}

func (e *sqlEngine) commit() string {
	err := e.tx.Commit()
	if err != nil && e.dialect == memrel.SQLite {
		// SQLite leaves a transaction whose deferred check failed open;
		// PostgreSQL rolls it back. memrel does as PostgreSQL does.
		_, _ = e.conn.ExecContext(e.ctx, "ROLLBACK")
	}
	e.tx = nil
	return e.outcome(err)
}

func (e *sqlEngine) abort() {
	_ = e.tx.Rollback()
	e.tx = nil
}

func (e *sqlEngine) rows() map[string][][]any { return e.query(e.conn.QueryContext) }

// rowsTx reads inside the open transaction, for tracing.
func (e *sqlEngine) rowsTx() map[string][][]any { return e.query(e.tx.QueryContext) }

func (e *sqlEngine) query(qc func(context.Context, string, ...any) (*sql.Rows, error)) map[string][][]any {
	out := map[string][][]any{}
	for _, q := range []struct{ table, sql string }{
		{"users", "SELECT id, email FROM users ORDER BY id"},
		{"posts", "SELECT id, user_id, editor_id FROM posts ORDER BY id"},
		{"comments", "SELECT id, post_id, parent_id FROM comments ORDER BY id"},
		{"tags", "SELECT id, name FROM tags ORDER BY id"},
		{"post_tags", "SELECT post_id, tag_id FROM post_tags ORDER BY post_id, tag_id"},
		{"projects", "SELECT tenant_id, id, code FROM projects ORDER BY tenant_id, id"},
		{"tasks", "SELECT id, tenant_id, project_id, owner FROM tasks ORDER BY id"},
	} {
		rs, err := qc(e.ctx, q.sql)
		if err != nil {
			panic(err)
		}
		cols, err := rs.Columns()
		if err != nil {
			panic(err)
		}
		rows := [][]any{}
		for rs.Next() {
			row := make([]any, len(cols))
			dst := make([]any, len(cols))
			for i := range row {
				dst[i] = &row[i]
			}
			if err := rs.Scan(dst...); err != nil {
				panic(err)
			}
			for i, v := range row {
				if b, ok := v.([]byte); ok {
					row[i] = string(b)
				}
			}
			rows = append(rows, row)
		}
		rs.Close()
		out[q.table] = rows
	}
	return out
}

func (e *sqlEngine) close() {
	if e.tx != nil {
		_ = e.tx.Rollback()
	}
	if e.drop != nil {
		e.drop()
	}
	e.conn.Close()
	if e.db != nil {
		e.db.Close()
	}
}
