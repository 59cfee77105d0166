package memrel

import (
	"fmt"
	"testing"
)

// newEditing is the blog loaded for Editing, the many-to-many whose right
// side may be NULL (the editor relation, SET NULL on delete): authors <->
// the editors of their posts, each link a post. Authors 1 and 2, editors
// 11, 12 and 13; author 1 is linked to editors 12 and 13, author 2 to
// editor 11. No comments or tags.
func newEditing(tb testing.TB) *Blog {
	tb.Helper()
	b := NewBlog(tb, DefaultRules())
	MustUpdate(tb, b.DB, func(tx *Tx) error {
		for _, id := range []int64{1, 2, 11, 12, 13} {
			if _, err := b.Users.Insert(tx, numberedUser(id)); err != nil {
				return err
			}
		}
		for _, l := range [][2]int64{{1, 12}, {1, 13}, {2, 11}} {
			if _, err := b.Editing.Link(tx, l[0], l[1]); err != nil {
				return err
			}
		}
		return nil
	})
	return b
}

// A link whose side was SET NULL links nothing: lazy navigation, eager
// loading and Count agree, in readers and in the writer that nulled it.
func TestManyToManyNullSide(t *testing.T) {
	b := newEditing(t)
	check := func(tx *Tx, when string) {
		t.Helper()
		var lazy []int64
		for e := range b.Editing.Rights(tx, 1) {
			lazy = append(lazy, e.ID)
		}
		editors := b.Editing.LoadRights()
		res, err := Eager(tx, []User{{ID: 1}}, editors)
		if err != nil {
			t.Fatal(err)
		}
		var loaded []int64
		for _, e := range editors.Of(res, User{ID: 1}) {
			loaded = append(loaded, e.ID)
		}
		n, err := b.Editing.Count(tx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(lazy) != "[13]" || fmt.Sprint(loaded) != "[13]" || n != 1 {
			t.Errorf("%s: lazy %v, eager %v, count %d; want [13], [13], 1", when, lazy, loaded, n)
		}
		var lefts []int64
		for a := range b.Editing.Lefts(tx, 12) {
			lefts = append(lefts, a.ID)
		}
		if len(lefts) != 0 {
			t.Errorf("%s: editor 12 still links authors %v", when, lefts)
		}
	}
	MustUpdate(t, b.DB, func(tx *Tx) error {
		if err := b.Users.Delete(tx, 12); err != nil { // author 1's link to editor 12, a post, is nulled
			return err
		}
		check(tx, "writer")
		return nil
	})
	mustView(t, b.DB, func(tx *Tx) error { check(tx, "reader"); return nil })
	verify(t, b.DB)
}
