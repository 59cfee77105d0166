package memrel

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTraversal(t *testing.T) {
	b := NewBlog(t, BlogRules{Replies: []Rule{Deferred()}})
	// 1 <- 2 <- 4, 1 <- 3, and a cycle 5 <- 6 <- 5 (deferred, so it can be built).
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if _, err := b.Users.Insert(tx, User{ID: 1, Email: "a"}); err != nil {
			return err
		}
		if _, err := b.Posts.Insert(tx, Post{ID: 1, UserID: 1}); err != nil {
			return err
		}
		for _, c := range []Comment{
			{ID: 1, PostID: 1}, {ID: 2, PostID: 1, ParentID: NullFrom[int64](1)}, {ID: 3, PostID: 1, ParentID: NullFrom[int64](1)},
			{ID: 4, PostID: 1, ParentID: NullFrom[int64](2)}, {ID: 5, PostID: 1, ParentID: NullFrom[int64](6)}, {ID: 6, PostID: 1, ParentID: NullFrom[int64](5)},
		} {
			if _, err := b.Comments.Insert(tx, c); err != nil {
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
	_ = b.DB.View(func(tx *Tx) error {
		cases := []struct {
			name string
			got  []visit
			want []visit
		}{
			{"descendants of 1", walk(b.Replies.Descendants(tx, 1, 0)), []visit{{2, 1}, {4, 2}, {3, 1}}},
			{"descendants of 1, depth 1", walk(b.Replies.Descendants(tx, 1, 1)), []visit{{2, 1}, {3, 1}}},
			{"descendants in a cycle", walk(b.Replies.Descendants(tx, 5, 0)), []visit{{6, 1}}},
			{"ancestors of 4", walk(b.Replies.Ancestors(tx, Comment{ID: 4, ParentID: NullFrom[int64](2)}, 0)), []visit{{2, 1}, {1, 2}}},
			{"ancestors of 4, depth 1", walk(b.Replies.Ancestors(tx, Comment{ID: 4, ParentID: NullFrom[int64](2)}, 1)), []visit{{2, 1}}},
			{"ancestors in a cycle", walk(b.Replies.Ancestors(tx, Comment{ID: 5, ParentID: NullFrom[int64](6)}, 0)), []visit{{6, 1}}},
			{"not self-referential", walk(func(yield func(Comment, int) bool) {
				for p, d := range b.OnPost.Descendants(tx, 1, 0) {
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
	b := NewBlog(t, DefaultRules())
	const n = 100_000
	chain(t, b, n)
	_ = b.DB.View(func(tx *Tx) error {
		last, deepest := int64(0), 0
		for c, d := range b.Replies.Descendants(tx, 1, 0) {
			last, deepest = c.ID, d
		}
		if last != n || deepest != n-1 {
			t.Errorf("deepest descendant %d at depth %d", last, deepest)
		}
		depth := 0
		for range b.Replies.Ancestors(tx, Comment{ID: n, ParentID: NullFrom[int64](n - 1)}, 0) {
			depth++
		}
		if depth != n-1 {
			t.Errorf("%d ancestors", depth)
		}
		return nil
	})
}
