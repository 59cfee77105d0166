package memrel

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// PlanDelete's plan is what the delete then does.
func TestPlanDeleteMatchesDelete(t *testing.T) {
	b := NewBlog(t, DefaultRules())
	b.Seed(t)
	var plan []Step
	MustUpdate(t, b.DB, func(tx *Tx) (err error) { plan, err = b.Users.PlanDelete(tx, 1); return err })
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
	before := dump(t, b.DB)
	if n := len(before["comments"]); n != 3 {
		t.Fatalf("planning deleted comments: %d left", n)
	}
	// ...and the delete does exactly the plan.
	MustUpdate(t, b.DB, func(tx *Tx) error { return b.Users.Delete(tx, 1) })
	after := dump(t, b.DB)
	gone := map[string]int{}
	for table, rows := range before {
		gone[table] = len(rows) - len(after[table])
	}
	planned := map[string]int{"users": 0, "posts": 0, "comments": 0, "tags": 0, "post_tags": 0}
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
	r := DefaultRules()
	r.Replies = []Rule{OnDelete(Restrict)}
	b := NewBlog(t, r)
	b.Seed(t)
	unchanged(t, b.DB, func() {
		err := b.DB.Update(func(tx *Tx) error {
			plan, err := b.Users.PlanDelete(tx, 1)
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
	err := b.DB.View(func(tx *Tx) error { _, err := b.Users.PlanDelete(tx, 1); return err })
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("PlanDelete in a read transaction: %v", err)
	}
}
