package memrel

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// PlanDelete's plan is what the delete then does.
func TestPlanDeleteMatchesDelete(t *testing.T) {
	b := newBlog(t, defaultRules())
	b.seed(t)
	var plan []Step
	mustUpdate(t, b.db, func(tx *Tx) (err error) { plan, err = b.users.PlanDelete(tx, 1); return err })
	want := []Step{
		{Op: "delete", Table: "users", Key: "1"},
		{Op: "delete", Table: "posts", Key: "10", Relation: "posts.author", Action: Cascade},
		{Op: "delete", Table: "comments", Key: "100", Relation: "comments.post", Action: Cascade},
		{Op: "delete", Table: "comments", Key: "101", Relation: "comments.parent", Action: Cascade},
		{Op: "delete", Table: "comments", Key: "102", Relation: "comments.parent", Action: Cascade},
		{Op: "delete", Table: "posts", Key: "11", Relation: "posts.author", Action: Cascade},
		{Op: "update", Table: "posts", Key: "20", Relation: "posts.editor", Action: SetNull},
	}
	if diff := cmp.Diff(want, plan); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	// Planning changed nothing...
	before := dump(t, b.db)
	if n := len(before["comments"]); n != 3 {
		t.Fatalf("planning deleted comments: %d left", n)
	}
	// ...and the delete does exactly the plan.
	mustUpdate(t, b.db, func(tx *Tx) error { return b.users.Delete(tx, 1) })
	after := dump(t, b.db)
	gone := map[string]int{}
	for table, rows := range before {
		gone[table] = len(rows) - len(after[table])
	}
	planned := map[string]int{"users": 0, "posts": 0, "comments": 0}
	for _, s := range plan {
		if s.Op == "delete" {
			planned[s.Table]++
		}
	}
	if diff := cmp.Diff(planned, gone); diff != "" {
		t.Errorf("rows deleted per table (-plan +delete):\n%s", diff)
	}
	if p := after["posts"][0].(*Post); p.ID != 20 || p.EditorID.Valid {
		t.Errorf("post 20 after the delete: %+v", p)
	}
}

func TestPlanDeleteBlocked(t *testing.T) {
	r := defaultRules()
	r.replies = []Rule{OnDelete(Restrict)}
	b := newBlog(t, r)
	b.seed(t)
	unchanged(t, b.db, func() {
		err := b.db.Update(func(tx *Tx) error {
			plan, err := b.users.PlanDelete(tx, 1)
			if len(plan) == 0 || plan[len(plan)-1].Key != "100" {
				t.Errorf("plan up to the block: %+v", plan)
			}
			return err
		})
		var ce *ConstraintError
		if !errors.As(err, &ce) || !errors.Is(err, ErrRestrict) || ce.Constraint != "comments.parent" {
			t.Fatalf("blocked plan: %v", err)
		}
	})
	err := b.db.View(func(tx *Tx) error { _, err := b.users.PlanDelete(tx, 1); return err })
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("PlanDelete in a read transaction: %v", err)
	}
}

func TestTraversal(t *testing.T) {
	b := newBlog(t, blogRules{replies: []Rule{Deferred()}})
	// 1 <- 2 <- 4, 1 <- 3, and a cycle 5 <- 6 <- 5 (deferred, so it can be built).
	mustUpdate(t, b.db, func(tx *Tx) error {
		if _, err := b.users.Insert(tx, User{ID: 1, Email: "a"}); err != nil {
			return err
		}
		if _, err := b.posts.Insert(tx, Post{ID: 1, UserID: 1}); err != nil {
			return err
		}
		for _, c := range []Comment{
			{ID: 1, PostID: 1}, {ID: 2, PostID: 1, ParentID: Valid[int64](1)}, {ID: 3, PostID: 1, ParentID: Valid[int64](1)},
			{ID: 4, PostID: 1, ParentID: Valid[int64](2)}, {ID: 5, PostID: 1, ParentID: Valid[int64](6)}, {ID: 6, PostID: 1, ParentID: Valid[int64](5)},
		} {
			if _, err := b.comments.Insert(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	type visit struct {
		ID    int64
		Depth int
	}
	walk := func(seq func(func(Comment, int) bool)) []visit {
		out := []visit{}
		for c, d := range seq {
			out = append(out, visit{c.ID, d})
		}
		return out
	}
	_ = b.db.View(func(tx *Tx) error {
		cases := []struct {
			name string
			got  []visit
			want []visit
		}{
			{"descendants of 1", walk(b.replies.Descendants(tx, 1, 0)), []visit{{2, 1}, {4, 2}, {3, 1}}},
			{"descendants of 1, depth 1", walk(b.replies.Descendants(tx, 1, 1)), []visit{{2, 1}, {3, 1}}},
			{"descendants in a cycle", walk(b.replies.Descendants(tx, 5, 0)), []visit{{6, 1}}},
			{"ancestors of 4", walk(b.replies.Ancestors(tx, Comment{ID: 4, ParentID: Valid[int64](2)}, 0)), []visit{{2, 1}, {1, 2}}},
			{"ancestors of 4, depth 1", walk(b.replies.Ancestors(tx, Comment{ID: 4, ParentID: Valid[int64](2)}, 1)), []visit{{2, 1}}},
			{"ancestors in a cycle", walk(b.replies.Ancestors(tx, Comment{ID: 5, ParentID: Valid[int64](6)}, 0)), []visit{{6, 1}}},
			{"not self-referential", walk(func(yield func(Comment, int) bool) {
				for p, d := range b.onPost.Descendants(tx, 1, 0) {
					yield(Comment{ID: p.ID}, d)
				}
			}), []visit{}},
		}
		for _, c := range cases {
			if diff := cmp.Diff(c.want, c.got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
		return nil
	})
}

// A 100,000-deep reply chain is walked without recursion.
func TestTraversalDeep(t *testing.T) {
	b := newBlog(t, defaultRules())
	const n = 100_000
	chain(t, b, n)
	_ = b.db.View(func(tx *Tx) error {
		last, deepest := int64(0), 0
		for c, d := range b.replies.Descendants(tx, 1, 0) {
			last, deepest = c.ID, d
		}
		if last != n || deepest != n-1 {
			t.Errorf("deepest descendant %d at depth %d", last, deepest)
		}
		depth := 0
		for range b.replies.Ancestors(tx, Comment{ID: n, ParentID: Valid[int64](n - 1)}, 0) {
			depth++
		}
		if depth != n-1 {
			t.Errorf("%d ancestors", depth)
		}
		return nil
	})
}

// A foreign key on the field a pair key begins with is served by the
// primary key's index: go-memdb has no index for it.
func TestKeyPrefixRelationHasNoIndex(t *testing.T) {
	type link struct{ A, B int64 }
	s := NewSchema()
	ps := NewTable(s, "ps", func(p *parent) *int64 { return &p.ID })
	links := NewPairTable(s, "links", func(l *link) *int64 { return &l.A }, func(l *link) *int64 { return &l.B })
	lead := ForeignKey(links, "a", func(l *link) *int64 { return &l.A }, ps)
	other := ForeignKey(links, "b", func(l *link) *int64 { return &l.B }, ps)
	if _, err := Open(s); err != nil {
		t.Fatal(err)
	}
	if !lead.info.index.shared || other.info.index.shared {
		t.Errorf("shared: lead %v, other %v", lead.info.index.shared, other.info.index.shared)
	}
	idx := s.mdb.Tables["links"].Indexes
	if _, ok := idx["ix:a"]; ok || len(idx) != 2 {
		t.Errorf("go-memdb indexes of links: %v", len(idx))
	}
}
