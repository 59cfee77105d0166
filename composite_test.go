package memrel_test

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

// A multi-tenant schema: projects keyed by (tenant, id), tasks keyed by
// (tenant, id) referencing their project by (tenant, project), and order
// lines keyed by three columns.

type TenantKey struct{ TenantID, ID int64 }

type Tenant struct {
	ID   int64
	Name string
}

type Project struct {
	TenantKey
	Name string
	Code memrel.Null[int64]
}

type Task struct {
	TenantKey
	ProjectID memrel.Null[int64]
	Owner     memrel.Null[string] // a user's email
	Title     string
}

type Member struct {
	ID    int64
	Email string
}

type tenantSchema struct {
	db       *memrel.DB
	tenants  *memrel.Table[Tenant, int64]
	projects *memrel.Table[Project, TenantKey]
	tasks    *memrel.Table[Task, TenantKey]
	members  *memrel.Table[Member, int64]
	email    *memrel.Index[Member, int64, string]
	code     *memrel.Index[Project, TenantKey, ProjectCode]
	tenant   *memrel.Relation[Project, Tenant, int64]
	project  *memrel.Relation[Task, Project, TenantKey]
	owner    *memrel.Relation[Task, Member, string]
}

type ProjectCode struct {
	TenantID int64
	Code     int64
}

func projectColumns() memrel.ColumnList[Task, TenantKey] {
	return memrel.Columns(
		memrel.Col(func(t *Task) *int64 { return &t.TenantID }, func(k *TenantKey) *int64 { return &k.TenantID }),
		memrel.NullCol(func(t *Task) *memrel.Null[int64] { return &t.ProjectID }, func(k *TenantKey) *int64 { return &k.ID }))
}

func newTenantSchema(t testing.TB, project, owner []memrel.Rule) *tenantSchema {
	t.Helper()
	s := memrel.NewSchema()
	ts := &tenantSchema{}
	ts.tenants = memrel.NewTable(s, "tenants", func(t *Tenant) *int64 { return &t.ID })
	ts.members = memrel.NewTable(s, "members", func(m *Member) *int64 { return &m.ID })
	ts.email = memrel.NewUniqueIndex(ts.members, "email", func(m *Member) *string { return &m.Email })
	key := func(p *Project) *TenantKey { return &p.TenantKey }
	ts.projects = memrel.NewCompositeTable(s, "projects", key)
	ts.code = memrel.NewUniqueCompositeIndex(ts.projects, "code", memrel.Columns(
		memrel.Col(func(p *Project) *int64 { return &p.TenantID }, func(k *ProjectCode) *int64 { return &k.TenantID }),
		memrel.NullCol(func(p *Project) *memrel.Null[int64] { return &p.Code }, func(k *ProjectCode) *int64 { return &k.Code })))
	ts.tenant = memrel.ForeignKey(ts.projects, "tenant", func(p *Project) *int64 { return &p.TenantID }, ts.tenants, memrel.OnDelete(memrel.Cascade))
	ts.tasks = memrel.NewCompositeTable(s, "tasks", func(t *Task) *TenantKey { return &t.TenantKey })
	ts.project = memrel.CompositeForeignKey(ts.tasks, "project", projectColumns(), ts.projects, project...)
	ts.owner = memrel.NullableForeignKey(ts.tasks, "owner", func(t *Task) *memrel.Null[string] { return &t.Owner }, ts.email, owner...)
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	ts.db = db
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		for _, row := range []Tenant{{1, "acme"}, {2, "globex"}} {
			if _, err := ts.tenants.Insert(tx, row); err != nil {
				return err
			}
		}
		for _, m := range []Member{{1, "ann@x"}, {2, "bob@x"}} {
			if _, err := ts.members.Insert(tx, m); err != nil {
				return err
			}
		}
		for _, p := range []Project{
			{TenantKey: TenantKey{1, 1}, Name: "rocket"},
			{TenantKey: TenantKey{1, 2}, Name: "anvil"},
			{TenantKey: TenantKey{2, 1}, Name: "dome"},
		} {
			if _, err := ts.projects.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, k := range []Task{
			{TenantKey: TenantKey{1, 10}, ProjectID: memrel.NullFrom[int64](1), Owner: memrel.NullFrom("ann@x")},
			{TenantKey: TenantKey{1, 11}, ProjectID: memrel.NullFrom[int64](1), Owner: memrel.NullFrom("bob@x")},
			{TenantKey: TenantKey{1, 12}, ProjectID: memrel.NullFrom[int64](2)},
			{TenantKey: TenantKey{2, 10}, ProjectID: memrel.NullFrom[int64](1), Owner: memrel.NullFrom("ann@x")},
			{TenantKey: TenantKey{2, 11}}, // no project: MATCH SIMPLE, no parent needed
		} {
			if _, err := ts.tasks.Insert(tx, k); err != nil {
				return err
			}
		}
		return nil
	})
	return ts
}

func taskKeys(t testing.TB, ts *tenantSchema) []TenantKey {
	t.Helper()
	var out []TenantKey
	viewOK(t, ts.db, func(tx *memrel.Tx) error {
		for k := range ts.tasks.All(tx) {
			out = append(out, k.TenantKey)
		}
		return nil
	})
	return out
}

func viewOK(t testing.TB, db *memrel.DB, fn func(tx *memrel.Tx) error) {
	t.Helper()
	if err := db.View(fn); err != nil {
		t.Fatal(err)
	}
}

func TestCompositeForeignKey(t *testing.T) {
	ts := newTenantSchema(t, []memrel.Rule{memrel.OnDelete(memrel.Cascade), memrel.OnUpdate(memrel.Cascade)}, nil)
	// A task of tenant 2 cannot reference tenant 1's project 2: the key is
	// the pair.
	err := ts.db.Update(func(tx *memrel.Tx) error {
		_, err := ts.tasks.Insert(tx, Task{TenantKey: TenantKey{2, 12}, ProjectID: memrel.NullFrom[int64](2)})
		return err
	})
	var ce *memrel.ConstraintError
	if !errors.As(err, &ce) || !errors.Is(err, memrel.ErrForeignKey) || ce.Parent != "projects (2, 2)" || ce.Constraint != "tasks.project" {
		t.Fatalf("insert with a missing composite parent: %v (%+v)", err, ce)
	}
	// Navigation both ways, lazily and eagerly.
	viewOK(t, ts.db, func(tx *memrel.Tx) error {
		kids, err := ts.project.ListChildren(tx, TenantKey{1, 1})
		if err != nil {
			return err
		}
		if got := len(kids); got != 2 {
			t.Errorf("project (1, 1) has %d tasks, want 2", got)
		}
		p, err := ts.project.Parent(tx, kids[0])
		if err != nil || p.Name != "rocket" {
			t.Errorf("Parent = %+v, %v", p, err)
		}
		projects, res, err := memrel.EagerAll(tx, ts.projects, memrel.Many(ts.project), memrel.Count(ts.project))
		if err != nil {
			return err
		}
		counts := map[TenantKey]int{}
		for _, p := range projects {
			counts[p.TenantKey] = memrel.Count(ts.project).Of(res, p)
			if n := len(memrel.Many(ts.project).Of(res, p)); n != counts[p.TenantKey] {
				t.Errorf("project %v: Many %d, Count %d", p.TenantKey, n, counts[p.TenantKey])
			}
		}
		if diff := cmp.Diff(map[TenantKey]int{{1, 1}: 2, {1, 2}: 1, {2, 1}: 1}, counts); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		tasks, res2, err := memrel.EagerAll(tx, ts.tasks, memrel.One(ts.project))
		if err != nil {
			return err
		}
		for _, k := range tasks {
			p, ok := memrel.One(ts.project).Of(res2, k)
			if ok != k.ProjectID.Valid || ok && (p.TenantID != k.TenantID || p.ID != k.ProjectID.V) {
				t.Errorf("task %v: parent %+v, %v", k.TenantKey, p, ok)
			}
		}
		return nil
	})
	// Re-keying project (1, 1) to (1, 5) cascades to both of its tasks.
	memrel.MustUpdate(t, ts.db, func(tx *memrel.Tx) error {
		return ts.projects.UpdateKey(tx, TenantKey{1, 1}, Project{TenantKey: TenantKey{1, 5}, Name: "rocket"})
	})
	viewOK(t, ts.db, func(tx *memrel.Tx) error {
		for k := range ts.tasks.All(tx) {
			if k.TenantID == 1 && k.ID < 12 && k.ProjectID != memrel.NullFrom[int64](5) {
				t.Errorf("task %v: project %v after the re-key, want 5", k.TenantKey, k.ProjectID)
			}
		}
		return nil
	})
	// A range of a composite primary key: tenant 2's tasks 10 to 10.
	err = ts.db.Update(func(tx *memrel.Tx) error {
		n, err := ts.tasks.DeleteRange(tx, TenantKey{2, 10}, TenantKey{2, 10})
		if n != 1 {
			t.Errorf("DeleteRange of one key: %d rows", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, ts.db, func(tx *memrel.Tx) error {
		_, err := ts.tasks.Insert(tx, Task{TenantKey: TenantKey{2, 10}, ProjectID: memrel.NullFrom[int64](1), Owner: memrel.NullFrom("ann@x")})
		return err
	})
	// Deleting tenant 1 cascades to its projects, and on to their tasks;
	// tenant 2's task without a project stays.
	memrel.MustUpdate(t, ts.db, func(tx *memrel.Tx) error { return ts.tenants.Delete(tx, 1) })
	if diff := cmp.Diff([]TenantKey{{2, 10}, {2, 11}}, taskKeys(t, ts)); diff != "" {
		t.Errorf("tasks after deleting tenant 1 (-want +got):\n%s", diff)
	}
	if err := ts.db.Verify(); err != nil {
		t.Fatal(err)
	}
}

func TestCompositeSetNullAndMatchFull(t *testing.T) {
	// SET NULL on a key with a NOT NULL column (the tenant) is refused, as
	// SQLite would refuse the action when it runs.
	s := memrel.NewSchema()
	projects := memrel.NewCompositeTable(s, "projects", func(p *Project) *TenantKey { return &p.TenantKey })
	tasks := memrel.NewCompositeTable(s, "tasks", func(t *Task) *TenantKey { return &t.TenantKey })
	memrel.CompositeForeignKey(tasks, "project", projectColumns(), projects, memrel.OnDelete(memrel.SetNull))
	if _, err := memrel.Open(s); !errors.Is(err, memrel.ErrSchema) || !strings.Contains(err.Error(), "SET NULL writes NULL to every column of the key, and TenantKey.TenantID is NOT NULL") {
		t.Fatalf("Open: %v, want a SET NULL schema error", err)
	}

	// Every column nullable: SET NULL writes NULL to each; MATCH FULL
	// refuses a half-NULL key.
	type Ref struct {
		ID                  int64
		TenantID, ProjectID memrel.Null[int64]
	}
	for _, full := range []bool{false, true} {
		s := memrel.NewSchema()
		projects := memrel.NewCompositeTable(s, "projects", func(p *Project) *TenantKey { return &p.TenantKey })
		refs := memrel.NewTable(s, "refs", func(r *Ref) *int64 { return &r.ID })
		rules := []memrel.Rule{memrel.OnDelete(memrel.SetNull)}
		if full {
			rules = append(rules, memrel.MatchFull())
		}
		memrel.CompositeForeignKey(refs, "project", memrel.Columns(
			memrel.NullCol(func(r *Ref) *memrel.Null[int64] { return &r.TenantID }, func(k *TenantKey) *int64 { return &k.TenantID }),
			memrel.NullCol(func(r *Ref) *memrel.Null[int64] { return &r.ProjectID }, func(k *TenantKey) *int64 { return &k.ID })),
			projects, rules...)
		db, err := memrel.Open(s)
		if err != nil {
			t.Fatal(err)
		}
		memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
			if _, err := projects.Insert(tx, Project{TenantKey: TenantKey{1, 1}}); err != nil {
				return err
			}
			_, err := refs.Insert(tx, Ref{ID: 1, TenantID: memrel.NullFrom[int64](1), ProjectID: memrel.NullFrom[int64](1)})
			return err
		})
		// Tenant 1 with project 9, which does not exist, half NULL: MATCH
		// SIMPLE needs no parent for it, MATCH FULL refuses it.
		err = db.Update(func(tx *memrel.Tx) error {
			_, err := refs.Insert(tx, Ref{ID: 2, TenantID: memrel.NullFrom[int64](9)})
			return err
		})
		var ce *memrel.ConstraintError
		switch {
		case !full && err != nil:
			t.Errorf("MATCH SIMPLE, half NULL: %v", err)
		case full && (!errors.As(err, &ce) || !errors.Is(err, memrel.ErrForeignKey) || ce.Op != memrel.OpInsert || !strings.Contains(err.Error(), "MATCH FULL")):
			t.Errorf("MATCH FULL, half NULL: %v", err)
		}
		memrel.MustUpdate(t, db, func(tx *memrel.Tx) error { return projects.Delete(tx, TenantKey{1, 1}) })
		viewOK(t, db, func(tx *memrel.Tx) error {
			r, err := refs.Get(tx, 1)
			if err != nil {
				return err
			}
			if r.TenantID.Valid || r.ProjectID.Valid {
				t.Errorf("after SET NULL: %+v, want both columns NULL", r)
			}
			return nil
		})
		if err := db.Verify(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestForeignKeyToUniqueKey(t *testing.T) {
	for _, a := range []memrel.Action{memrel.NoAction, memrel.Restrict, memrel.Cascade, memrel.SetNull} {
		t.Run(a.String(), func(t *testing.T) {
			ts := newTenantSchema(t, nil, []memrel.Rule{memrel.OnUpdate(a), memrel.OnDelete(a)})
			// An owner's email that no member has is refused.
			err := ts.db.Update(func(tx *memrel.Tx) error {
				_, err := ts.tasks.Insert(tx, Task{TenantKey: TenantKey{2, 20}, Owner: memrel.NullFrom("eve@x")})
				return err
			})
			if !errors.Is(err, memrel.ErrForeignKey) || !strings.Contains(err.Error(), `members email "eve@x"`) {
				t.Fatalf("insert with an unknown email: %v", err)
			}
			// Ann changes her email: ON UPDATE acts on her tasks.
			err = ts.db.Update(func(tx *memrel.Tx) error {
				return ts.members.Update(tx, Member{ID: 1, Email: "ann@y"})
			})
			owners := func() map[TenantKey]memrel.Null[string] {
				out := map[TenantKey]memrel.Null[string]{}
				viewOK(t, ts.db, func(tx *memrel.Tx) error {
					for k := range ts.tasks.All(tx) {
						if k.Owner.Valid {
							out[k.TenantKey] = k.Owner
						}
					}
					return nil
				})
				return out
			}
			want := map[TenantKey]memrel.Null[string]{{1, 10}: memrel.NullFrom("ann@x"), {1, 11}: memrel.NullFrom("bob@x"), {2, 10}: memrel.NullFrom("ann@x")}
			switch a {
			case memrel.NoAction, memrel.Restrict:
				if !errors.Is(err, memrel.ErrForeignKey) && !errors.Is(err, memrel.ErrRestrict) {
					t.Fatalf("email change under %v: %v", a, err)
				}
			case memrel.Cascade:
				want[TenantKey{1, 10}], want[TenantKey{2, 10}] = memrel.NullFrom("ann@y"), memrel.NullFrom("ann@y")
			case memrel.SetNull:
				delete(want, TenantKey{1, 10})
				delete(want, TenantKey{2, 10})
			}
			if a == memrel.Cascade || a == memrel.SetNull {
				if err != nil {
					t.Fatalf("email change under %v: %v", a, err)
				}
			}
			if diff := cmp.Diff(want, owners()); diff != "" {
				t.Errorf("owners (-want +got):\n%s", diff)
			}
			// Navigation by the unique key, both ways.
			viewOK(t, ts.db, func(tx *memrel.Tx) error {
				members, res, err := memrel.EagerAll(tx, ts.members, memrel.Many(ts.owner))
				if err != nil {
					return err
				}
				for _, m := range members {
					for _, k := range memrel.Many(ts.owner).Of(res, m) {
						if k.Owner.V != m.Email {
							t.Errorf("member %s has task %v owned by %s", m.Email, k.TenantKey, k.Owner.V)
						}
						p, err := ts.owner.Parent(tx, k)
						if err != nil || p.ID != m.ID {
							t.Errorf("Parent of %v = %+v, %v", k.TenantKey, p, err)
						}
					}
				}
				return nil
			})
			// Deleting Bob acts on his task.
			err = ts.db.Update(func(tx *memrel.Tx) error { return ts.members.Delete(tx, 2) })
			if (a == memrel.NoAction || a == memrel.Restrict) != (err != nil) {
				t.Errorf("delete bob under %v: %v", a, err)
			}
			if err := ts.db.Verify(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNullableCompositeUnique(t *testing.T) {
	ts := newTenantSchema(t, nil, nil)
	put := func(k TenantKey, code memrel.Null[int64]) error {
		return ts.db.Update(func(tx *memrel.Tx) error {
			_, err := ts.projects.Insert(tx, Project{TenantKey: k, Code: code})
			return err
		})
	}
	// The seed's projects all have a NULL code: NULLs never collide.
	if err := put(TenantKey{1, 3}, memrel.Null[int64]{}); err != nil {
		t.Fatalf("a fourth NULL code: %v", err)
	}
	if err := put(TenantKey{1, 4}, memrel.NullFrom[int64](7)); err != nil {
		t.Fatal(err)
	}
	if err := put(TenantKey{1, 5}, memrel.NullFrom[int64](7)); !errors.Is(err, memrel.ErrUnique) {
		t.Fatalf("tenant 1's code 7 twice: %v, want ErrUnique", err)
	}
	if err := put(TenantKey{2, 5}, memrel.NullFrom[int64](7)); err != nil {
		t.Fatalf("tenant 2's code 7: %v", err)
	}
	viewOK(t, ts.db, func(tx *memrel.Tx) error {
		p, err := ts.code.First(tx, ProjectCode{TenantID: 1, Code: 7})
		if err != nil || p.TenantKey != (TenantKey{1, 4}) {
			t.Errorf("First(1, 7) = %+v, %v", p, err)
		}
		n := 0
		for range ts.code.All(tx) {
			n++
		}
		if n != 2 {
			t.Errorf("the index holds %d rows, want the 2 with a code", n)
		}
		return nil
	})
}

func TestCompositeDeclarationErrors(t *testing.T) {
	type BadKey struct {
		ID    int64
		Score float64
	}
	type Bad struct{ Key BadKey }
	cases := map[string]struct {
		want    string
		declare func(s *memrel.Schema)
	}{
		"not a key type": {"field Score of composite key memrel_test.BadKey has type float64", func(s *memrel.Schema) {
			memrel.NewCompositeTable(s, "bad", func(b *Bad) *BadKey { return &b.Key })
		}},
		"a field without a column": {"field ID of memrel_test.TenantKey has no column", func(s *memrel.Schema) {
			projects := memrel.NewCompositeTable(s, "projects", func(p *Project) *TenantKey { return &p.TenantKey })
			tasks := memrel.NewCompositeTable(s, "tasks", func(t *Task) *TenantKey { return &t.TenantKey })
			memrel.CompositeForeignKey(tasks, "project", memrel.Columns(
				memrel.Col(func(t *Task) *int64 { return &t.TenantID }, func(k *TenantKey) *int64 { return &k.TenantID })), projects)
		}},
		"a field with two columns": {"field TenantID of memrel_test.TenantKey has two columns", func(s *memrel.Schema) {
			projects := memrel.NewCompositeTable(s, "projects", func(p *Project) *TenantKey { return &p.TenantKey })
			tasks := memrel.NewCompositeTable(s, "tasks", func(t *Task) *TenantKey { return &t.TenantKey })
			memrel.CompositeForeignKey(tasks, "project", memrel.Columns(
				memrel.Col(func(t *Task) *int64 { return &t.TenantID }, func(k *TenantKey) *int64 { return &k.TenantID }),
				memrel.Col(func(t *Task) *int64 { return &t.ID }, func(k *TenantKey) *int64 { return &k.TenantID })), projects)
		}},
		"a reference to an index that is not unique": {"references index members.email, which is not unique", func(s *memrel.Schema) {
			members := memrel.NewTable(s, "members", func(m *Member) *int64 { return &m.ID })
			email := memrel.NewIndex(members, "email", func(m *Member) *string { return &m.Email })
			tasks := memrel.NewCompositeTable(s, "tasks", func(t *Task) *TenantKey { return &t.TenantKey })
			memrel.NullableForeignKey(tasks, "owner", func(t *Task) *memrel.Null[string] { return &t.Owner }, email)
		}},
		"a reference to a nullable unique index": {"references index projects.code, which has a nullable column", func(s *memrel.Schema) {
			projects := memrel.NewCompositeTable(s, "projects", func(p *Project) *TenantKey { return &p.TenantKey })
			code := memrel.NewUniqueCompositeIndex(projects, "code", memrel.Columns(
				memrel.Col(func(p *Project) *int64 { return &p.TenantID }, func(k *ProjectCode) *int64 { return &k.TenantID }),
				memrel.NullCol(func(p *Project) *memrel.Null[int64] { return &p.Code }, func(k *ProjectCode) *int64 { return &k.Code })))
			type Ref struct{ ID, TenantID, Code int64 }
			refs := memrel.NewTable(s, "refs", func(r *Ref) *int64 { return &r.ID })
			memrel.CompositeForeignKey(refs, "project", memrel.Columns(
				memrel.Col(func(r *Ref) *int64 { return &r.TenantID }, func(k *ProjectCode) *int64 { return &k.TenantID }),
				memrel.Col(func(r *Ref) *int64 { return &r.Code }, func(k *ProjectCode) *int64 { return &k.Code })), code)
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := memrel.NewSchema()
			c.declare(s)
			_, err := memrel.Open(s)
			if !errors.Is(err, memrel.ErrSchema) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open: %v, want ErrSchema saying %q", err, c.want)
			}
		})
	}
}

var rangeSeed = flag.Uint64("rangeseed", 0, "TestIndexRangeStatements' seed (0: from the clock)")

// An index-range statement does what the same statement by predicate
// does: the same rows affected, the same rejections, the same rows after.
func TestIndexRangeStatements(t *testing.T) {
	type Event struct {
		ID    int64
		Score int
		Slot  ProjectCode
	}
	type Note struct {
		ID      int64
		EventID int64
	}
	s := memrel.NewSchema()
	events := memrel.NewTable(s, "events", func(e *Event) *int64 { return &e.ID })
	byScore := memrel.NewIndex(events, "score", func(e *Event) *int { return &e.Score })
	bySlot := memrel.NewCompositeIndex(events, "slot", memrel.Columns(
		memrel.Col(func(e *Event) *int64 { return &e.Slot.TenantID }, func(k *ProjectCode) *int64 { return &k.TenantID }),
		memrel.Col(func(e *Event) *int64 { return &e.Slot.Code }, func(k *ProjectCode) *int64 { return &k.Code })))
	notes := memrel.NewTable(s, "notes", func(n *Note) *int64 { return &n.ID })
	memrel.ForeignKey(notes, "event", func(n *Note) *int64 { return &n.EventID }, events, memrel.OnDelete(memrel.Restrict))
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	seed := *rangeSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -rangeseed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		for range 150 {
			if _, err := events.Insert(tx, Event{Score: rng.IntN(50), Slot: ProjectCode{int64(rng.IntN(3)), int64(rng.IntN(20))}}); err != nil {
				return err
			}
		}
		for range 5 {
			if _, err := notes.Insert(tx, Note{EventID: int64(1 + rng.IntN(150))}); err != nil {
				return err
			}
		}
		return nil
	})
	rows := func(db *memrel.DB) []Event {
		var out []Event
		viewOK(t, db, func(tx *memrel.Tx) error {
			for e := range events.All(tx) {
				out = append(out, e)
			}
			return nil
		})
		return out
	}
	type outcome struct {
		N   int
		Err bool
	}
	for i := range 120 {
		lo, hi := rng.IntN(55)-2, rng.IntN(55)-2
		tenant, c1, c2 := int64(rng.IntN(3)), int64(rng.IntN(22)), int64(rng.IntN(22))
		bump := func(e Event) Event { e.Score += 100; return e }
		inScore := func(e Event) bool { return e.Score >= lo && e.Score <= hi }
		inSlot := func(e Event) bool { return e.Slot.TenantID == tenant && e.Slot.Code >= c1 && e.Slot.Code <= c2 }
		k1, k2 := int64(rng.IntN(160)), int64(rng.IntN(160))
		inKeys := func(e Event) bool { return e.ID >= k1 && e.ID <= k2 }
		var byRange, byWhere func(tx *memrel.Tx) (int, error)
		switch i % 6 {
		case 4:
			byRange = func(tx *memrel.Tx) (int, error) { return events.DeleteRange(tx, k1, k2) }
			byWhere = func(tx *memrel.Tx) (int, error) { return events.DeleteWhere(tx, inKeys) }
		case 5:
			byRange = func(tx *memrel.Tx) (int, error) { return events.UpdateRange(tx, k1, k2, bump) }
			byWhere = func(tx *memrel.Tx) (int, error) { return events.UpdateWhere(tx, inKeys, bump) }
		case 0:
			byRange = func(tx *memrel.Tx) (int, error) { return byScore.DeleteRange(tx, lo, hi) }
			byWhere = func(tx *memrel.Tx) (int, error) { return events.DeleteWhere(tx, inScore) }
		case 1:
			byRange = func(tx *memrel.Tx) (int, error) { return byScore.UpdateRange(tx, lo, hi, bump) }
			byWhere = func(tx *memrel.Tx) (int, error) { return events.UpdateWhere(tx, inScore, bump) }
		case 2:
			byRange = func(tx *memrel.Tx) (int, error) {
				return bySlot.DeleteRange(tx, ProjectCode{tenant, c1}, ProjectCode{tenant, c2})
			}
			byWhere = func(tx *memrel.Tx) (int, error) { return events.DeleteWhere(tx, inSlot) }
		case 3:
			byRange = func(tx *memrel.Tx) (int, error) {
				return bySlot.UpdateRange(tx, ProjectCode{tenant, c1}, ProjectCode{tenant, c2}, bump)
			}
			byWhere = func(tx *memrel.Tx) (int, error) { return events.UpdateWhere(tx, inSlot, bump) }
		}
		var got [2]outcome
		var after [2][]Event
		for j, stmt := range []func(tx *memrel.Tx) (int, error){byRange, byWhere} {
			f := db.Fork()
			err := f.Update(func(tx *memrel.Tx) error {
				n, err := stmt(tx)
				got[j] = outcome{n, err != nil}
				return err
			})
			if err != nil && !errors.Is(err, memrel.ErrRestrict) {
				t.Fatal(err)
			}
			after[j] = rows(f)
			if err := f.Verify(); err != nil {
				t.Fatal(err)
			}
		}
		if got[0] != got[1] {
			t.Fatalf("statement %d: by range %+v, by predicate %+v", i, got[0], got[1])
		}
		if diff := cmp.Diff(after[1], after[0]); diff != "" {
			t.Fatalf("statement %d: rows differ (-predicate +range):\n%s", i, diff)
		}
	}
}

// A composite foreign key to a composite unique key, and a many-to-many
// association keyed by three columns whose first two are a composite
// foreign key (a seek on the primary key serves it).
func TestCompositeUniqueReferenceAndThrough(t *testing.T) {
	type Sku struct {
		Vendor string
		Number int
	}
	type Product struct {
		ID     int64
		Vendor string
		Number int
	}
	type Line struct {
		ID     int64
		Vendor string
		Number int
	}
	type MKey struct{ TenantID, ProjectID, MemberID int64 }
	type Membership struct{ MKey }
	s := memrel.NewSchema()
	products := memrel.NewTable(s, "products", func(p *Product) *int64 { return &p.ID })
	sku := memrel.NewUniqueCompositeIndex(products, "sku", memrel.Columns(
		memrel.Col(func(p *Product) *string { return &p.Vendor }, func(k *Sku) *string { return &k.Vendor }),
		memrel.Col(func(p *Product) *int { return &p.Number }, func(k *Sku) *int { return &k.Number })))
	lines := memrel.NewTable(s, "lines", func(l *Line) *int64 { return &l.ID })
	product := memrel.CompositeForeignKey(lines, "product", memrel.Columns(
		memrel.Col(func(l *Line) *int { return &l.Number }, func(k *Sku) *int { return &k.Number }),
		memrel.Col(func(l *Line) *string { return &l.Vendor }, func(k *Sku) *string { return &k.Vendor })),
		sku, memrel.OnUpdate(memrel.Cascade), memrel.OnDelete(memrel.Restrict))
	projects := memrel.NewCompositeTable(s, "projects", func(p *Project) *TenantKey { return &p.TenantKey })
	members := memrel.NewTable(s, "members", func(m *Member) *int64 { return &m.ID })
	memberships := memrel.NewCompositeTable(s, "memberships", func(m *Membership) *MKey { return &m.MKey })
	ofProject := memrel.CompositeForeignKey(memberships, "project", memrel.Columns(
		memrel.Col(func(m *Membership) *int64 { return &m.TenantID }, func(k *TenantKey) *int64 { return &k.TenantID }),
		memrel.Col(func(m *Membership) *int64 { return &m.ProjectID }, func(k *TenantKey) *int64 { return &k.ID })),
		projects, memrel.OnDelete(memrel.Cascade))
	ofMember := memrel.ForeignKey(memberships, "member", func(m *Membership) *int64 { return &m.MemberID }, members, memrel.OnDelete(memrel.Cascade))
	membersOf := memrel.NewThrough(ofProject, "members", ofMember)
	projectsOf := memrel.NewThrough(ofMember, "projects", ofProject)
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		for _, p := range []Product{{1, "acme", 7}, {2, "acme", 8}, {3, "globex", 7}} {
			if _, err := products.Insert(tx, p); err != nil {
				return err
			}
		}
		for _, l := range []Line{{1, "acme", 7}, {2, "acme", 7}, {3, "globex", 7}} {
			if _, err := lines.Insert(tx, l); err != nil {
				return err
			}
		}
		for i := int64(1); i <= 4; i++ {
			if _, err := members.Insert(tx, Member{ID: i, Email: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		for _, k := range []TenantKey{{1, 1}, {1, 2}, {2, 1}} {
			if _, err := projects.Insert(tx, Project{TenantKey: k}); err != nil {
				return err
			}
		}
		for _, l := range [][2]int64{{0, 1}, {0, 2}, {1, 2}, {1, 3}, {2, 1}, {2, 4}} {
			k := []TenantKey{{1, 1}, {1, 2}, {2, 1}}[l[0]]
			if _, err := membersOf.Link(tx, k, l[1]); err != nil {
				return err
			}
		}
		return nil
	})
	err = db.Update(func(tx *memrel.Tx) error {
		_, err := lines.Insert(tx, Line{ID: 4, Vendor: "globex", Number: 8})
		return err
	})
	if !errors.Is(err, memrel.ErrForeignKey) || !strings.Contains(err.Error(), `products sku ("globex", 8)`) {
		t.Fatalf("a line of a missing sku: %v", err)
	}
	if err := db.Update(func(tx *memrel.Tx) error { return products.Delete(tx, 1) }); !errors.Is(err, memrel.ErrRestrict) {
		t.Fatalf("delete a product with lines: %v, want ErrRestrict", err)
	}
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error { return products.Update(tx, Product{1, "acme", 70}) })
	viewOK(t, db, func(tx *memrel.Tx) error {
		got, res, err := memrel.EagerAll(tx, lines, memrel.One(product))
		if err != nil {
			return err
		}
		for _, l := range got {
			p, ok := memrel.One(product).Of(res, l)
			if !ok || p.Vendor != l.Vendor || p.Number != l.Number {
				t.Errorf("line %d: product %+v, %v", l.ID, p, ok)
			}
		}
		if l, _ := lines.Get(tx, 2); l.Number != 70 {
			t.Errorf("line 2 after the sku changed: %+v, want number 70", l)
		}
		ps, res, err := memrel.EagerAll(tx, projects, membersOf.Load())
		if err != nil {
			return err
		}
		for _, p := range ps {
			var lazy []int64
			for m := range membersOf.List(tx, p.TenantKey) {
				lazy = append(lazy, m.ID)
			}
			var eager []int64
			for _, m := range membersOf.Load().Of(res, p) {
				eager = append(eager, m.ID)
			}
			if diff := cmp.Diff(lazy, eager); diff != "" || len(lazy) != 2 {
				t.Errorf("project %v: members (-lazy +eager):\n%s (lazy %v)", p.TenantKey, diff, lazy)
			}
		}
		n, err := projectsOf.Count(tx, 2)
		if err != nil || n != 2 {
			t.Errorf("member 2's projects: %d, %v", n, err)
		}
		return nil
	})
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error { return projects.Delete(tx, TenantKey{1, 2}) })
	viewOK(t, db, func(tx *memrel.Tx) error {
		if n, _ := memberships.Len(tx); n != 4 {
			t.Errorf("%d memberships after deleting a project of two, want 4", n)
		}
		return nil
	})
	if err := db.Verify(); err != nil {
		t.Fatal(err)
	}
}
