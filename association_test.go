package memrel_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/memrel/memrel"
)

func tagIDs(seq func(func(memrel.Tag) bool)) []int64 {
	ids := []int64{}
	for t := range seq {
		ids = append(ids, t.ID)
	}
	return ids
}

func postIDs(seq func(func(memrel.Post) bool)) []int64 {
	ids := []int64{}
	for p := range seq {
		ids = append(ids, p.ID)
	}
	return ids
}

func TestAssociationLinks(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 2, 2, 5, 0) // posts 1, 2 (user 1) and 3, 4 (user 2); tags 1..5; no links
	m := b.Tagging
	memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
		for _, tg := range []int64{3, 1, 2} {
			if _, err := m.Link(tx, 1, tg); err != nil {
				return err
			}
		}
		// Linking again changes nothing and returns the existing row.
		again, err := m.Link(tx, 1, 3)
		if err != nil || again.ID != 1 {
			t.Errorf("second Link: %+v, %v", again, err)
		}
		_, err = m.Link(tx, 2, 1)
		return err
	})
	view := func(fn func(tx *memrel.Tx)) {
		t.Helper()
		if err := b.DB.View(func(tx *memrel.Tx) error { fn(tx); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	view(func(tx *memrel.Tx) {
		// In the association table's key order: linked 3, then 1, then 2.
		if diff := cmp.Diff([]int64{3, 1, 2}, tagIDs(m.Rights(tx, 1))); diff != "" {
			t.Errorf("post 1's tags (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]int64{1, 2}, postIDs(m.Lefts(tx, 1))); diff != "" {
			t.Errorf("tag 1's posts (-want +got):\n%s", diff)
		}
		if n, _ := m.Count(tx, 1); n != 3 {
			t.Errorf("Count: %d", n)
		}
	})

	// Linking to a tag that does not exist is rejected, and leaves nothing.
	err := b.DB.Update(func(tx *memrel.Tx) error { _, err := m.Link(tx, 1, 99); return err })
	if !errors.Is(err, memrel.ErrForeignKey) {
		t.Fatalf("Link to a missing tag: %v", err)
	}

	memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
		if n, err := m.Unlink(tx, 1, 3); n != 1 || err != nil {
			t.Errorf("Unlink: %d, %v", n, err)
		}
		if n, err := m.Unlink(tx, 1, 3); n != 0 || err != nil {
			t.Errorf("Unlink again: %d, %v", n, err)
		}
		// Replace keeps 2, drops 1, adds 4 and 5 (once each).
		return m.Replace(tx, 1, []int64{2, 4, 5, 4})
	})
	view(func(tx *memrel.Tx) {
		got := tagIDs(m.Rights(tx, 1))
		slices.Sort(got)
		if diff := cmp.Diff([]int64{2, 4, 5}, got); diff != "" {
			t.Errorf("after Replace (-want +got):\n%s", diff)
		}
	})

	// A Replace that names a missing tag is rejected whole.
	before := dumpLinks(t, b)
	err = b.DB.Update(func(tx *memrel.Tx) error { return m.Replace(tx, 1, []int64{1, 99}) })
	if !errors.Is(err, memrel.ErrForeignKey) {
		t.Fatalf("Replace with a missing tag: %v", err)
	}
	if diff := cmp.Diff(before, dumpLinks(t, b)); diff != "" {
		t.Errorf("a rejected Replace changed the links (-before +after):\n%s", diff)
	}

	memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error {
		n, err := m.Clear(tx, 1)
		if n != 3 {
			t.Errorf("Clear removed %d", n)
		}
		return err
	})
	view(func(tx *memrel.Tx) {
		if n, _ := m.Count(tx, 1); n != 0 {
			t.Errorf("Count after Clear: %d", n)
		}
		if n, _ := m.Count(tx, 2); n != 1 {
			t.Errorf("Clear touched post 2: %d links", n)
		}
	})
	if err := b.DB.Verify(); err != nil {
		t.Fatal(err)
	}
}

func dumpLinks(t *testing.T, b *memrel.Blog) []memrel.PostTag {
	t.Helper()
	var out []memrel.PostTag
	_ = b.DB.View(func(tx *memrel.Tx) error { out = b.Links(tx); return nil })
	return out
}

// Association rows cascade from both sides.
func TestAssociationCascadesFromBothSides(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 3, 4, 6, 3)
	links := func() int {
		n := 0
		_ = b.DB.View(func(tx *memrel.Tx) error { n = len(b.Links(tx)); return nil })
		return n
	}
	if links() != 36 {
		t.Fatalf("%d links", links())
	}
	var tagLinks, postLinks int
	_ = b.DB.View(func(tx *memrel.Tx) error {
		tagLinks = len(postIDs(b.Tagging.Lefts(tx, 2)))
		postLinks, _ = b.Tagging.Count(tx, 5)
		return nil
	})
	memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error { return b.Tags.Delete(tx, 2) })
	if got := links(); got != 36-tagLinks {
		t.Errorf("after deleting tag 2: %d links, want %d", got, 36-tagLinks)
	}
	memrel.MustUpdate(t, b.DB, func(tx *memrel.Tx) error { return b.Posts.Delete(tx, 5) })
	_ = b.DB.View(func(tx *memrel.Tx) error {
		if n, _ := b.Tagging.Count(tx, 5); n != 0 {
			t.Errorf("post 5 still has %d links", n)
		}
		return nil
	})
	if postLinks == 0 || tagLinks == 0 {
		t.Fatal("the fixture links nothing to post 5 or tag 2")
	}
	if err := b.DB.Verify(); err != nil {
		t.Fatal(err)
	}
}

// Many-to-many loaded eagerly, both ways, equals lazy navigation.
func TestAssociationEagerMatchesLazy(t *testing.T) {
	b := memrel.NewBlog(t, memrel.DefaultRules()).Fill(t, 30, 4, 12, 3)
	err := b.DB.View(func(tx *memrel.Tx) error {
		if err := tx.Strict(); err != nil {
			return err
		}
		tags, posts := b.Tagging.LoadRights(), b.Tagging.LoadLefts()
		allPosts, res, err := memrel.EagerAll(tx, b.Posts, tags)
		if err != nil {
			return err
		}
		right := memrel.ZipLoaded(allPosts, memrel.BindOf(res, tags.Of))
		allTags, res, err := memrel.EagerAll(tx, b.Tags, posts)
		if err != nil {
			return err
		}
		left := memrel.ZipLoaded(allTags, memrel.BindOf(res, posts.Of))
		somePosts := slices.Clone(allPosts[:7])
		somePosts = append(somePosts, somePosts[2])
		res, err = memrel.Eager(tx, somePosts, tags)
		if err != nil {
			return err
		}
		batch := memrel.ZipLoaded(somePosts, memrel.BindOf(res, tags.Of))
		// Lazy navigation fails in strict mode...
		for range b.Tagging.Rights(tx, 1) {
			t.Error("Rights yielded in strict mode")
		}
		return checkM2M(t, b, right, left, batch)
	})
	if !errors.Is(err, memrel.ErrLazyLoad) {
		t.Fatalf("strict View with a lazy Rights: %v", err)
	}
}

func checkM2M(t *testing.T, b *memrel.Blog, right []memrel.Loaded[memrel.Post, []memrel.Tag], left []memrel.Loaded[memrel.Tag, []memrel.Post], batch []memrel.Loaded[memrel.Post, []memrel.Tag]) error {
	t.Helper()
	// ...so compare in a transaction of its own.
	return b.DB.View(func(tx *memrel.Tx) error {
		for _, w := range append(right, batch...) {
			want := []memrel.Tag{}
			for tg := range b.Tagging.Rights(tx, w.Row.ID) {
				want = append(want, tg)
			}
			got := w.Loaded
			if got == nil {
				got = []memrel.Tag{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("post %d's tags (-lazy +eager):\n%s", w.Row.ID, diff)
			}
		}
		for _, w := range left {
			want := []memrel.Post{}
			for p := range b.Tagging.Lefts(tx, w.Row.ID) {
				want = append(want, p)
			}
			got := w.Loaded
			if got == nil {
				got = []memrel.Post{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tag %d's posts (-lazy +eager):\n%s", w.Row.ID, diff)
			}
		}
		return nil
	})
}

// An association object with a field of its own is a table as well.
func TestAssociationObject(t *testing.T) {
	type Member struct {
		ID      int64
		UserID  int64
		GroupID int64
		Role    string
	}
	type Group struct {
		ID   int64
		Name string
	}
	s := memrel.NewSchema()
	users := memrel.NewTable(s, "users", func(u *memrel.User) *int64 { return &u.ID })
	groups := memrel.NewTable(s, "groups", func(g *Group) *int64 { return &g.ID })
	members := memrel.NewTable(s, "members", func(m *Member) *int64 { return &m.ID })
	cascade := []memrel.Rule{memrel.OnDelete(memrel.Cascade)}
	ofUser := memrel.ForeignKey(members, "user", func(m *Member) *int64 { return &m.UserID }, users, cascade...)
	ofGroup := memrel.ForeignKey(members, "group", func(m *Member) *int64 { return &m.GroupID }, groups, cascade...)
	membership := memrel.ManyToMany(ofUser, ofGroup)
	db, err := memrel.Open(s)
	if err != nil {
		t.Fatal(err)
	}
	memrel.MustUpdate(t, db, func(tx *memrel.Tx) error {
		for i := int64(1); i <= 2; i++ {
			if _, err := users.Insert(tx, memrel.User{ID: i}); err != nil {
				return err
			}
			if _, err := groups.Insert(tx, Group{ID: i}); err != nil {
				return err
			}
		}
		if _, err := members.Insert(tx, Member{UserID: 1, GroupID: 2, Role: "admin"}); err != nil {
			return err
		}
		m, err := membership.Link(tx, 2, 2)
		if err != nil {
			return err
		}
		m.Role = "reader"
		return members.Update(tx, m)
	})
	_ = db.View(func(tx *memrel.Tx) error {
		var roles []string
		for m := range ofGroup.Children(tx, 2) {
			roles = append(roles, m.Role)
		}
		if diff := cmp.Diff([]string{"admin", "reader"}, roles); diff != "" {
			t.Errorf("group 2's members (-want +got):\n%s", diff)
		}
		var gs []int64
		for g := range membership.Rights(tx, 1) {
			gs = append(gs, g.ID)
		}
		if diff := cmp.Diff([]int64{2}, gs); diff != "" {
			t.Errorf("user 1's groups (-want +got):\n%s", diff)
		}
		return nil
	})
}

func TestAssociationDeclaredWrong(t *testing.T) {
	s := memrel.NewSchema()
	users := memrel.NewTable(s, "users", func(u *memrel.User) *int64 { return &u.ID })
	a := memrel.NewTable(s, "a", func(p *memrel.PostTag) *int64 { return &p.ID })
	b := memrel.NewTable(s, "b", func(p *memrel.PostTag) *int64 { return &p.ID })
	ra := memrel.ForeignKey(a, "post", func(p *memrel.PostTag) *int64 { return &p.PostID }, users)
	rb := memrel.ForeignKey(b, "tag", func(p *memrel.PostTag) *int64 { return &p.TagID }, users)
	memrel.ManyToMany(ra, rb)
	if _, err := memrel.Open(s); !errors.Is(err, memrel.ErrSchema) {
		t.Errorf("Open with relations of different tables: %v", err)
	}
	var nilM2M *memrel.Association[memrel.PostTag, memrel.Post, memrel.Tag, int64, int64]
	db, _ := memrel.Open(func() *memrel.Schema {
		s := memrel.NewSchema()
		memrel.NewTable(s, "x", func(u *memrel.User) *int64 { return &u.ID })
		return s
	}())
	_ = db.Update(func(tx *memrel.Tx) error {
		if _, err := nilM2M.Link(tx, 1, 1); !errors.Is(err, memrel.ErrInvalid) {
			t.Errorf("nil association Link: %v", err)
		}
		if _, err := nilM2M.Count(tx, 1); !errors.Is(err, memrel.ErrInvalid) {
			t.Errorf("nil association Count: %v", err)
		}
		if _, err := memrel.Eager(tx, []memrel.Post{{}}, nilM2M.LoadRights()); err == nil {
			t.Error("nil association loader worked")
		}
		return nil
	})
}
